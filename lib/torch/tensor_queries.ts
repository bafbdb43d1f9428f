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

/** torch.is_signed(input): the method, as a function. */
export const isSigned = (input: Tensor): boolean => checkTensor(input, 'isSigned').isSigned();

/** torch.is_same_size(input, other): the method, as a function. */
export const isSameSize = (input: Tensor, other: Tensor): boolean =>
  checkTensor(input, 'isSameSize').isSameSize(checkTensor(other, 'isSameSize', 'other'));

/** torch.get_device(input): the method, as a function. */
export const getDevice = (input: Tensor): number => checkTensor(input, 'getDevice').getDevice();

/** torch.clone(input, *, memory_format): the method, as a function. */
export const clone = (input: Tensor, options?: Parameters<Tensor['clone']>[0]): Tensor =>
  checkTensor(input, 'clone').clone(options);

/** torch.detach(input). */
export const detach = (input: Tensor): Tensor => checkTensor(input, 'detach').detach();

/** torch.detach_(input): in place, returning it. */
export const detach_ = (input: Tensor): Tensor => checkTensor(input, 'detach_').detach_();
