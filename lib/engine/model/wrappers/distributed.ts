// DistributedDataParallel: MMEngine's MMDistributedDataParallel over PyTorch's own DDP engine.
//
//   torch.distributed.initProcessGroup();              // under `torch-node run`
//   const ddp = new DistributedDataParallel(model);   // rank 0's weights everywhere
//   ddp.trainStep(batch, optimWrapper);                // gradients averaged over the ranks
//
// At construction, rank 0's parameters and buffers are broadcast to every rank, and c10d's
// Reducer is attached to the parameters (torch.distributed.Reducer): during backward it
// all-reduces gradients in buckets (25 MiB; after the first iteration, ordered as gradients
// arrive), each bucket as soon as its gradients are ready, overlapping the rest of backward;
// backward returns with every rank holding the average gradient. Each forward through the
// wrapper arms the Reducer (and first broadcasts rank 0's buffers, with broadcastBuffers), as
// PyTorch's DistributedDataParallel.forward does; inside `noSync` it does not, so gradients
// accumulate locally until the next synchronised backward (OptimWrapper.optimContext uses it for
// gradient accumulation). Steps follow the spec's section 6.7: trainStep preprocesses and runs
// the forward through the wrapper; valStep and testStep go to the module directly.
import * as torch from '../../../torch/index.js';
import { getLogger } from '../../logging/logger.js';
import type { BaseOptimWrapper } from '../../optim/optim_wrapper.js';
import { BaseModel, callForward, type ForwardMode, type LogVars, type LossDict } from '../base_model.js';

type Tensor = torch.Tensor;

export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (default 25). */
  bucketCapMb?: number;
  /** Find, after each forward, the parameters that backward will not reach (default false: every parameter must get a gradient). */
  findUnusedParameters?: boolean;
  /** Broadcast rank 0's buffers (BatchNorm statistics) before each synchronised forward (default true). */
  broadcastBuffers?: boolean;
  /** `param.grad` as a view into its bucket: one copy less (default false). */
  gradientAsBucketView?: boolean;
  /** Log, after each trainStep, the parameters that the loss does not depend on (a debugging aid; costs a second backward pass). */
  detectAnomalousParams?: boolean;
}

/** The tensors in a forward's output (arrays and plain objects searched), for findUnusedParameters. */
function findTensors(value: unknown, out: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof torch.Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) findTensors(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) findTensors(v, out, seen);
  return out;
}

export class DistributedDataParallel<M extends BaseModel = BaseModel> extends torch.nn.Module {
  readonly module: M;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  readonly detectAnomalousParams: boolean;
  /** False inside `noSync`: backward accumulates gradients locally. */
  requireBackwardGradSync = true;
  /** Whether the last forward was synchronised (buffers are broadcast only then, as PyTorch does). */
  private requireForwardParamSync = true;
  /** c10d's Reducer, which synchronises the gradients. */
  readonly reducer: torch.distributed.Reducer;
  private readonly paramNames: Map<torch.nn.Parameter, string>;

  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    if (!torch.distributed.isInitialized()) {
      throw new Error(
        'DistributedDataParallel: the default process group is not initialized; call torch.distributed.initProcessGroup() first',
      );
    }
    this.module = module;
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    this.findUnusedParameters = options.findUnusedParameters ?? false;
    this.detectAnomalousParams = options.detectAnomalousParams ?? false;
    const named = module.namedParameters().filter(([, p]) => p.requiresGrad);
    this.paramNames = new Map(named.map(([n, p]) => [p, n]));
    // Every rank starts from rank 0's weights and buffers.
    torch.distributed.broadcastCoalesced([...module.parameters(), ...module.buffers()], 0);
    this.reducer = new torch.distributed.Reducer(
      named.map(([, p]) => p),
      named.map(([n]) => n),
      {
        ...(options.bucketCapMb !== undefined ? { bucketCapMb: options.bucketCapMb } : {}),
        findUnusedParameters: this.findUnusedParameters,
        gradientAsBucketView: options.gradientAsBucketView ?? false,
      },
    );
  }

  /** The module's forward, with gradient synchronisation set up around it. */
  forward(...args: unknown[]): unknown {
    const sync = torch.isGradEnabled() && this.requireBackwardGradSync;
    if (sync) {
      try {
        this.reducer.prepareForward();
      } catch (e) {
        // The Reducer speaks of PyTorch's Python keyword; say ours too.
        if (e instanceof Error && e.message.includes('find_unused_parameters')) {
          e.message += `\nIn torch-node: new DistributedDataParallel(model, {findUnusedParameters: true}), or the Runner's modelWrapperCfg: {findUnusedParameters: true}.`;
        }
        throw e;
      }
    }
    if (this.broadcastBuffers && this.requireForwardParamSync) {
      const buffers = this.module.buffers();
      if (buffers.length > 0) torch.distributed.broadcastCoalesced(buffers, 0);
    }
    const output = (this.module.forward as (...a: unknown[]) => unknown).apply(this.module, args);
    if (sync) {
      this.requireForwardParamSync = true;
      this.reducer.prepareBackward(this.findUnusedParameters ? findTensors(output) : []);
    } else {
      this.requireForwardParamSync = false;
    }
    return output;
  }

  /** Runs `fn` without gradient synchronisation: backward passes in it accumulate gradients locally. */
  noSync<T>(fn: () => T): T {
    const previous = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    try {
      return fn();
    } finally {
      this.requireBackwardGradSync = previous;
    }
  }

  /** Calls this wrapper's forward with a preprocessed batch (the module's object/array convention). */
  runForward(data: unknown, mode: ForwardMode): unknown {
    return callForward(this, data, mode);
  }

  trainStep(data: unknown, optimWrapper: BaseOptimWrapper): LogVars {
    if (this.module.trainStep !== BaseModel.prototype.trainStep) {
      // Its own trainStep would run the forward around this wrapper, with no gradient sync.
      throw new Error(
        `DistributedDataParallel: ${this.module.constructor.name} overrides trainStep, which this wrapper replaces (MMEngine's spec, 6.7); a model with its own training step (several optimizers, a GAN) needs a wrapper per submodule (MMEngine's MMSeparateDistributedDataParallel), which torch-node does not have yet`,
      );
    }
    return torch.scope(() => {
      const losses = optimWrapper.optimContext(
        this,
        () => this.runForward(this.module.preprocess(data, true), 'loss') as LossDict,
      );
      const { loss, logVars } = this.module.parseLosses(losses);
      if (this.detectAnomalousParams) this.logAnomalousParams(loss);
      optimWrapper.updateParams(loss);
      return logVars;
    });
  }

  valStep(data: unknown): unknown[] {
    return this.module.valStep(data) as unknown[];
  }

  testStep(data: unknown): unknown[] {
    return this.module.testStep(data) as unknown[];
  }

  /** Logs, at ERROR level, each parameter requiring grad that `loss` does not depend on. */
  private logAnomalousParams(loss: Tensor): void {
    const params = [...this.paramNames.keys()];
    const grads = torch.autograd.grad(loss, params, { retainGraph: true, allowUnused: true });
    grads.forEach((g, i) => {
      const p = params[i] as torch.nn.Parameter;
      if (g === null) {
        getLogger().error(
          `${this.paramNames.get(p)} with shape ${JSON.stringify(p.shape)} is not in the computational graph`,
        );
      } else g.dispose();
    });
  }

  /** Detaches the Reducer from the parameters (the module keeps working on its own). */
  dispose(): void {
    this.reducer.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
