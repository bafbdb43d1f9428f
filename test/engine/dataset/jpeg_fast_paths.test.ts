// The decoder's fast paths (jpeg.ts, jpeg_color.ts) against Pillow, on files chosen to reach each
// one and its edges: the 9-bit look-up that decodes a symbol with its magnitude bits (and the
// codes and magnitudes too long for it: quality 100 noise, Huffman tables optimized per file),
// the inverse DCT's forms for blocks with and without coefficients in their lower half (smooth
// and noisy content, DC-only blocks at quality 5), the colour conversion's range limits (saturated
// colours), odd sizes, 4:2:2 and 4:2:0, a restart marker after every MCU, progressive files. The
// files are decoded in one order and again in another, so that planes the decoder reuses from
// call to call cannot carry anything from one file to the next unseen.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJpeg } from '../../../lib/engine/dataset/jpeg.js';
import { runPython, skipWithoutPythonPackage } from '../../support/python.js';

interface Case {
  name: string;
  jpeg: string;
  pixels: string;
  width: number;
  height: number;
  channels: number;
}

const WRITER = `
import base64, io
import numpy as np
from PIL import Image
rng = np.random.default_rng(11)

def smooth(w, h):
    # A coarse random field, bicubic-enlarged, with a little noise: blocks with few coefficients.
    field = Image.fromarray(rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    a = np.asarray(field).astype(np.int16) + rng.integers(-3, 4, (h, w, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))

def noise(w, h):
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))

def saturated(w, h):
    # 4x4 patches of pure colours (each channel 0 or 255): the conversion overshoots both ends.
    patches = rng.integers(0, 2, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8) * 255
    return Image.fromarray(patches.repeat(4, 0).repeat(4, 1)[:h, :w].copy())

cases = []
def add(name, im, **kw):
    buf = io.BytesIO(); im.save(buf, 'JPEG', **kw); data = buf.getvalue()
    got = Image.open(io.BytesIO(data)); got.load()
    cases.append({'name': name, 'jpeg': base64.b64encode(data).decode(), 'pixels': base64.b64encode(got.tobytes()).decode(),
                  'width': got.width, 'height': got.height, 'channels': len(got.getbands())})

for w, h in [(1, 1), (3, 2), (17, 9), (31, 33), (203, 101)]:
    for sub in (0, 1, 2):
        add(f'smooth {w}x{h} q90 s{sub}', smooth(w, h), quality=90, subsampling=sub)
        add(f'noise {w}x{h} q100 s{sub}', noise(w, h), quality=100, subsampling=sub)
        add(f'saturated {w}x{h} q75 s{sub}', saturated(w, h), quality=75, subsampling=sub)
    add(f'smooth {w}x{h} q5', smooth(w, h), quality=5)
    add(f'noise {w}x{h} q95 optimized', noise(w, h), quality=95, optimize=True)
    add(f'smooth {w}x{h} restart every MCU', smooth(w, h), quality=85, restart_marker_blocks=1)
    add(f'noise {w}x{h} progressive s2', noise(w, h), quality=90, subsampling=2, progressive=True)
    add(f'smooth {w}x{h} gray', smooth(w, h).convert('L'), quality=90)
OUTPUT = cases
`;

const skip = skipWithoutPythonPackage('PIL', 'pillow');

describe('JPEG fast paths against Pillow', { skip }, () => {
  test('odd sizes, 4:4:4 / 4:2:2 / 4:2:0, quality 5 to 100, optimized tables, restarts, progressive, saturated colours, in two orders', () => {
    const cases = runPython<Case[]>(WRITER);
    assert.equal(cases.length, 5 * 14);
    const check = (c: Case): void => {
      const img = decodeJpeg(new Uint8Array(Buffer.from(c.jpeg, 'base64')), c.name);
      assert.deepEqual([img.width, img.height, img.channels], [c.width, c.height, c.channels], c.name);
      const want = Buffer.from(c.pixels, 'base64');
      let differ = 0;
      let first = -1;
      for (let i = 0; i < want.length; i++) {
        if (img.data[i] !== want[i]) {
          differ++;
          if (first < 0) first = i;
        }
      }
      assert.equal(differ, 0, `${c.name}: ${differ} of ${want.length} values differ, the first at ${first}`);
    };
    // Small to large, then large to small with each file twice: reused planes bigger and smaller.
    for (const c of cases) check(c);
    for (const c of [...cases].reverse()) {
      check(c);
      check(c);
    }
  });
});
