// The contender side of the line protocol of bench/common.ts, shared by the torch-node
// contenders: with --serve, one JSON hello line, then one JSON reply per stdin line, in order;
// otherwise the command line is one request and its reply the one line printed.
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import * as torch from '../lib/index.js';

export function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export interface Protocol {
  /** The fields of a request, optional ones in brackets: 'MODEL ITERS WARMUP THREADS [BUDGET_MS]'. */
  request: string;
  /** The command-line arguments for the usage line; default: `request`. */
  usage?: string;
  /** Every field must be a non-negative integer. */
  integers?: boolean;
  /** Fields of the hello line besides the contender, Node's and libtorch's versions. */
  hello?: () => Record<string, unknown>;
  /** The reply to one well-formed request; a throw becomes an error reply. */
  answer(fields: string[]): unknown;
}

/** How many fields a request may have: all of `request`'s, or without some optional ones. */
function fieldCounts(request: string): number[] {
  const names = request.split(' ');
  const required = names.filter((n) => !n.startsWith('[')).length;
  return Array.from({ length: names.length - required + 1 }, (_, i) => required + i);
}

async function answerLine(p: Protocol, line: string): Promise<void> {
  const parts = line.trim().split(/\s+/);
  const wellFormed =
    fieldCounts(p.request).includes(parts.length) &&
    (!p.integers || parts.every((x) => Number.isInteger(Number(x)) && Number(x) >= 0));
  if (!wellFormed) {
    emit({ error: `expected '${p.request}', got '${line.trim()}'` });
    return;
  }
  try {
    emit(await p.answer(parts));
  } catch (e) {
    emit({ error: e instanceof Error ? e.message : String(e) });
  }
}

export async function serve(p: Protocol): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--serve') {
    const libtorch = torch.buildInfo().libtorch;
    emit({ contender: 'torch-node', hello: true, node: process.version, libtorch, ...p.hello?.() });
    // One request at a time, in order: a measurement must not overlap the next.
    for await (const line of createInterface({ input: process.stdin, terminal: false })) await answerLine(p, line);
    return;
  }
  if (!fieldCounts(p.request).includes(args.length)) {
    process.stderr.write(`usage: ${basename(process.argv[1] ?? '')} ${p.usage ?? p.request}, or --serve\n`);
    process.exitCode = 2;
    return;
  }
  await answerLine(p, args.join(' '));
}
