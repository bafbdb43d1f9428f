// Running several ranks of a child script on this machine for the distributed tests: each rank
// is `node <script> <args>` with the environment that `torch-node run` sets (127.0.0.1, a free
// port), and every rank is killed at the time limit so that a test never hangs.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as torch from '../../lib/index.js';

/** Why the distributed tests cannot run here (the addon built without c10d), or false. */
export function skipReason(): string | false {
  const why = torch.distributed.whyNotAvailable();
  return why === null ? false : `torch-node was built without distributed support: ${why}`;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunRanksOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Every rank still running after this many milliseconds is killed (default 60 s). */
  timeoutMs?: number;
}

/** Starts `worldSize` ranks of `script` and resolves when all have exited. */
export async function runRanks(
  script: string,
  worldSize: number,
  options: RunRanksOptions = {},
): Promise<RankResult[]> {
  const port = await freePort();
  const children: ChildProcess[] = [];
  const results = Array.from({ length: worldSize }, (_, rank) => {
    const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
      env: {
        ...process.env,
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        OMP_NUM_THREADS: '1',
        TORCH_NODE_LOG_LEVEL: 'warning',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    return new Promise<RankResult>((resolve) => {
      child.on('close', (code, signal) => resolve({ rank, code, signal, stdout, stderr }));
    });
  });
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  try {
    return await Promise.all(results);
  } finally {
    clearTimeout(timer);
  }
}

/** The last line of a rank's stdout, parsed as JSON (the child scripts' way to report). */
export function report<T>(r: RankResult): T {
  const lines = r.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `rank ${r.rank} ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`} without a report\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
}
