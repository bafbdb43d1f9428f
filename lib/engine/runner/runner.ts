// The Runner: trains, validates and tests a BaseModel, as MMEngine's Runner.
//
//   const runner = new Runner({model, workDir, trainDataloader, valDataloader, trainCfg:
//     {maxEpochs: 2}, optimWrapper: {optimizer: new optim.SGD(model.parameters(), {lr: 0.01})},
//     valEvaluator: new Accuracy()});   // a metric, its config, a list, or an Evaluator
//   await runner.train();
//
// Everything is passed as objects (there is no config registry). The order of train() follows
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
import { CheckpointHook, type CheckpointHookOptions } from '../hooks/checkpoint_hook.js';
import { DistSamplerSeedHook } from '../hooks/dist_sampler_seed_hook.js';
import { type AfterIterArgs, Hook, type IterArgs, priorityValue, type Stage } from '../hooks/hook.js';
import { IterTimerHook } from '../hooks/iter_timer_hook.js';
import { LoggerHook, type LoggerHookOptions } from '../hooks/logger_hook.js';
import { ParamSchedulerHook } from '../hooks/param_scheduler_hook.js';
import { RuntimeInfoHook } from '../hooks/runtime_info_hook.js';
import { Logger, type LogLevel, setLogger } from '../logging/logger.js';
import { MessageHub } from '../logging/message_hub.js';
import type { BaseModel, LogVars } from '../model/base_model.js';
import { DistributedDataParallel, type DistributedDataParallelOptions } from '../model/wrappers/distributed.js';
import { type BaseOptimWrapper, OptimWrapper, type OptimWrapperOptions } from '../optim/optim_wrapper.js';
import { buildOptimWrapper, type OptimWrapperCfg } from '../optim/optim_wrapper_constructor.js';
import { loadStateDict } from './checkpoint.js';
import { shardDataloaders } from './distributed_setup.js';
import { LogProcessor, type LogProcessorOptions } from './log_processor.js';
import { EpochBasedTrainLoop, EvalLoop, type EvaluatorLike, IterBasedTrainLoop } from './loops.js';
import {
  hasSchedulerConfigs,
  loadSchedulerStateDict,
  type ParamSchedulerOption,
  type ScheduledEntry,
  scheduledEntries,
  schedulerStateDict,
} from './param_schedulers.js';

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

export interface DefaultHooksCfg {
  runtimeInfo?: Hook | null;
  timer?: Hook | null;
  logger?: Hook | LoggerHookOptions | null;
  paramScheduler?: Hook | null;
  checkpoint?: Hook | CheckpointHookOptions | null;
  samplerSeed?: Hook | null;
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
  customHooks?: Hook[];
  loadFrom?: string | null;
  /** true: resume from workDir/last_checkpoint (or loadFrom); a string: resume from that file. */
  resume?: boolean | string;
  randomness?: { seed?: number; deterministic?: boolean };
  /** 'pytorch': distributed data-parallel training over c10d, under `torch-node run` (see above). */
  launcher?: 'none' | 'pytorch';
  distCfg?: DistCfg;
  /** Options of the DistributedDataParallel wrapper (launcher 'pytorch'). */
  modelWrapperCfg?: DistributedDataParallelOptions;
  /** Where the model runs; default CUDA when available, else the CPU. */
  device?: Device;
  logLevel?: LogLevel;
  /** How the LoggerHook's lines are made: window, customCfg, digits (MMEngine's log_processor). */
  logProcessor?: LogProcessor | LogProcessorOptions;
  visualizer?: VisualizerLike | ((logDir: string) => VisualizerLike) | null;
}

const isHook = (x: unknown): x is Hook => x instanceof Hook;

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
  readonly model: BaseModel;
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
    return this.ddp ?? this.model;
  }

  /** Wraps the model for distributed training, once: after its weights were initialised or loaded, so that rank 0's reach every rank. */
  private wrapModel(): void {
    if (!this.distributed || this.ddp) return;
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

  private registerHooks(defaults: DefaultHooksCfg, custom: Hook[]): void {
    const pick = (v: unknown, make: () => Hook): Hook | null => {
      if (v === null) return null;
      if (isHook(v)) return v;
      return make();
    };
    const d = defaults;
    const list = [
      pick(d.runtimeInfo, () => new RuntimeInfoHook()),
      pick(d.timer, () => new IterTimerHook()),
      pick(d.samplerSeed, () => new DistSamplerSeedHook()),
      pick(d.logger, () => new LoggerHook(d.logger as { interval?: number; progressBar?: boolean } | undefined)),
      pick(d.paramScheduler, () => new ParamSchedulerHook()),
      pick(d.checkpoint, () => new CheckpointHook(d.checkpoint as CheckpointHookOptions | undefined)),
    ];
    for (const h of [...list, ...custom]) if (h) this.registerHook(h);
  }

  /** Adds a hook, after those of higher or equal priority. */
  registerHook(hook: Hook): void {
    if (!isHook(hook)) throw new TypeError('registerHook: expected a Hook');
    const p = priorityValue(hook.priority);
    const at = this.hooks.findIndex((h) => priorityValue(h.priority) > p);
    if (at < 0) this.hooks.push(hook);
    else this.hooks.splice(at, 0, hook);
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
    const checkpoint: Record<string, unknown> = {
      meta,
      state_dict: torch.noGrad(() =>
        Object.fromEntries(Object.entries(this.model.stateDict()).map(([k, v]) => [k, v.cpu()])),
      ),
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
   * Loads the model's weights from a checkpoint or a bare state dict: non-strictly by default
   * (what does not fit, keys or shapes, is a warning and the rest is loaded), strictly an Error.
   * `reviseKeys` rewrites the checkpoint's keys first, each [pattern, replacement] in turn (as
   * String.replace); the default strips a DistributedDataParallel's `module.` (MMEngine's
   * pattern leaves the dot unescaped, which also cuts 'modules.'; this one does not).
   */
  loadCheckpoint(
    path: string,
    options?: { strict?: boolean; reviseKeys?: [RegExp | string, string][] },
  ): Record<string, unknown> {
    // Checked before the file is read: a bad entry would otherwise surface as String.replace's own TypeError.
    const revise = checkReviseKeys(options?.reviseKeys ?? [[/^module\./, '']]);
    return torch.scope(() => {
      const checkpoint = torch.load(path) as Record<string, unknown>;
      this.callHook('afterLoadCheckpoint', checkpoint);
      const raw = (checkpoint.state_dict ?? checkpoint) as Record<string, torch.Tensor>;
      const sd: Record<string, torch.Tensor> = {};
      for (const [k, v] of Object.entries(raw)) sd[revise.reduce((key, [p, r]) => key.replace(p, r), k)] = v;
      // Only rank 0 reports what did not fit; strict, every rank throws.
      loadStateDict(this.model, sd, { strict: options?.strict ?? false, logger: this.rank === 0 ? this.logger : null });
      this.logger.info(`Load checkpoint from ${path}`);
      return { meta: checkpoint.meta };
    });
  }

  /** Restores everything a training run needs to continue exactly where the checkpoint was made. */
  resume(path: string): void {
    this.resuming = true;
    try {
      this.resumeFrom(path);
    } finally {
      this.resuming = false;
    }
  }

  /** Whether a checkpoint being loaded is resumed from (for the afterLoadCheckpoint hooks: EMAHook). */
  get isResuming(): boolean {
    return this.resuming;
  }

  private resumeFrom(path: string): void {
    torch.scope(() => {
      const checkpoint = torch.load(path) as Record<string, unknown>;
      this.callHook('afterLoadCheckpoint', checkpoint);
      const meta = (checkpoint.meta ?? {}) as Record<string, number>;
      this.model.loadStateDict(checkpoint.state_dict as Record<string, torch.Tensor>);
      this.epoch = meta.epoch ?? 0;
      this.iter = meta.iter ?? 0;
      if (meta.seed !== undefined && meta.seed !== this.seed) {
        // The run goes on with the seed it started with (as MMEngine's resume): its loaders'
        // order and augmentations continue where they were.
        if (this.options.randomness?.seed !== undefined) {
          this.logger.warning(
            `The seed in the checkpoint (${meta.seed}) differs from randomness.seed (${this.seed}); the checkpoint's is used`,
          );
        }
        this.seed = meta.seed;
        torch.manualSeed(this.seed);
        for (const l of [this.trainDataloader, this.valDataloader, this.testDataloader]) {
          (l as { _adoptSeed?(seed: number): void } | null)?._adoptSeed?.(this.seed);
        }
      }
      if (checkpoint.message_hub) this.messageHub.loadStateDict(checkpoint.message_hub as Record<string, unknown>);
      if (checkpoint.optimizer && this.optimWrapper) this.optimWrapper.loadStateDict(checkpoint.optimizer);
      if (checkpoint.param_schedulers) loadSchedulerStateDict(this.paramSchedulers, checkpoint.param_schedulers);
      if (checkpoint.rng_state instanceof torch.Tensor) torch.setRngState(checkpoint.rng_state);
      this.logger.info(`resumed epoch: ${this.epoch}, iter: ${this.iter}`);
    });
  }
}

/** A value for an error message: a RegExp as its source, a string quoted, a pair as [a, b]. */
function showValue(v: unknown): string {
  if (v instanceof RegExp) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (v === null || typeof v !== 'object') return String(v);
  return `an object of class ${v.constructor?.name ?? '(anonymous)'}`;
}

/** loadCheckpoint's reviseKeys, checked: an array of [pattern (string or RegExp), replacement (string)] pairs. */
function checkReviseKeys(value: unknown): [RegExp | string, string][] {
  const what = 'Runner.loadCheckpoint: reviseKeys';
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} must be an array of [pattern, replacement] pairs, got ${showValue(value)}`);
  }
  value.forEach((entry, i) => {
    const pair = Array.isArray(entry) && entry.length === 2;
    if (pair && (typeof entry[0] === 'string' || entry[0] instanceof RegExp) && typeof entry[1] === 'string') return;
    // A lone pair (MMEngine's revise_keys is a list of them too) is the likely slip.
    const lone =
      i === 0 && value.length === 2 && (typeof entry === 'string' || entry instanceof RegExp)
        ? `; for a single pair write [[${showValue(value[0])}, ${showValue(value[1])}]]`
        : '';
    const why = !pair
      ? 'is not a [pattern, replacement] pair'
      : typeof entry[0] === 'string' || entry[0] instanceof RegExp
        ? 'has a replacement that is not a string'
        : 'has a pattern that is not a string or a RegExp';
    throw new TypeError(`${what}[${i}] ${why}: ${showValue(entry)}${lone}`);
  });
  return value as [RegExp | string, string][];
}
