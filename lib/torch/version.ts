import { readFileSync } from 'node:fs';
import { type LoadedAddon, loadedAddon, native } from '../binding.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** torch-node's version. */
export const version: string = pkg.version;

/**
 * This build: torch-node's version, the libtorch it was compiled against, whether it has CUDA,
 * and which addon was loaded (`variant`: 'local', 'cpu' or 'cuda'; `file`; `libtorchPath`; `reason`).
 */
export function buildInfo(): { version: string; libtorch: string; cuda: boolean } & LoadedAddon {
  return { version, ...native.buildInfo(), ...loadedAddon };
}
