// OptimWrapperDict (spec 4.11): a GAN's generator and discriminator wrappers side by side; what
// must be driven per wrapper is refused, zeroGrad fans out, getLr / getMomentum prefix each
// wrapper's keys, and state dicts go by name.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { AmpOptimWrapper, OptimWrapper, OptimWrapperDict } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { captureLogs } from '../support.js';

type Tensor = torch.Tensor;
const { nn, optim } = torch;

beforeEach(() => {
  captureLogs();
});

function gan() {
  const gen = new nn.Linear(2, 2);
  const disc = new nn.Linear(2, 1);
  const genWrapper = new OptimWrapper({ optimizer: new optim.SGD(gen.parameters(), { lr: 0.1, momentum: 0.8 }) });
  const discWrapper = new OptimWrapper({
    optimizer: new optim.Adam([{ params: [disc.weight], lr: 0.01 }, { params: [disc.bias as Tensor] }], {
      lr: 0.001,
      betas: [0.5, 0.999],
    }),
  });
  const dict = new OptimWrapperDict({ generator: genWrapper, discriminator: discWrapper });
  const backwardAll = () =>
    torch.scope(() =>
      disc
        .forward(gen.forward(torch.ones([1, 2])))
        .sum()
        .backward(),
    );
  return { gen, disc, genWrapper, discWrapper, dict, backwardAll };
}

describe('OptimWrapperDict', () => {
  test('only OptimWrapper instances (subclasses included) are accepted', () => {
    const { genWrapper } = gan();
    assert.throws(
      () =>
        new OptimWrapperDict({
          generator: genWrapper,
          discriminator: new optim.SGD([torch.zeros([1], { requiresGrad: true })], { lr: 1 }) as never,
        }),
      /`OptimWrapperDict` only accept OptimWrapper instance, but got discriminator: /,
    );
    const amp = new AmpOptimWrapper({
      optimizer: new optim.SGD([torch.zeros([1], { requiresGrad: true })], { lr: 1 }),
      deviceType: 'cpu',
    });
    assert.equal(new OptimWrapperDict({ amp }).get('amp'), amp);
  });

  test('updateParams, backward, step and optimContext must be called on each wrapper', () => {
    const { dict } = gan();
    assert.throws(() => dict.updateParams(), /`update_params` should be called by each optimizer separately/);
    assert.throws(() => dict.backward(), /`backward` should be called by each optimizer separately/);
    assert.throws(() => dict.step(), /`step` should be called by each optimizer separately/);
    let ran = false;
    assert.throws(
      () =>
        dict.optimContext(new nn.Linear(1, 1), () => {
          ran = true;
        }),
      /`optim_context` should be called by each optimizer separately/,
    );
    assert.equal(ran, false);
  });

  test('zeroGrad clears every wrapper (gradients become null)', () => {
    const { gen, disc, dict, backwardAll } = gan();
    backwardAll();
    assert.ok(gen.weight.grad !== null && disc.weight.grad !== null);
    dict.zeroGrad();
    for (const p of [...gen.parameters(), ...disc.parameters()]) assert.equal(p.grad, null);
  });

  test('initializeCountStatus does nothing: each wrapper is initialised by the model', () => {
    const { dict, genWrapper } = gan();
    dict.initializeCountStatus();
    assert.equal(genWrapper.innerCount, 0);
    assert.equal(genWrapper.shouldSync(), true);
  });

  test("getLr: '<name>.lr', with '<name>.base_lr' before it where present; getMomentum: '<name>.momentum'", () => {
    const { dict } = gan();
    const lr = dict.getLr();
    assert.deepEqual(lr, {
      'generator.lr': [0.1],
      'discriminator.base_lr': [0.001],
      'discriminator.lr': [0.01, 0.001],
    });
    assert.deepEqual(Object.keys(lr), ['generator.lr', 'discriminator.base_lr', 'discriminator.lr']);
    assert.deepEqual(dict.getMomentum(), { 'generator.momentum': [0.8], 'discriminator.momentum': [0.5, 0.5] });
  });

  test('paramGroups by name', () => {
    const { dict, genWrapper, discWrapper } = gan();
    const groups = dict.paramGroups;
    assert.deepEqual(Object.keys(groups), ['generator', 'discriminator']);
    assert.equal(groups.generator?.length, genWrapper.paramGroups.length);
    assert.equal(groups.discriminator?.length, 3);
    assert.equal(discWrapper.paramGroups.length, 3);
  });

  test('stateDict by name; loading a name it does not have is an error; absent names are left alone', () => {
    const src = gan();
    src.backwardAll();
    src.genWrapper.step();
    src.discWrapper.step();
    const sd = src.dict.stateDict() as Record<string, { state: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(sd), ['generator', 'discriminator']);
    assert.equal(Object.keys(sd.generator?.state ?? {}).length, 2);

    const dst = gan();
    assert.throws(
      () => dst.dict.loadStateDict({ ...sd, critic: {} }),
      /Mismatched `state_dict`! cannot found critic in OptimWrapperDict/,
    );
    const fresh = gan();
    fresh.dict.loadStateDict({ generator: sd.generator });
    assert.equal(Object.keys(fresh.genWrapper.stateDict().state).length, 2);
    assert.equal(Object.keys(fresh.discWrapper.stateDict().state).length, 0);
  });

  test('a read-only mapping: get (with a clear error), has, keys, values, entries, size; toString', () => {
    const { dict, genWrapper, discWrapper } = gan();
    assert.equal(dict.get('generator'), genWrapper);
    assert.throws(
      () => dict.get('critic'),
      /Cannot find critic in OptimWrapperDict, please check your optimizer constructor\./,
    );
    assert.equal(dict.has('discriminator'), true);
    assert.equal(dict.has('critic'), false);
    assert.deepEqual([...dict.keys()], ['generator', 'discriminator']);
    assert.deepEqual([...dict.values()], [genWrapper, discWrapper]);
    assert.deepEqual(
      [...dict.entries()].map(([k]) => k),
      ['generator', 'discriminator'],
    );
    assert.equal(dict.size, 2);
    const s = String(dict);
    assert.match(s, /^name: generator\nType: OptimWrapper\n_accumulative_counts: 1\noptimizer: /);
    assert.match(s, /\nname: discriminator\nType: OptimWrapper\n/);
  });
});
