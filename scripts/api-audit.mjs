// Lists PyTorch's public names that torch-node lacks, by namespace: torch.nn modules, nn.functional,
// Tensor members, torch.*, linalg, special and fft, from Python torch's dir() against our exports
// in camelCase (a trailing underscore kept). Private, quantized and backend-specific names show up
// too: the list is a place to look, not a to-do list.
//   npx tsc -p tsconfig.json && node scripts/api-audit.mjs   (needs python3 with torch)
import { execFileSync } from 'node:child_process';

const torch = await import(new URL('../dist/lib/index.js', import.meta.url).href);
const script = `
import torch, json, inspect
def public(ns): return [n for n in dir(ns) if not n.startswith('_')]
print(json.dumps(dict(
  nn=[n for n in dir(torch.nn) if inspect.isclass(getattr(torch.nn, n)) and issubclass(getattr(torch.nn, n), torch.nn.Module)],
  F=[n for n in public(torch.nn.functional) if callable(getattr(torch.nn.functional, n))],
  Tensor=public(torch.Tensor),
  torch=[n for n in public(torch) if callable(getattr(torch, n)) and not inspect.isclass(getattr(torch, n))],
  linalg=public(torch.linalg), special=public(torch.special), fft=public(torch.fft))))
`;
const python = JSON.parse(
  execFileSync(process.env.TORCH_NODE_PYTHON ?? 'python3', ['-c', script], { encoding: 'utf8' }),
);
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const has = (obj, n) => obj != null && (n in obj || camel(n) in obj);
const ours = {
  nn: torch.nn,
  F: torch.nn.functional,
  Tensor: torch.zeros([1]),
  torch,
  linalg: torch.linalg,
  special: torch.special,
  fft: torch.fft,
};
for (const [ns, names] of Object.entries(python)) {
  const missing = names.filter((n) => !has(ours[ns], n));
  console.log(`${ns}: ${missing.length} of ${names.length} missing\n  ${missing.join(' ')}`);
}
