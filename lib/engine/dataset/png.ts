// A small PNG decoder on node:zlib: 8-bit grayscale, RGB, palette, grayscale+alpha and RGBA,
// non-interlaced (what image datasets hold). Checks the signature, chunk CRCs and sizes.
// Torch-free (data workers import it).
import * as zlib from 'node:zlib';

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images come out as RGB, or RGBA with tRNS) */
  channels: 1 | 2 | 3 | 4;
  /** Interleaved pixels, row by row: (H, W, C). */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  const z = zlib as unknown as { crc32?: (d: Uint8Array) => number };
  if (typeof z.crc32 === 'function') return z.crc32(bytes) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (crcTable[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Decodes a PNG file's bytes. `name` goes into error messages. */
export function decodePng(bytes: Uint8Array, name = 'PNG'): DecodedImage {
  const fail = (why: string): never => {
    throw new Error(`decodePng: ${name}: ${why}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (pos < bytes.length && !sawEnd) {
    if (pos + 12 > bytes.length) fail('truncated chunk');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + length > bytes.length) fail(`truncated ${type} chunk`);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    const crc = view.getUint32(pos + 8 + length);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== crc) fail(`CRC mismatch in the ${type} chunk`);
    switch (type) {
      case 'IHDR': {
        if (length !== 13) fail('bad IHDR length');
        const h = new DataView(body.buffer, body.byteOffset, 13);
        width = h.getUint32(0);
        height = h.getUint32(4);
        const bitDepth = body[8] as number;
        colorType = body[9] as number;
        const interlace = body[12] as number;
        if (!(colorType in CHANNELS)) fail(`unknown color type ${colorType}`);
        if (bitDepth !== 8) fail(`bit depth ${bitDepth} is not supported (only 8-bit images)`);
        if (interlace !== 0) fail('interlaced images are not supported');
        if (width === 0 || height === 0) fail('empty image');
        break;
      }
      case 'PLTE':
        palette = body;
        break;
      case 'tRNS':
        transparency = body;
        break;
      case 'IDAT':
        idat.push(body);
        break;
      case 'IEND':
        sawEnd = true;
        break;
      default:
        // Ancillary chunks (gAMA, pHYs, tEXt, ...) do not change 8-bit pixel values here.
        if (((type.charCodeAt(0) >> 5) & 1) === 0) fail(`unknown critical chunk ${type}`);
    }
    pos += 12 + length;
  }
  if (colorType < 0) fail('missing IHDR');
  if (idat.length === 0) fail('missing IDAT');
  const stored = CHANNELS[colorType] as number;
  const bpp = stored;
  const stride = width * bpp;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail(`corrupt image data (${(e as Error).message})`);
  }
  if (raw.length < (stride + 1) * height) fail(`image data too short: ${raw.length} bytes for ${width}x${height}`);
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const src = y * (stride + 1) + 1;
    const o = y * stride;
    const up = o - stride;
    switch (filter) {
      case 0:
        px.set(raw.subarray(src, src + stride), o);
        break;
      case 1:
        for (let x = 0; x < stride; x++)
          px[o + x] = ((raw[src + x] as number) + (x >= bpp ? (px[o + x - bpp] as number) : 0)) & 0xff;
        break;
      case 2:
        for (let x = 0; x < stride; x++)
          px[o + x] = ((raw[src + x] as number) + (y > 0 ? (px[up + x] as number) : 0)) & 0xff;
        break;
      case 3:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? (px[o + x - bpp] as number) : 0;
          const b = y > 0 ? (px[up + x] as number) : 0;
          px[o + x] = ((raw[src + x] as number) + ((a + b) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? (px[o + x - bpp] as number) : 0;
          const b = y > 0 ? (px[up + x] as number) : 0;
          const c = x >= bpp && y > 0 ? (px[up + x - bpp] as number) : 0;
          px[o + x] = ((raw[src + x] as number) + paeth(a, b, c)) & 0xff;
        }
        break;
      default:
        fail(`unknown filter type ${filter} in row ${y}`);
    }
  }
  if (colorType !== 3) return { width, height, channels: stored as 1 | 2 | 3 | 4, data: px };
  // Palette: expand to RGB, or RGBA when tRNS gives alpha values.
  if (!palette || palette.length % 3 !== 0) return fail('palette image without a valid PLTE chunk');
  const entries = palette.length / 3;
  const channels = transparency ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let i = 0; i < px.length; i++) {
    const k = px[i] as number;
    if (k >= entries) fail(`palette index ${k} out of range (${entries} entries)`);
    out[i * channels] = palette[k * 3] as number;
    out[i * channels + 1] = palette[k * 3 + 1] as number;
    out[i * channels + 2] = palette[k * 3 + 2] as number;
    if (transparency) out[i * channels + 3] = k < transparency.length ? (transparency[k] as number) : 255;
  }
  return { width, height, channels, data: out };
}

/**
 * A decoded image as a (C, H, W) uint8 array with `channels` channels, converting as PIL's
 * `convert` does: gray to RGB repeats the value; RGB to gray is ITU-R 601-2 luma
 * (L = R*299/1000 + G*587/1000 + B*114/1000, PIL's rounding); alpha is dropped, or added as 255.
 */
export function toCHW(
  img: DecodedImage,
  channels: 1 | 3 | 4 | null = null,
): { data: Uint8Array; shape: [number, number, number] } {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const cin = img.channels;
  const cout = channels ?? cin;
  const out = new Uint8Array(cout * n);
  const hasColor = cin >= 3;
  const hasAlpha = cin === 2 || cin === 4;
  for (let p = 0; p < n; p++) {
    const s = p * cin;
    const r = data[s] as number;
    const g = hasColor ? (data[s + 1] as number) : r;
    const b = hasColor ? (data[s + 2] as number) : r;
    const a = hasAlpha ? (data[s + cin - 1] as number) : 255;
    if (cout === 1) {
      out[p] = hasColor ? (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 : r;
    } else if (cout === 2) {
      out[p] = hasColor ? (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 : r;
      out[n + p] = a;
    } else {
      out[p] = r;
      out[n + p] = g;
      out[2 * n + p] = b;
      if (cout === 4) out[3 * n + p] = a;
    }
  }
  return { data: out, shape: [cout, h, w] };
}
