// BaseModule and the initializers (spec section 5): the FooModel example, override, a child's
// own initCfg winning over its parent's, Pretrained loaded last and never overwritten, a second
// initWeights doing nothing, the containers with initCfg, the error messages, the init-info
// dump, and the random initializers' distributions (Kaiming's fan_out default included).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { BaseModule, type InitCfg, initialize, ModuleDict, ModuleList, Sequential } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { assertFilled, type CaptureLogger, captureLogs, flat, mean, std } from '../support.js';

type Tensor = torch.Tensor;
const { nn } = torch;

class FooConv1d extends BaseModule {
  conv1d = new nn.Conv1d(4, 1, 4);
  constructor(initCfg?: InitCfg | null) {
    super(initCfg);
  }
  forward(x: Tensor): Tensor {
    return this.conv1d.forward(x);
  }
}

class FooConv2d extends BaseModule {
  conv2d = new nn.Conv2d(3, 1, 3);
  constructor(initCfg?: InitCfg | null) {
    super(initCfg);
  }
  forward(x: Tensor): Tensor {
    return this.conv2d.forward(x);
  }
}

class FooLinear extends BaseModule {
  linear = new nn.Linear(3, 4);
  constructor(initCfg?: InitCfg | null) {
    super(initCfg);
  }
  forward(x: Tensor): Tensor {
    return this.linear.forward(x);
  }
}

class FooLinearConv1d extends BaseModule {
  linear = new FooLinear();
  conv1d = new FooConv1d();
  forward(x: Tensor): Tensor {
    return this.conv1d.forward(this.linear.forward(x));
  }
}

interface FooOptions {
  component2Cfg?: InitCfg;
  initCfg?: InitCfg;
}

class FooModel extends BaseModule {
  component1: FooConv1d;
  component2: FooConv2d;
  component3: FooLinear;
  component4: FooLinearConv1d;
  /** Not a BaseModule: initialised by layer matching or by `override`. */
  reg: torch.nn.Linear;
  constructor(options: FooOptions = {}) {
    super(options.initCfg ?? null);
    this.component1 = new FooConv1d();
    this.component2 = new FooConv2d(options.component2Cfg);
    this.component3 = new FooLinear();
    this.component4 = new FooLinearConv1d();
    this.reg = new nn.Linear(3, 4);
  }
  forward(): never {
    throw new Error('not used');
  }
}

/** The spec's FooModel config: Linear 1/2, Conv1d 3/4, Conv2d 5/6. */
const FOO_CFG: InitCfg = [
  { type: 'Constant', val: 1, bias: 2, layer: 'Linear' },
  { type: 'Constant', val: 3, bias: 4, layer: 'Conv1d' },
  { type: 'Constant', val: 5, bias: 6, layer: 'Conv2d' },
];

function assertLayer(m: { weight: Tensor; bias: Tensor | null }, w: number, b: number, what: string): void {
  assertFilled(m.weight, w, `${what}.weight`);
  assertFilled(m.bias as Tensor, b, `${what}.bias`);
}

let logger: CaptureLogger;
beforeEach(() => {
  logger = captureLogs();
});

const dir = mkdtempSync(join(tmpdir(), 'torch-node-base-module-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('BaseModule.initWeights', () => {
  test('isInit starts false and becomes true', () => {
    const m = new FooLinear();
    assert.equal(m.isInit, false);
    m.initWeights();
    assert.equal(m.isInit, true);
  });

  test('the FooModel example: every Linear 1/2, Conv1d 3/4, Conv2d 5/6, through the whole tree (reg included)', () => {
    const model = new FooModel({ initCfg: FOO_CFG });
    model.initWeights();
    assertLayer(model.component1.conv1d, 3, 4, 'component1.conv1d');
    assertLayer(model.component2.conv2d, 5, 6, 'component2.conv2d');
    assertLayer(model.component3.linear, 1, 2, 'component3.linear');
    assertLayer(model.component4.linear.linear, 1, 2, 'component4.linear.linear');
    assertLayer(model.component4.conv1d.conv1d, 3, 4, 'component4.conv1d.conv1d');
    assertLayer(model.reg, 1, 2, 'reg');
    for (const m of model.modules()) if (m instanceof BaseModule) assert.equal(m.isInit, true);
  });

  test('override re-initialises the named child after the base config', () => {
    const model = new FooModel({
      initCfg: [
        {
          type: 'Constant',
          val: 1,
          bias: 2,
          layer: 'Linear',
          override: { name: 'reg', type: 'Constant', val: 13, bias: 14 },
        },
        { type: 'Constant', val: 3, bias: 4, layer: 'Conv1d' },
      ],
    });
    model.initWeights();
    assertLayer(model.reg, 13, 14, 'reg');
    assertLayer(model.component3.linear, 1, 2, 'component3.linear');
    assertLayer(model.component1.conv1d, 3, 4, 'component1.conv1d');
  });

  test('an override with only a name inherits the parent config (without layer) for the whole child', () => {
    // layer 'Conv2d' matches nothing in component3, but the override applies to all of it.
    const model = new FooModel({
      initCfg: { type: 'Constant', val: 8, bias: 9, layer: 'Conv2d', override: { name: 'component3' } },
    });
    model.initWeights();
    assertLayer(model.component3.linear, 8, 9, 'component3.linear');
    assertLayer(model.component2.conv2d, 8, 9, 'component2.conv2d');
    assert.notEqual(flat(model.reg.weight)[0], 8);
  });

  test("a child's own initCfg wins over its parent's (children are initialised after the parent's configs)", () => {
    const model = new FooModel({
      initCfg: FOO_CFG,
      component2Cfg: { type: 'Constant', val: 7, bias: 8, layer: 'Conv2d' },
    });
    model.initWeights();
    assertLayer(model.component2.conv2d, 7, 8, 'component2.conv2d');
    assertLayer(model.component1.conv1d, 3, 4, 'component1.conv1d');
  });

  test('a config with neither layer nor override initialises nothing', () => {
    const model = new FooLinear({ type: 'Constant', val: 5 });
    const before = flat(model.linear.weight);
    model.initWeights();
    assert.deepEqual(flat(model.linear.weight), before);
  });

  test('layer matches the class name or its direct base class only', () => {
    class MyConv extends nn.Conv2d {}
    class MyConv2 extends MyConv {}
    class Holder extends BaseModule {
      a = new MyConv(1, 1, 1);
      b = new MyConv2(1, 1, 1);
      forward(): never {
        throw new Error('unused');
      }
    }
    const h = new Holder({ type: 'Constant', val: 2, bias: 0, layer: 'Conv2d' });
    h.initWeights();
    assertFilled(h.a.weight, 2, 'a.weight');
    assert.notEqual(flat(h.b.weight)[0], 2);
    const h2 = new Holder({ type: 'Constant', val: 3, layer: 'MyConv' });
    h2.initWeights();
    assertFilled(h2.a.weight, 3);
    assertFilled(h2.b.weight, 3);
  });

  test('a second call does nothing and warns', () => {
    const model = new FooModel({ initCfg: FOO_CFG });
    model.initWeights();
    torch.noGrad(() => model.reg.weight.fill_(0));
    model.initWeights();
    assertFilled(model.reg.weight, 0);
    assert.ok(logger.messages('warning').includes('init_weights of FooModel has been called more than once.'));
  });

  test('with the root marked initialised, no child initWeights is called', () => {
    let calls = 0;
    class Counting extends FooLinear {
      override initWeights(): void {
        calls++;
        super.initWeights();
      }
    }
    class Root extends BaseModule {
      child = new Counting();
      forward(): never {
        throw new Error('unused');
      }
    }
    const root = new Root({ type: 'Constant', val: 1, layer: 'Linear' });
    root.isInit = true;
    root.initWeights();
    assert.equal(calls, 0);
    assert.equal(root.child.isInit, false);
    const root2 = new Root();
    root2.child.isInit = true;
    root2.initWeights();
    assert.equal(calls, 0, 'an initialised child is skipped');
    const root3 = new Root();
    root3.initWeights();
    assert.equal(calls, 1);
  });

  test('a parameter added during initWeights is an error naming it', () => {
    class Replacing extends FooLinear {
      override initWeights(): void {
        this.linear.weight = new nn.Parameter(torch.zeros([4, 3]));
      }
    }
    class Root extends BaseModule {
      child = new Replacing();
      forward(): never {
        throw new Error('unused');
      }
    }
    assert.throws(
      () => new Root().initWeights(),
      /Find a new :obj:`Parameter` named `linear.weight` during executing the `init_weights` of `Replacing`/,
    );
  });

  test('toString appends init_cfg', () => {
    assert.match(
      String(new FooLinear({ type: 'Constant', val: 1, layer: 'Linear' })),
      /\ninit_cfg=\{"type":"Constant","val":1,"layer":"Linear"\}$/,
    );
    assert.doesNotMatch(String(new FooLinear()), /init_cfg/);
  });
});

describe('Pretrained', () => {
  /** A FooModel with random weights saved with torch.save; returns the path and the values. */
  function savedCheckpoint(
    name: string,
    wrap?: (sd: Record<string, Tensor>) => unknown,
  ): { path: string; sd: Record<string, Tensor> } {
    const source = new FooModel();
    const sd = source.stateDict();
    const path = join(dir, name);
    torch.save(wrap ? wrap(sd) : sd, path);
    return { path, sd };
  }

  const assertMatches = (model: torch.nn.Module, sd: Record<string, Tensor>) => {
    const own = model.stateDict();
    for (const [k, v] of Object.entries(sd)) assert.ok(own[k]?.equal(v), `${k} should equal the checkpoint`);
  };

  test("the spec's PratrainedModel: checkpoint weights load, and a child's own initWeights still runs", () => {
    const ref = new FooModel({ initCfg: FOO_CFG });
    ref.initWeights();
    const path = join(dir, 'test.pth');
    torch.save(ref.stateDict(), path);

    class CustomLinear extends BaseModule {
      linear = new nn.Linear(1, 1);
      override initWeights(): void {
        nn.init.constant_(this.linear.weight, 1);
        nn.init.constant_(this.linear.bias as Tensor, 2);
      }
      forward(): never {
        throw new Error('unused');
      }
    }
    class PratrainedModel extends FooModel {
      linear = new CustomLinear();
    }
    const model = new PratrainedModel({ initCfg: { type: 'Pretrained', checkpoint: path } });
    model.initWeights();
    assertMatches(model, ref.stateDict());
    assertFilled(model.linear.linear.weight, 1);
    assertFilled(model.linear.linear.bias as Tensor, 2);
    assert.ok(
      logger
        .messages('warning')
        .some((m) =>
          /do not match exactly[\s\S]*missing keys in source state_dict: linear.linear.weight, linear.linear.bias/.test(
            m,
          ),
        ),
    );
  });

  test('loaded last: never overwritten by the parent configs, override or a child initCfg', () => {
    const { path, sd } = savedCheckpoint('random.pth');
    const model = new FooModel({
      initCfg: [
        {
          type: 'Constant',
          val: 9,
          bias: 9,
          layer: ['Linear', 'Conv1d', 'Conv2d'],
          override: { name: 'reg', type: 'Constant', val: 10 },
        },
        { type: 'Pretrained', checkpoint: path },
        { type: 'Normal', layer: 'Linear' },
      ],
      component2Cfg: { type: 'Constant', val: 7, bias: 8, layer: 'Conv2d' },
    });
    model.initWeights();
    assertMatches(model, sd);
  });

  test('a prefix selects and strips the keys under it; a missing prefix is an error', () => {
    const { path, sd } = savedCheckpoint('prefix.pth');
    for (const prefix of ['component1', 'component1.']) {
      const m = new FooConv1d({ type: 'Pretrained', checkpoint: path, prefix });
      m.initWeights();
      assert.ok(m.conv1d.weight.equal(sd['component1.conv1d.weight'] as Tensor));
      assert.ok((m.conv1d.bias as Tensor).equal(sd['component1.conv1d.bias'] as Tensor));
    }
    assert.throws(
      () => new FooConv1d({ type: 'Pretrained', checkpoint: path, prefix: 'nope' }).initWeights(),
      /nope\. is not in the pretrained model/,
    );
  });

  test("a prefix picks by the checkpoint's own keys: 'module' picks a wrapped model, 'component1' not its 'module.component1'", () => {
    const { path, sd } = savedCheckpoint('wrapped-prefix.pth', (s) =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [`module.${k}`, v])),
    );
    const model = new FooModel({ initCfg: { type: 'Pretrained', checkpoint: path, prefix: 'module' } });
    model.initWeights();
    assertMatches(model, sd);
    assert.throws(
      () => new FooConv1d({ type: 'Pretrained', checkpoint: path, prefix: 'component1' }).initWeights(),
      /component1\. is not in the pretrained model/,
    );
  });

  test('a tensor of another shape (a head with other classes) is reported and skipped; the rest loads', () => {
    // The checkpoint's `reg` head has 5 outputs where the model's has 4.
    const source = new FooModel();
    const sd = source.stateDict();
    sd['reg.weight'] = torch.randn([5, 3]);
    sd['reg.bias'] = torch.randn([5]);
    const path = join(dir, 'other-head.pth');
    torch.save(sd, path);
    const model = new FooModel({ initCfg: { type: 'Pretrained', checkpoint: path } });
    const headBefore = model.reg.weight.clone();
    model.initWeights();
    for (const [k, v] of Object.entries(sd)) {
      if (k.startsWith('reg.')) continue;
      assert.ok(model.stateDict()[k]?.equal(v), `${k} should be loaded`);
    }
    assert.deepEqual(model.reg.weight.shape, [4, 3]);
    assert.ok(model.reg.weight.equal(headBefore), 'the head keeps its own weights');
    const warning = logger.messages('warning').find((m) => /do not match exactly/.test(m)) ?? '';
    assert.match(
      warning,
      /size mismatch for reg\.weight: copying a param with shape \[5, 3\] from checkpoint, the shape in current model is \[4, 3\]\./,
    );
    assert.match(warning, /size mismatch for reg\.bias: .*\[5\].*\[4\]/);
  });

  test("a checkpoint's state_dict entry is used and a leading 'module.' is stripped", () => {
    const { path, sd } = savedCheckpoint('wrapped.pth', (s) => ({
      meta: { epoch: 3 },
      state_dict: Object.fromEntries(Object.entries(s).map(([k, v]) => [`module.${k}`, v])),
    }));
    const model = new FooModel({ initCfg: { type: 'Pretrained', checkpoint: path } });
    model.initWeights();
    assertMatches(model, sd);
  });
});

describe("layer names of PyTorch's base classes", () => {
  class MyConv extends nn.Conv2d {}
  const parts = () => ({
    bn: new nn.BatchNorm2d(4),
    conv: new nn.Conv2d(3, 4, 3),
    conv1: new nn.Conv1d(3, 4, 3),
    deconv: new nn.ConvTranspose2d(4, 3, 3),
    mine: new MyConv(3, 4, 3),
  });
  const initialized = (layer: string | string[]) => {
    const p = parts();
    for (const m of Object.values(p)) initialize(m, { type: 'Constant', val: 0, bias: 3, layer });
    const hit = (m: { weight: Tensor | null }) => flat(m.weight as Tensor).every((x) => x === 0);
    return Object.fromEntries(Object.entries(p).map(([k, m]) => [k, hit(m)]));
  };

  test("'_BatchNorm' (an OpenMMLab config's name) reaches BatchNorm2d: weight val, bias bias", () => {
    const bn = new nn.BatchNorm2d(4);
    initialize(bn, { type: 'Constant', val: 0, bias: 3, layer: ['_BatchNorm', 'GroupNorm'] });
    assertLayer({ weight: bn.weight as Tensor, bias: bn.bias }, 0, 3, 'bn');
  });

  test("'_ConvNd' reaches Conv1d and Conv2d, '_ConvTransposeNd' ConvTranspose2d; a user's subclass only by its own base", () => {
    assert.deepEqual(initialized('_ConvNd'), { bn: false, conv: true, conv1: true, deconv: false, mine: false });
    assert.deepEqual(initialized('_ConvTransposeNd'), {
      bn: false,
      conv: false,
      conv1: false,
      deconv: true,
      mine: false,
    });
    assert.deepEqual(initialized('Conv2d'), { bn: false, conv: true, conv1: false, deconv: false, mine: true });
  });
});

describe("PyTorch's base-class names reach the 3-d and instance-norm layers", () => {
  test("'_ConvNd' Conv3d, '_ConvTransposeNd' ConvTranspose1d/3d, '_BatchNorm' BatchNorm3d, '_InstanceNorm' InstanceNorm1d/2d/3d", () => {
    const layers = {
      conv3: new nn.Conv3d(2, 2, 1),
      deconv1: new nn.ConvTranspose1d(2, 2, 1),
      deconv3: new nn.ConvTranspose3d(2, 2, 1),
      bn3: new nn.BatchNorm3d(2),
      in1: new nn.InstanceNorm1d(2, { affine: true }),
      in2: new nn.InstanceNorm2d(2, { affine: true }),
      in3: new nn.InstanceNorm3d(2, { affine: true }),
    };
    const hitBy = (layer: string) => {
      for (const m of Object.values(layers)) initialize(m, { type: 'Constant', val: 0, bias: 3, layer });
      const hit = Object.entries(layers)
        .filter(([, m]) => flat(m.weight as Tensor).every((x) => x === 0))
        .map(([k]) => k);
      for (const m of Object.values(layers)) (m.weight as Tensor).data.fill_(1);
      return hit;
    };
    assert.deepEqual(hitBy('_ConvNd'), ['conv3']);
    assert.deepEqual(hitBy('_ConvTransposeNd'), ['deconv1', 'deconv3']);
    assert.deepEqual(hitBy('_BatchNorm'), ['bn3']);
    assert.deepEqual(hitBy('_InstanceNorm'), ['in1', 'in2', 'in3']);
  });
});

describe('containers with initCfg', () => {
  const layers = () => [
    new FooConv1d({ type: 'Constant', layer: 'Conv1d', val: 0, bias: 1 }),
    new FooConv2d({ type: 'Constant', layer: 'Conv2d', val: 2, bias: 3 }),
  ];
  const outer: InitCfg = { type: 'Constant', layer: ['Conv1d', 'Conv2d'], val: 4, bias: 5 };

  const check = (a: FooConv1d, b: FooConv2d) => {
    assertLayer(a.conv1d, 0, 1, 'conv1d');
    assertLayer(b.conv2d, 2, 3, 'conv2d');
  };

  test('ModuleList: each element gets its own config; the inner configs win over the list', () => {
    for (const initCfg of [undefined, outer]) {
      const list = new ModuleList(layers(), initCfg ? { initCfg } : undefined);
      list.initWeights();
      check(list.at(0) as FooConv1d, list.at(1) as FooConv2d);
      assert.equal(list.isInit, true);
    }
  });

  test('Sequential: the same', () => {
    for (const initCfg of [undefined, outer]) {
      const seq = new Sequential(layers(), initCfg ? { initCfg } : undefined);
      seq.initWeights();
      check(seq.at(0) as FooConv1d, seq.at(1) as FooConv2d);
    }
  });

  test('ModuleDict: the same', () => {
    for (const initCfg of [undefined, outer]) {
      const [a, b] = layers() as [FooConv1d, FooConv2d];
      const dict = new ModuleDict({ foo_conv_1d: a, foo_conv_2d: b }, initCfg ? { initCfg } : undefined);
      dict.initWeights();
      check(dict.get('foo_conv_1d') as FooConv1d, dict.get('foo_conv_2d') as FooConv2d);
    }
  });

  test('a container config reaches plain layers that have no config of their own', () => {
    const seq = new Sequential([new nn.Conv1d(4, 1, 4), new FooConv2d()], { initCfg: outer });
    seq.initWeights();
    assertLayer(seq.at(0) as torch.nn.Conv1d, 4, 5, 'plain conv1d');
    assertLayer((seq.at(1) as FooConv2d).conv2d, 4, 5, 'conv2d');
  });
});

describe('initializer errors', () => {
  const lin = () => new nn.Linear(2, 2);

  test('initCfg must be an object or an array of objects', () => {
    assert.throws(
      () => initialize(lin(), 'Constant' as never),
      (e: Error) => e instanceof TypeError && /init_cfg must be a dict or a list of dict/.test(e.message),
    );
    assert.throws(() => new FooLinear([3] as never).initWeights(), /init_cfg entries must be objects/);
  });

  test('bias must be a number, biasProb a number, layer a string or array', () => {
    assert.throws(
      () => initialize(lin(), { type: 'Constant', val: 1, bias: '1' as never }),
      (e: Error) => e instanceof TypeError && /bias must be a number, but got a string/.test(e.message),
    );
    assert.throws(() => initialize(lin(), { type: 'Constant', val: 1, biasProb: '0.1' as never }), TypeError);
    assert.throws(
      () => initialize(lin(), { type: 'Constant', val: 1, layer: 3 as never }),
      (e: Error) => e instanceof TypeError && /layer must be a str or a list of str/.test(e.message),
    );
  });

  test('an unknown type, and required arguments', () => {
    assert.throws(
      () => initialize(lin(), { type: 'Zeros' as never }),
      /Zeros is not in the WEIGHT_INITIALIZERS registry/,
    );
    assert.throws(() => initialize(lin(), { type: 'Constant', layer: 'Linear' }), /needs 'val'/);
    assert.throws(() => initialize(lin(), { type: 'Pretrained' }), /needs 'checkpoint'/);
  });

  test("Xavier's distribution is checked when a layer is initialised", () => {
    initialize(lin(), { type: 'Xavier', distribution: 'cauchy' as never, layer: 'Conv2d' });
    assert.throws(
      () => initialize(lin(), { type: 'Xavier', distribution: 'cauchy' as never, layer: 'Linear' }),
      /distribution should be 'uniform' or 'normal'/,
    );
  });

  test('override needs a name, a type when it has other keys, and an existing attribute', () => {
    const m = () => new FooModel();
    assert.throws(
      () => initialize(m(), { type: 'Constant', val: 1, override: { type: 'Constant', val: 2 } as never }),
      /`override` must contain the key "name"/,
    );
    assert.throws(
      () => initialize(m(), { type: 'Constant', val: 1, override: { name: 'reg', val: 2 } }),
      /`override` need "type" key/,
    );
    assert.throws(
      () => initialize(m(), { type: 'Constant', val: 1, override: { name: 'nothere', type: 'Constant', val: 2 } }),
      /module did not have attribute nothere/,
    );
    assert.throws(() => initialize(m(), { type: 'Constant', val: 1, override: 3 as never }), TypeError);
  });

  test('initialize does not mutate a shared config', () => {
    const cfg: InitCfg = {
      type: 'Constant',
      val: 1,
      layer: 'Linear',
      override: { name: 'reg', type: 'Constant', val: 2 },
    };
    const copy = structuredClone(cfg);
    initialize(new FooModel(), cfg);
    assert.deepEqual(cfg, copy);
  });
});

describe('init info dump', () => {
  test('each parameter is logged at info level with the initializer that last changed it', () => {
    class CustomLinear extends BaseModule {
      linear = new nn.Linear(1, 1);
      override initWeights(): void {
        nn.init.constant_(this.linear.weight, 1);
      }
      forward(): never {
        throw new Error('unused');
      }
    }
    class M extends FooModel {
      custom = new CustomLinear();
    }
    const model = new M({ initCfg: [{ type: 'Constant', val: 1, bias: 2, layer: 'Linear' }] });
    model.initWeights();
    const info = logger.messages('info');
    const entry = (name: string) => info.find((m) => m.startsWith(`\n${name} - `));
    assert.match(entry('reg.weight') ?? '', /ConstantInit: val=1, bias=2/);
    assert.match(
      entry('component1.conv1d.weight') ?? '',
      /The value is the same before and after calling `init_weights` of M/,
    );
    // The parent's Constant set it to 1 first; the child's own initWeights then changed nothing,
    // and a record only changes with the parameter's mean.
    assert.match(entry('custom.linear.weight') ?? '', /ConstantInit: val=1, bias=2/);
    assert.equal(info.filter((m) => m.startsWith('\n')).length, model.parameters().length);
  });

  test('a logger with sinks (a log file) gets the header and the entries instead', () => {
    const lines: string[] = [];
    logger.sinks.push((l) => lines.push(l));
    const model = new FooLinear({ type: 'Normal', std: 0.5, layer: 'Linear' });
    model.initWeights();
    assert.equal(lines[0], 'Name of parameter - Initialization information');
    assert.match(lines.join(''), /linear\.weight - \[4,3\]: \nNormalInit: mean=0, std=0.5, bias=0/);
    assert.equal(logger.messages('info').length, 0);
  });

  test('the info strings of each initializer', () => {
    const infos: [InitCfg, RegExp][] = [
      [{ type: 'Xavier', gain: 2, layer: 'Linear' }, /XavierInit: gain=2, distribution=normal, bias=0/],
      [{ type: 'TruncNormal', std: 0.1, layer: 'Linear' }, /TruncNormalInit: a=-2, b=2, mean=0, std=0.1, bias=0/],
      [{ type: 'Uniform', a: -1, layer: 'Linear' }, /UniformInit: a=-1, b=1, bias=0/],
      [
        { type: 'Kaiming', layer: 'Linear' },
        /KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0/,
      ],
      [
        { type: 'Caffe2Xavier', layer: 'Linear' },
        /Caffe2XavierInit: a=1, mode=fan_in, nonlinearity=leaky_relu, distribution =uniform, bias=0/,
      ],
    ];
    for (const [cfg, re] of infos) {
      logger.records.length = 0;
      new FooLinear(cfg).initWeights();
      assert.match(logger.messages('info').join(''), re);
    }
  });
});

describe('initializer distributions', () => {
  // Linear(100, 400): weight [400, 100], fan_in 100, fan_out 400.
  const weightOf = (cfg: InitCfg, make: () => torch.nn.Module & { weight: Tensor } = () => new nn.Linear(100, 400)) => {
    torch.manualSeed(1);
    const m = make();
    initialize(m, cfg);
    return { m, w: flat(m.weight) };
  };
  const near = (actual: number, expected: number, rel: number, what: string) =>
    assert.ok(Math.abs(actual - expected) <= rel * expected, `${what}: ${actual} vs ${expected}`);

  test("Kaiming defaults to fan_out (std sqrt(2 / fan_out)), unlike PyTorch's fan_in", () => {
    const { w } = weightOf({ type: 'Kaiming', layer: 'Linear' });
    near(std(w), Math.sqrt(2 / 400), 0.03, 'fan_out std');
    assert.ok(Math.abs(mean(w)) < 0.003);
    const fanIn = weightOf({ type: 'Kaiming', layer: 'Linear', mode: 'fan_in' }).w;
    near(std(fanIn), Math.sqrt(2 / 100), 0.03, 'fan_in std');
    // A conv's fan_out is out_channels * kernel area: Conv2d(4, 32, 3) -> 288.
    const conv = weightOf({ type: 'Kaiming', layer: 'Conv2d' }, () => new nn.Conv2d(4, 32, 3)).w;
    near(std(conv), Math.sqrt(2 / 288), 0.08, 'conv fan_out std');
    // The uniform variant: bound sqrt(3) * std.
    const uni = weightOf({ type: 'Kaiming', layer: 'Linear', distribution: 'uniform' }).w;
    const bound = Math.sqrt(3) * Math.sqrt(2 / 400);
    assert.ok(uni.every((x) => Math.abs(x) <= bound));
    near(Math.max(...uni.map(Math.abs)), bound, 0.01, 'uniform bound');
  });

  test('Caffe2Xavier: Kaiming uniform, a=1, fan_in, leaky_relu (bound sqrt(3 / fan_in))', () => {
    const { w } = weightOf({ type: 'Caffe2Xavier', layer: 'Linear' });
    const bound = Math.sqrt(3 / 100);
    assert.ok(w.every((x) => Math.abs(x) <= bound));
    near(std(w), bound / Math.sqrt(3), 0.03, 'std');
  });

  test('Xavier normal and uniform with gain', () => {
    const n = weightOf({ type: 'Xavier', gain: 2, layer: 'Linear' }).w;
    near(std(n), 2 * Math.sqrt(2 / 500), 0.03, 'normal std');
    const u = weightOf({ type: 'Xavier', distribution: 'uniform', layer: 'Linear' }).w;
    const bound = Math.sqrt(6 / 500);
    assert.ok(u.every((x) => Math.abs(x) <= bound));
    near(Math.max(...u.map(Math.abs)), bound, 0.01, 'bound');
  });

  test('Normal, Uniform and TruncNormal (absolute cut-offs)', () => {
    const n = weightOf({ type: 'Normal', mean: 3, std: 0.5, layer: 'Linear' }).w;
    near(mean(n), 3, 0.01, 'mean');
    near(std(n), 0.5, 0.03, 'std');
    const u = weightOf({ type: 'Uniform', a: 2, b: 5, layer: 'Linear' }).w;
    assert.ok(u.every((x) => x >= 2 && x <= 5));
    near(mean(u), 3.5, 0.01, 'uniform mean');
    const t = weightOf({ type: 'TruncNormal', mean: 0, std: 1, a: -0.5, b: 0.25, layer: 'Linear' }).w;
    assert.ok(t.every((x) => x >= -0.5 && x <= 0.25));
    assert.ok(Math.min(...t) < -0.49 && Math.max(...t) > 0.24);
  });

  test('TruncNormal warns when the mean is more than 2 std outside [a, b]', () => {
    const logger = captureLogs();
    weightOf({ type: 'TruncNormal', mean: 10, std: 1, layer: 'Linear' });
    assert.ok(logger.messages('warning').some((m) => /mean is more than 2 std from \[a, b\]/.test(m)));
  });

  test('biases: the constant `bias`, or -log((1 - p) / p) from biasProb', () => {
    const { m } = weightOf({ type: 'Normal', bias: 0.25, layer: 'Linear' });
    assertFilled((m as torch.nn.Linear).bias as Tensor, 0.25);
    const p = weightOf({ type: 'Normal', biasProb: 0.01, layer: 'Linear' }).m as torch.nn.Linear;
    const expected = Math.fround(-Math.log(0.99 / 0.01));
    assertFilled(p.bias as Tensor, expected);
  });
});
