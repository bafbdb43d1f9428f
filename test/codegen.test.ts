import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('generated files match scripts/codegen/ops.table', () => {
  const r = spawnSync(process.execPath, ['scripts/codegen/generate.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
