// The Dirichlet distribution over the simplex, with concentrations along the last dimension
// (PyTorch's torch.distributions.Dirichlet). rsample's gradient is the implicit
// reparameterisation gradient of libtorch's _dirichlet_grad, through a custom autograd Function
// as in PyTorch.

import { oneHot } from '../../generated/functional.js';
import { _dirichletGrad, _sampleDirichlet, where } from '../../generated/functions.js';
import { AutogradFunction, type FunctionCtx, isGradEnabled } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { type Constraint, independent, positive, simplex } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { describe } from './utils.js';

const positiveVector = independent(positive, 1);

class DirichletSample extends AutogradFunction {
  static override forward(ctx: FunctionCtx, concentration: Tensor): Tensor {
    const x = _sampleDirichlet(concentration);
    ctx.saveForBackward(x, concentration);
    return x;
  }

  static override backward(ctx: FunctionCtx, grad: Tensor): Tensor {
    const [x, concentration] = ctx.savedTensors as [Tensor, Tensor];
    const total = concentration.sum(-1, { keepdim: true }).expandAs(concentration);
    const g = _dirichletGrad(x, concentration, total);
    return g.mul(grad.sub(x.mul(grad).sum(-1, { keepdim: true })));
  }
}

export class Dirichlet extends Distribution {
  /** The concentrations (the caller's tensor, or a view made by expand()). */
  concentration: Tensor;

  constructor(concentration: Tensor, options?: DistributionOptions) {
    super();
    if (!(concentration instanceof Tensor)) {
      throw new TypeError(`Dirichlet: concentration must be a Tensor, got ${describe(concentration)}`);
    }
    if (concentration.dim() < 1) throw new Error('Dirichlet: concentration must be at least one-dimensional');
    this.concentration = concentration;
    const shape = concentration.shape;
    this.init(shape.slice(0, -1), shape.slice(-1), options?.validateArgs);
  }

  get argConstraints(): Record<string, Constraint> {
    return { concentration: positiveVector };
  }

  get support(): Constraint {
    return simplex;
  }

  override get hasRsample(): boolean {
    return true;
  }

  protected presentParams(): [string, Tensor][] {
    return [['concentration', this.concentration]];
  }

  override expand(batchShape: number[]): Dirichlet {
    const d = this.blank<Dirichlet>();
    d.concentration = d.own(this.concentration.expand([...batchShape, ...this._eventShape]));
    this.initExpanded(d, batchShape);
    return d;
  }

  override rsample(sampleShape: number[] = []): Tensor {
    const concentration = this.concentration.expand(this.extendedShape(sampleShape));
    // The same draw either way; the custom Function only when a gradient can flow.
    if (!isGradEnabled() || !concentration.requiresGrad) return _sampleDirichlet(concentration);
    return DirichletSample.apply(concentration);
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const c = this.concentration;
    return c.sub(1.0).xlogy(value).sum(-1).add(c.sum(-1).lgamma()).sub(c.lgamma().sum(-1));
  }

  override get mean(): Tensor {
    return this.concentration.div(this.concentration.sum(-1, { keepdim: true }));
  }

  override get mode(): Tensor {
    const cm1 = this.concentration.sub(1).clamp({ min: 0.0 });
    const mode = cm1.div(cm1.sum(-1, { keepdim: true }));
    // Where every concentration is below 1 the density peaks at a vertex: PyTorch picks one.
    const mask = this.concentration.lt(1).all(-1);
    const vertex = oneHot(mode.argmax(-1), cm1.size(-1)).to(mode.dtype);
    return where(mask.unsqueeze(-1), vertex, mode);
  }

  override get variance(): Tensor {
    const c = this.concentration;
    const c0 = c.sum(-1, { keepdim: true });
    return c.mul(c0.sub(c)).div(c0.pow(2).mul(c0.add(1)));
  }

  override entropy(): Tensor {
    const c = this.concentration;
    const k = c.size(-1);
    const a0 = c.sum(-1);
    return c
      .lgamma()
      .sum(-1)
      .sub(a0.lgamma())
      .sub(a0.neg().add(k).mul(a0.digamma()))
      .sub(c.sub(1.0).mul(c.digamma()).sum(-1));
  }
}
