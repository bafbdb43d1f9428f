// torch.save / torch.load and safetensors round trips within torch-node: every dtype, 0-d and
// empty tensors, non-contiguous views, nested objects, and what the mapping of JavaScript
// values to Python's promises (see lib/torch/serialization/pt.ts). Python parity is in
// python.test.ts; damaged files and atomic writes in errors.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { saveTesting } from '../../lib/torch/serialization/pt.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-node-ser-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DTYPES: torch.DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
];

/** A 2x3 tensor of `dtype` with values exact in every dtype. */
function sample(dtype: torch.DType): torch.Tensor {
  if (dtype === 'bool')
    return torch.tensor([
      [true, false, true],
      [false, false, true],
    ]);
  const signed = dtype !== 'uint8';
  return torch.tensor(
    [
      [1, signed ? -2 : 2, 3],
      [0.5 * (dtype.startsWith('float') || dtype === 'bfloat16' ? 1 : 0), 100, signed ? -7 : 7],
    ],
    {
      dtype,
    },
  );
}

function sameTensor(a: unknown, b: torch.Tensor, what: string): void {
  assert.ok(a instanceof torch.Tensor, `${what} should be a Tensor`);
  assert.equal(a.dtype, b.dtype, `${what} dtype`);
  assert.deepEqual(a.shape, b.shape, `${what} shape`);
  assert.deepEqual(a.toArray(), b.toArray(), `${what} values`);
  assert.equal(a.device, 'cpu');
}

describe('save / load round trips', () => {
  test('every dtype, 0-d and empty tensors keep dtype, shape and values', () => {
    const obj: Record<string, torch.Tensor> = {};
    for (const d of DTYPES) {
      obj[d] = sample(d);
      obj[`${d}_scalar`] = torch.tensor(d === 'bool' ? true : 3, { dtype: d });
      obj[`${d}_empty`] = torch.zeros([0, 4], { dtype: d });
    }
    const p = join(dir, 'dtypes.pt');
    torch.save(obj, p);
    const back = torch.load(p) as Record<string, torch.Tensor>;
    assert.deepEqual(Object.keys(back), Object.keys(obj));
    for (const [k, v] of Object.entries(obj)) sameTensor(back[k], v, k);
    assert.deepEqual(back.float32_scalar?.shape, []);
  });

  test('int64 beyond 2^53 and float specials survive bit for bit', () => {
    const big = torch.tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 0n]));
    const specials = torch.tensor([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-40], { dtype: 'float32' });
    const p = join(dir, 'bits.pt');
    torch.save([big, specials], p);
    const [b, s] = torch.load(p) as torch.Tensor[];
    assert.deepEqual(b?.toTypedArray(), big.toTypedArray());
    assert.deepEqual(
      new Uint8Array(((s as torch.Tensor).toTypedArray() as Float32Array).buffer),
      new Uint8Array((specials.toTypedArray() as Float32Array).buffer),
    );
  });

  test('views are saved over their storage, as PyTorch saves them: strides kept, one storage shared', () => {
    const base = torch.arange(24, { dtype: 'float32' }).reshape([4, 6]);
    const views = {
      t: base.t(),
      slice: base.slice(1, 1, 6, 2),
      row: base.select(0, 2),
      narrow: base.narrow(0, 1, 2),
      expand: base.narrow(0, 0, 1).expand([3, 6]),
      permuted: base.reshape([2, 3, 4]).permute([2, 0, 1]),
    };
    const p = join(dir, 'views.pt');
    torch.save(views, p);
    const back = torch.load(p) as Record<string, torch.Tensor>;
    for (const [k, v] of Object.entries(views)) {
      sameTensor(back[k], v, k);
      assert.deepEqual(back[k]?.stride(), v.stride(), `${k} strides`);
    }
    // One storage in the file, shared again once loaded: a write through one view shows in the others.
    (back.row as torch.Tensor).fill_(-1);
    assert.deepEqual((back.t as torch.Tensor).select(1, 2).toArray(), [-1, -1, -1, -1, -1, -1]);
    assert.deepEqual((back.narrow as torch.Tensor).select(0, 1).toArray(), [-1, -1, -1, -1, -1, -1]);
  });

  test('tied weights (one tensor under two names, or two tensors over one storage) stay tied', () => {
    const emb = torch.randn([5, 3]);
    const p = join(dir, 'tied.pt');
    torch.save({ 'embed.weight': emb, 'head.weight': emb.detach(), 'other.weight': torch.randn([5, 3]) }, p);
    const back = torch.load(p) as Record<string, torch.Tensor>;
    sameTensor(back['head.weight'], emb, 'head');
    (back['embed.weight'] as torch.Tensor).mul_(2);
    assert.deepEqual((back['head.weight'] as torch.Tensor).toArray(), emb.mul(2).toArray());
    assert.notDeepEqual((back['other.weight'] as torch.Tensor).toArray(), emb.mul(2).toArray());
  });

  test('memory viewed as two dtypes, and an empty tensor, are written as copies of their own', () => {
    // Two tensors over the same bytes (fromBuffer of one buffer), as uint8 and as int16.
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).set([1, 0, 2, 0, 3, 0, 4, 1]);
    const bytes = torch.fromBuffer(new Uint8Array(buffer));
    const shorts = torch.fromBuffer(new Int16Array(buffer));
    const empty = torch.zeros([0, 3]);
    const p = join(dir, 'mixed.pt');
    torch.save({ bytes, shorts, empty }, p);
    const back = torch.load(p) as Record<string, torch.Tensor>;
    assert.deepEqual(back.bytes?.toArray(), [1, 0, 2, 0, 3, 0, 4, 1]);
    assert.deepEqual(back.shorts?.toArray(), [1, 2, 3, 260]);
    assert.deepEqual(back.empty?.shape, [0, 3]);
  });

  test('requiresGrad is kept; the same tensor twice loads as one tensor', () => {
    const w = torch.ones([2]).requiresGrad_();
    const p = join(dir, 'grad.pt');
    torch.save({ a: w, b: w, c: torch.zeros([1]) }, p);
    const back = torch.load(p) as Record<string, torch.Tensor>;
    assert.equal(back.a?.requiresGrad, true);
    assert.equal(back.a?.isLeaf, true);
    assert.equal(back.c?.requiresGrad, false);
    assert.equal(back.a, back.b, 'one tensor, as in Python');
  });

  test('nested objects, arrays, numbers, strings, booleans, null, bigints, Sets and bytes', () => {
    const obj = {
      epoch: 3,
      lr: 0.001,
      name: 'résumé ✓',
      flags: [true, false, null],
      nested: { list: [1, [2, { x: torch.tensor([1.5]) }]], empty: {}, emptyList: [] },
      big: 2n ** 80n,
      negBig: -(2n ** 70n),
      negative: -123456789,
      huge: 1e300,
      set: new Set(['a', 'b']),
      bytes: new Uint8Array([0, 1, 255]),
      '0': 'an int key',
      __proto__x: 'not a prototype',
    };
    const p = join(dir, 'nested.pt');
    torch.save(obj, p);
    const back = torch.load(p) as typeof obj;
    const { nested, ...rest } = back;
    const { nested: n0, ...rest0 } = obj;
    assert.deepEqual(rest, rest0);
    assert.deepEqual(nested.list[0], 1);
    sameTensor(
      (nested.list[1] as [number, { x: torch.Tensor }])[1].x,
      (n0.list[1] as [number, { x: torch.Tensor }])[1].x,
      'x',
    );
    assert.deepEqual(nested.empty, {});
    assert.deepEqual(nested.emptyList, []);
  });

  test('a key named __proto__ is data, never a prototype', () => {
    const obj = JSON.parse('{"__proto__": {"polluted": 1}, "ok": 2}');
    const p = join(dir, 'proto.pt');
    torch.save(obj, p);
    const back = torch.load(p) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ['__proto__', 'ok']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('shared and cyclic structure is kept', () => {
    const shared = { v: 1 };
    const list: unknown[] = [shared, shared];
    list.push(list);
    const p = join(dir, 'cycle.pt');
    torch.save(list, p);
    const back = torch.load(p) as unknown[];
    assert.equal(back[0], back[1]);
    assert.equal(back[2], back);
  });

  test('values with no checkpoint form are a TypeError naming where they are', () => {
    const p = join(dir, 'bad.pt');
    assert.throws(
      () => torch.save({ a: [1, () => 0] }, p),
      (e: Error) => e instanceof TypeError && /a\[1\] is a function/.test(e.message),
    );
    assert.throws(() => torch.save({ m: new Map() }, p), /\.m is an object of class Map/);
    assert.throws(() => torch.save({ f: new Float32Array(2) }, p), /torch\.tensor/);
    const t = torch.ones([1]);
    t.dispose();
    assert.throws(() => torch.save({ t }, p), /disposed/);
  });

  test('mapLocation cpu; loaded tensors belong to the enclosing scope', () => {
    const p = join(dir, 'scope.pt');
    torch.save({ a: torch.ones([3]) }, p);
    let kept: torch.Tensor | undefined;
    let dropped: torch.Tensor | undefined;
    torch.scope(() => {
      const sd = torch.load(p, { mapLocation: 'cpu' }) as Record<string, torch.Tensor>;
      dropped = sd.a;
      kept = (torch.load(p) as Record<string, torch.Tensor>).a?.keep();
    });
    assert.equal(dropped?.isDisposed, true);
    assert.equal(kept?.isDisposed, false);
    assert.deepEqual(kept?.toArray(), [1, 1, 1]);
  });

  test('CUDA tensors save with their device as location and load there, or on mapLocation', {
    skip: torch.cuda.isAvailable() ? false : 'CUDA is not available',
  }, () => {
    const p = join(dir, 'cuda.pt');
    const w = sample('float32').cuda();
    torch.save({ w, t: w.t() }, p);
    assert.ok(readFileSync(p).includes('cuda:0'), 'the storage location is the device');
    const back = torch.load(p) as Record<string, torch.Tensor>;
    assert.deepEqual([back.w?.device, back.t?.device], ['cuda:0', 'cuda:0'], 'restored to the recorded location');
    const cpu = torch.load(p, { mapLocation: 'cpu' }) as Record<string, torch.Tensor>;
    sameTensor(cpu.w, sample('float32'), 'w');
    sameTensor(cpu.t, sample('float32').t(), 't');
    const gpu = torch.load(p, { mapLocation: 'cuda' }) as Record<string, torch.Tensor>;
    assert.ok(gpu.w?.isCuda);
    assert.deepEqual(gpu.t?.toArray(), sample('float32').t().toArray());
    torch.saveSafetensors({ w }, join(dir, 'cuda.safetensors'));
    const st = torch.loadSafetensors(join(dir, 'cuda.safetensors'), { device: 'cuda' });
    assert.ok(st.w?.isCuda);
    assert.deepEqual(st.w?.toArray(), sample('float32').toArray());
  });

  test('ZIP64 records (forced) are written and read', () => {
    const p = join(dir, 'zip64.pt');
    saveTesting.forceZip64 = true;
    try {
      torch.save({ w: sample('float32') }, p);
    } finally {
      saveTesting.forceZip64 = false;
    }
    const bytes = readFileSync(p);
    assert.ok(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'has a ZIP64 end record');
    sameTensor((torch.load(p) as Record<string, torch.Tensor>).w, sample('float32'), 'w');
  });

  test('the archive is laid out as PyTorch lays it out', () => {
    const p = join(dir, 'layout.model.pt');
    torch.save({ a: torch.ones([3]), b: torch.zeros([2], { dtype: 'int64' }) }, p);
    const bytes = readFileSync(p);
    // The sizes, from the central directory: as in PyTorch's files, the local headers leave
    // them (and the CRC) to a 16-byte data descriptor after each record's data.
    const sizes = new Map<string, number>();
    for (let e = bytes.readUInt32LE(bytes.length - 6), i = 0; i < bytes.readUInt16LE(bytes.length - 12); i++) {
      const nameLen = bytes.readUInt16LE(e + 28);
      sizes.set(bytes.toString('utf8', e + 46, e + 46 + nameLen), bytes.readUInt32LE(e + 24));
      e += 46 + nameLen + bytes.readUInt16LE(e + 30) + bytes.readUInt16LE(e + 32);
    }
    // Local headers in order, each record's data at a multiple of 64.
    const names: string[] = [];
    for (let at = 0; bytes.readUInt32LE(at) === 0x04034b50; ) {
      const nameLen = bytes.readUInt16LE(at + 26);
      const extraLen = bytes.readUInt16LE(at + 28);
      const name = bytes.toString('utf8', at + 30, at + 30 + nameLen);
      names.push(name);
      const data = at + 30 + nameLen + extraLen;
      assert.equal(data % 64, 0, `${name} is aligned`);
      at = data + (sizes.get(name) as number);
      assert.equal(bytes.readUInt32LE(at), 0x08074b50, `${name}: a data descriptor follows`);
      at += 16;
    }
    assert.deepEqual(names, [
      'layout.model/data.pkl',
      'layout.model/.format_version',
      'layout.model/.storage_alignment',
      'layout.model/byteorder',
      'layout.model/data/0',
      'layout.model/data/1',
      'layout.model/version',
      'layout.model/.data/serialization_id',
    ]);
  });

  test('object kinds: state dicts save as OrderedDicts, int keys of plain dicts as ints, and back', () => {
    // Checked at the pickle level: the GLOBAL collections.OrderedDict and BININT1 keys.
    const p = join(dir, 'kinds.pt');
    const sd = { 'layer.0.weight': torch.ones([1]) };
    torch.save({ sd, state: { 0: { step: 1 } } }, p);
    const pkl = readFileSync(p).toString('latin1');
    assert.equal(pkl.split('collections\nOrderedDict').length - 1, 1, 'one OrderedDict global (memoized)');
    const back = torch.load(p) as { sd: Record<string, torch.Tensor>; state: Record<string, unknown> };
    assert.deepEqual(Object.keys(back.state), ['0']);
    // Saving what was loaded keeps the kinds.
    const p2 = join(dir, 'kinds2.pt');
    torch.save(back, p2);
    assert.deepEqual(readFileSync(p2).includes('collections\nOrderedDict'), true);
  });
});

describe('safetensors round trips', () => {
  test('every dtype, 0-d, empty and non-contiguous tensors; metadata', () => {
    const tensors: Record<string, torch.Tensor> = {};
    for (const d of DTYPES) {
      tensors[d] = sample(d);
      tensors[`${d}.scalar`] = torch.tensor(d === 'bool' ? false : 5, { dtype: d });
      tensors[`${d}.empty`] = torch.zeros([2, 0], { dtype: d });
    }
    tensors.transposed = sample('float32').t();
    const p = join(dir, 'all.safetensors');
    torch.saveSafetensors(tensors, p, { format: 'pt', note: 'ünïcode' });
    const back = torch.loadSafetensors(p);
    assert.deepEqual(new Set(Object.keys(back)), new Set(Object.keys(tensors)));
    for (const [k, v] of Object.entries(tensors)) sameTensor(back[k], v, k);
    assert.deepEqual((back as unknown as { __metadata__: unknown }).__metadata__, { format: 'pt', note: 'ünïcode' });
    // No metadata: no __metadata__ property at all.
    torch.saveSafetensors({ a: torch.ones([1]) }, p);
    assert.equal(Object.getOwnPropertyDescriptor(torch.loadSafetensors(p), '__metadata__'), undefined);
    // The header is 8-aligned and the file ends with the data.
    const bytes = readFileSync(p);
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
    assert.equal(bytes.length, 8 + Number(bytes.readBigUInt64LE(0)) + 4);
  });

  test('arguments are checked', () => {
    const p = join(dir, 'bad.safetensors');
    assert.throws(() => torch.saveSafetensors({ a: 1 as unknown as torch.Tensor }, p), TypeError);
    assert.throws(() => torch.saveSafetensors({ a: torch.ones([1]) }, p, { k: 1 as unknown as string }), TypeError);
    assert.throws(() => torch.saveSafetensors({ __metadata__: torch.ones([1]) }, p), /reserved/);
  });
});
