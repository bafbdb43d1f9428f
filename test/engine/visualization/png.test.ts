// The PNG writer and the scalar plots, decoded back here with node:zlib: signature, IHDR, chunk
// CRCs, and the pixels (curves where the data put them, frames, labels).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inflateSync, crc32 as zlibCrc32 } from 'node:zlib';
import { Canvas, encodePng, plotScalars } from '../../../lib/engine/index.js';

const root = mkdtempSync(join(tmpdir(), 'torch-node-png-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Decoded {
  width: number;
  height: number;
  chunks: string[];
  rgb: Uint8Array;
  pixel(x: number, y: number): [number, number, number];
}

/** A PNG decoder for 8-bit RGB, any filter type, checking every chunk's CRC with zlib's crc32. */
function decodePng(file: Buffer): Decoded {
  assert.deepEqual([...file.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'signature');
  let off = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  while (off < file.length) {
    const len = file.readUInt32BE(off);
    const type = file.subarray(off + 4, off + 8).toString('latin1');
    const data = file.subarray(off + 8, off + 8 + len);
    assert.equal(file.readUInt32BE(off + 8 + len), zlibCrc32(file.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      assert.equal(len, 13);
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0], 'bit depth 8, RGB, deflate, filter 0, no interlace');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.equal(off, file.length);
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks[chunks.length - 1], 'IEND');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  assert.equal(raw.length, height * (stride + 1));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] as number;
      const a = i >= 3 ? (rgb[y * stride + i - 3] as number) : 0;
      const b = y > 0 ? (rgb[(y - 1) * stride + i] as number) : 0;
      const c = i >= 3 && y > 0 ? (rgb[(y - 1) * stride + i - 3] as number) : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, 'filter type');
      rgb[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return {
    width,
    height,
    chunks,
    rgb,
    pixel: (x, y) => [...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)] as [number, number, number],
  };
}

const same = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

describe('PNG encoder', () => {
  test('a tiny image round-trips exactly', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 250, 251, 252, 0, 0, 0]);
    const png = decodePng(encodePng(3, 2, rgb));
    assert.equal(png.width, 3);
    assert.equal(png.height, 2);
    assert.deepEqual(png.chunks, ['IHDR', 'IDAT', 'IEND']);
    assert.deepEqual([...png.rgb], [...rgb]);
    assert.throws(() => encodePng(2, 2, new Uint8Array(5)), /expected 12 bytes/);
  });

  test('canvas drawing: lines, rectangles and text land on the expected pixels', () => {
    const c = new Canvas(40, 20);
    c.line(2, 3, 12, 3, [255, 0, 0]);
    c.line(5, 5, 5, 9, [0, 0, 255], 3);
    c.fillRect(30, 10, 31, 11, [0, 255, 0]);
    c.text(14, 10, '1', [0, 0, 0]); // glyph '1': row 0 has one pixel at column 2
    const png = decodePng(c.toPng());
    for (let x = 2; x <= 12; x++) assert.deepEqual(png.pixel(x, 3), [255, 0, 0]);
    assert.deepEqual(png.pixel(13, 3), [255, 255, 255]);
    for (let y = 5; y <= 9; y++) for (const x of [4, 5, 6]) assert.deepEqual(png.pixel(x, y), [0, 0, 255]);
    assert.deepEqual(png.pixel(31, 11), [0, 255, 0]);
    assert.deepEqual(png.pixel(16, 10), [0, 0, 0]);
    assert.deepEqual(png.pixel(14, 10), [255, 255, 255]);
    assert.deepEqual(png.pixel(15, 16), [0, 0, 0]); // the foot of the '1' (row 6: .###.)
  });
});

describe('plotScalars', () => {
  const scalars = join(root, 'scalars.json');
  const lines: string[] = [];
  for (let s = 0; s <= 100; s += 5) {
    const loss = s === 50 ? 'NaN' : String(1 - s / 100); // a NaN is skipped
    lines.push(
      `{"lr": 0.01, "data_time": 0.001, "loss": ${loss}, "time": 0.04, "epoch": 1, "iter": ${s}, "memory": 10, "step": ${s}}`,
    );
  }
  lines.push('{"accuracy/top1": 50, "data_time": 0.001, "time": 0.02, "step": 1}');
  lines.push('{"accuracy/top1": 60, "data_time": 0.001, "time": 0.02, "step": 2}');
  lines.push('{"accuracy/top1": 80, "data_time": 0.001, "time": 0.02, "step": 3}');
  writeFileSync(scalars, `${lines.join('\n')}\n`);

  test('one panel per curve: losses, then metrics, then lr; bookkeeping keys left out', () => {
    const out = join(root, 'plot.png');
    const res = plotScalars(scalars, out);
    assert.deepEqual(
      res.panels.map((p) => p.key),
      ['loss', 'accuracy/top1', 'lr'],
    );
    const png = decodePng(readFileSync(out));
    assert.equal(png.width, 840);
    assert.equal(png.height, 520);
    assert.equal(res.width, 840);
    assert.equal(res.height, 520);

    const [loss, acc] = res.panels as [(typeof res.panels)[0], (typeof res.panels)[0]];
    // the frame is black, and there is text (tick labels) left of it and a title above it
    const { plot } = loss;
    for (let x = plot.x0; x <= plot.x1; x += 7) {
      assert.deepEqual(png.pixel(x, plot.y0), [0, 0, 0]);
      assert.deepEqual(png.pixel(x, plot.y1), [0, 0, 0]);
    }
    const dark = (x0: number, y0: number, x1: number, y1: number) => {
      let n = 0;
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (png.pixel(x, y).every((v) => v < 100)) n++;
      return n;
    };
    assert.ok(dark(0, plot.y0, plot.x0 - 6, plot.y1) > 30, 'y tick labels');
    assert.ok(dark(plot.x0, plot.y1 + 6, plot.x1, plot.y1 + 16) > 30, 'x tick labels');
    assert.ok(dark(plot.x0, 0, plot.x1, plot.y0 - 3) > 30, 'title');

    // the loss curve: its pixels lie inside the frame, span it, and go down from left to right
    const columns = new Map<number, number[]>();
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < 420; x++) {
        if (!same(png.pixel(x, y), loss.color)) continue;
        assert.ok(
          x > plot.x0 && x < plot.x1 && y > plot.y0 && y < plot.y1,
          `curve pixel (${x}, ${y}) outside the frame`,
        );
        let col = columns.get(x);
        if (!col) columns.set(x, (col = []));
        col.push(y);
      }
    }
    const xs = [...columns.keys()].sort((a, b) => a - b);
    assert.ok(
      (xs[xs.length - 1] as number) - (xs[0] as number) > 0.9 * (plot.x1 - plot.x0),
      'the curve spans the x axis',
    );
    const meanY = xs.map((x) => {
      const ys = columns.get(x) as number[];
      return ys.reduce((a, b) => a + b, 0) / ys.length;
    });
    for (let i = 1; i < meanY.length; i++)
      assert.ok((meanY[i] as number) >= (meanY[i - 1] as number) - 1, 'loss decreases');
    assert.ok(
      (meanY[meanY.length - 1] as number) - (meanY[0] as number) > 0.85 * (plot.y1 - plot.y0),
      'the curve spans the y axis',
    );
    // a straight line: the curve's middle column sits midway between its ends
    const mid = Math.round(((xs[0] as number) + (xs[xs.length - 1] as number)) / 2);
    const midY = meanY[xs.indexOf(mid)] as number;
    assert.ok(Math.abs(midY - ((meanY[0] as number) + (meanY[meanY.length - 1] as number)) / 2) <= 2);
    // each data point is drawn where the panel maps it
    for (let s = 0; s <= 100; s += 5) {
      if (s === 50) continue;
      const [px, py] = loss.toPixel(s, 1 - s / 100);
      assert.ok(same(png.pixel(Math.round(px), Math.round(py)), loss.color), `loss point at step ${s}`);
    }

    // accuracy: three markers at evenly spaced x, with y differences in ratio 10 : 20
    const centres = [1, 2, 3].map(
      (s, i) => acc.toPixel(s, [50, 60, 80][i] as number).map(Math.round) as [number, number],
    );
    for (const [x, y] of centres) {
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) assert.ok(same(png.pixel(x + dx, y + dy), acc.color), 'marker');
    }
    const [c1, c2, c3] = centres as [[number, number], [number, number], [number, number]];
    assert.ok(Math.abs(c2[0] - c1[0] - (c3[0] - c2[0])) <= 1);
    assert.ok(c1[1] > c2[1] && c2[1] > c3[1], 'accuracy goes up');
    assert.ok(Math.abs((c2[1] - c3[1]) / (c1[1] - c2[1]) - 2) < 0.1);
    assert.ok(c1[0] > 420 && c1[0] < 840);
  });

  test('keys can be chosen; an empty file gives a small notice image', () => {
    const res = plotScalars(scalars, join(root, 'acc.png'), { keys: ['accuracy/top1'] });
    assert.deepEqual(
      res.panels.map((p) => p.key),
      ['accuracy/top1'],
    );
    assert.equal(decodePng(readFileSync(join(root, 'acc.png'))).width, 420);
    const empty = join(root, 'empty.json');
    writeFileSync(empty, '');
    const r2 = plotScalars(empty, join(root, 'empty.png'));
    assert.deepEqual(r2.panels, []);
    const png = decodePng(readFileSync(join(root, 'empty.png')));
    assert.equal(png.height, 60);
    assert.ok(
      [...png.rgb].some((v) => v < 100),
      'the notice is drawn',
    );
  });
});
