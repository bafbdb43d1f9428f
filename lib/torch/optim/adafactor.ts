// torch.optim.Adafactor, following torch/optim/_adafactor.py's _single_tensor_adafactor (the
// default, even on CUDA: Adafactor is for when memory is short, and the foreach path needs a
// temporary per parameter) and _multi_tensor_adafactor (`foreach: true`) operation by operation,
// so that both give PyTorch's numbers bit for bit.
import {
  _foreachAdd_,
  _foreachClampMin_,
  _foreachDiv_,
  _foreachLerp_,
  _foreachMul,
  _foreachMul_,
  _foreachNeg,
  _foreachRsqrt_,
  zeros,
  zerosLike,
} from '../../generated/functions.js';
import { linalgVectorNorm } from '../../generated/namespaces.js';
import { scalarTensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import {
  checkBoolean,
  checkFlags,
  checkNumber,
  checkOptionNames,
  incrementSteps,
  Optimizer,
  type OptimizerParams,
  type ParamGroup,
  stepValues,
  updateByDeviceGroup,
} from './optimizer.js';
import { pyPow } from './pymath.js';

export interface AdafactorOptions {
  /** default 1e-2: the cap on the relative step size, and the weight decay's factor */
  lr?: number;
  /** default -0.8: beta2 at step t is 1 - t^beta2Decay */
  beta2Decay?: number;
  /**
   * default [null, 1e-3]: eps1 floors the variance estimate (null: the machine epsilon of the
   * first updated parameter's dtype, as in PyTorch), eps2 floors the parameter scale
   */
  eps?: [number | null, number];
  /** default 1: the update's RMS is clipped to d */
  d?: number;
  /** default 0: decoupled, param *= 1 - lr * weightDecay */
  weightDecay?: number;
  /** true: the foreach (multi-tensor) path; false or null (the default): the single-tensor one */
  foreach?: boolean | null;
  maximize?: boolean;
}

export interface AdafactorParamGroup extends ParamGroup {
  beta2Decay: number;
  eps: [number | null, number];
  d: number;
  weightDecay: number;
  foreach: boolean | null;
  maximize: boolean;
}

export interface AdafactorState {
  /** float32 0-d tensor, as in PyTorch */
  step?: Tensor;
  /** for parameters of 2 or more dims: the mean of grad^2 over the last dim (size 1 there) */
  rowVar?: Tensor;
  /** for parameters of 2 or more dims: the mean of grad^2 over the second-to-last dim */
  colVar?: Tensor;
  /** for 0-d and 1-d parameters: the running mean of grad^2, unfactored */
  variance?: Tensor;
  [key: string]: unknown;
}

const OPTIONS = ['lr', 'beta2Decay', 'eps', 'd', 'weightDecay', 'foreach', 'maximize'];

/** torch.finfo(dtype).eps */
const MACHINE_EPS: Record<string, number> = {
  float64: 2 ** -52,
  float32: 2 ** -23,
  float16: 2 ** -10,
  bfloat16: 2 ** -7,
};

// Python's max(a, b) and min(a, b) keep the first argument unless the second compares greater
// (smaller): with a NaN they give the first, where Math.max and Math.min give NaN.
// biome-ignore lint/complexity/useMathMinMax: Math.max differs with NaN, see above
const pyMax = (a: number, b: number): number => (b > a ? b : a);
// biome-ignore lint/complexity/useMathMinMax: Math.min differs with NaN, see above
const pyMin = (a: number, b: number): number => (b < a ? b : a);

// PyTorch's C++ _group_tensors_by_first_tensors_device_and_dtype collects the groups in a
// std::unordered_map keyed by (device, dtype), whose bytes are hashed by FNV-1a (ParamsHash), and
// Python iterates the groups in the map's order: with libstdc++ and its first 13 buckets (a
// 14th group would rehash, which is not modelled), a group that opens an empty bucket goes to the
// front, one that shares a bucket goes just before the groups already in it. Checked against
// Python for every order of 2 to 4 floating dtypes on the CPU (CUDA keys hash device type 1 and
// the index, unchecked). Only Adafactor's eps1 = null depends on that order.
const SCALAR_TYPE: Record<string, number> = { float16: 5, float32: 6, float64: 7, bfloat16: 15 };

/** The parameter whose (device, dtype) group PyTorch's foreach path updates first. */
function firstForeachGroup(params: Tensor[]): Tensor {
  const order: { key: string; bucket: number; param: Tensor }[] = [];
  for (const p of params) {
    const key = `${p.device} ${p.dtype}`;
    if (order.some((g) => g.key === key)) continue;
    const [type, index] = p.device === 'cpu' ? [0, 0xff] : [1, Number(p.device.split(':')[1] ?? 0) & 0xff];
    let h = 0x811c9dc5;
    for (const byte of [type, index, SCALAR_TYPE[p.dtype] ?? 0]) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    const bucket = h % 13;
    const at = order.findIndex((g) => g.bucket === bucket);
    order.splice(Math.max(at, 0), 0, { key, bucket, param: p });
  }
  return (order[0] as { param: Tensor }).param;
}

/** The root mean square of `t`'s elements, as PyTorch computes it: ||t||_2 / sqrt(numel). */
const rms = (t: Tensor): number => (linalgVectorNorm(t).item() as number) / pyPow(t.numel(), 0.5);

/** The update's divisor: its RMS over d, at least 1, rounded as PyTorch's ||u||_2 / (sqrt(numel) * d). */
const clipDenom = (u: Tensor, d: number): number =>
  pyMax(1.0, (linalgVectorNorm(u).item() as number) / (pyPow(u.numel(), 0.5) * d));

/**
 * Adafactor (Shazeer and Stern), in PyTorch's variant: the second moment of a parameter of two
 * or more dims is kept as a row and a column factor over its last two dims; the step is relative
 * to the parameter's RMS, and lr caps the relative step and scales the decoupled weight decay.
 */
export class Adafactor extends Optimizer<AdafactorParamGroup, AdafactorState> {
  constructor(params: OptimizerParams, options?: AdafactorOptions) {
    checkOptionNames('Adafactor', options, OPTIONS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      beta2Decay: options?.beta2Decay ?? -0.8,
      eps: options?.eps ?? [null, 1e-3],
      d: options?.d ?? 1.0,
      weightDecay: options?.weightDecay ?? 0,
      foreach: options?.foreach ?? null,
      maximize: options?.maximize ?? false,
    });
  }

  protected validate(o: Record<string, unknown>): void {
    const name = 'Adafactor';
    const lr = checkNumber(name, o, 'lr');
    if (!(lr >= 0)) throw new Error(`${name}: invalid learning rate (lr): ${lr} (must be >= 0)`);
    const decay = checkNumber(name, o, 'beta2Decay');
    if (!(decay <= 0)) throw new Error(`${name}: invalid beta2Decay: ${decay} (must be <= 0)`);
    const eps = o.eps;
    if (
      !Array.isArray(eps) ||
      eps.length !== 2 ||
      !(eps[0] === null || typeof eps[0] === 'number') ||
      typeof eps[1] !== 'number'
    ) {
      throw new TypeError(`${name}: eps must be an array [eps1, eps2] of a number or null and a number`);
    }
    if (eps[0] !== null && !(eps[0] >= 0)) throw new Error(`${name}: invalid eps[0] (eps1): ${eps[0]} (must be >= 0)`);
    if (!(eps[1] >= 0)) throw new Error(`${name}: invalid eps[1] (eps2): ${eps[1]} (must be >= 0)`);
    const d = checkNumber(name, o, 'd');
    if (!(d >= 1)) throw new Error(`${name}: invalid clipping threshold d: ${d} (must be >= 1)`);
    const wd = checkNumber(name, o, 'weightDecay');
    if (!(wd >= 0)) throw new Error(`${name}: invalid weightDecay: ${wd} (must be >= 0)`);
    checkBoolean(name, o, 'maximize');
    checkFlags(name, o);
  }

  protected updateGroup(group: AdafactorParamGroup): void {
    // eps1 = null takes the machine epsilon of the dtype that PyTorch updates first, for all the
    // group's parameters (it is set once per group and step, in both paths): the first
    // parameter's on the single-tensor path, the first device and dtype group's on the foreach one
    const withGrad: Tensor[] = [];
    for (const p of group.params) {
      if (p.grad === null) continue;
      if (p.isComplex()) throw new Error(`Adafactor.step: complex parameters are not supported (got ${p.dtype})`);
      withGrad.push(p);
    }
    if (withGrad.length === 0) return;
    let eps1 = group.eps[0];
    if (eps1 === null) {
      const first = group.foreach === true ? firstForeachGroup(withGrad) : (withGrad[0] as Tensor);
      eps1 = MACHINE_EPS[first.dtype] ?? 2 ** -52;
    }
    const e1 = eps1;
    updateByDeviceGroup(
      group,
      false,
      (params, grads) => this.updateSingle(group, params, grads, e1),
      (params, grads) => this.updateForeach(group, params, grads, e1),
      'Adafactor.step: Adafactor does not support sparse gradients',
    );
  }

  /** The parameter's state, made as Adafactor._init_group makes it on the first step. */
  private initState(param: Tensor, grad: Tensor): AdafactorState {
    const state = this.stateOf(param);
    if (Object.keys(state).length === 0) {
      state.step = scalarTensor(0, { dtype: 'float32' }).keep();
      if (grad.dim() > 1) {
        const rowShape = grad.shape;
        rowShape[rowShape.length - 1] = 1;
        state.rowVar = zeros(rowShape, { dtype: grad.dtype, device: grad.device }).keep();
        const colShape = grad.shape;
        colShape[colShape.length - 2] = 1;
        state.colVar = zeros(colShape, { dtype: grad.dtype, device: grad.device }).keep();
      } else {
        state.variance = zerosLike(grad).keep();
      }
    }
    return state;
  }

  /** The state of a factored (rowVar, colVar) or unfactored (variance) parameter, or an Error. */
  private static factor(state: AdafactorState, multidim: boolean, shape: number[]): Tensor[] {
    const t = multidim ? [state.rowVar, state.colVar] : [state.variance];
    if (t.some((x) => x == null)) {
      throw new Error(
        `Adafactor.step: the state of a parameter of shape [${shape}] has no ${multidim ? 'row_var and col_var' : 'variance'}; was it loaded from the state of another parameter?`,
      );
    }
    return t as Tensor[];
  }

  /** _single_tensor_adafactor over `params` (which have gradients). */
  private updateSingle(group: AdafactorParamGroup, params: Tensor[], grads: Tensor[], eps1: number): void {
    const { lr, beta2Decay, d, weightDecay, maximize } = group;
    const eps2 = group.eps[1];
    for (const [i, param] of params.entries()) {
      const g = grads[i] as Tensor;
      const grad = maximize ? g.neg() : g;
      const state = this.initState(param, g);
      const stepT = state.step as Tensor;

      stepT.add_(1);
      const step = stepT.item() as number;
      const oneMinusBeta2T = pyPow(step, beta2Decay);
      const rhoT = pyMin(lr, 1 / pyPow(step, 0.5));
      // measured before the weight decay
      const alpha = pyMax(eps2, rms(param)) * rhoT;
      if (weightDecay !== 0) param.mul_(1 - lr * weightDecay);

      let varEstimate: Tensor;
      if (grad.dim() > 1) {
        const [rowVar, colVar] = Adafactor.factor(state, true, param.shape) as [Tensor, Tensor];
        // mean(g^2) along a dim as ||g||^2 / n: no temporary of the gradient's size
        rowVar.lerp_(linalgVectorNorm(grad, 2, -1, { keepdim: true }).square().div_(grad.size(-1)), oneMinusBeta2T);
        colVar.lerp_(linalgVectorNorm(grad, 2, -2, { keepdim: true }).square().div_(grad.size(-2)), oneMinusBeta2T);
        varEstimate = rowVar.matmul(colVar);
        varEstimate.div_(rowVar.mean(-2, { keepdim: true }).clamp_({ min: eps1 }));
      } else {
        const [variance] = Adafactor.factor(state, false, param.shape) as [Tensor];
        variance.lerp_(grad.mul(grad), oneMinusBeta2T);
        varEstimate = variance.clone();
      }
      // eps1 squared: the square root follows
      const update = varEstimate.clamp_({ min: eps1 * eps1 }).rsqrt();
      update.mul_(grad);
      const denom = clipDenom(update, d);
      param.add_(update, { alpha: -alpha / denom });
    }
  }

  /**
   * _multi_tensor_adafactor over `params` (of one device and dtype, with gradients): factored and
   * unfactored parameters are updated as two lists, each in the order of their first appearance.
   */
  private updateForeach(group: AdafactorParamGroup, params: Tensor[], grads: Tensor[], eps1: number): void {
    const multi: number[] = [];
    const single: number[] = [];
    for (const [i, g] of grads.entries()) (g.dim() > 1 ? multi : single).push(i);
    const parts = (grads[0] as Tensor).dim() > 1 ? [multi, single] : [single, multi];
    for (const part of parts) {
      if (part.length === 0) continue;
      this.updateForeachPart(
        group,
        part.map((i) => params[i] as Tensor),
        part.map((i) => grads[i] as Tensor),
        eps1,
        part === multi,
      );
    }
  }

  private updateForeachPart(
    group: AdafactorParamGroup,
    params: Tensor[],
    paramGrads: Tensor[],
    eps1: number,
    multidim: boolean,
  ): void {
    const { lr, beta2Decay, d, weightDecay, maximize } = group;
    const eps2 = group.eps[1];
    const states = params.map((p, i) => this.initState(p, paramGrads[i] as Tensor));
    const grads = maximize ? _foreachNeg(paramGrads) : paramGrads;
    const steps = states.map((s) => s.step as Tensor);
    incrementSteps(steps);

    const stepsNow = stepValues(steps);
    const oneMinusBeta2Ts = stepsNow.map((s) => pyPow(s, beta2Decay));
    const alphas = params.map((p, i) => pyMax(eps2, rms(p)) * pyMin(lr, 1 / pyPow(stepsNow[i] as number, 0.5)));
    if (weightDecay !== 0) _foreachMul_(params, 1 - lr * weightDecay);

    let varEstimates: Tensor[];
    if (multidim) {
      const factors = states.map((s, i) => Adafactor.factor(s, true, (params[i] as Tensor).shape));
      const rowVars = factors.map((f) => f[0] as Tensor);
      const colVars = factors.map((f) => f[1] as Tensor);
      const rowMeans = grads.map((g) => linalgVectorNorm(g, 2, -1, { keepdim: true }));
      _foreachMul_(rowMeans, rowMeans);
      _foreachDiv_(
        rowMeans,
        grads.map((g) => g.size(-1)),
      );
      _foreachLerp_(rowVars, rowMeans, oneMinusBeta2Ts);
      const colMeans = grads.map((g) => linalgVectorNorm(g, 2, -2, { keepdim: true }));
      _foreachMul_(colMeans, colMeans);
      _foreachDiv_(
        colMeans,
        grads.map((g) => g.size(-2)),
      );
      _foreachLerp_(colVars, colMeans, oneMinusBeta2Ts);
      varEstimates = rowVars.map((r, i) => r.matmul(colVars[i] as Tensor));
      const rowVarMeans = rowVars.map((r) => r.mean(-2, { keepdim: true }));
      _foreachClampMin_(rowVarMeans, eps1);
      _foreachDiv_(varEstimates, rowVarMeans);
    } else {
      const variances = states.map((s, i) => Adafactor.factor(s, false, (params[i] as Tensor).shape)[0] as Tensor);
      _foreachLerp_(variances, _foreachMul(grads, grads), oneMinusBeta2Ts);
      varEstimates = variances.map((v) => v.clone());
    }
    // Squared, since the rsqrt that follows brings eps1 back to its own magnitude.
    _foreachClampMin_(varEstimates, eps1 * eps1);
    _foreachRsqrt_(varEstimates);
    const updates = varEstimates;
    _foreachMul_(updates, grads);
    const scales = updates.map((u, i) => -(alphas[i] as number) / clipDenom(u, d));
    _foreachMul_(updates, scales);
    _foreachAdd_(params, updates);
  }
}
