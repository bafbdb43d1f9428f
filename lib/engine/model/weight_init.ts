// The initializers that an `initCfg` names, and `initialize(module, initCfg)`, as MMEngine's
// mmengine/model/weight_init.py: layer matching by class name, `override` for named children,
// and `Pretrained` loading a checkpoint.
import * as torch from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';
import { loadStateDict } from '../runner/checkpoint.js';

type Module = torch.nn.Module;
type Tensor = torch.Tensor;
const init = torch.nn.init;

export type InitType =
  | 'Constant'
  | 'Xavier'
  | 'Normal'
  | 'TruncNormal'
  | 'Uniform'
  | 'Kaiming'
  | 'Caffe2Xavier'
  | 'Pretrained';

export interface OverrideConfig extends Partial<Omit<InitConfig, 'override' | 'layer'>> {
  /** The name of a direct child (an attribute), not a dotted path. */
  name: string;
}

export interface InitConfig {
  type: InitType;
  /** Class names to initialise (the module's own class or its direct base). */
  layer?: string | string[];
  override?: OverrideConfig | OverrideConfig[];
  bias?: number;
  /** Sets bias to -log((1 - p) / p). */
  biasProb?: number;
  val?: number;
  gain?: number;
  distribution?: 'normal' | 'uniform';
  mean?: number;
  std?: number;
  a?: number;
  b?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: torch.nn.init.Nonlinearity;
  checkpoint?: string;
  prefix?: string;
  mapLocation?: string;
}

export type InitCfg = InitConfig | InitConfig[];

/** Where each parameter's value came from, shared by a module tree during initWeights(). */
export interface ParamInitInfo {
  initInfo: string;
  tmpMeanValue: number;
}
export const PARAMS_INIT_INFO = Symbol('paramsInitInfo');
type WithInitInfo = { [PARAMS_INIT_INFO]?: Map<Tensor, ParamInitInfo> };

const meanOf = (p: Tensor): number => torch.scope(() => p.detach().float().mean().item() as number);

/** Records `info` for every parameter of `module` whose mean changed since the last record. */
export function updateInitInfo(module: Module, info: string): void {
  const table = (module as WithInitInfo)[PARAMS_INIT_INFO];
  if (!table) throw new Error('Can not find `_params_init_info` in module');
  for (const [name, p] of module.namedParameters()) {
    const entry = table.get(p);
    if (!entry) {
      throw new Error(
        `Find a new :obj:\`Parameter\` named \`${name}\` during executing the \`init_weights\` of \`${module.constructor.name}\`. Please do not add or replace parameters during executing the \`init_weights\`. `,
      );
    }
    const mean = meanOf(p);
    if (entry.tmpMeanValue !== mean) {
      entry.initInfo = info;
      entry.tmpMeanValue = mean;
    }
  }
}

/**
 * The direct base class of torch.nn's layers as PyTorch names it, where ours has another name:
 * configs written for MMEngine match `_BatchNorm` or `_ConvNd` (torch's private bases).
 */
const PYTORCH_BASE: Record<string, string> = {
  BatchNorm1d: '_BatchNorm',
  BatchNorm2d: '_BatchNorm',
  BatchNorm3d: '_BatchNorm',
  InstanceNorm1d: '_InstanceNorm',
  InstanceNorm2d: '_InstanceNorm',
  InstanceNorm3d: '_InstanceNorm',
  Conv1d: '_ConvNd',
  Conv2d: '_ConvNd',
  Conv3d: '_ConvNd',
  ConvTranspose1d: '_ConvTransposeNd',
  ConvTranspose2d: '_ConvTransposeNd',
  ConvTranspose3d: '_ConvTransposeNd',
};

/** The class name and the direct base class's names (ours and PyTorch's), which `layer` is matched against. */
function layerNames(m: Module): string[] {
  const cls = m.constructor;
  const base = Object.getPrototypeOf(cls) as { name?: string };
  const names = [cls.name, ...(base?.name ? [base.name] : [])];
  // Only a class of torch.nn itself: a user's subclass of Conv2d has Conv2d as its direct base.
  const pytorch = Object.hasOwn(PYTORCH_BASE, cls.name) && torchClass(cls) ? PYTORCH_BASE[cls.name] : undefined;
  return pytorch ? [...names, pytorch] : names;
}

const torchClass = (cls: unknown): boolean =>
  (torch.nn as unknown as Record<string, unknown>)[(cls as { name: string }).name] === cls;

const fieldOf = (m: Module, key: string): Tensor | null => {
  const v = (m as unknown as Record<string, unknown>)[key];
  return v instanceof torch.Tensor ? v : null;
};

abstract class BaseInit {
  bias: number;
  readonly layer: string[];
  wholemodule = false;

  constructor(cfg: Partial<InitConfig>) {
    const bias = cfg.bias ?? 0;
    if (typeof bias !== 'number') throw new TypeError(`bias must be a number, but got a ${typeof bias}`);
    this.bias = bias;
    if (cfg.biasProb !== undefined) {
      if (typeof cfg.biasProb !== 'number')
        throw new TypeError(`bias_prob type must be float, but got ${typeof cfg.biasProb}`);
      this.bias = -Math.log((1 - cfg.biasProb) / cfg.biasProb);
    }
    const layer = cfg.layer ?? [];
    if (typeof layer !== 'string' && !Array.isArray(layer)) {
      throw new TypeError(`layer must be a str or a list of str, but got a ${typeof layer}`);
    }
    this.layer = typeof layer === 'string' ? [layer] : [...layer];
  }

  protected abstract initWeight(weight: Tensor): void;
  abstract info(): string;

  call(module: Module): void {
    module.apply((m) => {
      if (!this.wholemodule && !layerNames(m).some((n) => this.layer.includes(n))) return;
      const w = fieldOf(m, 'weight');
      if (w) this.initWeight(w);
      const b = fieldOf(m, 'bias');
      if (b) init.constant_(b, this.bias);
    });
    if ((module as WithInitInfo)[PARAMS_INIT_INFO]) updateInitInfo(module, this.info());
  }
}

class ConstantInit extends BaseInit {
  readonly val: number;
  constructor(cfg: Partial<InitConfig>) {
    super(cfg);
    if (cfg.val === undefined) throw new Error("Constant init needs 'val'");
    this.val = cfg.val;
  }
  protected initWeight(w: Tensor): void {
    init.constant_(w, this.val);
  }
  info(): string {
    return `ConstantInit: val=${this.val}, bias=${this.bias}`;
  }
}

class XavierInit extends BaseInit {
  readonly gain: number;
  readonly distribution: string;
  constructor(cfg: Partial<InitConfig>) {
    super(cfg);
    this.gain = cfg.gain ?? 1;
    this.distribution = cfg.distribution ?? 'normal';
  }
  protected initWeight(w: Tensor): void {
    if (this.distribution !== 'uniform' && this.distribution !== 'normal') {
      throw new Error(`distribution should be 'uniform' or 'normal', got ${this.distribution}`);
    }
    if (this.distribution === 'uniform') init.xavierUniform_(w, { gain: this.gain });
    else init.xavierNormal_(w, { gain: this.gain });
  }
  info(): string {
    return `XavierInit: gain=${this.gain}, distribution=${this.distribution}, bias=${this.bias}`;
  }
}

class NormalInit extends BaseInit {
  readonly mean: number;
  readonly std: number;
  constructor(cfg: Partial<InitConfig>) {
    super(cfg);
    this.mean = cfg.mean ?? 0;
    this.std = cfg.std ?? 1;
  }
  protected initWeight(w: Tensor): void {
    init.normal_(w, { mean: this.mean, std: this.std });
  }
  info(): string {
    return `NormalInit: mean=${this.mean}, std=${this.std}, bias=${this.bias}`;
  }
}

class TruncNormalInit extends BaseInit {
  readonly mean: number;
  readonly std: number;
  readonly a: number;
  readonly b: number;
  constructor(cfg: Partial<InitConfig>) {
    super(cfg);
    this.mean = cfg.mean ?? 0;
    this.std = cfg.std ?? 1;
    this.a = cfg.a ?? -2;
    this.b = cfg.b ?? 2;
  }
  protected initWeight(w: Tensor): void {
    if (this.mean < this.a - 2 * this.std || this.mean > this.b + 2 * this.std) {
      getLogger().warning(
        'mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.',
      );
    }
    init.truncNormal_(w, { mean: this.mean, std: this.std, a: this.a, b: this.b });
  }
  info(): string {
    return `TruncNormalInit: a=${this.a}, b=${this.b}, mean=${this.mean}, std=${this.std}, bias=${this.bias}`;
  }
}

class UniformInit extends BaseInit {
  readonly a: number;
  readonly b: number;
  constructor(cfg: Partial<InitConfig>) {
    super(cfg);
    this.a = cfg.a ?? 0;
    this.b = cfg.b ?? 1;
  }
  protected initWeight(w: Tensor): void {
    init.uniform_(w, { a: this.a, b: this.b });
  }
  info(): string {
    return `UniformInit: a=${this.a}, b=${this.b}, bias=${this.bias}`;
  }
}

class KaimingInit extends BaseInit {
  readonly a: number;
  readonly mode: 'fan_in' | 'fan_out';
  readonly nonlinearity: torch.nn.init.Nonlinearity;
  readonly distribution: string;
  constructor(cfg: Partial<InitConfig>, defaults?: Partial<InitConfig>) {
    super({ ...defaults, ...cfg });
    const c = { ...defaults, ...cfg };
    this.a = c.a ?? 0;
    // MMEngine's default mode is fan_out, unlike PyTorch's fan_in.
    this.mode = c.mode ?? 'fan_out';
    this.nonlinearity = c.nonlinearity ?? 'relu';
    this.distribution = c.distribution ?? 'normal';
  }
  protected initWeight(w: Tensor): void {
    const o = { a: this.a, mode: this.mode, nonlinearity: this.nonlinearity };
    if (this.distribution === 'uniform') init.kaimingUniform_(w, o);
    else init.kaimingNormal_(w, o);
  }
  info(): string {
    // The class name, as the reference's info, so that Caffe2Xavier reports itself.
    return `${this.constructor.name}: a=${this.a}, mode=${this.mode}, nonlinearity=${this.nonlinearity}, distribution =${this.distribution}, bias=${this.bias}`;
  }
}

class Caffe2XavierInit extends KaimingInit {
  constructor(cfg: Partial<InitConfig>) {
    super(cfg, { a: 1, mode: 'fan_in', nonlinearity: 'leaky_relu', distribution: 'uniform' });
  }
}

/** Loads a checkpoint's weights into the module (non-strictly: what does not fit is a warning), optionally a prefixed part of them. */
class PretrainedInit {
  wholemodule = false;
  readonly checkpoint: string;
  readonly prefix: string | undefined;
  readonly mapLocation: string;
  constructor(cfg: Partial<InitConfig>) {
    if (!cfg.checkpoint) throw new Error("Pretrained init needs 'checkpoint'");
    this.checkpoint = cfg.checkpoint;
    this.prefix = cfg.prefix;
    this.mapLocation = cfg.mapLocation ?? 'cpu';
  }
  call(module: Module): void {
    const logger = getLogger();
    torch.scope(() => {
      const loaded = torch.load(this.checkpoint, { mapLocation: this.mapLocation }) as Record<string, unknown>;
      const raw = (
        loaded && typeof loaded === 'object' && 'state_dict' in loaded ? loaded.state_dict : loaded
      ) as Record<string, Tensor>;
      const sd: Record<string, Tensor> = {};
      if (this.prefix === undefined) {
        // The whole model: a model saved wrapped (DistributedDataParallel) has its keys under `module.`.
        for (const [k, v] of Object.entries(raw)) sd[k.replace(/^module\./, '')] = v;
      } else {
        // A part of it, picked by the checkpoint's own keys (`module` picks a wrapped model's).
        const prefix = this.prefix.endsWith('.') ? this.prefix : `${this.prefix}.`;
        for (const [k, v] of Object.entries(raw)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = v;
        if (Object.keys(sd).length === 0) throw new Error(`${prefix} is not in the pretrained model`);
      }
      logger.info(`load model from: ${this.checkpoint}`);
      loadStateDict(module, sd, { logger });
    });
    if ((module as WithInitInfo)[PARAMS_INIT_INFO]) updateInitInfo(module, this.info());
  }
  info(): string {
    return `PretrainedInit: load from ${this.checkpoint}`;
  }
}

type Initializer = { wholemodule: boolean; call(m: Module): void };

const REGISTRY: Record<InitType, new (cfg: Partial<InitConfig>) => Initializer> = {
  Constant: ConstantInit,
  Xavier: XavierInit,
  Normal: NormalInit,
  TruncNormal: TruncNormalInit,
  Uniform: UniformInit,
  Kaiming: KaimingInit,
  Caffe2Xavier: Caffe2XavierInit,
  Pretrained: PretrainedInit,
};

function build(cfg: Partial<InitConfig>): Initializer {
  const { type, ...rest } = cfg;
  const cls = type ? REGISTRY[type] : undefined;
  if (!cls)
    throw new Error(`${String(type)} is not in the WEIGHT_INITIALIZERS registry (${Object.keys(REGISTRY).join(', ')})`);
  return new cls(rest);
}

function initializeOverride(
  module: Module,
  override: OverrideConfig | OverrideConfig[],
  base: Partial<InitConfig>,
): void {
  if (typeof override !== 'object' || override === null) {
    throw new TypeError(`override must be a dict or a list of dict, but got ${typeof override}`);
  }
  for (const item of Array.isArray(override) ? override : [override]) {
    const { name, ...rest } = structuredClone(item) as OverrideConfig;
    if (name === undefined) {
      throw new Error(`\`override\` must contain the key "name",but got ${JSON.stringify(item)}`);
    }
    let cfg: Partial<InitConfig> = rest;
    if (Object.keys(rest).length === 0) cfg = base;
    else if (!('type' in rest)) throw new Error(`\`override\` need "type" key, but got ${JSON.stringify(item)}`);
    const target = (module as unknown as Record<string, unknown>)[name];
    if (!(target instanceof torch.nn.Module)) {
      throw new Error(`module did not have attribute ${name}, but init_cfg is ${JSON.stringify(item)}.`);
    }
    const initializer = build(cfg);
    initializer.wholemodule = true;
    initializer.call(target);
  }
}

/** Applies the initializers of `initCfg` to `module`, as MMEngine's `initialize`. */
export function initialize(module: Module, initCfg: InitCfg): void {
  if (typeof initCfg !== 'object' || initCfg === null) {
    throw new TypeError(`init_cfg must be a dict or a list of dict, but got ${typeof initCfg}`);
  }
  for (const original of Array.isArray(initCfg) ? initCfg : [initCfg]) {
    const cfg = structuredClone(original);
    const { override, ...rest } = cfg;
    build(rest).call(module);
    if (override !== undefined) {
      const { layer: _layer, ...withoutLayer } = rest;
      initializeOverride(module, override, withoutLayer);
    }
  }
}
