#!/usr/bin/env node
// Runs clang-format over the hand-written C++ (native/*.{h,cpp}; generated files excluded).
//   --check  fails when a file is not formatted;  --fix  formats in place.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync('native')
  .filter((f) => f.endsWith('.cpp') || f.endsWith('.h'))
  .map((f) => join('native', f));
const fix = process.argv.includes('--fix');
const args = fix ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
const r = spawnSync('clang-format', args, { stdio: 'inherit' });
if (r.error) {
  console.error('clang-format is not installed (Debian: apt-get install clang-format)');
  process.exit(1);
}
process.exit(r.status ?? 1);
