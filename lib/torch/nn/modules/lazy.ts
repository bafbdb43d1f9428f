// Lazy modules (PyTorch's LazyModuleMixin and its Lazy* classes): a layer whose input size
// (in_features, in_channels, num_features) is inferred from its first input. Until then its
// parameters (and a norm's running statistics) are placeholders without a shape; the first
// forward gives them their shape, initialises them exactly as the regular layer's constructor
// would (the same random numbers after the same manualSeed, as PyTorch calls reset_parameters
// after materialising), and the module then becomes the regular class (PyTorch's cls_to_become):
// `instanceof Linear`, its repr, its state dict. loadStateDict gives the placeholders the shapes
// of the tensors it loads, as PyTorch's load hook does.
//
// Where PyTorch leaves in_channels / num_features at 0 after a load (LazyConv*, LazyNorm*) or
// takes an unbatched instance-norm input's first dim for its channels, the sizes here come from
// the loaded shapes and from the channel dim.
import { empty } from '../../../generated/functions.js';
import { noGrad } from '../../autograd.js';
import { tensor } from '../../creation.js';
import { takeHandle } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';
import { DEEPCOPY, type Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions, type NormBase } from './batchnorm.js';
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './conv.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, type InstanceNormOptions } from './instancenorm.js';
import { type FactoryOptions, Linear } from './linear.js';

type Size = number | number[];

const factory = (o?: FactoryOptions): FactoryOptions => ({
  ...(o?.dtype ? { dtype: o.dtype } : {}),
  ...(o?.device ? { device: o.device } : {}),
});

// ---- placeholders

/** What a placeholder answers when asked for something it does not have yet. */
function uninitialized(what: string): Error {
  if (what === 'isLeaf') {
    return new Error(
      "Attempted to use an uninitialized parameter (a lazy module's, before its first forward), e.g. to build an optimizer: call the module's forward with a dummy batch (or loadStateDict) to initialize its parameters first",
    );
  }
  return new Error(
    `Can't access ${what} of an uninitialized parameter or buffer (a lazy module's, before its first forward): call the module's forward with a dummy batch (or loadStateDict) to initialize it first`,
  );
}

/** A parameter whose shape is not known yet (PyTorch's UninitializedParameter); materialize() gives it one. */
export class UninitializedParameter extends Parameter {
  constructor(options?: FactoryOptions & { requiresGrad?: boolean }) {
    super(empty([0], factory(options)), options?.requiresGrad ?? true);
  }

  /**
   * Gives the parameter `shape` (uninitialised memory, of its dtype and on its device) and makes it
   * a regular Parameter: the same object, so that whoever holds it keeps holding it.
   */
  materialize(shape: number[]): void {
    const data = empty(shape, { dtype: this.dtype, device: this.device });
    noGrad(() => {
      this.data = data;
    });
    Object.setPrototypeOf(this, Parameter.prototype);
  }

  /** A new placeholder of the same dtype, device and requiresGrad (PyTorch's __deepcopy__). */
  [DEEPCOPY](): UninitializedParameter {
    return new UninitializedParameter({ dtype: this.dtype, device: this.device, requiresGrad: this.requiresGrad });
  }

  override toString(): string {
    return '<UninitializedParameter>';
  }
}

/** A buffer whose shape is not known yet (PyTorch's UninitializedBuffer). */
export class UninitializedBuffer extends Tensor {
  constructor(options?: FactoryOptions) {
    super(takeHandle(empty([0], factory(options))));
  }

  [DEEPCOPY](): UninitializedBuffer {
    return new UninitializedBuffer({ dtype: this.dtype, device: this.device });
  }

  override toString(): string {
    return '<UninitializedBuffer>';
  }
}

// Reading what a placeholder does not have is an Error that says what to do (PyTorch's
// __torch_function__ trap): its shape, and isLeaf, which every optimizer asks of its parameters.
// Module.deepcopy does not ask: placeholders copy themselves ([DEEPCOPY], PyTorch's __deepcopy__).
for (const proto of [UninitializedParameter.prototype, UninitializedBuffer.prototype]) {
  for (const getter of ['shape', 'ndim', 'isLeaf']) {
    Object.defineProperty(proto, getter, {
      get() {
        throw uninitialized(getter === 'isLeaf' ? 'isLeaf' : `the ${getter}`);
      },
      configurable: true,
    });
  }
  for (const method of ['size', 'dim', 'numel', 'toArray', 'item']) {
    Object.defineProperty(proto, method, {
      value() {
        throw uninitialized(`${method}()`);
      },
      writable: true,
      configurable: true,
    });
  }
}

/** Whether `t` is a placeholder of a lazy module (PyTorch's is_lazy). */
export function isLazy(t: unknown): boolean {
  return t instanceof UninitializedParameter || t instanceof UninitializedBuffer;
}

// ---- the lazy state of a module

const LAZY = Symbol('lazy');

interface LazyState {
  /** The class the module becomes once initialised. */
  become: abstract new (
    ...args: never[]
  ) => Module;
  /** The parameters and buffers that were placeholders. */
  names: Set<string>;
  /** Those without a shape yet. */
  pending: Set<string>;
  /** Names that are buffers (the rest are parameters). */
  buffers: Set<string>;
  /** The input sizes (in_features ...) of `m` from the shapes a state dict gave (`m`, not a module captured when it was made: a deepcopy shares this function). */
  fromShapes: (m: Module, shapes: Map<string, number[]>) => void;
}

type Lazy = Module & { [LAZY]?: LazyState };

const stateOf = (m: Module): LazyState | undefined => (m as Lazy)[LAZY];

/** Sets a field that the regular class declares readonly (a size inferred late). */
function setField(m: Module, key: string, value: unknown): void {
  (m as unknown as Record<string, unknown>)[key] = value;
}

/**
 * Makes `m` lazy: `params` and `buffers` become placeholders (a null parameter stays null), a
 * stateDict of it is an Error until they have shapes, and loadStateDict gives them shapes.
 */
function makeLazy(
  m: Module,
  become: LazyState['become'],
  params: string[],
  buffers: string[],
  options: FactoryOptions | undefined,
  fromShapes: LazyState['fromShapes'],
): void {
  const fields = m as unknown as Record<string, unknown>;
  const state: LazyState = {
    become,
    names: new Set([...params, ...buffers]),
    pending: new Set(),
    buffers: new Set(buffers),
    fromShapes,
  };
  for (const name of params) {
    fields[name] = new UninitializedParameter(options);
    state.pending.add(name);
  }
  for (const name of buffers) {
    m.registerBuffer(name, new UninitializedBuffer(options));
    state.pending.add(name);
  }
  (m as Lazy)[LAZY] = state;
  // The hooks take the module as an argument and do nothing once it is initialised (its state
  // gone), so they stay registered: a deepcopy's hook lists share them and work for the copy.
  m.registerStateDictPreHook(refusePending);
  m.registerLoadStateDictPreHook(shapesFromLoad);
}

/** A lazy module's state-dict pre-hook: a stateDict with placeholders left is an Error. */
function refusePending(mod: Module, prefix: string, keepVars: boolean): void {
  const s = stateOf(mod);
  // loadStateDict reads the module's own tensors with keepVars: the placeholders may be there.
  if (!s || keepVars || s.pending.size === 0) return;
  const names = [...s.pending].map((n) => `'${prefix}${n}'`).join(', ');
  throw new Error(
    `${mod.constructor.name}.stateDict: ${names} ${s.pending.size > 1 ? 'are' : 'is'} not initialized yet (a lazy module's shapes come from its first input): call forward with a dummy batch, or loadStateDict, first`,
  );
}

/** A lazy module's load pre-hook: the placeholders take the shapes of the tensors loaded into them. */
function shapesFromLoad(mod: Module, stateDict: Record<string, unknown>, prefix: string): void {
  const s = stateOf(mod);
  if (!s) return;
  const before = s.pending.size;
  for (const name of [...s.pending]) {
    const value = stateDict[prefix + name];
    if (!(value instanceof Tensor) || isLazy(value) || value.isDisposed) continue;
    materialize(mod, s, name, value.shape);
  }
  // All shapes known (from this load or an earlier one): the input size follows from them.
  if (s.pending.size < before && s.pending.size === 0) {
    const fields = mod as unknown as Record<string, Tensor>;
    s.fromShapes(mod, new Map([...s.names].map((n) => [n, (fields[n] as Tensor).shape])));
  }
}

/** Gives the placeholder `name` its shape (a buffer is replaced, a parameter stays the same object). */
function materialize(m: Module, s: LazyState, name: string, shape: number[]): void {
  const fields = m as unknown as Record<string, unknown>;
  const current = fields[name] as Tensor;
  if (s.buffers.has(name)) {
    fields[name] = empty(shape, { dtype: current.dtype, device: current.device });
  } else if (current instanceof UninitializedParameter) {
    current.materialize(shape);
  } else {
    // A placeholder that lost its class (a deepcopy): its data takes the shape.
    const data = empty(shape, { dtype: current.dtype, device: current.device });
    noGrad(() => {
      current.data = data;
    });
  }
  s.pending.delete(name);
}

/**
 * What each lazy class's forward does first (PyTorch's _infer_parameters): with placeholders
 * left, `infer` sets the input size and says every lazy tensor's shape, and resetParameters
 * initialises them as the regular class would; then the module becomes the regular class.
 */
function initialize(m: Module, infer: () => Record<string, number[]>): void {
  const s = stateOf(m);
  if (!s) return;
  if (s.pending.size > 0) {
    if (s.pending.size < s.names.size) {
      const loaded = [...s.names].filter((n) => !s.pending.has(n)).map((n) => `'${n}'`);
      throw new Error(
        `${m.constructor.name}: a state dict gave ${loaded.join(', ')} a shape but not ${[...s.pending].map((n) => `'${n}'`).join(', ')}; load all of them (or none) before the first forward`,
      );
    }
    const shapes = infer();
    noGrad(() => {
      for (const name of s.names) materialize(m, s, name, shapes[name] as number[]);
    });
    (m as unknown as { resetParameters(): void }).resetParameters();
  }
  delete (m as Lazy)[LAZY];
  Object.setPrototypeOf(m, s.become.prototype);
}

/** Whether `m` still has parameters or buffers without a shape (PyTorch's has_uninitialized_params). */
function pendingOf(m: Module): boolean {
  return (stateOf(m)?.pending.size ?? 0) > 0;
}

// ---- the mixin (PyTorch's LazyModuleMixin)

/** What each Lazy* class adds to the regular class it extends. */
interface LazyMethods {
  /** Whether the parameters (or running statistics) are still placeholders. */
  hasUninitializedParams(): boolean;
  /** Infers the input size from `input` and initialises the parameters (forward does it). */
  initializeParameters(input: Tensor): void;
}

/** What the mixin calls on a regular layer. */
type RegularLayer = Module & { resetParameters(): void; forward(input: Tensor, ...rest: never[]): Tensor };

/** A regular layer class, whose first constructor argument is its input size. */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript lets a class extend a type parameter only if it takes any[]
type Regular = abstract new (...args: any[]) => RegularLayer;

/** A lazy constructor's arguments: the regular one's without the input size, which the first input gives. */
type LazyArgs<B extends Regular> = ConstructorParameters<B> extends [number, ...infer Rest] ? Rest : never;

/** What a family of lazy classes (a linear, the convolutions, the norms) does its own way. */
interface Family<M extends Module, A extends unknown[]> {
  /** The regular constructor's arguments for the lazy one's (by default the input size 0, then the same). */
  regularArgs?: (...args: A) => unknown[];
  /** Makes the freshly built module lazy: makeLazy with its placeholders. */
  makeLazy: (m: M, become: LazyState['become'], ...args: A) => void;
  /** The input size: 0 until it is known. */
  inputSize: (m: M) => number;
  /** Sets the input size from the first input and says the shape of each lazy tensor. */
  infer: (m: M, input: Tensor) => Record<string, number[]>;
}

/** A Lazy* class: built with the regular arguments less the input size, it becomes `clsToBecome`. */
type LazyClass<B extends Regular> = {
  new (...args: LazyArgs<B>): InstanceType<B> & LazyMethods;
  /** The class the module becomes once initialised (PyTorch's cls_to_become). */
  readonly clsToBecome: B;
};

/**
 * The lazy version of `Base`, for the Lazy* classes to extend (each under its own name, which
 * repr and constructor.name show): a subclass of `Base`, so that `instanceof Base` holds from
 * the start, whose forward first initialises the placeholders from its input.
 */
function lazyClass<B extends Regular>(Base: B, family: Family<InstanceType<B>, LazyArgs<B>>): LazyClass<B> {
  const regularArgs = family.regularArgs ?? ((...args: LazyArgs<B>) => [0, ...args]);

  // (`this` is an InstanceType<B>, which TypeScript does not see through the type parameter: hence the casts.)
  abstract class LazyModule extends Base implements LazyMethods {
    static readonly clsToBecome = Base;

    // biome-ignore lint/suspicious/noExplicitAny: TypeScript's rule for a class that extends a type parameter
    constructor(...args: any[]) {
      super(...regularArgs(...(args as LazyArgs<B>)));
      family.makeLazy(this as unknown as InstanceType<B>, Base, ...(args as LazyArgs<B>));
    }

    hasUninitializedParams(): boolean {
      return pendingOf(this);
    }

    initializeParameters(input: Tensor): void {
      initialize(this, () => family.infer(this as unknown as InstanceType<B>, input));
    }

    override resetParameters(): void {
      // The regular constructor calls it before there is anything to initialise.
      if (!pendingOf(this) && family.inputSize(this as unknown as InstanceType<B>) !== 0) super.resetParameters();
    }

    override forward(input: Tensor, ...rest: never[]): Tensor {
      this.initializeParameters(input);
      return super.forward(input, ...rest);
    }
  }
  // The constructor takes the lazy arguments, and Base is concrete wherever a Lazy* class extends this.
  return LazyModule as unknown as LazyClass<B>;
}

// ---- Linear

const LINEAR: Family<Linear, [outFeatures: number, options?: { bias?: boolean } & FactoryOptions]> = {
  makeLazy: (m, become, _outFeatures, options) => {
    makeLazy(m, become, m.bias ? ['weight', 'bias'] : ['weight'], [], options, (mod, shapes) => {
      setField(mod, 'inFeatures', shapes.get('weight')?.[1] ?? 0);
    });
  },
  inputSize: (m) => m.inFeatures,
  infer: (m, input) => {
    const inFeatures = input.size(-1);
    setField(m, 'inFeatures', inFeatures);
    return { weight: [m.outFeatures, inFeatures], bias: [m.outFeatures] };
  },
};

/**
 * Linear with in_features inferred from the last dim of its first input (PyTorch's LazyLinear):
 * `new nn.LazyLinear(outFeatures, {bias})`. It then becomes a Linear.
 */
export class LazyLinear extends lazyClass(Linear, LINEAR) {}

// ---- convolutions

interface ConvFields {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly kernelSize: number[];
  readonly transposed: boolean;
  readonly bias: unknown;
}

/** The convolutions: their weight and bias, with in_channels from the channel dim of the input or a loaded weight's shape. */
const CONV: Family<Module & ConvFields, [outChannels: number, kernelSize: Size, options?: FactoryOptions]> = {
  makeLazy: (m, become, _outChannels, _kernelSize, options) => {
    makeLazy(m, become, m.bias ? ['weight', 'bias'] : ['weight'], [], options, (mod, shapes) => {
      const w = shapes.get('weight');
      const conv = mod as Module & ConvFields;
      if (w) setField(conv, 'inChannels', conv.transposed ? (w[0] as number) : (w[1] as number) * conv.groups);
    });
  },
  inputSize: (m) => m.inChannels,
  infer: (m, input) => {
    // The input is (N, C, ...) or unbatched (C, ...).
    const name = m.constructor.name;
    const spatial = m.kernelSize.length;
    const d = input.dim();
    if (d !== spatial + 1 && d !== spatial + 2) {
      throw new Error(
        `${name}: expected ${spatial + 1}D (unbatched) or ${spatial + 2}D (batched) input, but got input of size: [${input.shape.join(', ')}]`,
      );
    }
    const inChannels = input.size(d === spatial + 2 ? 1 : 0);
    if (inChannels % m.groups !== 0) {
      throw new Error(
        `${name}: in_channels must be divisible by groups (the input has ${inChannels} channels, groups=${m.groups})`,
      );
    }
    setField(m, 'inChannels', inChannels);
    const g = m.groups;
    const weight = m.transposed
      ? [inChannels, m.outChannels / g, ...m.kernelSize]
      : [m.outChannels, inChannels / g, ...m.kernelSize];
    return { weight, bias: [m.outChannels] };
  },
};

/** Conv1d with in_channels inferred from its first input: `new nn.LazyConv1d(outChannels, kernelSize, options)`. */
export class LazyConv1d extends lazyClass(Conv1d, CONV) {}

/** Conv2d with in_channels inferred from its first input. */
export class LazyConv2d extends lazyClass(Conv2d, CONV) {}

/** Conv3d with in_channels inferred from its first input. */
export class LazyConv3d extends lazyClass(Conv3d, CONV) {}

/** ConvTranspose1d with in_channels inferred from its first input. */
export class LazyConvTranspose1d extends lazyClass(ConvTranspose1d, CONV) {}

/** ConvTranspose2d with in_channels inferred from its first input. */
export class LazyConvTranspose2d extends lazyClass(ConvTranspose2d, CONV) {}

/** ConvTranspose3d with in_channels inferred from its first input. */
export class LazyConvTranspose3d extends lazyClass(ConvTranspose3d, CONV) {}

// ---- batch and instance norms

/** What the lazy norms read of the regular one before its first forward (protected there). */
interface NormInternals {
  checkInputDim(input: Tensor): void;
  /** An instance norm's input dims without the batch dim. */
  readonly noBatchDim: number;
}

/** num_features from the channel dim `dim` of the input (after the regular norm checked its dims), and the shapes it gives. */
function normShapes(m: NormBase, input: Tensor, dim: (internals: NormInternals) => number): Record<string, number[]> {
  const internals = m as unknown as NormInternals;
  internals.checkInputDim(input);
  const features = input.size(dim(internals));
  setField(m, 'numFeatures', features);
  return { weight: [features], bias: [features], running_mean: [features], running_var: [features] };
}

/**
 * The norms (PyTorch's _LazyNormBase). The regular norm is built first with nothing affine or
 * tracked; then affine and trackRunningStats default to true (for LazyInstanceNorm too, as in
 * PyTorch), the weight, bias and running statistics are placeholders, num_batches_tracked a real 0.
 */
const BATCH_NORM: Family<NormBase, [options?: BatchNormOptions]> = {
  regularArgs: (o) => [0, { ...o, affine: false, trackRunningStats: false, bias: false }],
  makeLazy: (m, become, options) => {
    const affine = options?.affine ?? true;
    const track = options?.trackRunningStats ?? true;
    setField(m, 'affine', affine);
    setField(m, 'trackRunningStats', track);
    const params = affine ? ((options?.bias ?? true) ? ['weight', 'bias'] : ['weight']) : [];
    const buffers = track ? ['running_mean', 'running_var'] : [];
    if (track) {
      m.registerBuffer(
        'num_batches_tracked',
        tensor(0, { dtype: 'int64', ...(options?.device ? { device: options.device } : {}) }),
      );
    }
    makeLazy(m, become, params, buffers, options, (mod, shapes) => {
      const s = shapes.get('weight') ?? shapes.get('running_mean');
      if (s) setField(mod, 'numFeatures', s[0] as number);
    });
  },
  inputSize: (m) => m.numFeatures,
  // (N, C, ...): the channels are dim 1.
  infer: (m, input) => normShapes(m, input, () => 1),
};

/** An instance norm takes its channels from an unbatched input's dim 0 as well. */
const INSTANCE_NORM: Family<NormBase, [options?: InstanceNormOptions]> = {
  ...BATCH_NORM,
  infer: (m, input) => normShapes(m, input, (internals) => input.dim() - internals.noBatchDim),
};

/** BatchNorm1d with num_features inferred from its first input: `new nn.LazyBatchNorm1d({eps, momentum, affine, trackRunningStats})`. */
export class LazyBatchNorm1d extends lazyClass(BatchNorm1d, BATCH_NORM) {}

/** BatchNorm2d with num_features inferred from its first input. */
export class LazyBatchNorm2d extends lazyClass(BatchNorm2d, BATCH_NORM) {}

/** BatchNorm3d with num_features inferred from its first input. */
export class LazyBatchNorm3d extends lazyClass(BatchNorm3d, BATCH_NORM) {}

/**
 * InstanceNorm1d with num_features inferred from its first input (the channel dim, batched or
 * not). As PyTorch's LazyInstanceNorm, affine and trackRunningStats default to true.
 */
export class LazyInstanceNorm1d extends lazyClass(InstanceNorm1d, INSTANCE_NORM) {}

/** InstanceNorm2d with num_features inferred from its first input (affine and trackRunningStats default to true). */
export class LazyInstanceNorm2d extends lazyClass(InstanceNorm2d, INSTANCE_NORM) {}

/** InstanceNorm3d with num_features inferred from its first input (affine and trackRunningStats default to true). */
export class LazyInstanceNorm3d extends lazyClass(InstanceNorm3d, INSTANCE_NORM) {}
