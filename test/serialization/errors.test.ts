// Damaged, truncated and foreign files give an Error that names the file and what is wrong
// (never a crash, never a bare JSON or pickle error, never code run from the file); writes are
// atomic: a failure mid-write leaves the previous file intact and no temporary file behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import * as torch from '../../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-node-ser-err-'));
const CHILD = fileURLToPath(new URL('./fsize-child.js', import.meta.url));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts a plain Error (not a TypeError) naming the file, with every pattern. */
function fails(fn: () => unknown, path: string, ...patterns: RegExp[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error, `expected an Error, got ${String(thrown)}`);
  assert.equal(thrown.constructor, Error, `expected an Error, got ${thrown.constructor.name}: ${thrown.message}`);
  assert.ok(thrown.message.includes(path), `the message names the file: ${thrown.message}`);
  for (const p of patterns) assert.match(thrown.message, p);
}

// ---- a hand-made zip writer for crafted files (STORED records, no alignment)
function zip(records: [string, Uint8Array | string][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of records) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    const n = Buffer.from(name);
    const crc = crc32(bytes);
    const l = Buffer.alloc(30);
    l.writeUInt32LE(0x04034b50, 0);
    l.writeUInt16LE(20, 4);
    l.writeUInt32LE(crc, 14);
    l.writeUInt32LE(bytes.length, 18);
    l.writeUInt32LE(bytes.length, 22);
    l.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(bytes.length, 20);
    c.writeUInt32LE(bytes.length, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    locals.push(l, n, bytes);
    centrals.push(c, n);
    offset += 30 + n.length + bytes.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A protocol 2 pickle: GLOBAL module.name, then calls it with ('echo hi',). */
function pickleCalling(module: string, name: string): Buffer {
  const arg = Buffer.from('echo pwned > /dev/null');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(arg.length);
  return Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from(`c${module}\n${name}\n`),
    Buffer.from('X'),
    len,
    arg,
    Buffer.from([0x85, 0x52, 0x2e]), // TUPLE1 REDUCE STOP
  ]);
}

describe('load: damaged and foreign files', () => {
  const good = join(dir, 'good.pt');
  torch.save({ w: torch.arange(10, { dtype: 'float32' }), step: 3 }, good);
  const bytes = readFileSync(good);

  test('a missing file', () => {
    const p = join(dir, 'missing.pt');
    fails(() => torch.load(p), p, /could not open/, /ENOENT/);
  });

  test('an empty file and a non-zip file', () => {
    const empty = join(dir, 'empty.pt');
    writeFileSync(empty, '');
    fails(() => torch.load(empty), empty, /is empty/);
    const text = join(dir, 'text.pt');
    writeFileSync(text, 'hello, this is not a checkpoint');
    fails(() => torch.load(text), text, /not a PyTorch checkpoint/, /not a zip archive/);
  });

  test('a truncated archive, at several lengths', () => {
    for (const keep of [10, 100, bytes.length >> 1, bytes.length - 30, bytes.length - 1]) {
      const p = join(dir, `truncated-${keep}.pt`);
      writeFileSync(p, bytes.subarray(0, keep));
      fails(() => torch.load(p), p, /truncated|too short/);
    }
  });

  test('flipped bytes in data.pkl are caught by the CRC', () => {
    const p = join(dir, 'flipped.pt');
    const copy = Buffer.from(bytes);
    // data.pkl's data starts at 64 (the first record, aligned).
    for (const at of [66, 80, 100]) copy[at] = (copy[at] as number) ^ 0xff;
    writeFileSync(p, copy);
    fails(() => torch.load(p), p, /data\.pkl/, /corrupt/, /CRC-32/);
  });

  test('flipped bytes in a storage are caught by the CRC', () => {
    const p = join(dir, 'flipped-storage.pt');
    const copy = Buffer.from(bytes);
    const at = copy.indexOf('good/data/0');
    const data = at + 'good/data/0'.length;
    const extra = copy.readUInt16LE(at - 2);
    copy[data + extra + 3] = (copy[data + extra + 3] as number) ^ 0x01;
    writeFileSync(p, copy);
    fails(() => torch.load(p), p, /good\/data\/0/, /corrupt/);
  });

  test('a corrupt pickle with a valid CRC', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['garbage', Buffer.from([0x80, 0x02, 0xff, 0xfe]), /unknown or unsupported pickle opcode 0xff/],
      ['no-stop', Buffer.from([0x80, 0x02, 0x4b, 0x01]), /without a STOP/],
      ['cut-string', Buffer.from([0x80, 0x02, 0x58, 0xff, 0, 0, 0, 0x61]), /truncated/],
      ['empty-stack', Buffer.from([0x80, 0x02, 0x2e]), /stack is empty/],
      ['bad-memo', Buffer.from([0x80, 0x02, 0x68, 0x07, 0x2e]), /memo has no entry 7/],
      ['inst', Buffer.from('(ios\nsystem\nS"ls"\no.'), /INST|unsupported/],
    ];
    for (const [name, pkl, pattern] of cases) {
      const p = join(dir, `pickle-${name}.pt`);
      writeFileSync(p, zip([['archive/data.pkl', pkl]]));
      fails(() => torch.load(p), p, pattern);
    }
  });

  test('a zip without data.pkl; a TorchScript archive', () => {
    const p = join(dir, 'nodata.pt');
    writeFileSync(p, zip([['archive/version', '3\n']]));
    fails(() => torch.load(p), p, /without a data\.pkl record/);
    const ts = join(dir, 'script.pt');
    writeFileSync(
      ts,
      zip([
        ['m/constants.pkl', Buffer.from([0x80, 0x02, 0x29, 0x2e])],
        ['m/code/__torch__.py', ''],
      ]),
    );
    fails(() => torch.load(ts), ts, /TorchScript/);
  });

  test('disallowed globals are refused by name, and nothing runs', () => {
    for (const [module, name] of [
      ['os', 'system'],
      ['posix', 'system'],
      ['builtins', 'eval'],
      ['__builtin__', 'exec'],
      ['subprocess', 'Popen'],
      ['torch', 'load'],
    ] as const) {
      const p = join(dir, `evil-${module}-${name}.pt`);
      writeFileSync(p, zip([['archive/data.pkl', pickleCalling(module, name)]]));
      const shown = module === '__builtin__' ? 'builtins' : module;
      fails(() => torch.load(p), p, new RegExp(`global '${shown}\\.${name}'`), /not allowed/, /weights_only=True/);
    }
  });

  test('allowed names used in disallowed ways', () => {
    // Calling a dtype; a persistent id that is not a storage; a storage past its record.
    const callDtype = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.from('ctorch\nfloat32\n'),
      Buffer.from([0x29, 0x52, 0x2e]),
    ]);
    const p1 = join(dir, 'call-dtype.pt');
    writeFileSync(p1, zip([['archive/data.pkl', callDtype]]));
    fails(() => torch.load(p1), p1, /torch\.float32, which cannot be called/);
    const badPid = Buffer.from([0x80, 0x02, 0x4b, 0x05, 0x51, 0x2e]);
    const p2 = join(dir, 'bad-pid.pt');
    writeFileSync(p2, zip([['archive/data.pkl', badPid]]));
    fails(() => torch.load(p2), p2, /persistent id/);
  });

  test('a storage record shorter than the tensor needs; a missing storage record', () => {
    // Take a real pickle and give it a 4-byte storage for 10 floats.
    const real = readFileSync(good);
    const start = 64;
    const size = real.readUInt32LE(0x12) === 0 ? 0 : real.readUInt32LE(0x12);
    const pklEnd = real.indexOf(Buffer.from([0x2e, 0x50, 0x4b]), start) + 1;
    const pkl = real.subarray(start, size > 0 ? start + size : pklEnd);
    const p = join(dir, 'short-storage.pt');
    writeFileSync(
      p,
      zip([
        ['good/data.pkl', pkl],
        ['good/data/0', new Uint8Array(4)],
      ]),
    );
    fails(() => torch.load(p), p, /holds 4 bytes where 40 are expected/);
    const q = join(dir, 'no-storage.pt');
    writeFileSync(q, zip([['good/data.pkl', pkl]]));
    fails(() => torch.load(q), q, /storage record 'good\/data\/0' is missing/);
  });

  test('a safetensors file given to load, and a checkpoint given to loadSafetensors', () => {
    const st = join(dir, 'x.safetensors');
    torch.saveSafetensors({ a: torch.ones([2]) }, st);
    fails(() => torch.load(st), st, /safetensors file/, /loadSafetensors/);
    fails(() => torch.loadSafetensors(good), good, /not a safetensors file/);
  });
});

describe('loadSafetensors: damaged files', () => {
  const good = join(dir, 'good.safetensors');
  torch.saveSafetensors({ a: torch.arange(6, { dtype: 'float32' }), b: torch.ones([2], { dtype: 'int64' }) }, good, {
    k: 'v',
  });
  const bytes = readFileSync(good);
  const n = Number(bytes.readBigUInt64LE(0));

  const craft = (name: string, header: string, data: Uint8Array = new Uint8Array(0)): string => {
    const h = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    const p = join(dir, `${name}.safetensors`);
    writeFileSync(p, Buffer.concat([len, h, data]));
    return p;
  };

  test('truncated at several lengths', () => {
    for (const keep of [0, 5, 8, 8 + (n >> 1), 8 + n + 3, bytes.length - 1]) {
      const p = join(dir, `st-trunc-${keep}.safetensors`);
      writeFileSync(p, bytes.subarray(0, keep));
      fails(() => torch.loadSafetensors(p), p, /truncated|too short/);
    }
  });

  test('trailing bytes', () => {
    const p = join(dir, 'st-trailing.safetensors');
    writeFileSync(p, Buffer.concat([bytes, Buffer.from([0])]));
    fails(() => torch.loadSafetensors(p), p, /1 bytes after the data/);
  });

  test('a header that is not JSON, not UTF-8, or not an object', () => {
    fails(() => torch.loadSafetensors(craft('st-json', '{"a": ')), join(dir, 'st-json.safetensors'), /not valid JSON/);
    const bad = join(dir, 'st-utf8.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(2n);
    writeFileSync(bad, Buffer.concat([len, Buffer.from([0xff, 0xfe])]));
    fails(() => torch.loadSafetensors(bad), bad, /not UTF-8/);
    fails(
      () => torch.loadSafetensors(craft('st-array', '[1, 2]')),
      join(dir, 'st-array.safetensors'),
      /not a JSON object/,
    );
  });

  test('bad entries: dtype, shape, offsets with gaps, sizes that disagree, metadata', () => {
    const cases: [string, string, number, RegExp][] = [
      ['st-dtype', '{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}', 4, /unknown dtype X9/],
      ['st-shape', '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4, /shape/],
      ['st-gap', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8, /does not start where/],
      ['st-size', '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4, /needs 8 bytes but has 4/],
      ['st-meta', '{"__metadata__":{"k":1}}', 0, /__metadata__ entry 'k' that is not a string/],
      [
        'st-u16',
        '{"a":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}',
        4,
        /dtype U16, which torch-node does not support/,
      ],
    ];
    for (const [name, header, dataLen, pattern] of cases) {
      const p = craft(name, header, new Uint8Array(dataLen));
      fails(() => torch.loadSafetensors(p), p, pattern);
    }
  });

  test('a huge header length', () => {
    const p = join(dir, 'st-huge.safetensors');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(2n ** 40n);
    writeFileSync(p, b);
    fails(() => torch.loadSafetensors(p), p, /header length/);
  });
});

describe('atomic writes', () => {
  const temps = (d: string): string[] => readdirSync(d).filter((f) => f.startsWith('.torch-node-tmp-'));

  test('an object that throws during serialization leaves the previous file and no temporary file', () => {
    const p = join(dir, 'atomic.pt');
    torch.save({ version: 1 }, p);
    const before = readFileSync(p);
    const evil = {
      a: torch.ones([3]),
      get b(): number {
        throw new Error('boom while serializing');
      },
    };
    assert.throws(() => torch.save(evil, p), /boom while serializing/);
    assert.deepEqual(readFileSync(p), before);
    assert.deepEqual(temps(dir), []);
    assert.deepEqual(torch.load(p), { version: 1 });
  });

  test('a failure mid-write, after records were written, leaves the previous file', () => {
    // The getter disposes a tensor that the pickle already holds: pickling succeeds, data.pkl
    // is written, then reading that tensor's storage fails.
    const p = join(dir, 'atomic-mid.pt');
    torch.save({ version: 1 }, p);
    const before = readFileSync(p);
    const big = torch.ones([1 << 16]);
    const victim = torch.ones([4]);
    const obj = {
      big,
      victim,
      meta: {
        get later(): number {
          victim.dispose();
          return 1;
        },
      },
    };
    assert.throws(() => torch.save(obj, p), /save: could not read the data of the object\.victim/);
    assert.deepEqual(readFileSync(p), before);
    assert.deepEqual(temps(dir), []);
  });

  test('a full disk mid-write (a file size limit) leaves the previous file, for both formats', (t) => {
    for (const mode of ['pt', 'st'] as const) {
      const p = join(dir, `fsize.${mode === 'pt' ? 'pt' : 'safetensors'}`);
      if (mode === 'pt') torch.save({ step: 1 }, p);
      else torch.saveSafetensors({ small: torch.ones([2]) }, p);
      const before = readFileSync(p);
      const r = spawnSync('sh', ['-c', `ulimit -f 256 && exec "${process.execPath}" "${CHILD}" ${mode} "${p}"`], {
        encoding: 'utf8',
      });
      if (r.error) {
        t.skip(`cannot run a child under a file size limit (${r.error.message})`);
        return;
      }
      assert.equal(r.status, 0, `the child failed (signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as { error?: string; ok?: boolean };
      assert.ok(out.error, `the save should fail under the limit: ${r.stdout}`);
      assert.match(out.error, /^Error: (save|saveSafetensors): could not write/);
      assert.ok(out.error.includes(p), out.error);
      assert.match(out.error, /EFBIG|too large/);
      assert.deepEqual(readFileSync(p), before, `${mode}: the previous file is intact`);
      assert.deepEqual(temps(dir), [], `${mode}: no temporary file is left`);
    }
  });

  test('a directory that cannot be written: the error names the file, the old file stays', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which may write into read-only directories');
      return;
    }
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const p = join(ro, 'x.pt');
    torch.save({ v: 1 }, p);
    chmodSync(ro, 0o555);
    try {
      fails(() => torch.save({ v: 2 }, p), p, /could not create a temporary file/);
      assert.deepEqual(torch.load(p), { v: 1 });
      assert.deepEqual(temps(ro), []);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  test('a symbolic link is written through; the permissions of the old file carry over', () => {
    const real = join(dir, 'real.pt');
    const link = join(dir, 'link.pt');
    torch.save({ v: 1 }, real);
    chmodSync(real, 0o600);
    symlinkSync(real, link);
    torch.save({ v: 2 }, link);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.deepEqual(torch.load(real), { v: 2 });
    assert.equal(lstatSync(real).mode & 0o777, 0o600);
    assert.deepEqual(temps(dir), []);
  });

  test('a target that is a directory: the rename fails and the temporary file is removed', () => {
    const target = join(dir, 'adir.pt');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    fails(() => torch.save({ v: 1 }, target), target, /could not write/);
    assert.deepEqual(readdirSync(target), ['keep']);
    assert.deepEqual(temps(dir), []);
  });
});
