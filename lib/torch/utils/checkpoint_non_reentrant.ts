// torch.utils.checkpoint's non-reentrant variant (useReentrant: false), built on saved-tensor hooks
// (lib/torch/autograd/graph.ts), with PyTorch's semantics:
//
// - The forward runs normally, recording its graph, under hooks whose pack keeps a small holder
//   instead of each tensor an op saves. So parameters the function closes over get gradients even
//   when no input requires grad, and any way of running backward works (autograd.grad, inputs:).
// - The first unpack in a backward call reruns the function (random state of the forward
//   restored) under recomputation hooks, which put each recomputed saved tensor in its holder, in
//   the order they were saved; with early stop (the default) the rerun is cut as soon as the last
//   one is in. Each holder hands its tensor over once and forgets it.
// - The inputs are saved as an op saves its inputs, so the hooks around the checkpoint pack them:
//   a checkpoint inside another is recomputed by the outer one when its inputs are needed.
// - determinismCheck 'default' compares the shape, dtype and device of each recomputed tensor with
//   the forward's, and the number of tensors saved; 'none' the number only.
//
// Lifetimes: the frame (inputs, the random state, recomputed tensors not yet handed over) lives
// while a saved tensor of its forward does: it is freed when autograd freed the last of them.
import { native } from '../../binding.js';
import { type HookPair, hooksNative, type Packed, withHooks } from '../autograd/graph.js';
import { keep } from '../lifetime.js';
import { Tensor } from '../tensor.js';
import { RngStash } from './rng_stash.js';

/** A checkpoint's failure to recompute what its forward saved, as PyTorch's CheckpointError. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Where one saved tensor's recomputed value waits, per backward call (graph task). */
interface Holder {
  handles: Map<number, Tensor | null>;
}

interface Meta {
  shape: number[];
  dtype: string;
  device: string;
}

const metaOf = (t: Tensor): Meta => ({ shape: t.shape, dtype: t.dtype, device: t.device });
const sameMeta = (a: Meta, b: Meta): boolean =>
  a.dtype === b.dtype &&
  a.device === b.device &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d === b.shape[i]);
const showMeta = (m: Meta): string => `{shape: [${m.shape.join(', ')}], dtype: '${m.dtype}', device: '${m.device}'}`;

/** Thrown by the recomputation's pack once every needed tensor is back, to cut the rerun. */
class StopRecomputation extends Error {}

// A backward call outside any graph task (an unpack from JavaScript): an id of its own.
let nextOwnGid = -2;

class Frame {
  /** Holders of the forward's saved tensors, null once autograd freed that saved tensor. */
  holders: (Holder | null)[] = [];
  metas: (Meta | null)[] = [];
  recomputed = new Set<number>();
  counter = new Map<number, number>();
  stopping = false;
  forwardCompleted = false;
  ignoreSavedMismatch = false;
  live = 0;
  freed = false;
  /** The arguments, with the saved-tensor id of each tensor among them in `savedIds`. */
  args: unknown[] = [];
  savedIds = new Map<number, number>();

  constructor(
    readonly recompute: (...args: unknown[]) => unknown,
    readonly earlyStop: boolean,
    readonly checkMeta: boolean,
    readonly rngState: RngStash | null,
  ) {}

  saveInputs(args: unknown[]): void {
    this.args = args.map((a, i) => {
      if (!(a instanceof Tensor)) return a;
      this.savedIds.set(i, hooksNative.savedTensorMake(a._h));
      return null;
    });
  }

  inputs(): unknown[] {
    return this.args.map((a, i) => {
      const id = this.savedIds.get(i);
      return id === undefined ? a : new Tensor(hooksNative.savedTensorUnpack(id));
    });
  }

  /** The forward's pack: a holder in place of the tensor. */
  pack(x: Tensor): Packed {
    const holder: Holder = { handles: new Map() };
    const index = this.holders.length;
    this.holders.push(holder);
    this.metas.push(this.checkMeta ? metaOf(x) : null);
    this.live++;
    return {
      value: holder,
      owned: [],
      onFree: () => {
        for (const t of holder.handles.values()) t?.dispose();
        this.holders[index] = null;
        this.live--;
        this.maybeFree();
      },
    };
  }

  unpack(holder: Holder): Tensor {
    let gid = hooksNative.currentGraphTaskId();
    if (gid === -1) gid = nextOwnGid--;
    if (!this.recomputed.has(gid)) {
      this.rerun(gid);
      this.recomputed.add(gid);
      this.checkRecomputed(gid);
    }
    if (!holder.handles.has(gid))
      throw new CheckpointError('torch.utils.checkpoint: internal error: no recomputed value');
    const t = holder.handles.get(gid);
    if (!t) {
      throw new CheckpointError(
        'torch.utils.checkpoint: Unpack is being triggered for a tensor that was already unpacked once. If you are calling ctx.savedTensors in backward, make sure to do so only once. Otherwise please open an issue with details on your use case.',
      );
    }
    holder.handles.set(gid, null);
    return t;
  }

  private rerun(gid: number): void {
    const pair: HookPair = { pack: (x) => this.recomputationPack(x, gid), unpack: (v) => v as Tensor };
    const previousGrad = native.setGradEnabled(true);
    try {
      const args = this.inputs();
      const call = () => withHooks(pair, () => this.recompute(...args), 'checkpoint');
      if (this.rngState) this.rngState.replay(call);
      else call();
    } catch (e) {
      if (!this.stopping) throw e;
    } finally {
      this.stopping = false;
      native.setGradEnabled(previousGrad);
    }
  }

  private recomputationPack(x: Tensor, gid: number): Packed {
    const value = x.requiresGrad ? x.detach() : x;
    const index = this.counter.get(gid) ?? 0;
    this.counter.set(gid, index + 1);
    if (index >= this.holders.length) {
      if (!this.forwardCompleted) {
        // a backward inside the checkpointed function, early stop off
        this.ignoreSavedMismatch = true;
        return { value, owned: [] };
      }
      throw new CheckpointError(
        'torch.utils.checkpoint: trying to save more tensors during recomputation than during the original forward pass.',
      );
    }
    const holder = this.holders[index];
    // A holder that autograd freed already (a backward inside the forward) needs nothing.
    if (holder) holder.handles.set(gid, keep(value));
    if (this.earlyStop && index + 1 === this.holders.length) {
      this.stopping = true;
      throw new StopRecomputation('torch.utils.checkpoint: recomputation stopped early');
    }
    return { value, owned: [] };
  }

  private checkRecomputed(gid: number): void {
    if (this.ignoreSavedMismatch) return;
    const n = this.counter.get(gid) ?? 0;
    if (n !== this.holders.length) {
      throw new CheckpointError(
        'torch.utils.checkpoint: A different number of tensors was saved during the original forward and recomputation.\n' +
          `Number of tensors saved during forward: ${this.holders.length}\n` +
          `Number of tensors saved during recomputation: ${n}.`,
      );
    }
    let mismatched = '';
    this.holders.forEach((holder, i) => {
      const saved = this.metas[i];
      const t = holder?.handles.get(gid);
      if (!saved || !t) return;
      const got = metaOf(t);
      if (!sameMeta(saved, got)) {
        mismatched += `tensor at position ${i}:\nsaved metadata: ${showMeta(saved)}\nrecomputed metadata: ${showMeta(got)}\n`;
      }
    });
    if (mismatched) {
      throw new CheckpointError(
        `torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than during the forward pass.\n${mismatched}`,
      );
    }
  }

  maybeFree(): void {
    if (this.freed || this.live > 0 || !this.forwardCompleted) return;
    this.freed = true;
    for (const id of this.savedIds.values()) hooksNative.savedTensorFree(id);
    this.rngState?.dispose();
    for (const h of this.holders) if (h) for (const t of h.handles.values()) t?.dispose();
  }
}

export interface NonReentrantOptions {
  preserveRngState: boolean;
  determinismCheck: 'default' | 'none';
  earlyStop: boolean;
}

/** Runs `run(...args)` as a non-reentrant checkpoint (see the file comment). */
export function checkpointWithoutReentrant(
  run: (...args: unknown[]) => unknown,
  args: unknown[],
  options: NonReentrantOptions,
): unknown {
  // Nothing is recorded, so nothing will be recomputed: a plain call, as PyTorch.
  if (!native.isGradEnabled()) return run(...args);
  const rngState = options.preserveRngState ? RngStash.take(args) : null;
  const frame = new Frame(run, options.earlyStop, options.determinismCheck === 'default', rngState);
  let done = false;
  try {
    frame.saveInputs(args);
    const pair: HookPair = {
      pack: (x) => frame.pack(x),
      unpack: (v) => frame.unpack(v as Holder),
      disposeUnpacked: true,
    };
    const out = withHooks(pair, () => run(...args), 'checkpoint');
    if (out instanceof Promise) throw new TypeError('checkpoint: the function must be synchronous');
    done = true;
    return out;
  } finally {
    frame.forwardCompleted = true;
    if (!done) frame.live = 0;
    frame.maybeFree();
  }
}
