// The default process group: c10d's TCPStore for the rendezvous, then Gloo (CPU) or NCCL (CUDA).
//
//   torch.distributed.initProcessGroup({backend: 'gloo'});   // env://, as `torch-node run` sets it
//   torch.distributed.initProcessGroup({backend: 'gloo', initMethod: 'tcp://10.0.0.1:29500', rank, worldSize});
import { type NativeDistributed, native } from '../../binding.js';
import { isAvailable as cudaIsAvailable } from '../cuda.js';

export type Backend = 'gloo' | 'nccl';

export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors); default 'nccl' where it is built in and CUDA is available, else 'gloo'. */
  backend?: Backend;
  /**
   * Where rank 0's store listens: 'env://' (the default: MASTER_ADDR and MASTER_PORT, and RANK
   * and WORLD_SIZE unless given here) or 'tcp://host:port'.
   */
  initMethod?: string;
  rank?: number;
  worldSize?: number;
  /** Milliseconds that the rendezvous and each collective may take (default 30 minutes, as PyTorch's). */
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** Whether this build has distributed support (c10d with Gloo); `whyNotAvailable()` says what is missing. */
export function isAvailable(): boolean {
  return native.distInfo().available;
}

/** What the build lacks for distributed support, or null when it has it. */
export function whyNotAvailable(): string | null {
  const info = native.distInfo();
  return info.available ? null : (info.missing ?? 'unknown');
}

/** Whether the NCCL backend is built in (a CUDA libtorch, built with NCCL's headers). */
export function isNcclAvailable(): boolean {
  return native.distInfo().nccl;
}

/** @internal The native functions; throws what is missing when the build has no distributed support. */
export function dist(op: string): NativeDistributed {
  const info = native.distInfo();
  if (!info.available) {
    throw new Error(`${op}: torch-node was built without distributed support: ${info.missing ?? 'unknown reason'}`);
  }
  return native as unknown as NativeDistributed;
}

function envInt(name: string, op: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    throw new Error(`${op}: env:// rendezvous needs the environment variable ${name}, which is not set`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw new Error(`${op}: the environment variable ${name} should be an integer, got '${raw}'`);
  return n;
}

interface Rendezvous {
  host: string;
  port: number;
  rank: number;
  worldSize: number;
}

function rendezvous(options: InitProcessGroupOptions, op: string): Rendezvous {
  const method = options.initMethod ?? 'env://';
  if (method === 'env://') {
    const host = process.env.MASTER_ADDR;
    if (!host) throw new Error(`${op}: env:// rendezvous needs the environment variable MASTER_ADDR, which is not set`);
    return {
      host,
      port: envInt('MASTER_PORT', op),
      rank: options.rank ?? envInt('RANK', op),
      worldSize: options.worldSize ?? envInt('WORLD_SIZE', op),
    };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(method);
  if (!m) throw new Error(`${op}: initMethod must be 'env://' or 'tcp://host:port', got '${method}'`);
  if (options.rank === undefined) throw new Error(`${op}: initMethod ${method} needs the option \`rank\``);
  if (options.worldSize === undefined) throw new Error(`${op}: initMethod ${method} needs the option \`worldSize\``);
  return {
    host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'),
    port: Number(m[2]),
    rank: options.rank,
    worldSize: options.worldSize,
  };
}

/**
 * Joins the default process group: rank 0 serves a TCPStore at the rendezvous address, every
 * rank connects to it, then the backend connects every pair of ranks. Blocks until all
 * `worldSize` ranks have arrived (or `timeout` passes).
 */
export function initProcessGroup(options: InitProcessGroupOptions = {}): void {
  const op = 'initProcessGroup';
  const d = dist(op);
  const backend = options.backend ?? (isNcclAvailable() && cudaIsAvailable() ? 'nccl' : 'gloo');
  if (backend !== 'gloo' && backend !== 'nccl') {
    throw new Error(`${op}: backend must be 'gloo' or 'nccl', got '${String(backend)}'`);
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(Number.isInteger(timeout) && timeout > 0)) {
    throw new Error(`${op}: timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  const r = rendezvous(options, op);
  d.distInit(backend, r.host, r.port, r.rank, r.worldSize, timeout);
}

/** Whether the default process group exists. */
export function isInitialized(): boolean {
  return isAvailable() && (native as unknown as NativeDistributed).distGroup() !== null;
}

function group(op: string): [number, number, string] {
  const g = dist(op).distGroup();
  if (g === null) {
    throw new Error(
      `${op}: Default process group has not been initialized, please make sure to call initProcessGroup()`,
    );
  }
  return g;
}

/** This process's rank in the default group. */
export function getRank(): number {
  return group('getRank')[0];
}

/** The number of processes in the default group. */
export function getWorldSize(): number {
  return group('getWorldSize')[1];
}

export function getBackend(): Backend {
  return group('getBackend')[2] as Backend;
}

/** This process's rank on its machine, as the launcher sets it (LOCAL_RANK; 0 when unset). */
export function getLocalRank(): number {
  const raw = process.env.LOCAL_RANK;
  return raw === undefined || raw === '' ? 0 : Number(raw);
}

/** Leaves the default process group (a no-op when there is none). */
export function destroyProcessGroup(): void {
  if (isAvailable()) dist('destroyProcessGroup').distDestroy();
}
