// Python torch as the oracle of the parity tests. Where `python3 -c "import torch"` fails the
// parity tests are skipped, and say why.
import { spawnSync } from 'node:child_process';

const PYTHON = process.env.TORCH_NODE_PYTHON ?? 'python3';

let availability: { ok: boolean; reason: string } | undefined;

/** Whether Python torch can be imported; `reason` says why not. */
export function pythonTorch(): { ok: boolean; reason: string } {
  if (!availability) {
    const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    availability =
      r.status === 0
        ? { ok: true, reason: `Python torch ${r.stdout.trim()}` }
        : {
            ok: false,
            reason: `Python torch is not importable (${PYTHON}: ${(r.stderr || String(r.error)).trim().split('\n').pop()})`,
          };
  }
  return availability;
}

/** The `skip` option for node:test: false when Python torch is there, else the reason. */
export function skipWithoutPython(): false | string {
  const p = pythonTorch();
  return p.ok ? false : p.reason;
}

/**
 * Runs `script` with `input` as the JSON value `INPUT` and returns what it assigned to
 * `OUTPUT`, decoded from JSON. Float values cross as JSON numbers (17 significant digits, so
 * float64 round-trips exactly); NaN and infinities as the strings 'nan', 'inf', '-inf'.
 */
export function runPython<T = unknown>(script: string, input: unknown = null): T {
  const prelude = `
import json, sys, math
import torch
torch.set_num_threads(1)
def _dec(v):
    if v == 'nan': return float('nan')
    if v == 'inf': return float('inf')
    if v == '-inf': return float('-inf')
    if isinstance(v, list): return [_dec(x) for x in v]
    if isinstance(v, dict): return {k: _dec(x) for k, x in v.items()}
    return v
def _enc(v):
    if isinstance(v, torch.Tensor): v = v.detach().cpu().tolist()
    if isinstance(v, float):
        if math.isnan(v): return 'nan'
        if math.isinf(v): return 'inf' if v > 0 else '-inf'
        return v
    if isinstance(v, (list, tuple)): return [_enc(x) for x in v]
    if isinstance(v, dict): return {k: _enc(x) for k, x in v.items()}
    return v
INPUT = _dec(json.loads(sys.stdin.read()))
OUTPUT = None
`;
  const epilogue = '\nsys.stdout.write(json.dumps(_enc(OUTPUT)))\n';
  const r = spawnSync(PYTHON, ['-c', prelude + script + epilogue], {
    input: JSON.stringify(input, (_, v) =>
      typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf') : v,
    ),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  const decode = (v: unknown): unknown => {
    if (v === 'nan') return Number.NaN;
    if (v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-inf') return Number.NEGATIVE_INFINITY;
    if (Array.isArray(v)) return v.map(decode);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
    return v;
  };
  return decode(JSON.parse(r.stdout)) as T;
}
