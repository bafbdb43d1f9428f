// BaseModel (spec section 1): the constructor's preprocessor handling, forward dispatch,
// parseLosses with the spec's worked example and quirks, trainStep / valStep / testStep order
// and tensor scopes, and the device bookkeeping of to / cuda / cpu.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  BaseDataPreprocessor,
  BaseModel,
  type BaseOptimWrapper,
  ClsDataPreprocessor,
  type ForwardMode,
  ImgDataPreprocessor,
  type LossDict,
  OptimWrapper,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { captureLogs } from '../support.js';

type Tensor = torch.Tensor;
const { nn } = torch;

interface Batch {
  inputs: Tensor;
  dataSample?: unknown;
}

/** The spec's toy model: Conv2d(3, 1, 1); forward takes (data, mode). */
class ToyModel extends BaseModel<Tensor, Tensor> {
  conv = new nn.Conv2d(3, 1, 1);
  calls: { args: unknown[] }[] = [];

  forward(data: Batch, mode: ForwardMode): LossDict | Tensor {
    this.calls.push({ args: [data, mode] });
    const out = this.conv.forward(data.inputs);
    if (mode === 'loss') return { loss: out };
    return out;
  }
}

/** A model without parameters (so moving it touches no tensor) with a nested BaseModel. */
class Leaf extends BaseModel {
  forward(): LossDict {
    return {};
  }
}
class Nested extends BaseModel {
  child = new Leaf();
  forward(): LossDict {
    return {};
  }
}

const scalar = (v: number) => torch.tensor(v, { dtype: 'float32' });

beforeEach(() => {
  captureLogs();
});

describe('BaseModel constructor', () => {
  test('defaults to a BaseDataPreprocessor registered as a child, with no state', () => {
    const model = new ToyModel();
    assert.ok(model.dataPreprocessor instanceof BaseDataPreprocessor);
    assert.ok(model.modules().includes(model.dataPreprocessor));
    assert.deepEqual(model.dataPreprocessor.parameters(), []);
    assert.deepEqual(model.dataPreprocessor.buffers(), []);
    assert.deepEqual(Object.keys(model.stateDict()), ['conv.weight', 'conv.bias']);
    assert.equal(model.isInit, false);
  });

  test('a module instance is used as it is (the same object), whatever its class', () => {
    const pre = new ImgDataPreprocessor({ mean: [1], std: [2] });
    assert.equal(new ToyModel({ dataPreprocessor: pre }).dataPreprocessor, pre);
    const anyModule = new nn.Linear(2, 2);
    assert.equal(new ToyModel({ dataPreprocessor: anyModule }).dataPreprocessor, anyModule);
  });

  test('an options object is built; ImgDataPreprocessor adds no state-dict keys', () => {
    const model = new ToyModel({
      dataPreprocessor: { type: 'ImgDataPreprocessor', mean: [0, 0, 0], std: [255, 255, 255] },
    });
    assert.ok(model.dataPreprocessor instanceof ImgDataPreprocessor);
    assert.deepEqual(Object.keys(model.stateDict()), ['conv.weight', 'conv.bias']);
    assert.ok(
      new ToyModel({ dataPreprocessor: { type: 'BaseDataPreprocessor' } }).dataPreprocessor instanceof
        BaseDataPreprocessor,
    );
    assert.ok(new ToyModel({ dataPreprocessor: null }).dataPreprocessor instanceof BaseDataPreprocessor);
    const cls = new ToyModel({ dataPreprocessor: { type: 'ClsDataPreprocessor', mean: [1], std: [2] } })
      .dataPreprocessor;
    assert.ok(cls instanceof ClsDataPreprocessor);
    // Its own conversion: a tuple batch becomes {inputs, dataSamples}, normalised.
    const out = (cls as ClsDataPreprocessor).forward([[torch.tensor([[[3]]], { dtype: 'uint8' })], torch.tensor([1])]);
    assert.deepEqual((out.inputs as torch.Tensor).toArray(), [[[[1]]]]);
    assert.equal((out.dataSamples as torch.Tensor).dtype, 'int64');
  });

  test('anything else is a TypeError that says what the preprocessor should be', () => {
    const pre = new BaseDataPreprocessor();
    assert.throws(
      () => new ToyModel({ dataPreprocessor: [pre] as never }),
      (e: Error) => e instanceof TypeError && /dataPreprocessor should be/.test(e.message),
    );
    assert.throws(() => new ToyModel({ dataPreprocessor: 3 as never }), /dataPreprocessor should be/);
    assert.throws(() => new ToyModel({ dataPreprocessor: { type: 'Nope' } as never }), /Nope/);
    assert.throws(() => new ToyModel({ initcfg: {} } as never), TypeError);
  });

  test('initCfg is stored as a deep copy', () => {
    const cfg = { type: 'Constant' as const, val: 1, layer: ['Conv2d'] };
    const model = new ToyModel({ initCfg: cfg });
    cfg.layer.push('Linear');
    assert.deepEqual(model.initCfg, { type: 'Constant', val: 1, layer: ['Conv2d'] });
  });
});

describe('BaseModel.parseLosses', () => {
  const model = new ToyModel();

  test("the spec's worked example: total 6, log vars {loss: 6, loss_cls: 1, loss_list: 5}", () => {
    const { loss, logVars } = model.parseLosses({ loss_cls: scalar(1), loss_list: [scalar(2), scalar(3)] });
    assert.ok(loss instanceof torch.Tensor);
    assert.equal(loss.item(), 6);
    assert.deepEqual(logVars, { loss: 6, loss_cls: 1, loss_list: 5 });
    assert.deepEqual(Object.keys(logVars), ['loss', 'loss_cls', 'loss_list']);
  });

  test('a value that is not a tensor or array of tensors is a TypeError naming the key', () => {
    assert.throws(
      () => model.parseLosses({ loss_cls: scalar(1), error_key: {} as never }),
      (e: Error) => e instanceof TypeError && e.message === 'error_key is not a tensor or list of tensors',
    );
    assert.throws(
      () => model.parseLosses({ loss_x: [scalar(1), 2 as never] }),
      /loss_x is not a tensor or list of tensors/,
    );
  });

  test('each tensor is reduced by its mean; an array is the sum of its means', () => {
    const { loss, logVars } = model.parseLosses({
      loss_map: torch
        .tensor([
          [1, 2],
          [3, 6],
        ])
        .float(),
      loss_parts: [torch.tensor([1, 3]).float(), torch.tensor([10, 20, 30]).float()],
    });
    // 3 + (2 + 20)
    assert.equal(loss.item(), 25);
    assert.deepEqual(logVars, { loss: 25, loss_map: 3, loss_parts: 22 });
  });

  test("keys containing 'loss' anywhere are summed, case-sensitively; other keys are only logged", () => {
    const { loss, logVars } = model.parseLosses({
      acc: scalar(0.5),
      's0.loss_bbox': scalar(1),
      aux_loss: scalar(2),
      Loss_upper: scalar(100),
      loss_cls: scalar(4),
    });
    assert.equal(loss.item(), 7);
    assert.deepEqual(Object.keys(logVars), ['loss', 'acc', 's0.loss_bbox', 'aux_loss', 'Loss_upper', 'loss_cls']);
    assert.equal(logVars.acc, 0.5);
    assert.equal(logVars.Loss_upper, 100);
  });

  test('an empty array counts 0; no loss key gives a total of 0', () => {
    const a = model.parseLosses({ loss_a: scalar(2), loss_empty: [] });
    assert.equal(a.loss.item(), 2);
    assert.equal(a.logVars.loss_empty, 0);
    const b = model.parseLosses({ acc: scalar(1) });
    assert.equal(b.loss.item(), 0);
    assert.equal(b.logVars.loss, 0);
  });

  test("quirk kept: a user key named exactly 'loss' stays first but shows its own mean", () => {
    const { loss, logVars } = model.parseLosses({ loss_a: scalar(1), loss: torch.tensor([2, 4]).float() });
    assert.equal(loss.item(), 4);
    assert.deepEqual(Object.keys(logVars), ['loss', 'loss_a']);
    assert.equal(logVars.loss, 3);
  });

  test('the total carries the gradient of every summed loss and none of the others', () => {
    const w = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const { loss } = model.parseLosses({ loss_a: w.mul(3), acc: w.mul(100), loss_b: [w.sum(), w.mul(2)] });
    loss.backward();
    // d/dw mean(3w) + sum(w) + mean(2w) = 1.5 + 1 + 1
    assert.deepEqual(w.grad?.toArray(), [3.5, 3.5]);
  });
});

describe('BaseModel forward dispatch (runForward)', () => {
  test('an object batch is one argument followed by the mode', () => {
    const model = new ToyModel();
    const data = { inputs: torch.randn([1, 3, 1, 1]), dataSample: null };
    const out = model.runForward(data, 'tensor');
    assert.equal(model.calls.length, 1);
    assert.equal(model.calls[0]?.args[0], data);
    assert.equal(model.calls[0]?.args[1], 'tensor');
    assert.deepEqual((out as Tensor).shape, [1, 1, 1, 1]);
  });

  test('an array batch is spread as positional arguments followed by the mode', () => {
    const seen: unknown[][] = [];
    class Positional extends BaseModel {
      forward(...args: unknown[]): LossDict {
        seen.push(args);
        return {};
      }
    }
    const model = new Positional();
    const x = torch.zeros([1]);
    model.runForward([x, 'meta', 7], 'predict');
    assert.deepEqual(seen, [[x, 'meta', 7, 'predict']]);
  });

  test('anything else is a TypeError naming what was received', () => {
    const model = new ToyModel();
    assert.throws(
      () => model.runForward(torch.zeros([1]), 'loss'),
      (e: Error) => e instanceof TypeError && /got a Tensor/.test(e.message),
    );
    assert.throws(() => model.runForward(3, 'loss'), /should be an array or an object, but got number/);
    assert.throws(() => model.runForward(null, 'loss'), /but got null/);
    assert.throws(() => model.runForward('s', 'loss'), /but got string/);
  });
});

describe('BaseModel.trainStep, valStep, testStep', () => {
  test("the spec's toy test: SGD(lr 0.1) through OptimWrapper changes the conv weight; loss is logged", () => {
    torch.manualSeed(0);
    const model = new ToyModel();
    const optimWrapper = new OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) });
    const before = model.conv.weight.clone();
    const inputs = torch.randn([1, 3, 1, 1]);
    const expected = model.conv.forward(inputs).item() as number;
    const logVars = model.trainStep({ inputs, dataSample: null }, optimWrapper);
    assert.deepEqual(Object.keys(logVars), ['loss']);
    assert.equal(typeof logVars.loss, 'number');
    assert.ok(Math.abs((logVars.loss as number) - expected) < 1e-6);
    assert.equal(model.conv.weight.equal(before), false);
    // d loss / d w = inputs, so w' = w - 0.1 * inputs
    const want = before.sub(inputs.reshape([1, 3, 1, 1]).mul(0.1));
    assert.ok(model.conv.weight.allclose(want));
  });

  test('order: optimContext wraps preprocess(training=true) and forward(loss); parse and updateParams follow outside', () => {
    const events: string[] = [];
    class SpyPre extends BaseDataPreprocessor {
      override forward(data: unknown, training = false): unknown {
        events.push(`preprocess(${training})`);
        return super.forward(data, training);
      }
    }
    class Spied extends ToyModel {
      override forward(data: Batch, mode: ForwardMode): LossDict | Tensor {
        events.push(`forward(${mode})`);
        return super.forward(data, mode);
      }
      override parseLosses(losses: LossDict) {
        events.push('parseLosses');
        return super.parseLosses(losses);
      }
    }
    const model = new Spied({ dataPreprocessor: new SpyPre() });
    const wrapper: BaseOptimWrapper = {
      optimContext: (m, fn) => {
        assert.equal(m, model);
        events.push('enter');
        const r = fn();
        events.push('exit');
        return r;
      },
      updateParams: (loss) => {
        assert.ok(loss.requiresGrad);
        events.push('updateParams');
      },
      zeroGrad: () => {},
      initializeCountStatus: () => {},
      getLr: () => ({}),
      getMomentum: () => ({}),
      stateDict: () => ({}),
      loadStateDict: () => {},
    };
    model.trainStep({ inputs: torch.randn([2, 3, 1, 1]) }, wrapper);
    assert.deepEqual(events, ['enter', 'preprocess(true)', 'forward(loss)', 'exit', 'parseLosses', 'updateParams']);

    events.length = 0;
    model.valStep({ inputs: torch.randn([2, 3, 1, 1]) });
    model.testStep({ inputs: torch.randn([2, 3, 1, 1]) });
    assert.deepEqual(events, ['preprocess(false)', 'forward(predict)', 'preprocess(false)', 'forward(predict)']);
  });

  test('valStep and testStep return what predict returns (a tensor here) and do not disable gradients', () => {
    const model = new ToyModel();
    const out = model.valStep({ inputs: torch.randn([2, 3, 4, 4]) }) as unknown as Tensor;
    assert.deepEqual(out.shape, [2, 1, 4, 4]);
    assert.equal(out.requiresGrad, true);
    assert.equal(out.isDisposed, false);
    const out2 = model.testStep({ inputs: torch.randn([1, 3, 1, 1]) }) as unknown as Tensor;
    assert.equal(out2.isDisposed, false);
  });

  test('a step frees what it made and did not return; parameters survive', () => {
    const made: Tensor[] = [];
    class Leaky extends ToyModel {
      override forward(data: Batch, mode: ForwardMode): LossDict | Tensor {
        const out = super.forward(data, mode);
        made.push(data.inputs.mul(2));
        return out;
      }
    }
    const model = new Leaky();
    const wrapper = new OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) });
    model.trainStep({ inputs: torch.randn([1, 3, 1, 1]) }, wrapper);
    model.valStep({ inputs: torch.randn([1, 3, 1, 1]) });
    assert.equal(made.length, 2);
    assert.ok(made.every((t) => t.isDisposed));
    assert.ok(model.parameters().every((p) => !p.isDisposed));
  });

  test('losses with no key containing "loss" cannot be back-propagated', () => {
    class NoLoss extends ToyModel {
      override forward(data: Batch): LossDict {
        return { acc: this.conv.forward(data.inputs) };
      }
    }
    const model = new NoLoss();
    const wrapper = new OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.1 }) });
    assert.throws(() => model.trainStep({ inputs: torch.randn([1, 3, 1, 1]) }, wrapper), /does not require grad/);
  });
});

describe('BaseModel device bookkeeping', () => {
  const devices = (m: BaseModel) =>
    m
      .modules()
      .filter((x): x is BaseDataPreprocessor => x instanceof BaseDataPreprocessor)
      .map((p) => p.device);

  test('to(device) records the device in every nested preprocessor', () => {
    const model = new Nested();
    assert.deepEqual(devices(model), ['cpu', 'cpu']);
    model.to('cuda:1');
    assert.deepEqual(devices(model), ['cuda:1', 'cuda:1']);
    model.to({ device: 'cuda' });
    assert.deepEqual(devices(model), ['cuda', 'cuda']);
    model.to({ device: 'cpu', dtype: 'float64' });
    assert.deepEqual(devices(model), ['cpu', 'cpu']);
  });

  test('a move that names no device records nothing', () => {
    const model = new Nested();
    model.to('cuda:1');
    model.to('float64');
    model.to({ dtype: 'float16' });
    assert.deepEqual(devices(model), ['cuda:1', 'cuda:1']);
  });

  test('cuda() records the index-less device (or the one given); cpu() records cpu', () => {
    const model = new Nested();
    model.cuda();
    assert.deepEqual(devices(model), ['cuda', 'cuda']);
    model.cpu();
    assert.deepEqual(devices(model), ['cpu', 'cpu']);
    model.cuda('cuda:2');
    assert.deepEqual(devices(model), ['cuda:2', 'cuda:2']);
    model.cuda(1);
    assert.deepEqual(devices(model), ['cuda:1', 'cuda:1']);
  });

  test('a dtype-only move converts floating parameters and keeps the device', () => {
    const model = new ToyModel();
    model.to('float64');
    assert.equal(model.conv.weight.dtype, 'float64');
    assert.equal((model.dataPreprocessor as BaseDataPreprocessor).device, 'cpu');
    model.to({ device: 'cpu', dtype: 'float32' });
    assert.equal(model.conv.weight.dtype, 'float32');
  });

  test('on a GPU: the model moves and its preprocessor casts to the recorded device', {
    skip: !torch.cuda.isAvailable() && 'needs CUDA',
  }, () => {
    const model = new ToyModel().cuda();
    assert.equal(model.conv.weight.device, 'cuda:0');
    const out = model.valStep({ inputs: torch.randn([1, 3, 2, 2]) }) as unknown as Tensor;
    assert.equal(out.device, 'cuda:0');
    const pre = new BaseDataPreprocessor().cuda();
    assert.equal(pre.device, `cuda:${torch.cuda.currentStream().deviceIndex}`);
  });
});
