// TensorBoard event files, read back by a reader written here from the format's description
// (bitwise CRC-32C, a generic protobuf wire decoder), and by an independent Python reader
// (standard library only) when python3 is there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  crc32c,
  encodeEvent,
  getLogger,
  Logger,
  maskedCrc32c,
  setLogger,
  TensorboardVisBackend,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const root = mkdtempSync(join(tmpdir(), 'torch-node-tb-'));
after(() => rmSync(root, { recursive: true, force: true }));

// ---- an independent reader

/** CRC-32C, bit by bit (no table). */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;

function readRecords(file: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let off = 0;
  while (off < file.length) {
    assert.ok(off + 12 <= file.length, 'truncated record header');
    const len = Number(file.readBigUInt64LE(off));
    assert.equal(file.readUInt32LE(off + 8), mask(crc32cBitwise(file.subarray(off, off + 8))), 'length CRC');
    const data = file.subarray(off + 12, off + 12 + len);
    assert.equal(data.length, len, 'truncated record');
    assert.equal(file.readUInt32LE(off + 12 + len), mask(crc32cBitwise(data)), 'data CRC');
    records.push(data);
    off += 16 + len;
  }
  return records;
}

type Field = { field: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos.i++];
    assert.ok(b !== undefined, 'truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function decodeMessage(buf: Buffer): Field[] {
  const fields: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: readVarint(buf, pos) });
    else if (wire === 1) {
      fields.push({ field, wire, value: buf.subarray(pos.i, pos.i + 8) });
      pos.i += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      fields.push({ field, wire, value: buf.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (wire === 5) {
      fields.push({ field, wire, value: buf.subarray(pos.i, pos.i + 4) });
      pos.i += 4;
    } else assert.fail(`unexpected wire type ${wire}`);
  }
  assert.equal(pos.i, buf.length);
  return fields;
}

interface Event {
  wallTime: number;
  step: bigint;
  fileVersion?: string;
  values: { tag: string; simpleValue: number }[];
}

function decodeEvent(buf: Buffer): Event {
  const ev: Event = { wallTime: Number.NaN, step: 0n, values: [] };
  for (const f of decodeMessage(buf)) {
    if (f.field === 1 && f.wire === 1) ev.wallTime = (f.value as Buffer).readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) ev.step = BigInt.asIntN(64, f.value as bigint);
    else if (f.field === 3 && f.wire === 2) ev.fileVersion = (f.value as Buffer).toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      for (const v of decodeMessage(f.value as Buffer)) {
        assert.equal(v.field, 1, 'Summary.value');
        let tag = '';
        let simpleValue = Number.NaN;
        for (const g of decodeMessage(v.value as Buffer)) {
          if (g.field === 1 && g.wire === 2) tag = (g.value as Buffer).toString('utf8');
          else if (g.field === 2 && g.wire === 5) simpleValue = (g.value as Buffer).readFloatLE(0);
          else assert.fail(`unexpected Summary.Value field ${g.field}`);
        }
        ev.values.push({ tag, simpleValue });
      }
    } else assert.fail(`unexpected Event field ${f.field}/${f.wire}`);
  }
  return ev;
}

const PY_READER = `
import struct, sys, json
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff
def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff
def varint(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if not x & 0x80: return r, i
def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i); f, w = k >> 3, k & 7
        if w == 0: v, i = varint(b, i)
        elif w == 1: v = b[i:i+8]; i += 8
        elif w == 2:
            n, i = varint(b, i); v = b[i:i+n]; i += n
        elif w == 5: v = b[i:i+4]; i += 4
        else: raise ValueError('wire type %d' % w)
        out.append((f, w, v))
    return out
data = open(sys.argv[1], 'rb').read()
i, events = 0, []
while i < len(data):
    (n,) = struct.unpack('<Q', data[i:i+8])
    assert struct.unpack('<I', data[i+8:i+12])[0] == masked(data[i:i+8])
    rec = data[i+12:i+12+n]
    assert struct.unpack('<I', data[i+12+n:i+16+n])[0] == masked(rec)
    i += 16 + n
    ev = {'step': 0, 'values': []}
    for f, w, v in fields(rec):
        if f == 1: ev['wall_time'] = struct.unpack('<d', v)[0]
        elif f == 2: ev['step'] = v - (1 << 64) if v >= 1 << 63 else v
        elif f == 3: ev['file_version'] = v.decode()
        elif f == 5:
            for _, _, val in fields(v):
                d = {g: x for g, _, x in fields(val)}
                ev['values'].append([d[1].decode(), struct.unpack('<f', d[2])[0]])
    events.append(ev)
print(json.dumps(events))
`;

describe('TensorBoard event files', () => {
  test('CRC-32C matches the standard check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    const bytes = Buffer.from('any bytes at all');
    assert.equal(crc32c(bytes), crc32cBitwise(bytes));
    assert.equal(maskedCrc32c(bytes), mask(crc32cBitwise(bytes)));
  });

  test('file_version first, then one Event per scalar with step, tag and simple_value; CRCs check', () => {
    const dir = join(root, 'a');
    const b = new TensorboardVisBackend(dir);
    const t0 = Date.now() / 1000;
    b.addScalars({ loss: 0.4312, lr: 0.01, 'accuracy/top1': torch.tensor(87.5) }, 100);
    b.addScalar('loss', 0.25, 200);
    b.addScalar('big', 1e30, 2 ** 40);
    b.addScalar('neg', -1.5, -3);
    const path = b.eventFile as string;
    b.close();
    assert.deepEqual(readdirSync(dir), [path.slice(dir.length + 1)]);
    assert.match(path, /events\.out\.tfevents\.\d{10}\./);
    const events = readRecords(readFileSync(path)).map(decodeEvent);
    assert.equal(events[0]?.fileVersion, 'brain.Event:2');
    assert.deepEqual(events[0]?.values, []);
    const scalars = events.slice(1).map((e) => [e.step, e.values]);
    assert.deepEqual(scalars, [
      [100n, [{ tag: 'loss', simpleValue: Math.fround(0.4312) }]],
      [100n, [{ tag: 'lr', simpleValue: Math.fround(0.01) }]],
      [100n, [{ tag: 'accuracy/top1', simpleValue: 87.5 }]],
      [200n, [{ tag: 'loss', simpleValue: 0.25 }]],
      [2n ** 40n, [{ tag: 'big', simpleValue: Math.fround(1e30) }]],
      [-3n, [{ tag: 'neg', simpleValue: -1.5 }]],
    ]);
    for (const e of events) assert.ok(e.wallTime >= t0 - 1 && e.wallTime <= Date.now() / 1000 + 1);

    const py = spawnSync('python3', ['-c', PY_READER, path], { encoding: 'utf8' });
    if (py.status === 0) {
      const pyEvents = JSON.parse(py.stdout) as { step: number; file_version?: string; values: [string, number][] }[];
      assert.equal(pyEvents[0]?.file_version, 'brain.Event:2');
      assert.deepEqual(
        pyEvents.slice(1).map((e) => [e.step, e.values]),
        scalars.map(([s, v]) => [
          Number(s),
          (v as { tag: string; simpleValue: number }[]).map((x) => [x.tag, x.simpleValue]),
        ]),
      );
    } else if (py.error === undefined) assert.fail(`the Python reader failed: ${py.stderr}`);
  });

  test('Event encoding, byte for byte', () => {
    // wall_time 1.5, step 300, one value {tag "a", simple_value 1.0}
    const bytes = encodeEvent({ wallTime: 1.5, step: 300, scalars: [['a', 1]] });
    assert.equal(
      bytes.toString('hex'),
      ['09', '000000000000f83f', '10', 'ac02', '2a', '0a', '0a', '08', '0a', '01', '61', '15', '0000803f'].join(''),
    );
    assert.equal(
      encodeEvent({ wallTime: 0, fileVersion: 'brain.Event:2' }).toString('hex'),
      `09${'00'.repeat(8)}1a0d${Buffer.from('brain.Event:2').toString('hex')}`,
    );
  });

  test("values that are not numbers are skipped with a warning; 'step' in the dict is refused", () => {
    const warnings: string[] = [];
    const original = getLogger();
    setLogger(
      new (class extends Logger {
        override warning(m: string): void {
          warnings.push(m);
        }
      })('t', { level: 'silent' }),
    );
    try {
      const b = new TensorboardVisBackend(join(root, 'b'));
      b.addScalars({ loss: 1, name: 'x', classwise: [1, 2] }, 1);
      b.addScalars({ loss: 2, name: 'y' }, 2);
      assert.throws(() => b.addScalars({ loss: 1, step: 3 }), /Please set it directly through the step parameter/);
      const path = b.eventFile as string;
      b.close();
      const events = readRecords(readFileSync(path)).map(decodeEvent);
      assert.deepEqual(
        events.slice(1).map((e) => e.values.map((v) => v.tag)),
        [['loss'], ['loss']],
      );
      assert.equal(warnings.length, 2); // once per key
      assert.match(warnings[0] as string, /got string for name/);
    } finally {
      setLogger(original);
    }
  });
});
