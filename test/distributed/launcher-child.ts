// A worker of test/distributed/launcher.test.ts, started by `torch-node run`:
//
//   torch-node run --nproc-per-node 2 dist/test/distributed/launcher-child.js ok|exit3|kill|hang
//
//   ok     joins the group, all-reduces its rank, prints its environment as JSON, exits 0
//   exit3  rank 1 exits with code 3 at once; rank 0 waits (a timer) until it is stopped
//   kill   rank 1 SIGKILLs itself after 5 all-reduces; rank 0 all-reduces until stopped
//   hang   rank 1 never joins the second all-reduce (a timer); rank 0's times out after 2 s
//
// Run with no arguments (as `node --test dist/test/` does) it does nothing.
import * as torch from '../../lib/index.js';

const dist = torch.distributed;
const mode = process.argv[2];

if (mode === 'exit3') {
  if (process.env.RANK === '1') process.exit(3);
  setTimeout(() => {}, 60_000);
} else if (mode) {
  dist.initProcessGroup({ backend: 'gloo', timeout: mode === 'hang' ? 2000 : 30_000 });
  const rank = dist.getRank();
  const t = torch.tensor([rank], { dtype: 'float32' });
  dist.allReduce(t);
  if (mode === 'ok') {
    const env = process.env;
    const keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'MASTER_ADDR', 'MASTER_PORT'];
    const report = Object.fromEntries(keys.map((k) => [k, env[k]]));
    process.stdout.write(
      `${JSON.stringify({ ...report, sum: t.item(), omp: env.OMP_NUM_THREADS, args: process.argv.slice(3) })}\n`,
    );
    dist.destroyProcessGroup();
  } else if (mode === 'kill') {
    for (let i = 0; ; i++) {
      dist.allReduce(t);
      if (rank === 1 && i === 5) process.kill(process.pid, 'SIGKILL');
    }
  } else if (mode === 'hang') {
    if (rank === 1) setTimeout(() => {}, 60_000);
    else dist.allReduce(t);
  }
}
