// Starts one worker process per local rank and supervises them as torchrun does: a rank that
// exits with an error or is killed stops all the others (SIGTERM, then SIGKILL after the kill
// timeout), and the launcher's exit code is that rank's. Ctrl-C (SIGINT) or SIGTERM to the
// launcher stops every rank. This module never loads the native addon.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { LaunchOptions } from './options.js';

/** The environment of local rank `localRank`: what `initProcessGroup()` reads by default (env://). */
export function workerEnv(o: LaunchOptions, localRank: number, base = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    MASTER_ADDR: o.masterAddr,
    MASTER_PORT: String(o.masterPort),
    WORLD_SIZE: String(o.nnodes * o.nprocPerNode),
    RANK: String(o.nodeRank * o.nprocPerNode + localRank),
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(o.nprocPerNode),
    GROUP_RANK: String(o.nodeRank),
    TORCH_NODE_RUN: '1',
  };
  // As torchrun: several processes on one machine each using every core would oversubscribe it.
  if (o.nprocPerNode > 1 && base.OMP_NUM_THREADS === undefined) env.OMP_NUM_THREADS = '1';
  return env;
}

interface Worker {
  rank: number;
  localRank: number;
  proc: ChildProcess;
  exited: boolean;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 1;
}

/** Runs the workers to completion; resolves with the launcher's exit code. */
export function launch(
  o: LaunchOptions,
  log = (m: string) => process.stderr.write(`torch-node run: ${m}\n`),
): Promise<number> {
  if (!existsSync(o.script)) {
    log(`${o.script} does not exist${o.script.endsWith('.ts') ? ' (compile TypeScript first)' : ''}`);
    return Promise.resolve(2);
  }
  return new Promise((resolve) => {
    const workers: Worker[] = [];
    let running = o.nprocPerNode;
    let failure: string | null = null;
    let failureCode = 0;
    let interrupted: NodeJS.Signals | null = null;
    let killTimer: NodeJS.Timeout | null = null;

    const stopAll = () => {
      for (const w of workers) if (!w.exited) w.proc.kill('SIGTERM');
      killTimer ??= setTimeout(() => {
        for (const w of workers) if (!w.exited) w.proc.kill('SIGKILL');
      }, o.killTimeout);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) return;
      interrupted = signal;
      log(`received ${signal}: stopping all ranks`);
      stopAll();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const finish = () => {
      if (killTimer) clearTimeout(killTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (failure) {
        log(`failed: ${failure}; the other ranks on this node were stopped`);
        resolve(failureCode);
      } else if (interrupted) {
        resolve(exitCodeOf(null, interrupted));
      } else {
        resolve(0);
      }
    };

    const onExit = (w: Worker, code: number | null, signal: NodeJS.Signals | null) => {
      if (w.exited) return;
      w.exited = true;
      running--;
      const failed = signal !== null || code !== 0;
      if (failed && failure === null && !interrupted) {
        failure = `rank ${w.rank} (local rank ${w.localRank}, pid ${w.proc.pid}) ${describeExit(code, signal)}`;
        failureCode = exitCodeOf(code, signal);
        if (running > 0) {
          log(`${failure}: stopping the other ${running} rank(s)`);
          stopAll();
        }
      }
      if (running === 0) finish();
    };

    for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
      const proc = spawn(process.execPath, [o.script, ...o.scriptArgs], {
        stdio: 'inherit',
        env: workerEnv(o, localRank),
      });
      const w: Worker = { rank: o.nodeRank * o.nprocPerNode + localRank, localRank, proc, exited: false };
      workers.push(w);
      proc.on('exit', (code, signal) => onExit(w, code, signal));
      proc.on('error', (e) => {
        log(`rank ${w.rank} could not be started: ${e.message}`);
        onExit(w, 127, null);
      });
    }
  });
}
