// KL(p || q) between two distributions, by a registry of closed forms keyed by the two classes
// (PyTorch's torch.distributions.kl). The most specific registered pair wins: the one whose p
// class is nearest p's class in its prototype chain, then the nearest for q.

import { softplus } from '../../generated/functional.js';
import { fullLike } from '../../generated/functions.js';
import { linalgSolveTriangular } from '../../generated/namespaces.js';
import type { Tensor } from '../tensor.js';
import { Bernoulli } from './bernoulli.js';
import { Beta } from './beta.js';
import { Binomial } from './binomial.js';
import { Categorical } from './categorical.js';
import { Dirichlet } from './dirichlet.js';
import { Distribution } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { Independent } from './independent.js';
import { Laplace } from './laplace.js';
import { LogNormal } from './log_normal.js';
import { batchMahalanobis, MultivariateNormal } from './multivariate_normal.js';
import { Normal } from './normal.js';
import { OneHotCategorical } from './one_hot_categorical.js';
import { Poisson } from './poisson.js';
import { Uniform } from './uniform.js';
import { broadcastShapes, eulerConstant, sumRightmost } from './utils.js';

// biome-ignore lint/suspicious/noExplicitAny: a registry of constructors of any signature
type DistributionClass<D extends Distribution = Distribution> = abstract new (...args: any[]) => D;
export type KlFunction<P extends Distribution = Distribution, Q extends Distribution = Distribution> = (
  p: P,
  q: Q,
) => Tensor;

const registry = new Map<DistributionClass, Map<DistributionClass, KlFunction>>();
const memo = new Map<DistributionClass, Map<DistributionClass, KlFunction | null>>();

/**
 * Registers `fn(p, q)` as KL(p || q) for p of class `typeP` and q of class `typeQ` (or their
 * subclasses, unless a more specific pair is registered), as PyTorch's register_kl.
 */
export function registerKl<P extends Distribution, Q extends Distribution>(
  typeP: DistributionClass<P>,
  typeQ: DistributionClass<Q>,
  fn: KlFunction<P, Q>,
): void {
  for (const [name, t] of [
    ['typeP', typeP],
    ['typeQ', typeQ],
  ] as const) {
    if (typeof t !== 'function' || !((t as unknown) === Distribution || t.prototype instanceof Distribution)) {
      throw new TypeError(`registerKl: expected ${name} to be a Distribution subclass`);
    }
  }
  if (typeof fn !== 'function') throw new TypeError('registerKl: fn must be a function (p, q) => Tensor');
  let row = registry.get(typeP);
  if (!row) registry.set(typeP, (row = new Map()));
  row.set(typeQ, fn as KlFunction);
  memo.clear();
}

/** How many steps up the prototype chain `cls` is from `of`, or -1 when it is not an ancestor. */
function distance(of: DistributionClass, cls: DistributionClass): number {
  let c: unknown = of;
  for (let d = 0; c; d++) {
    if (c === cls) return d;
    c = Object.getPrototypeOf(c);
  }
  return -1;
}

function dispatch(typeP: DistributionClass, typeQ: DistributionClass): KlFunction | null {
  let best: KlFunction | null = null;
  let bestP = Number.POSITIVE_INFINITY;
  let bestQ = Number.POSITIVE_INFINITY;
  for (const [superP, row] of registry) {
    const dp = distance(typeP, superP);
    if (dp < 0) continue;
    for (const [superQ, fn] of row) {
      const dq = distance(typeQ, superQ);
      if (dq < 0) continue;
      if (dp < bestP || (dp === bestP && dq < bestQ)) {
        best = fn;
        bestP = dp;
        bestQ = dq;
      }
    }
  }
  return best;
}

/** KL(p || q), batched over the batch shape. */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  if (!(p instanceof Distribution) || !(q instanceof Distribution)) {
    throw new TypeError('klDivergence: p and q must be Distributions');
  }
  const typeP = p.constructor as DistributionClass;
  const typeQ = q.constructor as DistributionClass;
  let row = memo.get(typeP);
  if (!row) memo.set(typeP, (row = new Map()));
  let fn = row.get(typeQ);
  if (fn === undefined) {
    fn = dispatch(typeP, typeQ);
    row.set(typeQ, fn);
  }
  if (!fn) {
    throw new Error(`klDivergence: no KL(p || q) is implemented for p type ${typeP.name} and q type ${typeQ.name}`);
  }
  return fn(p, q);
}

/** A tensor of +inf shaped as `t`. */
export function infiniteLike(t: Tensor): Tensor {
  return fullLike(t, Number.POSITIVE_INFINITY);
}

/** x log x, 0 at 0. */
export function xLogX(t: Tensor): Tensor {
  return t.xlogy(t);
}

registerKl(Bernoulli, Bernoulli, (p, q) => {
  const t1 = p.probs
    .mul(softplus(q.logits.neg()).sub(softplus(p.logits.neg())))
    .maskedFill(q.probs.eq(0), Number.POSITIVE_INFINITY)
    .maskedFill(p.probs.eq(0), 0);
  const t2 = p.probs
    .neg()
    .add(1)
    .mul(softplus(q.logits).sub(softplus(p.logits)))
    .maskedFill(q.probs.eq(1), Number.POSITIVE_INFINITY)
    .maskedFill(p.probs.eq(1), 0);
  return t1.add(t2);
});

function klCategorical(p: Categorical, q: Categorical): Tensor {
  const t = p.probs.mul(p.logits.sub(q.logits));
  return t
    .maskedFill(q.probs.eq(0).expandAs(t), Number.POSITIVE_INFINITY)
    .maskedFill(p.probs.eq(0).expandAs(t), 0)
    .sum(-1);
}

registerKl(Categorical, Categorical, klCategorical);
registerKl(OneHotCategorical, OneHotCategorical, (p, q) => klCategorical(p._categorical, q._categorical));

registerKl(Normal, Normal, (p, q) => {
  const varRatio = p.scale.div(q.scale).pow(2);
  const t1 = p.loc.sub(q.loc).div(q.scale).pow(2);
  return varRatio.add(t1).sub(1).sub(varRatio.log()).mul(0.5);
});

registerKl(Uniform, Uniform, (p, q) => {
  const result = q.high.sub(q.low).div(p.high.sub(p.low)).log();
  return result.maskedFill(q.low.gt(p.low).logicalOr(q.high.lt(p.high)), Number.POSITIVE_INFINITY);
});

registerKl(Uniform, Normal, (p, q) => {
  const common = p.high.sub(p.low);
  const t1 = q.scale
    .mul(Math.sqrt(Math.PI * 2))
    .div(common)
    .log();
  const t2 = common.pow(2).div(12);
  const t3 = p.high.add(p.low).sub(q.loc.mul(2)).div(2).pow(2);
  return t1.add(t2.add(t3).mul(0.5).div(q.scale.pow(2)));
});

registerKl(Independent, Independent, (p, q) => {
  if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims) {
    throw new Error(
      'klDivergence: KL between Independent distributions with different reinterpretedBatchNdims ' +
        `(${p.reinterpretedBatchNdims} vs ${q.reinterpretedBatchNdims}) is not implemented`,
    );
  }
  return sumRightmost(klDivergence(p.baseDist, q.baseDist), p.reinterpretedBatchNdims);
});

export function batchTraceXXT(m: Tensor): Tensor {
  const n = m.size(-1);
  const rows = m.size(-2);
  return m
    .reshape([-1, rows * n])
    .pow(2)
    .sum(-1)
    .reshape(m.shape.slice(0, -2));
}

registerKl(MultivariateNormal, MultivariateNormal, (p, q) => {
  const pe = p.eventShape;
  const qe = q.eventShape;
  if (pe[0] !== qe[0]) {
    throw new Error(
      `klDivergence: KL-divergence between two MultivariateNormals with different event shapes ([${pe}] vs [${qe}]) cannot be computed`,
    );
  }
  const pL = p._unbroadcastedScaleTril;
  const qL = q._unbroadcastedScaleTril;
  const halfTerm1 = qL
    .diagonal({ dim1: -2, dim2: -1 })
    .log()
    .sum(-1)
    .sub(pL.diagonal({ dim1: -2, dim2: -1 }).log().sum(-1));
  const batch = broadcastShapes('klDivergence', qL.shape.slice(0, -2), pL.shape.slice(0, -2));
  const n = pe[0] as number;
  const term2 = batchTraceXXT(
    linalgSolveTriangular(qL.expand([...batch, n, n]), pL.expand([...batch, n, n]), { upper: false }),
  );
  const term3 = batchMahalanobis(qL, q.loc.sub(p.loc));
  return halfTerm1.add(term2.add(term3).sub(n).mul(0.5));
});

registerKl(Exponential, Exponential, (p, q) => {
  const rateRatio = q.rate.div(p.rate);
  return rateRatio.log().neg().add(rateRatio).sub(1);
});

registerKl(Gamma, Gamma, (p, q) => {
  const t1 = q.concentration.mul(p.rate.div(q.rate).log());
  const t2 = q.concentration.lgamma().sub(p.concentration.lgamma());
  const t3 = p.concentration.sub(q.concentration).mul(p.concentration.digamma());
  const t4 = q.rate.sub(p.rate).mul(p.concentration.div(p.rate));
  return t1.add(t2).add(t3).add(t4);
});

registerKl(Exponential, Gamma, (p, q) => {
  const ratio = q.rate.div(p.rate);
  const t1 = q.concentration.neg().mul(ratio.log());
  return t1
    .add(ratio)
    .add(q.concentration.lgamma())
    .add(q.concentration.mul(eulerConstant))
    .sub(1 + eulerConstant);
});

registerKl(Gamma, Exponential, (p, q) =>
  p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.concentration).div(p.rate)),
);

registerKl(Laplace, Laplace, (p, q) => {
  const scaleRatio = p.scale.div(q.scale);
  const locAbsDiff = p.loc.sub(q.loc).abs();
  const t1 = scaleRatio.log().neg();
  const t2 = locAbsDiff.div(q.scale);
  const t3 = scaleRatio.mul(locAbsDiff.neg().div(p.scale).exp());
  return t1.add(t2).add(t3).sub(1);
});

registerKl(Laplace, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const ratio = p.scale.pow(2).div(varNormal);
  const t1 = ratio.mul(2).div(Math.PI).log().mul(0.5);
  const t2 = p.loc.pow(2).mul(0.5);
  const t3 = p.loc.mul(q.loc);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.neg().add(ratio).add(t2.sub(t3).add(t4).div(varNormal)).sub(1);
});

registerKl(Normal, Laplace, (p, q) => {
  const locDiff = p.loc.sub(q.loc);
  const scaleRatio = p.scale.div(q.scale);
  const ratio = locDiff.div(p.scale);
  const t1 = scaleRatio.log();
  const t2 = p.scale.mul(Math.sqrt(2 / Math.PI)).mul(ratio.pow(2).mul(-0.5).exp());
  const t3 = locDiff.mul(ratio.mul(Math.sqrt(0.5)).erf());
  return t1
    .neg()
    .add(t2.add(t3).div(q.scale))
    .sub(0.5 * (1 + Math.log(0.5 * Math.PI)));
});

registerKl(Poisson, Poisson, (p, q) => p.rate.mul(p.rate.log().sub(q.rate.log())).sub(p.rate.sub(q.rate)));

registerKl(Bernoulli, Poisson, (p, q) => p.entropy().neg().sub(p.probs.mul(q.rate.log()).sub(q.rate)));

registerKl(Dirichlet, Dirichlet, (p, q) => {
  const sumP = p.concentration.sum(-1);
  const sumQ = q.concentration.sum(-1);
  const t1 = sumP.lgamma().sub(sumQ.lgamma());
  const t2 = p.concentration.lgamma().sub(q.concentration.lgamma()).sum(-1);
  const t3 = p.concentration.sub(q.concentration);
  const t4 = p.concentration.digamma().sub(sumP.digamma().unsqueeze(-1));
  return t1.sub(t2).add(t3.mul(t4).sum(-1));
});

registerKl(Beta, Beta, (p, q) => {
  const sumP = p.concentration1.add(p.concentration0);
  const sumQ = q.concentration1.add(q.concentration0);
  const t1 = q.concentration1.lgamma().add(q.concentration0.lgamma()).add(sumP.lgamma());
  const t2 = p.concentration1.lgamma().add(p.concentration0.lgamma()).add(sumQ.lgamma());
  const t3 = p.concentration1.sub(q.concentration1).mul(p.concentration1.digamma());
  const t4 = p.concentration0.sub(q.concentration0).mul(p.concentration0.digamma());
  const t5 = sumQ.sub(sumP).mul(sumP.digamma());
  return t1.sub(t2).add(t3).add(t4).add(t5);
});

registerKl(Binomial, Binomial, (p, q) => {
  if (p.totalCount.lt(q.totalCount).any().item()) {
    throw new Error('klDivergence: KL between Binomials where q.totalCount > p.totalCount is not implemented');
  }
  const kl = p.totalCount.mul(
    p.probs.mul(p.logits.sub(q.logits)).add(p.probs.neg().log1p()).sub(q.probs.neg().log1p()),
  );
  return kl.maskedFill(p.totalCount.gt(q.totalCount), Number.POSITIVE_INFINITY);
});

registerKl(LogNormal, LogNormal, (p, q) => klDivergence(p.baseDist, q.baseDist));

// Supports that q does not cover: KL is infinite.
for (const [P, Qs] of [
  [Exponential, [Beta, Uniform]],
  [Gamma, [Beta, Uniform]],
  [Laplace, [Beta, Exponential, Gamma, Uniform]],
  [Normal, [Beta, Exponential, Gamma, Uniform]],
  [Poisson, [Bernoulli, Binomial]],
] as const) {
  for (const Q of Qs) {
    registerKl(P as DistributionClass, Q as DistributionClass, (p) => infiniteLike(firstParam(p)));
  }
}

/** The parameter PyTorch shapes an infinite KL like. */
function firstParam(p: Distribution): Tensor {
  if (p instanceof Exponential || p instanceof Poisson) return p.rate;
  if (p instanceof Gamma) return p.concentration;
  return (p as Normal | Laplace).loc;
}
