// torch.jit.trace: runs a function or an nn.Module's forward once on example inputs while
// libtorch's tracer records every op, and returns a ScriptModule whose `forward` replays them:
// the file that `save` writes is what Python's `torch.jit.load` (and C++) runs.
//
// What the tracer sees is what reaches libtorch's dispatcher. JavaScript values are not seen:
// a number read from a tensor (item, toArray), or a shape read in JavaScript and used as an op's
// argument, is a constant of the trace. Those reads warn (TracerWarning, as Python's do).
// torch-node's own max_pool2d kernel, which bypasses the dispatcher, steps aside while a thread
// traces (native/max_pool.cpp).
import { type NativeJit, native } from '../binding.js';
import { isPlainObject } from '../plain_object.js';
import { noGrad } from './autograd.js';
import { ScriptModule } from './jit.js';
import { scope } from './lifetime.js';
import { Module } from './nn/module.js';
import { Tensor } from './tensor.js';

const jit = native as unknown as NativeJit;

export interface TraceOptions {
  /**
   * Runs the traced module on the example inputs and warns (TracerWarning) where its outputs
   * differ from what the function gave while traced (a nondeterministic op, say). Default true.
   */
  checkTrace?: boolean;
  /** The relative tolerance of that check (Python's check_tolerance). Default 1e-5. */
  checkTolerance?: number;
  /**
   * As Python's `strict`: false lets the function return an object of tensors (a Dict[str,
   * Tensor] in TorchScript), which may not keep its keys for other inputs. Default true.
   */
  strict?: boolean;
}

/** An example input: a Tensor, an array (a tuple) of inputs, or an object of Tensors (a Dict[str, Tensor]). */
export type TraceInput = Tensor | TraceInput[] | { [key: string]: Tensor };

function checkInput(x: unknown, path: string): void {
  if (x instanceof Tensor) {
    handleOf(x, path);
  } else if (Array.isArray(x)) {
    x.forEach((e, k) => {
      checkInput(e, `${path}[${k}]`);
    });
  } else if (isPlainObject(x)) {
    for (const [key, v] of Object.entries(x)) {
      if (!(v instanceof Tensor)) {
        throw new TypeError(
          `jit.trace: ${path}.${key} must be a Tensor (an object input holds Tensors), got ${describe(v)}`,
        );
      }
      handleOf(v, `${path}.${key}`);
    }
  } else {
    throw new TypeError(
      `jit.trace: ${path} must be a Tensor, an array of inputs or an object of Tensors, got ${describe(x)}`,
    );
  }
}

/** A module's description for native/jit_trace.cpp: [type, training, parameter names, handles, buffer names, handles, child names, children]. */
type ModuleSpec = [string, boolean, string[], number[], string[], number[], string[], (ModuleSpec | number)[]];

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  const name = typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v;
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

// TorchScript's type name for a JavaScript class (it mangles repeats itself).
function typeName(m: Module): string {
  const name = m.constructor.name.replace(/[^A-Za-z0-9_]/g, '_');
  return `__torch__.${/^[A-Za-z_]/.test(name) ? name : `Module${name}`}`;
}

function handleOf(t: Tensor, name: string): number {
  if (t._h < 0) throw new Error(`jit.trace: '${name}' is a disposed Tensor`);
  return t._h;
}

/**
 * The module tree as native/jit_trace.cpp builds it: each module once (a module reached again
 * is its index in that order, so a submodule under two names stays one), holding its own tensors.
 */
function describeModule(m: Module, path: string, built: Map<Module, number>): ModuleSpec {
  built.set(m, built.size);
  const at = (name: string) => (path ? `${path}.${name}` : name);
  const params = m.namedParameters({ recurse: false });
  const buffers = m.namedBuffers({ recurse: false });
  const entries = (m as unknown as { moduleEntries(): [string, Module][] }).moduleEntries();
  return [
    typeName(m),
    m.training,
    params.map(([n]) => n),
    params.map(([n, p]) => handleOf(p, at(n))),
    buffers.map(([n]) => n),
    buffers.map(([n, b]) => handleOf(b, at(n))),
    entries.map(([n]) => n),
    entries.map(([n, c]) => built.get(c) ?? describeModule(c, at(n), built)),
  ];
}

// The forward's parameter names, for the graph's inputs (`forward(self, x: Tensor)` in the saved
// code, as Python names them); none where the source is not a plain list of names.
function argumentNames(fn: (...a: never[]) => unknown): string[] {
  const match = /^[^(]*\(([^)]*)\)/.exec(Function.prototype.toString.call(fn));
  if (!match) return [];
  const names = (match[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.every((n) => /^[A-Za-z_$][\w$]*$/.test(n) && !n.includes('$')) ? names : [];
}

/** What the traced function returned, checked here so that the Error names what is wrong. */
function checkOutput(v: unknown, path: string, strict: boolean): void {
  if (v instanceof Tensor) {
    if (v._h < 0) throw new Error(`jit.trace: the traced function's ${path} is a disposed Tensor`);
    return;
  }
  if (Array.isArray(v)) {
    for (const [k, e] of v.entries()) checkOutput(e, `${path}[${k}]`, strict);
    return;
  }
  const proto = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    if (strict) {
      throw new Error(
        `jit.trace: the traced function's ${path} is an object; an object output (a Dict[str, Tensor]) may not keep ` +
          'its keys for other inputs: return an array, or pass {strict: false}',
      );
    }
    for (const [k, e] of Object.entries(v as object)) {
      if (!(e instanceof Tensor)) {
        throw new TypeError(
          `jit.trace: the traced function's ${path}.${k} is ${describe(e)}; an object output holds Tensors only`,
        );
      }
      checkOutput(e, `${path}.${k}`, strict);
    }
    return;
  }
  const what = v instanceof Promise ? 'a Promise (the traced function must be synchronous)' : describe(v);
  throw new TypeError(
    `jit.trace: the traced function's ${path} is ${what}; it must return a Tensor, an array of Tensors or ` +
      '(strict: false) an object of Tensors (side effects are not recorded)',
  );
}

function tensorsOf(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const e of v) tensorsOf(e, out);
  else if (v !== null && typeof v === 'object') for (const e of Object.values(v)) tensorsOf(e, out);
  return out;
}

const READ_WARNING =
  "might cause the trace to be incorrect. We can't record the data flow of JavaScript values, so this value will be " +
  'treated as a constant in the future. This means that the trace might not generalize to other inputs!';

/**
 * Tensor reads that the tracer cannot see warn while a trace runs: the warning is collected with
 * the tracer's own. Returns what puts the prototype back.
 */
function watchReads(): () => void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  const saved: [string, PropertyDescriptor][] = [];
  const watch = (name: string, message: string) => {
    const d = Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor;
    saved.push([name, d]);
    const wrap = (f: (...a: unknown[]) => unknown) =>
      function (this: Tensor, ...a: unknown[]) {
        jit.jitTraceWarn(`${message} ${READ_WARNING}`);
        return f.apply(this, a);
      };
    Object.defineProperty(proto, name, d.get ? { ...d, get: wrap(d.get) } : { ...d, value: wrap(d.value) });
  };
  watch('item', 'Converting a tensor to a JavaScript number (item)');
  watch('toArray', 'Converting a tensor to JavaScript values (toArray)');
  watch('toTypedArray', 'Converting a tensor to JavaScript values (toTypedArray)');
  watch('shape', "Reading a tensor's shape as JavaScript numbers (shape)");
  watch('size', "Reading a tensor's shape as JavaScript numbers (size)");
  watch('numel', "Reading a tensor's element count as a JavaScript number (numel)");
  return () => {
    for (const [name, d] of saved) Object.defineProperty(proto, name, d);
  };
}

/**
 * Opens the tracer's scope of each submodule around its forward, so that the traced module keeps
 * one `forward` per submodule (as Python's does). Returns what puts the forwards back.
 */
function scopeSubmodules(root: Module): () => void {
  const restore: (() => void)[] = [];
  for (const [name, m] of root.namedModules()) {
    if (name === '') continue;
    const own = Object.getOwnPropertyDescriptor(m, 'forward');
    const inner = m.forward as (...a: unknown[]) => unknown;
    Object.defineProperty(m, 'forward', {
      value: (...args: unknown[]): unknown => {
        jit.jitTraceScope(`__module.${name}`);
        try {
          return inner.apply(m, args);
        } finally {
          jit.jitTraceScope(null);
        }
      },
      writable: true,
      configurable: true,
    });
    restore.push(() => {
      if (own) Object.defineProperty(m, 'forward', own);
      else delete (m as unknown as Record<string, unknown>).forward;
    });
  }
  return () => {
    for (const r of restore) r();
  };
}

function warnAll(messages: string[]): void {
  for (const m of new Set(messages)) process.emitWarning(m, 'TracerWarning');
}

/**
 * Traces `fn` (an nn.Module, whose forward is traced, or a function of tensors) on example
 * inputs into a ScriptModule, as Python's `torch.jit.trace`. `exampleInputs` is the array of
 * arguments (Python's tuple), or one argument that is not an array; an argument is a Tensor, an
 * array (a Tuple in TorchScript) or an object of Tensors (a Dict[str, Tensor]). As Python's
 * `torch.jit.trace`. A module's parameters and buffers are shared with the result (training the
 * module changes the traced one), and its submodules become the traced module's, each with its
 * own forward. A function is traced as the forward of a module without attributes (Python's
 * ScriptFunction saves the same way). The function may return a Tensor, an array of Tensors
 * (a tuple) or, with `strict: false`, an object of Tensors.
 *
 * Only what reaches libtorch is recorded: control flow and values computed in JavaScript are
 * fixed by the example inputs (TracerWarnings name the reads of tensor values and shapes).
 */
export function trace(
  // biome-ignore lint/suspicious/noExplicitAny: a function of whatever example inputs it is given
  fn: Module | ((...inputs: any[]) => unknown),
  exampleInputs: TraceInput | TraceInput[],
  options?: TraceOptions,
): ScriptModule {
  const isModule = fn instanceof Module;
  if (!isModule && typeof fn !== 'function') {
    throw new TypeError(`jit.trace: expected an nn.Module or a function of Tensors, got ${describe(fn)}`);
  }
  const inputs = Array.isArray(exampleInputs) ? exampleInputs : [exampleInputs];
  inputs.forEach((x, k) => {
    checkInput(x, `exampleInputs[${k}]`);
  });
  const strict = options?.strict ?? true;
  const checkTrace = options?.checkTrace ?? true;
  const rtol = options?.checkTolerance ?? 1e-5;
  if (typeof strict !== 'boolean') throw new TypeError('jit.trace: strict must be a boolean');

  const spec: ModuleSpec = isModule
    ? describeModule(fn, '', new Map())
    : ['__torch__.PlaceholderModule', true, [], [], [], [], [], []];
  const names = argumentNames(isModule ? (Object.getPrototypeOf(fn) as Module).forward : fn);

  return scope(() => {
    let output: unknown;
    const traced = (xs: TraceInput[]): unknown => {
      // A module's forward as it is now (with its hooks), as Python calls the module.
      output = isModule ? (fn.forward as (...a: TraceInput[]) => unknown)(...xs) : fn(...xs);
      checkOutput(output, 'output', strict);
      return output;
    };
    const unwatch = watchReads();
    const unscope = isModule ? scopeSubmodules(fn) : () => {};
    let id: number;
    let warnings: string[];
    try {
      [id, warnings] = jit.jitTrace(spec, inputs, traced, strict, names);
    } finally {
      unscope();
      unwatch();
    }
    const module = new ScriptModule(id);
    warnAll(warnings);
    if (checkTrace) checkAgainst(module, inputs, tensorsOf(output), rtol);
    return module;
  });
}

// Python's check: the traced module on the same inputs, against the function's outputs.
function checkAgainst(module: ScriptModule, inputs: TraceInput[], expected: Tensor[], rtol: number): void {
  const got = tensorsOf(noGrad(() => module.forward<unknown>(...inputs)));
  const problems: string[] = [];
  expected.forEach((e, k) => {
    const g = got[k] as Tensor;
    const same =
      g.dtype === e.dtype &&
      g.shape.join() === e.shape.join() &&
      (g.dtype === 'bool' || g.dtype.startsWith('int') || g.dtype.startsWith('uint')
        ? g.equal(e)
        : g.allclose(e, { rtol, atol: g.dtype === 'float64' ? 1e-7 : 1e-5, equalNan: true }));
    if (!same) {
      problems.push(
        `Output nr ${k + 1}. of the traced function does not match the corresponding output of the JavaScript ` +
          'function (a nondeterministic op, such as dropout in training mode, or a value the trace made a constant)',
      );
    }
  });
  warnAll(problems);
}

/** Whether a trace is running on this thread (inside jit.trace's function), as Python's torch.jit.is_tracing. */
export function isTracing(): boolean {
  return jit.jitIsTracing();
}
