#!/usr/bin/env node
// Turns scripts/codegen/ops.table into the N-API glue (native/generated/) and the typed
// TypeScript functions and Tensor methods (lib/generated/). `--check` writes nothing and
// exits 1 when a generated file differs from what the table gives.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitCpp } from './emit-cpp.mjs';
import { emitTs } from './emit-ts.mjs';
import { parseTable } from './schema.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const ops = parseTable(readFileSync(join(root, 'scripts/codegen/ops.table'), 'utf8'));
const files = { ...emitCpp(ops), ...emitTs(ops) };

const check = process.argv.includes('--check');
const stale = [];
for (const [rel, text] of Object.entries(files)) {
  const path = join(root, rel);
  let old = null;
  try {
    old = readFileSync(path, 'utf8');
  } catch {}
  if (old === text) continue;
  stale.push(rel);
  if (!check) writeFileSync(path, text);
}
if (check && stale.length) {
  console.error(`generated files are stale (run \`npm run codegen\`): ${stale.join(', ')}`);
  process.exit(1);
}
if (!check) console.log(`codegen: ${ops.length} ops, ${stale.length} file(s) written`);
