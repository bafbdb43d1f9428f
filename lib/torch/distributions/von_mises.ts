// The von Mises distribution on the circle, with mean direction `loc` and concentration κ
// (PyTorch's torch.distributions.VonMises). Sampling is the Best–Fisher rejection sampler, run in
// float64 as PyTorch runs it, three uniforms per round for every element until all are accepted;
// the Bessel functions are PyTorch's polynomial approximations, op for op.
import { rand, where, zeros } from '../../generated/functions.js';
import { noGrad } from '../autograd.js';
import { scope } from '../lifetime.js';
import type { Tensor } from '../tensor.js';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { broadcastAll, type Param } from './utils.js';

const I0_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813];
const I0_LARGE = [
  0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633, 0.00392377,
];
const I1_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411];
const I1_LARGE = [
  0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312, 0.01787654, -0.00420059,
];

/** Horner's rule from the highest coefficient down, starting from a plain number as PyTorch. */
function evalPoly(y: Tensor, coef: number[]): Tensor {
  let result: Tensor | number = coef[coef.length - 1] as number;
  for (let i = coef.length - 2; i >= 0; i--) result = y.mul(result).add(coef[i] as number);
  return result as Tensor;
}

/** log I_order(x) for order 0 or 1 (PyTorch's _log_modified_bessel_fn). */
export function logModifiedBessel(x: Tensor, order: 0 | 1): Tensor {
  const ySmall = x.div(3.75);
  const y2 = ySmall.mul(ySmall);
  let small = evalPoly(y2, order === 0 ? I0_SMALL : I1_SMALL);
  if (order === 1) small = x.abs().mul(small);
  small = small.log();
  // PyTorch's 3.75 / x is reciprocal(x) * 3.75.
  const yLarge = x.reciprocal().mul(3.75);
  const large = x.sub(x.log().mul(0.5)).add(evalPoly(yLarge, order === 0 ? I0_LARGE : I1_LARGE).log());
  return where(x.lt(3.75), small, large);
}

const TWO_PI = 2 * Math.PI;
const LOG_2PI = Math.log(2 * Math.PI);

export class VonMises extends Distribution {
  loc: Tensor;
  concentration: Tensor;

  constructor(loc: Param, concentration: Param, options?: DistributionOptions) {
    super();
    [this.loc, this.concentration] = broadcastAll('VonMises', ['loc', 'concentration'], [loc, concentration]).map((t) =>
      this.own(t),
    ) as [Tensor, Tensor];
    this.init(this.loc.shape, [], options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { loc: real, concentration: positive };
  }

  get support(): Constraint {
    return real;
  }

  protected presentParams(): [string, Tensor][] {
    return [
      ['loc', this.loc],
      ['concentration', this.concentration],
    ];
  }

  override expand(batchShape: number[]): VonMises {
    const d = this.blank<VonMises>();
    d.loc = d.own(this.loc.expand(batchShape));
    d.concentration = d.own(this.concentration.expand(batchShape));
    this.initExpanded(d, batchShape);
    return d;
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get mode(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    const k = this.concentration;
    return logModifiedBessel(k, 1).sub(logModifiedBessel(k, 0)).exp().neg().add(1);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    return this.concentration.mul(value.sub(this.loc).cos()).sub(LOG_2PI).sub(logModifiedBessel(this.concentration, 0));
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    const shape = this.extendedShape(sampleShape);
    return noGrad(() =>
      scope(() => {
        const loc = this.loc.to({ dtype: 'float64' });
        const kappa = this.concentration.to({ dtype: 'float64' });
        const r = proposalR(kappa);
        let x = zeros(shape, { dtype: 'float64', device: this.loc.device });
        let done = zeros(shape, { dtype: 'bool', device: this.loc.device });
        while (!(done.all().item() as boolean)) {
          [x, done] = scope(() => {
            const [u1, u2, u3] = rand([3, ...shape], { dtype: 'float64', device: this.loc.device }).unbind() as [
              Tensor,
              Tensor,
              Tensor,
            ];
            const z = u1.mul(Math.PI).cos();
            const f = r.mul(z).add(1).div(r.add(z));
            const c = kappa.mul(r.sub(f));
            const accept = c.mul(c.neg().add(2)).sub(u2).gt(0).logicalOr(c.div(u2).log().add(1).sub(c).ge(0));
            if (!(accept.any().item() as boolean)) return [x, done];
            return [where(accept, u3.sub(0.5).sign().mul(f.acos()), x), done.logicalOr(accept)];
          });
        }
        return x.add(Math.PI).add(loc).remainder(TWO_PI).sub(Math.PI).to({ dtype: this.loc.dtype });
      }),
    );
  }
}

/** The rejection sampler's envelope parameter, with its Taylor form for tiny κ. */
function proposalR(kappa: Tensor): Tensor {
  const tau = kappa.pow(2).mul(4).add(1).sqrt().add(1);
  const rho = tau.sub(tau.mul(2).sqrt()).div(kappa.mul(2));
  const r = rho.pow(2).add(1).div(rho.mul(2));
  const taylor = kappa.reciprocal().add(kappa);
  return where(kappa.lt(1e-5), taylor, r);
}
