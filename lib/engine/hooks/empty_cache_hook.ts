// Returns the CUDA caching allocator's unused memory to the driver at chosen points, as MMEngine's
// EmptyCacheHook (for runs that share a GPU, or whose batch shapes vary a lot). The three switches
// apply to training, validation and testing alike, as MMEngine's _before_epoch/_after_epoch/
// _after_iter do. Without CUDA it does nothing: MMEngine's torch.cuda.empty_cache() is a no-op
// there, while ours would throw, so the default emptier checks first.
import * as torch from '../../torch/index.js';
import { Hook, type Priority } from './hook.js';

export interface EmptyCacheHookOptions {
  /** Before every epoch (default false; MMEngine's before_epoch). */
  beforeEpoch?: boolean;
  /** After every epoch (default true; MMEngine's after_epoch). */
  afterEpoch?: boolean;
  /** After every iteration (default false; MMEngine's after_iter). */
  afterIter?: boolean;
}

const OPTIONS = ['beforeEpoch', 'afterEpoch', 'afterIter'] as const;
const SNAKE: Record<string, string> = {
  before_epoch: 'beforeEpoch',
  after_epoch: 'afterEpoch',
  after_iter: 'afterIter',
};

function flag(options: Record<string, unknown>, key: (typeof OPTIONS)[number], fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new TypeError(`EmptyCacheHook: ${key} must be a boolean, got ${typeof v}`);
  return v;
}

/** Empties the cache where CUDA is; reports whether it did. */
function emptyCudaCache(): boolean {
  if (!torch.cuda.isAvailable()) return false;
  torch.cuda.emptyCache();
  return true;
}

export class EmptyCacheHook extends Hook {
  override priority: Priority = 'NORMAL';
  readonly afterIter: boolean;
  readonly beforeEpoch: boolean;
  readonly afterEpoch: boolean;
  /** Times the cache was emptied (calls where CUDA is available). */
  emptied = 0;
  /**
   * @internal What empties the cache, returning whether it did: torch.cuda.emptyCache where
   * CUDA is available, nothing elsewhere. Tests replace it with a spy to see the call points.
   */
  emptyCache: () => boolean = emptyCudaCache;

  constructor(options?: EmptyCacheHookOptions) {
    super();
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new TypeError('EmptyCacheHook: options must be an object ({beforeEpoch, afterEpoch, afterIter})');
    }
    const opts = (options ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(opts)) {
      if (!(OPTIONS as readonly string[]).includes(key)) {
        const hint = SNAKE[key] ? `; options are camelCase: '${SNAKE[key]}'` : '';
        throw new TypeError(`EmptyCacheHook: unknown option '${key}'${hint} (known: ${OPTIONS.join(', ')})`);
      }
    }
    this.beforeEpoch = flag(opts, 'beforeEpoch', false);
    this.afterEpoch = flag(opts, 'afterEpoch', true);
    this.afterIter = flag(opts, 'afterIter', false);
  }

  private empty(when: boolean): void {
    if (when && this.emptyCache()) this.emptied++;
  }

  override afterTrainIter(): void {
    this.empty(this.afterIter);
  }
  override afterValIter(): void {
    this.empty(this.afterIter);
  }
  override afterTestIter(): void {
    this.empty(this.afterIter);
  }
  override beforeTrainEpoch(): void {
    this.empty(this.beforeEpoch);
  }
  override beforeValEpoch(): void {
    this.empty(this.beforeEpoch);
  }
  override beforeTestEpoch(): void {
    this.empty(this.beforeEpoch);
  }
  override afterTrainEpoch(): void {
    this.empty(this.afterEpoch);
  }
  override afterValEpoch(): void {
    this.empty(this.afterEpoch);
  }
  override afterTestEpoch(): void {
    this.empty(this.afterEpoch);
  }
}
