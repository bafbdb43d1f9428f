// lib/binding.ts, the one place that loads the addon: what it hands to the rest of lib/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const binding = fileURLToPath(new URL('../lib/binding.js', import.meta.url));

test("native is a fast-mode object holding the addon's exports", () => {
  // Every op call reads a function from `native`; in a dictionary-mode object (the addon's own
  // exports object) each read in optimised code is a generic IC lookup, ~3 µs of an MLP step.
  const script = `
    const { native } = require(${JSON.stringify(binding)});
    const keys = Object.keys(native);
    console.log(JSON.stringify({
      fast: %HasFastProperties(native),
      count: keys.length,
      add: typeof native.add,
    }));`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { fast: boolean; count: number; add: string };
  assert.equal(out.fast, true);
  assert.equal(out.add, 'function');
  assert.ok(out.count > 300, `only ${out.count} exports`);
});
