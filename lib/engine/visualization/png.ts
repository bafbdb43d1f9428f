// A minimal RGB raster and PNG encoder on node:zlib.
//
// PNG: the 8-byte signature, then chunks `length (uint32 BE) | type | data | CRC-32 of type
// and data`: IHDR (width, height, bit depth 8, colour type 2 = RGB, compression 0, filter 0,
// interlace 0), one IDAT holding the zlib stream of the scanlines (each prefixed by filter
// type 0, None), and IEND.
import { deflateSync } from 'node:zlib';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font.js';

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / PNG / zlib's crc32) of `data`, continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (CRC32_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG file of an RGB image (`rgb`: height rows of width × 3 bytes). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`encodePng: invalid size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3)
    throw new RangeError(`encodePng: expected ${width * height * 3} bytes, got ${rgb.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: None
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export type Color = readonly [number, number, number];

/** '#rrggbb' to [r, g, b]. */
export function hexColor(hex: string): Color {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new TypeError(`hexColor: expected '#rrggbb', got ${hex}`);
  return [
    Number.parseInt(m[1] as string, 16),
    Number.parseInt(m[2] as string, 16),
    Number.parseInt(m[3] as string, 16),
  ];
}

/** An RGB image in memory with a few drawing primitives (no anti-aliasing). */
export class Canvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  setPixel(x: number, y: number, color: Color): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    this.data.set(color, (yi * this.width + xi) * 3);
  }

  getPixel(x: number, y: number): Color {
    const i = (y * this.width + x) * 3;
    return [this.data[i] as number, this.data[i + 1] as number, this.data[i + 2] as number];
  }

  /** Fills [x0, x1] × [y0, y1] (inclusive, clipped to `clip` if given). */
  fillRect(x0: number, y0: number, x1: number, y1: number, color: Color, clip?: Rect): void {
    let ax = Math.round(Math.min(x0, x1));
    let bx = Math.round(Math.max(x0, x1));
    let ay = Math.round(Math.min(y0, y1));
    let by = Math.round(Math.max(y0, y1));
    if (clip) {
      ax = Math.max(ax, clip.x0);
      bx = Math.min(bx, clip.x1);
      ay = Math.max(ay, clip.y0);
      by = Math.min(by, clip.y1);
    }
    for (let y = ay; y <= by; y++) for (let x = ax; x <= bx; x++) this.setPixel(x, y, color);
  }

  /** A line from (x0, y0) to (x1, y1), `thickness` pixels wide (square pen), clipped to `clip`. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1, clip?: Rect): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const lo = -Math.floor((thickness - 1) / 2);
    const hi = lo + thickness - 1;
    for (let s = 0; s <= steps; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / steps);
      const y = Math.round(y0 + ((y1 - y0) * s) / steps);
      for (let dy = lo; dy <= hi; dy++) {
        for (let dx = lo; dx <= hi; dx++) {
          const px = x + dx;
          const py = y + dy;
          if (clip && (px < clip.x0 || px > clip.x1 || py < clip.y0 || py > clip.y1)) continue;
          this.setPixel(px, py, color);
        }
      }
    }
  }

  /** The outline of a rectangle. */
  strokeRect(x0: number, y0: number, x1: number, y1: number, color: Color): void {
    this.line(x0, y0, x1, y0, color);
    this.line(x1, y0, x1, y1, color);
    this.line(x1, y1, x0, y1, color);
    this.line(x0, y1, x0, y0, color);
  }

  /**
   * Draws `text` with the pixel font; (x, y) is the top-left of the text box, or its top-centre
   * / top-right for align 'center' / 'right'.
   */
  text(
    x: number,
    y: number,
    text: string,
    color: Color,
    options: { scale?: number; align?: 'left' | 'center' | 'right' } = {},
  ): void {
    const scale = options.scale ?? 1;
    const w = textWidth(text, scale);
    let left = Math.round(x);
    if (options.align === 'center') left = Math.round(x - w / 2);
    else if (options.align === 'right') left = Math.round(x - w);
    const top = Math.round(y);
    [...text].forEach((ch, i) => {
      const g = glyph(ch);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (!g[gy]?.[gx]) continue;
          const px = left + (i * ADVANCE + gx) * scale;
          const py = top + gy * scale;
          for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) this.setPixel(px + sx, py + sy, color);
        }
      }
    });
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.data);
  }
}

/** An inclusive pixel rectangle. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
