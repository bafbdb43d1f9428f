// torch.* functions that ask a tensor (or any value) a question: is_tensor, numel, is_inference,
// is_signed, is_same_size, get_device.
import { $_is_inference } from '../generated/impl.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

function checkTensor(x: unknown, op: string, name = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: '${name}' must be a Tensor, got ${describe(x)}`);
  return x;
}

/** torch.is_tensor(obj). */
export const isTensor = (obj: unknown): obj is Tensor => obj instanceof Tensor;

/** torch.numel(input). */
export const numel = (input: Tensor): number => checkTensor(input, 'numel').numel();

/** torch.is_inference(input): whether it was made under torch.inferenceMode. */
export const isInference = (input: Tensor): boolean => $_is_inference(checkTensor(input, 'isInference'));

/** torch.is_signed(input): false for uint8 and bool only. */
export function isSigned(input: Tensor): boolean {
  const d = checkTensor(input, 'isSigned').dtype;
  return d !== 'uint8' && d !== 'bool';
}

/** torch.is_same_size(input, other). */
export function isSameSize(input: Tensor, other: Tensor): boolean {
  const a = checkTensor(input, 'isSameSize').shape;
  const b = checkTensor(other, 'isSameSize', 'other').shape;
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** torch.get_device(input): -1 on the CPU, else the accelerator's index. */
export function getDevice(input: Tensor): number {
  const device = checkTensor(input, 'getDevice').device as string;
  const m = /:(\d+)$/.exec(device);
  return device === 'cpu' || device === 'meta' ? -1 : m ? Number(m[1]) : 0;
}

/** torch.clone(input, *, memory_format): the method, as a function. */
export const clone = (input: Tensor, options?: Parameters<Tensor['clone']>[0]): Tensor =>
  checkTensor(input, 'clone').clone(options);

/** torch.detach(input). */
export const detach = (input: Tensor): Tensor => checkTensor(input, 'detach').detach();

/** torch.detach_(input): in place, returning it. */
export const detach_ = (input: Tensor): Tensor => checkTensor(input, 'detach_').detach_();
