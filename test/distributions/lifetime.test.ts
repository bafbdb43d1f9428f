// Who frees a distribution's tensors: made inside torch.scope() it outlives the scope; dispose()
// (or `using`) frees what it made (broadcast parameters, lazily derived probs, Cholesky factors,
// inner distributions) and never the caller's own tensors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

const D = torch.distributions;
const live = (): number => torch.memory().tensors;

describe('distribution lifetime', () => {
  test('a distribution made in a scope outlives it, and dispose() frees all it made', () => {
    const loc = torch.tensor([0, 1], { dtype: 'float32' });
    const scale = torch.tensor([1, 2], { dtype: 'float32' });
    const before = live();
    const d = torch.scope(() => new D.Normal(loc, scale));
    // The scope freed the validation temporaries; the broadcast loc and scale are the distribution's.
    assert.equal(live(), before + 2);
    torch.scope(() => assert.deepEqual(d.logProb(torch.zeros([2])).shape, [2]));
    assert.equal(live(), before + 2);
    d.dispose();
    assert.equal(live(), before);
    assert.equal(loc.isDisposed, false);
    assert.equal(scale.isDisposed, false);
    assert.equal(d.isDisposed, true);
    assert.equal(String(d), 'Normal(<disposed>)');
    assert.throws(() => d.logProb(loc), /^Error: Normal: the distribution was disposed$/);
    d.dispose(); // twice is harmless
    loc.dispose();
    scale.dispose();
  });

  test('lazily derived tensors are kept and freed with the distribution', () => {
    const logits = torch.tensor([[0, 1, 2]], { dtype: 'float32' });
    const before = live();
    const c = torch.scope(() => new D.Categorical({ logits }));
    const probs = torch.scope(() => c.probs);
    assert.equal(c.probs, probs, 'computed once');
    assert.equal(live(), before + 2);
    c.dispose();
    assert.equal(live(), before);
    assert.equal(probs.isDisposed, true);
    assert.equal(logits.isDisposed, false);
    logits.dispose();
  });

  test('inner and expanded distributions, MVN factors: freed with their owner only', () => {
    const loc = torch.zeros([2]);
    const cov = torch.tensor(
      [
        [2, 0.5],
        [0.5, 1],
      ],
      { dtype: 'float32' },
    );
    const before = live();
    const m = torch.scope(() => new D.MultivariateNormal(loc, { covarianceMatrix: cov }));
    const e = m.expand([3]);
    m.dispose();
    // The expanded one holds its own views: still usable after the original is gone.
    torch.scope(() => assert.deepEqual(e.logProb(torch.zeros([3, 2])).shape, [3]));
    e.dispose();
    assert.equal(live(), before);

    const probs = torch.tensor([0.2, 0.8], { dtype: 'float32' });
    const before2 = live();
    {
      using o = torch.scope(() => new D.OneHotCategorical({ probs }));
      using b = torch.scope(() => new D.Beta(probs, probs));
      torch.scope(() => {
        o.sample([2]);
        b.entropy();
      });
      assert.ok(live() > before2);
    }
    assert.equal(live(), before2);
    assert.equal(probs.isDisposed, false);
    loc.dispose();
    cov.dispose();
    probs.dispose();
  });

  test('Independent and a Dirichlet leave the tensors and the base they were given alone', () => {
    const concentration = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const dir = new D.Dirichlet(concentration);
    const base = new D.Normal(torch.zeros([2]), 1);
    const ind = new D.Independent(base, 1);
    ind.dispose();
    dir.dispose();
    assert.equal(base.isDisposed, false);
    assert.equal(concentration.isDisposed, false);
    torch.scope(() => assert.equal(base.logProb(torch.zeros([2])).shape[0], 2));
    base.dispose();
    concentration.dispose();
  });
});
