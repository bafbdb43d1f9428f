// The only place that loads the native addon, and the types of what it exports. Which addon
// (the local build, or the prebuilt CPU or CUDA one) and which libtorch it loads with are decided
// by scripts/variants.cjs, which the install step shares; see that file and the README's
// "Which addon is loaded".

import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

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
  /** (device type << 8) | (index + 1): one number per device, for Tensor.device's cache of names */
  deviceCode(handle: number): number;
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
  fromBuffer(
    data: ArrayBufferView,
    shape: number[] | undefined,
    srcDtype?: number,
    hold?: Int32Array,
    holdIndex?: number,
  ): number;
  toBuffer(handle: number): ArrayBuffer;
  rawBytes(handle: number): ArrayBuffer;
  /** The tensor's storage: a key equal for every tensor over it, its bytes, the tensor's offset in elements */
  storageInfo(handle: number): { key: string; nbytes: number; offset: number };
  /** The bytes of the tensor's whole storage, on the CPU */
  storageBytes(handle: number): ArrayBuffer;
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
  /** tensor.variable_data(): the data with no history and a version counter of its own */
  variableData(handle: number): number;
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
  /** Calls fn inside c10::InferenceMode(enabled); returns what fn returns. */
  inferenceMode<T>(enabled: boolean, fn: () => T): T;
  isInferenceModeEnabled(): boolean;
  isInference(handle: number): boolean;
  setDetectAnomaly(mode: boolean, checkNan?: boolean): void;
  /** [enabled, checkNan] */
  anomalyMode(): [boolean, boolean];
  /** Forward AD: the new level's index (libtorch allows one level at a time). */
  enterDualLevel(): number;
  exitDualLevel(level: number): void;
  makeDual(primal: number, tangent: number, level: number): number;
  /** [primal, tangent or null] */
  unpackDual(handle: number, level: number): [number, number | null];
  /**
   * Records a custom autograd Function's call after its forward ran (native/custom_function.cpp).
   * Returns per output: -1 (the same tensor, its history set), a new handle, or null (not a tensor).
   */
  functionRecord(
    name: string,
    inputs: number[],
    outputs: (number | null)[],
    toSave: (number | null)[],
    nonDifferentiable: number[],
    dirty: number[],
    materializeGrads: boolean,
    backward: (grads: (number | null)[], serial: number) => void,
  ): (number | null)[];
  /** Hands the results of the JavaScript backward or hook call `serial` to the engine. */
  functionSetGrads(serial: number, grads: (number | null)[]): void;
  /** ctx.savedTensors during the backward call `serial`. */
  functionSavedTensors(serial: number): (number | null)[];
  /** Returns the hook's index for removeHook; hook hands its result to functionSetGrads. */
  registerHook(handle: number, hook: (grad: [number | null], serial: number) => void): number;
  removeHook(handle: number, index: number): void;
  /** Returns the hook's id; hook(tensor, serial) ends with functionSetGrads(serial, []). */
  registerPostAccumulateGradHook(handle: number, hook: (tensor: [number], serial: number) => void): number;
  removePostAccumulateGradHook(handle: number, id: number): void;

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
  /** Whether max_pool2d takes native/max_pool.cpp's kernel where it applies; sets it when given. */
  fastMaxPool(enabled?: boolean): boolean;

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

/** torch.jit's native side (native/jit.cpp): TorchScript modules held by id. */
export interface NativeJit {
  /** The Tensor class that results are made with. */
  jitInit(tensorClass: new (handle: number) => unknown): void;
  jitLoad(path: string, mapLocation: string | undefined): number;
  jitFree(id: number): void;
  jitRunMethod(id: number, name: string, args: unknown[], kwargs?: Record<string, unknown>): unknown;
  /** [name, schema] per method */
  jitMethods(id: number): [string, string][];
  /** [training, the original class name] */
  jitInfo(id: number): [boolean, string];
  jitTrain(id: number, mode: boolean): void;
  /** what: 0 parameters, 1 buffers, 2 the state dict (detached); returns [names, handles] */
  jitNamed(id: number, what: 0 | 1 | 2, recurse: boolean): [string[], number[]];
  jitTo(id: number, device: string | undefined, dtype: number | undefined, nonBlocking: boolean): void;
  jitSave(id: number, path: string): void;
  /** The children (or every module below, recurse): [dotted names, new ids sharing each module] */
  jitChildren(id: number, recurse: boolean): [string[], number[]];
  /** A new id for the submodule at a dotted path */
  jitSubmodule(id: number, target: string): number;
  jitHasAttr(id: number, name: string): boolean;
  /** [0, value] or [1, a submodule's new id] */
  jitGetAttr(id: number, name: string): [0, unknown] | [1, number];
  jitSetAttr(id: number, name: string, value: unknown): void;
  /** Python's repr of a RecursiveScriptModule */
  jitRepr(id: number): string;
  /** A method's TorchScript source */
  jitCode(id: number, method: string): string;
  /**
   * torch.jit.trace (native/jit_trace.cpp): traces `fn(inputs)` as the forward of the module that
   * `spec` describes (lib/torch/jit_trace.ts); returns [module id, the tracer's warnings]
   */
  jitTrace(
    spec: unknown[],
    inputs: unknown[],
    fn: (inputs: never[]) => unknown,
    strict: boolean,
    argumentNames: string[],
  ): [number, string[]];
  /** Opens the trace's scope of a submodule ('__module.a.b'), or (null) closes the innermost */
  jitTraceScope(name: string | null): void;
  /** A warning collected with the trace's own (nothing outside a trace) */
  jitTraceWarn(message: string): void;
  jitIsTracing(): boolean;
}

/** One of libtorch's KinetoEvents (native/profiler.cpp); times in ns from the trace's start. */
export interface NativeProfilerEvent {
  name: string;
  overloadName: string;
  startNs: number;
  endNs: number;
  thread: number;
  endThread: number;
  fwdThread: number;
  /** libkineto::ActivityType: 0 CPU op, 1 user annotation, 2 GPU user annotation, ... */
  activityType: number;
  /** c10::DeviceType */
  deviceType: number;
  deviceIndex: number;
  deviceResourceId: number;
  /** at::RecordScope: 0 function, 1 backward function, 7 user scope, ... */
  scope: number;
  sequenceNr: number;
  correlationId: number;
  linkedCorrelationId: number;
  isAsync: boolean;
  isHidden: boolean;
  nBytes: number;
  flops: number;
  shapes: number[][];
  dtypes: string[];
  stack: string[];
}

/** A disabled profiler's result, freed by the GC. */
export type NativeProfilerResult = { readonly __profilerResult: unique symbol };

/** torch.profiler's native side (native/profiler.cpp); the profiler's state is per thread. */
export interface NativeProfiler {
  /** Kineto's warm-up; (activities, recordShapes, profileMemory, withStack, withFlops) */
  profilerPrepare(
    activities: ('cpu' | 'cuda')[],
    recordShapes: boolean,
    profileMemory: boolean,
    withStack: boolean,
    withFlops: boolean,
  ): void;
  profilerEnable(
    activities: ('cpu' | 'cuda')[],
    recordShapes: boolean,
    profileMemory: boolean,
    withStack: boolean,
    withFlops: boolean,
  ): void;
  profilerEnabled(): boolean;
  /** null when no profiler is enabled on this thread */
  profilerDisable(): NativeProfilerResult | null;
  profilerEvents(result: NativeProfilerResult): { traceStartNs: number; events: NativeProfilerEvent[] };
  /** Kineto's Chrome trace (JSON) */
  profilerSave(result: NativeProfilerResult, path: string): void;
  /** Opens a user range (USER_SCOPE); returns its id for recordFunctionExit. */
  recordFunctionEnter(name: string): number;
  recordFunctionExit(id: number): void;
}

/** A native at::Generator, freed by the GC (native/generator.cpp). */
export type NativeGeneratorHandle = { readonly __generator: unique symbol };

/** torch.Generator's native side (native/generator.cpp). */
export interface NativeGenerator {
  generatorNew(device: string | undefined): NativeGeneratorHandle;
  /** libtorch's default generator of a device (the CPU's, the one torch.manualSeed seeds, by default) */
  generatorDefault(device?: string): NativeGeneratorHandle;
  generatorDevice(g: NativeGeneratorHandle): string;
  /** `seed` already reduced to 64 bits, as Python wraps a negative seed */
  generatorManualSeed(g: NativeGeneratorHandle, seed: bigint): void;
  /** Seeds from the OS's randomness, below 2^53; returns the seed. */
  generatorSeed(g: NativeGeneratorHandle): number;
  generatorInitialSeed(g: NativeGeneratorHandle): bigint;
  generatorGetState(g: NativeGeneratorHandle): number;
  generatorSetState(g: NativeGeneratorHandle, state: number): void;
}

/** A CUDA stream as c10 packs it: [stream id, device index, device type]. */
export type StreamData = [number, number, number];

// biome-ignore lint/suspicious/noExplicitAny: generated entries are typed by lib/generated/impl.ts
type NativeOps = Record<string, (...args: any[]) => any>;

/** The addon's exports: the hand-written ones, and the generated op entries under `ops`. */
type NativeAddon = NativeCore & { ops: NativeOps };

/** What scripts/variants.cjs says about a libtorch folder. */
interface LibtorchInfo {
  version: string;
  torch: string;
  cuda: boolean;
  cudaVersion: string | null;
}

interface Candidate {
  kind: 'local' | 'prebuilt';
  variant: 'local' | 'cpu' | 'cuda';
  file: string;
  libtorch: { root: string; source: string; info: LibtorchInfo | null } | null;
}

interface Resolution {
  requested: 'auto' | 'local' | 'cpu' | 'cuda';
  driver: { present: boolean; detail: string };
  candidates: Candidate[];
  notes: string[];
}

interface Variants {
  resolveAddon(packageRoot: string): Resolution;
  libtorchConflict(candidate: Candidate): string | null;
  libtorchLibraries(candidate: Candidate): string[];
  describeCandidate(candidate: Candidate): string;
}

/** The addon this process loaded, and why; `torch.buildInfo()` reports it. */
export interface LoadedAddon {
  /** 'local' (build/Release), or the prebuilt 'cpu' or 'cuda' addon */
  variant: Candidate['variant'];
  file: string;
  /** the libtorch folder it runs with, where known */
  libtorchPath: string | null;
  /** why this one, in one line */
  reason: string;
}

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const variants = require(join(packageRoot, 'scripts', 'variants.cjs')) as Variants;
const debug = /^(1|true|yes)$/i.test(process.env.TORCH_NODE_DEBUG ?? '');

function say(message: string): void {
  if (isMainThread) process.stderr.write(`torch-node: ${message}\n`);
}

function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

// glibc's RTLD_NODELETE, which os.constants.dlopen does not list: keep libtorch mapped after
// process.dlopen closes a library that registers no Node module.
const RTLD_NODELETE = 0x1000;

/**
 * Maps a prebuilt addon's libtorch by its full path, so that the addon binds to it by soname
 * whatever its RUNPATH says. process.dlopen then throws "did not self-register", which is the
 * expected outcome: libtorch is no Node module.
 */
function preload(candidate: Candidate): void {
  for (const lib of variants.libtorchLibraries(candidate)) {
    try {
      process.dlopen({ exports: {} }, lib, constants.dlopen.RTLD_NOW | RTLD_NODELETE);
    } catch (e) {
      const message = errorMessage(e);
      if (/did not self-register/.test(message)) continue;
      const cudaLib = /^(lib(cu|nv|nccl)\S*\.so[.\d]*): cannot open/.exec(message);
      const hint = cudaLib
        ? ` (${cudaLib[1]} is one of the CUDA libraries this torch loads, from the nvidia-* pip packages beside its folder; TORCH_NODE_VARIANT=cuda npm rebuild torch-node fetches torch with them)`
        : '';
      throw new Error(`loading ${lib} failed: ${message}${hint}`);
    }
  }
}

const howToFix =
  'Reinstall (`npm rebuild torch-node`; in a clone `npm run build:native`), set LIBTORCH to a libtorch that a ' +
  'prebuilt addon fits, or see the README, "Which addon is loaded". TORCH_NODE_DEBUG=1 shows every step.';

function load(): { addon: NativeAddon; loaded: LoadedAddon } {
  let resolution: Resolution;
  try {
    resolution = variants.resolveAddon(packageRoot);
  } catch (e) {
    throw new Error(`torch-node: ${errorMessage(e)}`);
  }
  const { requested, driver, candidates, notes } = resolution;
  if (debug) {
    say(`TORCH_NODE_VARIANT=${requested}; CUDA driver: ${driver.present ? 'yes' : 'no'} (${driver.detail})`);
    for (const c of candidates) say(`candidate: ${variants.describeCandidate(c)}`);
    for (const n of notes) say(`passed over: ${n}`);
  }
  const failures: string[] = [];
  for (const candidate of candidates) {
    const described = variants.describeCandidate(candidate);
    const conflict = variants.libtorchConflict(candidate);
    if (conflict) {
      failures.push(`${described}: ${conflict}`);
      continue;
    }
    let addon: NativeAddon;
    try {
      if (candidate.kind === 'prebuilt') preload(candidate);
      addon = require(candidate.file);
    } catch (e) {
      failures.push(`${described}: ${errorMessage(e)}`);
      continue;
    }
    let reason: string;
    if (requested !== 'auto') reason = `TORCH_NODE_VARIANT=${requested}`;
    else if (candidate.kind === 'local') reason = 'a local build wins over the prebuilt addons';
    else if (candidate.variant === 'cuda')
      reason = driver.present ? 'a CUDA driver is present' : `no CUDA driver (${driver.detail}), and no CPU addon fits`;
    else reason = driver.present ? 'no CUDA addon fits' : `no CUDA driver (${driver.detail})`;
    if (debug) say(`loaded ${described}: ${reason}`);
    // Say why, once, when the choice is not what this machine suggests: a GPU machine running on
    // the CPU addon, or an addon that failed to load before this one.
    const cudaNotes = notes.filter((n) => n.startsWith('cuda: prebuilds/'));
    const cudaPassedOver =
      requested === 'auto' &&
      driver.present &&
      candidate.variant === 'cpu' &&
      (cudaNotes.length > 0 || failures.length > 0);
    if (!debug && (failures.length > 0 || cudaPassedOver)) {
      const why = [...failures, ...(cudaPassedOver ? cudaNotes : [])];
      say(
        `using ${described}${cudaPassedOver ? ', although a CUDA driver is present' : ''}:\n  ${why.join('\n  ')}` +
          (cudaPassedOver
            ? '\nFor the GPU, reinstall with TORCH_NODE_VARIANT=cuda (fetches the CUDA libtorch), or with LIBTORCH ' +
              'or TORCH_NODE_USE_PYTORCH=1 naming a CUDA build of that torch version. TORCH_NODE_VARIANT=cpu silences this.'
            : ''),
      );
    }
    return {
      addon,
      loaded: {
        variant: candidate.variant,
        file: candidate.file,
        libtorchPath: candidate.libtorch?.root ?? null,
        reason,
      },
    };
  }
  const why = [...failures, ...notes];
  throw new Error(
    `torch-node: no native addon could be loaded (TORCH_NODE_VARIANT=${requested}):\n  ${why.join('\n  ')}\n${howToFix}`,
  );
}

const result = load();
/**
 * The addon's functions, copied into objects that V8 keeps in fast mode. The exports object
 * itself, built by the addon one property at a time (hundreds of them), is a dictionary: every
 * `native.op` read in optimised code then goes through a generic property-load IC (measured: 3.4
 * µs of an MLP training step; 1.0 µs with this copy, whose fixed shape lets V8 fold the loads).
 * V8 keeps an object fast up to 1020 properties, so the generated op entries (lib/generated/
 * impl.ts calls them) are an object of their own, `ops`; test/binding.test.ts checks both.
 */
const { ops: opsExports, ...core } = result.addon;
export const native = Object.fromEntries(Object.entries(core)) as unknown as NativeCore;
export const ops = Object.fromEntries(Object.entries(opsExports)) as NativeOps;
export const loadedAddon: LoadedAddon = result.loaded;
