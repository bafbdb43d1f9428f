// A small leveled logger for the engine: messages to the console and to any number of extra
// sinks (the runner adds a log file). Tests lower the level to keep output quiet. The console
// is stdout, every level, as MMEngine's MMLogger (its StreamHandler is on sys.stdout): a run's
// log and the LoggerHook's progress bar, also on stdout, then share one stream, so clearing the
// bar before a line works when the output is piped or redirected too.
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, silent: 100 };

export class Logger {
  level: LogLevel;
  readonly sinks: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    options?: { level?: LogLevel },
  ) {
    this.level = options?.level ?? (process.env.TORCH_NODE_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  }

  private write(level: LogLevel, message: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const line = `${new Date().toISOString().replace('T', ' ').slice(0, 19)} - ${this.name} - ${level.toUpperCase()} - ${message}`;
    process.stdout.write(`${line}\n`);
    for (const sink of this.sinks) sink(line);
  }

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warning(message: string): void {
    this.write('warning', message);
  }

  error(message: string): void {
    this.write('error', message);
  }
}

let current = new Logger('torch-node');

export function getLogger(): Logger {
  return current;
}

export function setLogger(logger: Logger): void {
  current = logger;
}
