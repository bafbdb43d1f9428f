// Returns the CUDA caching allocator's unused memory to the driver at chosen points, as MMEngine's
// EmptyCacheHook (for runs that share a GPU, or whose batch shapes vary a lot). Nothing on the CPU.
import * as torch from '../../torch/index.js';
import { Hook, type Priority } from './hook.js';

export interface EmptyCacheHookOptions {
  /** After every iteration (train, val, test; default false). */
  afterIter?: boolean;
  /** Before every epoch (default false). */
  beforeEpoch?: boolean;
  /** After every epoch (default true). */
  afterEpoch?: boolean;
}

export class EmptyCacheHook extends Hook {
  override priority: Priority = 'NORMAL';
  readonly afterIter: boolean;
  readonly beforeEpoch: boolean;
  readonly afterEpoch: boolean;
  /** Times the cache was emptied (calls where CUDA is available). */
  emptied = 0;

  constructor(options?: EmptyCacheHookOptions) {
    super();
    this.afterIter = options?.afterIter ?? false;
    this.beforeEpoch = options?.beforeEpoch ?? false;
    this.afterEpoch = options?.afterEpoch ?? true;
  }

  private empty(when: boolean): void {
    if (!when || !torch.cuda.isAvailable()) return;
    torch.cuda.emptyCache();
    this.emptied++;
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
