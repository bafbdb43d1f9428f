// The only place that loads the native addon (build/Release/torch_node.node, or a prebuilt
// binary that matches this platform), and the types of what it exports.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The hand-written exports of native/; generated op entries are reached through `ops`. */
export interface NativeCore {
  free(handle: number): void;
  /** Handles disposed by JavaScript, freed before the next op: [count, handle...]. */
  releaseQueue: Int32Array;
  drainReleases(): void;
  shape(handle: number): number[];
  stride(handle: number): number[];
  dtype(handle: number): number;
  device(handle: number): string;
  /** 0 numel, 1 dim, 2 requiresGrad, 3 isContiguous, 4 isLeaf, 5 isPinned, 6 elementSize */
  flags(handle: number, which: number): number | boolean;
  fromTypedArray(
    data: ArrayBufferView,
    shape: number[] | undefined,
    dtype: number | undefined,
    device: string | undefined,
    requiresGrad: boolean | undefined,
    srcDtype?: number,
  ): number;
  fromBuffer(data: ArrayBufferView, shape: number[] | undefined, srcDtype?: number): number;
  toBuffer(handle: number): ArrayBuffer;
  rawBytes(handle: number): ArrayBuffer;
  item(handle: number): number | boolean;
  to(
    handle: number,
    dtype: number | undefined,
    device: string | undefined,
    nonBlocking?: boolean,
    copy?: boolean,
  ): number;
  pinMemory(handle: number): number;
  memory(): { tensors: number; bytes: Record<string, number> };
  manualSeed(seed: number): void;
  getRngState(): number;
  setRngState(state: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  buildInfo(): { libtorch: string; cuda: boolean };

  requiresGrad_(handle: number, requiresGrad: boolean): void;
  grad(handle: number): number | null;
  setGrad(handle: number, grad: number | undefined): void;
  retainGrad(handle: number): void;
  setData(handle: number, data: number): void;
  gradFn(handle: number): string | null;
  backward(handle: number, gradient?: number, retainGraph?: boolean, createGraph?: boolean, inputs?: number[]): void;
  autogradGrad(
    outputs: number[],
    inputs: number[],
    gradOutputs: (number | undefined)[] | undefined,
    retainGraph: boolean | undefined,
    createGraph: boolean | undefined,
    allowUnused: boolean | undefined,
  ): (number | null)[];
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;

  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(device?: string): void;
  cudaNewStream(device?: string, priority?: number): StreamData;
  cudaCurrentStream(device?: string): StreamData;
  cudaExchangeStream(stream: StreamData): StreamData;
  cudaStreamSynchronize(stream: StreamData): void;
  cudaStreamQuery(stream: StreamData): boolean;
  cudaStreamWaitStream(waiter: StreamData, other: StreamData): void;
  cudaRecordStream(handle: number, stream: StreamData): void;
  cudaNewEvent(enableTiming?: boolean): number;
  cudaFreeEvent(id: number): void;
  cudaEventRecord(id: number, stream?: StreamData, device?: string): void;
  cudaEventWait(id: number, stream?: StreamData, device?: string): void;
  cudaEventQuery(id: number): boolean;
  cudaEventSynchronize(id: number): void;
  cudaEventElapsedTime(id: number, end: number): number;
  /** [allocated, peak allocated, reserved, peak reserved] in bytes */
  cudaMemoryStats(device?: string): [number, number, number, number];
  cudaResetPeakMemoryStats(device?: string): void;
  cudaEmptyCache(): void;
  cpuCachedBytes(): number;
  cpuEmptyCache(): void;

  /** Returns [enabled, dtype code, cacheEnabled] as they were before. */
  autocastEnter(
    deviceType: string,
    enabled: boolean,
    dtype: number,
    cacheEnabled?: boolean,
  ): [boolean, number, boolean];
  autocastExit(deviceType: string, enabled: boolean, dtype: number, cacheEnabled: boolean): void;
  isAutocastEnabled(deviceType: string): boolean;

  /** Whether c10d is compiled in (gloo's headers were found at build time), and if not, why. */
  distInfo(): { available: boolean; nccl: boolean; missing?: string };
}

/**
 * torch.distributed's native side (native/distributed.cpp, ddp.cpp): present only when
 * `distInfo().available`. `async` true makes a collective return a Promise.
 */
export interface NativeDistributed {
  distInit(backend: string, host: string, port: number, rank: number, worldSize: number, timeoutMs: number): void;
  distDestroy(): void;
  /** [rank, worldSize, backend], or null before distInit. */
  distGroup(): [number, number, string] | null;
  distAllReduce(handles: number[], op: string, async: boolean): undefined | Promise<undefined>;
  distBroadcast(handles: number[], src: number, async: boolean): undefined | Promise<undefined>;
  distAllGather(handles: number[], async: boolean): number[] | Promise<number[]>;
  distReduceScatter(handles: number[], op: string, async: boolean): number | Promise<number>;
  distBarrier(async: boolean): undefined | Promise<undefined>;
  distBroadcastCoalesced(handles: number[], bufferBytes: number, src: number): void;
  ddpNew(
    params: number[],
    names: string[],
    bucketCapBytes: number,
    firstBucketBytes: number,
    findUnusedParameters: boolean,
    gradientAsBucketView: boolean,
  ): number;
  ddpFree(reducer: number): void;
  ddpPrepareForward(reducer: number): boolean;
  ddpPrepareBackward(reducer: number, outputs?: number[]): void;
  /** Parameters per bucket, in reduction order. */
  ddpBuckets(reducer: number): number[];
}

/** A CUDA stream as c10 packs it: [stream id, device index, device type]. */
export type StreamData = [number, number, number];

// biome-ignore lint/suspicious/noExplicitAny: generated entries are typed by lib/generated/impl.ts
type NativeOps = Record<string, (...args: any[]) => any>;

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(): NativeCore & NativeOps {
  try {
    return require('node-gyp-build')(packageRoot);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(
      `torch-node: the native addon could not be loaded (${reason}).\n` +
        'Build it with `npm run build:native` (see the README: "How libtorch is found").',
    );
  }
}

export const native = load();
