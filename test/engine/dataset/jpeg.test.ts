// The JPEG decoder against Pillow (libjpeg-turbo) as the oracle: files that Pillow writes (sizes
// from 1x1 to 640x480, quality 50 to 100, 4:4:4 / 4:2:2 / 4:2:0, baseline, progressive, optimized
// tables, restart markers, grayscale, EXIF/ICC/COM segments) and files a small baseline encoder
// below writes for what Pillow cannot (4:4:0, 4:1:1, 3:1, 4:2 and mixed sampling factors, Adobe
// RGB, RGB component ids, one scan per component, 16-bit quantization tables, a grayscale
// component sampled 2x2), each decoded here and by Pillow and compared pixel for pixel. Then files
// cut short, refused kinds, and ImageFolder over mixed PNG and JPEG files. Skipped, saying so,
// where Python cannot import PIL (`pip install pillow`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DataLoader, decodeJpeg, ImageFolder, isJpeg } from '../../../lib/engine/index.js';
import { collect, within } from './support.js';

const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';

function pillowSkip(): false | string {
  const r = spawnSync(PYTHON, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return false;
  const why = r.stderr?.trim().split('\n').pop() || (r.error ? String(r.error) : `exit status ${r.status}`);
  return `Pillow is not importable (${PYTHON}: ${why}); pip install pillow`;
}

/** Runs a Python script with `dir` as sys.argv[1]; what it prints, as JSON. */
function python<T>(script: string, dir: string): T {
  const r = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

// A small baseline JPEG encoder (T.81 Annex K's example Huffman tables), for the sampling factors,
// markers and tables that Pillow's encoder does not write.
const ENCODER = String.raw`
import math, struct
ZZ = [0,1,8,16,9,2,3,10,17,24,32,25,18,11,4,5,12,19,26,33,40,48,41,34,27,20,13,6,7,14,21,28,35,42,49,56,57,50,43,36,29,22,15,23,30,37,44,51,58,59,52,45,38,31,39,46,53,60,61,54,47,55,62,63]
QL = [16,11,10,16,24,40,51,61,12,12,14,19,26,58,60,55,14,13,16,24,40,57,69,56,14,17,22,29,51,87,80,62,18,22,37,56,68,109,103,77,24,35,55,64,81,104,113,92,49,64,78,87,103,121,120,101,72,92,95,98,112,100,103,99]
QC = [17,18,24,47,99,99,99,99,18,21,26,66,99,99,99,99,24,26,56,99,99,99,99,99,47,66,99,99,99,99,99,99] + [99]*32
DC_BITS = [[0,1,5,1,1,1,1,1,1,0,0,0,0,0,0,0],[0,3,1,1,1,1,1,1,1,1,1,0,0,0,0,0]]
DC_VALS = [list(range(12)), list(range(12))]
AC_BITS = [[0,2,1,3,3,2,4,3,5,5,4,4,0,0,1,0x7d],[0,2,1,2,4,4,3,4,7,5,4,4,0,1,2,0x77]]
AC_VALS = [bytes.fromhex('01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa'),
           bytes.fromhex('000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa')]
def codes(bits, vals):
    out, code, k = {}, 0, 0
    for l in range(1, 17):
        for _ in range(bits[l-1]):
            out[vals[k]] = (code, l); code += 1; k += 1
        code <<= 1
    return out
HT = [(codes(DC_BITS[i], DC_VALS[i]), codes(AC_BITS[i], list(AC_VALS[i]))) for i in range(2)]
COS = [[(math.sqrt(0.5) if u == 0 else 1.0) * math.cos((2*x+1)*u*math.pi/16) / 2 for x in range(8)] for u in range(8)]
def fdct(b):
    t = [[sum(COS[u][x]*b[y*8+x] for x in range(8)) for u in range(8)] for y in range(8)]
    return [sum(COS[v][y]*t[y][u] for y in range(8)) for v in range(8) for u in range(8)]
class Bits:
    def __init__(s): s.out = bytearray(); s.acc = 0; s.n = 0
    def put(s, code, l):
        s.acc = (s.acc << l) | code; s.n += l
        while s.n >= 8:
            byte = (s.acc >> (s.n-8)) & 255; s.out.append(byte)
            if byte == 255: s.out.append(0)
            s.n -= 8
        s.acc &= (1 << s.n) - 1
    def flush(s):
        if s.n: s.put((1 << (8 - s.n)) - 1, 8 - s.n)
def mag(v):
    s = abs(v).bit_length()
    return s, (v if v >= 0 else v + (1 << s) - 1)
def encode(path, planes, w, h, samp, ids=(1,2,3), qscale=1.0, restart=0, jfif=True, adobe=None, separate=False, q16=False):
    nc = len(planes)
    hmax = max(a for a, b in samp); vmax = max(b for a, b in samp)
    mx, my = -(-w // (8*hmax)), -(-h // (8*vmax))
    tabs = [[max(1, min(65535 if q16 else 255, round(q*qscale))) for q in (QL if i == 0 else QC)] for i in range(2)]
    comps = []
    for ci in range(nc):
        hs, vs = samp[ci]; fx, fy = hmax // hs, vmax // vs
        dw, dh = -(-w*hs // hmax), -(-h*vs // vmax)
        src = planes[ci]
        def at(x, y): return src[min(y, h-1)*w + min(x, w-1)]
        small = [sum(at(x*fx+i, y*fy+j) for i in range(fx) for j in range(fy)) / (fx*fy) for y in range(dh) for x in range(dw)]
        pw, ph = mx*hs*8, my*vs*8
        pad = [small[min(y, dh-1)*dw + min(x, dw-1)] for y in range(ph) for x in range(pw)]
        comps.append(dict(hs=hs, vs=vs, pw=pw, bw=-(-dw//8), bh=-(-dh//8), pad=pad, t=0 if ci == 0 else 1))
    def block(bits, c, by, bx, pred):
        f = fdct([c['pad'][(by*8+y)*c['pw'] + bx*8+x] - 128 for y in range(8) for x in range(8)])
        q = tabs[c['t']]
        z = [int(round(f[ZZ[k]] / q[ZZ[k]])) for k in range(64)]
        dct, act = HT[c['t']]
        s, m = mag(z[0] - pred); bits.put(*dct[s])
        if s: bits.put(m, s)
        run = 0
        for k in range(1, 64):
            if z[k] == 0: run += 1; continue
            while run > 15: bits.put(*act[0xf0]); run -= 16
            s, m = mag(z[k]); bits.put(*act[(run << 4) | s]); bits.put(m, s); run = 0
        if run: bits.put(*act[0])
        return z[0]
    def seg(m, data): return bytes([0xff, m]) + struct.pack('>H', len(data)+2) + data
    out = bytearray(b'\xff\xd8')
    if jfif: out += seg(0xe0, b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00')
    if adobe is not None: out += seg(0xee, b'Adobe' + bytes([0, 100, 0, 0, 0, 0, adobe]))
    for i in range(2):
        if q16: out += seg(0xdb, bytes([0x10 | i]) + b''.join(struct.pack('>H', tabs[i][ZZ[k]]) for k in range(64)))
        else: out += seg(0xdb, bytes([i]) + bytes(tabs[i][ZZ[k]] for k in range(64)))
    out += seg(0xc1 if q16 else 0xc0, bytes([8]) + struct.pack('>HH', h, w) + bytes([nc]) + b''.join(bytes([ids[i], (samp[i][0] << 4) | samp[i][1], 0 if i == 0 else 1]) for i in range(nc)))
    for i in range(2):
        out += seg(0xc4, bytes([i]) + bytes(DC_BITS[i]) + bytes(DC_VALS[i]))
        out += seg(0xc4, bytes([0x10 | i]) + bytes(AC_BITS[i]) + bytes(AC_VALS[i]))
    if restart: out += seg(0xdd, struct.pack('>H', restart))
    scans = [[i] for i in range(nc)] if (separate or nc == 1) else [list(range(nc))]
    for sc in scans:
        out += seg(0xda, bytes([len(sc)]) + b''.join(bytes([ids[i], 0 if i == 0 else 0x11]) for i in sc) + bytes([0, 63, 0]))
        bits = Bits(); preds = [0]*nc; n = 0; rst = 0
        if len(sc) == 1:
            c = comps[sc[0]]
            units = [[(sc[0], by, bx)] for by in range(c['bh']) for bx in range(c['bw'])]
        else:
            units = [[(ci, yy*comps[ci]['vs']+j, xx*comps[ci]['hs']+i) for ci in sc for j in range(comps[ci]['vs']) for i in range(comps[ci]['hs'])] for yy in range(my) for xx in range(mx)]
        for u in units:
            if restart and n and n % restart == 0:
                bits.flush(); bits.out += bytes([0xff, 0xd0 + rst]); rst = (rst + 1) % 8; preds = [0]*nc
            for (ci, by, bx) in u: preds[ci] = block(bits, comps[ci], by, bx, preds[ci])
            n += 1
        bits.flush(); out += bits.out
    out += b'\xff\xd9'
    open(path, 'wb').write(out)
`;

// Writes the test files into sys.argv[1] with Pillow's pixels beside each (NAME.raw: 'RGB' or,
// for grayscale files, 'L' bytes; empty where Pillow refuses the file), and prints the cases.
const WRITER = String.raw`
import io, json, os, random, sys
from PIL import Image
d = sys.argv[1]
def content(w, h, seed):
    # Gradients, flat rectangles (edges) and seeded noise.
    rnd = random.Random(seed)
    rects = [(rnd.randrange(w), rnd.randrange(h), rnd.randrange(1, w+1), rnd.randrange(1, h+1), [rnd.randrange(256) for _ in range(3)]) for _ in range(6)]
    px = bytearray(w*h*3)
    for y in range(h):
        for x in range(w):
            r = (x*255)//max(w-1,1); g = (y*255)//max(h-1,1); b = ((x+y)*7) % 256
            for (rx, ry, rw, rh, col) in rects:
                if rx <= x < rx+rw and ry <= y < ry+rh: r, g, b = col
            n = rnd.randrange(-12, 13)
            i = (y*w+x)*3
            px[i] = min(255, max(0, r+n)); px[i+1] = min(255, max(0, g-n)); px[i+2] = min(255, max(0, b+n))
    return Image.frombytes('RGB', (w, h), bytes(px))
cases = []
def add(group, name, data=None):
    path = os.path.join(d, name + '.jpg')
    if data is not None: open(path, 'wb').write(data)
    x = Image.open(path)
    try:
        raw = x.convert('L' if x.mode == 'L' else 'RGB').tobytes()
        err = None
    except OSError as e:
        raw, err = b'', str(e)
    open(os.path.join(d, name + '.raw'), 'wb').write(raw)
    cases.append(dict(group=group, name=name, mode=x.mode, width=x.size[0], height=x.size[1],
                      progressive=bool(x.info.get('progressive')), pillowError=err))
k = 0
for (w, h) in [(1,1),(2,2),(3,3),(4,4),(5,6),(7,5),(17,33),(224,224),(640,480)]:
    im = content(w, h, w*1000+h)
    for sub in (0, 1, 2):
        for prog in (False, True):
            q = [50, 75, 95, 100][k % 4]; k += 1
            name = f'c{w}x{h}_s{sub}_q{q}_{"p" if prog else "b"}'
            im.save(os.path.join(d, name + '.jpg'), quality=q, subsampling=sub, progressive=prog)
            add('pillow', name)
    g = im.convert('L')
    g.save(os.path.join(d, f'g{w}x{h}.jpg'), quality=80); add('pillow', f'g{w}x{h}')
    g.save(os.path.join(d, f'g{w}x{h}_p.jpg'), quality=80, progressive=True); add('pillow', f'g{w}x{h}_p')
im = content(224, 224, 5)
exif = Image.Exif(); exif[0x010f] = 'torch-node'; exif[0x0112] = 6
for extra in [dict(optimize=True), dict(restart_marker_blocks=3), dict(restart_marker_rows=1),
              dict(restart_marker_blocks=5, progressive=True), dict(optimize=True, progressive=True, subsampling=1),
              dict(exif=exif, comment='a comment', icc_profile=b'not really a profile' * 10)]:
    name = 'x_' + '_'.join(a for a in extra)
    im.save(os.path.join(d, name + '.jpg'), quality=75, **extra); add('pillow', name)
sys.path.insert(0, d)
exec(open(os.path.join(d, 'encoder.py')).read())
def planes(w, h, seed):
    rnd = random.Random(seed)
    Y = [min(255, max(0, (x*255)//max(w-1,1)//2 + (y*255)//max(h-1,1)//2 + (60 if (x//5+y//3) % 2 else 0) - 30 + rnd.randrange(-10, 11))) for y in range(h) for x in range(w)]
    Cb = [min(255, max(0, 128 + ((x*7 - y*5) % 200) - 100 + rnd.randrange(-10, 11))) for y in range(h) for x in range(w)]
    Cr = [min(255, max(0, 255 - (x*y) % 256 if (x+y) % 9 else 20)) for y in range(h) for x in range(w)]
    return [Y, Cb, Cr]
for (w, h) in [(1,1),(5,3),(21,19),(37,50)]:
    P = planes(w, h, w*7+h)
    for samp in [[(1,2),(1,1),(1,1)], [(4,1),(1,1),(1,1)], [(2,2),(1,2),(2,1)], [(4,2),(1,1),(1,1)],
                 [(3,1),(1,1),(1,1)], [(1,1),(2,2),(1,1)], [(2,1),(1,2),(1,1)], [(1,4),(1,1),(1,2)]]:
        for rst in (0, 3):
            name = f'e{w}x{h}_' + '_'.join(f'{a}{b}' for a, b in samp) + f'_r{rst}'
            encode(os.path.join(d, name + '.jpg'), P, w, h, samp, restart=rst); add('encoder', name)
    for name, kw in [('adobe_rgb', dict(samp=[(1,1)]*3, jfif=False, adobe=0)),
                     ('adobe_ycc', dict(samp=[(2,2),(1,1),(1,1)], jfif=False, adobe=1)),
                     ('rgb_ids', dict(samp=[(1,1)]*3, jfif=False, ids=(82,71,66))),
                     ('scans', dict(samp=[(2,1),(1,1),(1,1)], separate=True, restart=2)),
                     ('q16', dict(samp=[(2,2),(1,1),(1,1)], qscale=4.0, q16=True)),
                     ('gray22', dict(samp=[(2,2)]))]:
        name = f'{name}{w}x{h}'
        s = kw.pop('samp')
        encode(os.path.join(d, name + '.jpg'), P[:len(s)], w, h, s, **kw); add('encoder', name)
# Cut short: at a third and at two thirds, with an EOI marker put back, or without one (truncated);
# progressive files also after each whole scan.
for base in ['c224x224_s2_q95_b', 'x_restart_marker_blocks', 'c224x224_s1_q75_p', 'g224x224_p']:
    b = open(os.path.join(d, base + '.jpg'), 'rb').read()
    for frac in (1/3, 2/3):
        add('cut', f'cut_{base}_{int(frac*100)}', b[:int(len(b)*frac)] + b'\xff\xd9')
        add('truncated', f'trunc_{base}_{int(frac*100)}', b[:int(len(b)*frac)])
    add('truncated', f'trunc_{base}_noeoi', b[:-2])
    sos = [i for i in range(len(b)-1) if b[i] == 0xff and b[i+1] == 0xda]
    for i in range(1, len(sos)):
        add('cut', f'scans_{base}_{i}', b[:sos[i]] + b'\xff\xd9')
print(json.dumps(cases))
`;

// Refused kinds (the SOF marker says so; the data after it does not matter) and a non-JPEG.
const REFUSED = String.raw`
import io, json, os, sys
from PIL import Image
d = sys.argv[1]
b = bytearray(open(os.path.join(d, 'x_optimize.jpg'), 'rb').read())
sof = b.index(b'\xff\xc0')
out = {}
def put(name, data):
    open(os.path.join(d, name), 'wb').write(bytes(data)); out[name] = name
for name, marker in [('arith.jpg', 0xc9), ('arith_prog.jpg', 0xca), ('lossless.jpg', 0xc3), ('hier.jpg', 0xc5)]:
    x = bytearray(b); x[sof + 1] = marker; put(name, x)
x = bytearray(b); x[sof + 4] = 12; put('12bit.jpg', x)
Image.new('CMYK', (9, 7), (10, 20, 30, 40)).save(os.path.join(d, 'cmyk.jpg'), quality=90); out['cmyk.jpg'] = 'cmyk.jpg'
put('notjpeg.jpg', b'GIF89a' + bytes(20))
print(json.dumps(out))
`;

interface Case {
  group: 'pillow' | 'encoder' | 'cut' | 'truncated';
  name: string;
  mode: string;
  width: number;
  height: number;
  progressive: boolean;
  pillowError: string | null;
}

/** Where `a` and `b` differ: the count and the largest difference. */
function diff(a: Uint8Array, b: Uint8Array): { count: number; max: number; mean: number } {
  let count = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (d > 0) count++;
    if (d > max) max = d;
    sum += d;
  }
  return { count, max, mean: sum / a.length };
}

describe('JPEG decoding against Pillow', { skip: pillowSkip() }, () => {
  let dir: string;
  let cases: Case[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'torch-node-jpeg-'));
    writeFileSync(join(dir, 'encoder.py'), ENCODER);
    cases = python<Case[]>(WRITER, dir);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (c: Case): void => {
    const bytes = readFileSync(join(dir, `${c.name}.jpg`));
    const expected = readFileSync(join(dir, `${c.name}.raw`));
    assert.ok(isJpeg(bytes), c.name);
    const img = decodeJpeg(bytes, c.name);
    assert.deepEqual([img.width, img.height, img.channels], [c.width, c.height, c.mode === 'L' ? 1 : 3], c.name);
    const d = diff(img.data, expected);
    assert.equal(d.count, 0, `${c.name}: ${d.count} of ${expected.length} values differ, by up to ${d.max}`);
  };

  test('files Pillow writes: every size, quality, subsampling, progressive, optimized, restarts, grayscale', () => {
    const group = cases.filter((c) => c.group === 'pillow');
    assert.ok(group.length > 70);
    for (const c of group) check(c);
  });

  test('4:4:0, 4:1:1, 3:1, 4:2 and mixed sampling, Adobe RGB, RGB ids, one scan per component, 16-bit tables', () => {
    const group = cases.filter((c) => c.group === 'encoder');
    assert.ok(group.length > 80);
    for (const c of group) check(c);
    assert.equal(cases.find((c) => c.name === 'e21x19_12_11_11_r0')?.mode, 'RGB');
  });

  test('files cut short: refused without their EOI marker (as Pillow refuses them); baseline ones with it as libjpeg decodes them', (t) => {
    for (const c of cases.filter((c) => c.group === 'truncated')) {
      assert.match(c.pillowError ?? '', /truncated/, `Pillow refuses ${c.name}`);
      assert.throws(() => decodeJpeg(readFileSync(join(dir, `${c.name}.jpg`)), c.name), /truncated file/, c.name);
    }
    // With an EOI marker after the cut: the rest of the cut MCU reads zero bits, the rest of the
    // image is left mid-gray, as libjpeg-turbo does. Progressive files whose coefficients are not
    // all complete are smoothed by libjpeg-turbo's block smoothing (an estimate of the first 9 AC
    // coefficients from the DC values of 5x5 neighbouring blocks), which this decoder does not do:
    // those differ, by a mean of a few levels and up to 255 in places.
    let worst = { max: 0, mean: 0 };
    for (const c of cases.filter((c) => c.group === 'cut')) {
      if (c.pillowError !== null) {
        // Cut inside a table segment: Pillow finds no EOI either.
        assert.throws(() => decodeJpeg(readFileSync(join(dir, `${c.name}.jpg`)), c.name), /truncated file/, c.name);
        continue;
      }
      if (!c.progressive) {
        check(c);
        continue;
      }
      const img = decodeJpeg(readFileSync(join(dir, `${c.name}.jpg`)), c.name);
      const d = diff(img.data, readFileSync(join(dir, `${c.name}.raw`)));
      assert.ok(d.mean < 16, `${c.name}: mean difference ${d.mean}`);
      worst = { max: Math.max(worst.max, d.max), mean: Math.max(worst.mean, d.mean) };
    }
    t.diagnostic(
      `progressive files cut short (no block smoothing here): max diff ${worst.max}, mean up to ${worst.mean.toFixed(2)}`,
    );
  });

  test('arithmetic coding, lossless, hierarchical, 12-bit, CMYK and non-JPEG files are refused, naming the file', () => {
    const files = python<Record<string, string>>(REFUSED, dir);
    const refused: [string, RegExp][] = [
      ['arith.jpg', /arith\.jpg: arithmetic-coded JPEG is not supported/],
      ['arith_prog.jpg', /arithmetic-coded/],
      ['lossless.jpg', /lossless JPEG is not supported/],
      ['hier.jpg', /hierarchical/],
      ['12bit.jpg', /12-bit samples are not supported/],
      ['cmyk.jpg', /cmyk\.jpg: 4-component \(CMYK\/YCCK\) JPEG is not supported/],
      ['notjpeg.jpg', /not a JPEG file/],
    ];
    for (const [name, message] of refused) {
      assert.ok(files[name], name);
      assert.throws(() => decodeJpeg(readFileSync(join(dir, name)), name), message);
    }
  });

  test('ImageFolder: PNG and JPEG files (any case of extension), told apart by their bytes, Pillow pixels', async () => {
    const root = join(dir, 'folder');
    const made = python<{ samples: [string, number][]; rgb: number[][]; gray: number[][] }>(
      `
import json, os, sys, random
from PIL import Image
d = os.path.join(sys.argv[1], 'folder')
rnd = random.Random(7)
def img(mode):
    px = bytes(rnd.randrange(256) if (i // 3) % 5 else 255 for i in range(20 * 12 * 3))
    im = Image.frombytes('RGB', (20, 12), px)
    return im.convert(mode)
os.makedirs(os.path.join(d, 'cat'), exist_ok=True)
os.makedirs(os.path.join(d, 'dog', 'sub'), exist_ok=True)
img('RGB').save(os.path.join(d, 'cat', 'a.png'))
img('RGB').save(os.path.join(d, 'cat', 'b.JPG'), format='JPEG', quality=85)
img('L').save(os.path.join(d, 'cat', 'c.jpeg'), format='JPEG', progressive=True)
img('RGB').save(os.path.join(d, 'dog', 'e.jpg'), format='JPEG', subsampling=1, restart_marker_blocks=2)
img('RGBA').save(os.path.join(d, 'dog', 'sub', 'd.jpg'), format='PNG')
open(os.path.join(d, 'dog', 'notes.txt'), 'w').write('not an image')
samples = [('cat/a.png', 0), ('cat/b.JPG', 0), ('cat/c.jpeg', 0), ('dog/e.jpg', 1), ('dog/sub/d.jpg', 1)]
def planes(im):
    return [v for c in im.split() for v in c.tobytes()]
rgb = [planes(Image.open(os.path.join(d, p)).convert('RGB')) for p, _ in samples]
gray = [list(Image.open(os.path.join(d, p)).convert('L').tobytes()) for p, _ in samples]
print(json.dumps(dict(samples=samples, rgb=rgb, gray=gray)))
`,
      dir,
    );
    const ds = new ImageFolder({ root });
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    assert.deepEqual(
      ds.samples.map(([p, l]) => [p.slice(root.length + 1), l]),
      made.samples,
    );
    for (const numWorkers of [0, 1]) {
      const loader = new DataLoader({ dataset: ds, batchSize: 5, numWorkers });
      const [batch] = (await within(collect(loader), 30000, `ImageFolder with ${numWorkers} workers`)) as {
        img: { shape: number[]; values: number[] };
        label: { values: number[] };
      }[];
      assert.deepEqual(batch?.img.shape, [5, 3, 12, 20]);
      assert.deepEqual(batch?.label.values, [0, 0, 0, 1, 1]);
      assert.deepEqual(batch?.img.values, made.rgb.flat(), `pixels with ${numWorkers} workers`);
    }
    const gray = new ImageFolder({ root, channels: 1 });
    for (let i = 0; i < 5; i++) assert.deepEqual(Array.from(gray.raw.image(i).img.data), made.gray[i], `gray ${i}`);
    // Only the listed endings count; a file that is neither PNG nor JPEG fails when read, by name.
    assert.equal(new ImageFolder({ root, extensions: ['.PNG'] }).samples.length, 1);
    const bad = new ImageFolder({ root, extensions: ['.txt'] });
    assert.throws(() => bad.raw.image(0), /notes\.txt: not a PNG or JPEG file/);
  });
});
