// The transform-based families (Gumbel, HalfNormal, HalfCauchy, Weibull, Pareto, Kumaraswamy,
// LogisticNormal, the relaxed Bernoulli/categorical ones) and Cauchy against Python torch 2.13 in
// one Python process: samples after the same manualSeed bit for bit, logProb, cdf, icdf, entropy,
// moments, KL divergences and float64 gradients; then validation errors and lifetimes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { paritySuite } from '../support/parity_cases.js';

const D = torch.distributions;
type Tensor = torch.Tensor;
const f32 = (v: number[] | number[][] | number[][][]) => torch.tensor(v, { dtype: 'float32' });
const f64 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float64' });
const leaf = (v: number[]) => torch.tensor(v, { dtype: 'float64', requiresGrad: true });

/** Samples after seeds 31 and 32, and what every family answers. */
function common(d: torch.distributions.Distribution, v: Tensor) {
  torch.manualSeed(31);
  const s = d.sample([3]);
  torch.manualSeed(32);
  const r = d.hasRsample ? d.rsample([2]) : d.sample([2]);
  return { s, r, lp: d.logProb(v) };
}
const PY_COMMON = `
def common(d, v):
    torch.manual_seed(31); s = d.sample((3,))
    torch.manual_seed(32); r = d.rsample((2,)) if d.has_rsample else d.sample((2,))
    return dict(s=s, r=r, lp=d.log_prob(v))
`;

paritySuite(
  'transform-based families against PyTorch',
  `import torch.distributions as D\ndef f32(v): return torch.tensor(v, dtype=torch.float32)\ndef f64(v): return torch.tensor(v, dtype=torch.float64)\ndef leaf(v): return torch.tensor(v, dtype=torch.float64, requires_grad=True)\n${PY_COMMON}`,
  [
    {
      name: 'Gumbel',
      js: () => {
        const d = new D.Gumbel(f32([0.5, -1]), f32([2, 0.7]));
        const v = f32([1.5, -0.3]);
        return {
          ...common(d, v),
          cdf: d.cdf(v),
          icdf: d.icdf(f32([0.3, 0.8])),
          ent: d.entropy(),
          mean: d.mean,
          var: d.variance,
          std: d.stddev,
          sn: (() => {
            torch.manualSeed(33);
            return new D.Gumbel(1, 2).sample([4]);
          })(),
        };
      },
      py: `
d = D.Gumbel(f32([0.5, -1]), f32([2, 0.7])); v = f32([1.5, -0.3])
R = common(d, v)
torch.manual_seed(33); sn = D.Gumbel(1., 2.).sample((4,))
R.update(cdf=d.cdf(v), icdf=d.icdf(f32([0.3, 0.8])), ent=d.entropy(), mean=d.mean, var=d.variance, std=d.stddev, sn=sn)`,
    },
    {
      name: 'HalfNormal and HalfCauchy',
      js: () => {
        const h = new D.HalfNormal(f32([1, 2.5]));
        const c = new D.HalfCauchy(f32([1, 2.5]));
        const v = f32([0.4, 3]);
        const hc = common(h, v);
        const cc = common(c, v);
        return {
          hs: hc.s,
          hr: hc.r,
          hlp: hc.lp,
          hcdf: h.cdf(v),
          hicdf: h.icdf(f32([0.2, 0.7])),
          hent: h.entropy(),
          hmean: h.mean,
          hvar: h.variance,
          hneg: new D.HalfNormal(f32([1, 2.5]), { validateArgs: false }).logProb(f32([-1, 1])),
          cs: cc.s,
          cr: cc.r,
          clp: cc.lp,
          ccdf: c.cdf(v),
          cicdf: c.icdf(f32([0.2, 0.7])),
          cent: c.entropy(),
          cmean: c.mean,
          cvar: c.variance,
        };
      },
      py: `
h = D.HalfNormal(f32([1, 2.5])); c = D.HalfCauchy(f32([1, 2.5])); v = f32([0.4, 3])
hc = common(h, v); cc = common(c, v)
hv = D.HalfNormal(f32([1, 2.5]), validate_args=False)
R = dict(hs=hc['s'], hr=hc['r'], hlp=hc['lp'], hcdf=h.cdf(v), hicdf=h.icdf(f32([0.2, 0.7])), hent=h.entropy(),
         hmean=h.mean, hvar=h.variance, hneg=hv.log_prob(f32([-1, 1])),
         cs=cc['s'], cr=cc['r'], clp=cc['lp'], ccdf=c.cdf(v), cicdf=c.icdf(f32([0.2, 0.7])), cent=c.entropy(),
         cmean=c.mean, cvar=c.variance)`,
    },
    {
      name: 'Cauchy',
      js: () => {
        const d = new D.Cauchy(f32([0, 1.5]), f32([1, 0.25]));
        const v = f32([0.3, 2]);
        return {
          ...common(d, v),
          cdf: d.cdf(v),
          icdf: d.icdf(f32([0.1, 0.6])),
          ent: d.entropy(),
          mean: d.mean,
          var: d.variance,
        };
      },
      py: `
d = D.Cauchy(f32([0, 1.5]), f32([1, 0.25])); v = f32([0.3, 2])
R = common(d, v)
R.update(cdf=d.cdf(v), icdf=d.icdf(f32([0.1, 0.6])), ent=d.entropy(), mean=d.mean, var=d.variance)`,
    },
    {
      name: 'Weibull and Pareto',
      js: () => {
        const w = new D.Weibull(f32([1, 2]), f32([0.8, 3]));
        const p = new D.Pareto(f32([1, 0.5]), f32([3, 1.5]));
        const wc = common(w, f32([0.5, 2.2]));
        const pc = common(p, f32([1.5, 0.8]));
        return {
          ws: wc.s,
          wr: wc.r,
          wlp: wc.lp,
          wcdf: w.cdf(f32([0.5, 2.2])),
          went: w.entropy(),
          wmean: w.mean,
          wvar: w.variance,
          wmode: w.mode,
          ps: pc.s,
          pr: pc.r,
          plp: pc.lp,
          pcdf: p.cdf(f32([1.5, 0.8])),
          picdf: p.icdf(f32([0.5, 0.25])),
          pent: p.entropy(),
          pmean: p.mean,
          pvar: p.variance,
        };
      },
      py: `
w = D.Weibull(f32([1, 2]), f32([0.8, 3])); p = D.Pareto(f32([1, 0.5]), f32([3, 1.5]))
wc = common(w, f32([0.5, 2.2])); pc = common(p, f32([1.5, 0.8]))
R = dict(ws=wc['s'], wr=wc['r'], wlp=wc['lp'], wcdf=w.cdf(f32([0.5, 2.2])), went=w.entropy(), wmean=w.mean,
         wvar=w.variance, wmode=w.mode, ps=pc['s'], pr=pc['r'], plp=pc['lp'], pcdf=p.cdf(f32([1.5, 0.8])),
         picdf=p.icdf(f32([0.5, 0.25])), pent=p.entropy(), pmean=p.mean, pvar=p.variance)`,
    },
    {
      name: 'Kumaraswamy and LogisticNormal',
      js: () => {
        const k = new D.Kumaraswamy(f32([2, 0.5]), f32([3, 1.5]));
        const l = new D.LogisticNormal(f32([0.2, -0.5, 1]), f32([1, 0.5, 2]));
        const kc = common(k, f32([0.3, 0.9]));
        const lc = common(l, f32([0.1, 0.2, 0.3, 0.4]));
        return {
          ks: kc.s,
          kr: kc.r,
          klp: kc.lp,
          kent: k.entropy(),
          kmean: k.mean,
          kvar: k.variance,
          kmode: k.mode,
          ls: lc.s,
          lr: lc.r,
          llp: lc.lp,
          lshape: l.eventShape[0] as number,
          l1: (() => {
            torch.manualSeed(34);
            return new D.LogisticNormal(0.3, 2).sample([2]);
          })(),
        };
      },
      py: `
k = D.Kumaraswamy(f32([2, 0.5]), f32([3, 1.5])); l = D.LogisticNormal(f32([0.2, -0.5, 1]), f32([1, 0.5, 2]))
kc = common(k, f32([0.3, 0.9])); lc = common(l, f32([0.1, 0.2, 0.3, 0.4]))
torch.manual_seed(34); l1 = D.LogisticNormal(0.3, 2.).sample((2,))
R = dict(ks=kc['s'], kr=kc['r'], klp=kc['lp'], kent=k.entropy(), kmean=k.mean, kvar=k.variance, kmode=k.mode,
         ls=lc['s'], lr=lc['r'], llp=lc['lp'], lshape=l.event_shape[0], l1=l1)`,
    },
    {
      name: 'RelaxedBernoulli and RelaxedOneHotCategorical',
      js: () => {
        const t = f32([0.5]);
        const rb = new D.RelaxedBernoulli(t, f32([0.2, 0.7]));
        const lrb = new D.LogitRelaxedBernoulli(t, { logits: f32([-1, 2]) });
        const rc = new D.RelaxedOneHotCategorical(f32([0.8]), { logits: f32([0.1, -0.4, 1.2]) });
        const erc = new D.ExpRelaxedCategorical(f32([0.8]), f32([0.2, 0.3, 0.5]));
        const rbc = common(rb, f32([0.3, 0.9]));
        const lrbc = common(lrb, f32([-0.5, 1.5]));
        const rcc = common(rc, f32([0.2, 0.3, 0.5]));
        const ercc = common(erc, f32([-1.2, -2, -0.6]));
        return {
          rbs: rbc.s,
          rbr: rbc.r,
          rblp: rbc.lp,
          rblogits: rb.logits,
          lrbs: lrbc.s,
          lrblp: lrbc.lp,
          rcs: rcc.s,
          rcr: rcc.r,
          rclp: rcc.lp,
          ercs: ercc.s,
          erclp: ercc.lp,
          rcprobs: rc.probs,
        };
      },
      py: `
t = f32([0.5])
rb = D.RelaxedBernoulli(t, f32([0.2, 0.7])); lrb = D.relaxed_bernoulli.LogitRelaxedBernoulli(t, logits=f32([-1, 2]))
rc = D.RelaxedOneHotCategorical(f32([0.8]), logits=f32([0.1, -0.4, 1.2]))
erc = D.relaxed_categorical.ExpRelaxedCategorical(f32([0.8]), f32([0.2, 0.3, 0.5]))
rbc = common(rb, f32([0.3, 0.9])); lrbc = common(lrb, f32([-0.5, 1.5])); rcc = common(rc, f32([0.2, 0.3, 0.5]))
ercc = common(erc, f32([-1.2, -2, -0.6]))
R = dict(rbs=rbc['s'], rbr=rbc['r'], rblp=rbc['lp'], rblogits=rb.logits, lrbs=lrbc['s'], lrblp=lrbc['lp'],
         rcs=rcc['s'], rcr=rcc['r'], rclp=rcc['lp'], ercs=ercc['s'], erclp=ercc['lp'], rcprobs=rc.probs)`,
    },
    {
      name: 'Chi2, StudentT, Geometric and NegativeBinomial',
      js: () => {
        const c = new D.Chi2(f32([1.5, 4]));
        const t = new D.StudentT(f32([0.8, 1.5, 5]), { loc: f32([0, 1, -2]), scale: f32([1, 0.5, 2]) });
        const g = new D.Geometric(f32([0.2, 0.9]));
        const gl = new D.Geometric({ logits: f32([-1, 0.5]) });
        const nb = new D.NegativeBinomial(f32([3, 0.5]), f32([0.3, 0.8]));
        const nbl = new D.NegativeBinomial(4, { logits: f32([0.2, -1]) });
        const cc = common(c, f32([0.5, 3]));
        const tc = common(t, f32([0.3, 2, -1]));
        const gc = common(g, f32([0, 3]));
        const nc = common(nb, f32([0, 4]));
        torch.manualSeed(35);
        const nls = nbl.sample([3]);
        return {
          cs: cc.s,
          cr: cc.r,
          clp: cc.lp,
          cdf: c.df,
          cent: c.entropy(),
          ts: tc.s,
          tr: tc.r,
          tlp: tc.lp,
          tent: t.entropy(),
          tmean: t.mean,
          tvar: t.variance,
          gs: gc.s,
          glp: gc.lp,
          gent: g.entropy(),
          gmean: g.mean,
          gvar: g.variance,
          glent: gl.entropy(),
          gllp: gl.logProb(f32([2, 0])),
          gkl: D.klDivergence(g, gl),
          ns: nc.s,
          nlp: nc.lp,
          nmean: nb.mean,
          nvar: nb.variance,
          nmode: nb.mode,
          nls,
          nllp: nbl.logProb(f32([1, 7])),
          ckl: D.klDivergence(c, new D.Chi2(f32([2, 3]))),
        };
      },
      py: `
c = D.Chi2(f32([1.5, 4])); t = D.StudentT(f32([0.8, 1.5, 5]), f32([0, 1, -2]), f32([1, 0.5, 2]))
g = D.Geometric(f32([0.2, 0.9])); gl = D.Geometric(logits=f32([-1, 0.5]))
nb = D.NegativeBinomial(f32([3, 0.5]), f32([0.3, 0.8])); nbl = D.NegativeBinomial(4., logits=f32([0.2, -1]))
cc = common(c, f32([0.5, 3])); tc = common(t, f32([0.3, 2, -1])); gc = common(g, f32([0, 3])); nc = common(nb, f32([0, 4]))
torch.manual_seed(35); nls = nbl.sample((3,))
R = dict(cs=cc['s'], cr=cc['r'], clp=cc['lp'], cdf=c.df, cent=c.entropy(), ts=tc['s'], tr=tc['r'], tlp=tc['lp'],
         tent=t.entropy(), tmean=t.mean, tvar=t.variance, gs=gc['s'], glp=gc['lp'], gent=g.entropy(), gmean=g.mean,
         gvar=g.variance, glent=gl.entropy(), gllp=gl.log_prob(f32([2, 0])), gkl=D.kl_divergence(g, gl), ns=nc['s'],
         nlp=nc['lp'], nmean=nb.mean, nvar=nb.variance, nmode=nb.mode, nls=nls, nllp=nbl.log_prob(f32([1, 7])),
         ckl=D.kl_divergence(c, D.Chi2(f32([2, 3]))))`,
    },
    {
      name: 'MixtureSameFamily (scalar and vector components)',
      js: () => {
        const mix = new D.Categorical(f32([0.2, 0.5, 0.3]));
        const m = new D.MixtureSameFamily(mix, new D.Normal(f32([-1, 0, 2]), f32([0.5, 1, 0.3])));
        const mv = new D.MixtureSameFamily(
          new D.Categorical({
            logits: f32([
              [0.1, 0.4],
              [-1, 1],
            ]),
          }),
          new D.Independent(
            new D.Normal(
              f32([
                [
                  [0, 1],
                  [2, 3],
                ],
                [
                  [-1, 0],
                  [1, 1],
                ],
              ]),
              f32([
                [
                  [1, 2],
                  [0.5, 1],
                ],
                [
                  [1, 1],
                  [2, 0.3],
                ],
              ]),
            ),
            1,
          ),
        );
        const v = f32([0.3, -1.5]);
        torch.manualSeed(36);
        const s = m.sample([4]);
        torch.manualSeed(37);
        const sv = mv.sample([3]);
        return {
          s,
          lp: m.logProb(v.reshape([2, 1])),
          cdf: m.cdf(v),
          mean: m.mean,
          var: m.variance,
          sv,
          lpv: mv.logProb(
            f32([
              [0.5, 1],
              [2, -1],
            ]),
          ),
          meanv: mv.mean,
          varv: mv.variance,
          ex: m.expand([2]).logProb(v),
        };
      },
      py: `
mix = D.Categorical(f32([0.2, 0.5, 0.3]))
m = D.MixtureSameFamily(mix, D.Normal(f32([-1, 0, 2]), f32([0.5, 1, 0.3])))
mv = D.MixtureSameFamily(D.Categorical(logits=f32([[0.1, 0.4], [-1, 1]])),
    D.Independent(D.Normal(f32([[[0, 1], [2, 3]], [[-1, 0], [1, 1]]]), f32([[[1, 2], [0.5, 1]], [[1, 1], [2, 0.3]]])), 1))
v = f32([0.3, -1.5])
torch.manual_seed(36); s = m.sample((4,))
torch.manual_seed(37); sv = mv.sample((3,))
R = dict(s=s, lp=m.log_prob(v.reshape(2, 1)), cdf=m.cdf(v), mean=m.mean, var=m.variance, sv=sv,
         lpv=mv.log_prob(f32([[0.5, 1], [2, -1]])), meanv=mv.mean, varv=mv.variance, ex=m.expand((2,)).log_prob(v))`,
    },
    {
      name: 'ContinuousBernoulli and its KLs',
      js: () => {
        const cb = new D.ContinuousBernoulli(f32([0.2, 0.4995, 0.9]));
        const cl = new D.ContinuousBernoulli({ logits: f32([0.5, -2, 0.001]) });
        const v = f32([0.3, 0.5, 0.95]);
        const kl = D.klDivergence;
        return {
          ...common(cb, v),
          cdf: cb.cdf(v),
          icdf: cb.icdf(f32([0.1, 0.5, 0.7])),
          ent: cb.entropy(),
          mean: cb.mean,
          var: cb.variance,
          lmean: cl.mean,
          llp: cl.logProb(v),
          cc: kl(cb, cl),
          ce: kl(cb, new D.Exponential(f32([1, 2, 0.5]))),
          cn: kl(cb, new D.Normal(f32([0, 0.5, 1]), f32([1, 0.3, 2]))),
          cu: kl(cb, new D.Uniform(f32([-1, 0.1, -0.5]), f32([2, 1.5, 0.9]))),
          bc: kl(new D.Beta(f32([2, 0.5, 1]), f32([3, 1.5, 1])), cb),
          uc: kl(new D.Uniform(f32([0.1, 0, 0.2]), f32([0.6, 0.5, 1])), cb),
          nc: kl(new D.Normal(f32([0, 0, 0]), 1), cb),
        };
      },
      py: `
cb = D.ContinuousBernoulli(f32([0.2, 0.4995, 0.9])); cl = D.ContinuousBernoulli(logits=f32([0.5, -2, 0.001]))
v = f32([0.3, 0.5, 0.95]); kl = D.kl_divergence
R = common(cb, v)
R.update(cdf=cb.cdf(v), icdf=cb.icdf(f32([0.1, 0.5, 0.7])), ent=cb.entropy(), mean=cb.mean, var=cb.variance,
         lmean=cl.mean, llp=cl.log_prob(v), cc=kl(cb, cl), ce=kl(cb, D.Exponential(f32([1, 2, 0.5]))),
         cn=kl(cb, D.Normal(f32([0, 0.5, 1]), f32([1, 0.3, 2]))), cu=kl(cb, D.Uniform(f32([-1, 0.1, -0.5]), f32([2, 1.5, 0.9]))),
         bc=kl(D.Beta(f32([2, 0.5, 1]), f32([3, 1.5, 1])), cb), uc=kl(D.Uniform(f32([0.1, 0, 0.2]), f32([0.6, 0.5, 1])), cb),
         nc=kl(D.Normal(f32([0, 0, 0]), 1.), cb))`,
    },
    {
      name: 'KL divergences',
      js: () => {
        const g = new D.Gumbel(f32([0.5, -1]), f32([2, 0.7]));
        const g2 = new D.Gumbel(f32([0, 1]), f32([1, 1.5]));
        const n = new D.Normal(f32([0.3, -0.2]), f32([1.2, 0.6]));
        const u = new D.Uniform(f32([0.1, 0.5]), f32([0.6, 2]));
        const e = new D.Exponential(f32([1.5, 0.4]));
        const ga = new D.Gamma(f32([2, 0.7]), f32([1, 3]));
        const be = new D.Beta(f32([2, 0.5]), f32([3, 1.5]));
        const pa = new D.Pareto(f32([1, 0.5]), f32([3, 2.5]));
        const pa2 = new D.Pareto(f32([0.8, 0.7]), f32([2, 4]));
        const c = new D.Cauchy(f32([0, 1]), f32([1, 2]));
        const c2 = new D.Cauchy(f32([0.5, -1]), f32([0.3, 2]));
        const kl = D.klDivergence;
        return {
          gg: kl(g, g2),
          hh: kl(new D.HalfNormal(f32([1, 2])), new D.HalfNormal(f32([0.5, 3]))),
          pp: kl(pa, pa2),
          cc: kl(c, c2),
          eg: kl(e, g),
          gag: kl(ga, g),
          gn: kl(g, n),
          ng: kl(n, g),
          ug: kl(u, g),
          pe: kl(pa, e),
          pga: kl(pa, ga),
          pn: kl(pa, n),
          up: kl(u, pa2),
          bex: kl(be, e),
          bga: kl(be, ga),
          bn: kl(be, n),
          bu: kl(be, new D.Uniform(f32([0, -1]), f32([1, 2]))),
          en: kl(e, n),
          gan: kl(ga, n),
          ub: kl(new D.Uniform(f32([0.1, 0.2]), f32([0.5, 0.9])), be),
          ue: kl(u, e),
          uga: kl(u, ga),
          ginf: kl(g, e),
          pinf: kl(pa, u),
          td: kl(
            new D.Weibull(f32([1, 2]), f32([0.5, 4])),
            new D.TransformedDistribution(new D.Exponential(f32([2, 2])), [
              new D.PowerTransform(f32([2, 0.25])),
              new D.AffineTransform(0, f32([1, 2])),
            ]),
          ),
        };
      },
      py: `
g = D.Gumbel(f32([0.5, -1]), f32([2, 0.7])); g2 = D.Gumbel(f32([0, 1]), f32([1, 1.5]))
n = D.Normal(f32([0.3, -0.2]), f32([1.2, 0.6])); u = D.Uniform(f32([0.1, 0.5]), f32([0.6, 2]))
e = D.Exponential(f32([1.5, 0.4])); ga = D.Gamma(f32([2, 0.7]), f32([1, 3])); be = D.Beta(f32([2, 0.5]), f32([3, 1.5]))
pa = D.Pareto(f32([1, 0.5]), f32([3, 2.5])); pa2 = D.Pareto(f32([0.8, 0.7]), f32([2, 4]))
c = D.Cauchy(f32([0, 1]), f32([1, 2])); c2 = D.Cauchy(f32([0.5, -1]), f32([0.3, 2]))
kl = D.kl_divergence
w = D.Weibull(f32([1, 2]), f32([0.5, 4]))
td = D.TransformedDistribution(D.Exponential(f32([2, 2])), [D.transforms.PowerTransform(f32([2, 0.25])), D.transforms.AffineTransform(0, f32([1, 2]))])
# PyTorch compares transforms with ==; the Weibull's are equal to these in value.
R = dict(gg=kl(g, g2), hh=kl(D.HalfNormal(f32([1, 2])), D.HalfNormal(f32([0.5, 3]))), pp=kl(pa, pa2), cc=kl(c, c2),
         eg=kl(e, g), gag=kl(ga, g), gn=kl(g, n), ng=kl(n, g), ug=kl(u, g), pe=kl(pa, e), pga=kl(pa, ga), pn=kl(pa, n),
         up=kl(u, pa2), bex=kl(be, e), bga=kl(be, ga), bn=kl(be, n), bu=kl(be, D.Uniform(f32([0, -1]), f32([1, 2]))),
         en=kl(e, n), gan=kl(ga, n), ub=kl(D.Uniform(f32([0.1, 0.2]), f32([0.5, 0.9])), be), ue=kl(u, e), uga=kl(u, ga),
         ginf=kl(g, e), pinf=kl(pa, u), td=kl(w, td))`,
    },
    {
      name: 'float64 gradients through rsample, logProb and entropy',
      js: () => {
        const loc = leaf([0.5, -1]);
        const scale = leaf([2, 0.7]);
        const g = new D.Gumbel(loc, scale);
        torch.manualSeed(41);
        g.rsample([3])
          .pow(2)
          .sum()
          .add(g.logProb(f64([1, 0])).sum())
          .add(g.entropy().sum())
          .backward();
        const ws = leaf([1, 2]);
        const wc = leaf([0.8, 3]);
        const w = new D.Weibull(ws, wc);
        torch.manualSeed(42);
        w.rsample([2])
          .sum()
          .add(w.logProb(f64([0.5, 2])).sum())
          .backward();
        const k1 = leaf([2, 0.5]);
        const k0 = leaf([3, 1.5]);
        const k = new D.Kumaraswamy(k1, k0);
        torch.manualSeed(43);
        k.rsample([2])
          .sum()
          .add(k.logProb(f64([0.3, 0.6])).sum())
          .add(k.entropy().sum())
          .backward();
        const temp = leaf([0.7]);
        const logits = leaf([0.1, -0.4, 1.2]);
        const rc = new D.RelaxedOneHotCategorical(temp, { logits });
        torch.manualSeed(44);
        rc.rsample([2])
          .pow(2)
          .sum()
          .add(rc.logProb(f64([0.2, 0.3, 0.5])))
          .backward();
        const hs = leaf([1, 3]);
        const h = new D.HalfNormal(hs);
        torch.manualSeed(45);
        h.rsample([2])
          .sum()
          .add(h.logProb(f64([0.5, 1])).sum())
          .backward();
        return {
          loc: loc.grad as Tensor,
          scale: scale.grad as Tensor,
          ws: ws.grad as Tensor,
          wc: wc.grad as Tensor,
          k1: k1.grad as Tensor,
          k0: k0.grad as Tensor,
          temp: temp.grad as Tensor,
          logits: logits.grad as Tensor,
          hs: hs.grad as Tensor,
        };
      },
      py: `
loc = leaf([0.5, -1]); scale = leaf([2, 0.7]); g = D.Gumbel(loc, scale)
torch.manual_seed(41); (g.rsample((3,)).pow(2).sum() + g.log_prob(f64([1, 0])).sum() + g.entropy().sum()).backward()
ws = leaf([1, 2]); wc = leaf([0.8, 3]); w = D.Weibull(ws, wc)
torch.manual_seed(42); (w.rsample((2,)).sum() + w.log_prob(f64([0.5, 2])).sum()).backward()
k1 = leaf([2, 0.5]); k0 = leaf([3, 1.5]); k = D.Kumaraswamy(k1, k0)
torch.manual_seed(43); (k.rsample((2,)).sum() + k.log_prob(f64([0.3, 0.6])).sum() + k.entropy().sum()).backward()
temp = leaf([0.7]); logits = leaf([0.1, -0.4, 1.2]); rc = D.RelaxedOneHotCategorical(temp, logits=logits)
torch.manual_seed(44); (rc.rsample((2,)).pow(2).sum() + rc.log_prob(f64([0.2, 0.3, 0.5]))).backward()
hs = leaf([1, 3]); h = D.HalfNormal(hs)
torch.manual_seed(45); (h.rsample((2,)).sum() + h.log_prob(f64([0.5, 1])).sum()).backward()
R = dict(loc=loc.grad, scale=scale.grad, ws=ws.grad, wc=wc.grad, k1=k1.grad, k0=k0.grad, temp=temp.grad,
         logits=logits.grad, hs=hs.grad)`,
      approx: ['loc', 'scale', 'ws', 'wc', 'k1', 'k0', 'temp', 'logits', 'hs'],
    },
  ],
);

describe('transform-based families: validation', () => {
  test('bad parameters and values give PyTorch-style messages', () => {
    torch.scope(() => {
      assert.throws(
        () => new D.Gumbel(f32([0, 1]), f32([1, -2])),
        /^Error: Gumbel: expected parameter scale \(Tensor of shape \[2\]\) of distribution Gumbel\(loc: \[2\], scale: \[2\]\) to satisfy the constraint GreaterThan\(lowerBound=0\), but found invalid values:/,
      );
      assert.throws(
        () => new D.HalfNormal(f32([-1])),
        /HalfNormal: expected parameter scale .* GreaterThan\(lowerBound=0\)/,
      );
      assert.throws(
        () => new D.Weibull(f32([1]), f32([0])),
        /Weibull: expected parameter concentration .* GreaterThan\(lowerBound=0\)/,
      );
      assert.throws(
        () => new D.HalfNormal(f32([1, 2])).logProb(f32([-1, 1])),
        /^Error: HalfNormal.logProb: expected value argument \(Tensor of shape \[2\]\) to be within the support \(GreaterThanEq\(lowerBound=0\)\)/,
      );
      assert.throws(
        () => new D.Pareto(f32([1, 2]), f32([1, 1])).logProb(f32([1.5, 1.5])),
        /Pareto.logProb: expected value argument .* within the support \(GreaterThanEq\(lowerBound=\[1, 2\]|Pareto.logProb: expected value argument/,
      );
      assert.throws(
        () => new D.Kumaraswamy(f32([1]), f32([1])).logProb(f32([1, 2, 3])),
        /Kumaraswamy.logProb: value is not broadcastable with batchShape\+eventShape: \[3\] vs \[1\]|Kumaraswamy.logProb: expected value argument/,
      );
      assert.throws(
        () => new D.Geometric(f32([0, 0.5])),
        /^Error: Geometric: expected parameter probs \(Tensor of shape \[2\]\) of distribution Geometric\(probs: \[2\]\) to be positive but found invalid values:/,
      );
      assert.throws(
        () => new D.NegativeBinomial(f32([2]), f32([1])),
        /NegativeBinomial: expected parameter probs .* HalfOpenInterval\(lowerBound=0, upperBound=1\)/,
      );
      // As in PyTorch, the inner Chi2 (made first) is the one that rejects a bad df.
      assert.throws(
        () => new D.StudentT(f32([-1])),
        /^Error: Chi2: expected parameter df .* GreaterThan\(lowerBound=0\)/,
      );
      assert.throws(
        () => new D.StudentT(f32([2]), { scale: f32([0]) }),
        /^Error: StudentT: expected parameter scale .* GreaterThan\(lowerBound=0\)/,
      );
      assert.throws(() => new D.Chi2(f32([0])), /Chi2: expected parameter df .* GreaterThan\(lowerBound=0\)/);
      assert.throws(
        () => new D.MixtureSameFamily(new D.Categorical(f32([0.5, 0.5])), new D.Normal(f32([0, 1, 2]), 1)),
        /^Error: MixtureSameFamily: the mixture's number of components \(2\) does not equal componentDistribution.batchShape\[-1\] \(3\)$/,
      );
      assert.throws(
        () => new D.RelaxedBernoulli(0.5 as unknown as Tensor, f32([0.5])),
        /^TypeError: RelaxedBernoulli: temperature must be a Tensor, got number$/,
      );
      assert.throws(
        () => new D.RelaxedBernoulli(f32([1]), { probs: f32([0.5]), logits: f32([0]) }),
        /RelaxedBernoulli: either probs or logits must be specified, but not both/,
      );
      assert.throws(
        () => D.klDivergence(new D.Weibull(f32([1]), f32([2])), new D.Weibull(f32([1]), f32([3]))),
        /klDivergence: KL between TransformedDistributions is implemented only for equal transforms/,
      );
    });
  });
});

describe('transform-based families: lifetime', () => {
  const live = (): number => torch.memory().tensors;

  test('a Gumbel made in a scope outlives it; dispose() frees all it made, never the caller’s', () => {
    const loc = f32([0, 1]);
    const scale = f32([1, 2]);
    const before = live();
    const g = torch.scope(() => new D.Gumbel(loc, scale));
    torch.scope(() => {
      assert.deepEqual(g.sample([3]).shape, [3, 2]);
      assert.deepEqual(g.logProb(f32([0.5, 0.5])).shape, [2]);
    });
    const e = torch.scope(() => g.expand([4, 2]));
    g.dispose();
    // The expanded copy holds its own views and transforms: still usable.
    torch.scope(() => assert.deepEqual(e.rsample().shape, [4, 2]));
    e.dispose();
    assert.equal(live(), before);
    assert.equal(loc.isDisposed, false);
    assert.equal(scale.isDisposed, false);
    assert.throws(() => g.sample(), /Gumbel: the distribution was disposed/);
    loc.dispose();
    scale.dispose();
  });

  test('Weibull, LogisticNormal and a TransformedDistribution over the caller’s base', () => {
    const a = f32([1, 2]);
    const b = f32([0.5, 3]);
    const before = live();
    const w = torch.scope(() => new D.Weibull(a, b));
    const l = torch.scope(() => new D.LogisticNormal(a, b));
    const base = torch.scope(() => new D.Normal(a, b));
    const withBase = live();
    const t = torch.scope(() => new D.TransformedDistribution(base, new D.ExpTransform()));
    torch.scope(() => {
      w.rsample([2]);
      l.logProb(f32([0.2, 0.3, 0.5]));
      t.logProb(f32([1, 2]));
    });
    t.dispose();
    assert.equal(base.isDisposed, false, 'the caller’s base distribution stays alive');
    assert.equal(live(), withBase);
    base.dispose();
    w.dispose();
    l.dispose();
    assert.equal(live(), before);
    a.dispose();
    b.dispose();
  });
});
