// Containers whose children are not fields: their order and names come from the container. A
// subclass's Module fields are its children too, after the items (PyTorch registers both in one
// dict, the items first when the constructor adds them); a module there under two names is
// listed under both, as in PyTorch's `_modules`.
import type { DType } from '../../dtype.js';
import { describe } from '../../marshal.js';
import { Tensor } from '../../tensor.js';
import { checkName, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { indent, reprBlock } from '../repr.js';

/** Runs its modules one after the other, each on the previous one's output. */
export class Sequential extends Module {
  private readonly items: Map<string, Module>;

  /** `new Sequential(a, b, c)` names the children 0, 1, 2; `new Sequential({conv, relu})` uses the keys. */
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    this.items = new Map();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first)) this.add(k, m);
    } else {
      (modules as Module[]).forEach((m, i) => {
        this.add(String(i), m);
      });
    }
  }

  private add(name: string, m: Module): void {
    checkName('module', name);
    if (!(m instanceof Module)) throw new TypeError(`Sequential: '${name}' is not a Module`);
    this.items.set(name, m);
  }

  protected override moduleEntries(): [string, Module][] {
    return [...this.items, ...super.moduleEntries()];
  }

  get length(): number {
    return this.items.size;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const list = [...this.items.values()];
    const m = list[i < 0 ? i + list.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${list.length} modules`);
    return m;
  }

  append(m: Module): this {
    this.add(String(this.items.size), m);
    return this;
  }

  /** Appends each module of `modules` (another Sequential, or any iterable of modules). */
  extend(modules: Iterable<Module>): this {
    for (const m of [...modules]) this.append(m);
    return this;
  }

  /** Puts `m` at `index` (negative counts from the end); the modules from there on move one up. */
  insert(index: number, m: Module): this {
    if (!(m instanceof Module)) throw new TypeError('Sequential.insert: module should be a Module');
    const list = [...this.items.values()];
    const n = list.length;
    if (!Number.isInteger(index) || index < -n || index > n)
      throw new RangeError(`Sequential.insert: index out of range: ${index}`);
    list.splice(index < 0 ? index + n : index, 0, m);
    this.renumber(list);
    return this;
  }

  /** Replaces the module at index `i`, under its name. */
  set(i: number, m: Module): void {
    this.add(this.keyAt(i, 'set'), m);
  }

  /** Removes the module at index `i`; the others are numbered 0, 1, ... again, as PyTorch's `del seq[i]`. */
  delete(i: number): void {
    const key = this.keyAt(i, 'delete');
    this.items.delete(key);
    this.renumber([...this.items.values()]);
  }

  /** Removes and returns the module at index `i`. */
  pop(i: number): Module {
    const m = this.at(i);
    this.delete(i);
    return m;
  }

  /** A Sequential of the modules from `start` to `end` (exclusive; negative counts from the end), under their names. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(Object.fromEntries([...this.items].slice(start, end)));
  }

  private keyAt(i: number, op: string): string {
    const keys = [...this.items.keys()];
    const key = Number.isInteger(i) ? keys[i < 0 ? i + keys.length : i] : undefined;
    if (key === undefined)
      throw new RangeError(`Sequential.${op}: index ${i} is out of range for ${keys.length} modules`);
    return key;
  }

  private renumber(list: Module[]): void {
    this.items.clear();
    list.forEach((m, k) => {
      this.items.set(String(k), m);
    });
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items.values();
  }

  forward(input: unknown): unknown {
    let x = input;
    for (const m of this.items.values()) x = (m.forward as (x: unknown) => unknown)(x);
    return x;
  }
}

/** A list of modules, registered so that their parameters are the owner's. */
export class ModuleList extends Module {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  protected override moduleEntries(): [string, Module][] {
    return [...this.items.map((m, i): [string, Module] => [String(i), m]), ...super.moduleEntries()];
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): Module {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError('ModuleList: only Modules can be added');
    this.items.push(m);
    return this;
  }

  extend(ms: Iterable<Module>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  insert(index: number, m: Module): void {
    if (!(m instanceof Module)) throw new TypeError('ModuleList: only Modules can be added');
    this.items.splice(index, 0, m);
  }

  /** Replaces the module at index `i`. */
  set(i: number, m: Module): void {
    if (!(m instanceof Module)) throw new TypeError('ModuleList: only Modules can be added');
    this.items[this.indexOf(i, 'set')] = m;
  }

  /** Removes the module at index `i` (the later ones move down). */
  delete(i: number): void {
    this.items.splice(this.indexOf(i, 'delete'), 1);
  }

  /** Removes and returns the module at index `i`. */
  pop(i: number): Module {
    return this.items.splice(this.indexOf(i, 'pop'), 1)[0] as Module;
  }

  /** A ModuleList of the modules from `start` to `end` (exclusive; negative counts from the end). */
  slice(start?: number, end?: number): ModuleList {
    return new ModuleList(this.items.slice(start, end));
  }

  private indexOf(i: number, op: string): number {
    const k = Number.isInteger(i) ? (i < 0 ? i + this.items.length : i) : -1;
    if (k < 0 || k >= this.items.length) {
      throw new RangeError(`ModuleList.${op}: index ${i} is out of range for ${this.items.length} modules`);
    }
    return k;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  /** As PyTorch's: runs of equal modules folded, `(0-2): 3 x Linear(...)`. */
  override toString(): string {
    const lines: string[] = [];
    const reprs = this.items.map((m) => m.toString());
    for (let i = 0; i < reprs.length; ) {
      let j = i;
      while (j + 1 < reprs.length && reprs[j + 1] === reprs[i]) j++;
      const r = reprs[i] as string;
      lines.push(indent(i === j ? `(${i}): ${r}` : `(${i}-${j}): ${j - i + 1} x ${r}`));
      i = j + 1;
    }
    return reprBlock(this.constructor.name, [], lines);
  }

  forward(): never {
    throw new Error('ModuleList has no forward(); call its modules');
  }
}

/** Modules by name, in insertion order. */
export class ModuleDict extends Module {
  private readonly items = new Map<string, Module>();

  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  protected override moduleEntries(): [string, Module][] {
    return [...this.items, ...super.moduleEntries()];
  }

  get(key: string): Module | undefined {
    return this.items.get(key);
  }

  set(key: string, m: Module): void {
    checkName('module', key);
    if (!(m instanceof Module)) throw new TypeError(`ModuleDict: '${key}' is not a Module`);
    this.items.set(key, m);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  values(): Module[] {
    return [...this.items.values()];
  }

  entries(): [string, Module][] {
    return [...this.items];
  }

  get size(): number {
    return this.items.size;
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(); call its modules');
  }
}

/** A tensor as a container's parameter: a Parameter as it is, any other tensor wrapped in one (as PyTorch). */
function asParameter(owner: string, value: unknown): Parameter {
  if (value instanceof Parameter) return value;
  if (value instanceof Tensor) return new Parameter(value);
  throw new TypeError(`${owner}: only Tensors (or Parameters) can be added, got ${describe(value)}`);
}

const cudaSuffix = (p: Tensor): string => (p.device.startsWith('cuda') ? ` (${p.device})` : '');

/** Python's torch.typename of a tensor: torch.FloatTensor, torch.cuda.DoubleTensor, ... */
const TYPE_NAMES: Record<DType, string> = {
  uint8: 'ByteTensor',
  int8: 'CharTensor',
  int16: 'ShortTensor',
  int32: 'IntTensor',
  int64: 'LongTensor',
  float16: 'HalfTensor',
  float32: 'FloatTensor',
  float64: 'DoubleTensor',
  complex64: 'ComplexFloatTensor',
  complex128: 'ComplexDoubleTensor',
  bool: 'BoolTensor',
  bfloat16: 'BFloat16Tensor',
};
const typeName = (p: Tensor): string => `torch.${p.device.startsWith('cuda') ? 'cuda.' : ''}${TYPE_NAMES[p.dtype]}`;

/** Parameters in a list, registered under '0', '1', ... (their state-dict names), as PyTorch's ParameterList. */
export class ParameterList extends Module {
  private readonly items: Parameter[] = [];

  /** Tensors that are not Parameters are wrapped in one (sharing their data), as in PyTorch. */
  constructor(values: Iterable<Tensor> = []) {
    super();
    for (const v of values) this.append(v);
  }

  protected override ownParameters(): [string, Parameter | null][] {
    return [...this.items.map((p, i): [string, Parameter] => [String(i), p]), ...super.ownParameters()];
  }

  get length(): number {
    return this.items.length;
  }

  /** The i-th parameter (negative counts from the end). */
  at(i: number): Parameter {
    return this.items[this.indexOf(i, 'at')] as Parameter;
  }

  /** Replaces the parameter at index `i`. */
  set(i: number, value: Tensor): void {
    this.items[this.indexOf(i, 'set')] = asParameter('ParameterList.set', value);
  }

  append(value: Tensor): this {
    this.items.push(asParameter('ParameterList.append', value));
    return this;
  }

  extend(values: Iterable<Tensor>): this {
    for (const v of [...values]) this.append(v);
    return this;
  }

  private indexOf(i: number, op: string): number {
    const k = Number.isInteger(i) ? (i < 0 ? i + this.items.length : i) : -1;
    if (k < 0 || k >= this.items.length) {
      throw new RangeError(`ParameterList.${op}: index ${i} is out of range for ${this.items.length} parameters`);
    }
    return k;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this.items[Symbol.iterator]();
  }

  /** As PyTorch's: one line per parameter, `(0): Parameter containing: [torch.float32 of size 3x4]`. */
  override extraRepr(): string {
    return this.items
      .map((p, i) => `  (${i}): Parameter containing: [torch.${p.dtype} of size ${p.shape.join('x')}${cudaSuffix(p)}]`)
      .join('\n');
  }

  forward(): never {
    throw new Error('ParameterList has no forward(); use its parameters');
  }
}

/** Values a ParameterDict is made or updated from: a plain object (taken in sorted key order, as PyTorch takes a dict), a Map, pairs, or another ParameterDict (in their order). */
export type ParameterDictInit =
  | Record<string, Tensor>
  | Map<string, Tensor>
  | Iterable<readonly [string, Tensor]>
  | ParameterDict;

/** Parameters by name, in insertion order; the names are their state-dict names, as PyTorch's ParameterDict. */
export class ParameterDict extends Module {
  private readonly items = new Map<string, Parameter>();

  constructor(values?: ParameterDictInit) {
    super();
    if (values !== undefined) this.update(values);
  }

  protected override ownParameters(): [string, Parameter | null][] {
    return [...this.items, ...super.ownParameters()];
  }

  /**
   * Adds or replaces entries. As PyTorch's update: a plain object is taken in sorted key order
   * (Python sorts a dict's items), a Map, an array of pairs or a ParameterDict in their own order.
   */
  update(values: ParameterDictInit): void {
    let pairs: [string, unknown][];
    if (values instanceof ParameterDict || values instanceof Map) {
      pairs = [...values.entries()];
    } else if (values !== null && typeof values === 'object' && Symbol.iterator in values) {
      pairs = [...(values as Iterable<unknown>)].map((p, j) => {
        if (!Array.isArray(p) || p.length !== 2) {
          throw new TypeError(`ParameterDict.update: sequence element #${j} should be a [key, tensor] pair`);
        }
        return [p[0], p[1]] as [string, unknown];
      });
    } else if (values !== null && typeof values === 'object') {
      pairs = Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    } else {
      throw new TypeError(
        `ParameterDict.update: expected an object, a Map or [key, tensor] pairs, got ${describe(values)}`,
      );
    }
    for (const [k, v] of pairs) this.set(k, v as Tensor);
  }

  get(key: string): Parameter | undefined {
    return this.items.get(key);
  }

  /** Sets `key` (a tensor is wrapped in a Parameter); a new key goes last. */
  set(key: string, value: Tensor): void {
    checkName('parameter', key);
    this.items.set(key, asParameter(`ParameterDict.set('${key}')`, value));
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  /** Removes `key` and returns its parameter; an Error if it is not there. */
  pop(key: string): Parameter {
    const p = this.items.get(key);
    if (!p) throw new Error(`ParameterDict.pop: no parameter '${key}'`);
    this.items.delete(key);
    return p;
  }

  clear(): void {
    this.items.clear();
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  values(): Parameter[] {
    return [...this.items.values()];
  }

  entries(): [string, Parameter][] {
    return [...this.items];
  }

  get size(): number {
    return this.items.size;
  }

  /** The keys, as iterating a Python dict. */
  [Symbol.iterator](): Iterator<string> {
    return this.items.keys();
  }

  /** As PyTorch's: one line per entry, `(a): Parameter containing: [torch.FloatTensor of size 2x3]`. */
  override extraRepr(): string {
    return [...this.items]
      .map(([k, p]) => `  (${k}): Parameter containing: [${typeName(p)} of size ${p.shape.join('x')}${cudaSuffix(p)}]`)
      .join('\n');
  }

  forward(): never {
    throw new Error('ParameterDict should not be called.');
  }
}
