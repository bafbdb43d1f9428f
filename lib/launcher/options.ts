// `torch-node run`'s command line, as torchrun's: launcher options, then the script and its own
// arguments (everything after the script is passed through untouched).
export interface LaunchOptions {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  /** Milliseconds between asking the other ranks to stop (SIGTERM) and killing them (SIGKILL). */
  killTimeout: number;
  script: string;
  scriptArgs: string[];
}

export class UsageError extends Error {}

export const RUN_USAGE = `usage: torch-node run [options] script.js [script args]

Starts nproc-per-node copies of script.js on this machine, with the environment that
torch.distributed.initProcessGroup() reads (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK), and supervises them: when one rank fails, the others
are stopped and torch-node run exits with that rank's exit code.

  --nproc-per-node N   processes on this machine (default 1)
  --nnodes M           machines (default 1); run torch-node run on each of them
  --node-rank R        this machine's index, 0..M-1 (default 0)
  --master-addr ADDR   address of node 0, where rank 0 serves the rendezvous (default 127.0.0.1)
  --master-port PORT   its port (default 29500)
  --kill-timeout S     seconds between SIGTERM and SIGKILL when stopping ranks (default 5)`;

function intOption(name: string, raw: string | undefined, min: number): number {
  if (raw === undefined) throw new UsageError(`--${name} needs a value`);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

/** Parses `torch-node run`'s arguments (those after `run`). */
export function parseRunArgs(argv: readonly string[]): LaunchOptions {
  const o = {
    nprocPerNode: 1,
    nnodes: 1,
    nodeRank: 0,
    masterAddr: '127.0.0.1',
    masterPort: 29500,
    killTimeout: 5000,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) break;
    const eq = arg.indexOf('=');
    // torchrun spells them with underscores too.
    const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replace(/_/g, '-');
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    switch (name) {
      case 'nproc-per-node':
        o.nprocPerNode = intOption(name, value, 1);
        break;
      case 'nnodes':
        o.nnodes = intOption(name, value, 1);
        break;
      case 'node-rank':
        o.nodeRank = intOption(name, value, 0);
        break;
      case 'master-addr':
        if (!value) throw new UsageError('--master-addr needs a value');
        o.masterAddr = value;
        break;
      case 'master-port':
        o.masterPort = intOption(name, value, 1);
        if (o.masterPort > 65535) throw new UsageError(`--master-port must be at most 65535, got ${o.masterPort}`);
        break;
      case 'kill-timeout':
        if (value === undefined || !(Number(value) >= 0)) {
          throw new UsageError(`--kill-timeout must be a number of seconds, got '${value}'`);
        }
        o.killTimeout = Number(value) * 1000;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (o.nodeRank >= o.nnodes)
    throw new UsageError(`--node-rank must be below --nnodes (${o.nnodes}), got ${o.nodeRank}`);
  const script = argv[i];
  if (script === undefined) throw new UsageError('no script given');
  return { ...o, script, scriptArgs: argv.slice(i + 1) };
}
