// The file formats: IDX (MNIST / Fashion-MNIST, gzip or not), CIFAR-10 binary batches, PNG
// (decoded against files that Python writes with zlib, every filter type, gray/RGB/RGBA/palette),
// and the datasets over them. Where Debian's dataset-fashion-mnist is installed, its real files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  CIFAR10,
  DataLoader,
  decodePng,
  FASHION_MNIST_ROOT,
  FashionMNIST,
  ImageFolder,
  MNIST,
  readCifar10,
  readIdx,
  toCHW,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { collect } from './support.js';

type Tensor = torch.Tensor;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'torch-node-data-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An IDX file: header (0, 0, type, ndim), big-endian sizes, then the values big-endian. */
function idx(
  type: number,
  shape: number[],
  values: number[],
  size: number,
  write: (v: DataView, o: number, x: number) => void,
): Buffer {
  const head = 4 + 4 * shape.length;
  const buf = Buffer.alloc(head + values.length * size);
  buf[2] = type;
  buf[3] = shape.length;
  shape.forEach((s, i) => {
    buf.writeUInt32BE(s, 4 + 4 * i);
  });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  values.forEach((x, i) => {
    write(view, head + i * size, x);
  });
  return buf;
}
const u8 = (shape: number[], values: number[]) => idx(0x08, shape, values, 1, (v, o, x) => v.setUint8(o, x));

describe('IDX', () => {
  test('uint8 images and labels, plain and gzip', () => {
    const images = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const plainFile = u8([2, 3, 4], images);
    const a = readIdx(plainFile);
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(Array.from(a.data as Uint8Array), images);
    const b = readIdx(gzipSync(plainFile));
    assert.deepEqual(Array.from(b.data as Uint8Array), images);
    const shared = readIdx(plainFile, { shared: true });
    assert.ok(shared.data.buffer instanceof SharedArrayBuffer);
  });

  test('big-endian int32, int16 and float32 values', () => {
    const i32 = readIdx(idx(0x0c, [3], [1, -2, 70000], 4, (v, o, x) => v.setInt32(o, x)));
    assert.equal(i32.dtype, 'int32');
    assert.deepEqual(Array.from(i32.data as Int32Array), [1, -2, 70000]);
    const i16 = readIdx(idx(0x0b, [2], [-300, 5], 2, (v, o, x) => v.setInt16(o, x)));
    assert.deepEqual(Array.from(i16.data as Int32Array), [-300, 5]);
    const f32 = readIdx(idx(0x0d, [2, 1], [1.5, -0.25], 4, (v, o, x) => v.setFloat32(o, x)));
    assert.deepEqual(f32.shape, [2, 1]);
    assert.deepEqual(Array.from(f32.data as Int32Array), [1.5, -0.25]);
  });

  test('bad files fail clearly', () => {
    assert.throws(() => readIdx(Buffer.from([1, 2, 3, 4])), /not an IDX file/);
    assert.throws(() => readIdx(Buffer.from([0, 0, 0x42, 1, 0, 0, 0, 1, 0])), /unknown IDX data type 0x42/);
    assert.throws(() => readIdx(u8([2, 2], [1, 2, 3, 4]).subarray(0, 14)), /expected 4 bytes of data/);
    // A damaged gzip file names itself.
    const gz = gzipSync(u8([2, 2], [1, 2, 3, 4]));
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(path, gz.subarray(0, gz.length - 6));
    assert.throws(() => readIdx(path), /readIdx: .*train-images-idx3-ubyte\.gz is not a readable gzip file/);
  });

  test('MNIST from a folder of IDX files (train gzip, test plain); samples (1, H, W) uint8', async () => {
    const root = join(dir, 'mnist');
    mkdirSync(root);
    const train = Array.from({ length: 3 * 2 * 2 }, (_, i) => i);
    writeFileSync(join(root, 'train-images-idx3-ubyte.gz'), gzipSync(u8([3, 2, 2], train)));
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(u8([3], [7, 0, 9])));
    writeFileSync(join(root, 't10k-images-idx3-ubyte'), u8([1, 2, 2], [255, 254, 253, 252]));
    writeFileSync(join(root, 't10k-labels-idx1-ubyte'), u8([1], [4]));
    const ds = new MNIST({ root });
    assert.equal(ds.length, 3);
    torch.scope(() => {
      const s = ds.get(1) as { img: Tensor; label: number };
      assert.deepEqual(s.img.shape, [1, 2, 2]);
      assert.equal(s.img.dtype, 'uint8');
      assert.deepEqual(s.img.flatten().toArray(), [4, 5, 6, 7]);
      assert.equal(s.label, 0);
      assert.equal((ds.get(-1) as { label: number }).label, 9, 'negative indices count from the end');
    });
    assert.throws(() => ds.get(3), /out of range/);
    const test_ = new MNIST({ root, split: 'test', format: 'tuple' });
    torch.scope(() => {
      const [img, label] = test_.get(0) as [Tensor, number];
      assert.deepEqual(img.flatten().toArray(), [255, 254, 253, 252]);
      assert.equal(label, 4);
    });
    const batches = (await collect(
      new DataLoader({ dataset: new MNIST({ root, format: 'packed' }), batchSize: 3 }),
    )) as {
      inputs: { shape: number[]; dtype: string };
      dataSamples: { values: number[]; dtype: string };
    }[];
    assert.deepEqual(batches[0]?.inputs.shape, [3, 1, 2, 2]);
    assert.equal(batches[0]?.inputs.dtype, 'uint8');
    assert.deepEqual(batches[0]?.dataSamples.values, [7, 0, 9]);
    assert.equal(batches[0]?.dataSamples.dtype, 'int64');
    assert.throws(() => new MNIST({ root: join(dir, 'nowhere') }), /cannot find train-images-idx3-ubyte\(\.gz\)/);
  });

  test('Fashion-MNIST as Debian installs it: 60000x28x28 and 10000x28x28', {
    skip: existsSync(FASHION_MNIST_ROOT)
      ? false
      : `${FASHION_MNIST_ROOT} is absent (apt-get install dataset-fashion-mnist)`,
  }, () => {
    const train = new FashionMNIST();
    assert.equal(train.root, FASHION_MNIST_ROOT);
    assert.equal(train.length, 60000);
    assert.equal(train.classes[9], 'Ankle boot');
    const [i0, l0] = [train.raw.image(0).img, train.label(0)];
    assert.deepEqual(i0.shape, [1, 28, 28]);
    assert.equal(l0, 9, 'the first training image is an ankle boot');
    const counts = new Array(10).fill(0);
    for (let i = 0; i < train.length; i++) counts[train.label(i)]++;
    assert.deepEqual(counts, new Array(10).fill(6000));
    const test_ = new FashionMNIST({ split: 'test' });
    assert.equal(test_.length, 10000);
    assert.deepEqual(
      [0, 1, 2].map((i) => test_.label(i)),
      [9, 2, 1],
    );
  });
});

describe('CIFAR-10 binary', () => {
  const record = (label: number, seed: number): Buffer => {
    const b = Buffer.alloc(3073);
    b[0] = label;
    for (let i = 0; i < 3072; i++) b[1 + i] = (i * 7 + seed * 13) & 255;
    return b;
  };

  test('records of 1 label byte + 3072 bytes: (3, 32, 32) in R, G, B planes', () => {
    const file = Buffer.concat([record(3, 0), record(8, 1)]);
    const { images, labels } = readCifar10([file]);
    assert.deepEqual(images.shape, [2, 3, 32, 32]);
    assert.deepEqual(Array.from(labels.data), [3, 8]);
    assert.equal(images.data[3072 + 1024 + 5], record(8, 1)[1 + 1024 + 5], 'channel 1 of image 1');
    assert.throws(() => readCifar10([Buffer.alloc(3000)]), /not a multiple of 3073/);
  });

  test('CIFAR10 reads the five training batches in order, and the test batch', () => {
    const root = join(dir, 'cifar', 'cifar-10-batches-bin');
    mkdirSync(root, { recursive: true });
    for (let k = 1; k <= 5; k++)
      writeFileSync(join(root, `data_batch_${k}.bin`), Buffer.concat([record(k, k), record(k + 1, k + 10)]));
    writeFileSync(join(root, 'test_batch.bin'), record(0, 99));
    const train = new CIFAR10({ root: join(dir, 'cifar') });
    assert.equal(train.length, 10);
    assert.deepEqual(
      Array.from({ length: 10 }, (_, i) => train.label(i)),
      [1, 2, 2, 3, 3, 4, 4, 5, 5, 6],
    );
    torch.scope(() => {
      const s = train.get(9) as { img: Tensor; label: number };
      assert.deepEqual(s.img.shape, [3, 32, 32]);
      assert.deepEqual(Array.from(s.img.flatten().toTypedArray() as Uint8Array), Array.from(record(6, 15).subarray(1)));
    });
    const test_ = new CIFAR10({ root, split: 'test' });
    assert.equal(test_.length, 1);
    assert.equal(test_.classes[0], 'airplane');
  });
});

describe('PNG', { skip: skipWithoutPython() }, () => {
  // Python writes the PNGs by hand (struct + zlib), cycling the row filters 0-4, with the IDAT
  // split in two chunks and an ancillary tEXt chunk; it returns the pixels it encoded.
  const WRITER = `
import struct, zlib, os
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
def filt(ft, row, prev, bpp):
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i-bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i-bpp] if (prev is not None and i >= bpp) else 0
        if ft == 0: p = 0
        elif ft == 1: p = a
        elif ft == 2: p = b
        elif ft == 3: p = (a + b) // 2
        else:
            q = a + b - c; pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
            p = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
        out[i] = (row[i] - p) & 255
    return bytes(out)
def png(path, w, h, ct, px, extra=b''):
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
    rows = [bytes(px[y*w*ch:(y+1)*w*ch]) for y in range(h)]
    raw = b''.join(bytes([y % 5]) + filt(y % 5, rows[y], rows[y-1] if y else None, ch) for y in range(h))
    z = zlib.compress(raw, 9); half = len(z) // 2
    data = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ct, 0, 0, 0)) + extra
    data += chunk(b'tEXt', b'Comment\\x00made by the test') + chunk(b'IDAT', z[:half]) + chunk(b'IDAT', z[half:]) + chunk(b'IEND', b'')
    open(path, 'wb').write(data)
out = {}
d = INPUT['dir']
w, h = 7, 6
for name, ct in [('gray', 0), ('rgb', 2), ('graya', 4), ('rgba', 6)]:
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ct]
    px = [(x * 37 + y * 101 + c * 59 + (x * y * 13) % 7) % 256 for y in range(h) for x in range(w) for c in range(ch)]
    png(os.path.join(d, name + '.png'), w, h, ct, px)
    out[name] = px
pal = bytes([10, 20, 30, 200, 100, 0, 0, 255, 128])
idx = [(x + y) % 3 for y in range(h) for x in range(w)]
png(os.path.join(d, 'pal.png'), w, h, 3, idx, chunk(b'PLTE', pal) + chunk(b'tRNS', bytes([255, 0])))
out['pal'] = [v for i in idx for v in (list(pal[i*3:i*3+3]) + [[255, 0, 255][i]])]
os.makedirs(os.path.join(d, 'folder', 'cat'), exist_ok=True)
os.makedirs(os.path.join(d, 'folder', 'ant', 'sub'), exist_ok=True)
png(os.path.join(d, 'folder', 'cat', 'b.png'), 2, 2, 2, [1,2,3, 4,5,6, 7,8,9, 10,11,12])
png(os.path.join(d, 'folder', 'cat', 'a.png'), 2, 2, 0, [50, 60, 70, 80])
png(os.path.join(d, 'folder', 'ant', 'sub', 'c.png'), 2, 2, 6, [255,0,0,9, 0,255,0,9, 0,0,255,9, 255,255,255,0])
open(os.path.join(d, 'folder', 'ant', 'notes.txt'), 'w').write('not an image')
OUTPUT = out
`;
  let expected: Record<string, number[]>;
  let pngDir: string;
  before(() => {
    pngDir = join(dir, 'png');
    mkdirSync(pngDir);
    expected = runPython<Record<string, number[]>>(WRITER, { dir: pngDir });
  });

  test('gray, RGB, gray+alpha, RGBA and palette (with tRNS) decode to the encoded pixels', () => {
    for (const [name, channels] of [
      ['gray', 1],
      ['rgb', 3],
      ['graya', 2],
      ['rgba', 4],
      ['pal', 4],
    ] as const) {
      const img = decodePng(readFileSync(join(pngDir, `${name}.png`)), name);
      assert.equal(img.width, 7, name);
      assert.equal(img.height, 6, name);
      assert.equal(img.channels, channels, name);
      assert.deepEqual(Array.from(img.data), expected[name], name);
    }
  });

  test('toCHW converts channels as PIL does', () => {
    const rgb = decodePng(readFileSync(join(pngDir, 'rgb.png')));
    const chw = toCHW(rgb);
    assert.deepEqual(chw.shape, [3, 6, 7]);
    const px = expected.rgb as number[];
    assert.equal(chw.data[0 * 42 + 8], px[8 * 3]);
    assert.equal(chw.data[2 * 42 + 8], px[8 * 3 + 2]);
    const gray = toCHW(rgb, 1);
    const [r, g, b] = [px[0] as number, px[1] as number, px[2] as number];
    assert.equal(gray.data[0], (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    const fromGray = toCHW(decodePng(readFileSync(join(pngDir, 'gray.png'))), 3);
    assert.equal(fromGray.data[5], fromGray.data[42 + 5]);
    const rgbaToRgb = toCHW(decodePng(readFileSync(join(pngDir, 'rgba.png'))), 3);
    assert.deepEqual(rgbaToRgb.shape, [3, 6, 7]);
    assert.equal(rgbaToRgb.data[42], (expected.rgba as number[])[1], 'alpha dropped');
  });

  test('corrupt and unsupported files fail clearly', () => {
    const good = readFileSync(join(pngDir, 'gray.png'));
    const bad = Buffer.from(good);
    bad[40] = (bad[40] as number) ^ 0xff;
    assert.throws(() => decodePng(bad, 'bad.png'), /bad\.png: CRC mismatch/);
    assert.throws(() => decodePng(Buffer.from('GIF89a........')), /not a PNG file/);
    const deep = Buffer.from(good);
    deep[24] = 16; // bit depth in IHDR
    // Fix the IHDR CRC so that the depth is what fails.
    const crc = runPython<number>(
      'import zlib; OUTPUT = zlib.crc32(bytes(INPUT)) & 0xffffffff',
      Array.from(deep.subarray(12, 29)),
    );
    deep.writeUInt32BE(crc, 29);
    assert.throws(() => decodePng(deep), /bit depth 16 is not supported/);
  });

  test('ImageFolder: sorted class folders, sorted files (subfolders too), PNG only, RGB by default', async () => {
    const ds = new ImageFolder({ root: join(pngDir, 'folder') });
    assert.deepEqual(ds.classes, ['ant', 'cat']);
    assert.deepEqual(ds.classToIdx, { ant: 0, cat: 1 });
    assert.deepEqual(
      ds.samples.map(([p, l]) => [p.slice(pngDir.length + 8), l]),
      [
        ['ant/sub/c.png', 0],
        ['cat/a.png', 1],
        ['cat/b.png', 1],
      ],
    );
    const [batch] = (await collect(new DataLoader({ dataset: ds, batchSize: 3 }))) as {
      img: { shape: number[]; values: number[] };
      label: { values: number[] };
    }[];
    assert.deepEqual(batch?.img.shape, [3, 3, 2, 2]);
    assert.deepEqual(batch?.label.values, [0, 1, 1]);
    // cat/a.png is gray 50,60,70,80: repeated in R, G and B.
    assert.deepEqual(batch?.img.values.slice(12, 24), [50, 60, 70, 80, 50, 60, 70, 80, 50, 60, 70, 80]);
    // cat/b.png is RGB: planes R, G, B.
    assert.deepEqual(batch?.img.values.slice(24, 36), [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
    const gray = new ImageFolder({ root: join(pngDir, 'folder'), channels: 1 });
    torch.scope(() => {
      const s = gray.get(1) as { img: Tensor };
      assert.deepEqual(s.img.shape, [1, 2, 2]);
      assert.deepEqual(s.img.flatten().toArray(), [50, 60, 70, 80]);
    });
    assert.throws(() => new ImageFolder({ root: join(pngDir, 'nowhere') }), /does not exist/);
  });
});
