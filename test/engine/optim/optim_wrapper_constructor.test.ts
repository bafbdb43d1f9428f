// buildOptimWrapper / DefaultOptimWrapperConstructor as MMEngine's: the optimizer from a config,
// in one group, or one group per parameter with the lr and weight decay that paramwiseCfg gives
// it (values worked out by hand from MMEngine's add_params rules), the spec's custom_keys case,
// bypassDuplicate, the checks on the config, and the Runner taking such a config.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const { nn } = torch;

/** A module that only holds parameters (these tests never call forward). */
class Holder extends nn.Module {
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

class ThreeConvs extends Holder {
  conv1 = new nn.Conv2d(3, 3, 1);
  conv2 = new nn.Conv2d(3, 3, 1);
  conv3 = new nn.Conv2d(3, 3, 1);
}

/** A root parameter, a conv, a depth-wise conv, a BN, a head with a Linear, a frozen Linear. */
class Net extends Holder {
  scale = new nn.Parameter(torch.ones([1]));
  conv = new nn.Conv2d(2, 4, 3);
  dw = new nn.Conv2d(4, 4, 3, { groups: 4, bias: false });
  bn = new nn.BatchNorm2d(4);
  head = new Head();
  frozen = new nn.Linear(2, 2);
  constructor() {
    super();
    for (const p of this.frozen.parameters()) p.requiresGrad_(false);
  }
}
class Head extends Holder {
  fc = new nn.Linear(4, 3);
  proj = new nn.Linear(3, 3, { bias: false });
}

type Group = { lr: number; weightDecay: number; params: torch.Tensor[]; [k: string]: unknown };
const groupsOf = (ow: engine.BaseOptimWrapper): Group[] =>
  (ow as engine.OptimWrapper).optimizer.paramGroups as unknown as Group[];

describe('buildOptimWrapper', () => {
  test('without paramwiseCfg: one group of all parameters, the optimizer by name or class', () => {
    const model = new ThreeConvs();
    const ow = engine.buildOptimWrapper(model, { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } });
    assert.ok(ow instanceof engine.OptimWrapper);
    assert.ok(ow.optimizer instanceof torch.optim.SGD);
    assert.equal(groupsOf(ow).length, 1);
    assert.equal(groupsOf(ow)[0]?.params.length, 6);
    const adam = engine.buildOptimWrapper(model, {
      optimizer: { type: torch.optim.AdamW, lr: 1e-3 },
      clipGrad: { maxNorm: 1 },
    });
    assert.ok((adam as engine.OptimWrapper).optimizer instanceof torch.optim.AdamW);
    const given = new engine.OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 1 }) });
    assert.equal(engine.buildOptimWrapper(model, given), given, 'a wrapper is returned as it is');
  });

  test("the spec's case: customKeys {'conv1.weight': {lrMult: 0.1}} over three 1x1 convolutions", () => {
    const ow = engine.buildOptimWrapper(new ThreeConvs(), {
      optimizer: { type: 'SGD', lr: 0.1 },
      paramwiseCfg: { customKeys: { 'conv1.weight': { lrMult: 0.1 } } },
    });
    assert.equal(groupsOf(ow).length, 6);
    assert.deepEqual(ow.getLr(), { base_lr: [0.1], lr: [0.1 * 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] });
    // the key's entries are in the group, under PyTorch's names in the state dict
    assert.equal((ow.stateDict() as torch.optim.OptimizerStateDict).param_groups[0]?.lr_mult, 0.1);
  });

  test('each rule of paramwiseCfg, in MMEngine order, per parameter', () => {
    torch.manualSeed(0);
    const model = new Net();
    const lr = 0.01;
    const wd = 1e-4;
    const ow = engine.buildOptimWrapper(model, {
      optimizer: { type: 'SGD', lr, weightDecay: wd, momentum: 0.9 },
      paramwiseCfg: {
        biasLrMult: 2,
        biasDecayMult: 0.5,
        normDecayMult: 0,
        dwconvDecayMult: 0.1,
        flatDecayMult: 0.3,
        customKeys: { head: { lrMult: 10, decayMult: 0 }, 'head.fc': { lrMult: 3 }, '.scale': { lrMult: 7 } },
      },
    });
    const byParam = new Map(groupsOf(ow).map((g) => [g.params[0] as torch.Tensor, g]));
    const expected: [string, number, number][] = [
      ['scale', lr * 7, wd * 1], // a root parameter's name is '.scale'
      ['conv.weight', lr, wd],
      ['conv.bias', lr * 2, wd * 0.5],
      ['dw.weight', lr, wd * 0.1],
      ['bn.weight', lr, 0], // a norm layer's: its decay rule first, and no bias lr for its bias
      ['bn.bias', lr, 0],
      ['head.fc.weight', lr * 3, wd * 1], // the longest key wins
      ['head.fc.bias', lr * 3, wd * 1],
      ['head.proj.weight', lr * 10, 0],
      ['frozen.weight', lr, wd], // no requires_grad: the defaults
      ['frozen.bias', lr, wd],
    ];
    const named = new Map(model.namedParameters());
    assert.deepEqual(
      [...byParam.keys()].map((p) => [...named].find(([, q]) => q === p)?.[0]),
      expected.map(([n]) => n),
      'one group per parameter, module by module',
    );
    for (const [name, wantLr, wantWd] of expected) {
      const g = byParam.get(named.get(name) as torch.Tensor) as Group;
      assert.equal(g.lr, wantLr, `${name} lr`);
      assert.equal(g.weightDecay, wantWd, `${name} weightDecay`);
    }
    assert.equal(byParam.get(named.get('head.proj.weight') as torch.Tensor)?.lrMult, 10);
  });

  test('a 1-d parameter that is not a bias takes flatDecayMult; ties between keys go alphabetically', () => {
    class M extends Holder {
      ln = new nn.LayerNorm([4]);
      gamma = new nn.Parameter(torch.ones([4]));
    }
    const ow = engine.buildOptimWrapper(new M(), {
      optimizer: { type: 'SGD', lr: 1, weightDecay: 1 },
      paramwiseCfg: { flatDecayMult: 0.25, customKeys: { ln: { lrMult: 2 }, '.w': { lrMult: 3 } } },
    });
    // M's own parameter first: gamma (1-d, no key), then ln.weight and ln.bias. '.w' and 'ln'
    // are equally long, so '.w' (first alphabetically) is tried first and takes ln.weight.
    assert.deepEqual(
      groupsOf(ow).map((g) => [g.lr, g.weightDecay]),
      [
        [1, 0.25],
        [3, 1],
        [2, 1],
      ],
    );
  });

  test('bypassDuplicate: a parameter shared by two modules is in one group; without it, an Error', () => {
    class Shared extends Holder {
      a = new nn.Linear(2, 2);
      b = new nn.Sequential(this.a);
    }
    const cfg = { optimizer: { type: 'SGD', lr: 0.1 }, paramwiseCfg: { biasLrMult: 2 } };
    assert.throws(
      () => engine.buildOptimWrapper(new Shared(), cfg),
      /some parameters appear in more than one parameter group/,
    );
    const ow = engine.buildOptimWrapper(new Shared(), {
      ...cfg,
      paramwiseCfg: { biasLrMult: 2, bypassDuplicate: true },
    });
    assert.equal(groupsOf(ow).length, 2);
  });

  test('the config is checked', () => {
    const model = new ThreeConvs();
    assert.throws(
      () =>
        engine.buildOptimWrapper(model, { optimizer: { type: 'SGD', lr: 0.1 }, paramwiseCfg: { normDecayMult: 0 } }),
      /normDecayMult needs the optimizer's weightDecay/,
    );
    assert.throws(
      () =>
        engine.buildOptimWrapper(model, {
          optimizer: { type: 'SGD', lr: 0.1 },
          paramwiseCfg: { customKeys: { conv: { decayMult: 0 } } },
        }),
      /customKeys\['conv'\]\.decayMult needs the optimizer's weightDecay/,
    );
    assert.throws(
      () =>
        engine.buildOptimWrapper(model, {
          optimizer: { type: 'SGD', lr: 0.1 },
          paramwiseCfg: { bias_lr_mult: 2 } as engine.ParamwiseCfg,
        }),
      /unknown paramwiseCfg option 'bias_lr_mult'/,
    );
    assert.throws(
      () => engine.buildOptimWrapper(model, { optimizer: { type: 'Nope', lr: 0.1 } }),
      /optimizer.type Nope/,
    );
  });

  test("type 'AmpOptimWrapper' wraps the optimizer for mixed precision", () => {
    const ow = engine.buildOptimWrapper(new ThreeConvs(), {
      type: 'AmpOptimWrapper',
      dtype: 'bfloat16',
      deviceType: 'cpu',
      optimizer: { type: 'SGD', lr: 0.1 },
    });
    assert.ok(ow instanceof engine.AmpOptimWrapper);
  });
});

describe('Runner with an optimizer config', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('builds the wrapper over its model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-owc-'));
    dirs.push(dir);
    class Model extends engine.BaseModel {
      fc = new nn.Linear(2, 2);
      override forward(): never {
        throw new Error('not run');
      }
    }
    const model = new Model();
    const runner = new engine.Runner({
      model,
      workDir: dir,
      optimWrapper: { optimizer: { type: 'SGD', lr: 0.1, weightDecay: 1 }, paramwiseCfg: { biasDecayMult: 0 } },
      logLevel: 'silent',
    });
    const groups = groupsOf(runner.optimWrapper as engine.BaseOptimWrapper);
    assert.deepEqual(
      groups.map((g) => [g.params[0] === model.fc.weight, g.weightDecay]),
      [
        [true, 1],
        [false, 0],
      ],
    );
  });
});
