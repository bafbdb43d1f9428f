// The LKJ distribution over Cholesky factors of correlation matrices of size `dim` (PyTorch's
// torch.distributions.LKJCholesky), sampled by the onion method as PyTorch does: one Beta draw per
// row for its squared norm, then a normal draw for its direction.
import { arange, cat, randn, where, zeros } from '../../generated/functions.js';
import { specialMultigammaln } from '../../generated/namespaces.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { Beta } from './beta.js';
import { type Constraint, corrCholesky, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { diagEmbed } from './lowrank_multivariate_normal.js';
import { broadcastAll, finfo, type Param } from './utils.js';

export class LKJCholesky extends Distribution {
  readonly dim: number;
  concentration: Tensor;
  /** @internal The Beta of each row's squared off-diagonal norm. */
  _beta: Beta;

  constructor(dim: number, concentration: Param = 1.0, options?: DistributionOptions) {
    super();
    if (!Number.isInteger(dim) || dim < 2) {
      throw new Error(`LKJCholesky: expected dim to be an integer greater than or equal to 2, got dim=${dim}`);
    }
    this.dim = dim;
    [this.concentration] = broadcastAll('LKJCholesky', ['concentration'], [concentration]).map((t) => this.own(t)) as [
      Tensor,
    ];
    const c = this.concentration;
    // Validated before the Beta is made, so that a bad concentration is reported under this name.
    this.init(c.shape, [dim, dim], options?.validateArgs);
    const marginal = c.add(0.5 * (dim - 2));
    const range = arange(dim - 1, { dtype: c.dtype, device: c.device });
    const offset = cat([zeros([1], { dtype: c.dtype, device: c.device }), range]);
    const conc1 = offset.add(0.5);
    const conc0 = marginal.unsqueeze(-1).sub(offset.mul(0.5));
    this._beta = this.ownDistribution(new Beta(conc1, conc0));
  }

  get argConstraints(): Record<string, Constraint> {
    return { concentration: positive };
  }

  get support(): Constraint {
    return corrCholesky;
  }

  protected presentParams(): [string, Tensor][] {
    return [['concentration', this.concentration]];
  }

  override expand(batchShape: number[]): LKJCholesky {
    const d = this.blank<LKJCholesky>();
    (d as { dim: number }).dim = this.dim;
    d.concentration = d.own(this.concentration.expand(batchShape));
    d._beta = d.ownDistribution(this._beta.expand([...batchShape, this.dim]));
    this.initExpanded(d, batchShape);
    return d;
  }

  override sample(sampleShape: number[] = []): Tensor {
    this.checkAlive();
    return noGrad(() => {
      const y = this._beta.sample(sampleShape).unsqueeze(-1);
      const uNormal = randn(this.extendedShape(sampleShape), { dtype: y.dtype, device: y.device }).tril(-1);
      // Row 0 is 0/0; PyTorch then zeroes it.
      const direction = uNormal.div(uNormal.norm(2, -1, { keepdim: true }));
      const firstRow = arange(this.dim, { device: y.device }).eq(0).unsqueeze(-1);
      const uHypersphere = where(firstRow, 0, direction);
      const w = y.sqrt().mul(uHypersphere);
      const tiny = finfo(w.dtype, 'LKJCholesky.sample').tiny;
      const diag = w.pow(2).sum(-1).neg().add(1).clamp({ min: tiny }).sqrt();
      return w.add(diagEmbed(diag));
    });
  }

  override logProb(value: Tensor): Tensor {
    this.checkValue(value, 'logProb');
    const dim = this.dim;
    const c = this.concentration;
    const diagElems = value.diagonal({ dim1: -1, dim2: -2 }).narrow(-1, 1, dim - 1);
    const order = c
      .sub(1)
      .unsqueeze(-1)
      .mul(2)
      .add(dim)
      .sub(arange(2, dim + 1, { device: c.device }));
    const unnormalized = order.mul(diagElems.log()).sum(-1);
    const dm1 = dim - 1;
    const alpha = c.add(0.5 * dm1);
    const denominator = alpha.lgamma().mul(dm1);
    const numerator = specialMultigammaln(alpha.sub(0.5), dm1);
    const normalize = numerator.add(0.5 * dm1 * Math.log(Math.PI)).sub(denominator);
    return unnormalized.sub(normalize);
  }
}
