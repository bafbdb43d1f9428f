// Data preprocessors (spec section 2): castData's rules, ImgDataPreprocessor's validation and
// every numeric example of 2.2 with its values checked against a plain-JavaScript computation,
// stackBatch, the non-persistent mean/std buffers, dataSamples defaulting to null while other
// keys pass through, and batch augments applied in training only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { native } from '../../../lib/binding.js';
import {
  type AugmentResult,
  BaseDataPreprocessor,
  ImgDataPreprocessor,
  stackBatch,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { assertAllClose } from '../support.js';

type Tensor = torch.Tensor;
type Img = number[][][];

/**
 * What the preprocessor should make of one (C, H, W) image, computed without tensors: channel
 * order reversed if `flip`, minus mean, over std (per channel, broadcasting 1 or 3 values),
 * then padded right and bottom to (H, W) with `padValue`.
 */
function expected(
  img: Img,
  o: { flip?: boolean; mean?: number[]; std?: number[]; h: number; w: number; padValue?: number },
): number[] {
  const c = img.length;
  const out: number[] = [];
  for (let k = 0; k < c; k++) {
    const src = img[o.flip ? c - 1 - k : k] as number[][];
    const m = o.mean ? (o.mean.length === 1 ? (o.mean[0] as number) : (o.mean[k] as number)) : 0;
    const s = o.std ? (o.std.length === 1 ? (o.std[0] as number) : (o.std[k] as number)) : 1;
    for (let y = 0; y < o.h; y++) {
      for (let x = 0; x < o.w; x++) {
        const row = src[y];
        const v =
          row !== undefined && x < row.length
            ? Math.fround((Math.fround(row[x] as number) - m) / s)
            : (o.padValue ?? 0);
        out.push(v);
      }
    }
  }
  return out;
}

const values = (t: Tensor) => Array.from(t.contiguous().toTypedArray() as Float32Array);
const uint8Image = (shape: number[]) => torch.randint(0, 256, shape, { dtype: 'uint8' });

describe('BaseDataPreprocessor.castData', () => {
  const pre = new BaseDataPreprocessor();

  test('device is cpu and nonBlocking false by default', () => {
    assert.equal(pre.device, 'cpu');
    assert.equal(pre.nonBlocking, false);
    assert.equal(new BaseDataPreprocessor({ nonBlocking: true }).nonBlocking, true);
  });

  test("the preprocessor's own to() and cpu() record the device; a dtype-only move records nothing", () => {
    const p = new BaseDataPreprocessor();
    p.to('cuda:3');
    assert.equal(p.device, 'cuda:3');
    p.to('float64');
    p.to({ dtype: 'float16' });
    assert.equal(p.device, 'cuda:3');
    p.cpu();
    assert.equal(p.device, 'cpu');
  });

  test('objects become new plain objects with the same keys in order; arrays new arrays; Maps new Maps', () => {
    const t = torch.tensor([1, 2], { dtype: 'int32' });
    const data = { b: [t, 'x', { c: t }], a: null, m: new Map([['k', t]]) };
    const out = pre.castData(data) as typeof data;
    assert.notEqual(out, data);
    assert.deepEqual(Object.keys(out), ['b', 'a', 'm']);
    assert.notEqual(out.b, data.b);
    assert.ok(Array.isArray(out.b));
    assert.notEqual(out.b[2], data.b[2]);
    assert.ok(out.m instanceof Map && out.m !== data.m);
    // Tensors are moved to the device (here: already there, so the same tensor), dtype kept.
    assert.equal(out.b[0], t);
    assert.equal((out.b[0] as Tensor).dtype, 'int32');
    assert.equal(out.m.get('k'), t);
  });

  test("a tensor already on the device is kept without the addon's to(); one elsewhere goes through it", () => {
    // The step-time saving (Tensor.to's shortcut): the native call would return the same tensor.
    const t = torch.tensor([1, 2, 3]);
    const original = native.to;
    const devices: unknown[] = [];
    native.to = (...args: Parameters<typeof native.to>) => {
      devices.push(args[2]);
      return original(...args);
    };
    try {
      assert.equal((pre.castData({ x: t }) as { x: Tensor }).x, t);
      assert.deepEqual(devices, []);
      const toCuda = new BaseDataPreprocessor();
      toCuda.setDevice('cuda');
      if (torch.cuda.isAvailable()) assert.equal((toCuda.castData(t) as Tensor).device, 'cuda:0');
      else assert.throws(() => toCuda.castData(t), /CUDA/);
      assert.deepEqual(devices, ['cuda']);
    } finally {
      native.to = original;
    }
  });

  test("an array subclass with its own to() (nn.utils.rnn's PackedSequence) moves itself instead of becoming a plain array", () => {
    const { packSequence, PackedSequence } = torch.nn.utils.rnn;
    const packed = packSequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])]);
    const out = pre.castData({ seq: packed }) as { seq: unknown };
    assert.equal(out.seq, packed, 'already on the device: itself, still a PackedSequence');
    class Moves extends Array<number> {
      to(device: string, options?: { nonBlocking?: boolean }): string {
        return `moved to ${device}, nonBlocking ${options?.nonBlocking}`;
      }
    }
    const p = new BaseDataPreprocessor({ nonBlocking: true });
    p.setDevice('cuda:1');
    assert.equal(p.castData(Moves.from([1, 2])), 'moved to cuda:1, nonBlocking true');
    assert.ok(!(pre.castData([1, 2]) instanceof PackedSequence));
    if (torch.cuda.isAvailable()) {
      const cuda = new BaseDataPreprocessor();
      cuda.setDevice('cuda');
      const moved = cuda.castData(packed) as InstanceType<typeof PackedSequence>;
      assert.ok(moved instanceof PackedSequence);
      assert.equal(moved.data.device, 'cuda:0');
      assert.equal(moved.batchSizes.device, 'cpu', 'batchSizes stay on the CPU, as PyTorch requires');
    }
  });

  test('strings, numbers, booleans, null, undefined, typed arrays and plain class instances pass through', () => {
    class Custom {
      v = 1;
    }
    const custom = new Custom();
    const typed = new Float32Array([1, 2]);
    const data = ['s', 3, true, null, undefined, typed, custom];
    const out = pre.castData(data) as unknown[];
    assert.deepEqual(out, data);
    assert.equal(out[5], typed);
    assert.equal(out[6], custom);
  });

  test('an object with a `to` method (a data element) is moved with (device, {nonBlocking})', () => {
    const calls: unknown[][] = [];
    const element = {
      to(...args: unknown[]) {
        calls.push(args);
        return 'moved';
      },
    };
    class Element {
      to(...args: unknown[]) {
        calls.push(args);
        return 'moved-instance';
      }
    }
    const nb = new BaseDataPreprocessor({ nonBlocking: true });
    assert.equal(nb.castData(new Element()), 'moved-instance');
    // A plain object is a mapping: its function-valued `to` passes through as a value.
    const out = nb.castData(element) as { to: unknown };
    assert.equal(out.to, element.to);
    assert.deepEqual(calls, [['cpu', { nonBlocking: true }]]);
  });

  test('forward is castData: structure kept, training ignored, no stacking', () => {
    const a = torch.zeros([2]);
    const out = pre.forward({ inputs: [a, a], dataSamples: ['x'] }, true) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['inputs', 'dataSamples']);
    assert.ok(Array.isArray(out.inputs));
    const arr = pre.forward([a, 1]) as unknown[];
    assert.ok(Array.isArray(arr));
    assert.equal(arr[0], a);
  });
});

describe('ImgDataPreprocessor construction', () => {
  test('validation, in the reference order, with its messages', () => {
    assert.throws(
      () => new ImgDataPreprocessor({ bgrToRgb: true, rgbToBgr: true, mean: [1, 2] }),
      /`bgr2rgb` and `rgb2bgr` cannot be set to True at the same time/,
    );
    assert.throws(() => new ImgDataPreprocessor({ mean: [1] }), /mean and std should be both None or tuple/);
    assert.throws(() => new ImgDataPreprocessor({ std: [1] }), /mean and std should be both None or tuple/);
    assert.throws(
      () => new ImgDataPreprocessor({ mean: [1, 2], std: [1, 2, 3, 4] }),
      /`mean` should have 1 or 3 values, to be compatible with RGB or gray image, but got 2 values/,
    );
    assert.throws(
      () => new ImgDataPreprocessor({ mean: [1, 2, 3], std: [1, 2, 3, 4] }),
      /`std` should have 1 or 3 values, to be compatible with RGB or gray image, but got 4 values/,
    );
    // Lengths 1 and 3 may be mixed.
    new ImgDataPreprocessor({ mean: [127.5], std: [1, 2, 3] });
  });

  test('mean/std: (C, 1, 1) float buffers, non-persistent (not in the state dict); absent without normalisation', () => {
    const pre = new ImgDataPreprocessor({ mean: [0, 0, 0], std: [255, 255, 255] });
    assert.equal(pre.enableNormalize, true);
    assert.deepEqual(pre.mean?.shape, [3, 1, 1]);
    assert.deepEqual(pre.std?.shape, [3, 1, 1]);
    assert.equal(pre.mean?.dtype, 'float32');
    assert.deepEqual(Object.keys(pre.stateDict()), []);
    assert.deepEqual(
      pre.namedBuffers().map(([n]) => n),
      ['mean', 'std'],
    );
    const gray = new ImgDataPreprocessor({ mean: [127.5], std: [2] });
    assert.deepEqual(gray.mean?.shape, [1, 1, 1]);
    const plain = new ImgDataPreprocessor();
    assert.equal(plain.enableNormalize, false);
    assert.equal('mean' in plain, false);
    assert.equal('std' in plain, false);
  });

  test('bgrToRgb and rgbToBgr are the same conversion; padding settings are stored', () => {
    assert.equal(new ImgDataPreprocessor({ bgrToRgb: true }).channelConversion, true);
    assert.equal(new ImgDataPreprocessor({ rgbToBgr: true }).channelConversion, true);
    assert.equal(new ImgDataPreprocessor().channelConversion, false);
    const p = new ImgDataPreprocessor({ padSizeDivisor: 16, padValue: 10 });
    assert.equal(p.padSizeDivisor, 16);
    assert.equal(p.padValue, 10);
    const x = uint8Image([1, 3, 4, 4]);
    const a = new ImgDataPreprocessor({ bgrToRgb: true }).forward({ inputs: x }).inputs as Tensor;
    const b = new ImgDataPreprocessor({ rgbToBgr: true }).forward({ inputs: x }).inputs as Tensor;
    assert.ok(a.equal(b));
  });
});

describe('ImgDataPreprocessor.forward: the examples of 2.2', () => {
  test('list path: mean [127.5], std [1,2,3], divisor 16, pad 10, rgbToBgr -> (2,3,16,16), padded after normalising', () => {
    const pre = new ImgDataPreprocessor({
      mean: [127.5],
      std: [1, 2, 3],
      padSizeDivisor: 16,
      padValue: 10,
      rgbToBgr: true,
    });
    const a = uint8Image([3, 10, 10]);
    const b = uint8Image([3, 15, 15]);
    const out = pre.forward({ inputs: [a, b] });
    const batch = out.inputs as Tensor;
    assert.deepEqual(batch.shape, [2, 3, 16, 16]);
    assert.equal(batch.dtype, 'float32');
    const o = { flip: true, mean: [127.5], std: [1, 2, 3], h: 16, w: 16, padValue: 10 };
    assertAllClose(values(batch.at(0)), expected(a.toArray() as Img, o), 1e-5, 'image 0');
    assertAllClose(values(batch.at(1)), expected(b.toArray() as Img, o), 1e-5, 'image 1');
    // by 6 for the first image, by 1 for the second
    assert.ok(values(batch.at(0, ':', '10:', ':')).every((v) => v === 10));
    assert.ok(values(batch.at(0, ':', ':', '10:')).every((v) => v === 10));
    assert.ok(values(batch.at(1, ':', '15:', ':')).every((v) => v === 10));
    assert.equal(out.dataSamples, null);
  });

  test('list path without mean and std: the flipped images padded with 10, still floating point', () => {
    const pre = new ImgDataPreprocessor({ padSizeDivisor: 16, padValue: 10, rgbToBgr: true });
    const a = uint8Image([3, 10, 10]);
    const b = uint8Image([3, 15, 15]);
    const batch = pre.forward({ inputs: [a, b] }).inputs as Tensor;
    assert.equal(batch.dtype, 'float32');
    assertAllClose(
      values(batch.at(0)),
      expected(a.toArray() as Img, { flip: true, h: 16, w: 16, padValue: 10 }),
      0,
      'image 0',
    );
    assertAllClose(
      values(batch.at(1)),
      expected(b.toArray() as Img, { flip: true, h: 16, w: 16, padValue: 10 }),
      0,
      'image 1',
    );
  });

  test('list path: with 3 mean values, a 2-D image is an error', () => {
    const pre = new ImgDataPreprocessor({ mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] });
    assert.throws(
      () => pre.forward({ inputs: [torch.ones([10, 10]), torch.ones([10, 10])] }),
      /If the mean has 3 values, the input tensor should in shape of \(3, H, W\), but got the tensor with shape \[10, 10\]/,
    );
  });

  test('stacked path: (2,3,10,10), rgbToBgr, mean=std=127.5, divisor 16 -> (flip(x) - 127.5) / 127.5 padded with 0', () => {
    const pre = new ImgDataPreprocessor({ mean: [127.5], std: [127.5], padSizeDivisor: 16, rgbToBgr: true });
    const x = uint8Image([2, 3, 10, 10]);
    const batch = pre.forward({ inputs: x }).inputs as Tensor;
    assert.deepEqual(batch.shape, [2, 3, 16, 16]);
    const imgs = x.toArray() as Img[];
    const o = { flip: true, mean: [127.5], std: [127.5], h: 16, w: 16, padValue: 0 };
    assertAllClose(values(batch.at(0)), expected(imgs[0] as Img, o), 1e-6, 'image 0');
    assertAllClose(values(batch.at(1)), expected(imgs[1] as Img, o), 1e-6, 'image 1');
  });

  test('stacked path, no flip, no divisor: (x - 127.5) / 127.5, shape kept', () => {
    const pre = new ImgDataPreprocessor({ mean: [127.5], std: [127.5] });
    const x = uint8Image([2, 3, 10, 10]);
    const batch = pre.forward({ inputs: x }).inputs as Tensor;
    assert.deepEqual(batch.shape, [2, 3, 10, 10]);
    const imgs = x.toArray() as Img[];
    const o = { mean: [127.5], std: [127.5], h: 10, w: 10 };
    assertAllClose(values(batch.at(1)), expected(imgs[1] as Img, o), 1e-6);
  });

  test('stacked path: a tensor that is not 4-D is an error', () => {
    assert.throws(
      () => new ImgDataPreprocessor().forward({ inputs: torch.zeros([3, 10, 10]) }),
      /The input of `ImgDataPreprocessor` should be a NCHW tensor or a list of tensor, but got a tensor with shape: \[3, 10, 10\]/,
    );
  });

  test('divisor 1: (3,10,10) and (3,15,15) -> (2,3,15,15); the singular `dataSample` key passes through, dataSamples is added as null', () => {
    const pre = new ImgDataPreprocessor({ mean: [127.5], std: [1, 2, 3] });
    const out = pre.forward({ inputs: [uint8Image([3, 10, 10]), uint8Image([3, 15, 15])], dataSample: null });
    assert.deepEqual((out.inputs as Tensor).shape, [2, 3, 15, 15]);
    assert.equal(out.dataSample, null);
    assert.ok('dataSamples' in out);
    assert.equal(out.dataSamples, null);
  });

  test('an existing dataSamples value is left alone; other keys pass through after casting', () => {
    const samples = [{ label: 1 }, { label: 2 }];
    const extra = torch.tensor([7]);
    const out = new ImgDataPreprocessor().forward({
      inputs: uint8Image([2, 3, 4, 4]),
      dataSamples: samples,
      extra,
      tag: 'x',
    });
    assert.deepEqual(Object.keys(out), ['inputs', 'dataSamples', 'extra', 'tag']);
    assert.deepEqual(out.dataSamples, samples);
    assert.equal(out.extra, extra);
    assert.equal(out.tag, 'x');
  });

  test('inputs that are neither a tensor nor an array of tensors are a TypeError; so is a non-object batch', () => {
    const pre = new ImgDataPreprocessor();
    assert.throws(
      () => pre.forward({ inputs: 'abc' }),
      (e: Error) =>
        e instanceof TypeError &&
        /Output of `cast_data` should be a dict of list\/tuple with inputs and data_samples/.test(e.message),
    );
    assert.throws(() => pre.forward({ inputs: [torch.zeros([3, 2, 2]), 1] }), TypeError);
    assert.throws(() => pre.forward([torch.zeros([1, 3, 2, 2])]), TypeError);
  });

  test('the channel flip happens before the float conversion and needs 3 channels', () => {
    const pre = new ImgDataPreprocessor({ bgrToRgb: true });
    assert.throws(() => pre.forward({ inputs: [uint8Image([1, 4, 4])] }));
    const x = torch.tensor([[[[1]], [[2]], [[3]]]], { dtype: 'uint8' });
    assert.deepEqual((pre.forward({ inputs: x }).inputs as Tensor).toArray(), [[[[3]], [[2]], [[1]]]]);
  });

  test('mean/std follow a dtype move (as module buffers do)', () => {
    const pre = new ImgDataPreprocessor({ mean: [1], std: [2] }).to('float64');
    assert.equal(pre.mean?.dtype, 'float64');
    const out = pre.forward({ inputs: torch.full([1, 1, 1, 1], 5, { dtype: 'uint8' }) }).inputs as Tensor;
    assert.equal(out.item(), 2);
  });
});

describe('stackBatch', () => {
  test('input checks', () => {
    assert.throws(
      () => stackBatch('x' as never),
      (e: Error) => e instanceof TypeError && /Expected input type to be list, but got string/.test(e.message),
    );
    assert.throws(() => stackBatch([]), /`tensor_list` could not be an empty list/);
    assert.throws(
      () => stackBatch([torch.zeros([3, 2, 2]), torch.zeros([2, 2])]),
      /Expected the dimensions of all tensors must be the same, but got \[3, 2\]/,
    );
    // The defaulted arguments go in an options object (api-conventions), not positionally.
    assert.throws(() => stackBatch([torch.zeros([1, 2])], 4 as never), {
      name: 'TypeError',
      message: /stackBatch: options must be an object \(\{padSizeDivisor, padValue\}\), got 4/,
    });
  });

  test('no padding needed: a plain stack', () => {
    const a = torch.rand([3, 4, 5]);
    const b = torch.rand([3, 4, 5]);
    const s = stackBatch([a, b]);
    assert.deepEqual(s.shape, [2, 3, 4, 5]);
    assert.ok(s.at(1).equal(b));
  });

  test('pads every dimension but the first, at the end only, to the max rounded up to the divisor', () => {
    const a = torch.ones([2, 3, 5]);
    const b = torch.ones([2, 6, 2]);
    const s = stackBatch([a, b], { padSizeDivisor: 4, padValue: -1 });
    assert.deepEqual(s.shape, [2, 2, 8, 8]);
    assert.deepEqual(s.at(0, 0, 0).toArray(), [1, 1, 1, 1, 1, -1, -1, -1]);
    assert.deepEqual(s.at(0, 0, 3).toArray(), [-1, -1, -1, -1, -1, -1, -1, -1]);
    assert.deepEqual(s.at(1, 1, 5).toArray(), [1, 1, -1, -1, -1, -1, -1, -1]);
    assert.deepEqual(s.at(1, 1, 6).toArray(), [-1, -1, -1, -1, -1, -1, -1, -1]);
  });

  test('dimension 0 is never padded: a 2-D (H, W) batch is padded in W only; differing channels fail to stack', () => {
    const s = stackBatch([torch.ones([2, 3]), torch.ones([2, 5])], { padSizeDivisor: 4 });
    assert.deepEqual(s.shape, [2, 2, 8]);
    assert.throws(() => stackBatch([torch.ones([2, 3]), torch.ones([3, 3])]));
    assert.throws(() => stackBatch([torch.ones([1, 4, 4]), torch.ones([3, 4, 4])]));
  });
});

describe('batch augments in the preprocessor', () => {
  test('applied in order, in training only, after normalisation and padding', () => {
    const calls: { inputs: number[]; shape: number[]; dataSamples: unknown }[] = [];
    const add =
      (k: number) =>
      (inputs: Tensor, dataSamples: unknown): AugmentResult => {
        calls.push({ inputs: values(inputs), shape: inputs.shape, dataSamples });
        return { inputs: inputs.add(k), dataSamples: `${String(dataSamples)}+${k}` };
      };
    const pre = new ImgDataPreprocessor({
      mean: [1],
      std: [2],
      padSizeDivisor: 2,
      padValue: -9,
      batchAugments: [add(1), add(10)],
    });
    const x = torch.full([1, 1, 1, 1], 5, { dtype: 'uint8' });

    const evalOut = pre.forward({ inputs: x, dataSamples: 's' }, false);
    assert.equal(calls.length, 0);
    assert.deepEqual((evalOut.inputs as Tensor).toArray(), [
      [
        [
          [2, -9],
          [-9, -9],
        ],
      ],
    ]);

    const trainOut = pre.forward({ inputs: x, dataSamples: 's' }, true);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]?.inputs, [2, -9, -9, -9]);
    assert.deepEqual(calls[0]?.dataSamples, 's');
    assert.deepEqual(calls[1]?.inputs, [3, -8, -8, -8]);
    assert.deepEqual((trainOut.inputs as Tensor).toArray(), [
      [
        [
          [13, 2],
          [2, 2],
        ],
      ],
    ]);
    assert.equal(trainOut.dataSamples, 's+1+10');
  });

  test('an augment object with call() is accepted too, and sees dataSamples defaulted to null', () => {
    let seen: unknown = 'unset';
    const pre = new ImgDataPreprocessor({
      batchAugments: [
        {
          call: (inputs: Tensor, dataSamples: unknown) => {
            seen = dataSamples;
            return { inputs, dataSamples };
          },
        },
      ],
    });
    pre.forward({ inputs: uint8Image([1, 3, 2, 2]) }, true);
    assert.equal(seen, null);
  });
});

describe('on a GPU', { skip: !torch.cuda.isAvailable() && 'needs CUDA' }, () => {
  test('the uint8 batch crosses to the device and gives the CPU result', () => {
    const x = uint8Image([2, 3, 10, 10]);
    const options = {
      mean: [123.675, 116.28, 103.53],
      std: [58.395, 57.12, 57.375],
      padSizeDivisor: 16,
      bgrToRgb: true,
      nonBlocking: true,
    };
    const cpu = new ImgDataPreprocessor(options).forward({ inputs: x }).inputs as Tensor;
    const pre = new ImgDataPreprocessor(options).to('cuda');
    for (const inputs of [x, [x.at(0), x.at(1)]]) {
      const out = pre.forward({ inputs }).inputs as Tensor;
      assert.equal(out.device, 'cuda:0');
      assertAllClose(values(out.cpu()), values(cpu), 1e-5);
    }
  });
});
