// Averaged copies of a model's weights, as MMEngine's mmengine/model/averaged_model.py:
// ExponentialMovingAverage (avg = lerp(avg, weight, momentum)), MomentumAnnealingEMA (momentum
// max(momentum, gamma / (gamma + steps))) and StochasticWeightAverage (the running mean).
//
// MMEngine deep-copies the module; here the averaged model holds a copy of each entry of the
// model's state dict, by name, and the model itself runs with them when EMAHook swaps them in.
// Its state dict is MMEngine's: `steps` (int64), then `module.<name>` for each entry, so the
// `ema_state_dict` of a checkpoint reads the same in both.
//
// updateParameters(model), as MMEngine's update_parameters: the first call copies the model's
// weights; then every `interval` calls the floating-point entries are averaged (the parameters,
// or with updateBuffers every entry of the state dict); without updateBuffers the buffers are
// copied from the model each call. Every call counts one step.

import type { Device } from '../../torch/index.js';
import * as torch from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';

type Tensor = torch.Tensor;
type Module = torch.nn.Module;

export interface AveragedModelOptions {
  /** Average every `interval` calls of updateParameters (default 1). */
  interval?: number;
  /** Where the averaged weights live (default: the model's device). */
  device?: Device;
  /** Average the buffers too (BatchNorm's running statistics), instead of copying them (default false). */
  updateBuffers?: boolean;
}

const isFloating = (t: Tensor): boolean => ['float16', 'float32', 'float64', 'bfloat16'].includes(t.dtype);

export abstract class BaseAveragedModel {
  readonly interval: number;
  readonly updateBuffers: boolean;
  /** updateParameters calls so far. */
  steps = 0;
  /** The averaged copy of each entry of the model's state dict. */
  readonly averaged = new Map<string, Tensor>();
  /** The entries that are averaged: the parameters, or every entry with updateBuffers. */
  readonly averagedNames: ReadonlySet<string>;

  constructor(model: Module, options?: AveragedModelOptions) {
    const name = new.target.name;
    this.interval = options?.interval ?? 1;
    if (!Number.isInteger(this.interval) || this.interval < 1)
      throw new TypeError(`${name}: interval must be a positive integer, got ${this.interval}`);
    this.updateBuffers = options?.updateBuffers ?? false;
    torch.noGrad(() => {
      for (const [k, v] of Object.entries(model.stateDict())) {
        const copy = options?.device ? v.to({ device: options.device, copy: true }) : v.clone();
        this.averaged.set(k, copy.keep());
      }
    });
    this.averagedNames = new Set(this.updateBuffers ? this.averaged.keys() : model.namedParameters().map(([k]) => k));
  }

  /** Moves `avg` towards `src` (both of one device), in place; `steps` counts the calls before this one. */
  protected abstract avgFunc(avg: Tensor, src: Tensor, steps: number): void;

  /** One step of averaging with `model`'s current weights (see the module comment). */
  updateParameters(model: Module): void {
    torch.scope(() =>
      torch.noGrad(() => {
        const source = model.stateDict();
        for (const k of this.averagedNames) {
          const avg = this.averaged.get(k) as Tensor;
          const src = source[k];
          if (!src) throw new Error(`${this.constructor.name}.updateParameters: the model has no ${k}`);
          if (this.steps === 0) avg.copy_(src);
          else if (this.steps % this.interval === 0 && isFloating(avg))
            this.avgFunc(avg, src.to({ device: avg.device }), this.steps);
        }
        if (!this.updateBuffers) {
          for (const [k, avg] of this.averaged) {
            const src = source[k];
            if (!this.averagedNames.has(k) && src) avg.copy_(src);
          }
        }
      }),
    );
    this.steps += 1;
  }

  /** MMEngine's layout: `steps`, then `module.<name>` for each entry (detached views of the averaged weights). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { steps: torch.scalarTensor(this.steps, { dtype: 'int64' }) };
    for (const [k, v] of this.averaged) out[`module.${k}`] = v.detach();
    return out;
  }

  /** Loads a state dict of stateDict()'s layout; strict (the default), a missing or unexpected key is an Error. */
  loadStateDict(stateDict: Record<string, Tensor>, options?: { strict?: boolean }): void {
    const strict = options?.strict ?? true;
    const name = this.constructor.name;
    const expected = ['steps', ...[...this.averaged.keys()].map((k) => `module.${k}`)];
    const missing = expected.filter((k) => !(k in stateDict));
    const unexpected = Object.keys(stateDict).filter((k) => !expected.includes(k));
    if (strict && (missing.length || unexpected.length))
      throw new Error(
        `${name}.loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`,
      );
    const steps = stateDict.steps;
    if (steps) this.steps = Number(steps.item());
    this.loadWeights(
      Object.fromEntries(
        Object.entries(stateDict)
          .filter(([k]) => k.startsWith('module.'))
          .map(([k, v]) => [k.slice(7), v]),
      ),
    );
  }

  /** Copies the weights of a model's state dict (names without `module.`) into the averaged ones; returns the names it had no tensor for. */
  loadWeights(weights: Record<string, Tensor>): string[] {
    const absent: string[] = [];
    torch.noGrad(() => {
      for (const [k, avg] of this.averaged) {
        const w = weights[k];
        if (w) avg.copy_(w);
        else absent.push(k);
      }
    });
    return absent;
  }

  /** Frees the averaged weights. */
  dispose(): void {
    for (const t of this.averaged.values()) t.dispose();
    this.averaged.clear();
  }
}

/** The exponential moving average: avg = avg + momentum * (weight - avg) (MMEngine's momentum is the weight of the new value). */
export class ExponentialMovingAverage extends BaseAveragedModel {
  readonly momentum: number;

  constructor(model: Module, options?: AveragedModelOptions & { momentum?: number }) {
    super(model, options);
    this.momentum = options?.momentum ?? 0.0002;
    if (!(this.momentum > 0 && this.momentum < 1))
      throw new Error(`${new.target.name}: momentum must be in range (0.0, 1.0) but got ${this.momentum}`);
    if (this.momentum > 0.5)
      getLogger().warning(
        `${new.target.name}: momentum ${this.momentum} is the weight of the new value (MMEngine's convention, 1 - the usual EMA decay); it is usually small, e.g. 0.0002`,
      );
  }

  protected avgFunc(avg: Tensor, src: Tensor, _steps: number): void {
    avg.lerp_(src, this.momentum);
  }
}

/** An EMA whose momentum starts high and anneals: max(momentum, gamma / (gamma + steps)). */
export class MomentumAnnealingEMA extends ExponentialMovingAverage {
  readonly gamma: number;

  constructor(model: Module, options?: AveragedModelOptions & { momentum?: number; gamma?: number }) {
    super(model, options);
    this.gamma = options?.gamma ?? 100;
    if (!(this.gamma > 0)) throw new Error(`${new.target.name}: gamma must be greater than 0, but got ${this.gamma}`);
  }

  protected override avgFunc(avg: Tensor, src: Tensor, steps: number): void {
    avg.lerp_(src, Math.max(this.momentum, this.gamma / (this.gamma + steps)));
  }
}

/** Stochastic weight averaging: the running mean of the weights averaged so far. */
export class StochasticWeightAverage extends BaseAveragedModel {
  protected avgFunc(avg: Tensor, src: Tensor, steps: number): void {
    avg.add_(src.sub(avg), { alpha: 1 / (Math.floor(steps / this.interval) + 1) });
  }
}
