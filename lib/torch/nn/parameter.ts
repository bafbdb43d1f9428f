import { keep, takeHandle } from '../lifetime.js';
import { Tensor } from '../tensor.js';

/**
 * A tensor that is a module's parameter: assigning one to a module field registers it. It shares
 * the data of the tensor it is made from, requires grad by default, and is kept alive until
 * disposed or collected, whatever scope it was made in.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError('Parameter: expected a Tensor');
    super(takeHandle(data.detach()));
    keep(this);
    if (requiresGrad) this.requiresGrad_(true);
  }
}
