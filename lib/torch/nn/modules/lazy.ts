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
import type { Module, RemovableHandle } from '../module.js';
import { Parameter } from '../parameter.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormOptions, type NormBase } from './batchnorm.js';
import {
  Conv1d,
  Conv2d,
  Conv3d,
  type ConvOptions,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeOptions,
} from './conv.js';
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

  override toString(): string {
    return '<UninitializedParameter>';
  }
}

/** A buffer whose shape is not known yet (PyTorch's UninitializedBuffer). */
export class UninitializedBuffer extends Tensor {
  constructor(options?: FactoryOptions) {
    super(takeHandle(empty([0], factory(options))));
  }

  override toString(): string {
    return '<UninitializedBuffer>';
  }
}

// Reading what a placeholder does not have is an Error that says what to do (PyTorch's
// __torch_function__ trap): its shape, and isLeaf, which every optimizer asks of its parameters.
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
  /** The input sizes (in_features ...) from the shapes a state dict gave. */
  fromShapes: (shapes: Map<string, number[]>) => void;
  hooks: RemovableHandle[];
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
    hooks: [],
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
  state.hooks.push(
    m.registerStateDictPreHook((mod, prefix, keepVars) => {
      const s = stateOf(mod);
      // loadStateDict reads the module's own tensors with keepVars: the placeholders may be there.
      if (!s || keepVars || s.pending.size === 0) return;
      const names = [...s.pending].map((n) => `'${prefix}${n}'`).join(', ');
      throw new Error(
        `${mod.constructor.name}.stateDict: ${names} ${s.pending.size > 1 ? 'are' : 'is'} not initialized yet (a lazy module's shapes come from its first input): call forward with a dummy batch, or loadStateDict, first`,
      );
    }),
    m.registerLoadStateDictPreHook((mod, stateDict, prefix) => {
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
        s.fromShapes(new Map([...s.names].map((n) => [n, (fields[n] as Tensor).shape])));
      }
    }),
  );
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
  for (const h of s.hooks) h.remove();
  delete (m as Lazy)[LAZY];
  Object.setPrototypeOf(m, s.become.prototype);
}

/** Whether `m` still has parameters or buffers without a shape (PyTorch's has_uninitialized_params). */
function pendingOf(m: Module): boolean {
  return (stateOf(m)?.pending.size ?? 0) > 0;
}

// ---- Linear

/**
 * Linear with in_features inferred from the last dim of its first input (PyTorch's LazyLinear):
 * `new nn.LazyLinear(outFeatures, {bias})`. It then becomes a Linear.
 */
export class LazyLinear extends Linear {
  static readonly clsToBecome = Linear;

  constructor(outFeatures: number, options?: { bias?: boolean } & FactoryOptions) {
    super(0, outFeatures, options);
    const params = this.bias ? ['weight', 'bias'] : ['weight'];
    makeLazy(this, Linear, params, [], options, (shapes) => {
      setField(this, 'inFeatures', shapes.get('weight')?.[1] ?? 0);
    });
  }

  /** Whether the parameters are still placeholders. */
  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  /** Infers in_features from `input` and initialises the parameters (forward does it). */
  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      const inFeatures = input.size(-1);
      setField(this, 'inFeatures', inFeatures);
      return { weight: [this.outFeatures, inFeatures], bias: [this.outFeatures] };
    });
  }

  override resetParameters(): void {
    // Linear's constructor calls it before there is anything to initialise.
    if (!pendingOf(this) && this.inFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

// ---- convolutions

interface ConvFields {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly kernelSize: number[];
  readonly transposed: boolean;
}

/** Makes a convolution lazy: its weight and bias, with in_channels from a loaded weight's shape. */
function lazyConv(m: Module & ConvFields, become: LazyState['become'], options: FactoryOptions | undefined): void {
  const params = (m as unknown as { bias: unknown }).bias ? ['weight', 'bias'] : ['weight'];
  makeLazy(m, become, params, [], options, (shapes) => {
    const w = shapes.get('weight');
    if (w) setField(m, 'inChannels', m.transposed ? (w[0] as number) : (w[1] as number) * m.groups);
  });
}

/** in_channels from the channel dim of an (N, C, ...) or unbatched (C, ...) input, and the shapes it gives. */
function convShapes(m: Module & ConvFields, input: Tensor): Record<string, number[]> {
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
}

/** Conv1d with in_channels inferred from its first input: `new nn.LazyConv1d(outChannels, kernelSize, options)`. */
export class LazyConv1d extends Conv1d {
  static readonly clsToBecome = Conv1d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, Conv1d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** Conv2d with in_channels inferred from its first input. */
export class LazyConv2d extends Conv2d {
  static readonly clsToBecome = Conv2d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, Conv2d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** Conv3d with in_channels inferred from its first input. */
export class LazyConv3d extends Conv3d {
  static readonly clsToBecome = Conv3d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, Conv3d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** ConvTranspose1d with in_channels inferred from its first input. */
export class LazyConvTranspose1d extends ConvTranspose1d {
  static readonly clsToBecome = ConvTranspose1d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, ConvTranspose1d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor, outputSize?: number[] | null): Tensor {
    this.initializeParameters(input);
    return super.forward(input, outputSize);
  }
}

/** ConvTranspose2d with in_channels inferred from its first input. */
export class LazyConvTranspose2d extends ConvTranspose2d {
  static readonly clsToBecome = ConvTranspose2d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, ConvTranspose2d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor, outputSize?: number[] | null): Tensor {
    this.initializeParameters(input);
    return super.forward(input, outputSize);
  }
}

/** ConvTranspose3d with in_channels inferred from its first input. */
export class LazyConvTranspose3d extends ConvTranspose3d {
  static readonly clsToBecome = ConvTranspose3d;

  constructor(outChannels: number, kernelSize: Size, options?: ConvTransposeOptions) {
    super(0, outChannels, kernelSize, options);
    lazyConv(this, ConvTranspose3d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => convShapes(this, input));
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.inChannels !== 0) super.resetParameters();
  }

  override forward(input: Tensor, outputSize?: number[] | null): Tensor {
    this.initializeParameters(input);
    return super.forward(input, outputSize);
  }
}

// ---- batch and instance norms

/** The options the regular norm is built with first: nothing affine or tracked, added lazily after. */
const bare = (o: BatchNormOptions | undefined): BatchNormOptions => ({
  ...o,
  affine: false,
  trackRunningStats: false,
  bias: false,
});

/**
 * Makes a norm lazy (PyTorch's _LazyNormBase): affine and trackRunningStats default to true
 * (for LazyInstanceNorm too, as in PyTorch), the weight, bias and running statistics are
 * placeholders, num_batches_tracked a real 0.
 */
function lazyNorm(m: NormBase, become: LazyState['become'], options: BatchNormOptions | undefined): void {
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
  makeLazy(m, become, params, buffers, options, (shapes) => {
    const s = shapes.get('weight') ?? shapes.get('running_mean');
    if (s) setField(m, 'numFeatures', s[0] as number);
  });
}

/** num_features from the channel dim `dim` of the input, and the shapes it gives. */
function normShapes(m: NormBase, features: number): Record<string, number[]> {
  setField(m, 'numFeatures', features);
  return { weight: [features], bias: [features], running_mean: [features], running_var: [features] };
}

/** BatchNorm1d with num_features inferred from its first input: `new nn.LazyBatchNorm1d({eps, momentum, affine, trackRunningStats})`. */
export class LazyBatchNorm1d extends BatchNorm1d {
  static readonly clsToBecome = BatchNorm1d;

  constructor(options?: BatchNormOptions) {
    super(0, bare(options));
    lazyNorm(this, BatchNorm1d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(1));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** BatchNorm2d with num_features inferred from its first input. */
export class LazyBatchNorm2d extends BatchNorm2d {
  static readonly clsToBecome = BatchNorm2d;

  constructor(options?: BatchNormOptions) {
    super(0, bare(options));
    lazyNorm(this, BatchNorm2d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(1));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** BatchNorm3d with num_features inferred from its first input. */
export class LazyBatchNorm3d extends BatchNorm3d {
  static readonly clsToBecome = BatchNorm3d;

  constructor(options?: BatchNormOptions) {
    super(0, bare(options));
    lazyNorm(this, BatchNorm3d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(1));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/**
 * InstanceNorm1d with num_features inferred from its first input (the channel dim, batched or
 * not). As PyTorch's LazyInstanceNorm, affine and trackRunningStats default to true.
 */
export class LazyInstanceNorm1d extends InstanceNorm1d {
  static readonly clsToBecome = InstanceNorm1d;

  constructor(options?: InstanceNormOptions) {
    super(0, bare(options));
    lazyNorm(this, InstanceNorm1d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(input.dim() - this.noBatchDim));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** InstanceNorm2d with num_features inferred from its first input (affine and trackRunningStats default to true). */
export class LazyInstanceNorm2d extends InstanceNorm2d {
  static readonly clsToBecome = InstanceNorm2d;

  constructor(options?: InstanceNormOptions) {
    super(0, bare(options));
    lazyNorm(this, InstanceNorm2d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(input.dim() - this.noBatchDim));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}

/** InstanceNorm3d with num_features inferred from its first input (affine and trackRunningStats default to true). */
export class LazyInstanceNorm3d extends InstanceNorm3d {
  static readonly clsToBecome = InstanceNorm3d;

  constructor(options?: InstanceNormOptions) {
    super(0, bare(options));
    lazyNorm(this, InstanceNorm3d, options);
  }

  hasUninitializedParams(): boolean {
    return pendingOf(this);
  }

  initializeParameters(input: Tensor): void {
    initialize(this, () => {
      this.checkInputDim(input);
      return normShapes(this, input.size(input.dim() - this.noBatchDim));
    });
  }

  override resetParameters(): void {
    if (!pendingOf(this) && this.numFeatures !== 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    return super.forward(input);
  }
}
