// Builds an optimizer wrapper from a config, as MMEngine's build_optim_wrapper and
// DefaultOptimWrapperConstructor: the optimizer named by `optimizer.type` over the model's
// parameters, in one group, or, with a `paramwiseCfg`, in one group per parameter with its own
// lr and weight decay:
//
//   const optimWrapper = buildOptimWrapper(model, {
//     optimizer: { type: 'AdamW', lr: 1e-3, weightDecay: 0.05 },
//     paramwiseCfg: { normDecayMult: 0, biasDecayMult: 0, customKeys: { head: { lrMult: 10 } } },
//     clipGrad: { maxNorm: 1 },
//   });
//
// Per parameter (MMEngine's add_params, module by module from the root, own parameters first):
// a parameter without requires_grad gets a group with no options of its own. Else the longest
// key of customKeys found in its dotted name ('<prefix>.<name>', so a root parameter's is
// '.weight'; among keys of one length, the first alphabetically) sets lr = base lr * lrMult and,
// where the optimizer has a weight decay, weightDecay = base * decayMult; every entry of that key
// is also copied into the group (lrMult, decayMult, or any option). Without a matching key: a
// bias not of a norm layer gets base lr * biasLrMult; the weight decay is base * normDecayMult for
// a norm layer's parameters, else base * biasDecayMult for a bias, else base * dwconvDecayMult
// for a depth-wise Conv2d's, else base * flatDecayMult for a 1-d parameter. With
// bypassDuplicate, a parameter met again (shared between modules) is skipped with a warning.
import * as torch from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';
import { AmpOptimWrapper, type AmpOptimWrapperOptions } from './amp_optim_wrapper.js';
import { type BaseOptimWrapper, OptimWrapper, type OptimWrapperOptions } from './optim_wrapper.js';

type Module = torch.nn.Module;
type Optimizer = torch.optim.Optimizer;
// biome-ignore lint/suspicious/noExplicitAny: optimizer classes take options of their own types
type OptimizerClass = new (params: any, options?: any) => Optimizer;

/** An optimizer by class or by its name in torch.optim, with its options (camelCase). */
export interface OptimizerCfg {
  type: string | OptimizerClass;
  lr?: number;
  weightDecay?: number;
  [option: string]: unknown;
}

/** The multipliers of one key of customKeys, and any option copied into the group as it is. */
export interface CustomKeyCfg {
  lrMult?: number;
  decayMult?: number;
  [option: string]: unknown;
}

export interface ParamwiseCfg {
  customKeys?: Record<string, CustomKeyCfg>;
  biasLrMult?: number;
  biasDecayMult?: number;
  normDecayMult?: number;
  dwconvDecayMult?: number;
  flatDecayMult?: number;
  /** For deformable convolutions' offsets in MMCV; there are none here, so it changes nothing. */
  dcnOffsetLrMult?: number;
  bypassDuplicate?: boolean;
}

/** A wrapper config: the wrapper's own options, the optimizer as a config, and paramwiseCfg. */
export type OptimWrapperCfg = Omit<AmpOptimWrapperOptions, 'optimizer'> & {
  /** 'OptimWrapper' (default) or 'AmpOptimWrapper'. */
  type?: 'OptimWrapper' | 'AmpOptimWrapper';
  optimizer: OptimizerCfg;
  paramwiseCfg?: ParamwiseCfg;
};

const PARAMWISE_KEYS = [
  'customKeys',
  'biasLrMult',
  'biasDecayMult',
  'normDecayMult',
  'dwconvDecayMult',
  'flatDecayMult',
  'dcnOffsetLrMult',
  'bypassDuplicate',
];

const NORM_CLASS = /^(_?BatchNorm(Base|[123]d)?|SyncBatchNorm|_?InstanceNorm(Base|[123]d)?|GroupNorm|LayerNorm)$/;

/** Whether a module is a normalisation layer (MMEngine: _BatchNorm, _InstanceNorm, GroupNorm, LayerNorm), subclasses included. */
function isNorm(m: Module): boolean {
  for (let p = Object.getPrototypeOf(m); p && p !== torch.nn.Module.prototype; p = Object.getPrototypeOf(p))
    if (NORM_CLASS.test(p.constructor.name)) return true;
  return false;
}

function optimizerClass(type: unknown): OptimizerClass {
  if (typeof type === 'function') return type as OptimizerClass;
  const cls = typeof type === 'string' ? (torch.optim as unknown as Record<string, unknown>)[type] : undefined;
  if (typeof cls !== 'function' || !(cls.prototype instanceof torch.optim.Optimizer))
    throw new Error(`buildOptimWrapper: optimizer.type ${String(type)} is not an optimizer of torch.optim`);
  return cls as OptimizerClass;
}

/** MMEngine's DefaultOptimWrapperConstructor: `new DefaultOptimWrapperConstructor(cfg).build(model)`. */
export class DefaultOptimWrapperConstructor {
  private readonly optimizerCfg: OptimizerCfg;
  private readonly wrapperCfg: Omit<OptimWrapperCfg, 'optimizer' | 'paramwiseCfg'>;
  readonly paramwiseCfg: ParamwiseCfg;
  readonly baseLr: number | undefined;
  readonly baseWd: number | undefined;

  constructor(cfg: OptimWrapperCfg, paramwiseCfg?: ParamwiseCfg) {
    if (cfg === null || typeof cfg !== 'object')
      throw new TypeError('DefaultOptimWrapperConstructor: the config must be an object');
    const { optimizer, paramwiseCfg: own, ...wrapper } = cfg;
    if (!optimizer || typeof optimizer !== 'object' || !('type' in optimizer))
      throw new TypeError('DefaultOptimWrapperConstructor: the config needs `optimizer: {type, ...options}`');
    this.optimizerCfg = { ...optimizer };
    this.wrapperCfg = wrapper;
    this.paramwiseCfg = { ...(paramwiseCfg ?? own ?? {}) };
    this.baseLr = optimizer.lr;
    this.baseWd = optimizer.weightDecay;
    this.validate();
  }

  private validate(): void {
    const p = this.paramwiseCfg;
    const name = 'DefaultOptimWrapperConstructor';
    for (const k of Object.keys(p))
      if (!PARAMWISE_KEYS.includes(k))
        throw new TypeError(`${name}: unknown paramwiseCfg option '${k}' (known: ${PARAMWISE_KEYS.join(', ')})`);
    if (p.customKeys !== undefined) {
      if (p.customKeys === null || typeof p.customKeys !== 'object' || Array.isArray(p.customKeys))
        throw new TypeError(`${name}: customKeys must be an object of key -> {lrMult, decayMult, ...}`);
      if (this.baseWd === undefined)
        for (const [k, v] of Object.entries(p.customKeys))
          if (v && 'decayMult' in v)
            throw new Error(
              `${name}: customKeys['${k}'].decayMult needs the optimizer's weightDecay (base_wd should not be None)`,
            );
    }
    if (this.baseWd === undefined)
      for (const k of ['biasDecayMult', 'normDecayMult', 'dwconvDecayMult'] as const)
        if (p[k] !== undefined)
          throw new Error(`${name}: ${k} needs the optimizer's weightDecay (base_wd should not be None)`);
  }

  /** The optimizer over `model`'s parameters (per paramwiseCfg), in the wrapper of `type`. */
  build(model: Module): BaseOptimWrapper {
    const { type, ...options } = this.optimizerCfg;
    const cls = optimizerClass(type);
    const params = Object.keys(this.paramwiseCfg).length === 0 ? model.parameters() : this.paramGroups(model);
    const optimizer = new cls(params, options);
    const { type: wrapperType = 'OptimWrapper', ...wrapperOptions } = this.wrapperCfg;
    if (wrapperType === 'AmpOptimWrapper') return new AmpOptimWrapper({ ...wrapperOptions, optimizer });
    if (wrapperType !== 'OptimWrapper')
      throw new Error(
        `buildOptimWrapper: type must be 'OptimWrapper' or 'AmpOptimWrapper', got ${String(wrapperType)}`,
      );
    return new OptimWrapper({ ...(wrapperOptions as Omit<OptimWrapperOptions, 'optimizer'>), optimizer });
  }

  /** One group per parameter, with the options paramwiseCfg gives it (see the module comment). */
  paramGroups(model: Module): torch.optim.ParamGroupInput[] {
    const groups: torch.optim.ParamGroupInput[] = [];
    const seen = new Set<torch.Tensor>();
    this.addParams(groups, seen, model, '');
    return groups;
  }

  private addParams(
    groups: torch.optim.ParamGroupInput[],
    seen: Set<torch.Tensor>,
    module: Module,
    prefix: string,
  ): void {
    const p = this.paramwiseCfg;
    const customKeys = p.customKeys ?? {};
    // the longest first; among equally long ones, alphabetical order
    const keys = Object.keys(customKeys)
      .sort()
      .sort((a, b) => b.length - a.length);
    const norm = isNorm(module);
    const dwconv = module instanceof torch.nn.Conv2d && module.inChannels === module.groups;
    const lr = this.baseLr as number;
    const wd = this.baseWd;
    for (const [name, param] of module.namedParameters({ recurse: false })) {
      const full = prefix ? `${prefix}.${name}` : name;
      if (p.bypassDuplicate && seen.has(param)) {
        getLogger().warning(`${full} is duplicate. It is skipped since bypassDuplicate=true`);
        continue;
      }
      seen.add(param);
      const group: torch.optim.ParamGroupInput = { params: [param] };
      if (!param.requiresGrad) {
        groups.push(group);
        continue;
      }
      const key = keys.find((k) => `${prefix}.${name}`.includes(k));
      if (key !== undefined) {
        const custom = customKeys[key] as CustomKeyCfg;
        group.lr = lr * (custom.lrMult ?? 1);
        if (wd !== undefined) group.weightDecay = wd * (custom.decayMult ?? 1);
        Object.assign(group, custom);
      } else {
        if (name === 'bias' && !norm && p.biasLrMult !== undefined) group.lr = lr * p.biasLrMult;
        if (wd !== undefined) {
          if (norm && p.normDecayMult !== undefined) group.weightDecay = wd * p.normDecayMult;
          else if (name === 'bias' && p.biasDecayMult !== undefined) group.weightDecay = wd * p.biasDecayMult;
          else if (dwconv && p.dwconvDecayMult !== undefined) group.weightDecay = wd * p.dwconvDecayMult;
          else if (param.dim() === 1 && p.flatDecayMult !== undefined) group.weightDecay = wd * p.flatDecayMult;
        }
      }
      groups.push(group);
      for (const [k, v] of Object.entries(group))
        if (k !== 'params') getLogger().info(`paramwise_options -- ${full}:${k}=${String(v)}`);
    }
    for (const [childName, child] of module.namedChildren())
      this.addParams(groups, seen, child, prefix ? `${prefix}.${childName}` : childName);
  }
}

/** An optimizer wrapper from a config (see the module comment); a wrapper given as such is returned as it is. */
export function buildOptimWrapper(model: Module, cfg: OptimWrapperCfg | BaseOptimWrapper): BaseOptimWrapper {
  if ('updateParams' in cfg) return cfg;
  return new DefaultOptimWrapperConstructor(cfg).build(model);
}
