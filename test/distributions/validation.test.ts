// Argument checking as PyTorch's default validate_args: parameters outside their constraint,
// values outside the support or of the wrong shape, probs and logits together, and a KL pair that
// is not registered, each an Error naming the distribution and what is wrong; validateArgs: false
// turns the checks off, as in PyTorch. Also registerKl's dispatch to the most specific pair, and
// expand().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

const D = torch.distributions;
const f32 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32' });

describe('parameter validation', () => {
  test('a parameter outside its constraint names it, the constraint and the values', () => {
    torch.scope(() => {
      assert.throws(
        () => new D.Normal(f32([0, 0]), f32([1, -1])),
        (e: Error) =>
          e.message.startsWith(
            'Normal: expected parameter scale (Tensor of shape [2]) of distribution Normal(loc: [2], scale: [2]) ' +
              'to satisfy the constraint GreaterThan(lowerBound=0), but found invalid values:\n',
          ) && e.message.includes('-1'),
      );
      assert.throws(() => new D.Uniform(1, 0), /Uniform: expected parameter low .* LessThan\(upperBound=0\)/);
      assert.throws(() => new D.Bernoulli(f32([0.5, 1.5])), /constraint Interval\(lowerBound=0, upperBound=1\)/);
      assert.throws(
        () => new D.Categorical({ probs: f32([-0.5, 1.5]) }),
        /Categorical: expected parameter probs .* constraint Simplex\(\)/,
      );
      assert.throws(
        () =>
          new D.MultivariateNormal(f32([0, 0]), {
            covarianceMatrix: f32([
              [1, 2],
              [2, 1],
            ]),
          }),
        /MultivariateNormal: expected parameter covarianceMatrix .* PositiveDefinite\(\)/,
      );
      assert.throws(
        () =>
          new D.MultivariateNormal(f32([0, 0]), {
            scaleTril: f32([
              [1, 1],
              [0, 1],
            ]),
          }),
        /constraint LowerCholesky\(\)/,
      );
      assert.throws(() => new D.Gamma(f32([1, 0]), 1), /Gamma: expected parameter concentration/);
      assert.throws(() => new D.Dirichlet(f32([1, -1])), /IndependentConstraint\(GreaterThan\(lowerBound=0\), 1\)/);
      assert.throws(() => new D.Binomial(2.5, { probs: 0.5 }), /totalCount .* IntegerGreaterThan\(lowerBound=0\)/);
    });
  });

  test('validateArgs: false skips the checks and computes as PyTorch (NaN here)', () => {
    torch.scope(() => {
      const d = new D.Normal(f32([0]), f32([-1]), { validateArgs: false });
      assert.ok(Number.isNaN(d.logProb(f32([0])).item() as number));
      assert.equal(d.validateArgs, false);
    });
  });

  test('Distribution.setDefaultValidateArgs changes the default, as set_default_validate_args', () => {
    torch.scope(() => {
      D.Distribution.setDefaultValidateArgs(false);
      try {
        assert.doesNotThrow(() => new D.Normal(0, -1));
        assert.throws(() => new D.Normal(0, -1, { validateArgs: true }), /GreaterThan/);
      } finally {
        D.Distribution.setDefaultValidateArgs(true);
      }
      assert.throws(() => new D.Normal(0, -1), /GreaterThan/);
      assert.throws(() => D.Distribution.setDefaultValidateArgs(1 as unknown as boolean), TypeError);
    });
  });
});

describe('sample validation', () => {
  test('a value outside the support', () => {
    torch.scope(() => {
      assert.throws(
        () => new D.Bernoulli(0.3).logProb(f32([0.5])),
        (e: Error) =>
          e.message.startsWith(
            'Bernoulli.logProb: expected value argument (Tensor of shape [1]) to be within the support (Boolean()) ' +
              'of the distribution Bernoulli(probs: 0.30000001192092896), but found invalid values:\n',
          ),
      );
      assert.throws(
        () => new D.Exponential(1).cdf(f32([-1])),
        /Exponential.cdf: .* support \(GreaterThanEq\(lowerBound=0\)\)/,
      );
      assert.throws(
        () => new D.Categorical({ probs: f32([0.5, 0.5]) }).logProb(torch.tensor([2])),
        /support \(IntegerInterval\(lowerBound=0, upperBound=1\)\)/,
      );
      // icdf is not validated, as in PyTorch: a probability outside [0, 1] gives NaN.
      assert.ok(Number.isNaN(new D.Normal(0, 1).icdf(f32([2])).item() as number));
    });
  });

  test('a value of the wrong shape', () => {
    torch.scope(() => {
      const n = new D.Normal(f32([0, 0, 0]), 1);
      assert.throws(
        () => n.logProb(f32([0, 0, 0, 0])),
        /^Error: Normal.logProb: value is not broadcastable with batchShape\+eventShape: \[4\] vs \[3\]$/,
      );
      const m = new D.MultivariateNormal(f32([0, 0, 0]), { covarianceMatrix: torch.eye(3) });
      assert.throws(
        () => m.logProb(f32([0, 0])),
        /^Error: MultivariateNormal.logProb: the right-most size of value must match eventShape: \[2\] vs \[3\]$/,
      );
      assert.throws(
        () => n.logProb(0.5 as unknown as torch.Tensor),
        /^TypeError: Normal.logProb: the value must be a Tensor, got number$/,
      );
      assert.throws(() => n.sample(3 as unknown as number[]), /Normal.sample: sampleShape must be an array/);
    });
  });
});

describe('constructor arguments', () => {
  test('probs and logits: exactly one', () => {
    torch.scope(() => {
      assert.throws(
        () => new D.Categorical({ probs: f32([0.5, 0.5]), logits: f32([0, 0]) }),
        /^Error: Categorical: either probs or logits must be specified, but not both$/,
      );
      assert.throws(() => new D.Bernoulli({}), /Bernoulli: either probs or logits/);
      assert.throws(() => new D.Binomial(3, {}), /Binomial: either probs or logits/);
      assert.throws(() => new D.Categorical({ probs: torch.scalarTensor(1) }), /at least one-dimensional/);
    });
  });

  test('MultivariateNormal: one matrix, of the right size', () => {
    torch.scope(() => {
      const loc = f32([0, 0]);
      assert.throws(
        () => new D.MultivariateNormal(loc, { covarianceMatrix: torch.eye(2), scaleTril: torch.eye(2) }),
        /exactly one of covarianceMatrix or precisionMatrix or scaleTril may be specified/,
      );
      assert.throws(
        () => new D.MultivariateNormal(loc, { scaleTril: f32([1, 1]) }),
        /scaleTril must be at least two-dimensional/,
      );
      assert.throws(
        () => new D.MultivariateNormal(loc, { covarianceMatrix: torch.eye(3) }),
        /must be 2x2 to match loc/,
      );
      assert.throws(
        () => new D.MultivariateNormal(torch.zeros([3, 2]), { covarianceMatrix: torch.eye(2).expand([4, 2, 2]) }),
        /MultivariateNormal: shapes \[4\] and \[3\] are not broadcastable/,
      );
    });
  });

  test('parameters that do not broadcast, and Independent beyond the batch', () => {
    torch.scope(() => {
      assert.throws(
        () => new D.Normal(f32([0, 0]), f32([1, 1, 1])),
        /Normal: the parameters do not broadcast together \(loc \[2\], scale \[3\]\)/,
      );
      assert.throws(
        () => new D.Independent(new D.Normal(f32([0, 0]), 1), 2),
        /expected reinterpretedBatchNdims <= baseDistribution.batchShape.length, actual 2 vs 1/,
      );
      assert.throws(
        () => new D.Normal('0' as unknown as number, 1),
        /^TypeError: Normal: loc must be a Tensor or a number, got string$/,
      );
    });
  });
});

describe('klDivergence dispatch', () => {
  test('a pair with no closed form is an Error naming both types', () => {
    torch.scope(() => {
      assert.throws(
        () => D.klDivergence(new D.Categorical({ probs: f32([0.5, 0.5]) }), new D.Normal(0, 1)),
        /^Error: klDivergence: no KL\(p \|\| q\) is implemented for p type Categorical and q type Normal$/,
      );
    });
  });

  test('registerKl: the most specific registered pair wins, and registration clears the cache', () => {
    torch.scope(() => {
      class MyNormal extends D.Normal {}
      const p = new MyNormal(0, 1);
      const q = new D.Normal(1, 1);
      // Normal-Normal applies to a subclass: 0.5 * (1 + 1 - 1 - 0).
      assert.equal(D.klDivergence(p, q).item(), 0.5);
      D.registerKl(MyNormal, D.Normal, (a) => a.loc.mul(0).add(42));
      assert.equal(D.klDivergence(p, q).item(), 42);
      assert.equal(D.klDivergence(q, p).item(), 0.5, 'q is a plain Normal: the Normal-Normal rule');
      // Nearest p class first, then nearest q class, as PyTorch's _dispatch_kl returns.
      D.registerKl(MyNormal, D.Distribution, (a) => a.loc.mul(0).add(7));
      assert.equal(D.klDivergence(p, q).item(), 42);
      assert.equal(D.klDivergence(p, new D.Uniform(0, 1)).item(), 7);
      assert.throws(
        () => D.registerKl(Object as never, D.Normal, () => f32([0])),
        /registerKl: expected typeP to be a Distribution subclass/,
      );
    });
  });
});

describe('expand()', () => {
  test('an expanded distribution scores as the broadcast one, without validating again', () => {
    torch.scope(() => {
      const n = new D.Normal(f32([0, 1]), f32([1, 2]));
      const e = n.expand([3, 2]);
      assert.deepEqual(e.batchShape, [3, 2]);
      assert.deepEqual(e.sample([4]).shape, [4, 3, 2]);
      const v = f32([
        [0.5, 0.5],
        [1, 2],
        [-1, 3],
      ]);
      assert.deepEqual(e.logProb(v).toArray(), n.logProb(v).toArray());
      const c = new D.OneHotCategorical({ logits: f32([0, 1, 2]) }).expand([2]);
      assert.deepEqual(c.batchShape, [2]);
      assert.deepEqual(c.eventShape, [3]);
      assert.deepEqual(c.sample().shape, [2, 3]);
      const m = new D.MultivariateNormal(f32([0, 0]), { covarianceMatrix: torch.eye(2) }).expand([5]);
      assert.deepEqual(m.covarianceMatrix.shape, [5, 2, 2]);
      assert.deepEqual(new D.Independent(new D.Normal(f32([0, 0]), 1), 1).expand([4]).batchShape, [4]);
    });
  });
});
