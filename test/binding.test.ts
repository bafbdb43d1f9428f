// lib/binding.ts, the one place that loads the addon: what it hands to the rest of lib/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const binding = fileURLToPath(new URL('../lib/binding.js', import.meta.url));

test("native and ops are fast-mode objects holding the addon's exports", () => {
  // Every op call reads a function from `native` (hand-written entries) or `ops` (generated); in a
  // dictionary-mode object (the addon's own exports object) each read in optimised code is a
  // generic IC lookup, ~3 µs of an MLP step. V8 keeps an object fast up to 1020 properties.
  const script = `
    const { native, ops } = require(${JSON.stringify(binding)});
    console.log(JSON.stringify({
      fast: [%HasFastProperties(native), %HasFastProperties(ops)],
      count: [Object.keys(native).length, Object.keys(ops).length],
      fns: [typeof native.free, typeof ops.add, typeof native.ops, typeof native.add],
    }));`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { fast: boolean[]; count: number[]; fns: string[] };
  assert.deepEqual(out.fast, [true, true], `native has ${out.count[0]} entries, ops ${out.count[1]}`);
  assert.deepEqual(out.fns, ['function', 'function', 'undefined', 'undefined']);
  assert.ok((out.count[0] as number) > 100 && (out.count[1] as number) > 800, `counts ${out.count}`);
});

test('every symbol the addon uses is in the libraries it loads (bound at load, not at first call)', () => {
  // The addon is a shared library: a libtorch function that libtorch does not export (an inline
  // declaration whose body is not in the .so, like ReadyQueue::push) links, then kills the
  // process with "undefined symbol" the first time its code path runs. Binding every symbol at
  // load time turns that into a load failure here.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(binding)}); console.log('loaded')`], {
    encoding: 'utf8',
    env: { ...process.env, LD_BIND_NOW: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'loaded');
});
