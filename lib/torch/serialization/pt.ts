// torch.save / torch.load in PyTorch's own format: a zip archive (uncompressed, records aligned
// to 64 bytes) holding `<archive>/data.pkl`, a protocol 2 pickle of the object in which every
// tensor is `torch._utils._rebuild_tensor_v2(<persistent storage id>, offset, size, stride,
// requires_grad, OrderedDict())`, and `<archive>/data/<key>`, each storage's raw
// little-endian bytes; plus the small records that current PyTorch writes (`.format_version`,
// `.storage_alignment`, `byteorder`, `version`, `.data/serialization_id`).
//
// How JavaScript values map to Python's (both ways):
//   Tensor <-> torch.Tensor (Parameters load as tensors with requiresGrad set); sparse tensors
//   (COO, CSR, CSC, BSR, BSC) by their components, as PyTorch pickles them, their invariants
//   checked on load (see TorchPickler.sparse and assembleSparse). number <-> int
//   when it is an integer of at most 2^53, else float: 1.0 saves as the int 1, a Python float
//   2.0 loads as 2, and -0 and 1e300 save as floats. bigint <-> int; ints beyond 2^53 load as
//   bigints. string <-> str, boolean <-> bool, null (and undefined) <-> None, array <-> list
//   (tuples load as arrays too), Set <-> set, Uint8Array <-> bytes. A Python dtype loads as its
//   name ('float32'), a torch.device as its string ('cuda:0'), a torch.Size as an array, a
//   Counter as a plain object.
//   Plain objects <-> dicts. An object saves as a collections.OrderedDict when it is a state
//   dict, that is when all its values are tensors (as `Module.stateDict()` gives), when it was
//   loaded from an OrderedDict, or when it carries the non-enumerable `_metadata` that state
//   dicts loaded from Python have (written back with BUILD, as PyTorch does); every other object
//   saves as a plain dict. In an OrderedDict keys are strings; in a plain dict a key that is a
//   canonical non-negative integer ('0', '12') saves as a Python int, as the `state` of an
//   optimizer state dict needs. Objects loaded from a file remember which of their keys were
//   ints and which strings, so they save back exactly (float, bool and None keys load as their
//   strings and save back as strings).
//
// Byte identity: for the same object, the archive is byte for byte the one Python's torch.save
// (2.13) writes, but for the 40 random digits of `.data/serialization_id` (and their CRC). The
// pickle memoises what CPython's pickler does: every string, non-empty tuple, list, dict and
// reduced object, by identity. JavaScript strings have none, so a string is taken for the one
// object Python would share (literals and identifiers, which CPython interns) and written once,
// except where torch makes a new string per use: the keys of OrderedDicts (a state dict's,
// built by concatenation), storage keys (one per storage) and non-CPU locations ('cuda:0').
// Optimizer state dicts ({state, param_groups}) are written as Python's: their per-parameter
// states are plain dicts and their groups' `betas`, `etas` and `step_sizes` are tuples. Where
// Python's object differs in kind, so do the bytes: a float with an integral value (JavaScript
// has only numbers), a set (Python orders it by hash), b'' (see TorchPickler.bytes), a string
// that is a distinct object in Python, or a state dict without `_metadata`.
//
// Loading never runs anything from the file: the pickle machine in pickle.ts knows only data,
// and the globals a file may name are the ones torch.load(weights_only=True) allows; any other
// global is an Error that names it and the file. Each storage loads to the location the file
// records for it ('cpu', 'cuda:0'), as PyTorch's does, unless `mapLocation` says otherwise (see
// map_location.ts); a recorded device that does not exist here is an Error. Tensors that
// share a storage in the file share memory here too (on whichever device) where their layout is
// expressible as a view (offsets, slices with steps, transposes, expansions), and are copies
// otherwise.

import { randomInt } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename } from 'node:path';
import '../../generated/methods.js';
import { native, ops } from '../../binding.js';
import { isPlainObject } from '../../plain_object.js';
import type { Device } from '../device.js';
import { type DType, dtypeCode } from '../dtype.js';
import { COMPRESSED_LAYOUTS, type Layout } from '../layout.js';
import { sparseCompressedTensor, sparseCooTensor } from '../sparse.js';
import { Tensor } from '../tensor.js';
import { atomicWrite, ioError } from './atomic.js';
import { checkMapLocation, type MapLocation, restoreLocation } from './map_location.js';
import {
  OP,
  PickleWriter,
  PyDict,
  PyGlobal,
  PyOpaque,
  PySet,
  PyTuple,
  type PyValue,
  pyTypeName,
  unpickle,
} from './pickle.js';
import { FormatError, Scratch, ZipReader, ZipWriter } from './zip.js';

// ---- dtypes and storage classes

const STORAGE_OF: Record<DType, string> = {
  float64: 'DoubleStorage',
  float32: 'FloatStorage',
  complex64: 'ComplexFloatStorage',
  complex128: 'ComplexDoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

/** Storage class name -> dtype name (including dtypes torch-node cannot hold). */
const DTYPE_OF_STORAGE: Record<string, string> = {
  ...Object.fromEntries(Object.entries(STORAGE_OF).map(([d, s]) => [s, d])),
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UntypedStorage: 'uint8',
};

export const ELEMENT_SIZE: Record<DType, number> = {
  float64: 8,
  float32: 4,
  complex64: 8,
  complex128: 16,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const isDType = (s: string): s is DType => s in ELEMENT_SIZE;

const DTYPE_GLOBAL =
  /^(bool|bfloat16|u?int\d+|float\d+(_\w+)?|complex\d+|q(u)?int\w+|bits\w+|half|float|double|long|int|short|cfloat|cdouble|chalf)$/;

// ---- what an object remembers of its Python type (see the header)

const orderedDicts = new WeakSet<object>();
/** Keys whose Python type differs from the default rule (int-like keys of plain dicts are ints). */
const keyExceptions = new WeakMap<object, Set<string>>();
const INT_KEY = /^(0|[1-9]\d{0,15})$/;
const defaultIsInt = (ordered: boolean, key: string): boolean =>
  !ordered && INT_KEY.test(key) && Number(key) <= Number.MAX_SAFE_INTEGER;

// ============================================================================ save

/**
 * A storage the file holds: the whole storage of `tensor` (shared by every tensor over it, as
 * PyTorch writes views and tied weights), or a contiguous copy of `tensor` alone where its
 * storage cannot be written as elements of its dtype.
 */
interface SavedStorage {
  tensor: Tensor;
  path: string;
  whole: boolean;
  dtype: DType;
  /** Elements of `dtype`. */
  numel: number;
  /**
   * The memo slot of its key string: Python makes the key once per storage (`str(len(id_map))`)
   * and hands that one string to every tensor over it.
   */
  keySlot?: number;
}

/** The param-group entries that PyTorch's optimizers hold as tuples (Adam's betas, Rprop's etas). */
const TUPLE_HYPERPARAMETERS = ['betas', 'etas', 'step_sizes'];

class TorchPickler {
  readonly w = new PickleWriter();
  readonly storages: SavedStorage[] = [];
  /** The storages written whole, by their native key (device and data pointer). */
  private readonly byKey = new Map<string, number>();
  private readonly memo = new Map<object, number>();
  private readonly globals = new Map<string, number>();
  private readonly active = new Set<object>();
  /** The memo slot of each sparse layout object written (Python pickles one object per layout). */
  private readonly layouts = new Map<string, number>();
  /** Tensors made while pickling (the components of sparse tensors), freed when save() ends. */
  readonly temps: Tensor[] = [];
  /** The memo slots of one-byte (and empty) bytes, which CPython keeps one object each of. */
  private readonly smallBytes = new Map<string, number>();
  /** Dicts written as plain dicts whatever their values (an optimizer's per-parameter states). */
  private readonly plainDicts = new WeakSet<object>();
  /** Dicts written as OrderedDicts whatever their values (a state dict's _metadata). */
  private readonly forceOrdered = new WeakSet<object>();
  /** Arrays written as tuples (an optimizer's betas). */
  private readonly tuples = new WeakSet<object>();

  constructor() {
    this.w.proto();
  }

  private global(module: string, name: string): void {
    const key = `${module}\n${name}`;
    const m = this.globals.get(key);
    if (m !== undefined) this.w.get(m);
    else {
      this.w.global(module, name);
      this.globals.set(key, this.w.memoize());
    }
  }

  /** `OrderedDict()`, memoised as a new object; returns its memo slot. */
  private emptyOrderedDict(): number {
    this.global('collections', 'OrderedDict');
    this.w.op(OP.EMPTY_TUPLE);
    this.w.op(OP.REDUCE);
    return this.w.memoize();
  }

  value(v: unknown, path: string): void {
    const w = this.w;
    if (v === null || v === undefined) {
      w.none();
      return;
    }
    switch (typeof v) {
      case 'boolean':
        w.bool(v);
        return;
      case 'number':
        // Integers up to 2^53 are ints; beyond, a number is no exact integer (use a bigint).
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) w.int(v);
        else w.float(v);
        return;
      case 'bigint':
        w.int(v);
        return;
      case 'string':
        w.str(v);
        return;
      case 'object':
        break;
      default:
        throw new TypeError(`save: ${path} is ${describeValue(v)}, which has no PyTorch checkpoint form`);
    }
    const o = v as object;
    const m = this.memo.get(o);
    const proto = Object.getPrototypeOf(o);
    if (m !== undefined) w.get(m);
    else if (o instanceof Tensor) this.tensor(o, path);
    else if (Array.isArray(o)) {
      if (this.tuples.has(o)) this.tuple(o, path);
      else this.list(o, path);
    } else if (o instanceof Set) this.set(o, path);
    else if (o instanceof Uint8Array && (o.constructor === Uint8Array || Buffer.isBuffer(o))) this.bytes(o);
    else if (proto === Object.prototype || proto === null) this.dict(o as Record<string, unknown>, path);
    else {
      throw new TypeError(
        `save: ${path} is ${describeValue(o)}; a checkpoint holds tensors, numbers, strings, booleans, null, ` +
          'arrays, Sets, Uint8Arrays and plain objects of them' +
          (ArrayBuffer.isView(o) ? ' (make a tensor of a typed array with torch.tensor(...))' : ''),
      );
    }
  }

  private tensor(t: Tensor, path: string): void {
    if (t.isDisposed) throw new Error(`save: ${path} is a disposed tensor`);
    if (t.layout !== 'strided') {
      this.sparse(t, path);
      return;
    }
    const w = this.w;
    const dtype = t.dtype;
    const shape = t.shape;
    const { index, offset, stride } = this.storageOf(t, path);
    const storage = this.storages[index] as SavedStorage;
    this.global('torch._utils', '_rebuild_tensor_v2');
    w.mark();
    // The persistent id, a new tuple per tensor: ('storage', FloatStorage, key, location, numel).
    // 'storage' and 'cpu' are literals of torch.serialization (one object each); a CUDA
    // location is built per tensor ('cuda:' + index), so it is written every time.
    w.mark();
    w.str('storage');
    this.global('torch', STORAGE_OF[dtype]);
    if (storage.keySlot !== undefined) w.get(storage.keySlot);
    else storage.keySlot = w.freshStr(String(index));
    const location = saveTesting.location?.(t) ?? t.device;
    if (location === 'cpu') w.str('cpu');
    else w.freshStr(location);
    w.int(storage.numel);
    w.op(OP.TUPLE);
    w.memoize();
    w.op(OP.BINPERSID);
    w.int(offset);
    w.tuple(shape.length, () => {
      for (const s of shape) w.int(s);
    });
    w.tuple(stride.length, () => {
      for (const s of stride) w.int(s);
    });
    w.bool(t.requiresGrad);
    this.emptyOrderedDict(); // backward hooks
    // A conjugate or negative view over a storage written whole (x.conj() beside x) keeps its
    // bit as PyTorch keeps it: in the metadata argument, {'neg': True, 'conj': True}, in that
    // order; a storage written alone holds the values as they read (rawBytes).
    const bits = storage.whole ? [t.isNeg() ? 'neg' : '', t.isConj() ? 'conj' : ''].filter((b) => b) : [];
    if (bits.length > 0) {
      // A dict that C++ builds per tensor, its keys new strings each time.
      w.op(OP.EMPTY_DICT);
      w.memoize();
      w.setitems(
        bits.length,
        (i) => {
          w.freshStr(bits[i] as string);
          w.bool(true);
        },
        true,
      );
    }
    w.op(OP.TUPLE);
    w.memoize();
    w.op(OP.REDUCE);
    this.memo.set(t, w.memoize());
  }

  /**
   * A sparse tensor as Python's Tensor.__reduce_ex__ writes it: `_rebuild_sparse_tensor(layout,
   * (indices, values, torch.Size(size), is_coalesced))` for COO, `(compressed_indices,
   * plain_indices, values, size)` for CSR, CSC, BSR and BSC, with the layout pickled as
   * `torch.serialization._get_layout('torch.sparse_coo')` and the components as ordinary tensors.
   * That form has no requires_grad (Python's torch.save drops it), so a sparse tensor that
   * requires grad is written as Python writes a sparse nn.Parameter, which keeps the flag.
   */
  private sparse(t: Tensor, path: string): void {
    const layout = t.layout;
    const coo = layout === 'sparse_coo';
    const rowMajor = layout === 'sparse_csr' || layout === 'sparse_bsr';
    if (!coo && !rowMajor && layout !== 'sparse_csc' && layout !== 'sparse_bsc') {
      throw new Error(`save: ${path} is a ${layout} tensor, which torch-node cannot save; save x.toDense()`);
    }
    const w = this.w;
    const requiresGrad = t.requiresGrad;
    const getters: [string, () => Tensor][] = coo
      ? [
          ['indices', () => t._indices()],
          ['values', () => t._values()],
        ]
      : [
          [rowMajor ? 'crowIndices' : 'ccolIndices', () => (rowMajor ? t.crowIndices() : t.ccolIndices())],
          [rowMajor ? 'colIndices' : 'rowIndices', () => (rowMajor ? t.colIndices() : t.rowIndices())],
          ['values', () => t.values()],
        ];
    // The components are new handles over t's own storages; they must outlive the pickling (the
    // storages are read when the archive is written), so save() frees them at its end.
    const parts = getters.map(([name, get]) => {
      let c = get();
      this.temps.push(c);
      if (c.requiresGrad) {
        c = c.detach();
        this.temps.push(c);
      }
      return [name, c] as const;
    });
    if (requiresGrad) this.global('torch._utils', '_rebuild_parameter');
    this.global('torch._utils', '_rebuild_sparse_tensor');
    const known = this.layouts.get(layout);
    if (known !== undefined) w.get(known);
    else {
      this.global('torch.serialization', '_get_layout');
      w.str(`torch.${layout}`);
      w.op(OP.TUPLE1);
      w.memoize();
      w.op(OP.REDUCE);
      this.layouts.set(layout, w.memoize());
    }
    const shape = t.shape;
    w.tuple(parts.length + (coo ? 2 : 1), () => {
      for (const [name, c] of parts) this.tensor(c, `${path}.${name}()`);
      this.global('torch', 'Size');
      w.tuple(shape.length, () => {
        for (const s of shape) w.int(s);
      });
      w.op(OP.TUPLE1);
      w.memoize();
      w.op(OP.REDUCE);
      w.memoize();
      if (coo) w.bool(t.isCoalesced());
    });
    w.op(OP.TUPLE2);
    w.memoize();
    w.op(OP.REDUCE);
    if (requiresGrad) {
      // Parameter.__reduce_ex__: (_rebuild_parameter, (self.data, True, OrderedDict())), where
      // self.data is the sparse tensor just reduced, an object of its own.
      w.memoize();
      w.bool(true);
      this.emptyOrderedDict();
      w.op(OP.TUPLE3);
      w.memoize();
      w.op(OP.REDUCE);
    }
    this.memo.set(t, w.memoize());
  }

  /**
   * The storage `t` is written over, with its offset and strides: its whole storage, shared with
   * the other tensors over it (a view, a tied weight), as PyTorch writes it; else (a storage
   * that other tensors view as another dtype, or of a size that is no whole number of elements,
   * or empty) a contiguous copy of `t` alone.
   */
  private storageOf(t: Tensor, path: string): { index: number; offset: number; stride: number[] } {
    const dtype = t.dtype;
    const size = ELEMENT_SIZE[dtype];
    const info = native.storageInfo(t._h);
    // With the size: two storages made over the same memory (fromBuffer twice) may differ in it.
    const key = `${info.key}/${info.nbytes}`;
    const known = this.byKey.get(key);
    const shared = known !== undefined && (this.storages[known] as SavedStorage).dtype === dtype;
    if (shared || (known === undefined && info.nbytes > 0 && info.nbytes % size === 0)) {
      let index = known as number;
      if (!shared) {
        index = this.storages.length;
        this.storages.push({ tensor: t, path, whole: true, dtype, numel: info.nbytes / size });
        this.byKey.set(key, index);
      }
      return { index, offset: info.offset, stride: t.stride() };
    }
    const index = this.storages.length;
    this.storages.push({ tensor: t, path, whole: false, dtype, numel: t.numel() });
    return { index, offset: 0, stride: contiguousStrides(t.shape) };
  }

  private list(a: unknown[], path: string): void {
    const w = this.w;
    w.op(OP.EMPTY_LIST);
    this.memo.set(a, w.memoize());
    w.appends(a.length, (j) => this.value(a[j], `${path}[${j}]`));
  }

  private tuple(a: unknown[], path: string): void {
    const slot = this.w.tuple(a.length, () => {
      for (let i = 0; i < a.length; i++) this.value(a[i], `${path}[${i}]`);
    });
    if (slot !== undefined) this.memo.set(a, slot);
  }

  private set(s: Set<unknown>, path: string): void {
    if (this.active.has(s)) throw new TypeError(`save: ${path} is a Set that contains itself`);
    this.active.add(s);
    const w = this.w;
    this.global('__builtin__', 'set');
    // set.__reduce__ at protocol 2: (set, (list(s),)), the list a new one.
    w.op(OP.EMPTY_LIST);
    w.memoize();
    const items = [...s];
    w.appends(items.length, (i) => this.value(items[i], `${path} item ${i}`));
    w.op(OP.TUPLE1);
    w.memoize();
    w.op(OP.REDUCE);
    this.memo.set(s, w.memoize());
    this.active.delete(s);
  }

  /**
   * bytes at protocol 2: `_codecs.encode(<the bytes as a latin-1 str>, 'latin1')`. CPython keeps
   * one object per one-byte value (and for b''), so those are memoised by value. Python writes
   * b'' as `bytes()`, which torch.load(weights_only=True) refuses; it is written here as
   * `_codecs.encode('', 'latin1')`, which loads everywhere.
   */
  private bytes(b: Uint8Array): void {
    const w = this.w;
    const single = b.length <= 1 ? `${b[0] ?? ''}` : undefined;
    const known = single === undefined ? undefined : this.smallBytes.get(single);
    if (known !== undefined) {
      w.get(known);
      return;
    }
    this.global('_codecs', 'encode');
    w.freshStr(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));
    w.str('latin1');
    w.op(OP.TUPLE2);
    w.memoize();
    w.op(OP.REDUCE);
    const slot = w.memoize();
    this.memo.set(b, slot);
    if (single !== undefined) this.smallBytes.set(single, slot);
  }

  private dict(o: Record<string, unknown>, path: string): void {
    const w = this.w;
    const keys = Object.keys(o);
    const meta = Object.getOwnPropertyDescriptor(o, '_metadata');
    const hiddenMetadata = meta !== undefined && !meta.enumerable ? meta.value : undefined;
    const ordered =
      this.forceOrdered.has(o) ||
      (!this.plainDicts.has(o) &&
        (orderedDicts.has(o) ||
          hiddenMetadata !== undefined ||
          (keys.length > 0 && keys.every((k) => o[k] instanceof Tensor))));
    if (ordered) this.memo.set(o, this.emptyOrderedDict());
    else {
      w.op(OP.EMPTY_DICT);
      this.memo.set(o, w.memoize());
    }
    // An optimizer state dict, {state, param_groups}: its per-parameter states are the plain
    // dicts Optimizer.state_dict() makes, even where all their values are tensors.
    const state = o.state;
    // Its groups' pairs of hyperparameters are the tuples Python's optimizers keep.
    const groups = o.param_groups;
    if (!ordered && keys[0] === 'state' && keys.length === 2 && isPlainObject(state) && Array.isArray(groups)) {
      for (const v of Object.values(state)) if (isPlainObject(v)) this.plainDicts.add(v);
      for (const g of groups) {
        if (!isPlainObject(g)) continue;
        for (const k of TUPLE_HYPERPARAMETERS) if (Array.isArray(g[k])) this.tuples.add(g[k]);
      }
    }
    const exceptions = keyExceptions.get(o);
    // An OrderedDict's keys are taken for a state dict's (and its _metadata's), which Python
    // builds by concatenation, one new string per key; a plain dict's are taken for literals.
    w.setitems(
      keys.length,
      (i) => {
        const k = keys[i] as string;
        if (defaultIsInt(ordered, k) !== (exceptions?.has(k) ?? false)) w.int(Number(k));
        else if (ordered) w.freshStr(k);
        else w.str(k);
        this.value(o[k], INT_KEY.test(k) ? `${path}[${k}]` : `${path}.${k}`);
      },
      !ordered,
    );
    if (hiddenMetadata !== undefined) {
      // OrderedDict.__reduce__'s state, vars(o): {'_metadata': an OrderedDict of plain dicts}.
      w.op(OP.EMPTY_DICT);
      w.memoize();
      w.str('_metadata');
      if (isPlainObject(hiddenMetadata)) this.forceOrdered.add(hiddenMetadata);
      this.value(hiddenMetadata, `${path}._metadata`);
      w.op(OP.SETITEM);
      w.op(OP.BUILD);
    }
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'object' && v !== null) return `an object of class ${v.constructor?.name ?? '(anonymous)'}`;
  return `a ${typeof v}`;
}

export function contiguousStrides(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= Math.max(shape[d] as number, 1);
  }
  return stride;
}

/** The archive's top folder: the file's name without its extension, as PyTorch names it. */
function archiveName(path: string): string {
  const b = basename(path);
  const dot = b.lastIndexOf('.');
  const name = dot >= 0 ? b.slice(0, dot) : b;
  return name === '' ? 'archive' : name;
}

function serializationId(): string {
  let s = '';
  for (let i = 0; i < 40; i++) s += String(randomInt(10));
  return s;
}

/** @internal Test hook: write ZIP64 records even for small files. */
export const saveTesting: {
  forceZip64: boolean;
  /** The location recorded for a tensor's storage instead of its device (files from a GPU, on a CPU). */
  location?: (t: Tensor) => string | undefined;
} = { forceZip64: false };

/**
 * Saves `obj` (a tensor, or plain objects and arrays of tensors, numbers, strings, booleans and
 * null) to `path` in PyTorch's format, which Python reads with
 * `torch.load(path, weights_only=True)`. Tensors are written as PyTorch writes them: over their
 * storage, which tensors sharing it (views, tied weights) share in the file too (so they load
 * sharing it), with their dtype, shape, strides, device and requiresGrad. As in PyTorch, a view
 * of a large tensor writes that tensor's whole storage (save a `clone()` to write only the view). The write is atomic: the previous file stays
 * as it was until the new one is complete and flushed to disk. See the header of this file for
 * how values map to Python's, in particular which objects become OrderedDicts.
 */
export function save(obj: unknown, path: string): void {
  const p = new TorchPickler();
  try {
    saveWith(p, obj, path);
  } finally {
    for (const t of p.temps) t.dispose();
  }
}

function saveWith(p: TorchPickler, obj: unknown, path: string): void {
  atomicWrite(path, 'save', (fd) => {
    p.value(obj, 'the object');
    p.w.stop();
    const zip = new ZipWriter(fd);
    zip.forceZip64 = saveTesting.forceZip64;
    const prefix = archiveName(path);
    zip.add(`${prefix}/data.pkl`, p.w.bytes());
    zip.add(`${prefix}/.format_version`, '1');
    zip.add(`${prefix}/.storage_alignment`, '64');
    zip.add(`${prefix}/byteorder`, endianness() === 'LE' ? 'little' : 'big');
    p.storages.forEach(({ tensor, path: where, whole }, i) => {
      let bytes: ArrayBuffer;
      try {
        bytes = whole ? native.storageBytes(tensor._h) : native.rawBytes(tensor._h);
      } catch (e) {
        throw new Error(`save: could not read the data of ${where}: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      zip.add(`${prefix}/data/${i}`, new Uint8Array(bytes));
    });
    zip.add(`${prefix}/version`, '3\n');
    zip.add(`${prefix}/.data/serialization_id`, serializationId());
    zip.finish();
  });
}

// ============================================================================ load

export interface LoadOptions {
  /**
   * Where storages go, as `map_location` in PyTorch (see MapLocation): by default each to the
   * location recorded in the file.
   */
  mapLocation?: MapLocation;
}

/** A storage that the pickle refers to by key. */
class StorageRef {
  constructor(
    readonly key: string,
    /** The storage's dtype name; may be one torch-node cannot hold ('complex64'). */
    readonly dtype: string,
    readonly numel: number,
    /** The location the storage was saved from ('cpu', 'cuda:0'). */
    readonly location: string,
  ) {}
}

/** A tensor the pickle rebuilds; made into a Tensor once the whole pickle has been read. */
class TensorSpec {
  constructor(
    readonly storage: StorageRef,
    readonly dtype: DType,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    public requiresGrad: boolean,
    /** The conjugate and negative bits of the metadata argument ({'conj': True}, {'neg': True}). */
    readonly conj = false,
    readonly neg = false,
  ) {}
}

/** The torch.layout objects a file may name: strided and the sparse layouts torch-node has. */
const LOADABLE_LAYOUTS: readonly Layout[] = ['strided', 'sparse_coo', ...COMPRESSED_LAYOUTS];

/** A torch.layout object, `torch.serialization._get_layout('torch.sparse_csr')`; loads as its name. */
class LayoutRef {
  constructor(readonly name: Layout) {}
}

/**
 * A sparse tensor the pickle rebuilds (`_rebuild_sparse_tensor`): its components are tensors of
 * their own, made first; the sparse tensor is made of them, with its invariants checked.
 */
class SparseSpec {
  constructor(
    readonly layout: Layout,
    /** (indices, values) for COO; (compressed indices, plain indices, values) for the others. */
    readonly parts: TensorSpec[],
    readonly size: number[],
    /** COO's is_coalesced: null where the file leaves it out (older PyTorch) or says None. */
    readonly coalesced: boolean | null,
    public requiresGrad = false,
  ) {}
}

const ALLOWED_FUNCTIONS = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'torch.nn.parameter.Parameter',
  'torch.Size',
  'torch.Tensor',
  'torch.device',
  '_codecs.encode',
  'builtins.bytearray',
  'builtins.set',
  'builtins.complex',
  'torch.serialization._get_layout',
  'torch._tensor._rebuild_from_type_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor',
  'torch.per_tensor_affine',
  'torch.per_tensor_symmetric',
  'torch.per_channel_affine',
  'torch.per_channel_symmetric',
  'torch.per_channel_affine_float_qparams',
]);

function isAllowedGlobal(module: string, name: string): boolean {
  const path = `${module}.${name}`;
  if (ALLOWED_FUNCTIONS.has(path)) return true;
  if (module === 'torch' && DTYPE_GLOBAL.test(name)) return true; // dtypes
  if ((module === 'torch' || module === 'torch.cuda') && /^\w*(Storage|Tensor)$/.test(name)) return true;
  return module === 'torch.storage' && (name === 'TypedStorage' || name === 'UntypedStorage');
}

const int = (v: PyValue | undefined, what: string): number => {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new FormatError(`${what} should be an int but is ${pyTypeName(v)}`);
};

const intTuple = (v: PyValue | undefined, what: string): number[] => {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new FormatError(`${what} should be a tuple of ints but is ${pyTypeName(v)}`);
  return items.map((x) => {
    const n = int(x, what);
    if (n < 0) throw new FormatError(`${what} has a negative entry`);
    return n;
  });
};

const seq = (v: PyValue | undefined): PyValue[] | null =>
  v instanceof PyTuple ? v.items : Array.isArray(v) ? v : v instanceof PySet ? v.items : null;

class TorchUnpickleHooks {
  readonly specs: TensorSpec[] = [];
  readonly sparse: SparseSpec[] = [];
  private readonly storages = new Map<string, StorageRef>();

  global(module: string, name: string): PyValue {
    if (!isAllowedGlobal(module, name)) {
      throw new FormatError(
        `it refers to the global '${module}.${name}', which is not allowed: torch-node loads only the ` +
          'data that torch.load(weights_only=True) accepts, and never runs code from a file (nothing was run)',
      );
    }
    return new PyGlobal(module, name);
  }

  call(fn: PyValue, args: PyValue[]): PyValue {
    if (!(fn instanceof PyGlobal)) throw new FormatError(`the pickle calls a ${pyTypeName(fn)}, which is not callable`);
    const a = args;
    switch (fn.path) {
      case 'collections.OrderedDict':
      case 'collections.Counter': {
        const d = new PyDict(fn.name === 'Counter' ? 'Counter' : 'OrderedDict');
        fillDict(d, a[0], fn.path);
        return d;
      }
      case 'builtins.set': {
        const s = new PySet();
        if (a.length > 0) {
          const items = seq(a[0]);
          if (!items) throw new FormatError(`set() of a ${pyTypeName(a[0])}`);
          for (const x of items) s.add(x);
        }
        return s;
      }
      case 'builtins.bytearray':
        if (a.length === 0) return new Uint8Array(0);
        if (a[0] instanceof Uint8Array) return Uint8Array.from(a[0]);
        return encode(a[0], a[1] ?? 'utf-8');
      case '_codecs.encode':
        return encode(a[0], a[1] ?? 'utf-8');
      case 'torch.Size':
        return new PyTuple(intTuple(a[0] ?? new PyTuple([]), 'torch.Size'));
      case 'torch.device': {
        const type = a[0];
        if (typeof type !== 'string') throw new FormatError(`torch.device of a ${pyTypeName(type)}`);
        return a[1] === undefined || a[1] === null ? type : `${type}:${int(a[1], 'a device index')}`;
      }
      case 'torch._utils._rebuild_tensor':
        return this.rebuild(a[0], a[1], a[2], a[3], false, null, null);
      case 'torch._utils._rebuild_tensor_v2':
        return this.rebuild(a[0], a[1], a[2], a[3], a[4] ?? false, null, a[6] ?? null);
      case 'torch._utils._rebuild_tensor_v3':
        return this.rebuild(a[0], a[1], a[2], a[3], a[4] ?? false, a[6] ?? null, a[7] ?? null);
      case 'torch.serialization._get_layout': {
        const name = typeof a[0] === 'string' && a[0].startsWith('torch.') ? a[0].slice('torch.'.length) : '';
        if (!LOADABLE_LAYOUTS.includes(name as Layout)) {
          throw new FormatError(`it holds the layout ${JSON.stringify(a[0])}, which torch-node does not know`);
        }
        return new PyOpaque(new LayoutRef(name as Layout));
      }
      case 'torch._utils._rebuild_sparse_tensor':
        return this.rebuildSparse(a[0], a[1]);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
      case 'torch.nn.parameter.Parameter':
        return parameter(a[0], fn.path === 'torch.nn.parameter.Parameter' ? (a[1] ?? true) : a[1]);
      case 'torch._tensor._rebuild_from_type_v2': {
        // (func, new_type, args, state): a tensor subclass or a tensor with Python attributes;
        // torch-node keeps the tensor.
        const inner = a[2];
        if (!(inner instanceof PyTuple)) throw new FormatError('_rebuild_from_type_v2 without an argument tuple');
        return this.call(a[0] ?? null, inner.items);
      }
      default: {
        const what: Record<string, string> = {
          'builtins.complex': 'a complex number',
          'torch._utils._rebuild_qtensor': 'a quantized tensor',
          'torch._utils._rebuild_meta_tensor_no_storage': 'a meta tensor',
          'torch._utils._rebuild_nested_tensor': 'a nested tensor',
          'torch._utils._rebuild_wrapper_subclass': 'a tensor subclass',
          'torch._utils._rebuild_device_tensor_from_numpy': 'a tensor of a device torch-node does not know',
          'torch._utils._rebuild_device_tensor_from_cpu_tensor': 'a tensor of a device torch-node does not know',
        };
        const w = what[fn.path];
        throw new FormatError(
          w
            ? `it holds ${w} (${fn.path}), which torch-node cannot load`
            : `the pickle calls ${fn.path}, which cannot be called`,
        );
      }
    }
  }

  newObject(cls: PyValue, args: PyValue[]): PyValue {
    if (cls instanceof PyGlobal) {
      if (cls.path === 'torch.nn.parameter.Parameter') return parameter(args[0], args[1] ?? true);
      if (cls.path === 'collections.OrderedDict') return new PyDict('OrderedDict');
      if (cls.path === 'collections.Counter') return new PyDict('Counter');
      if (cls.path === 'builtins.set') return new PySet();
    }
    throw new FormatError(`the pickle creates an object of ${pyTypeName(cls)}, which is not allowed`);
  }

  build(inst: PyValue, state: PyValue): void {
    if (inst instanceof PyDict && inst.kind !== 'dict') {
      if (!(state instanceof PyDict)) throw new FormatError(`BUILD of an ${inst.kind} with a ${pyTypeName(state)}`);
      if (!(inst.state instanceof PyDict)) inst.state = new PyDict('dict');
      for (let i = 0; i < state.keys.length; i++) inst.state.set(state.keys[i] as PyValue, state.values[i] as PyValue);
      return;
    }
    if (inst instanceof PyOpaque && (inst.value instanceof TensorSpec || inst.value instanceof SparseSpec)) {
      // Python attributes set on a tensor or Parameter: there is nowhere to keep them.
      if (
        state === null ||
        state instanceof PyDict ||
        (state instanceof PyTuple && !state.items.some((x) => x instanceof PyOpaque))
      )
        return;
      throw new FormatError('it sets the storage of a tensor by BUILD (a legacy form), which torch-node cannot load');
    }
    throw new FormatError(`the pickle sets the state of a ${pyTypeName(inst)}, which is not allowed`);
  }

  persistentLoad(pid: PyValue): PyValue {
    if (!(pid instanceof PyTuple) || pid.items.length < 5) {
      throw new FormatError(`a persistent id is ${pyTypeName(pid)}, not a storage reference`);
    }
    const [kind, type, key, location, numel] = pid.items;
    const kindText = kind instanceof Uint8Array ? Buffer.from(kind).toString('latin1') : kind;
    if (kindText !== 'storage') throw new FormatError('a persistent id is not a storage reference');
    if (!(type instanceof PyGlobal)) throw new FormatError('a storage reference has no storage type');
    if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new FormatError('a storage reference has a bad key');
    const dtype = DTYPE_OF_STORAGE[type.name];
    if (dtype === undefined) throw new FormatError(`a storage has the unknown type ${type.path}`);
    const n = int(numel, 'a storage size');
    if (typeof location !== 'string')
      throw new FormatError(`storage '${key}' has a ${pyTypeName(location)} as location`);
    const known = this.storages.get(key);
    if (known) {
      if (known.dtype !== dtype || known.numel !== n || known.location !== location) {
        throw new FormatError(`storage '${key}' is referred to with two different types, sizes or locations`);
      }
      return new PyOpaque(known);
    }
    const ref = new StorageRef(key, dtype, n, location);
    this.storages.set(key, ref);
    return new PyOpaque(ref);
  }

  /** `_rebuild_sparse_tensor(layout, data)`; torch._utils documents the shapes of `data`. */
  private rebuildSparse(layout: PyValue | undefined, data: PyValue | undefined): PyValue {
    if (!(layout instanceof PyOpaque) || !(layout.value instanceof LayoutRef)) {
      throw new FormatError(`a sparse tensor is rebuilt with a ${pyTypeName(layout)} instead of a layout`);
    }
    const name = layout.value.name;
    if (name === 'strided') throw new FormatError('a sparse tensor is rebuilt with the strided layout');
    const coo = name === 'sparse_coo';
    const items = data instanceof PyTuple ? data.items : null;
    const counts = coo ? [3, 4] : [4];
    if (!items || !counts.includes(items.length)) {
      throw new FormatError(
        `a ${name} tensor is rebuilt from a ${pyTypeName(data)}${items ? ` of ${items.length} items` : ''} ` +
          `instead of a tuple of ${counts.join(' or ')}`,
      );
    }
    const nParts = coo ? 2 : 3;
    const parts = items.slice(0, nParts).map((p) => {
      if (!(p instanceof PyOpaque) || !(p.value instanceof TensorSpec)) {
        throw new FormatError(`a ${name} tensor has a component that is a ${pyTypeName(p)} instead of a tensor`);
      }
      return p.value;
    });
    const size = intTuple(items[nParts], `the size of a ${name} tensor`);
    const flag = coo ? (items[3] ?? null) : null;
    if (flag !== null && typeof flag !== 'boolean') {
      throw new FormatError(`a sparse_coo tensor has an is_coalesced that is a ${pyTypeName(flag)}`);
    }
    const spec = new SparseSpec(name, parts, size, flag);
    this.sparse.push(spec);
    return new PyOpaque(spec);
  }

  private rebuild(
    storage: PyValue | undefined,
    offset: PyValue | undefined,
    size: PyValue | undefined,
    stride: PyValue | undefined,
    requiresGrad: PyValue,
    viewDtype: PyValue,
    metadata: PyValue,
  ): PyValue {
    if (!(storage instanceof PyOpaque) || !(storage.value instanceof StorageRef)) {
      throw new FormatError(`a tensor is rebuilt from a ${pyTypeName(storage)} instead of a storage`);
    }
    const ref = storage.value;
    let dtype = ref.dtype;
    if (viewDtype !== null) {
      if (!(viewDtype instanceof PyGlobal) || !DTYPE_GLOBAL.test(viewDtype.name)) {
        throw new FormatError('_rebuild_tensor_v3 without a dtype');
      }
      dtype = viewDtype.name;
    }
    if (!isDType(dtype))
      throw new FormatError(`it holds a tensor of dtype ${dtype}, which torch-node does not support`);
    if (viewDtype !== null && ref.dtype !== 'uint8' && ref.dtype !== dtype) {
      throw new FormatError(`a ${ref.dtype} storage is read as ${dtype}`);
    }
    const sizes = intTuple(size, 'a tensor size');
    const strides = intTuple(stride, 'a tensor stride');
    if (sizes.length !== strides.length) throw new FormatError('a tensor has sizes and strides of different lengths');
    const off = int(offset, 'a storage offset');
    if (off < 0) throw new FormatError('a tensor has a negative storage offset');
    const elements = ref.dtype === dtype ? ref.numel : Math.floor(ref.numel / ELEMENT_SIZE[dtype]);
    if (sizes.every((s) => s > 0)) {
      const last = off + sizes.reduce((acc, s, i) => acc + (s - 1) * (strides[i] as number), 0);
      if (last >= elements) {
        throw new FormatError(
          `a tensor of size [${sizes}] and stride [${strides}] at offset ${off} reaches past the end of storage '${ref.key}' (${elements} elements)`,
        );
      }
    }
    if (typeof requiresGrad !== 'boolean') throw new FormatError('a tensor has a requires_grad that is not a bool');
    // torch._utils.get_tensor_metadata: the bits of a conjugate or negative view (x.conj(),
    // x.conj().imag), whose storage holds the values of the tensor it views.
    let conj = false;
    let neg = false;
    if (metadata !== null) {
      if (!(metadata instanceof PyDict))
        throw new FormatError(`a tensor has metadata that is a ${pyTypeName(metadata)}`);
      for (let i = 0; i < metadata.keys.length; i++) {
        const key = metadata.keys[i];
        const on = metadata.values[i] === true;
        if (key === 'conj') conj = on;
        else if (key === 'neg') neg = on;
        else throw new FormatError(`a tensor has the metadata '${String(key)}', which torch-node does not know`);
      }
    }
    if (conj && !dtype.startsWith('complex')) throw new FormatError(`a ${dtype} tensor has the conjugate bit`);
    const spec = new TensorSpec(ref, dtype, off, sizes, strides, requiresGrad, conj, neg);
    this.specs.push(spec);
    return new PyOpaque(spec);
  }
}

function fillDict(d: PyDict, from: PyValue | undefined, what: string): void {
  if (from === undefined || from === null) return;
  if (from instanceof PyDict) {
    for (let i = 0; i < from.keys.length; i++) d.set(from.keys[i] as PyValue, from.values[i] as PyValue);
    return;
  }
  const items = seq(from);
  if (!items) throw new FormatError(`${what}() of a ${pyTypeName(from)}`);
  for (const pair of items) {
    const kv = seq(pair);
    if (kv?.length !== 2) throw new FormatError(`${what}() of something other than key-value pairs`);
    d.set(kv[0] as PyValue, kv[1] as PyValue);
  }
}

function encode(s: PyValue | undefined, encoding: PyValue): Uint8Array {
  if (typeof s !== 'string') throw new FormatError(`bytes from a ${pyTypeName(s)}`);
  const e = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : '';
  if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') {
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0xff) throw new FormatError('latin-1 bytes hold a character beyond 0xff');
    }
    return Uint8Array.from(Buffer.from(s, 'latin1'));
  }
  if (e === 'utf-8' || e === 'utf8' || e === 'ascii') return Uint8Array.from(Buffer.from(s, 'utf8'));
  throw new FormatError(`bytes in the encoding ${String(encoding)}, which is not supported`);
}

function parameter(data: PyValue | undefined, requiresGrad: PyValue | undefined): PyValue {
  if (!(data instanceof PyOpaque) || !(data.value instanceof TensorSpec || data.value instanceof SparseSpec)) {
    throw new FormatError(`a Parameter is made of a ${pyTypeName(data)} instead of a tensor`);
  }
  data.value.requiresGrad = requiresGrad === undefined ? true : Boolean(requiresGrad);
  return data;
}

// ---- from storages to tensors

type Step = (t: Tensor) => Tensor;

/**
 * The ops that make `spec` as a view of its storage's 1-D tensor (with `pad` spare elements at
 * its end), or null where its layout is no such view (overlapping or ragged strides).
 */
function planView(spec: TensorSpec, elements: number): { steps: Step[]; pad: number } | null {
  const { size, stride, offset } = spec;
  const n = size.length;
  const dims: number[] = [];
  let expanded = false;
  for (let d = 0; d < n; d++) {
    if (size[d] === 1) continue;
    if (stride[d] === 0) expanded = true;
    else dims.push(d);
  }
  const sorted = [...dims].sort((x, y) => (stride[y] as number) - (stride[x] as number));
  const st = (k: number): number => stride[sorted[k] as number] as number;
  const sz = (k: number): number => size[sorted[k] as number] as number;
  const m = sorted.length;
  for (let k = 0; k + 1 < m; k++) {
    if (st(k) % st(k + 1) !== 0 || st(k) < st(k + 1) * sz(k + 1)) return null;
  }
  // The padded block: [size0, st0/st1, ..., st(m-2)/st(m-1), st(m-1)] from `offset` on.
  const inner = m > 0 ? st(m - 1) : 1;
  const block: number[] = m > 0 ? [sz(0)] : [];
  for (let k = 1; k < m; k++) block.push(st(k - 1) / st(k));
  if (inner > 1) block.push(inner);
  const span = m > 0 ? sz(0) * st(0) : 1;
  const pad = Math.max(0, offset + span - elements);
  if (pad > elements / 4 + 64) return null;
  const steps: Step[] = [(t) => t.narrow(0, offset, span), (t) => t.view(block)];
  for (let k = 1; k < m; k++) if (block[k] !== sz(k)) steps.push((t) => t.narrow(k, 0, sz(k)));
  if (inner > 1) steps.push((t) => t.select(m, 0));
  // From stride order back to the original order of the dims.
  const order = sorted.map((d) => dims.indexOf(d));
  const perm = order.map((_, i) => order.indexOf(i));
  if (perm.some((p, i) => p !== i)) steps.push((t) => t.permute(perm));
  for (let d = 0; d < n; d++) {
    if (!dims.includes(d)) {
      const at = d;
      steps.push((t) => t.unsqueeze(at));
    }
  }
  if (expanded) steps.push((t) => t.expand(size));
  return { steps, pad };
}

/** Applies `steps` to `base`, freeing every intermediate. */
function applySteps(base: Tensor, steps: Step[]): Tensor {
  let t = base;
  for (const step of steps) {
    const next = step(t);
    if (t !== base && next !== t) t.dispose();
    t = next;
  }
  return t;
}

/** A copy of a strided region of `base` (for layouts that are no view of a 1-D tensor). */
function gatherCopy(base: Tensor, spec: TensorSpec, device: string | undefined): Tensor {
  const { size, stride, offset } = spec;
  const numel = size.reduce((a, b) => a * b, 1);
  const idx = new BigInt64Array(numel);
  const at = new Array<number>(size.length).fill(0);
  let flat = offset;
  for (let i = 0; i < numel; i++) {
    idx[i] = BigInt(flat);
    for (let d = size.length - 1; d >= 0; d--) {
      at[d] = (at[d] as number) + 1;
      flat += stride[d] as number;
      if ((at[d] as number) < (size[d] as number)) break;
      flat -= (size[d] as number) * (stride[d] as number);
      at[d] = 0;
    }
  }
  const index = new Tensor(native.fromTypedArray(idx, [numel], undefined, device, false));
  const picked = base.indexSelect(0, index);
  index.dispose();
  const out = picked.view(size);
  picked.dispose();
  return out;
}

function swapBytes(b: Uint8Array, width: number): void {
  if (width === 2) Buffer.from(b.buffer, b.byteOffset, b.byteLength).swap16();
  else if (width === 4) Buffer.from(b.buffer, b.byteOffset, b.byteLength).swap32();
  else if (width === 8) Buffer.from(b.buffer, b.byteOffset, b.byteLength).swap64();
}

function materialize(
  specs: TensorSpec[],
  zip: ZipReader,
  prefix: string,
  bigEndian: boolean,
  deviceOf: Map<StorageRef, Device>,
): Map<TensorSpec, Tensor> {
  const out = new Map<TensorSpec, Tensor>();
  const groups = new Map<string, TensorSpec[]>();
  for (const s of specs) {
    const k = `${s.storage.key}\n${s.dtype}`;
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  const made: Tensor[] = [];
  const scratch = new Scratch();
  try {
    for (const group of groups.values()) {
      const first = group[0] as TensorSpec;
      const ref = first.storage;
      const dtype = first.dtype;
      const width = ELEMENT_SIZE[dtype];
      const record = `${prefix}data/${ref.key}`;
      const entry = zip.entries.get(record);
      if (!entry) throw new FormatError(`the storage record '${record}' is missing`);
      const storageBytes = ref.dtype === dtype ? ref.numel * width : ref.numel;
      if (entry.size < storageBytes) {
        throw new FormatError(
          `the storage record '${record}' holds ${entry.size} bytes where ${storageBytes} are expected`,
        );
      }
      const elements = Math.floor(storageBytes / width);
      const plans = group.map((s) => (s.size.includes(0) ? null : planView(s, elements)));
      const pad = Math.max(0, ...plans.map((p) => p?.pad ?? 0));
      const length = (elements + pad) * width;
      const buf = scratch.take(Math.max(length, entry.size));
      zip.read(record, buf);
      const bytes = buf.subarray(0, length);
      bytes.fill(0, elements * width);
      // A complex element is two floats, each swapped on its own.
      const part = dtype.startsWith('complex') ? width / 2 : width;
      if (bigEndian && part > 1) swapBytes(bytes.subarray(0, elements * width), part);
      const code = dtypeCode(dtype, 'load') as number;
      // The storage goes to its device whole, and its tensors are made over it there, so that
      // they share it on that device as they did when saved.
      const placed = deviceOf.get(ref) as Device;
      const device = placed === 'cpu' ? undefined : placed;
      const base = new Tensor(native.fromTypedArray(bytes, [elements + pad], code, device, false, code));
      try {
        group.forEach((spec, i) => {
          const plan = plans[i];
          let t: Tensor;
          if (spec.size.includes(0)) {
            t = new Tensor(native.fromTypedArray(new Uint8Array(0), spec.size, code, device, false, code));
          } else if (plan) t = applySteps(base, plan.steps);
          else t = gatherCopy(base, spec, device);
          made.push(t);
          if (spec.conj || spec.neg) {
            // A view of the others (shared storage kept), with the bits PyTorch's set.
            let v = spec.conj ? t.conj() : t;
            if (spec.neg) {
              const n = new Tensor(ops._neg_view(v._h));
              if (v !== t) v.dispose();
              v = n;
            }
            t.dispose();
            made[made.length - 1] = v;
            t = v;
          }
          if (spec.requiresGrad) t.requiresGrad_(true);
          out.set(spec, t);
        });
      } finally {
        base.dispose();
      }
    }
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return out;
}

/**
 * The sparse tensors of the file, made of their loaded components by the constructors, which
 * check the invariants (indices in range, compressed indices sorted, a coalesced flag that
 * holds) as Python's torch.load does under torch.sparse.check_sparse_tensor_invariants (by
 * default Python skips the check): a file that breaks one is an Error here, never a crash later.
 */
function assembleSparse(specs: SparseSpec[], tensors: Map<TensorSpec, Tensor>, out: Map<SparseSpec, Tensor>): void {
  for (const spec of specs) {
    const [first, second, third] = spec.parts.map((p) => tensors.get(p) as Tensor);
    const coo = spec.layout === 'sparse_coo';
    // COO indices of another dtype become int64, as Python's sparse_coo_tensor makes them;
    // compressed ones must be int32 or int64 (Python's checking load rejects others too).
    if (!coo) {
      for (const i of [first, second] as Tensor[]) {
        if (i.dtype !== 'int32' && i.dtype !== 'int64') {
          throw new FormatError(
            `a ${spec.layout} tensor has indices of dtype ${i.dtype}, where int32 or int64 is needed`,
          );
        }
      }
    }
    let t: Tensor;
    try {
      t = coo
        ? sparseCooTensor(first as Tensor, second as Tensor, spec.size, { isCoalesced: spec.coalesced ?? undefined })
        : sparseCompressedTensor(first as Tensor, second as Tensor, third as Tensor, spec.size, {
            layout: spec.layout,
          });
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new FormatError(`a ${spec.layout} tensor of size [${spec.size}] is invalid: ${why}`);
    }
    out.set(spec, t);
    if (spec.requiresGrad) t.requiresGrad_(true);
  }
}

// ---- from Python values to JavaScript ones

function toJs(root: PyValue, tensorOf: (spec: TensorSpec | SparseSpec) => Tensor | undefined): unknown {
  const memo = new Map<object, unknown>();
  const convert = (v: PyValue): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Uint8Array) return v;
    const seen = memo.get(v);
    if (seen !== undefined) return seen;
    if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      const out: unknown[] = [];
      memo.set(v, out);
      for (const x of items) out.push(convert(x));
      return out;
    }
    if (v instanceof PyDict) {
      const out: Record<string, unknown> = {};
      memo.set(v, out);
      const ordered = v.kind === 'OrderedDict';
      if (ordered) orderedDicts.add(out);
      let exceptions: Set<string> | undefined;
      for (let i = 0; i < v.keys.length; i++) {
        const k = v.keys[i] as PyValue;
        let key: string;
        let isInt = false;
        if (typeof k === 'string') key = k;
        else if (typeof k === 'number' || typeof k === 'bigint') {
          key = String(k);
          isInt = Number.isInteger(Number(k));
        } else if (typeof k === 'boolean' || k === null) key = String(k);
        else throw new FormatError(`a dict has a key of type ${pyTypeName(k)}, which JavaScript objects cannot hold`);
        if (isInt !== defaultIsInt(ordered, key)) {
          exceptions ??= new Set();
          exceptions.add(key);
        }
        Object.defineProperty(out, key, {
          value: convert(v.values[i] as PyValue),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      if (exceptions) keyExceptions.set(out, exceptions);
      if (v.state instanceof PyDict) {
        const metadata = v.state.get('_metadata');
        if (metadata !== undefined) {
          Object.defineProperty(out, '_metadata', {
            value: convert(metadata),
            enumerable: false,
            writable: true,
            configurable: true,
          });
        }
      }
      return out;
    }
    if (v instanceof PySet) {
      const out = new Set<unknown>();
      memo.set(v, out);
      for (const x of v.items) out.add(convert(x));
      return out;
    }
    if (v instanceof PyGlobal) {
      if (v.module === 'torch' && DTYPE_GLOBAL.test(v.name)) return v.name;
      throw new FormatError(`it holds the Python object ${v.path} itself, which has no JavaScript form`);
    }
    if (v instanceof PyOpaque) {
      if (v.value instanceof TensorSpec || v.value instanceof SparseSpec) return tensorOf(v.value);
      if (v.value instanceof LayoutRef) return v.value.name;
      throw new FormatError('it holds a bare storage rather than a tensor, which torch-node cannot load');
    }
    throw new FormatError('it holds a value of an unknown kind');
  };
  return convert(root);
}

function sniff(fd: number): Buffer {
  const head = Buffer.alloc(16);
  const n = readSync(fd, head, 0, 16, 0);
  return head.subarray(0, n);
}

function wrongFormat(head: Buffer): string {
  if (head.length >= 9) {
    const n = head.readBigUInt64LE(0);
    if (n > 0n && n < 100_000_000n && head[8] === 0x7b) {
      return 'is a safetensors file, not a torch.save checkpoint (use loadSafetensors)';
    }
  }
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) {
    return (
      "is in torch.save's legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), " +
      'which torch-node does not read; re-save it with torch.save in a current PyTorch'
    );
  }
  if (head.length === 0) return 'is empty';
  return 'is not a PyTorch checkpoint (it is not a zip archive)';
}

/**
 * Loads a checkpoint that `torch.save` (Python's, or `save` here) wrote. Returns what was saved,
 * with each tensor on the device its storage was saved from (or where `mapLocation` sends it;
 * a device that does not exist here is an Error, as in PyTorch), owned by the caller's scope if there is
 * one, like any op's result. Only the safe subset that `torch.load(weights_only=True)` accepts
 * is read; a file that names any other Python global, or that is truncated, corrupt or in
 * another format, is an Error that names the file and says what is wrong. See the header of
 * this file for how Python's values map to JavaScript.
 */
export function load(path: string, options?: LoadOptions): unknown {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('load: path must be a non-empty string');
  const mapLocation = checkMapLocation(options?.mapLocation, 'load');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError('load', path, 'could not open', e);
  }
  try {
    const head = sniff(fd);
    if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50) {
      throw new FormatError(wrongFormat(head));
    }
    const zip = new ZipReader(fd);
    // TorchScript archives (torch.jit.save) hold a data.pkl too, of TorchScript classes.
    if (zip.names.some((n) => /^[^/]*\/(constants\.pkl|code\/)/.test(n))) {
      throw new FormatError(
        'is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; torch-node reads torch.save files',
      );
    }
    const pkl = zip.names.find((n) => /^[^/]*\/data\.pkl$/.test(n));
    if (pkl === undefined) {
      throw new FormatError('is a zip archive without a data.pkl record, so not a torch.save checkpoint');
    }
    const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
    let bigEndian = false;
    if (zip.has(`${prefix}byteorder`)) {
      const order = zip.read(`${prefix}byteorder`).toString('latin1');
      if (order !== 'little' && order !== 'big') throw new FormatError(`its byteorder record says '${order}'`);
      bigEndian = order === 'big';
    }
    const hooks = new TorchUnpickleHooks();
    const root = unpickle(zip.read(pkl), hooks);
    // Every storage's device is settled (and checked) before any tensor is made.
    const deviceOf = new Map<StorageRef, Device>();
    for (const spec of hooks.specs) {
      if (!deviceOf.has(spec.storage)) {
        deviceOf.set(spec.storage, restoreLocation(spec.storage.location, mapLocation, `load: '${path}'`));
      }
    }
    const tensors = materialize(hooks.specs, zip, prefix, bigEndian, deviceOf);
    const sparse = new Map<SparseSpec, Tensor>();
    const returned = new Set<Tensor>();
    try {
      assembleSparse(hooks.sparse, tensors, sparse);
      const value = toJs(root, (spec) => {
        const t = spec instanceof SparseSpec ? sparse.get(spec) : tensors.get(spec);
        if (t) returned.add(t);
        return t;
      });
      // The components of sparse tensors live on inside them; their own handles go.
      for (const t of tensors.values()) if (!returned.has(t)) t.dispose();
      return value;
    } catch (e) {
      for (const t of [...tensors.values(), ...sparse.values()]) t.dispose();
      throw e;
    }
  } catch (e) {
    if (e instanceof FormatError) throw new Error(`load: '${path}' ${phrase(e.message)}`);
    if (e instanceof Error && 'syscall' in e) throw ioError('load', path, 'could not read', e);
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Messages either start with a verb phrase ("is a ...") or are a clause ("the record ..."). */
function phrase(message: string): string {
  return /^(is|it|has) /.test(message) ? message.replace(/^it /, '') : `is damaged: ${message}`;
}
