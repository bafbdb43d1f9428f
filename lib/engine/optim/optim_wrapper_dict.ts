// OptimWrapperDict: several optimizer wrappers (a GAN's generator and discriminator) for a model
// whose own trainStep drives each one. Driving them all at once is refused.
import type * as torch from '../../torch/index.js';
import type { BaseOptimWrapper, OptimWrapper } from './optim_wrapper.js';
import { OptimWrapper as OptimWrapperClass } from './optim_wrapper.js';

type Module = torch.nn.Module;

export class OptimWrapperDict implements BaseOptimWrapper {
  readonly optimWrappers: Map<string, OptimWrapper>;

  constructor(wrappers: Record<string, OptimWrapper>) {
    this.optimWrappers = new Map();
    for (const [name, w] of Object.entries(wrappers)) {
      if (!(w instanceof OptimWrapperClass)) {
        throw new Error(`\`OptimWrapperDict\` only accept OptimWrapper instance, but got ${name}: ${typeof w}`);
      }
      this.optimWrappers.set(name, w);
    }
  }

  updateParams(): never {
    throw new Error('`update_params` should be called by each optimizer separately`');
  }

  backward(): never {
    throw new Error('`backward` should be called by each optimizer separately`');
  }

  step(): never {
    throw new Error('`step` should be called by each optimizer separately`');
  }

  optimContext<T>(_model: Module, _fn: () => T): T {
    throw new Error('`optim_context` should be called by each optimizer separately');
  }

  zeroGrad(): void {
    for (const w of this.optimWrappers.values()) w.zeroGrad();
  }

  /** Does nothing: each wrapper is initialised by the model's own trainStep. */
  initializeCountStatus(): void {}

  get paramGroups(): Record<string, OptimWrapper['paramGroups']> {
    return Object.fromEntries([...this.optimWrappers].map(([k, w]) => [k, w.paramGroups]));
  }

  getLr(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, w] of this.optimWrappers) {
      const lr = w.getLr();
      if (lr.base_lr) out[`${name}.base_lr`] = lr.base_lr;
      out[`${name}.lr`] = lr.lr as number[];
    }
    return out;
  }

  getMomentum(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, w] of this.optimWrappers) out[`${name}.momentum`] = w.getMomentum().momentum as number[];
    return out;
  }

  stateDict(): Record<string, unknown> {
    return Object.fromEntries([...this.optimWrappers].map(([k, w]) => [k, w.stateDict()]));
  }

  loadStateDict(state: unknown): void {
    for (const [name, sd] of Object.entries(state as Record<string, unknown>)) {
      const w = this.optimWrappers.get(name);
      if (!w) throw new Error(`Mismatched \`state_dict\`! cannot found ${name} in OptimWrapperDict`);
      w.loadStateDict(sd);
    }
  }

  get(key: string): OptimWrapper {
    const w = this.optimWrappers.get(key);
    if (!w) throw new Error(`Cannot find ${key} in OptimWrapperDict, please check your optimizer constructor.`);
    return w;
  }

  has(key: string): boolean {
    return this.optimWrappers.has(key);
  }

  keys(): IterableIterator<string> {
    return this.optimWrappers.keys();
  }

  values(): IterableIterator<OptimWrapper> {
    return this.optimWrappers.values();
  }

  entries(): IterableIterator<[string, OptimWrapper]> {
    return this.optimWrappers.entries();
  }

  get size(): number {
    return this.optimWrappers.size;
  }

  toString(): string {
    return [...this.optimWrappers].map(([name, w]) => `name: ${name}\n${String(w)}`).join('\n');
  }
}
