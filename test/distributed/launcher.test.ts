// `torch-node run`: its command line, the workers' environment, and supervision (a failing rank
// stops the others, with a clear message and a non-zero exit code, instead of a hang).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseRunArgs, workerEnv } from '../../lib/launcher/index.js';
import { freePort, skipReason } from './support.js';

const CLI = fileURLToPath(new URL('../../../bin/torch-node.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./launcher-child.js', import.meta.url));
const skip = skipReason();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `torch-node run --nproc-per-node 2 --master-port <free> --kill-timeout 2 <child> ...args`, killed at `limitMs`. */
async function run(args: string[], limitMs = 30_000): Promise<Run> {
  const port = await freePort();
  const start = Date.now();
  const cli = ['run', '--nproc-per-node', '2', '--master-port', String(port), '--kill-timeout', '2', CHILD, ...args];
  const child = spawn(process.execPath, [CLI, ...cli], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TORCH_NODE_LOG_LEVEL: 'warning' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - start };
}

describe('torch-node run: options', () => {
  test('torchrun-style options, with dashes or underscores, then the script and its own arguments', () => {
    const o = parseRunArgs([
      '--nproc_per_node=4',
      '--nnodes',
      '2',
      '--node-rank',
      '1',
      '--master-addr',
      '10.0.0.1',
      's.js',
      '--lr',
      '0.1',
    ]);
    assert.deepEqual(o, {
      nprocPerNode: 4,
      nnodes: 2,
      nodeRank: 1,
      masterAddr: '10.0.0.1',
      masterPort: 29500,
      killTimeout: 5000,
      script: 's.js',
      scriptArgs: ['--lr', '0.1'],
    });
  });

  test('bad options say what is wrong', () => {
    assert.throws(
      () => parseRunArgs(['--nproc-per-node', '0', 's.js']),
      /--nproc-per-node must be an integer >= 1, got '0'/,
    );
    assert.throws(
      () => parseRunArgs(['--nnodes', '2', '--node-rank', '2', 's.js']),
      /--node-rank must be below --nnodes \(2\)/,
    );
    assert.throws(() => parseRunArgs(['--master-port', '70000', 's.js']), /at most 65535/);
    assert.throws(() => parseRunArgs(['--frobnicate', 's.js']), /unknown option --frobnicate/);
    assert.throws(() => parseRunArgs(['--nproc-per-node', '2']), /no script given/);
  });

  test("each worker's environment: global and local ranks, world size, rendezvous, one thread", () => {
    const o = parseRunArgs([
      '--nproc-per-node',
      '2',
      '--nnodes',
      '3',
      '--node-rank',
      '2',
      '--master-port',
      '1234',
      's.js',
    ]);
    const env = workerEnv(o, 1, {});
    assert.deepEqual(env, {
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: '1234',
      WORLD_SIZE: '6',
      RANK: '5',
      LOCAL_RANK: '1',
      LOCAL_WORLD_SIZE: '2',
      GROUP_RANK: '2',
      TORCH_NODE_RUN: '1',
      OMP_NUM_THREADS: '1',
    });
    assert.equal(workerEnv(o, 0, { OMP_NUM_THREADS: '4' }).OMP_NUM_THREADS, '4', 'a value the user set is kept');
  });
});

describe('torch-node run: supervision, 2 ranks over Gloo', { skip }, () => {
  test('the ranks get their environment and the script its arguments; success is exit code 0', async () => {
    const r = await run(['ok', '--flag', 'x']);
    assert.equal(r.code, 0, r.stderr);
    const reports = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .sort((a, b) => Number(a.RANK) - Number(b.RANK));
    assert.equal(reports.length, 2);
    reports.forEach((rep, rank) => {
      assert.equal(rep.RANK, String(rank));
      assert.equal(rep.LOCAL_RANK, String(rank));
      assert.equal(rep.WORLD_SIZE, '2');
      assert.equal(rep.MASTER_ADDR, '127.0.0.1');
      assert.equal(rep.sum, 1);
      assert.deepEqual(rep.args, ['--flag', 'x']);
    });
  });

  test("a rank that exits with an error stops the other, and its exit code is the launcher's", async () => {
    const r = await run(['exit3']);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /torch-node run: rank 1 \(local rank 1, pid \d+\) exited with code 3: stopping the other 1 rank\(s\)/,
    );
    assert.match(
      r.stderr,
      /torch-node run: failed: rank 1 .* exited with code 3; the other ranks on this node were stopped/,
    );
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
  });

  test('a killed rank makes the run fail with a clear message within seconds, not hang', async () => {
    const r = await run(['kill']);
    assert.notEqual(r.code, 0);
    // Rank 1's death is normally seen first; rank 0 may also fail on its own (connection reset).
    assert.match(
      r.stderr,
      /torch-node run: failed: rank (1 \(local rank 1, pid \d+\) was killed by SIGKILL|0 .* exited with code 1)/,
    );
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
  });

  test('a rank that stops answering: the other times out, and the run fails instead of hanging', async () => {
    const r = await run(['hang']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Timed out waiting 2000ms/);
    assert.match(r.stderr, /torch-node run: failed: rank 0 \(local rank 0, pid \d+\) exited with code 1/);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
  });
});
