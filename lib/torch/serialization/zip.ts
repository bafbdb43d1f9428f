// A minimal zip reader and writer for checkpoints: STORED (uncompressed) entries only, as
// PyTorch writes them. The writer aligns each entry's data to 64 bytes the way PyTorch's
// PyTorchFileWriter does (an extra field "FB" padded with 'Z'), so that readers may map
// storages straight from the file; it switches to ZIP64 records where sizes or offsets need
// them. The reader reads through a file descriptor (nothing but the central directory and the
// records asked for is read), understands ZIP64 end records and extra fields, checks every
// record's CRC-32, and reports what is wrong with a damaged file in words.
import { fstatSync, readSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/** Where PyTorch aligns the data of each record. */
export const ZIP_ALIGNMENT = 64;

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const UTF8_FLAG = 0x0800;
/** General purpose flag bit 3: the CRC and sizes follow the data, in a data descriptor. */
const DESCRIPTOR_FLAG = 0x0008;
const DESCRIPTOR_SIG = 0x08074b50;

/** Writes all of `data` at the descriptor's current position (fs writes at most 2 GiB a call). */
function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, Math.min(data.length - done, 1 << 30));
}

interface CentralEntry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

/**
 * Streams STORED records into an open file, then the central directory on `finish()`, byte for
 * byte as PyTorch's writer (its miniz) lays them out: local headers with version 0, no time, the
 * UTF-8 and data-descriptor flags and a zero CRC and sizes, each record's data followed by a
 * data descriptor that holds them; central entries likewise; the ZIP64 end records always,
 * then the classic one. A record of 4 GiB or more, or one that starts 4 GiB or more into the
 * file, has a ZIP64 extra field in both headers (its size, its offset, or both) and a
 * descriptor with 8-byte sizes, as PyTorch writes them.
 */
export class ZipWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  /** Tests set this to write every size and offset as ZIP64 fields, even for small files. */
  forceZip64 = false;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Adds one record; `data` may be a string (UTF-8) or bytes. */
  add(name: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const nameBytes = Buffer.from(name, 'utf8');
    const size = bytes.length;
    const crc = crc32(bytes);
    const bigSize = this.forceZip64 || size >= U32_MAX;
    const bigOffset = this.forceZip64 || this.offset >= U32_MAX;
    // Local header, an optional ZIP64 extra field, then the padding field ("FB", its length,
    // 'Z's) that puts the data at a multiple of 64.
    const zip64Len = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
    const fixed = 30 + nameBytes.length + zip64Len + 4;
    const pad = (ZIP_ALIGNMENT - ((this.offset + fixed) % ZIP_ALIGNMENT)) % ZIP_ALIGNMENT;
    const header = Buffer.alloc(fixed + pad);
    header.writeUInt32LE(LOCAL_SIG, 0);
    // Version needed, time, date, CRC and sizes: 0 (the CRC and sizes are in the descriptor).
    header.writeUInt16LE(UTF8_FLAG | DESCRIPTOR_FLAG, 6);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(zip64Len + 4 + pad, 28);
    nameBytes.copy(header, 30);
    let p = 30 + nameBytes.length;
    if (zip64Len) {
      header.writeUInt16LE(0x0001, p);
      header.writeUInt16LE(zip64Len - 4, p + 2);
      p += 4;
      if (bigSize) {
        // The size, and a compressed size of 0: miniz writes this header before the data.
        header.writeBigUInt64LE(BigInt(size), p);
        p += 16;
      }
      if (bigOffset) header.writeBigUInt64LE(BigInt(this.offset), p);
      p = 30 + nameBytes.length + zip64Len;
    }
    header.write('FB', p, 'latin1');
    header.writeUInt16LE(pad, p + 2);
    header.fill('Z', p + 4);
    writeAll(this.fd, header);
    writeAll(this.fd, bytes);
    const descriptor = Buffer.alloc(zip64Len ? 24 : 16);
    descriptor.writeUInt32LE(DESCRIPTOR_SIG, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64Len) {
      descriptor.writeBigUInt64LE(BigInt(size), 8);
      descriptor.writeBigUInt64LE(BigInt(size), 16);
    } else {
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    writeAll(this.fd, descriptor);
    this.entries.push({ name: nameBytes, crc, size, offset: this.offset });
    this.offset += header.length + size + descriptor.length;
  }

  /** Writes the central directory and the end records. */
  finish(): void {
    const cdStart = this.offset;
    const parts: Buffer[] = [];
    for (const e of this.entries) {
      const needSize = this.forceZip64 || e.size >= U32_MAX;
      const needOffset = this.forceZip64 || e.offset >= U32_MAX;
      const extraLen = needSize || needOffset ? 4 + (needSize ? 16 : 0) + (needOffset ? 8 : 0) : 0;
      const b = Buffer.alloc(46 + e.name.length + extraLen);
      b.writeUInt32LE(CENTRAL_SIG, 0);
      // Versions made by and needed, time and date: 0.
      b.writeUInt16LE(UTF8_FLAG | DESCRIPTOR_FLAG, 8);
      b.writeUInt32LE(e.crc, 16);
      b.writeUInt32LE(needSize ? U32_MAX : e.size, 20);
      b.writeUInt32LE(needSize ? U32_MAX : e.size, 24);
      b.writeUInt16LE(e.name.length, 28);
      b.writeUInt16LE(extraLen, 30);
      // comment length, disk number, internal and external attributes: 0
      b.writeUInt32LE(needOffset ? U32_MAX : e.offset, 42);
      e.name.copy(b, 46);
      if (extraLen) {
        let p = 46 + e.name.length;
        b.writeUInt16LE(0x0001, p);
        b.writeUInt16LE(extraLen - 4, p + 2);
        p += 4;
        if (needSize) {
          b.writeBigUInt64LE(BigInt(e.size), p);
          b.writeBigUInt64LE(BigInt(e.size), p + 8);
          p += 16;
        }
        if (needOffset) b.writeBigUInt64LE(BigInt(e.offset), p);
      }
      parts.push(b);
    }
    const cd = Buffer.concat(parts);
    writeAll(this.fd, cd);
    const cdSize = cd.length;
    const cdEnd = cdStart + cdSize;
    const n = this.entries.length;
    // The ZIP64 end record and its locator, whatever the size, as PyTorch writes them.
    const rec = Buffer.alloc(56 + 20);
    rec.writeUInt32LE(ZIP64_EOCD_SIG, 0);
    rec.writeBigUInt64LE(44n, 4); // size of the rest of the record
    rec.writeUInt16LE(0x031e, 12); // made by: Unix, zip 3.0
    rec.writeUInt16LE(45, 14);
    // disk numbers at 16 and 20: 0
    rec.writeBigUInt64LE(BigInt(n), 24);
    rec.writeBigUInt64LE(BigInt(n), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdStart), 48);
    rec.writeUInt32LE(ZIP64_LOCATOR_SIG, 56);
    rec.writeUInt32LE(0, 60);
    rec.writeBigUInt64LE(BigInt(cdEnd), 64);
    rec.writeUInt32LE(1, 72); // total number of disks
    writeAll(this.fd, rec);
    // The classic end record: each field that does not fit is all ones.
    const end = Buffer.alloc(22);
    const manyEntries = this.forceZip64 || n >= U16_MAX;
    end.writeUInt32LE(EOCD_SIG, 0);
    end.writeUInt16LE(manyEntries ? U16_MAX : n, 8);
    end.writeUInt16LE(manyEntries ? U16_MAX : n, 10);
    end.writeUInt32LE(this.forceZip64 || cdSize >= U32_MAX ? U32_MAX : cdSize, 12);
    end.writeUInt32LE(this.forceZip64 || cdStart >= U32_MAX ? U32_MAX : cdStart, 16);
    writeAll(this.fd, end);
  }
}

/** A damaged or foreign file; `load` turns it into an Error that names the file. */
export class FormatError extends Error {}

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * A buffer reused from read to read, so that loading many storages touches fresh memory once
 * (for the tensors) rather than twice.
 */
export class Scratch {
  private buf = Buffer.alloc(0);

  /** `length` bytes, valid until the next call. */
  take(length: number): Buffer {
    if (this.buf.length < length)
      this.buf = Buffer.allocUnsafeSlow(Math.max(length, Math.floor(this.buf.length * 1.5)));
    return this.buf.subarray(0, length);
  }
}

function readAt(fd: number, position: number, length: number, fileSize: number, what: string, into?: Buffer): Buffer {
  if (position < 0 || position + length > fileSize) {
    throw new FormatError(`${what} lies beyond the end of the file (the file is truncated)`);
  }
  const b = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, Math.min(length - done, 1 << 30), position + done); // at most 2 GiB a call
    if (n === 0) throw new FormatError(`${what} lies beyond the end of the file (the file is truncated)`);
    done += n;
  }
  return b;
}

const u64 = (b: Buffer, at: number): number => {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('a ZIP64 size or offset is implausibly large');
  return Number(v);
};

/** The central directory of a zip file open as `fd`, and its records on demand. */
export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  readonly names: string[] = [];
  readonly fileSize: number;
  private readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
    this.fileSize = fstatSync(fd).size;
    const size = this.fileSize;
    if (size < 22) throw new FormatError(`it is ${size} bytes long, too short to be a zip archive`);
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLength, tailLength, size, 'the end of the archive');
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw new FormatError('it has no zip end-of-central-directory record (it is truncated or not a zip archive)');
    }
    const eocdPos = size - tailLength + eocd;
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (eocdPos >= 20) {
      const loc = readAt(fd, eocdPos - 20, 20, size, 'the ZIP64 end locator');
      if (loc.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
        const recPos = u64(loc, 8);
        const rec = readAt(fd, recPos, 56, size, 'the ZIP64 end-of-central-directory record');
        if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) {
          throw new FormatError('its ZIP64 end-of-central-directory record is damaged');
        }
        count = u64(rec, 32);
        cdSize = u64(rec, 40);
        cdOffset = u64(rec, 48);
      }
    }
    if (cdOffset + cdSize > eocdPos) {
      throw new FormatError('its central directory lies beyond its end record (the file is truncated or damaged)');
    }
    const cd = readAt(fd, cdOffset, cdSize, size, 'the central directory');
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) {
        throw new FormatError(`its central directory is damaged at entry ${i}`);
      }
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) {
        throw new FormatError(`its central directory is damaged at entry ${i}`);
      }
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information: only the fields that are 0xFFFFFFFF above, in this order.
      let q = p + 46 + nameLen;
      const extraEnd = q + extraLen;
      while (q + 4 <= extraEnd) {
        const id = cd.readUInt16LE(q);
        const len = cd.readUInt16LE(q + 2);
        if (id === 0x0001) {
          let r = q + 4;
          const take = (): number => {
            if (r + 8 > q + 4 + len) throw new FormatError(`the ZIP64 field of entry '${name}' is too short`);
            const v = u64(cd, r);
            r += 8;
            return v;
          };
          if (uncompressedSize === U32_MAX) uncompressedSize = take();
          if (compressedSize === U32_MAX) compressedSize = take();
          if (localOffset === U32_MAX) localOffset = take();
        }
        q += 4 + len;
      }
      const entry: ZipEntry = { name, method, crc, compressedSize, size: uncompressedSize, localOffset };
      if (!this.entries.has(name)) {
        this.entries.set(name, entry);
        this.names.push(name);
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The bytes of a record, checked against its CRC-32; read into the start of `into` (which
   * must be large enough) when given.
   */
  read(name: string, into?: Buffer): Buffer {
    const e = this.entries.get(name);
    if (!e) throw new FormatError(`the record '${name}' is missing`);
    if (e.method !== 0) {
      throw new FormatError(
        `the record '${name}' is compressed (method ${e.method}); only stored records are supported`,
      );
    }
    if (e.compressedSize !== e.size) throw new FormatError(`the record '${name}' has inconsistent sizes`);
    const local = readAt(this.fd, e.localOffset, 30, this.fileSize, `the header of record '${name}'`);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new FormatError(`the local header of record '${name}' is damaged`);
    const dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (e.size > 0xfffffffe) throw new FormatError(`the record '${name}' is larger than 4 GiB, which Node cannot hold`);
    if (into && into.length < e.size) throw new RangeError(`ZipReader.read: no room for '${name}'`);
    const data = readAt(this.fd, dataStart, e.size, this.fileSize, `the record '${name}'`, into);
    if (crc32(data) !== e.crc) {
      throw new FormatError(`the record '${name}' is corrupt (its CRC-32 does not match)`);
    }
    return data;
  }
}
