import { readFileSync } from 'node:fs';
import { native } from '../binding.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** torch-node's version. */
export const version: string = pkg.version;

/** This build: torch-node's version, the libtorch it was compiled against, and whether it has CUDA. */
export function buildInfo(): { version: string; libtorch: string; cuda: boolean } {
  return { version, ...native.buildInfo() };
}
