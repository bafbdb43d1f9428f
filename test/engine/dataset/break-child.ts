// Run as a child process: breaks out of a loop over a DataLoader with 2 workers (or abandons the
// iterator, or completes the pass, which leaves the threads idle for a next one), reports the
// live worker count, and must then exit on its own (nothing left holding the event loop).
// 'idle': completes the pass and reports the process's OS threads then and 11 s later (Linux).
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataLoader, SyntheticImageDataset } from '../../../lib/engine/index.js';

const mode = process.argv[2] ?? 'break';
const loader = new DataLoader({
  dataset: new SyntheticImageDataset({ length: 512 }),
  batchSize: 8,
  numWorkers: 2,
  seed: 1,
});
let seen = 0;
if (mode === 'break') {
  for await (const _batch of loader) {
    if (++seen === 3) break;
  }
} else if (mode === 'complete') {
  for await (const _batch of loader) seen++;
} else if (mode === 'idle') {
  for await (const _batch of loader) seen++;
  const osThreads = () => readdirSync('/proc/self/task').length;
  const afterPass = osThreads();
  await sleep(11_000); // the idle threads' 10 s
  console.log(JSON.stringify({ seen, afterPass, later: osThreads() }));
  process.exit(0);
} else {
  // Abandoned: two batches taken by hand, the iterator never finished nor returned.
  const it = loader[Symbol.asyncIterator]();
  await it.next();
  await it.next();
  seen = 2;
}
console.log(JSON.stringify({ seen, activeWorkers: loader.activeWorkers }));
