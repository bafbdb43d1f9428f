// The caching CPU allocator (native/cpu_allocator.cpp): freed blocks are kept by exact size and
// handed out again, within its bounds, and torch.cpu reports and empties the cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as torch from '../lib/index.js';

const lib = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'index.js')).href;

/** Runs `body` (an async function body with `torch` in scope) in a fresh process; its JSON result. */
function inChild(env: Record<string, string>, body: string): unknown {
  const code = `import * as torch from '${lib}'; const out = await (async () => { ${body} })(); console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('caching CPU allocator', () => {
  test('a freed block is kept by its size and handed to the next tensor of that size', () => {
    torch.cpu.emptyCache();
    assert.equal(torch.cpu.memoryCached(), 0);
    torch.randn([1000, 1000]).dispose(); // 4,000,000 bytes of float32
    assert.equal(torch.cpu.memoryCached(), 4_000_000);
    torch.randn([10, 10]).dispose(); // another size: kept beside it
    assert.equal(torch.cpu.memoryCached(), 4_000_400);
    const again = torch.zeros([1000, 1000]); // reuses the first block, and zeroes it
    assert.equal(torch.cpu.memoryCached(), 400);
    assert.equal(again.abs().sum().item(), 0);
    again.dispose();
    torch.cpu.emptyCache();
    assert.equal(torch.cpu.memoryCached(), 0);
  });

  test('blocks over 16 MiB go straight back to malloc', () => {
    torch.cpu.emptyCache();
    torch.empty([17 << 20], { dtype: 'uint8' }).dispose();
    assert.equal(torch.cpu.memoryCached(), 0);
    torch.empty([16 << 20], { dtype: 'uint8' }).dispose();
    assert.equal(torch.cpu.memoryCached(), 16 << 20);
    torch.cpu.emptyCache();
  });

  test('TORCH_NODE_CPU_CACHE_MB bounds the cache; 0 turns it off', () => {
    const body = `
      const ts = [0, 1, 2].map(() => torch.empty([512 * 1024], { dtype: 'uint8' }));
      for (const t of ts) t.dispose();
      return torch.cpu.memoryCached();`;
    assert.equal(inChild({ TORCH_NODE_CPU_CACHE_MB: '1' }, body), 1 << 20, 'two blocks of 512 KiB fit in 1 MiB');
    assert.equal(inChild({ TORCH_NODE_CPU_CACHE_MB: '0' }, body), 0);
  });

  test('a TORCH_NODE_CPU_CACHE_MB that is not a number is said, and the default bound kept', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as torch from '${lib}'; torch.empty([1 << 20], { dtype: 'uint8' }).dispose(); console.log(torch.cpu.memoryCached());`,
      ],
      { env: { ...process.env, TORCH_NODE_CPU_CACHE_MB: '1GB' }, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /TORCH_NODE_CPU_CACHE_MB='1GB' is not a whole number of MiB; using 256/);
    assert.equal(Number(r.stdout.trim()), 1 << 20, 'the cache is on with its default bound');
  });
});
