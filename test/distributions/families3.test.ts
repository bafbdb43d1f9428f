// The later families (LowRankMultivariateNormal, Multinomial, InverseGamma, FisherSnedecor,
// VonMises, OneHotCategoricalStraightThrough, GeneralizedPareto, LKJCholesky with
// CorrCholeskyTransform, Wishart) against Python torch 2.13 in one Python process: samples after
// the same manualSeed bit for bit, logProb, entropy, moments, batch and sample shapes, KL pairs
// and float64 gradients; then validation errors and lifetimes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { paritySuite } from '../support/parity_cases.js';

const D = torch.distributions;
type Tensor = torch.Tensor;
type Nested = number | Nested[];
const f32 = (v: Nested) => torch.tensor(v as number[], { dtype: 'float32' });
const f64 = (v: Nested) => torch.tensor(v as number[], { dtype: 'float64' });
const leaf = (v: Nested) => torch.tensor(v as number[], { dtype: 'float64', requiresGrad: true });

/** Samples after seeds 31 and 32, and the log-density at v. */
function common(d: torch.distributions.Distribution, v: Tensor) {
  torch.manualSeed(31);
  const s = d.sample([3]);
  torch.manualSeed(32);
  const r = d.hasRsample ? d.rsample([2]) : d.sample([2]);
  return { s, r, lp: d.logProb(v) };
}
const PRELUDE = `
import torch.distributions as D
def f32(v): return torch.tensor(v, dtype=torch.float32)
def f64(v): return torch.tensor(v, dtype=torch.float64)
def leaf(v): return torch.tensor(v, dtype=torch.float64, requires_grad=True)
def common(d, v):
    torch.manual_seed(31); s = d.sample((3,))
    torch.manual_seed(32); r = d.rsample((2,)) if d.has_rsample else d.sample((2,))
    return dict(s=s, r=r, lp=d.log_prob(v))
`;

const W = [
  [
    [1, 0.5],
    [0.2, -1],
    [0, 0.3],
  ],
  [
    [0.4, 0.1],
    [-0.3, 0.2],
    [1, 1],
  ],
];
const COV = [
  [2, 0.3, 0.1],
  [0.3, 1, -0.2],
  [0.1, -0.2, 1.5],
];

paritySuite('later families against PyTorch', PRELUDE, [
  {
    name: 'LowRankMultivariateNormal',
    js: () => {
      const out: Record<string, Tensor | number> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        const d = new D.LowRankMultivariateNormal(
          mk([0.5, -1, 0]),
          mk(W),
          mk([
            [1, 0.5, 2],
            [0.3, 1, 1],
          ]),
        );
        const v = mk([
          [0.2, 0.1, -0.5],
          [1, -2, 0.3],
        ]);
        const c = common(d, v);
        const e = d.expand([4, 2]);
        torch.manualSeed(33);
        Object.assign(out, {
          [`${tag}s`]: c.s,
          [`${tag}r`]: c.r,
          [`${tag}lp`]: c.lp,
          [`${tag}ent`]: d.entropy(),
          [`${tag}mean`]: d.mean,
          [`${tag}var`]: d.variance,
          [`${tag}cov`]: d.covarianceMatrix,
          [`${tag}prec`]: d.precisionMatrix,
          [`${tag}tril`]: d.scaleTril,
          [`${tag}es`]: e.sample([]),
          [`${tag}elp`]: e.logProb(mk([0, 0, 0])),
          [`${tag}batch`]: d.batchShape[0] as number,
        });
      }
      return out;
    },
    py: `
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    d = D.LowRankMultivariateNormal(mk([0.5, -1, 0]), mk(${JSON.stringify(W)}), mk([[1, 0.5, 2], [0.3, 1, 1]]))
    c = common(d, mk([[0.2, 0.1, -0.5], [1, -2, 0.3]]))
    e = d.expand((4, 2)); torch.manual_seed(33)
    R.update({tag + 's': c['s'], tag + 'r': c['r'], tag + 'lp': c['lp'], tag + 'ent': d.entropy(), tag + 'mean': d.mean,
              tag + 'var': d.variance, tag + 'cov': d.covariance_matrix, tag + 'prec': d.precision_matrix,
              tag + 'tril': d.scale_tril, tag + 'es': e.sample(), tag + 'elp': e.log_prob(mk([0, 0, 0])),
              tag + 'batch': d.batch_shape[0]})`,
  },
  {
    name: 'Multinomial',
    js: () => {
      const m = new D.Multinomial(5, {
        probs: f32([
          [0.2, 0.3, 0.5],
          [0.6, 0.4, 0],
        ]),
      });
      const l = new D.Multinomial({ totalCount: 4, logits: f64([0.1, -0.4, 1.2, 0]) });
      const mc = common(
        m,
        f32([
          [1, 1, 3],
          [2, 3, 0],
        ]),
      );
      const lc = common(
        l,
        f64([
          [1, 0, 3, 0],
          [0, 2, 1, 1],
        ]),
      );
      torch.manualSeed(34);
      return {
        ms: mc.s,
        mr: mc.r,
        mlp: mc.lp,
        ment: m.entropy(),
        mmean: m.mean,
        mvar: m.variance,
        ls: lc.s,
        llp: lc.lp,
        lent: l.entropy(),
        le: l.expand([2, 3]).sample([2]),
      };
    },
    py: `
m = D.Multinomial(5, probs=f32([[0.2, 0.3, 0.5], [0.6, 0.4, 0]])); l = D.Multinomial(4, logits=f64([0.1, -0.4, 1.2, 0]))
mc = common(m, f32([[1, 1, 3], [2, 3, 0]])); lc = common(l, f64([[1, 0, 3, 0], [0, 2, 1, 1]]))
torch.manual_seed(34)
R = dict(ms=mc['s'], mr=mc['r'], mlp=mc['lp'], ment=m.entropy(), mmean=m.mean, mvar=m.variance, ls=lc['s'], llp=lc['lp'],
         lent=l.entropy(), le=l.expand((2, 3)).sample((2,)))`,
  },
  {
    name: 'InverseGamma and FisherSnedecor',
    js: () => {
      const out: Record<string, Tensor> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        const ig = new D.InverseGamma(mk([2, 0.7, 3.5]), mk([1, 3, 0.5]));
        const fs = new D.FisherSnedecor(mk([3, 0.8, 6]), mk([5, 2, 12]));
        const ic = common(ig, mk([0.5, 2, 0.1]));
        const fc = common(fs, mk([0.5, 2, 1.1]));
        Object.assign(out, {
          [`${tag}is`]: ic.s,
          [`${tag}ir`]: ic.r,
          [`${tag}ilp`]: ic.lp,
          [`${tag}ient`]: ig.entropy(),
          [`${tag}imean`]: ig.mean,
          [`${tag}ivar`]: ig.variance,
          [`${tag}imode`]: ig.mode,
          [`${tag}fs`]: fc.s,
          [`${tag}fr`]: fc.r,
          [`${tag}flp`]: fc.lp,
          [`${tag}fmean`]: fs.mean,
          [`${tag}fvar`]: fs.variance,
          [`${tag}fmode`]: fs.mode,
        });
      }
      torch.manualSeed(35);
      out.ise = new D.InverseGamma(2, 1.5).sample([3]);
      out.fse = new D.FisherSnedecor(f32([4, 2]), 7).expand([3, 2]).rsample([]);
      return out;
    },
    py: `
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    ig = D.InverseGamma(mk([2, 0.7, 3.5]), mk([1, 3, 0.5])); fs = D.FisherSnedecor(mk([3, 0.8, 6]), mk([5, 2, 12]))
    ic = common(ig, mk([0.5, 2, 0.1])); fc = common(fs, mk([0.5, 2, 1.1]))
    R.update({tag + 'is': ic['s'], tag + 'ir': ic['r'], tag + 'ilp': ic['lp'], tag + 'ient': ig.entropy(),
              tag + 'imean': ig.mean, tag + 'ivar': ig.variance, tag + 'imode': ig.mode, tag + 'fs': fc['s'],
              tag + 'fr': fc['r'], tag + 'flp': fc['lp'], tag + 'fmean': fs.mean, tag + 'fvar': fs.variance,
              tag + 'fmode': fs.mode})
torch.manual_seed(35)
R['ise'] = D.InverseGamma(2., 1.5).sample((3,))
R['fse'] = D.FisherSnedecor(f32([4, 2]), 7.).expand((3, 2)).rsample()`,
  },
  {
    name: 'VonMises',
    js: () => {
      const out: Record<string, Tensor> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        // Concentrations on both sides of the Bessel approximations' switch at 3.75, and a tiny one.
        const d = new D.VonMises(mk([0.5, -2, 3, 0]), mk([0.3, 2, 8, 1e-6]));
        const c = common(d, mk([0.1, -1.5, 2.5, 3]));
        Object.assign(out, { [`${tag}s`]: c.s, [`${tag}r`]: c.r, [`${tag}lp`]: c.lp, [`${tag}var`]: d.variance });
      }
      torch.manualSeed(36);
      out.big = new D.VonMises(f32([1]), f32([0.7])).expand([50]).sample([4]);
      return out;
    },
    py: `
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    d = D.VonMises(mk([0.5, -2, 3, 0]), mk([0.3, 2, 8, 1e-6]))
    c = common(d, mk([0.1, -1.5, 2.5, 3]))
    R.update({tag + 's': c['s'], tag + 'r': c['r'], tag + 'lp': c['lp'], tag + 'var': d.variance})
torch.manual_seed(36)
R['big'] = D.VonMises(f32([1]), f32([0.7])).expand((50,)).sample((4,))`,
  },
  {
    name: 'OneHotCategoricalStraightThrough and GeneralizedPareto',
    js: () => {
      const o = new D.OneHotCategoricalStraightThrough({
        logits: f32([
          [0.1, -0.4, 1.2],
          [2, 0, -1],
        ]),
      });
      const oc = common(o, f32([0, 1, 0]));
      const g = new D.GeneralizedPareto(f32([0, 1, -0.5]), f32([1, 2, 0.5]), f32([0, 0.3, -0.4]));
      const gc = common(g, f32([0.5, 2, 0.1]));
      const v = f32([0.5, 2, 0.1]);
      torch.manualSeed(37);
      return {
        os: oc.s,
        or: oc.r,
        olp: oc.lp,
        oent: o.entropy(),
        gs: gc.s,
        gr: gc.r,
        glp: gc.lp,
        gcdf: g.cdf(v),
        glcdf: g.logCdf(v),
        gsf: g.logSurvivalFunction(v),
        gicdf: g.icdf(f32([0.1, 0.5, 0.9])),
        gent: g.entropy(),
        gmean: g.mean,
        gvar: g.variance,
        gsn: new D.GeneralizedPareto(0, 1, 0.2).rsample([3]),
        g64: new D.GeneralizedPareto(f64([0, 1]), f64([1, 2]), f64([0, 0.3])).rsample([2]),
      };
    },
    py: `
o = D.OneHotCategoricalStraightThrough(logits=f32([[0.1, -0.4, 1.2], [2, 0, -1]])); oc = common(o, f32([0, 1, 0]))
g = D.GeneralizedPareto(f32([0, 1, -0.5]), f32([1, 2, 0.5]), f32([0, 0.3, -0.4])); gc = common(g, f32([0.5, 2, 0.1]))
v = f32([0.5, 2, 0.1])
torch.manual_seed(37)
gsn = D.GeneralizedPareto(0., 1., 0.2).rsample((3,))
g64 = D.GeneralizedPareto(f64([0, 1]), f64([1, 2]), f64([0, 0.3])).rsample((2,))
R = dict(os=oc['s'], **{'or': oc['r']}, olp=oc['lp'], oent=o.entropy(), gs=gc['s'], gr=gc['r'], glp=gc['lp'], gcdf=g.cdf(v),
         glcdf=g.log_cdf(v), gsf=g.log_survival_function(v), gicdf=g.icdf(f32([0.1, 0.5, 0.9])), gent=g.entropy(),
         gmean=g.mean, gvar=g.variance, gsn=gsn, g64=g64)`,
  },
  {
    name: 'LKJCholesky and CorrCholeskyTransform',
    js: () => {
      const out: Record<string, Tensor | boolean> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        const d = new D.LKJCholesky(3, mk([0.5, 2]));
        torch.manualSeed(31);
        const s = d.sample([2]);
        const t = new D.CorrCholeskyTransform();
        const x = mk([
          [0.3, -1.2, 0.8],
          [2, 0.1, -0.5],
        ]);
        const y = t.call(x);
        Object.assign(out, {
          [`${tag}s`]: s,
          [`${tag}lp`]: d.logProb(s),
          [`${tag}y`]: y,
          [`${tag}x`]: t.inv.call(y),
          [`${tag}ladj`]: t.logAbsDetJacobian(x, y),
        });
      }
      torch.manualSeed(38);
      out.d4 = new D.LKJCholesky(4).expand([2]).sample([]);
      out.inSupport = D.constraints.corrCholesky
        .check(out.d4 as Tensor)
        .all()
        .item() as boolean;
      const bt = D.bijectTo(D.constraints.corrCholesky);
      out.bij = bt.call(f64([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
      out.same = bt instanceof D.CorrCholeskyTransform && D.transformTo(D.constraints.corrCholesky).equals(bt);
      return out;
    },
    py: `
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    d = D.LKJCholesky(3, mk([0.5, 2]))
    torch.manual_seed(31); s = d.sample((2,))
    t = D.transforms.CorrCholeskyTransform(); x = mk([[0.3, -1.2, 0.8], [2, 0.1, -0.5]]); y = t(x)
    R.update({tag + 's': s, tag + 'lp': d.log_prob(s), tag + 'y': y, tag + 'x': t.inv(y),
              tag + 'ladj': t.log_abs_det_jacobian(x, y)})
torch.manual_seed(38)
R['d4'] = D.LKJCholesky(4).expand((2,)).sample()
R['inSupport'] = bool(D.constraints.corr_cholesky.check(R['d4']).all())
bt = D.biject_to(D.constraints.corr_cholesky)
R['bij'] = bt(f64([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
R['same'] = isinstance(bt, D.transforms.CorrCholeskyTransform) and D.transform_to(D.constraints.corr_cholesky) == bt`,
    approx: ['ax', 'bx'],
  },
  {
    name: 'KL divergences of the low-rank multivariate normal',
    js: () => {
      const kl = D.klDivergence;
      const out: Record<string, Tensor> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        const p = new D.LowRankMultivariateNormal(
          mk([0.5, -1, 0]),
          mk(W),
          mk([
            [1, 0.5, 2],
            [0.3, 1, 1],
          ]),
        );
        const q = new D.LowRankMultivariateNormal(mk([0, 0.2, 1]), mk([[1], [0.5], [-0.3]]), mk([0.8, 1.2, 0.6]));
        const m = new D.MultivariateNormal(mk([[0.1, 0, -0.2]]), { covarianceMatrix: mk(COV) });
        Object.assign(out, {
          [`${tag}pq`]: kl(p, q),
          [`${tag}qp`]: kl(q, p),
          [`${tag}pm`]: kl(p, m),
          [`${tag}mp`]: kl(m, p),
          [`${tag}qm`]: kl(q, m),
        });
      }
      return out;
    },
    py: `
kl = D.kl_divergence
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    p = D.LowRankMultivariateNormal(mk([0.5, -1, 0]), mk(${JSON.stringify(W)}), mk([[1, 0.5, 2], [0.3, 1, 1]]))
    q = D.LowRankMultivariateNormal(mk([0, 0.2, 1]), mk([[1], [0.5], [-0.3]]), mk([0.8, 1.2, 0.6]))
    m = D.MultivariateNormal(mk([[0.1, 0, -0.2]]), covariance_matrix=mk(${JSON.stringify(COV)}))
    R.update({tag + 'pq': kl(p, q), tag + 'qp': kl(q, p), tag + 'pm': kl(p, m), tag + 'mp': kl(m, p), tag + 'qm': kl(q, m)})`,
  },
  {
    name: 'float64 gradients through rsample, logProb and entropy',
    js: () => {
      const loc = leaf([0.5, -1, 0]);
      const w = leaf(W[0] as Nested);
      const diag = leaf([1, 0.5, 2]);
      const lr = new D.LowRankMultivariateNormal(loc, w, diag);
      torch.manualSeed(41);
      lr.rsample([3])
        .pow(2)
        .sum()
        .add(lr.logProb(f64([0.2, 0.1, -0.5])))
        .add(lr.entropy())
        .backward();
      const c = leaf([2, 0.7]);
      const r = leaf([1, 3]);
      const ig = new D.InverseGamma(c, r);
      torch.manualSeed(42);
      ig.rsample([2])
        .sum()
        .add(ig.logProb(f64([0.5, 2])).sum())
        .add(ig.entropy().sum())
        .backward();
      const df1 = leaf([3, 6]);
      const df2 = leaf([5, 12]);
      const fs = new D.FisherSnedecor(df1, df2);
      torch.manualSeed(43);
      fs.rsample([2])
        .sum()
        .add(fs.logProb(f64([0.5, 2])).sum())
        .backward();
      const logits = leaf([0.1, -0.4, 1.2]);
      const o = new D.OneHotCategoricalStraightThrough({ logits });
      torch.manualSeed(44);
      o.rsample([4])
        .mul(f64([1, 2, 3]))
        .sum()
        .backward();
      const gl = leaf([0, 1]);
      const gsc = leaf([1, 2]);
      const gc = leaf([0.2, -0.3]);
      const gp = new D.GeneralizedPareto(gl, gsc, gc);
      torch.manualSeed(45);
      gp.rsample([3]).sum().add(gp.entropy().sum()).backward();
      const vk = leaf([0.3, 5]);
      new D.VonMises(f64([0, 1]), vk)
        .logProb(f64([0.2, 0.4]))
        .sum()
        .backward();
      const lk = leaf([0.5, 2]);
      const lkj = new D.LKJCholesky(3, lk);
      torch.manualSeed(46);
      lkj.logProb(lkj.sample()).sum().backward();
      const x = leaf([0.3, -1.2, 0.8]);
      const t = new D.CorrCholeskyTransform();
      const y = t.call(x);
      y.sum().add(t.logAbsDetJacobian(x, y)).backward();
      return {
        loc: loc.grad as Tensor,
        w: w.grad as Tensor,
        diag: diag.grad as Tensor,
        c: c.grad as Tensor,
        r: r.grad as Tensor,
        df1: df1.grad as Tensor,
        df2: df2.grad as Tensor,
        logits: logits.grad as Tensor,
        gl: gl.grad as Tensor,
        gsc: gsc.grad as Tensor,
        gc: gc.grad as Tensor,
        vk: vk.grad as Tensor,
        lk: lk.grad as Tensor,
        x: x.grad as Tensor,
      };
    },
    py: `
loc = leaf([0.5, -1, 0]); w = leaf(${JSON.stringify(W[0])}); diag = leaf([1, 0.5, 2])
lr = D.LowRankMultivariateNormal(loc, w, diag)
torch.manual_seed(41)
(lr.rsample((3,)).pow(2).sum() + lr.log_prob(f64([0.2, 0.1, -0.5])) + lr.entropy()).backward()
c = leaf([2, 0.7]); r = leaf([1, 3]); ig = D.InverseGamma(c, r)
torch.manual_seed(42)
(ig.rsample((2,)).sum() + ig.log_prob(f64([0.5, 2])).sum() + ig.entropy().sum()).backward()
df1 = leaf([3, 6]); df2 = leaf([5, 12]); fs = D.FisherSnedecor(df1, df2)
torch.manual_seed(43)
(fs.rsample((2,)).sum() + fs.log_prob(f64([0.5, 2])).sum()).backward()
logits = leaf([0.1, -0.4, 1.2]); o = D.OneHotCategoricalStraightThrough(logits=logits)
torch.manual_seed(44)
(o.rsample((4,)) * f64([1, 2, 3])).sum().backward()
gl = leaf([0, 1]); gsc = leaf([1, 2]); gc = leaf([0.2, -0.3]); gp = D.GeneralizedPareto(gl, gsc, gc)
torch.manual_seed(45)
(gp.rsample((3,)).sum() + gp.entropy().sum()).backward()
vk = leaf([0.3, 5]); D.VonMises(f64([0, 1]), vk).log_prob(f64([0.2, 0.4])).sum().backward()
lk = leaf([0.5, 2]); lkj = D.LKJCholesky(3, lk)
torch.manual_seed(46)
lkj.log_prob(lkj.sample()).sum().backward()
x = leaf([0.3, -1.2, 0.8]); t = D.transforms.CorrCholeskyTransform(); y = t(x)
(y.sum() + t.log_abs_det_jacobian(x, y)).backward()
R = dict(loc=loc.grad, w=w.grad, diag=diag.grad, c=c.grad, r=r.grad, df1=df1.grad, df2=df2.grad, logits=logits.grad,
         gl=gl.grad, gsc=gsc.grad, gc=gc.grad, vk=vk.grad, lk=lk.grad, x=x.grad)`,
  },
]);

paritySuite('Wishart against PyTorch', PRELUDE, [
  {
    name: 'Wishart',
    js: () => {
      const out: Record<string, Tensor> = {};
      for (const [tag, mk] of [
        ['a', f32],
        ['b', f64],
      ] as const) {
        const cov = new D.Wishart(mk([4, 6.5]), { covarianceMatrix: mk(COV) });
        const tril = new D.Wishart(5, {
          scaleTril: mk([
            [1, 0],
            [0.5, 2],
          ]),
        });
        const prec = new D.Wishart(mk(3.5), { precisionMatrix: mk([[COV], [COV]]) });
        const v = mk([
          [2, 0.5, 0.1],
          [0.5, 1, 0],
          [0.1, 0, 3],
        ]);
        const cc = common(cov, v);
        torch.manualSeed(35);
        Object.assign(out, {
          [`${tag}s`]: cc.s,
          [`${tag}r`]: cc.r,
          [`${tag}lp`]: cc.lp,
          [`${tag}ent`]: cov.entropy(),
          [`${tag}mean`]: cov.mean,
          [`${tag}var`]: cov.variance,
          [`${tag}mode`]: cov.mode,
          [`${tag}prec`]: cov.precisionMatrix,
          [`${tag}ts`]: tril.rsample([]),
          [`${tag}tlp`]: tril.logProb(
            mk([
              [1, 0.2],
              [0.2, 3],
            ]),
          ),
          [`${tag}tent`]: tril.entropy(),
          [`${tag}ps`]: prec.sample([2]),
          [`${tag}plp`]: prec.logProb(v),
          [`${tag}es`]: tril.expand([2]).rsample([]),
        });
      }
      return out;
    },
    py: `
import warnings
warnings.simplefilter('ignore')
R = {}
for tag, mk in (('a', f32), ('b', f64)):
    cov = D.Wishart(mk([4, 6.5]), covariance_matrix=mk(${JSON.stringify(COV)}))
    tril = D.Wishart(5., scale_tril=mk([[1, 0], [0.5, 2]]))
    prec = D.Wishart(mk(3.5), precision_matrix=mk([[${JSON.stringify(COV)}], [${JSON.stringify(COV)}]]))
    v = mk([[2, 0.5, 0.1], [0.5, 1, 0], [0.1, 0, 3]])
    cc = common(cov, v)
    torch.manual_seed(35)
    R.update({tag + 's': cc['s'], tag + 'r': cc['r'], tag + 'lp': cc['lp'], tag + 'ent': cov.entropy(),
              tag + 'mean': cov.mean, tag + 'var': cov.variance, tag + 'mode': cov.mode,
              tag + 'prec': cov.precision_matrix, tag + 'ts': tril.rsample(), tag + 'tlp': tril.log_prob(mk([[1, 0.2], [0.2, 3]])),
              tag + 'tent': tril.entropy(), tag + 'ps': prec.sample((2,)), tag + 'plp': prec.log_prob(v),
              tag + 'es': tril.expand((2,)).rsample()})`,
  },
  {
    name: 'Wishart float64 gradients',
    js: () => {
      const df = leaf([4, 6.5]);
      const l = leaf([
        [1, 0],
        [0.5, 2],
      ]);
      const w = new D.Wishart(df, { scaleTril: l });
      torch.manualSeed(47);
      w.rsample([2])
        .sum()
        .add(
          w
            .logProb(
              f64([
                [1, 0.2],
                [0.2, 3],
              ]),
            )
            .sum(),
        )
        .add(w.entropy().sum())
        .backward();
      return { df: df.grad as Tensor, l: l.grad as Tensor };
    },
    py: `
import warnings
warnings.simplefilter('ignore')
df = leaf([4, 6.5]); l = leaf([[1, 0], [0.5, 2]]); w = D.Wishart(df, scale_tril=l)
# PyTorch's own rsample cannot be differentiated after its redraw (it modifies the mask that
# index_put_ saved); the sample it returns is the second Bartlett draw, differentiated here.
torch.manual_seed(47)
w._bartlett_sampling((2,)); s = w._bartlett_sampling((2,))
(s.sum() + w.log_prob(f64([[1, 0.2], [0.2, 3]])).sum() + w.entropy().sum()).backward()
R = dict(df=df.grad, l=l.grad)`,
  },
]);

describe('later families: validation errors', () => {
  test('bad parameters name the family and the argument', () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => new D.LowRankMultivariateNormal(f32([0, 0]), f32([[1], [0]]), f32([1, -1])),
        /^Error: LowRankMultivariateNormal: expected parameter covDiag/,
      ],
      [
        () => new D.LowRankMultivariateNormal(f32([0, 0]), f32([[1, 0, 0]]), f32([1, 1])),
        /^Error: LowRankMultivariateNormal: covFactor must be a batch of matrices with shape 2 x m, got \[1, 3\]/,
      ],
      [
        () => new D.LowRankMultivariateNormal(f32([0, 0]), f32([[1], [0]]), f32([1, 1, 1])),
        /^Error: LowRankMultivariateNormal: covDiag must be a batch of vectors with shape \[2\], got \[3\]/,
      ],
      [
        () => new D.Multinomial(2.5, { probs: f32([0.5, 0.5]) }),
        /^TypeError: Multinomial: totalCount must be one integer/,
      ],
      [
        () => new D.Multinomial(2, { probs: f32([-0.5, 0.5]) }),
        /^Error: Multinomial: Categorical: expected parameter probs/,
      ],
      [() => new D.InverseGamma(f32([1, 2]), f32([1, -3])), /^Error: InverseGamma: Gamma: expected parameter rate/],
      [() => new D.FisherSnedecor(f32([1, 0]), 2), /^Error: FisherSnedecor: expected parameter df1/],
      [() => new D.VonMises(0, f32([-1])), /^Error: VonMises: expected parameter concentration/],
      [() => new D.GeneralizedPareto(0, f32([0]), 0.1), /^Error: GeneralizedPareto: expected parameter scale/],
      [
        () => new D.LKJCholesky(1),
        /^Error: LKJCholesky: expected dim to be an integer greater than or equal to 2, got dim=1/,
      ],
      [() => new D.LKJCholesky(3, f32([-0.5])), /^Error: LKJCholesky: expected parameter concentration/],
      [
        () => new D.Wishart(1, { covarianceMatrix: f32(COV) }),
        /^Error: Wishart: value of df=1 expected to be greater than ndim - 1 = 2/,
      ],
      [
        () =>
          new D.Wishart(4, {
            covarianceMatrix: f32([
              [1, 2],
              [2, 1],
            ]),
          }),
        /^Error: Wishart: expected parameter covarianceMatrix/,
      ],
      [() => new D.Wishart(4, {}), /^Error: Wishart: exactly one of covarianceMatrix or precisionMatrix or scaleTril/],
    ];
    for (const [make, pattern] of cases) torch.scope(() => assert.throws(make, (e: Error) => pattern.test(String(e))));
  });

  test('values outside the support name the family and the method', () => {
    torch.scope(() => {
      const m = new D.Multinomial(3, { probs: f32([0.2, 0.8]) });
      assert.throws(() => m.logProb(f32([3, 1])), /^Error: Multinomial\.logProb: expected value argument .*support/);
      const g = new D.GeneralizedPareto(f32([0]), f32([1]), f32([-0.5]));
      // The support is [0, 2] for this negative concentration.
      assert.throws(() => g.logProb(f32([2.5])), /^Error: GeneralizedPareto\.logProb: expected value argument/);
      const l = new D.LKJCholesky(2);
      assert.throws(
        () =>
          l.logProb(
            f32([
              [1, 0],
              [0.5, 0.5],
            ]),
          ),
        /^Error: LKJCholesky\.logProb: expected value argument/,
      );
      assert.throws(() => new D.InverseGamma(1, 1).logProb(f32([-1])), /^Error: InverseGamma\.logProb/);
      assert.throws(
        () => new D.CorrCholeskyTransform().forwardShape([4]),
        /^Error: CorrCholeskyTransform\.forwardShape: 4 is not a flattened lower-triangle size/,
      );
    });
  });
});

describe('later families: lifetime', () => {
  const live = (): number => torch.memory().tensors;
  test('sampling and logProb in a loop leave no live tensors, dispose() frees what each family made', () => {
    // Each maker makes the caller's tensors, then returns the constructor call that uses them.
    type Maker = () => () => torch.distributions.Distribution;
    const makers: Maker[] = [
      () => {
        const [l, w, d] = [f32([0, 1]), f32([[1], [0.5]]), f32([1, 2])];
        return () => new D.LowRankMultivariateNormal(l, w, d);
      },
      () => {
        const p = f32([0.2, 0.8]);
        return () => new D.Multinomial(4, { probs: p });
      },
      () => {
        const [c, r] = [f32([2]), f32([1])];
        return () => new D.InverseGamma(c, r);
      },
      () => {
        const [a, b] = [f32([3]), f32([5])];
        return () => new D.FisherSnedecor(a, b);
      },
      () => {
        const [l, k] = [f32([0]), f32([2])];
        return () => new D.VonMises(l, k);
      },
      () => {
        const p = f32([0.2, 0.8]);
        return () => new D.OneHotCategoricalStraightThrough({ probs: p });
      },
      () => {
        const [l, s, c] = [f32([0]), f32([1]), f32([0.2])];
        return () => new D.GeneralizedPareto(l, s, c);
      },
      () => {
        const c = f32([2]);
        return () => new D.LKJCholesky(3, c);
      },
      () => {
        const [df, l] = [
          f32([4]),
          f32([
            [1, 0],
            [0.5, 2],
          ]),
        ];
        return () => new D.Wishart(df, { scaleTril: l });
      },
    ];
    for (const maker of makers) {
      torch.scope(() => {
        const build = maker();
        const before = live();
        const d = torch.scope(build);
        const held = live();
        for (let i = 0; i < 5; i++) {
          torch.scope(() => {
            const s = d.sample([2]);
            d.logProb(s);
            if (d.hasRsample) d.rsample([]);
          });
          assert.equal(live(), held, `${d.constructor.name}: tensors leaked by sample/logProb`);
        }
        const e = torch.scope(() => d.expand([3]));
        d.dispose();
        torch.scope(() => {
          e.logProb(e.sample());
        });
        e.dispose();
        assert.equal(live(), before, `${d.constructor.name}: dispose() left tensors alive`);
      });
    }
  });
});
