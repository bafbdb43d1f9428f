#!/usr/bin/env node
// torch-node's command line.
//   torch-node train [script.js] [options]   run a training script, or the built-in recipe
//                                            (a small ResNet on synthetic data, Fashion-MNIST,
//                                            MNIST or CIFAR-10; see --help)
//   torch-node run [options] script.js       a distributed job: nproc-per-node processes of
//                                            script.js, supervised (see `torch-node run --help`)
//   torch-node info                          the build: versions, libtorch, CUDA
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [command, ...rest] = process.argv.slice(2);

function usage(code) {
  console.log(`usage: torch-node train [script.js] [options]
       torch-node run --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] script.js [args]
       torch-node info

train without a script runs the built-in recipe; \`torch-node train --help\` lists its options
(--dataset synthetic|fashion-mnist|mnist|cifar10, --epochs, --batch-size, --device, --work-dir,
--resume, --data ...). A script gets the options after it as its own arguments.`);
  process.exit(code);
}

if (command === 'train') {
  const first = rest[0];
  const script = first && !first.startsWith('-') ? first : join(root, 'dist', 'examples', 'train.js');
  const args = first && !first.startsWith('-') ? rest.slice(1) : rest;
  if (!existsSync(script)) {
    console.error(`torch-node train: ${script} does not exist${script.endsWith('.ts') ? ' (compile TypeScript first, or run it with a TS loader)' : ''}`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (command === 'run') {
  const { runCommand } = await import(join(root, 'dist', 'lib', 'launcher', 'index.js'));
  process.exit(await runCommand(rest));
} else if (command === 'info') {
  const torch = await import(join(root, 'dist', 'lib', 'index.js'));
  const d = torch.distributed;
  const distributed = d.isAvailable() ? (d.isNcclAvailable() ? 'gloo, nccl' : 'gloo') : `no (${d.whyNotAvailable()})`;
  console.log({ ...torch.buildInfo(), cudaAvailable: torch.cuda.isAvailable(), threads: torch.getNumThreads(), distributed });
} else {
  usage(command === undefined || command === '--help' || command === '-h' ? 0 : 2);
}
