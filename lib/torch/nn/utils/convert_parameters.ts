// torch.nn.utils.parameters_to_vector / vector_to_parameters (convert_parameters.py): a model's
// parameters as one flat vector, and back. As in PyTorch, vectorToParameters makes each parameter
// a view of `vec` (its `.data` is replaced by a slice of it), so the parameters share the vector's
// storage afterwards.
import { cat } from '../../../generated/functions.js';
import { scope } from '../../lifetime.js';
import { Tensor } from '../../tensor.js';

/** PyTorch's _check_param_device: every parameter on the device of the first. */
function checkParamDevice(fn: string, param: unknown, first: string | undefined): string {
  if (!(param instanceof Tensor)) {
    throw new TypeError(`${fn}: expected an iterable of Tensors, got ${describe(param)} in it`);
  }
  const device = param.device;
  if (first !== undefined && device !== first) {
    throw new TypeError(
      `${fn}: Found two parameters on different devices (${first} and ${device}), this is currently not supported.`,
    );
  }
  return device;
}

const describe = (v: unknown): string =>
  v === null || v === undefined ? String(v) : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;

function iterate(fn: string, parameters: Iterable<Tensor>): Iterable<Tensor> {
  if (parameters instanceof Tensor || parameters == null || typeof parameters[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `${fn}: parameters must be an iterable of Tensors (module.parameters()), got ${describe(parameters)}`,
    );
  }
  return parameters;
}

/** The parameters flattened and concatenated into one vector, as torch.nn.utils.parameters_to_vector. */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const params = iterate('parametersToVector', parameters);
  return scope(() => {
    let device: string | undefined;
    const vec: Tensor[] = [];
    for (const param of params) {
      device = checkParamDevice('parametersToVector', param, device);
      vec.push(param.view([-1]));
    }
    if (vec.length === 0) throw new Error('parametersToVector: expected a non-empty iterable of parameters');
    return cat(vec);
  });
}

/**
 * Copies slices of `vec` into the parameters, in order, as torch.nn.utils.vector_to_parameters:
 * each parameter's data becomes a view of its slice of `vec` (no copy), as in PyTorch.
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected torch.Tensor, but got: ${describe(vec)}`);
  const params = iterate('vectorToParameters', parameters);
  scope(() => {
    let device: string | undefined;
    let pointer = 0;
    for (const param of params) {
      device = checkParamDevice('vectorToParameters', param, device);
      const numParam = param.numel();
      param.data = vec.slice(0, pointer, pointer + numParam).viewAs(param).data;
      pointer += numParam;
    }
  });
}
