// Collectives over the default process group. Every rank must call the same collectives in the
// same order with tensors of the same shape and dtype. allReduce and broadcast work in place and
// return their tensor; allGather and reduceScatter return new tensors. The `...Async` variants
// start the collective and return a Promise that resolves when it is done; the tensors must not
// be used until then.
import { Tensor } from '../tensor.js';
import { dist } from './process_group.js';

/** How allReduce and reduceScatter combine the ranks' values. 'avg' on Gloo sums, then divides. */
export const ReduceOp = {
  SUM: 'sum',
  AVG: 'avg',
  PRODUCT: 'product',
  MIN: 'min',
  MAX: 'max',
  BAND: 'band',
  BOR: 'bor',
  BXOR: 'bxor',
} as const;
export type ReduceOp = (typeof ReduceOp)[keyof typeof ReduceOp];

export interface ReduceOptions {
  /** Default 'sum'. */
  op?: ReduceOp;
}

function handleOf(t: Tensor, op: string, name: string): number {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor`);
  return t._h;
}

function handlesOf(ts: readonly Tensor[], op: string, name: string): number[] {
  if (!Array.isArray(ts)) throw new TypeError(`${op}: ${name} must be an array of Tensors`);
  return ts.map((t) => handleOf(t, op, name));
}

/** Reduces `tensor` across all ranks, in place: every rank ends with the result. */
export function allReduce(tensor: Tensor, options?: ReduceOptions): Tensor {
  dist('allReduce').distAllReduce([handleOf(tensor, 'allReduce', 'tensor')], options?.op ?? 'sum', false);
  return tensor;
}

export async function allReduceAsync(tensor: Tensor, options?: ReduceOptions): Promise<Tensor> {
  await dist('allReduce').distAllReduce([handleOf(tensor, 'allReduce', 'tensor')], options?.op ?? 'sum', true);
  return tensor;
}

/** Copies rank `src`'s `tensor` into every other rank's `tensor`, in place. */
export function broadcast(tensor: Tensor, src: number): Tensor {
  dist('broadcast').distBroadcast([handleOf(tensor, 'broadcast', 'tensor')], src, false);
  return tensor;
}

export async function broadcastAsync(tensor: Tensor, src: number): Promise<Tensor> {
  await dist('broadcast').distBroadcast([handleOf(tensor, 'broadcast', 'tensor')], src, true);
  return tensor;
}

/** Every rank's `tensor`, in rank order. (PyTorch's `all_gather(tensor_list, tensor)` fills a list instead.) */
export function allGather(tensor: Tensor): Tensor[] {
  const hs = dist('allGather').distAllGather([handleOf(tensor, 'allGather', 'tensor')], false) as number[];
  return hs.map((h) => new Tensor(h));
}

export async function allGatherAsync(tensor: Tensor): Promise<Tensor[]> {
  const hs = await dist('allGather').distAllGather([handleOf(tensor, 'allGather', 'tensor')], true);
  return hs.map((h) => new Tensor(h));
}

/**
 * `inputs` holds one tensor per rank; rank r gets the reduction of every rank's `inputs[r]`.
 * (PyTorch's `reduce_scatter(output, input_list)` writes into `output` instead.)
 */
export function reduceScatter(inputs: readonly Tensor[], options?: ReduceOptions): Tensor {
  const hs = handlesOf(inputs, 'reduceScatter', 'inputs');
  return new Tensor(dist('reduceScatter').distReduceScatter(hs, options?.op ?? 'sum', false) as number);
}

export async function reduceScatterAsync(inputs: readonly Tensor[], options?: ReduceOptions): Promise<Tensor> {
  const hs = handlesOf(inputs, 'reduceScatter', 'inputs');
  return new Tensor(await dist('reduceScatter').distReduceScatter(hs, options?.op ?? 'sum', true));
}

/** Returns when every rank has called it. */
export function barrier(): void {
  dist('barrier').distBarrier(false);
}

export async function barrierAsync(): Promise<void> {
  await dist('barrier').distBarrier(true);
}

/**
 * Overwrites `tensors` on every rank with rank `src`'s, packed into flat buffers of at most
 * `bufferBytes` (DistributedDataParallel's parameter and buffer sync; fewer, larger messages).
 */
export function broadcastCoalesced(tensors: readonly Tensor[], src = 0, bufferBytes = 250 * 1024 * 1024): void {
  dist('broadcastCoalesced').distBroadcastCoalesced(
    handlesOf(tensors, 'broadcastCoalesced', 'tensors'),
    bufferBytes,
    src,
  );
}
