// Python torch as the oracle of the parity tests. Where Python torch cannot be imported the
// parity tests are skipped, and say why. Importing torch takes seconds (tens of seconds for a
// CUDA build) and a request milliseconds, so one Python server (test/support/python_oracle.py)
// answers every test file of a run that has the same Python and environment; a worker thread
// talks to it, so that runPython stays synchronous.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { OracleMessage, OracleWorkerData } from './python_worker.js';

const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';
// dist/test/support/ -> the source beside this file's TypeScript.
const SCRIPT = fileURLToPath(new URL('../../../test/support/python_oracle.py', import.meta.url));
const WORKER = new URL('./python_worker.js', import.meta.url);
// Long enough to bridge the files without Python between two that need it.
const IDLE_SECONDS = 120;
// A hung script fails its test rather than the whole run.
const ANSWER_WITHIN_MS = 600_000;

/**
 * The server's socket: one per Python, server script, directory and environment (NODE_* aside,
 * which the test runner sets per file), so a run with another PYTHONPATH gets its own.
 */
function socketPath(): string {
  const env = Object.entries(process.env)
    .filter(([k]) => !k.startsWith('NODE_'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const key = JSON.stringify([PYTHON, readFileSync(SCRIPT, 'utf8'), process.cwd(), env]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(tmpdir(), `torch-node-oracle-${userInfo().uid}-${hash}.sock`);
}

class Oracle {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  readonly version: string | undefined;
  readonly failure: string | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: OracleWorkerData = {
      role: 'python-oracle',
      python: PYTHON,
      script: SCRIPT,
      socketPath: socketPath(),
      idleSeconds: IDLE_SECONDS,
      signal: this.signal,
      port: port2,
    };
    new Worker(WORKER, { workerData: data, transferList: [port2] }).unref();
    const first = this.next();
    if (first.kind === 'line') this.version = (JSON.parse(first.line) as { torch: string }).torch;
    else this.failure = first.why.split('\n').pop();
  }

  /** Sends one request and blocks until its answer line (or the process's end) arrives. */
  request(line: string): { ok?: unknown; error?: string } {
    this.port.postMessage(line);
    const m = this.next();
    if (m.kind === 'gone') return { error: `python exited:\n${m.why}` };
    return JSON.parse(m.line) as { ok?: unknown; error?: string };
  }

  private next(): OracleMessage {
    const deadline = Date.now() + ANSWER_WITHIN_MS;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as OracleMessage;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the Python oracle did not answer in ${ANSWER_WITHIN_MS / 1000} s`);
      Atomics.wait(this.signal, 0, seen, left);
    }
  }
}

let oracle: Oracle | undefined;
const theOracle = (): Oracle => {
  oracle ??= new Oracle();
  return oracle;
};

/** Whether Python torch can be imported; `reason` says why not. */
export function pythonTorch(): { ok: boolean; reason: string } {
  const o = theOracle();
  return o.version !== undefined
    ? { ok: true, reason: `Python torch ${o.version}` }
    : { ok: false, reason: `Python torch is not importable (${PYTHON}: ${o.failure})` };
}

/** The version of Python torch ('2.13.0+cpu'), or undefined where it cannot be imported. */
export function pythonTorchVersion(): string | undefined {
  return theOracle().version;
}

/** The `skip` option for node:test: false when Python torch is there, else the reason. */
export function skipWithoutPython(): false | string {
  const p = pythonTorch();
  return p.ok ? false : p.reason;
}

/** The `skip` option for tests that also need the Python package `name` (pip's name `pip`). */
export function skipWithoutPythonPackage(name: string, pip = name): false | string {
  const skip = skipWithoutPython();
  if (skip) return skip;
  try {
    runPython('import importlib\nimportlib.import_module(INPUT)', name);
    return false;
  } catch (e) {
    const why = String(e).trim().split('\n').pop();
    return `the Python package ${name} is not importable (pip install ${pip}): ${why}`;
  }
}

/**
 * Runs `script` with `input` as the JSON value `INPUT` and returns what it assigned to
 * `OUTPUT`, decoded from JSON. Float values cross as JSON numbers (17 significant digits, so
 * float64 round-trips exactly); NaN and infinities as the strings 'nan', 'inf', '-inf'.
 */
export function runPython<T = unknown>(script: string, input: unknown = null): T {
  const request = JSON.stringify({ code: script, input }, (_, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf') : v,
  );
  const r = theOracle().request(request);
  if (r.error !== undefined) throw new Error(`python failed:\n${r.error}`);
  const decode = (v: unknown): unknown => {
    if (v === 'nan') return Number.NaN;
    if (v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-inf') return Number.NEGATIVE_INFINITY;
    if (Array.isArray(v)) return v.map(decode);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
    return v;
  };
  return decode(r.ok) as T;
}
