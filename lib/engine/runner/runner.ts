// The Runner: trains, validates and tests a BaseModel, as MMEngine's Runner.
//
//   const runner = new Runner({model, workDir, trainDataloader, valDataloader, trainCfg:
//     {maxEpochs: 2}, optimWrapper: {optimizer: new optim.SGD(model.parameters(), {lr: 0.01})},
//     valEvaluator: new Accuracy()});   // a metric, its config, a list, or an Evaluator
//   await runner.train();
//
// Everything is passed as objects, except hooks, which may be configs of the hook registry
// ({type: 'EMAHook', priority: 'HIGH', ...}; see hooks/registry.ts). The order of train() follows
// MMEngine: loops, optimizer wrapper, schedulers; beforeRun; init weights; load or resume;
// initialise the accumulation counters; run; afterRun.
//
// launcher 'pytorch' (under `torch-node run`): the process group is initialised from the
// environment (if the script has not done it), every rank uses rank 0's seed and timestamp, the
// dataloaders' samplers become DistributedSamplers (each rank its share), the model is wrapped
// in DistributedDataParallel once its weights are initialised or loaded (so every rank starts
// from rank 0's), and only rank 0 logs (other ranks: errors only), writes the log files and
// visualizer data, and saves checkpoints.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../../torch/index.js';
import * as torch from '../../torch/index.js';
import { Evaluator, type MetricConfig } from '../evaluator/evaluator.js';
import { BaseMetric } from '../evaluator/metric.js';
import type { CheckpointHookOptions } from '../hooks/checkpoint_hook.js';
import { type AfterIterArgs, getPriority, type Hook, type IterArgs, type Priority, type Stage } from '../hooks/hook.js';
import type { LoggerHookOptions } from '../hooks/logger_hook.js';
import { buildHook, checkPriority, type HookConfig } from '../hooks/registry.js';
import { Logger, type LogLevel, setLogger } from '../logging/logger.js';
import { MessageHub } from '../logging/message_hub.js';
import type { BaseModel, LogVars } from '../model/base_model.js';
import { convertSyncBatchnorm, revertSyncBatchnorm } from '../model/utils.js';
import { DistributedDataParallel, type DistributedDataParallelOptions } from '../model/wrappers/distributed.js';
import { type BaseOptimWrapper, OptimWrapper, type OptimWrapperOptions } from '../optim/optim_wrapper.js';
import { buildOptimWrapper, type OptimWrapperCfg } from '../optim/optim_wrapper_constructor.js';
import { loadStateDict, weightsToCpu } from './checkpoint.js';
import { datasetMetaOf, sameDatasetMeta } from './dataset_meta.js';
import { type DefaultHookSpec, defaultHookList } from './default_hooks.js';
import { shardDataloaders } from './distributed_setup.js';
import { LogProcessor, type LogProcessorOptions } from './log_processor.js';
import { EpochBasedTrainLoop, EvalLoop, type EvaluatorLike, IterBasedTrainLoop } from './loops.js';
import { checkMapLocation, type MapLocationFn, placeTensors } from './map_location.js';
import {
  hasSchedulerConfigs,
  loadSchedulerStateDict,
  type ParamSchedulerOption,
  type ScheduledEntry,
  scheduledEntries,
  schedulerStateDict,
} from './param_schedulers.js';
import { compileReviseKeys, DEFAULT_REVISE_KEYS, type ReviseKeys, reviseKey, showValue } from './revise_keys.js';

/** What valEvaluator and testEvaluator take: an evaluator, or the metrics to make one of (as MMEngine's build_evaluator). */
export type EvaluatorSpec = EvaluatorLike | BaseMetric | MetricConfig | readonly (BaseMetric | MetricConfig)[];

function evaluatorOf(spec: EvaluatorSpec): EvaluatorLike {
  if (Array.isArray(spec) || spec instanceof BaseMetric) return new Evaluator(spec as BaseMetric | BaseMetric[]);
  const s = spec as Partial<EvaluatorLike> & { type?: unknown };
  if (typeof s.process === 'function' && typeof s.evaluate === 'function') return spec as EvaluatorLike;
  if (typeof s.type === 'string') return new Evaluator(spec as MetricConfig);
  throw new TypeError(
    'Runner: an evaluator must be an Evaluator (process, evaluate), a metric, a metric config ({type, ...}) or a list of them',
  );
}

/** `YYYYMMDD_HHMMSS` in local time, as MMEngine names runs and stamps checkpoints. */
function timestampOf(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** The default experiment names of this process's runners. */
const defaultNames = new Set<string>();

/**
 * `timestamp`, or `timestamp_2`, `_3`... where a runner of this process has it already: the name
 * picks the message hub, and two runners made within a second (a sweep over settings in one
 * script) would otherwise share one, and with it the runtime info (the best score so far).
 */
function uniqueName(timestamp: string): string {
  let name = timestamp;
  for (let k = 2; defaultNames.has(name); k++) name = `${timestamp}_${k}`;
  defaultNames.add(name);
  return name;
}

/** What the runner needs of a data loader (lib/engine/dataset's DataLoader). */
export interface DataLoaderLike extends AsyncIterable<unknown> {
  readonly length: number;
  readonly dataset?: unknown;
  setEpoch?(epoch: number): void;
}

/** What the loops call: the model itself, or its DistributedDataParallel wrapper. */
export interface ModelLike {
  trainStep(data: unknown, optimWrapper: BaseOptimWrapper): LogVars;
  valStep(data: unknown): unknown;
  testStep(data: unknown): unknown;
  train(mode?: boolean): unknown;
  eval(): unknown;
}

/** The process group that launcher 'pytorch' initialises when the script has not. */
export interface DistCfg {
  backend?: torch.distributed.Backend;
  /** Milliseconds (default PyTorch's 30 minutes). */
  timeout?: number;
}

/** What the runner needs of a visualizer (lib/engine/visualization). */
export interface VisualizerLike {
  /** `filePath`: a .json name that a local backend also appends the line to (MMEngine's `<timestamp>.json`). */
  addScalars(scalars: Record<string, number>, step: number, filePath?: string | null): void;
  close(): void;
}

export interface TrainCfg {
  byEpoch?: boolean;
  maxEpochs?: number;
  maxIters?: number;
  valInterval?: number;
  valBegin?: number;
  /** `[milestone, interval]` pairs that change valInterval as training goes on (see ValSchedule). */
  dynamicIntervals?: [number, number][];
}

/** A hook, or its config (`{type: 'EMAHook', priority: 'HIGH', ...options}`). */
export type HookSpec = Hook | HookConfig;

/**
 * The default hooks by key (MMEngine's default_hooks): each a hook, a config, null to remove
 * it, or (for the defaults) the default class's options; other keys add hooks (hook or config).
 */
export interface DefaultHooksCfg {
  runtimeInfo?: HookSpec | null;
  timer?: HookSpec | null;
  logger?: HookSpec | (LoggerHookOptions & { priority?: Priority }) | null;
  paramScheduler?: HookSpec | null;
  checkpoint?: HookSpec | (CheckpointHookOptions & { priority?: Priority }) | null;
  samplerSeed?: HookSpec | null;
  // Other keys add hooks; the options types are here only because the index must admit every key's.
  [name: string]:
    | DefaultHookSpec
    | (LoggerHookOptions & { priority?: Priority })
    | (CheckpointHookOptions & { priority?: Priority });
}

/** loadCheckpoint's options (MMEngine's load_checkpoint). */
export interface LoadCheckpointOptions {
  /** Where the tensors are loaded (default 'cpu'), as torch.load's: a device, or a function that gives each tensor's (MapLocationFn). */
  mapLocation?: Device | MapLocationFn;
  /** Every key must fit: what does not is an Error instead of a warning (default false). */
  strict?: boolean;
  /**
   * [pattern, replacement] pairs applied to every key in turn, as Python's re.sub: a string is a
   * regular expression, every match is replaced (a RegExp without `g` too), and the replacement
   * is JavaScript's (`$1`, not `\1`). Default `[[/^module\./, '']]`.
   */
  reviseKeys?: ReviseKeys;
}

/** resume's options (MMEngine's Runner.resume). */
export interface ResumeOptions {
  /** Restore the optimizer's state (default true). */
  resumeOptimizer?: boolean;
  /** Restore the parameter schedulers' state (default true). */
  resumeParamScheduler?: boolean;
  /** Where the tensors are loaded: 'default' (the default) is the runner's device; a device, or a function that gives each tensor's (MapLocationFn). */
  mapLocation?: Device | 'default' | MapLocationFn;
}

export interface RunnerOptions {
  model: BaseModel;
  workDir: string;
  experimentName?: string;
  trainDataloader?: DataLoaderLike | null;
  valDataloader?: DataLoaderLike | null;
  testDataloader?: DataLoaderLike | null;
  trainCfg?: TrainCfg | null;
  valCfg?: { fp16?: boolean } | null;
  testCfg?: { fp16?: boolean } | null;
  /** A wrapper, a wrapper's options around an optimizer, or a config with the optimizer as a config (see buildOptimWrapper). */
  optimWrapper?: BaseOptimWrapper | OptimWrapperOptions | OptimWrapperCfg | null;
  paramScheduler?: ParamSchedulerOption | null;
  /** An Evaluator (or anything evaluator-like), or its metrics: a metric, a metric config, or a list of them. */
  valEvaluator?: EvaluatorSpec | null;
  testEvaluator?: EvaluatorSpec | null;
  defaultHooks?: DefaultHooksCfg;
  /** Hooks or their configs; equal priorities run in the order given, after the default hooks. */
  customHooks?: HookSpec[];
  loadFrom?: string | null;
  /** true: resume from workDir/last_checkpoint (or loadFrom); a string: resume from that file. */
  resume?: boolean | string;
  randomness?: { seed?: number; deterministic?: boolean };
  /** 'pytorch': distributed data-parallel training over c10d, under `torch-node run` (see above). */
  launcher?: 'none' | 'pytorch';
  distCfg?: DistCfg;
  /** Options of the DistributedDataParallel wrapper (launcher 'pytorch'). */
  modelWrapperCfg?: DistributedDataParallelOptions;
  /**
   * MMEngine's `sync_bn`: 'torch' turns every batch norm into a SyncBatchNorm when training is
   * distributed. Not distributed, SyncBatchNorm layers are reverted to plain batch norms anyway.
   */
  syncBn?: 'torch' | null;
  /** Where the model runs; default CUDA when available, else the CPU. */
  device?: Device;
  logLevel?: LogLevel;
  /** How the LoggerHook's lines are made: window, customCfg, digits (MMEngine's log_processor). */
  logProcessor?: LogProcessor | LogProcessorOptions;
  visualizer?: VisualizerLike | ((logDir: string) => VisualizerLike) | null;
}

/**
 * Each process of a distributed run on GPUs takes the GPU of its LOCAL_RANK: more processes on a
 * node than GPUs would leave one without a device, and the others waiting for it in their first
 * collective. Said here, before the process group exists, instead.
 */
function checkLocalGpu(): void {
  const localRank = Number(process.env.LOCAL_RANK ?? 0);
  const gpus = torch.cuda.deviceCount();
  if (localRank >= gpus) {
    throw new Error(
      `Runner: this process has LOCAL_RANK ${localRank}, but this machine has ${gpus} GPU(s): start at most ${gpus} processes per node, or pass device: 'cpu' to train on the CPU over Gloo`,
    );
  }
}

export class Runner {
  /** Writable so that a hook may test with another model (PrepareTTAHook puts a TTA model here for test()). */
  model: BaseModel;
  readonly workDir: string;
  readonly experimentName: string;
  readonly timestamp: string;
  readonly logDir: string;
  readonly logger: Logger;
  readonly logProcessor: LogProcessor;
  readonly messageHub: MessageHub;
  readonly trainDataloader: DataLoaderLike | null;
  readonly valDataloader: DataLoaderLike | null;
  readonly testDataloader: DataLoaderLike | null;
  readonly device: Device;
  /** The run's seed: randomness.seed, else a random one; a resumed run takes its checkpoint's. */
  seed: number;
  optimWrapper: BaseOptimWrapper | null;
  /** The schedulers in order; made of configs when train() starts (as MMEngine builds them), else at construction. */
  readonly paramSchedulers: ScheduledEntry[] = [];
  private schedulersInstalled = false;
  /** Whether loadFrom or resume has been loaded (see loadOrResume). */
  private hasLoaded = false;
  /** The evaluators made of valEvaluator and testEvaluator (once each). */
  private readonly evaluators = new Map<'val' | 'test', EvaluatorLike>();
  readonly hooks: Hook[] = [];
  visualizer: VisualizerLike | null;
  trainLoop: EpochBasedTrainLoop | IterBasedTrainLoop | null = null;
  private resuming = false;
  valLoop: EvalLoop | null = null;
  testLoop: EvalLoop | null = null;
  epoch = 0;
  iter = 0;
  /** This process's rank and the number of ranks (0 and 1 unless launcher 'pytorch'). */
  readonly rank: number;
  readonly worldSize: number;
  readonly distributed: boolean;
  private ddp: DistributedDataParallel | null = null;
  private readonly options: RunnerOptions;

  constructor(options: RunnerOptions) {
    this.options = options;
    if (!options.model) throw new Error('Runner: `model` is required');
    const launcher = options.launcher ?? 'none';
    if (launcher !== 'none' && launcher !== 'pytorch') {
      throw new Error(`Runner: launcher must be 'none' or 'pytorch', got '${String(launcher)}'`);
    }
    this.distributed = launcher === 'pytorch';
    const dist = torch.distributed;
    // A run asked to stay on the CPU talks over Gloo: NCCL only moves CUDA tensors.
    const onCpu = options.device !== undefined && String(options.device).startsWith('cpu');
    if (this.distributed && !dist.isInitialized()) {
      if (options.device === undefined && torch.cuda.isAvailable()) checkLocalGpu();
      const backend = options.distCfg?.backend ?? (onCpu ? 'gloo' : undefined);
      dist.initProcessGroup({
        ...(backend ? { backend } : {}),
        ...(options.distCfg?.timeout ? { timeout: options.distCfg.timeout } : {}),
      });
    }
    this.rank = this.distributed ? dist.getRank() : 0;
    this.worldSize = this.distributed ? dist.getWorldSize() : 1;
    const synced = <T>(value: T): T => (this.distributed ? dist.broadcastObject(value, 0) : value);
    this.model = options.model;
    this.workDir = options.workDir;
    this.timestamp = synced(timestampOf(new Date()));
    this.experimentName = options.experimentName ?? uniqueName(this.timestamp);
    this.logDir = join(this.workDir, this.timestamp);
    const level = this.rank === 0 ? options.logLevel : 'error';
    this.logger = new Logger('torch-node', level ? { level } : undefined);
    if (this.rank === 0) {
      mkdirSync(this.logDir, { recursive: true });
      const logFile = join(this.logDir, `${this.timestamp}.log`);
      this.logger.sinks.push((line) => appendFileSync(logFile, `${line}\n`));
    }
    // The engine's own messages (initWeights, warnings) go to this run's log too.
    setLogger(this.logger);
    const lp = options.logProcessor;
    this.logProcessor = lp instanceof LogProcessor ? lp : new LogProcessor(lp);
    this.messageHub = MessageHub.getInstance(this.experimentName);
    this.seed = synced(options.randomness?.seed ?? Math.floor(Math.random() * 2 ** 31));
    torch.manualSeed(this.seed);
    this.trainDataloader = options.trainDataloader ?? null;
    this.valDataloader = options.valDataloader ?? null;
    this.testDataloader = options.testDataloader ?? null;
    const cuda = torch.cuda.isAvailable();
    this.device = options.device ?? (cuda ? (this.distributed ? `cuda:${dist.getLocalRank()}` : 'cuda') : 'cpu');
    const loaders = [this.trainDataloader, this.valDataloader, this.testDataloader];
    // Loaders made without a seed take the run's, as MMEngine builds its loaders with it.
    for (const l of loaders) (l as { _adoptSeed?(seed: number): void } | null)?._adoptSeed?.(this.seed);
    if (this.distributed) shardDataloaders(this, loaders, this.seed);
    this.model.to({ device: this.device });
    const ow = options.optimWrapper ?? null;
    this.optimWrapper =
      ow === null
        ? null
        : 'updateParams' in ow
          ? ow
          : ow.optimizer instanceof torch.optim.Optimizer
            ? new OptimWrapper(ow as OptimWrapperOptions)
            : buildOptimWrapper(this.model, ow as OptimWrapperCfg);
    // Schedulers given as objects are the runner's now; configs are built when training starts.
    if (!hasSchedulerConfigs(this.options.paramScheduler)) this.installSchedulers();
    const vis = this.rank === 0 ? (options.visualizer ?? null) : null;
    this.visualizer = typeof vis === 'function' ? vis(join(this.logDir, 'vis_data')) : vis;
    this.registerHooks(options.defaultHooks ?? {}, options.customHooks ?? []);
    const where = this.distributed ? `, rank ${this.rank} of ${this.worldSize} (${dist.getBackend()})` : '';
    this.logger.info(`Runner: seed ${this.seed}, device ${this.device}${where}, work dir ${this.workDir}`);
  }

  /** What the loops call: the DistributedDataParallel wrapper under launcher 'pytorch' (once training or evaluation has started), else the model. */
  get wrappedModel(): ModelLike {
    // A model that a hook put in place of the wrapped one (a TTA model) is called itself.
    return this.ddp?.module === this.model ? this.ddp : this.model;
  }

  /** Wraps the model for distributed training, once: after its weights were initialised or loaded, so that rank 0's reach every rank. */
  private wrapModel(): void {
    if (this.ddp) return;
    if (!this.distributed) {
      // MMEngine's wrap_model: SyncBatchNorm needs a process group; alone it is a batch norm.
      if (this.model.modules().some((m) => m instanceof torch.nn.SyncBatchNorm)) {
        this.logger.info(
          'Distributed training is not used, all SyncBatchNorm (SyncBN) layers in the model will be automatically reverted to BatchNormXd layers if they are used.',
        );
        revertSyncBatchnorm(this.model);
      }
      return;
    }
    const syncBn = this.options.syncBn;
    if (syncBn !== undefined && syncBn !== null) convertSyncBatchnorm(this.model, syncBn);
    this.ddp = new DistributedDataParallel(this.model, this.options.modelWrapperCfg ?? {});
  }

  // ---- parameter schedulers

  /**
   * Makes `paramSchedulers` of the paramScheduler option, once: configs are built over the
   * optimizer wrapper with the train loop's length as their default `end` and the train
   * loader's length for convertToIterBased (see param_schedulers.ts).
   */
  private installSchedulers(): void {
    if (this.schedulersInstalled) return;
    this.schedulersInstalled = true;
    const entries = scheduledEntries(this.options.paramScheduler ?? [], this.optimWrapper, {
      ...(this.trainDataloader ? { epochLength: this.trainDataloader.length } : {}),
      ...(this.trainLoop ? { maxEpochs: this.maxEpochs, maxIters: this.maxIters } : {}),
    });
    this.paramSchedulers.push(...entries);
  }

  // ---- hooks

  /** MMEngine's register_hooks: the default hooks, then the custom ones. */
  private registerHooks(defaults: DefaultHooksCfg, custom: HookSpec[]): void {
    for (const hook of defaultHookList(defaults)) this.registerHook(hook);
    if (!Array.isArray(custom)) {
      throw new TypeError(`Runner: customHooks should be an array of hooks or hook configs, got ${showValue(custom)}`);
    }
    custom.forEach((hook, i) => {
      this.registerHook(buildHook(hook, `customHooks[${i}]`));
    });
  }

  /**
   * Adds a hook (or builds one of a config) after those of lower or equal priority, as MMEngine's
   * register_hook: `priority` given here replaces the hook's (and a config's).
   */
  registerHook(hook: HookSpec, priority?: Priority): void {
    if (priority !== undefined) checkPriority(priority, 'registerHook');
    const built = buildHook(hook, 'registerHook');
    if (priority !== undefined) built.priority = priority;
    const p = checkPriority(built.priority, `registerHook: ${built.constructor.name}`);
    const at = this.hooks.findIndex((h) => getPriority(h.priority) > p);
    if (at < 0) this.hooks.push(built);
    else this.hooks.splice(at, 0, built);
  }

  callHook(stage: Stage, arg?: IterArgs | AfterIterArgs | Record<string, unknown>): void {
    for (const hook of this.hooks) {
      const fn = hook[stage] as (runner: Runner, a?: unknown) => void;
      try {
        fn.call(hook, this, arg);
      } catch (e) {
        if (e instanceof TypeError) e.message += ` in ${hook.constructor.name}`;
        throw e;
      }
    }
  }

  // ---- properties the hooks read

  get byEpoch(): boolean {
    return (
      this.trainLoop instanceof EpochBasedTrainLoop ||
      (this.trainLoop === null && (this.options.trainCfg?.byEpoch ?? true))
    );
  }

  get maxEpochs(): number {
    return this.trainLoop?.maxEpochs ?? 0;
  }

  get maxIters(): number {
    return this.trainLoop?.maxIters ?? 0;
  }

  requireOptimWrapper(): BaseOptimWrapper {
    if (!this.optimWrapper) throw new Error('Runner: training needs an `optimWrapper`');
    return this.optimWrapper;
  }

  // ---- building

  private buildTrainLoop(): EpochBasedTrainLoop | IterBasedTrainLoop {
    const cfg = this.options.trainCfg;
    if (!cfg || !this.trainDataloader) throw new Error('Runner.train() needs `trainDataloader` and `trainCfg`');
    const byEpoch = cfg.byEpoch ?? cfg.maxIters === undefined;
    const schedule = { valBegin: cfg.valBegin, valInterval: cfg.valInterval, dynamicIntervals: cfg.dynamicIntervals };
    if (byEpoch) return new EpochBasedTrainLoop(this, cfg.maxEpochs ?? 1, schedule);
    if (cfg.maxIters === undefined) throw new Error('trainCfg: an iteration-based loop needs `maxIters`');
    return new IterBasedTrainLoop(this, cfg.maxIters, schedule);
  }

  private buildEvalLoop(mode: 'val' | 'test'): EvalLoop | null {
    const loader = mode === 'val' ? this.valDataloader : this.testDataloader;
    const spec = mode === 'val' ? this.options.valEvaluator : this.options.testEvaluator;
    if (!loader || !spec) return null;
    let evaluator = this.evaluators.get(mode);
    if (!evaluator) {
      evaluator = evaluatorOf(spec);
      this.evaluators.set(mode, evaluator);
    }
    const cfg = mode === 'val' ? this.options.valCfg : this.options.testCfg;
    return new EvalLoop(this, mode, evaluator, cfg?.fp16 ?? false);
  }

  // ---- entry points

  async train(): Promise<BaseModel> {
    if (typeof this.model.trainStep !== 'function') throw new Error('The model must have trainStep');
    this.trainLoop = this.buildTrainLoop();
    this.requireOptimWrapper();
    this.installSchedulers();
    this.valLoop = this.buildEvalLoop('val');
    this.callHook('beforeRun');
    if (typeof this.model.initWeights === 'function') this.model.initWeights();
    this.loadOrResume();
    this.wrapModel();
    this.requireOptimWrapper().initializeCountStatus(this.model, this.iter, this.maxIters);
    try {
      await this.trainLoop.run();
    } finally {
      this.callHook('afterRun');
      this.visualizer?.close();
    }
    return this.model;
  }

  async val(): Promise<Record<string, unknown>> {
    this.valLoop = this.buildEvalLoop('val');
    if (!this.valLoop) throw new Error('Runner.val() needs `valDataloader` and `valEvaluator`');
    this.callHook('beforeRun');
    this.loadOrResume();
    this.wrapModel();
    const metrics = await this.valLoop.run();
    this.callHook('afterRun');
    return metrics;
  }

  async test(): Promise<Record<string, unknown>> {
    this.testLoop = this.buildEvalLoop('test');
    if (!this.testLoop) throw new Error('Runner.test() needs `testDataloader` and `testEvaluator`');
    this.callHook('beforeRun');
    this.loadOrResume();
    this.wrapModel();
    const metrics = await this.testLoop.run();
    this.callHook('afterRun');
    return metrics;
  }

  // ---- checkpoints

  /**
   * Loads `loadFrom` or resumes, once per runner: `train()` then `test()` tests the trained
   * weights, not the checkpoint's again.
   */
  private loadOrResume(): void {
    if (this.hasLoaded) return;
    const { resume, loadFrom } = this.options;
    if (resume) {
      let path: string | null = typeof resume === 'string' ? resume : (loadFrom ?? null);
      if (!path) {
        const last = join(this.workDir, 'last_checkpoint');
        path = existsSync(last) ? readFileSync(last, 'utf8').trim() : null;
        if (!path) this.logger.warning('resume: no checkpoint in the work dir; training from scratch');
      }
      if (path) {
        this.resume(path);
        this.hasLoaded = true;
      }
    } else if (loadFrom) {
      this.loadCheckpoint(loadFrom);
      this.hasLoaded = true;
    }
  }

  /** The checkpoint's contents: meta, state_dict, message_hub, optimizer, param_schedulers, rng_state. */
  makeCheckpoint(options?: {
    byEpoch?: boolean;
    saveOptimizer?: boolean;
    saveParamScheduler?: boolean;
    meta?: Record<string, unknown>;
  }): Record<string, unknown> {
    const given = options?.meta;
    // As MMEngine's TypeError: spreading a string or an array would make keys of its characters or indices.
    if (given != null && (typeof given !== 'object' || Array.isArray(given) || given instanceof Map)) {
      throw new TypeError(
        `Runner.saveCheckpoint: meta should be an object or null, but got ${Array.isArray(given) ? 'an array' : showValue(given)}`,
      );
    }
    const byEpoch = options?.byEpoch ?? this.byEpoch;
    const meta: Record<string, unknown> = {
      epoch: byEpoch ? this.epoch + 1 : this.epoch,
      iter: byEpoch ? this.iter : this.iter + 1,
      ...options?.meta,
    };
    const build = torch.buildInfo();
    Object.assign(meta, {
      seed: this.seed,
      experiment_name: this.experimentName,
      time: timestampOf(new Date()), // when it was saved
      torch_node_version: build.version,
      libtorch_version: build.libtorch,
    });
    // As MMEngine: the train dataset's metainfo, which a resume compares with its own.
    const datasetMeta = datasetMetaOf(this.trainDataloader);
    if (datasetMeta !== null) meta.dataset_meta = datasetMeta;
    const checkpoint: Record<string, unknown> = {
      meta,
      state_dict: torch.noGrad(() => weightsToCpu(this.model.stateDict())),
      message_hub: this.messageHub.stateDict(),
      rng_state: torch.getRngState(),
    };
    if ((options?.saveOptimizer ?? true) && this.optimWrapper) checkpoint.optimizer = this.optimWrapper.stateDict();
    if ((options?.saveParamScheduler ?? true) && this.paramSchedulers.length) {
      checkpoint.param_schedulers = schedulerStateDict(this.paramSchedulers);
    }
    return checkpoint;
  }

  /** Writes a checkpoint (rank 0 only: other ranks return the path and write nothing). */
  saveCheckpoint(outDir: string, filename: string, options?: Parameters<Runner['makeCheckpoint']>[0]): string {
    const path = join(outDir, filename);
    if (this.rank !== 0) return path;
    mkdirSync(outDir, { recursive: true });
    torch.scope(() => {
      const checkpoint = this.makeCheckpoint(options);
      this.callHook('beforeSaveCheckpoint', checkpoint);
      torch.save(checkpoint, path);
    });
    return path;
  }

  /**
   * Loads the model's weights from a checkpoint or a bare state dict, as MMEngine's
   * load_checkpoint, and returns the checkpoint (as loaded, after the afterLoadCheckpoint hooks;
   * its `state_dict` keys unrevised), its tensors on `mapLocation` (default 'cpu'). Non-strictly
   * by default (what does not fit, keys or shapes, is a warning and the rest is loaded),
   * strictly an Error. `reviseKeys` rewrites the keys first (see LoadCheckpointOptions); the
   * default strips a DistributedDataParallel's `module.` (MMEngine's pattern leaves the dot
   * unescaped, which also cuts 'modules.'; this one does not).
   */
  loadCheckpoint(filename: string, options?: LoadCheckpointOptions): Record<string, unknown> {
    // Checked before the file is read: a bad entry would otherwise surface deep inside the load.
    const revise = compileReviseKeys(options?.reviseKeys ?? DEFAULT_REVISE_KEYS);
    const mapLocation = checkMapLocation(options?.mapLocation ?? 'cpu', 'Runner.loadCheckpoint');
    return torch.scope(() => {
      const checkpoint = (
        typeof mapLocation === 'function'
          ? placeTensors(torch.load(filename, { mapLocation: 'cpu' }), mapLocation)
          : torch.load(filename, { mapLocation })
      ) as Record<string, unknown>;
      this.callHook('afterLoadCheckpoint', checkpoint);
      const raw = (checkpoint.state_dict ?? checkpoint) as Record<string, torch.Tensor>;
      const sd: Record<string, torch.Tensor> = {};
      for (const [k, v] of Object.entries(raw)) sd[reviseKey(k, revise)] = v;
      // Only rank 0 reports what did not fit; strict, every rank throws.
      loadStateDict(this.model, sd, { strict: options?.strict ?? false, logger: this.rank === 0 ? this.logger : null });
      this.hasLoaded = true;
      this.logger.info(`Load checkpoint from ${filename}`);
      return checkpoint;
    });
  }

  /**
   * Restores everything a training run needs to continue exactly where the checkpoint was made,
   * as MMEngine's Runner.resume: the weights (loadCheckpoint), epoch and iter, the seed, the
   * message hub, the optimizer (unless resumeOptimizer is false), the parameter schedulers
   * (unless resumeParamScheduler is false) and the random state. A checkpoint whose
   * meta.dataset_meta differs from the train dataset's metainfo is a warning.
   */
  resume(filename: string, options?: ResumeOptions): void {
    const resumeOptimizer = options?.resumeOptimizer ?? true;
    let resumeParamScheduler = options?.resumeParamScheduler ?? true;
    for (const [name, v] of [
      ['resumeOptimizer', resumeOptimizer],
      ['resumeParamScheduler', resumeParamScheduler],
    ] as const) {
      if (typeof v !== 'boolean') throw new TypeError(`Runner.resume: ${name} must be a boolean, got ${showValue(v)}`);
    }
    const given = options?.mapLocation ?? 'default';
    const mapLocation = given === 'default' ? this.device : checkMapLocation(given, 'Runner.resume');
    // Schedulers given as configs are built now, over the train loop's length, to take the state.
    if (!this.schedulersInstalled && this.options.trainCfg && this.trainDataloader) {
      this.trainLoop ??= this.buildTrainLoop();
      this.installSchedulers();
    }
    this.resuming = true;
    try {
      torch.scope(() => {
        const checkpoint = this.loadCheckpoint(filename, { mapLocation });
        const meta = (checkpoint.meta ?? {}) as Record<string, unknown>;
        this.epoch = (meta.epoch as number | undefined) ?? 0;
        this.iter = (meta.iter as number | undefined) ?? 0;
        this.resumeSeed(meta.seed);
        if (!sameDatasetMeta(meta.dataset_meta, datasetMetaOf(this.trainDataloader))) {
          this.logger.warning(
            'The dataset metainfo from the resumed checkpoint is different from the current training dataset, please check the correctness of the checkpoint or the training dataset.',
          );
        }
        if (checkpoint.message_hub) this.messageHub.loadStateDict(checkpoint.message_hub as Record<string, unknown>);
        if (checkpoint.optimizer && resumeOptimizer && this.optimWrapper) {
          this.optimWrapper.loadStateDict(checkpoint.optimizer);
        }
        if (resumeParamScheduler && this.paramSchedulers.length === 0 && checkpoint.param_schedulers) {
          this.logger.warning(
            '`resumeParamScheduler` is true but the runner has no parameter schedulers, so skip resuming parameter schedulers',
          );
          resumeParamScheduler = false;
        }
        if (checkpoint.param_schedulers && resumeParamScheduler) {
          loadSchedulerStateDict(this.paramSchedulers, checkpoint.param_schedulers);
        }
        // The state is loaded with the rest onto the runner's device; setRngState takes a CPU one.
        if (checkpoint.rng_state instanceof torch.Tensor) torch.setRngState(checkpoint.rng_state.cpu());
        this.logger.info(`resumed epoch: ${this.epoch}, iter: ${this.iter}`);
      });
    } finally {
      this.resuming = false;
    }
  }

  /** Whether a checkpoint being loaded is resumed from (for the afterLoadCheckpoint hooks: EMAHook). */
  get isResuming(): boolean {
    return this.resuming;
  }

  /**
   * The run goes on with the seed it started with (as MMEngine's resume): its loaders' order and
   * augmentations continue where they were. A different randomness.seed is a warning.
   */
  private resumeSeed(seed: unknown): void {
    if (typeof seed !== 'number' || seed === this.seed) return;
    if (this.options.randomness?.seed !== undefined) {
      this.logger.warning(
        `The seed in the checkpoint (${seed}) differs from randomness.seed (${this.seed}); the checkpoint's is used`,
      );
    }
    this.seed = seed;
    torch.manualSeed(this.seed);
    for (const l of [this.trainDataloader, this.valDataloader, this.testDataloader]) {
      (l as { _adoptSeed?(seed: number): void } | null)?._adoptSeed?.(this.seed);
    }
  }
}
