// The KL(p || q) closed forms of PyTorch's torch/distributions/kl.py for the families built on
// transforms (Gumbel, HalfNormal, Pareto, Cauchy, TransformedDistribution) and the mixed pairs among
// the older families that kl.ts leaves out (and Geometric). Each formula runs PyTorch's ops in PyTorch's order.
// Imported for its side effect (registration) by index.ts.
import { linalgSolveTriangular } from '../../generated/namespaces.js';
import type { Tensor } from '../tensor.js';
import { Beta } from './beta.js';
import { Cauchy } from './cauchy.js';
import { ContinuousBernoulli } from './continuous_bernoulli.js';
import type { Distribution } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { Geometric } from './geometric.js';
import { Gumbel } from './gumbel.js';
import { HalfNormal } from './half_normal.js';
import { batchTraceXXT, infiniteLike, klDivergence, registerKl, xLogX } from './kl.js';
import { Laplace } from './laplace.js';
import {
  batchLowrankLogdet,
  batchLowrankMahalanobis,
  diagEmbed,
  LowRankMultivariateNormal,
} from './lowrank_multivariate_normal.js';
import { batchMahalanobis, MultivariateNormal } from './multivariate_normal.js';
import { Normal } from './normal.js';
import { Pareto } from './pareto.js';
import { TransformedDistribution } from './transformed_distribution.js';
import { Uniform } from './uniform.js';
import { broadcastShapes, eulerConstant, sameShape } from './utils.js';

const INF = Number.POSITIVE_INFINITY;
const HALF_LOG_2PI_E = 0.5 * (1 + Math.log(2 * Math.PI));

registerKl(Gumbel, Gumbel, (p, q) => {
  const ct1 = p.scale.div(q.scale);
  const ct2 = q.loc.div(q.scale);
  const ct3 = p.loc.div(q.scale);
  const t1 = ct1.log().neg().sub(ct2).add(ct3);
  const t2 = ct1.mul(eulerConstant);
  const t3 = ct2.add(ct1.add(1).lgamma()).sub(ct3).exp();
  return t1
    .add(t2)
    .add(t3)
    .sub(1 + eulerConstant);
});

registerKl(Geometric, Geometric, (p, q) => p.entropy().neg().sub(q.probs.neg().log1p().div(p.probs)).sub(q.logits));

registerKl(HalfNormal, HalfNormal, (p, q) => klDivergence(p.baseDist, q.baseDist));

registerKl(Pareto, Pareto, (p, q) => {
  const scaleRatio = p.scale.div(q.scale);
  const alphaRatio = q.alpha.div(p.alpha);
  const t1 = q.alpha.mul(scaleRatio.log());
  const t2 = alphaRatio.log().neg();
  const result = t1.add(t2).add(alphaRatio).sub(1);
  return result.maskedFill(p.scale.lt(q.scale), INF);
});

registerKl(TransformedDistribution, TransformedDistribution, (p, q) => {
  const same =
    p.transforms.length === q.transforms.length &&
    p.transforms.every((t, i) => t.equals(q.transforms[i] as (typeof q.transforms)[number]));
  if (!same || !sameShape(p.eventShape, q.eventShape)) {
    throw new Error(
      'klDivergence: KL between TransformedDistributions is implemented only for equal transforms and event shapes',
    );
  }
  return klDivergence(p.baseDist, q.baseDist);
});

registerKl(Cauchy, Cauchy, (p, q) => {
  const t1 = p.scale.add(q.scale).pow(2).add(p.loc.sub(q.loc).pow(2)).log();
  const t2 = p.scale.mul(4).mul(q.scale).log();
  return t1.sub(t2);
});

registerKl(Exponential, Gumbel, (p, q) => {
  const scaleRateProd = p.rate.mul(q.scale);
  const locScaleRatio = q.loc.div(q.scale);
  const t1 = scaleRateProd.log().sub(1);
  const t2 = locScaleRatio.exp().mul(scaleRateProd).div(scaleRateProd.add(1));
  const t3 = scaleRateProd.reciprocal();
  return t1.sub(locScaleRatio).add(t2).add(t3);
});

registerKl(Gamma, Gumbel, (p, q) => {
  const betaScaleProd = p.rate.mul(q.scale);
  const locScaleRatio = q.loc.div(q.scale);
  const c = p.concentration;
  const t1 = c.sub(1).mul(c.digamma()).sub(c.lgamma()).sub(c);
  const t2 = betaScaleProd.log().add(c.div(betaScaleProd));
  const t3 = locScaleRatio.exp().mul(betaScaleProd.reciprocal().add(1).pow(c.neg())).sub(locScaleRatio);
  return t1.add(t2).add(t3);
});

registerKl(Gumbel, Normal, (p, q) => {
  const paramRatio = p.scale.div(q.scale);
  const t1 = paramRatio.div(Math.sqrt(2 * Math.PI)).log();
  const t2 = paramRatio.mul(Math.PI).mul(0.5).pow(2).div(3);
  const t3 = p.loc.add(p.scale.mul(eulerConstant)).sub(q.loc).div(q.scale).pow(2).mul(0.5);
  return t1
    .neg()
    .add(t2)
    .add(t3)
    .sub(eulerConstant + 1);
});

registerKl(Normal, Gumbel, (p, q) => {
  const meanScaleRatio = p.loc.div(q.scale);
  const varScaleSqrRatio = p.scale.div(q.scale).pow(2);
  const locScaleRatio = q.loc.div(q.scale);
  const t1 = varScaleSqrRatio.log().mul(0.5);
  const t2 = meanScaleRatio.sub(locScaleRatio);
  const t3 = meanScaleRatio.neg().add(varScaleSqrRatio.mul(0.5)).add(locScaleRatio).exp();
  return t1.neg().add(t2).add(t3).sub(HALF_LOG_2PI_E);
});

registerKl(Uniform, Gumbel, (p, q) => {
  const commonTerm = q.scale.div(p.high.sub(p.low));
  const highLocDiff = p.high.sub(q.loc).div(q.scale);
  const lowLocDiff = p.low.sub(q.loc).div(q.scale);
  const t1 = commonTerm.log().add(highLocDiff.add(lowLocDiff).mul(0.5));
  const t2 = commonTerm.mul(highLocDiff.neg().exp().sub(lowLocDiff.neg().exp()));
  return t1.sub(t2);
});

registerKl(Pareto, Exponential, (p, q) => {
  const scaleRateProd = p.scale.mul(q.rate);
  const t1 = p.alpha.div(scaleRateProd).log();
  const t2 = p.alpha.reciprocal();
  const t3 = p.alpha.mul(scaleRateProd).div(p.alpha.sub(1));
  return t1.sub(t2).add(t3).sub(1).maskedFill(p.alpha.le(1), INF);
});

registerKl(Pareto, Gamma, (p, q) => {
  const commonTerm = p.scale.log().add(p.alpha.reciprocal());
  const t1 = p.alpha.log().sub(commonTerm);
  const t2 = q.concentration.lgamma().sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration.neg().add(1).mul(commonTerm);
  const t4 = q.rate.mul(p.alpha).mul(p.scale).div(p.alpha.sub(1));
  return t1.add(t2).add(t3).add(t4).sub(1).maskedFill(p.alpha.le(1), INF);
});

registerKl(Pareto, Normal, (p, q) => {
  const varNormal = q.scale.pow(2).mul(2);
  const commonTerm = p.scale.div(p.alpha.sub(1));
  const t1 = q.scale
    .mul(Math.sqrt(2 * Math.PI))
    .mul(p.alpha)
    .div(p.scale)
    .log();
  const t2 = p.alpha.reciprocal();
  const t3 = p.alpha.mul(commonTerm.pow(2)).div(p.alpha.sub(2));
  const t4 = p.alpha.mul(commonTerm).sub(q.loc).pow(2);
  return t1.sub(t2).add(t3.add(t4).div(varNormal)).sub(1).maskedFill(p.alpha.le(2), INF);
});

registerKl(Uniform, Pareto, (p, q) => {
  const support = p.high.sub(p.low);
  const t1 = q.alpha.mul(q.scale.pow(q.alpha)).mul(support).log();
  const t2 = xLogX(p.high).sub(xLogX(p.low)).sub(support).div(support);
  return t2.mul(q.alpha.add(1)).sub(t1).maskedFill(p.low.lt(q.scale), INF);
});

registerKl(Beta, Exponential, (p, q) =>
  p
    .entropy()
    .neg()
    .sub(q.rate.log())
    .add(q.rate.mul(p.concentration1.div(p.concentration1.add(p.concentration0)))),
);

registerKl(Beta, Gamma, (p, q) => {
  const t1 = p.entropy().neg();
  const t2 = q.concentration.lgamma().sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration
    .sub(1)
    .mul(p.concentration1.digamma().sub(p.concentration1.add(p.concentration0).digamma()));
  const t4 = q.rate.mul(p.concentration1).div(p.concentration1.add(p.concentration0));
  return t1.add(t2).sub(t3).add(t4);
});

registerKl(Beta, Normal, (p, q) => {
  const total = p.concentration1.add(p.concentration0);
  const eBeta = p.concentration1.div(total);
  const varNormal = q.scale.pow(2);
  const t1 = p.entropy().neg();
  const t2 = varNormal.mul(2).mul(Math.PI).log().mul(0.5);
  const t3 = eBeta.mul(eBeta.neg().add(1)).div(total.add(1)).add(eBeta.pow(2)).mul(0.5);
  const t4 = q.loc.mul(eBeta);
  const t5 = q.loc.pow(2).mul(0.5);
  return t1.add(t2).add(t3.sub(t4).add(t5).div(varNormal));
});

registerKl(Beta, Uniform, (p, q) =>
  p
    .entropy()
    .neg()
    .add(q.high.sub(q.low).log())
    .maskedFill(q.low.gt(0).logicalOr(q.high.lt(1)), INF),
);

registerKl(Exponential, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const rateSqr = p.rate.pow(2);
  const t1 = rateSqr.mul(varNormal).mul(2).mul(Math.PI).log().mul(0.5);
  const t2 = rateSqr.reciprocal();
  const t3 = q.loc.div(p.rate);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.sub(1).add(t2.sub(t3).add(t4).div(varNormal));
});

registerKl(Gamma, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const betaSqr = p.rate.pow(2);
  const c = p.concentration;
  const t1 = betaSqr.mul(varNormal).mul(2).mul(Math.PI).log().mul(0.5).sub(c).sub(c.lgamma());
  const t2 = c.pow(2).add(c).mul(0.5).div(betaSqr);
  const t3 = q.loc.mul(c).div(p.rate);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.add(c.sub(1).mul(c.digamma())).add(t2.sub(t3).add(t4).div(varNormal));
});

registerKl(Uniform, Beta, (p, q) => {
  const commonTerm = p.high.sub(p.low);
  const t1 = commonTerm.log();
  const t2 = q.concentration1
    .sub(1)
    .mul(xLogX(p.high).sub(xLogX(p.low)).sub(commonTerm))
    .div(commonTerm);
  const t3 = q.concentration0
    .sub(1)
    .mul(
      xLogX(p.high.neg().add(1))
        .sub(xLogX(p.low.neg().add(1)))
        .add(commonTerm),
    )
    .div(commonTerm);
  const t4 = q.concentration1
    .lgamma()
    .add(q.concentration0.lgamma())
    .sub(q.concentration1.add(q.concentration0).lgamma());
  return t3
    .add(t4)
    .sub(t1)
    .sub(t2)
    .maskedFill(p.high.gt(1).logicalOr(p.low.lt(0)), INF);
});

registerKl(Uniform, Exponential, (p, q) =>
  q.rate.mul(p.high.add(p.low)).div(2).sub(p.high.sub(p.low).mul(q.rate).log()).maskedFill(p.low.lt(0), INF),
);

registerKl(Uniform, Gamma, (p, q) => {
  const commonTerm = p.high.sub(p.low);
  const t1 = commonTerm.log();
  const t2 = q.concentration.lgamma().sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration
    .neg()
    .add(1)
    .mul(xLogX(p.high).sub(xLogX(p.low)).sub(commonTerm))
    .div(commonTerm);
  const t4 = q.rate.mul(p.high.add(p.low)).div(2);
  return t1.neg().add(t2).add(t3).add(t4).maskedFill(p.low.lt(0), INF);
});

registerKl(ContinuousBernoulli, ContinuousBernoulli, (p, q) => {
  const t1 = p.mean.mul(p.logits.sub(q.logits));
  const t2 = p._contBernLogNorm().add(p.probs.neg().log1p());
  const t3 = q._contBernLogNorm().neg().sub(q.probs.neg().log1p());
  return t1.add(t2).add(t3);
});

registerKl(ContinuousBernoulli, Exponential, (p, q) => p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.mean)));

registerKl(ContinuousBernoulli, Normal, (p, q) => {
  const t1 = p.entropy().neg();
  const t2 = q.loc
    .div(q.scale)
    .square()
    .add(Math.log(2 * Math.PI))
    .mul(0.5)
    .add(q.scale.log());
  const t3 = p.variance.add(p.mean.square()).sub(q.loc.mul(2).mul(p.mean)).div(q.scale.square().mul(2));
  return t1.add(t2).add(t3);
});

registerKl(ContinuousBernoulli, Uniform, (p, q) => {
  const result = p.entropy().neg().add(q.high.sub(q.low).log());
  return result.maskedFill(q.low.ge(0).logicalOr(q.high.le(1)), INF);
});

registerKl(Beta, ContinuousBernoulli, (p, q) =>
  p.entropy().neg().sub(p.mean.mul(q.logits)).sub(q.probs.neg().log1p()).sub(q._contBernLogNorm()),
);

registerKl(Uniform, ContinuousBernoulli, (p, q) => {
  const result = p.entropy().neg().sub(p.mean.mul(q.logits)).sub(q.probs.neg().log1p()).sub(q._contBernLogNorm());
  return result.maskedFill(p.high.ge(1).logicalOr(p.low.le(0)), INF);
});

// Supports that q does not cover: KL is infinite, shaped as PyTorch's chosen parameter of p.
// biome-ignore lint/suspicious/noExplicitAny: a registry of constructors of any signature
type AnyClass = abstract new (...args: any[]) => Distribution;
const infinite: [AnyClass, AnyClass[], (p: Distribution) => Tensor][] = [
  [Gumbel, [Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform], (p) => (p as Gumbel).loc],
  [Pareto, [Beta, ContinuousBernoulli, Uniform], (p) => (p as Pareto).scale],
  [Beta, [Pareto], (p) => (p as Beta).concentration1],
  [Exponential, [Pareto, ContinuousBernoulli], (p) => (p as Exponential).rate],
  [Gamma, [Pareto, ContinuousBernoulli], (p) => (p as Gamma).concentration],
  [Laplace, [Pareto, ContinuousBernoulli], (p) => (p as Laplace).loc],
  [Normal, [Pareto, ContinuousBernoulli], (p) => (p as Normal).loc],
  [ContinuousBernoulli, [Pareto], (p) => (p as ContinuousBernoulli).probs],
];
for (const [P, Qs, param] of infinite) {
  for (const Q of Qs) registerKl(P, Q, (p) => infiniteLike(param(p)));
}

// The (low-rank) multivariate normal pairs: traces and log-determinants through the capacitance
// matrix, as PyTorch's.
function checkSameEvent(p: Distribution, q: Distribution): number {
  if (!sameShape(p.eventShape, q.eventShape)) {
    throw new Error(
      `klDivergence: KL-divergence between two (low-rank) multivariate normals with different event shapes ` +
        `([${p.eventShape}] vs [${q.eventShape}]) cannot be computed`,
    );
  }
  return p.eventShape[0] as number;
}

function lowrankLogdet(d: LowRankMultivariateNormal): Tensor {
  return batchLowrankLogdet(d._unbroadcastedCovFactor, d._unbroadcastedCovDiag, d._capacitanceTril);
}

/** A = C⁻¹ Wᵀ D⁻¹ of q, so that q's precision is D⁻¹ - Aᵀ A. */
function woodburyFactor(q: LowRankMultivariateNormal): Tensor {
  const wtDinv = q._unbroadcastedCovFactor.transpose(-2, -1).div(q._unbroadcastedCovDiag.unsqueeze(-2));
  return linalgSolveTriangular(q._capacitanceTril, wtDinv, { upper: false });
}

function lowrankTerm3(p: { loc: Tensor }, q: LowRankMultivariateNormal): Tensor {
  return batchLowrankMahalanobis(
    q._unbroadcastedCovFactor,
    q._unbroadcastedCovDiag,
    q.loc.sub(p.loc),
    q._capacitanceTril,
  );
}

registerKl(LowRankMultivariateNormal, LowRankMultivariateNormal, (p, q) => {
  const n = checkSameEvent(p, q);
  const term1 = lowrankLogdet(q).sub(lowrankLogdet(p));
  const term3 = lowrankTerm3(p, q);
  const a = woodburyFactor(q);
  const pW = p._unbroadcastedCovFactor;
  const pD = p._unbroadcastedCovDiag;
  const qD = q._unbroadcastedCovDiag;
  const term21 = pD.div(qD).sum(-1);
  const term22 = batchTraceXXT(pW.mul(qD.rsqrt().unsqueeze(-1)));
  const term23 = batchTraceXXT(a.mul(pD.sqrt().unsqueeze(-2)));
  const term24 = batchTraceXXT(a.matmul(pW));
  const term2 = term21.add(term22).sub(term23).sub(term24);
  return term1.add(term2).add(term3).sub(n).mul(0.5);
});

registerKl(MultivariateNormal, LowRankMultivariateNormal, (p, q) => {
  const n = checkSameEvent(p, q);
  const pL = p._unbroadcastedScaleTril;
  const term1 = lowrankLogdet(q).sub(pL.diagonal({ dim1: -2, dim2: -1 }).log().sum(-1).mul(2));
  const term3 = lowrankTerm3(p, q);
  const a = woodburyFactor(q);
  const term21 = batchTraceXXT(pL.mul(q._unbroadcastedCovDiag.rsqrt().unsqueeze(-1)));
  const term22 = batchTraceXXT(a.matmul(pL));
  return term1.add(term21.sub(term22)).add(term3).sub(n).mul(0.5);
});

registerKl(LowRankMultivariateNormal, MultivariateNormal, (p, q) => {
  const n = checkSameEvent(p, q);
  const qL = q._unbroadcastedScaleTril;
  const term1 = qL.diagonal({ dim1: -2, dim2: -1 }).log().sum(-1).mul(2).sub(lowrankLogdet(p));
  const term3 = batchMahalanobis(qL, q.loc.sub(p.loc));
  const pW = p._unbroadcastedCovFactor;
  const batch = broadcastShapes('klDivergence', qL.shape.slice(0, -2), pW.shape.slice(0, -2));
  const qScaleTril = qL.expand([...batch, n, n]);
  const pCovFactor = pW.expand([...batch, n, p.covFactor.size(-1)]);
  const pCovDiag = diagEmbed(p._unbroadcastedCovDiag.sqrt()).expand([...batch, n, n]);
  const term21 = batchTraceXXT(linalgSolveTriangular(qScaleTril, pCovFactor, { upper: false }));
  const term22 = batchTraceXXT(linalgSolveTriangular(qScaleTril, pCovDiag, { upper: false }));
  return term1.add(term21.add(term22)).add(term3).sub(n).mul(0.5);
});
