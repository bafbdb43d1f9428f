// torch.distributions: probability distributions with sampling, log-densities and KL divergences,
// as PyTorch's, under its names in camelCase.
export { Bernoulli, type ProbsOrLogits } from './bernoulli.js';
export { Beta } from './beta.js';
export { Binomial, type BinomialOptions } from './binomial.js';
export { Categorical } from './categorical.js';
export { Cauchy } from './cauchy.js';
export { Chi2 } from './chi2.js';
export { bijectTo, ConstraintRegistry, transformTo } from './constraint_registry.js';
export * as constraints from './constraints.js';
export { ContinuousBernoulli, type ContinuousBernoulliOptions } from './continuous_bernoulli.js';
export { Dirichlet } from './dirichlet.js';
export { Distribution, type DistributionOptions } from './distribution.js';
export { Exponential } from './exponential.js';
export { FisherSnedecor } from './fisher_snedecor.js';
export { Gamma } from './gamma.js';
export { GeneralizedPareto } from './generalized_pareto.js';
export { Geometric } from './geometric.js';
export { Gumbel } from './gumbel.js';
export { HalfCauchy } from './half_cauchy.js';
export { HalfNormal } from './half_normal.js';
export { Independent } from './independent.js';
export { InverseGamma } from './inverse_gamma.js';
export * as kl from './kl.js';
export { type KlFunction, klDivergence, registerKl } from './kl.js';

// The KL pairs of the transform-based families register themselves on import.
import './kl_pairs.js';

export { Kumaraswamy } from './kumaraswamy.js';
export { Laplace } from './laplace.js';
export { LKJCholesky } from './lkj_cholesky.js';
export { LogNormal } from './log_normal.js';
export { LogisticNormal } from './logistic_normal.js';
export { LowRankMultivariateNormal } from './lowrank_multivariate_normal.js';
export { MixtureSameFamily, MixtureSameFamilyConstraint } from './mixture_same_family.js';
export { Multinomial, type MultinomialOptions } from './multinomial.js';
export { MultivariateNormal, type MultivariateNormalOptions } from './multivariate_normal.js';
export { NegativeBinomial } from './negative_binomial.js';
export { Normal } from './normal.js';
export { OneHotCategorical, OneHotCategoricalStraightThrough } from './one_hot_categorical.js';
export { Pareto } from './pareto.js';
export { Poisson } from './poisson.js';
export { LogitRelaxedBernoulli, RelaxedBernoulli } from './relaxed_bernoulli.js';
export { ExpRelaxedCategorical, RelaxedOneHotCategorical } from './relaxed_categorical.js';
export { StudentT, type StudentTOptions } from './student_t.js';
export { TransformedDistribution } from './transformed_distribution.js';
export * as transforms from './transforms.js';
export {
  AbsTransform,
  AffineTransform,
  CatTransform,
  ComposeTransform,
  CorrCholeskyTransform,
  CumulativeDistributionTransform,
  ExpTransform,
  IndependentTransform,
  identityTransform,
  LowerCholeskyTransform,
  PositiveDefiniteTransform,
  PowerTransform,
  ReshapeTransform,
  SigmoidTransform,
  SoftmaxTransform,
  SoftplusTransform,
  StackTransform,
  StickBreakingTransform,
  TanhTransform,
  Transform,
} from './transforms.js';
export { Uniform } from './uniform.js';
export { VonMises } from './von_mises.js';
export { Weibull } from './weibull.js';
export { Wishart, type WishartOptions } from './wishart.js';
