// BaseModel: the model that the engine trains, as MMEngine's BaseModel.
//
//   trainStep(data, optimWrapper): preprocess (training) and forward('loss') inside
//     optimWrapper.optimContext(model), then parseLosses, then optimWrapper.updateParams(loss);
//     returns the log variables as numbers.
//   valStep(data) / testStep(data): preprocess and forward('predict').
//
// A batch that is an object is passed to forward as one argument followed by the mode; an
// array batch is spread as positional arguments followed by the mode. Every step runs in a
// tensor scope: what the step made and does not return is freed when it ends. "Returned" means
// found in the result through arrays, Maps and plain objects: a tensor held by a class instance
// (a data element class) is not seen, so such a predict result must keep() its tensors.

import { isPlainObject } from '../../plain_object.js';
import type { Device } from '../../torch/index.js';
import * as torch from '../../torch/index.js';
import type { BaseOptimWrapper } from '../optim/optim_wrapper.js';
import { BaseModule } from './base_module.js';
import { ClsDataPreprocessor } from './cls_data_preprocessor.js';
import { BaseDataPreprocessor, ImgDataPreprocessor, type ImgDataPreprocessorOptions } from './data_preprocessor.js';
import type { InitCfg } from './weight_init.js';

type Tensor = torch.Tensor;

const isScalarFloat = (t: Tensor): boolean => t.dim() === 0 && torch.isFloatingPoint(t.dtype);

export type ForwardMode = 'loss' | 'predict' | 'tensor';
/** What forward returns in 'loss' mode: losses (and other values to log) by name. */
export type LossDict = Record<string, Tensor | Tensor[]>;
export type LogVars = Record<string, number>;

/** A preprocessor given as options: `{type: 'ImgDataPreprocessor', ...}` or `{type: 'BaseDataPreprocessor'}`. */
export type DataPreprocessorConfig =
  | ({ type: 'ImgDataPreprocessor' | 'ClsDataPreprocessor' } & ImgDataPreprocessorOptions)
  | { type: 'BaseDataPreprocessor'; nonBlocking?: boolean };

export interface BaseModelOptions {
  dataPreprocessor?: torch.nn.Module | DataPreprocessorConfig | null;
  initCfg?: InitCfg | null;
}

function buildPreprocessor(cfg: BaseModelOptions['dataPreprocessor']): torch.nn.Module {
  if (cfg === undefined || cfg === null) return new BaseDataPreprocessor();
  if (cfg instanceof torch.nn.Module) return cfg;
  if (typeof cfg === 'object' && !Array.isArray(cfg) && 'type' in cfg) {
    const { type, ...options } = cfg;
    if (type === 'ImgDataPreprocessor') return new ImgDataPreprocessor(options);
    if (type === 'ClsDataPreprocessor') return new ClsDataPreprocessor(options);
    if (type === 'BaseDataPreprocessor') return new BaseDataPreprocessor(options);
    throw new Error(`Unknown data preprocessor type '${String(type)}'`);
  }
  const got = Array.isArray(cfg) ? 'array' : typeof cfg;
  throw new TypeError(`dataPreprocessor should be an options object or an nn.Module instance, but got ${got}`);
}

/**
 * Calls `model.forward` with a preprocessed batch: an array batch is spread, an object batch is
 * one argument; the mode comes last. (BaseModel and the distributed wrapper share it.)
 */
export function callForward(model: torch.nn.Module, data: unknown, mode: ForwardMode): unknown {
  const forward = model.forward as (...args: unknown[]) => unknown;
  if (Array.isArray(data)) return forward.call(model, ...data, mode);
  if (isPlainObject(data)) return forward.call(model, data, mode);
  const got = data === null ? 'null' : data instanceof torch.Tensor ? 'a Tensor' : typeof data;
  throw new TypeError(`Output of \`dataPreprocessor\` should be an array or an object, but got ${got}`);
}

/**
 * @typeParam Predict  one element of what forward returns in 'predict' mode
 * @typeParam TensorOut what forward returns in 'tensor' mode
 */
export abstract class BaseModel<Predict = unknown, TensorOut = unknown> extends BaseModule {
  dataPreprocessor: torch.nn.Module;

  constructor(options?: BaseModelOptions) {
    super(options?.initCfg ?? null);
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError('BaseModel options must be an object ({dataPreprocessor, initCfg})');
    }
    const known = new Set(['dataPreprocessor', 'initCfg']);
    for (const k of Object.keys(options ?? {})) {
      if (!known.has(k))
        throw new TypeError(`BaseModel got an unexpected option '${k}' (expected dataPreprocessor, initCfg)`);
    }
    this.dataPreprocessor = buildPreprocessor(options?.dataPreprocessor);
  }

  /**
   * The model's computation. `mode` is the last argument: after the batch object, or after the
   * spread elements of an array batch. Subclasses overload it so that the result type follows
   * the mode: 'loss' gives a LossDict, 'predict' an array of Predict, 'tensor' a TensorOut.
   */
  abstract override forward(...args: never[]): LossDict | Predict[] | TensorOut;

  /** Calls forward with the preprocessed batch, following the object/array convention. */
  runForward(data: unknown, mode: 'loss'): LossDict;
  runForward(data: unknown, mode: 'predict'): Predict[];
  runForward(data: unknown, mode: 'tensor'): TensorOut;
  runForward(data: unknown, mode: ForwardMode): LossDict | Predict[] | TensorOut;
  runForward(data: unknown, mode: ForwardMode): LossDict | Predict[] | TensorOut {
    return callForward(this, data, mode) as LossDict | Predict[] | TensorOut;
  }

  /** Runs the data preprocessor on a batch (`training`: batch augments on). */
  preprocess(data: unknown, training: boolean): unknown {
    return (this.dataPreprocessor.forward as (d: unknown, t: boolean) => unknown).call(
      this.dataPreprocessor,
      data,
      training,
    );
  }

  /**
   * The losses' total and the values to log, as MMEngine's parse_losses: each value's mean (an
   * array of tensors: the sum of their means), the total of the keys whose name contains 'loss',
   * and `loss` first in the log variables. Log variables are plain numbers.
   */
  parseLosses(losses: LossDict): { loss: Tensor; logVars: LogVars } {
    const recorded: [string, Tensor | number][] = [];
    for (const [name, value] of Object.entries(losses)) {
      // The mean of a 0-d float loss is that loss: skipping it spares an op and an autograd node.
      if (value instanceof torch.Tensor) recorded.push([name, isScalarFloat(value) ? value : value.mean()]);
      else if (Array.isArray(value) && value.every((v) => v instanceof torch.Tensor)) {
        let sum: Tensor | number = 0;
        for (const v of value) sum = typeof sum === 'number' ? v.mean() : sum.add(v.mean());
        recorded.push([name, sum]);
      } else {
        throw new TypeError(`${name} is not a tensor or list of tensors`);
      }
    }
    let total: Tensor | number = 0;
    for (const [name, v] of recorded) {
      if (!name.includes('loss')) continue;
      if (typeof total !== 'number') total = total.add(v);
      else if (typeof v === 'number') total += v;
      else total = total === 0 ? v : v.add(total); // 0 + loss is the loss: no op, no autograd node
    }
    const loss = typeof total === 'number' ? torch.tensor(total, { dtype: 'float32' }) : total;
    const lossValue = loss.item() as number;
    const toNumber = (v: Tensor | number) =>
      typeof v === 'number' ? v : v === loss ? lossValue : (v.item() as number);
    // As in the reference, a user key named exactly 'loss' keeps the first position but shows its own value.
    const logVars: LogVars = { loss: lossValue };
    for (const [name, v] of recorded) logVars[name] = toNumber(v);
    return { loss, logVars };
  }

  trainStep(data: unknown, optimWrapper: BaseOptimWrapper): LogVars {
    return torch.scope(() => {
      const losses = optimWrapper.optimContext(this, () => this.runForward(this.preprocess(data, true), 'loss'));
      const { loss, logVars } = this.parseLosses(losses);
      optimWrapper.updateParams(loss);
      return logVars;
    });
  }

  valStep(data: unknown): Predict[] {
    return torch.scope(() => this.runForward(this.preprocess(data, false), 'predict'));
  }

  testStep(data: unknown): Predict[] {
    return torch.scope(() => this.runForward(this.preprocess(data, false), 'predict'));
  }

  /** Records `device` in every data preprocessor of the tree, nested models' included. */
  private setDevice(device: Device): void {
    for (const m of this.modules()) if (m instanceof BaseDataPreprocessor) m.setDevice(device);
  }

  override to(target: Parameters<torch.nn.Module['to']>[0]): this {
    const device = typeof target === 'string' ? (torch.isDType(target) ? undefined : target) : target.device;
    if (device !== undefined) this.setDevice(device);
    return super.to(target);
  }

  /** An index n means `cuda:n`; no argument records the index-less `cuda`, as the reference does. */
  override cuda(device: Device | number = 'cuda'): this {
    if (typeof device === 'number') device = `cuda:${device}`;
    this.setDevice(device);
    return super.to({ device });
  }

  override cpu(): this {
    this.setDevice('cpu');
    return super.to({ device: 'cpu' });
  }
}
