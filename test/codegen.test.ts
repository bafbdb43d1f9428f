import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('generated files match scripts/codegen/ops.table', () => {
  const r = spawnSync(process.execPath, ['scripts/codegen/generate.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

// The generated ops guard each ATen function by its per-operator header, so that a build against
// another libtorch makes a missing function one op's Error. Against the libtorch this addon was
// built with, every guarded header must exist: a header name derived wrongly would silently turn
// an op into that Error.
test('every ATen header the generated ops test for exists in the libtorch at hand', async (t) => {
  const torch = await import('../lib/index.js');
  const root = torch.buildInfo().libtorchPath;
  if (root === null) return t.skip('the addon does not say which libtorch it was built against');
  const include = join(root, 'include', 'ATen', 'ops');
  if (!existsSync(include)) return t.skip(`no ATen headers at ${include}`);
  const headers = new Set<string>();
  for (const file of readdirSync('native/generated').filter((f) => f.endsWith('.cpp'))) {
    const text = readFileSync(join('native/generated', file), 'utf8');
    for (const m of text.matchAll(/__has_include\(<ATen\/ops\/([^>]+)>\)/g)) headers.add(m[1] as string);
  }
  assert.ok(headers.size > 500, `only ${headers.size} guarded headers found`);
  const missing = [...headers].filter((h) => !existsSync(join(include, h)));
  assert.deepEqual(missing, [], `headers missing from ${include}`);
});
