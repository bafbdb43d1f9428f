// `torch-node run`: launches and supervises the processes of a distributed job (see options.ts).
import { type LaunchOptions, parseRunArgs, RUN_USAGE, UsageError } from './options.js';
import { launch, workerEnv } from './supervisor.js';

export { type LaunchOptions, launch, parseRunArgs, RUN_USAGE, UsageError, workerEnv };

/** The command: parses `argv` (what follows `run`), runs the job, resolves with the exit code. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    console.log(RUN_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let options: LaunchOptions;
  try {
    options = parseRunArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`torch-node run: ${e.message}\n\n${RUN_USAGE}`);
    return 2;
  }
  return launch(options);
}
