// The averaged models as MMEngine's: the first update copies, then every `interval` updates move
// the average (EMA: avg + momentum * (w - avg); annealed momentum max(m, gamma / (gamma + steps));
// SWA: the running mean), buffers copied or averaged, and MMEngine's state dict layout. Expected
// values are worked out here in float64 from the weights the model had.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const { nn } = torch;

class Net extends nn.Module {
  fc = new nn.Linear(2, 1);
  bn = new nn.BatchNorm1d(1);
  forward(x: torch.Tensor): torch.Tensor {
    return this.bn.forward(this.fc.forward(x));
  }
}

/** A float64 Net whose fc.weight is `w` (2 numbers) and fc.bias `b`. */
function setWeights(net: Net, w: number[], b: number): void {
  torch.noGrad(() => {
    net.fc.weight.copy_(torch.tensor([w], { dtype: 'float64' }));
    (net.fc.bias as torch.Tensor).copy_(torch.tensor([b], { dtype: 'float64' }));
  });
}

const avgOf = (m: engine.BaseAveragedModel, k: string): number[] =>
  ((m.averaged.get(k) as torch.Tensor).toArray() as number[]).flat();

const close = (actual: number[], expected: number[], what: string) => {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - (expected[i] as number)) <= 1e-12, `${what}[${i}]: ${a} vs ${expected[i]}`);
  });
};

/** The weight sequence the tests feed: the model's fc.weight before each update. */
const WEIGHTS = [
  [1, -2],
  [3, 0.5],
  [-1, 4],
  [2, 2],
  [0, -3],
];

function run(make: (net: Net) => engine.BaseAveragedModel): { net: Net; avg: engine.BaseAveragedModel } {
  const net = new Net().to({ dtype: 'float64' });
  const avg = make(net);
  for (const w of WEIGHTS) {
    setWeights(net, w, w[0] as number);
    avg.updateParameters(net);
  }
  return { net, avg };
}

/** fc.weight's expected average after each of WEIGHTS, given a step function (avg, w, steps) -> avg. */
function expected(step: (avg: number, w: number, steps: number) => number, interval = 1): number[] {
  let avg = [0, 0];
  WEIGHTS.forEach((w, steps) => {
    if (steps === 0) avg = [...w];
    else if (steps % interval === 0) avg = avg.map((a, i) => step(a, w[i] as number, steps));
  });
  return avg;
}

describe('averaged models', () => {
  test('ExponentialMovingAverage: copy, then avg + momentum * (w - avg); interval skips updates', () => {
    const ema = run((net) => new engine.ExponentialMovingAverage(net, { momentum: 0.25 })).avg;
    close(
      avgOf(ema, 'fc.weight'),
      expected((a, w) => a + 0.25 * (w - a)),
      'fc.weight',
    );
    close(avgOf(ema, 'fc.bias'), [expected((a, w) => a + 0.25 * (w - a))[0] as number], 'fc.bias');
    assert.equal(ema.steps, 5);
    const every2 = run((net) => new engine.ExponentialMovingAverage(net, { momentum: 0.25, interval: 2 })).avg;
    close(
      avgOf(every2, 'fc.weight'),
      expected((a, w) => a + 0.25 * (w - a), 2),
      'interval 2',
    );
  });

  test('MomentumAnnealingEMA: momentum max(momentum, gamma / (gamma + steps))', () => {
    const m = run((net) => new engine.MomentumAnnealingEMA(net, { momentum: 0.25, gamma: 2 })).avg;
    close(
      avgOf(m, 'fc.weight'),
      expected((a, w, steps) => {
        const k = Math.max(0.25, 2 / (2 + steps));
        return k >= 0.5 ? w - (w - a) * (1 - k) : a + k * (w - a);
      }),
      'fc.weight',
    );
  });

  test('StochasticWeightAverage: the mean of the weights averaged', () => {
    const swa = run((net) => new engine.StochasticWeightAverage(net)).avg;
    close(
      avgOf(swa, 'fc.weight'),
      [0, 1].map((i) => WEIGHTS.reduce((s, w) => s + (w[i] as number), 0) / 5),
      'mean',
    );
    // every 2: the weights at updates 0, 2 and 4
    const every2 = run((net) => new engine.StochasticWeightAverage(net, { interval: 2 })).avg;
    close(avgOf(every2, 'fc.weight'), [(1 - 1 + 0) / 3, (-2 + 4 - 3) / 3], 'interval 2');
  });

  test('buffers: copied from the model, or averaged (floating ones) with updateBuffers', () => {
    for (const updateBuffers of [false, true]) {
      const net = new Net().to({ dtype: 'float64' });
      const ema = new engine.ExponentialMovingAverage(net, { momentum: 0.25, updateBuffers });
      const means: number[] = [];
      for (let i = 0; i < 3; i++) {
        net.train();
        torch.noGrad(() =>
          net.forward(
            torch.tensor(
              [
                [i, 1],
                [2 * i, -1],
                [0, 3],
              ],
              { dtype: 'float64' },
            ),
          ),
        );
        means.push((net.bn.running_mean as torch.Tensor).item() as number);
        ema.updateParameters(net);
      }
      const avgMean = (ema.averaged.get('bn.running_mean') as torch.Tensor).item() as number;
      const counter = (ema.averaged.get('bn.num_batches_tracked') as torch.Tensor).item();
      if (!updateBuffers) {
        assert.equal(avgMean, means[2], 'copied');
        assert.equal(counter, 3, 'copied');
      } else {
        let a = means[0] as number;
        for (const m of means.slice(1)) a += 0.25 * (m - a);
        assert.ok(Math.abs(avgMean - a) < 1e-12, `${avgMean} vs ${a}`);
        assert.equal(counter, 1, 'an integer buffer is only copied by the first update, as MMEngine');
      }
    }
  });

  test("MMEngine's state dict: steps, then module.<name>; loadStateDict restores it", () => {
    const { avg } = run((net) => new engine.ExponentialMovingAverage(net, { momentum: 0.25 }));
    const sd = avg.stateDict();
    assert.deepEqual(Object.keys(sd), [
      'steps',
      'module.fc.weight',
      'module.fc.bias',
      'module.bn.weight',
      'module.bn.bias',
      'module.bn.running_mean',
      'module.bn.running_var',
      'module.bn.num_batches_tracked',
    ]);
    assert.equal(sd.steps?.dtype, 'int64');
    assert.equal(sd.steps?.item(), 5);
    const other = new engine.ExponentialMovingAverage(new Net().to({ dtype: 'float64' }), { momentum: 0.25 });
    other.loadStateDict(sd);
    assert.equal(other.steps, 5);
    assert.deepEqual(avgOf(other, 'fc.weight'), avgOf(avg, 'fc.weight'));
    const { steps: _, ...noSteps } = sd;
    assert.throws(
      () => other.loadStateDict({ ...noSteps, extra: sd.steps as torch.Tensor }),
      /missing keys \[steps\], unexpected keys \[extra\]/,
    );
    assert.throws(() => new engine.ExponentialMovingAverage(new Net(), { momentum: 1 }), /momentum must be in range/);
    assert.throws(
      () => new engine.StochasticWeightAverage(new Net(), { interval: 0 }),
      /interval must be a positive integer/,
    );
  });
});
