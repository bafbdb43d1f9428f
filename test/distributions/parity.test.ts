// torch.distributions against Python torch 2.13: after the same manualSeed the same samples, and
// logProb, cdf, icdf, entropy, moments, KL divergences and gradients through rsample and logProb.
// Each case runs here and, as the same Python, in one Python process; float32 results are compared
// bit for bit where the same kernels run in the same order (samples, and everything listed in
// EXACT), else to 1e-6 relative (float32) or 1e-12 (float64).
import * as torch from '../../lib/index.js';
import { type ParityCase, paritySuite } from '../support/parity_cases.js';

const D = torch.distributions;
type Tensor = torch.Tensor;

const f32 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32' });
const f64 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float64' });
const leaf = (v: number[] | number[][], dtype: 'float32' | 'float64' = 'float64') =>
  torch.tensor(v, { dtype, requiresGrad: true });

const cases: ParityCase[] = [
  {
    name: 'Normal',
    js: () => {
      const d = new D.Normal(f32([0.5, -1.2, 2]), f32([1, 0.3, 2.5]));
      const v = f32([0.1, -1, 3]);
      torch.manualSeed(1);
      const s = d.sample([4]);
      torch.manualSeed(2);
      const r = d.rsample([2, 1]);
      return {
        s,
        r,
        lp: d.logProb(v),
        cdf: d.cdf(v),
        icdf: d.icdf(f32([0.1, 0.5, 0.975])),
        ent: d.entropy(),
        ppl: d.perplexity(),
        mean: d.mean,
        var: d.variance,
        std: d.stddev,
      };
    },
    py: `
d = D.Normal(f32([0.5, -1.2, 2]), f32([1, 0.3, 2.5]))
v = f32([0.1, -1, 3])
torch.manual_seed(1); s = d.sample((4,))
torch.manual_seed(2); r = d.rsample((2, 1))
R = dict(s=s, r=r, lp=d.log_prob(v), cdf=d.cdf(v), icdf=d.icdf(f32([0.1, 0.5, 0.975])), ent=d.entropy(),
         ppl=d.perplexity(), mean=d.mean, var=d.variance, std=d.stddev)`,
  },
  {
    name: 'Normal from numbers, float64 values',
    js: () => {
      const d = new D.Normal(0.25, 2);
      torch.manualSeed(3);
      return { s: d.sample([5]), lp: d.logProb(f32([-1, 0, 4])), batch: d.batchShape.length, ent: d.entropy() };
    },
    py: `
d = D.Normal(0.25, 2.)
torch.manual_seed(3)
R = dict(s=d.sample((5,)), lp=d.log_prob(f32([-1, 0, 4])), batch=len(d.batch_shape), ent=d.entropy())`,
  },
  {
    name: 'Uniform',
    js: () => {
      const d = new D.Uniform(f32([0, -2]), f32([1, 3]));
      torch.manualSeed(4);
      return {
        s: d.sample([3]),
        lp: d.logProb(f32([0.5, 2.9])),
        cdf: d.cdf(f32([0.25, -1.5])),
        icdf: d.icdf(f32([0.25, 0.5])),
        ent: d.entropy(),
        mean: d.mean,
        var: d.variance,
        std: d.stddev,
      };
    },
    py: `
d = D.Uniform(f32([0, -2]), f32([1, 3]))
torch.manual_seed(4)
R = dict(s=d.sample((3,)), lp=d.log_prob(f32([0.5, 2.9])), cdf=d.cdf(f32([0.25, -1.5])),
         icdf=d.icdf(f32([0.25, 0.5])), ent=d.entropy(), mean=d.mean, var=d.variance, std=d.stddev)`,
  },
  {
    name: 'Bernoulli (probs and logits)',
    js: () => {
      const p = new D.Bernoulli(f32([0.1, 0.5, 0.93]));
      const l = new D.Bernoulli({ logits: f32([-2, 0, 1.5]) });
      torch.manualSeed(5);
      const s = p.sample([4]);
      return {
        s,
        lp: p.logProb(f32([1, 0, 1])),
        ent: p.entropy(),
        logits: p.logits,
        mode: p.mode,
        var: p.variance,
        lprobs: l.probs,
        llp: l.logProb(f32([0, 1, 1])),
        lent: l.entropy(),
        sup: p.enumerateSupport(),
      };
    },
    py: `
p = D.Bernoulli(f32([0.1, 0.5, 0.93]))
l = D.Bernoulli(logits=f32([-2, 0, 1.5]))
torch.manual_seed(5)
R = dict(s=p.sample((4,)), lp=p.log_prob(f32([1, 0, 1])), ent=p.entropy(), logits=p.logits, mode=p.mode, var=p.variance,
         lprobs=l.probs, llp=l.log_prob(f32([0, 1, 1])), lent=l.entropy(), sup=p.enumerate_support())`,
  },
  {
    name: 'Categorical',
    js: () => {
      const d = new D.Categorical({
        probs: f32([
          [0.1, 0.2, 0.7],
          [3, 1, 0],
        ]),
      });
      const l = new D.Categorical({ logits: f32([[1, -1, 0.5, 2]]) });
      torch.manualSeed(6);
      const s = d.sample([5]);
      const ls = l.sample([3, 2]);
      return {
        s,
        ls,
        probs: d.probs,
        logits: d.logits,
        lp: d.logProb(
          torch.tensor([
            [2, 0],
            [1, 1],
          ]),
        ),
        ent: d.entropy(),
        lent: l.entropy(),
        llp: l.logProb(torch.tensor([3])),
        mode: d.mode,
        sup: d.enumerateSupport(),
      };
    },
    py: `
d = D.Categorical(probs=f32([[0.1, 0.2, 0.7], [3, 1, 0]]))
l = D.Categorical(logits=f32([[1, -1, 0.5, 2]]))
torch.manual_seed(6)
s = d.sample((5,)); ls = l.sample((3, 2))
R = dict(s=s, ls=ls, probs=d.probs, logits=d.logits, lp=d.log_prob(torch.tensor([[2, 0], [1, 1]])), ent=d.entropy(),
         lent=l.entropy(), llp=l.log_prob(torch.tensor([3])), mode=d.mode, sup=d.enumerate_support())`,
  },
  {
    name: 'OneHotCategorical',
    js: () => {
      const d = new D.OneHotCategorical({
        probs: f32([
          [0.2, 0.3, 0.5],
          [0.6, 0.2, 0.2],
        ]),
      });
      torch.manualSeed(7);
      return {
        s: d.sample([3]),
        lp: d.logProb(
          f32([
            [0, 0, 1],
            [1, 0, 0],
          ]),
        ),
        ent: d.entropy(),
        mode: d.mode,
        var: d.variance,
        sup: d.enumerateSupport({ expand: false }),
      };
    },
    py: `
d = D.OneHotCategorical(probs=f32([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]]))
torch.manual_seed(7)
R = dict(s=d.sample((3,)), lp=d.log_prob(f32([[0, 0, 1], [1, 0, 0]])), ent=d.entropy(), mode=d.mode, var=d.variance,
         sup=d.enumerate_support(expand=False))`,
  },
  {
    name: 'Independent over Normal',
    js: () => {
      const d = new D.Independent(
        new D.Normal(
          f32([
            [0, 1],
            [2, 3],
          ]),
          f32([
            [1, 2],
            [0.5, 1],
          ]),
        ),
        1,
      );
      torch.manualSeed(8);
      return {
        s: d.sample([2]),
        lp: d.logProb(
          f32([
            [0.5, 0.5],
            [2, 2],
          ]),
        ),
        ent: d.entropy(),
        batch: d.batchShape.length,
        event: d.eventShape[0] as number,
      };
    },
    py: `
d = D.Independent(D.Normal(f32([[0, 1], [2, 3]]), f32([[1, 2], [0.5, 1]])), 1)
torch.manual_seed(8)
R = dict(s=d.sample((2,)), lp=d.log_prob(f32([[0.5, 0.5], [2, 2]])), ent=d.entropy(), batch=len(d.batch_shape), event=d.event_shape[0])`,
  },
  {
    name: 'MultivariateNormal, three parameterisations',
    js: () => {
      const loc = f32([
        [1, -1, 0.5],
        [0, 0, 0],
      ]);
      const cov = f32([
        [2, 0.3, 0.1],
        [0.3, 1, -0.2],
        [0.1, -0.2, 0.5],
      ]);
      const a = new D.MultivariateNormal(loc, { covarianceMatrix: cov });
      const b = new D.MultivariateNormal(loc, { precisionMatrix: cov });
      const c = new D.MultivariateNormal(f32([1, 2, 3]), { scaleTril: a.scaleTril.select(0, 0) });
      const v = f32([
        [0.5, 0.5, 0.5],
        [1, -2, 0],
      ]);
      torch.manualSeed(9);
      return {
        s: a.sample([2]),
        rs: c.rsample([3]),
        lpa: a.logProb(v),
        lpb: b.logProb(v),
        lpc: c.logProb(v),
        enta: a.entropy(),
        entb: b.entropy(),
        var: a.variance,
        prec: a.precisionMatrix,
        covb: b.covarianceMatrix,
        trilb: b.scaleTril,
      };
    },
    py: `
loc = f32([[1, -1, 0.5], [0, 0, 0]])
cov = f32([[2, 0.3, 0.1], [0.3, 1, -0.2], [0.1, -0.2, 0.5]])
a = D.MultivariateNormal(loc, covariance_matrix=cov)
b = D.MultivariateNormal(loc, precision_matrix=cov)
c = D.MultivariateNormal(f32([1, 2, 3]), scale_tril=a.scale_tril[0])
v = f32([[0.5, 0.5, 0.5], [1, -2, 0]])
torch.manual_seed(9)
R = dict(s=a.sample((2,)), rs=c.rsample((3,)), lpa=a.log_prob(v), lpb=b.log_prob(v), lpc=c.log_prob(v), enta=a.entropy(),
         entb=b.entropy(), var=a.variance, prec=a.precision_matrix, covb=b.covariance_matrix, trilb=b.scale_tril)`,
  },
  {
    name: 'Exponential, Laplace, Poisson',
    js: () => {
      const e = new D.Exponential(f32([0.5, 2]));
      const l = new D.Laplace(f32([0, 1]), f32([1, 0.5]));
      const p = new D.Poisson(f32([0.5, 4, 30]));
      torch.manualSeed(10);
      const es = e.sample([3]);
      const ls = l.rsample([3]);
      const ps = p.sample([2]);
      return {
        es,
        ls,
        ps,
        elp: e.logProb(f32([0.3, 1])),
        ecdf: e.cdf(f32([0.3, 1])),
        eicdf: e.icdf(f32([0.3, 0.9])),
        eent: e.entropy(),
        evar: e.variance,
        llp: l.logProb(f32([0.3, -1])),
        lcdf: l.cdf(f32([0.3, -1])),
        licdf: l.icdf(f32([0.3, 0.9])),
        lent: l.entropy(),
        lstd: l.stddev,
        plp: p.logProb(f32([0, 3, 28])),
        pmode: p.mode,
      };
    },
    py: `
e = D.Exponential(f32([0.5, 2])); l = D.Laplace(f32([0, 1]), f32([1, 0.5])); p = D.Poisson(f32([0.5, 4, 30]))
torch.manual_seed(10)
es = e.sample((3,)); ls = l.rsample((3,)); ps = p.sample((2,))
R = dict(es=es, ls=ls, ps=ps, elp=e.log_prob(f32([0.3, 1])), ecdf=e.cdf(f32([0.3, 1])), eicdf=e.icdf(f32([0.3, 0.9])),
         eent=e.entropy(), evar=e.variance, llp=l.log_prob(f32([0.3, -1])), lcdf=l.cdf(f32([0.3, -1])),
         licdf=l.icdf(f32([0.3, 0.9])), lent=l.entropy(), lstd=l.stddev, plp=p.log_prob(f32([0, 3, 28])), pmode=p.mode)`,
  },
  {
    name: 'Gamma, Beta, Dirichlet',
    js: () => {
      const g = new D.Gamma(f32([0.5, 2, 9]), f32([1, 3, 0.5]));
      const b = new D.Beta(f32([0.5, 2]), f32([3, 2]));
      const d = new D.Dirichlet(
        f32([
          [0.5, 1, 2],
          [0.3, 0.4, 0.2],
        ]),
      );
      torch.manualSeed(11);
      const gs = g.sample([2]);
      const bs = b.sample([2]);
      const ds = d.rsample([2]);
      return {
        gs,
        bs,
        ds,
        glp: g.logProb(f32([0.2, 1, 20])),
        gcdf: g.cdf(f32([0.2, 1, 20])),
        gent: g.entropy(),
        gmode: g.mode,
        gvar: g.variance,
        blp: b.logProb(f32([0.1, 0.6])),
        bent: b.entropy(),
        bmean: b.mean,
        bvar: b.variance,
        bmode: new D.Beta(f32([2, 3]), f32([4, 2])).mode,
        dlp: d.logProb(
          f32([
            [0.2, 0.3, 0.5],
            [0.1, 0.1, 0.8],
          ]),
        ),
        dent: d.entropy(),
        dmean: d.mean,
        dvar: d.variance,
        dmode: d.mode,
      };
    },
    py: `
g = D.Gamma(f32([0.5, 2, 9]), f32([1, 3, 0.5])); b = D.Beta(f32([0.5, 2]), f32([3, 2])); d = D.Dirichlet(f32([[0.5, 1, 2], [0.3, 0.4, 0.2]]))
torch.manual_seed(11)
gs = g.sample((2,)); bs = b.sample((2,)); ds = d.rsample((2,))
R = dict(gs=gs, bs=bs, ds=ds, glp=g.log_prob(f32([0.2, 1, 20])), gcdf=g.cdf(f32([0.2, 1, 20])), gent=g.entropy(), gmode=g.mode,
         gvar=g.variance, blp=b.log_prob(f32([0.1, 0.6])), bent=b.entropy(), bmean=b.mean, bvar=b.variance,
         bmode=D.Beta(f32([2, 3]), f32([4, 2])).mode, dlp=d.log_prob(f32([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])), dent=d.entropy(),
         dmean=d.mean, dvar=d.variance, dmode=d.mode)`,
  },
  {
    name: 'LogNormal, Binomial',
    js: () => {
      const ln = new D.LogNormal(f32([0, 1]), f32([0.5, 2]));
      const bi = new D.Binomial(f32([10, 10]), { probs: f32([0.2, 0.7]) });
      const bl = new D.Binomial({ totalCount: 5, logits: f32([-1, 0.5]) });
      torch.manualSeed(12);
      const lns = ln.sample([2]);
      const bis = bi.sample([3]);
      return {
        lns,
        bis,
        lnlp: ln.logProb(f32([0.5, 3])),
        lncdf: ln.cdf(f32([0.5, 3])),
        lnicdf: ln.icdf(f32([0.2, 0.7])),
        lnent: ln.entropy(),
        lnmean: ln.mean,
        lnvar: ln.variance,
        lnmode: ln.mode,
        bilp: bi.logProb(f32([3, 10])),
        bient: bi.entropy(),
        bimean: bi.mean,
        bimode: bi.mode,
        bivar: bi.variance,
        bllp: bl.logProb(f32([0, 5])),
        blprobs: bl.probs,
      };
    },
    py: `
ln = D.LogNormal(f32([0, 1]), f32([0.5, 2])); bi = D.Binomial(f32([10, 10]), probs=f32([0.2, 0.7])); bl = D.Binomial(5, logits=f32([-1, 0.5]))
torch.manual_seed(12)
lns = ln.sample((2,)); bis = bi.sample((3,))
R = dict(lns=lns, bis=bis, lnlp=ln.log_prob(f32([0.5, 3])), lncdf=ln.cdf(f32([0.5, 3])), lnicdf=ln.icdf(f32([0.2, 0.7])),
         lnent=ln.entropy(), lnmean=ln.mean, lnvar=ln.variance, lnmode=ln.mode, bilp=bi.log_prob(f32([3, 10])), bient=bi.entropy(),
         bimean=bi.mean, bimode=bi.mode, bivar=bi.variance, bllp=bl.log_prob(f32([0, 5])), blprobs=bl.probs)`,
  },
  {
    name: 'klDivergence, every registered pair',
    js: () => {
      const n1 = new D.Normal(f32([0, 1]), f32([1, 2]));
      const n2 = new D.Normal(f32([0.5, -1]), f32([2, 0.5]));
      const u1 = new D.Uniform(f32([0, -1]), f32([1, 1]));
      const u2 = new D.Uniform(f32([-1, -0.5]), f32([2, 3]));
      const b1 = new D.Bernoulli(f32([0.2, 0, 1]));
      const b2 = new D.Bernoulli(f32([0.5, 0.3, 0]));
      const c1 = new D.Categorical({
        probs: f32([
          [0.2, 0.3, 0.5],
          [0, 0.5, 0.5],
        ]),
      });
      const c2 = new D.Categorical({
        logits: f32([
          [0, 1, 2],
          [1, 1, 1],
        ]),
      });
      const o1 = new D.OneHotCategorical({ probs: f32([0.2, 0.3, 0.5]) });
      const o2 = new D.OneHotCategorical({ probs: f32([0.5, 0.25, 0.25]) });
      const cov = f32([
        [2, 0.3],
        [0.3, 1],
      ]);
      const m1 = new D.MultivariateNormal(
        f32([
          [1, 2],
          [0, 0],
        ]),
        { covarianceMatrix: cov },
      );
      const m2 = new D.MultivariateNormal(f32([0, 1]), { precisionMatrix: cov });
      const e1 = new D.Exponential(f32([0.5, 2]));
      const e2 = new D.Exponential(f32([1, 1]));
      const g1 = new D.Gamma(f32([0.5, 2]), f32([1, 3]));
      const g2 = new D.Gamma(f32([2, 2]), f32([0.5, 1]));
      const l1 = new D.Laplace(f32([0, 1]), f32([1, 0.5]));
      const l2 = new D.Laplace(f32([1, 1]), f32([2, 2]));
      const p1 = new D.Poisson(f32([0.5, 4]));
      const p2 = new D.Poisson(f32([1, 3]));
      const be1 = new D.Beta(f32([0.5, 2]), f32([3, 2]));
      const be2 = new D.Beta(f32([1, 1]), f32([1, 4]));
      const d1 = new D.Dirichlet(f32([0.5, 1, 2]));
      const d2 = new D.Dirichlet(f32([1, 1, 1]));
      const bi1 = new D.Binomial(f32([10, 12]), { probs: f32([0.2, 0.7]) });
      const bi2 = new D.Binomial(f32([10, 10]), { probs: f32([0.5, 0.5]) });
      const ln1 = new D.LogNormal(f32([0, 1]), f32([0.5, 2]));
      const ln2 = new D.LogNormal(f32([1, 1]), f32([1, 1]));
      const kl = D.klDivergence;
      return {
        nn: kl(n1, n2),
        uu: kl(u1, u2),
        uu2: kl(u2, u1),
        bb: kl(b1, b2),
        cc: kl(c1, c2),
        oo: kl(o1, o2),
        ii: kl(new D.Independent(n1, 1), new D.Independent(n2, 1)),
        mm: kl(m1, m2),
        un: kl(u1, n1),
        nu: kl(n1, u1),
        ee: kl(e1, e2),
        gg: kl(g1, g2),
        eg: kl(e1, g1),
        ge: kl(g1, e1),
        ll: kl(l1, l2),
        ln: kl(l1, n1),
        nl: kl(n1, l1),
        pp: kl(p1, p2),
        bp: kl(new D.Bernoulli(f32([0.2, 0.7])), p1),
        bebe: kl(be1, be2),
        dd: kl(d1, d2),
        bibi: kl(bi1, bi2),
        lnln: kl(ln1, ln2),
        ne: kl(n1, e1),
      };
    },
    py: `
n1 = D.Normal(f32([0, 1]), f32([1, 2])); n2 = D.Normal(f32([0.5, -1]), f32([2, 0.5]))
u1 = D.Uniform(f32([0, -1]), f32([1, 1])); u2 = D.Uniform(f32([-1, -0.5]), f32([2, 3]))
b1 = D.Bernoulli(f32([0.2, 0, 1])); b2 = D.Bernoulli(f32([0.5, 0.3, 0]))
c1 = D.Categorical(probs=f32([[0.2, 0.3, 0.5], [0, 0.5, 0.5]])); c2 = D.Categorical(logits=f32([[0, 1, 2], [1, 1, 1]]))
o1 = D.OneHotCategorical(probs=f32([0.2, 0.3, 0.5])); o2 = D.OneHotCategorical(probs=f32([0.5, 0.25, 0.25]))
cov = f32([[2, 0.3], [0.3, 1]])
m1 = D.MultivariateNormal(f32([[1, 2], [0, 0]]), covariance_matrix=cov); m2 = D.MultivariateNormal(f32([0, 1]), precision_matrix=cov)
e1 = D.Exponential(f32([0.5, 2])); e2 = D.Exponential(f32([1, 1]))
g1 = D.Gamma(f32([0.5, 2]), f32([1, 3])); g2 = D.Gamma(f32([2, 2]), f32([0.5, 1]))
l1 = D.Laplace(f32([0, 1]), f32([1, 0.5])); l2 = D.Laplace(f32([1, 1]), f32([2, 2]))
p1 = D.Poisson(f32([0.5, 4])); p2 = D.Poisson(f32([1, 3]))
be1 = D.Beta(f32([0.5, 2]), f32([3, 2])); be2 = D.Beta(f32([1, 1]), f32([1, 4]))
d1 = D.Dirichlet(f32([0.5, 1, 2])); d2 = D.Dirichlet(f32([1, 1, 1]))
bi1 = D.Binomial(f32([10, 12]), probs=f32([0.2, 0.7])); bi2 = D.Binomial(f32([10, 10]), probs=f32([0.5, 0.5]))
ln1 = D.LogNormal(f32([0, 1]), f32([0.5, 2])); ln2 = D.LogNormal(f32([1, 1]), f32([1, 1]))
kl = D.kl_divergence
R = dict(nn=kl(n1, n2), uu=kl(u1, u2), uu2=kl(u2, u1), bb=kl(b1, b2), cc=kl(c1, c2), oo=kl(o1, o2),
         ii=kl(D.Independent(n1, 1), D.Independent(n2, 1)), mm=kl(m1, m2), un=kl(u1, n1), nu=kl(n1, u1), ee=kl(e1, e2),
         gg=kl(g1, g2), eg=kl(e1, g1), ge=kl(g1, e1), ll=kl(l1, l2), ln=kl(l1, n1), nl=kl(n1, l1), pp=kl(p1, p2),
         bp=kl(D.Bernoulli(f32([0.2, 0.7])), p1), bebe=kl(be1, be2), dd=kl(d1, d2), bibi=kl(bi1, bi2), lnln=kl(ln1, ln2),
         ne=kl(n1, e1))`,
  },
  {
    name: 'gradients through rsample and logProb (float64)',
    js: () => {
      const loc = leaf([0.5, -1]);
      const scale = leaf([1, 2]);
      const n = new D.Normal(loc, scale);
      torch.manualSeed(13);
      n.rsample([3])
        .pow(2)
        .sum()
        .add(n.logProb(f64([0, 1])).sum())
        .backward();
      const conc = leaf([0.7, 3]);
      const rate = leaf([2, 0.5]);
      const g = new D.Gamma(conc, rate);
      torch.manualSeed(14);
      g.rsample([4])
        .sum()
        .add(g.logProb(f64([0.5, 2])).sum())
        .add(g.entropy().sum())
        .backward();
      const alpha = leaf([0.5, 1.5, 3]);
      const d = new D.Dirichlet(alpha);
      torch.manualSeed(15);
      d.rsample([2])
        .mul(f64([1, 2, 3]))
        .sum()
        .add(d.logProb(f64([0.2, 0.3, 0.5])))
        .backward();
      const a = leaf([2, 0.5]);
      const b = leaf([1, 3]);
      const be = new D.Beta(a, b);
      torch.manualSeed(16);
      be.rsample([3])
        .sum()
        .add(be.logProb(f64([0.3, 0.6])).sum())
        .backward();
      const mloc = leaf([1, 2]);
      const tril = leaf([
        [1.5, 0],
        [0.4, 0.8],
      ]);
      const m = new D.MultivariateNormal(mloc, { scaleTril: tril });
      torch.manualSeed(17);
      m.rsample([2])
        .pow(2)
        .sum()
        .add(m.logProb(f64([0, 0])))
        .add(m.entropy())
        .backward();
      const probs = leaf([0.2, 0.3, 0.5]);
      new D.Categorical({ probs })
        .logProb(torch.tensor([2, 0]))
        .sum()
        .backward();
      const grad = (t: Tensor) => t.grad as Tensor;
      return {
        loc: grad(loc),
        scale: grad(scale),
        conc: grad(conc),
        rate: grad(rate),
        alpha: grad(alpha),
        a: grad(a),
        b: grad(b),
        mloc: grad(mloc),
        tril: grad(tril),
        probs: grad(probs),
      };
    },
    py: `
def leaf(v): return torch.tensor(v, dtype=torch.float64, requires_grad=True)
f64 = lambda v: torch.tensor(v, dtype=torch.float64)
loc = leaf([0.5, -1]); scale = leaf([1, 2]); n = D.Normal(loc, scale)
torch.manual_seed(13); (n.rsample((3,)).pow(2).sum() + n.log_prob(f64([0, 1])).sum()).backward()
conc = leaf([0.7, 3]); rate = leaf([2, 0.5]); g = D.Gamma(conc, rate)
torch.manual_seed(14); (g.rsample((4,)).sum() + g.log_prob(f64([0.5, 2])).sum() + g.entropy().sum()).backward()
alpha = leaf([0.5, 1.5, 3]); d = D.Dirichlet(alpha)
torch.manual_seed(15); ((d.rsample((2,)) * f64([1, 2, 3])).sum() + d.log_prob(f64([0.2, 0.3, 0.5]))).backward()
a = leaf([2, 0.5]); b = leaf([1, 3]); be = D.Beta(a, b)
torch.manual_seed(16); (be.rsample((3,)).sum() + be.log_prob(f64([0.3, 0.6])).sum()).backward()
mloc = leaf([1, 2]); tril = leaf([[1.5, 0], [0.4, 0.8]]); m = D.MultivariateNormal(mloc, scale_tril=tril)
torch.manual_seed(17); (m.rsample((2,)).pow(2).sum() + m.log_prob(f64([0, 0])) + m.entropy()).backward()
probs = leaf([0.2, 0.3, 0.5]); D.Categorical(probs=probs).log_prob(torch.tensor([2, 0])).sum().backward()
R = dict(loc=loc.grad, scale=scale.grad, conc=conc.grad, rate=rate.grad, alpha=alpha.grad, a=a.grad, b=b.grad,
         mloc=mloc.grad, tril=tril.grad, probs=probs.grad)`,
  },
];

const PRELUDE = `
import torch.distributions as D
def f32(v): return torch.tensor(v, dtype=torch.float32)
def f64(v): return torch.tensor(v, dtype=torch.float64)
`;

paritySuite('torch.distributions against PyTorch', PRELUDE, cases);
