// examples/gan.ts: a model whose own trainStep drives an OptimWrapperDict (discriminator, then
// generator), trained with the Runner on 8 Gaussians; its checkpoints hold both optimizers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GAN, ganOptimWrappers, MixtureLoader, modeStats } from '../../../examples/gan.js';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const dirs: string[] = [];
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'torch-node-gan-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class LogRecorder extends engine.Hook {
  logs: Record<string, number>[] = [];
  override afterTrainIter(_runner: engine.Runner, args: engine.AfterIterArgs): void {
    this.logs.push(args.outputs as Record<string, number>);
  }
}

const ITERS = 800;

function makeRunner(dir: string, maxIters: number, extra: Partial<engine.RunnerOptions> = {}) {
  torch.manualSeed(0);
  const model = new GAN({ hidden: 64 });
  const optimWrapper = ganOptimWrappers(model);
  const hook = new LogRecorder();
  const runner = new engine.Runner({
    model,
    workDir: dir,
    trainDataloader: new MixtureLoader(128, 50, 0),
    trainCfg: { byEpoch: false, maxIters },
    optimWrapper,
    defaultHooks: { logger: { interval: 1000 }, checkpoint: { interval: maxIters, byEpoch: false } },
    customHooks: [hook],
    randomness: { seed: 0 },
    device: 'cpu',
    logLevel: 'warning',
    ...extra,
  });
  return { model, optimWrapper, runner, hook };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('examples/gan.ts', () => {
  const dir = workDir();
  let trained: ReturnType<typeof makeRunner>;
  let before: ReturnType<typeof modeStats>;

  test('trains through the Runner: losses move and stay finite, samples reach the modes', async () => {
    trained = makeRunner(dir, ITERS);
    before = modeStats(trained.model.sample(1000));
    const tensorsBefore = torch.memory().tensors;
    await trained.runner.train();
    const { logs } = trained.hook;
    assert.equal(logs.length, ITERS);
    for (const l of logs) {
      assert.deepEqual(Object.keys(l).sort(), ['d_fake', 'd_real', 'loss_d', 'loss_g']);
      for (const v of Object.values(l)) assert.ok(Number.isFinite(v), `non-finite log ${JSON.stringify(l)}`);
      assert.ok(l.d_real >= 0 && l.d_real <= 1 && l.d_fake >= 0 && l.d_fake <= 1);
    }
    const first = logs.slice(0, 10);
    const last = logs.slice(-50);
    const pick = (ls: Record<string, number>[], k: string) => mean(ls.map((l) => l[k] as number));
    assert.ok(Math.abs(pick(last, 'loss_d') - pick(first, 'loss_d')) > 0.05, 'loss_d did not move');
    assert.ok(Math.abs(pick(last, 'loss_g') - pick(first, 'loss_g')) > 0.05, 'loss_g did not move');
    // Flat memory: a step leaves nothing behind beyond the optimizers' state (allocated once).
    assert.ok(
      torch.memory().tensors - tensorsBefore < 200,
      `tensors grew by ${torch.memory().tensors - tensorsBefore}`,
    );

    const afterStats = modeStats(trained.model.sample(1000));
    assert.ok(
      afterStats.meanDistance < before.meanDistance / 2,
      `mean nearest-mode distance ${before.meanDistance.toFixed(3)} -> ${afterStats.meanDistance.toFixed(3)}`,
    );
    assert.ok(afterStats.modesCovered >= 3, `only ${afterStats.modesCovered} modes covered`);
    console.log(
      `# GAN ${ITERS} iters: distance ${before.meanDistance.toFixed(3)} -> ${afterStats.meanDistance.toFixed(3)}, ` +
        `modes ${before.modesCovered} -> ${afterStats.modesCovered}`,
    );
  });

  test("the checkpoint holds both optimizers' state under their names, and resume restores them", () => {
    const ckpt = torch.load(join(dir, `iter_${ITERS}.pth`)) as Record<string, unknown>;
    const optim = ckpt.optimizer as Record<
      string,
      { state: Record<string, Record<string, unknown>>; param_groups: unknown[] }
    >;
    assert.deepEqual(Object.keys(optim).sort(), ['discriminator', 'generator']);
    for (const name of ['generator', 'discriminator'] as const) {
      const sd = optim[name];
      assert.ok(sd, name);
      assert.equal(Object.keys(sd.state).length, 6, `${name}: Adam state for each of the 6 parameters`);
      const groups = sd.param_groups as { lr: number; betas: number[] }[];
      assert.equal(groups[0]?.lr, 1e-3);
      assert.deepEqual(groups[0]?.betas, [0.5, 0.999]);
    }

    const fresh = makeRunner(workDir(), ITERS);
    const emptyState = fresh.optimWrapper.stateDict() as Record<string, { state: Record<string, unknown> }>;
    assert.equal(Object.keys(emptyState.generator?.state ?? {}).length, 0);
    fresh.runner.resume(join(dir, `iter_${ITERS}.pth`));
    assert.equal(fresh.runner.iter, ITERS);
    const resumed = fresh.optimWrapper.stateDict() as Record<
      string,
      { state: Record<string, Record<string, unknown>> }
    >;
    for (const name of ['generator', 'discriminator'] as const) {
      const want = optim[name]?.state ?? {};
      const got = resumed[name]?.state ?? {};
      assert.equal(Object.keys(got).length, 6);
      for (const [k, s] of Object.entries(want)) {
        for (const field of ['exp_avg', 'exp_avg_sq']) {
          const a = s[field] as torch.Tensor;
          const b = got[k]?.[field] as torch.Tensor;
          assert.ok(a instanceof torch.Tensor && b instanceof torch.Tensor, `${name}.${k}.${field}`);
          assert.ok(torch.equal(a, b), `${name}.${k}.${field} differs after resume`);
        }
      }
    }
    // The weights came back too: the resumed generator samples as the trained one.
    const w = (m: GAN) => (m.generator.parameters()[0] as torch.Tensor).clone();
    assert.ok(torch.equal(w(fresh.model), w(trained.model)));
  });

  test('dUpdatesPerG and accumulation: the generator steps only when due', () => {
    torch.manualSeed(1);
    const model = new GAN({ hidden: 16, dUpdatesPerG: 2 });
    const wrappers = ganOptimWrappers(model, { accumulativeCounts: 2 });
    const g0 = (model.generator.parameters()[0] as torch.Tensor).clone();
    const d0 = (model.discriminator.parameters()[0] as torch.Tensor).clone();
    const batch = () => ({ inputs: torch.randn([32, 2]) });
    const snapshot = () => ({
      g: torch.equal(model.generator.parameters()[0] as torch.Tensor, g0),
      d: torch.equal(model.discriminator.parameters()[0] as torch.Tensor, d0),
    });
    model.trainStep(batch(), wrappers); // D: 1 of 2 accumulated; G not due
    assert.deepEqual(snapshot(), { g: true, d: true });
    model.trainStep(batch(), wrappers); // D steps; G: 1 of 2 accumulated
    assert.deepEqual(snapshot(), { g: true, d: false });
    model.trainStep(batch(), wrappers);
    model.trainStep(batch(), wrappers); // G: 2 of 2, steps
    assert.equal(snapshot().g, false);
    assert.equal(wrappers.get('generator').innerCount, 2);
    assert.equal(wrappers.get('discriminator').innerCount, 4);
    assert.throws(
      () =>
        model.trainStep(batch(), new engine.OptimWrapper({ optimizer: wrappers.get('generator').optimizer }) as never),
      /OptimWrapperDict/,
    );
  });
});
