// A model with its own update logic: a small GAN on a toy 2-D distribution (8 Gaussians on a
// circle of radius 2, std 0.05), trained with the Runner and an OptimWrapperDict.
//
//   node dist/examples/gan.js                    # 3000 iterations, ~10 s on 2 cores
//   node dist/examples/gan.js --iters 5000 --d-updates-per-g 2 --accumulate 1
//
// `GAN.trainStep` overrides BaseModel's: the discriminator is updated first (real vs detached
// fake, BCE with logits), then, every `dUpdatesPerG` steps, the generator (the non-saturating
// loss), each inside its own wrapper's optimContext and updateParams, so that each wrapper's
// `accumulativeCounts` applies to its own network. It prints how many of the 8 modes the
// generator covers and the mean distance of its samples to the nearest mode.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as engine from '../lib/engine/index.js';
import * as torch from '../lib/index.js';

type Tensor = torch.Tensor;
const F = torch.nn.functional;

export const NUM_MODES = 8;
export const RADIUS = 2;
export const MODE_STD = 0.05;

/** The 8 mode centres, as [x, y]. */
export const MODES: [number, number][] = Array.from({ length: NUM_MODES }, (_, k) => {
  const a = (2 * Math.PI * k) / NUM_MODES;
  return [RADIUS * Math.cos(a), RADIUS * Math.sin(a)];
});

/** A seeded generator of uniform numbers in (0, 1) (Park-Miller). */
export function lcg(seed: number): () => number {
  let s = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** `n` points of the mixture, drawn with the given uniform source (Box-Muller for the noise). */
export function sampleMixture(n: number, rand: () => number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const [cx, cy] = MODES[Math.floor(rand() * NUM_MODES) % NUM_MODES] as [number, number];
    const r = Math.sqrt(-2 * Math.log(rand()));
    const t = 2 * Math.PI * rand();
    out.push([cx + MODE_STD * r * Math.cos(t), cy + MODE_STD * r * Math.sin(t)]);
  }
  return out;
}

/** Batches `{inputs: [batchSize, 2]}` of fresh mixture samples; the same for a given seed and epoch. */
export class MixtureLoader implements engine.DataLoaderLike {
  readonly dataset: { length: number };
  private epoch = 0;
  constructor(
    readonly batchSize: number,
    readonly batchesPerEpoch = 100,
    private readonly seed = 0,
  ) {
    this.dataset = { length: batchSize * batchesPerEpoch };
  }
  get length(): number {
    return this.batchesPerEpoch;
  }
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    const rand = lcg(this.seed * 100003 + this.epoch * 7919 + 1);
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      yield { inputs: torch.tensor(sampleMixture(this.batchSize, rand), { dtype: 'float32' }) };
    }
  }
}

/**
 * Mode coverage of `points`: a point is "near" a mode within `threshold` (3 std by default); a
 * mode is covered when at least `minFraction` of the points are near it. `meanDistance` is the
 * mean distance of all points to their nearest mode.
 */
export function modeStats(
  points: number[][],
  options: { threshold?: number; minFraction?: number } = {},
): { modesCovered: number; meanDistance: number; nearFraction: number; perMode: number[] } {
  const threshold = options.threshold ?? 3 * MODE_STD;
  const minFraction = options.minFraction ?? 0.02;
  const perMode = new Array<number>(NUM_MODES).fill(0);
  let total = 0;
  let near = 0;
  for (const [x, y] of points as [number, number][]) {
    let best = Number.POSITIVE_INFINITY;
    let k = 0;
    for (const [i, [cx, cy]] of MODES.entries()) {
      const d = Math.hypot(x - cx, y - cy);
      if (d < best) {
        best = d;
        k = i;
      }
    }
    total += best;
    if (best < threshold) {
      near++;
      perMode[k] = (perMode[k] as number) + 1;
    }
  }
  const n = Math.max(points.length, 1);
  return {
    modesCovered: perMode.filter((c) => c / n >= minFraction).length,
    meanDistance: total / n,
    nearFraction: near / n,
    perMode,
  };
}

export interface GANOptions {
  noiseDim?: number;
  hidden?: number;
  /** The generator is updated on every `dUpdatesPerG`-th step (the discriminator on every step). */
  dUpdatesPerG?: number;
}

function mlp(inDim: number, hidden: number, outDim: number): torch.nn.Sequential {
  return new torch.nn.Sequential(
    new torch.nn.Linear(inDim, hidden),
    new torch.nn.LeakyReLU({ negativeSlope: 0.2 }),
    new torch.nn.Linear(hidden, hidden),
    new torch.nn.LeakyReLU({ negativeSlope: 0.2 }),
    new torch.nn.Linear(hidden, outDim),
  );
}

/** forward(data, 'tensor' | 'predict') gives generated points, one per row of `data.inputs`. */
export class GAN extends engine.BaseModel<Tensor, Tensor> {
  readonly noiseDim: number;
  readonly dUpdatesPerG: number;
  generator: torch.nn.Sequential;
  discriminator: torch.nn.Sequential;
  /** Training steps taken by this instance (decides when the generator is updated). */
  steps = 0;

  constructor(options: GANOptions = {}) {
    super();
    this.noiseDim = options.noiseDim ?? 2;
    this.dUpdatesPerG = options.dUpdatesPerG ?? 1;
    if (!(Number.isInteger(this.dUpdatesPerG) && this.dUpdatesPerG >= 1)) {
      throw new Error(`dUpdatesPerG must be a positive integer, got ${this.dUpdatesPerG}`);
    }
    const hidden = options.hidden ?? 128;
    this.generator = mlp(this.noiseDim, hidden, 2);
    this.discriminator = mlp(2, hidden, 1);
  }

  private noise(n: number, like: Tensor): Tensor {
    return torch.randn([n, this.noiseDim], { device: like.device });
  }

  forward(data: { inputs: Tensor }, mode: engine.ForwardMode): Tensor | Tensor[] {
    if (mode === 'loss') throw new Error('GAN: the losses are computed in trainStep, not forward(…, "loss")');
    const n = data.inputs.shape[0] as number;
    const fake = this.generator.forward(this.noise(n, data.inputs)) as Tensor;
    return mode === 'tensor' ? fake : [fake];
  }

  /** `n` generated points as arrays, without autograd. */
  sample(n: number): number[][] {
    return torch.scope(() =>
      torch.noGrad(() => {
        const device = (this.generator.parameters()[0] as Tensor).device;
        return (this.generator.forward(torch.randn([n, this.noiseDim], { device })) as Tensor)
          .cpu()
          .toArray() as number[][];
      }),
    );
  }

  override trainStep(data: unknown, optimWrapper: engine.OptimWrapperDict): engine.LogVars {
    if (!(optimWrapper instanceof engine.OptimWrapperDict)) {
      throw new TypeError('GAN.trainStep needs an OptimWrapperDict with `generator` and `discriminator` wrappers');
    }
    const dWrapper = optimWrapper.get('discriminator');
    const gWrapper = optimWrapper.get('generator');
    return torch.scope(() => {
      const batch = (this.dataPreprocessor.forward as (d: unknown, t: boolean) => { inputs: Tensor }).call(
        this.dataPreprocessor,
        data,
        true,
      );
      const real = batch.inputs.float();
      const n = real.shape[0] as number;
      const ones = torch.ones([n, 1], { device: real.device });
      const zeros = torch.zeros([n, 1], { device: real.device });
      const bce = (logits: Tensor, target: Tensor) => F.binaryCrossEntropyWithLogits(logits, target);

      // Discriminator: real against detached fake; the generator gets no gradient here.
      const d = dWrapper.optimContext(this.discriminator, () => {
        const fake = (this.generator.forward(this.noise(n, real)) as Tensor).detach();
        const realLogits = this.discriminator.forward(real) as Tensor;
        const fakeLogits = this.discriminator.forward(fake) as Tensor;
        return {
          loss: bce(realLogits, ones).add(bce(fakeLogits, zeros)),
          dReal: realLogits.detach().sigmoid().mean().item() as number,
          dFake: fakeLogits.detach().sigmoid().mean().item() as number,
        };
      });
      dWrapper.updateParams(d.loss);

      // Generator: the non-saturating loss -log D(G(z)). The discriminator's parameters are
      // frozen meanwhile, so that its accumulated gradients stay its own.
      this.steps += 1;
      let lossG: number;
      if (this.steps % this.dUpdatesPerG === 0) {
        this.discriminator.requiresGrad_(false);
        try {
          const loss = gWrapper.optimContext(this.generator, () =>
            bce(this.discriminator.forward(this.generator.forward(this.noise(n, real))) as Tensor, ones),
          );
          gWrapper.updateParams(loss);
          lossG = loss.item() as number;
        } finally {
          this.discriminator.requiresGrad_(true);
        }
      } else {
        lossG = torch.noGrad(
          () =>
            bce(
              this.discriminator.forward(this.generator.forward(this.noise(n, real))) as Tensor,
              ones,
            ).item() as number,
        );
      }
      return { loss_d: d.loss.item() as number, loss_g: lossG, d_real: d.dReal, d_fake: d.dFake };
    });
  }
}

/** Adam (lr 1e-3, betas 0.5/0.999) for each network, as an OptimWrapperDict. */
export function ganOptimWrappers(model: GAN, options: { lr?: number; accumulativeCounts?: number } = {}) {
  const make = (m: torch.nn.Module) =>
    new engine.OptimWrapper({
      optimizer: new torch.optim.Adam(m.parameters(), { lr: options.lr ?? 1e-3, betas: [0.5, 0.999] }),
      accumulativeCounts: options.accumulativeCounts ?? 1,
    });
  return new engine.OptimWrapperDict({ generator: make(model.generator), discriminator: make(model.discriminator) });
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      iters: { type: 'string', default: '3000' },
      'batch-size': { type: 'string', default: '256' },
      'd-updates-per-g': { type: 'string', default: '1' },
      accumulate: { type: 'string', default: '1' },
      seed: { type: 'string', default: '0' },
      device: { type: 'string' },
      'work-dir': { type: 'string', default: 'work_dirs/gan' },
    },
  });
  const seed = Number(args.seed);
  const maxIters = Number(args.iters);
  torch.manualSeed(seed);
  const model = new GAN({ dUpdatesPerG: Number(args['d-updates-per-g']) });
  const optimWrapper = ganOptimWrappers(model, { accumulativeCounts: Number(args.accumulate) });
  const runner = new engine.Runner({
    model,
    workDir: args['work-dir'] as string,
    trainDataloader: new MixtureLoader(Number(args['batch-size']), 100, seed),
    trainCfg: { byEpoch: false, maxIters },
    optimWrapper,
    defaultHooks: { logger: { interval: 250 }, checkpoint: { interval: maxIters, byEpoch: false } },
    randomness: { seed },
    ...(args.device ? { device: args.device } : {}),
  });
  const before = modeStats(model.sample(2000));
  const started = Date.now();
  await runner.train();
  const after = modeStats(model.sample(2000));
  console.log(
    `\nGAN: ${maxIters} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      `\nbefore: ${before.modesCovered}/8 modes covered, mean distance to the nearest mode ${before.meanDistance.toFixed(3)}` +
      `\nafter:  ${after.modesCovered}/8 modes covered, mean distance to the nearest mode ${after.meanDistance.toFixed(3)}` +
      ` (${(100 * after.nearFraction).toFixed(1)}% of samples within ${(3 * MODE_STD).toFixed(2)} of a mode; per mode ${after.perMode.join(' ')})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
