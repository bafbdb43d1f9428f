// Python's pickle, limited to data. The reader is a stack machine over the opcodes that carry
// data (those of torch.load(weights_only=True)'s unpickler, plus the harmless data opcodes of
// protocols 3 to 5); it never imports or calls anything: GLOBAL, REDUCE, NEWOBJ, BUILD and
// persistent ids go to hooks (see pt.ts), which allow a fixed list of names and refuse the
// rest. Opcodes that run code by name (INST, OBJ, EXT*) and the text protocol's PERSID are
// refused. The writer emits protocol 2, the subset that torch.save writes.
import { FormatError } from './zip.js';

// ---- Python values as the reader builds them

/** A tuple (arrays are lists, so that APPEND can tell them apart). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict, collections.OrderedDict or collections.Counter, in insertion order. */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<string, number>();
  /** What BUILD set on it (OrderedDict's `_metadata` in state dicts). */
  state: PyValue | undefined;

  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter') {}

  set(key: PyValue, value: PyValue): void {
    const h = hashKey(key);
    const at = this.index.get(h);
    if (at === undefined) {
      this.index.set(h, this.keys.length);
      this.keys.push(key);
      this.values.push(value);
    } else this.values[at] = value;
  }

  get(key: string): PyValue | undefined {
    const at = this.index.get(hashKey(key));
    return at === undefined ? undefined : this.values[at];
  }

  get size(): number {
    return this.keys.length;
  }
}

export class PySet {
  readonly items: PyValue[] = [];
  private readonly index = new Set<string>();
  add(v: PyValue): void {
    const h = hashKey(v);
    if (!this.index.has(h)) {
      this.index.add(h);
      this.items.push(v);
    }
  }
}

/** A name that GLOBAL pushed, after the allow-list let it through. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Anything the hooks make (tensors, storages); opaque to the machine. */
export class PyOpaque {
  constructor(readonly value: unknown) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyOpaque;

/** Dict keys must be hashable: None, bools, numbers, strings, bytes and tuples of them. */
function hashKey(k: PyValue): string {
  if (k === null) return 'N';
  if (typeof k === 'boolean') return k ? 'n1' : 'n0'; // True == 1 in Python
  if (typeof k === 'number' || typeof k === 'bigint') return `n${k}`;
  if (typeof k === 'string') return `s${k}`;
  if (k instanceof Uint8Array) return `b${Buffer.from(k).toString('hex')}`;
  if (k instanceof PyTuple) return `t(${k.items.map(hashKey).join(',')})`;
  if (k instanceof PyGlobal) return `g${k.path}`;
  throw new FormatError(`a dict key or set item is unhashable (${pyTypeName(k)})`);
}

export function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind;
  if (v instanceof PySet) return 'set';
  if (v instanceof PyGlobal) return v.path;
  return 'object';
}

// ---- the reader

export interface UnpickleHooks {
  /** The value GLOBAL pushes for `module.name`; throws where the name is not allowed. */
  global(module: string, name: string): PyValue;
  /** REDUCE: `fn(*args)`. */
  call(fn: PyValue, args: PyValue[]): PyValue;
  /** NEWOBJ: `cls.__new__(cls, *args)`. */
  newObject(cls: PyValue, args: PyValue[]): PyValue;
  /** BUILD: `inst.__setstate__(state)`; returns nothing, changes inst. */
  build(inst: PyValue, state: PyValue): void;
  persistentLoad(pid: PyValue): PyValue;
}

// Python 2 module names that protocol 2 writes (pickle's fix_imports).
const IMPORT_MAPPING: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int as a JS number where exact, otherwise a bigint. */
export function intValue(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
  return intValue(v);
}

export function unpickle(data: Uint8Array, hooks: UnpickleHooks): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: Slot[] = [];
  const metastack: Slot[][] = [];
  const memo = new Map<number, PyValue>();
  let opPos = 0;

  const fail = (what: string): never => {
    throw new FormatError(`${what} (at byte ${opPos} of data.pkl)`);
  };
  const need = (n: number): void => {
    if (pos + n > data.length) fail('the pickle ends in the middle of an instruction (data.pkl is truncated)');
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => {
    need(1);
    return data[pos++] as number;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) fail('a length runs past the end of data.pkl');
    return Number(v);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('a GLOBAL name is not terminated (data.pkl is truncated)');
    const s = text(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) return fail('an instruction needs a value but the stack is empty');
    if (v === MARK) return fail('an instruction needs a value but found a MARK');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined) return fail('an instruction needs a value but the stack is empty');
    if (v === MARK) return fail('an instruction needs a value but found a MARK');
    return v;
  };
  const popMark = (): PyValue[] => {
    const items = stack as PyValue[];
    const prev = metastack.pop();
    if (prev === undefined) return fail('an instruction needs a MARK but there is none');
    stack = prev;
    return items;
  };
  const put = (i: number): void => {
    memo.set(i, top());
  };
  const get = (i: number): void => {
    const v = memo.get(i);
    if (v === undefined) fail(`the memo has no entry ${i}`);
    push(v as PyValue);
  };
  const dictTarget = (op: string): PyDict => {
    const d = top();
    if (!(d instanceof PyDict)) return fail(`${op} needs a dict but found ${pyTypeName(d)}`);
    return d;
  };
  const listTarget = (op: string): PyValue[] => {
    const l = top();
    if (!Array.isArray(l)) return fail(`${op} needs a list but found ${pyTypeName(l)}`);
    return l;
  };

  for (;;) {
    opPos = pos;
    if (pos >= data.length) fail('the pickle ends without a STOP instruction (data.pkl is truncated)');
    const op = data[pos++] as number;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('the pickle protocol is newer than 5');
        break;
      case 0x95: // FRAME (protocol 4): a length prefix, nothing to do
        u64();
        break;
      case 0x2e: {
        // STOP
        const v = pop();
        return v;
      }
      // ---- stack and memo
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('POP on an empty stack');
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      // ---- constants
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x4a: // BININT
        need(4);
        push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x8a: // LONG1
        push(decodeLong(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail('LONG4 with a negative length');
        push(decodeLong(bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        push(text(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(text(bytes(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (a Python 2 str; torch.load decodes it as UTF-8)
        push(text(bytes(u8())));
        break;
      case 0x43: // SHORT_BINBYTES
        push(Uint8Array.from(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        push(Uint8Array.from(bytes(u32())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(Uint8Array.from(bytes(u64())));
        break;
      // ---- containers
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        listTarget('APPEND').push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        listTarget('APPENDS').push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict('dict'));
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict('dict');
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        dictTarget('SETITEM').set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const d = dictTarget('SETITEMS');
        for (let i = 0; i < items.length; i += 2) d.set(items[i] as PyValue, items[i + 1] as PyValue);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) fail(`ADDITEMS needs a set but found ${pyTypeName(s)}`);
        for (const v of items) (s as PySet).add(v);
        break;
      }
      case 0x91: {
        // FROZENSET
        const s = new PySet();
        for (const v of popMark()) s.add(v);
        push(s);
        break;
      }
      // ---- the hooks: names, calls, storages
      case 0x63: {
        // GLOBAL
        let module = line();
        const name = line();
        module = IMPORT_MAPPING[module] ?? module;
        push(hooks.global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(hooks.global(IMPORT_MAPPING[module as string] ?? (module as string), name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) fail(`REDUCE needs a tuple of arguments but found ${pyTypeName(args)}`);
        push(hooks.call(fn, (args as PyTuple).items));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail(`NEWOBJ needs a tuple of arguments but found ${pyTypeName(args)}`);
        push(hooks.newObject(cls, (args as PyTuple).items));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        push(hooks.persistentLoad(pop()));
        break;
      default: {
        const names: Record<number, string> = {
          105: 'INST',
          111: 'OBJ',
          130: 'EXT1',
          131: 'EXT2',
          132: 'EXT4',
          80: 'PERSID',
          146: 'NEWOBJ_EX',
          151: 'NEXT_BUFFER',
          152: 'READONLY_BUFFER',
        };
        const name = names[op];
        fail(
          name
            ? `the pickle uses ${name}, which the safe subset does not allow`
            : `unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (data.pkl is corrupt or not a torch.save pickle)`,
        );
      }
    }
  }
}

// ---- the writer

/**
 * CPython keeps one object for the empty string and for each one-character string of code
 * point below 256, so such strings are the same object wherever they come from, and the
 * pickler's memo finds them even where the string was made afresh.
 */
function isSingletonString(s: string): boolean {
  return s.length === 0 || (s.length === 1 && s.charCodeAt(0) < 256);
}

/**
 * A growable byte buffer with pickle's primitives, writing what CPython's C pickler writes at
 * protocol 2: every string, non-empty tuple, list, dict and reduced object goes into the memo
 * (BINPUT) as it is written, and later references to the same object are BINGETs. JavaScript
 * strings have no identity, so the caller says which kind a string is: `str` for one that is
 * the same object everywhere in Python (identifiers and literals, which CPython interns, and
 * dict keys parsed from JSON), written once and fetched after; `freshStr` for one that Python
 * makes anew at each use (a state dict's keys, built by concatenation), written every time.
 */
export class PickleWriter {
  private buf = Buffer.allocUnsafe(1024);
  private n = 0;
  private memoCount = 0;
  private readonly strings = new Map<string, number>();

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }

  op(code: number): void {
    this.ensure(1);
    this.buf[this.n++] = code;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  proto(): void {
    this.op(0x80);
    this.op(2);
  }

  stop(): void {
    this.op(0x2e);
  }

  mark(): void {
    this.op(0x28);
  }

  none(): void {
    this.op(0x4e);
  }

  bool(v: boolean): void {
    this.op(v ? 0x88 : 0x89);
  }

  int(v: number | bigint): void {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      // An integral double beyond 2^53: exact as a bigint.
      v = BigInt(v);
    }
    if (typeof v === 'number') {
      if (v >= 0 && v <= 0xff) {
        this.op(0x4b);
        this.op(v);
        return;
      }
      if (v >= 0 && v <= 0xffff) {
        this.op(0x4d);
        this.ensure(2);
        this.buf.writeUInt16LE(v, this.n);
        this.n += 2;
        return;
      }
      if (v >= -0x80000000 && v <= 0x7fffffff) {
        this.op(0x4a);
        this.ensure(4);
        this.buf.writeInt32LE(v, this.n);
        this.n += 4;
        return;
      }
      v = BigInt(v);
    }
    if (v >= -0x80000000n && v <= 0x7fffffffn) {
      this.int(Number(v));
      return;
    }
    // LONG1 (LONG4 beyond 255 bytes): little-endian two's complement, as few bytes as keep
    // the sign.
    const out: number[] = [];
    let x = v;
    for (;;) {
      const byte = Number(x & 0xffn);
      out.push(byte);
      x >>= 8n;
      if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
    }
    if (out.length < 256) {
      this.op(0x8a);
      this.op(out.length);
    } else {
      this.op(0x8b);
      this.ensure(4);
      this.buf.writeInt32LE(out.length, this.n);
      this.n += 4;
    }
    this.raw(Uint8Array.from(out));
  }

  float(v: number): void {
    this.op(0x47);
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.n);
    this.n += 8;
  }

  /** BINUNICODE, memoised; returns the memo slot. */
  private unicode(s: string): number {
    const b = Buffer.from(s, 'utf8');
    this.op(0x58);
    this.ensure(4);
    this.buf.writeUInt32LE(b.length, this.n);
    this.n += 4;
    this.raw(b);
    return this.memoize();
  }

  /** A string that is one object in Python wherever it occurs: written once, then BINGET. */
  str(s: string): void {
    const m = this.strings.get(s);
    if (m !== undefined) this.get(m);
    else this.strings.set(s, this.unicode(s));
  }

  /** A string that Python makes anew here: written (and memoised) every time. */
  freshStr(s: string): number {
    if (isSingletonString(s)) {
      this.str(s);
      return this.strings.get(s) as number;
    }
    return this.unicode(s);
  }

  global(module: string, name: string): void {
    this.op(0x63);
    this.raw(Buffer.from(`${module}\n${name}\n`, 'utf8'));
  }

  /** Stores the top of the stack in the next memo slot and returns the slot. */
  memoize(): number {
    const i = this.memoCount++;
    if (i < 256) {
      this.op(0x71);
      this.op(i);
    } else {
      this.op(0x72);
      this.ensure(4);
      this.buf.writeUInt32LE(i, this.n);
      this.n += 4;
    }
    return i;
  }

  get(i: number): void {
    if (i < 256) {
      this.op(0x68);
      this.op(i);
    } else {
      this.op(0x6a);
      this.ensure(4);
      this.buf.writeUInt32LE(i, this.n);
      this.n += 4;
    }
  }

  /**
   * A tuple of what `items` writes; `count` items. Non-empty tuples are memoised after, and
   * their slot returned; the empty tuple is not (undefined).
   */
  tuple(count: number, items: () => void): number | undefined {
    if (count === 0) {
      this.op(0x29);
      return undefined;
    }
    if (count <= 3) {
      items();
      this.op(0x84 + count); // TUPLE1..TUPLE3
    } else {
      this.mark();
      items();
      this.op(0x74);
    }
    return this.memoize();
  }

  /**
   * The items of a list (`count` of them, `item(i)` writing each) appended in batches of 1000,
   * as the C pickler does for a list: a list of one item is a single APPEND; otherwise every
   * batch, even a last one of a single item, is MARK ... APPENDS.
   */
  appends(count: number, item: (i: number) => void): void {
    this.batches(count, item, true, 0x61, 0x65);
  }

  /**
   * The entries of a dict, as `appends`: `exact` for a plain dict (batched as a list is); an
   * OrderedDict's entries come from an iterator, where every batch of one, the last included,
   * is a single SETITEM.
   */
  setitems(count: number, entry: (i: number) => void, exact: boolean): void {
    this.batches(count, entry, exact, 0x73, 0x75);
  }

  private batches(count: number, item: (i: number) => void, exact: boolean, one: number, many: number): void {
    if (count === 0) return;
    if (count === 1 || !exact) {
      for (let i = 0; i < count; i += 1000) {
        const end = Math.min(count, i + 1000);
        if (end - i === 1) {
          item(i);
          this.op(one);
          continue;
        }
        this.mark();
        for (let j = i; j < end; j++) item(j);
        this.op(many);
      }
      return;
    }
    for (let i = 0; i < count; i += 1000) {
      this.mark();
      for (let j = i; j < Math.min(count, i + 1000); j++) item(j);
      this.op(many);
    }
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

/** Opcodes by name, for the writer's callers. */
export const OP = {
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
  SETITEMS: 0x75,
  REDUCE: 0x52,
  BUILD: 0x62,
  BINPERSID: 0x51,
  EMPTY_TUPLE: 0x29,
  SETITEM: 0x73,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
} as const;
