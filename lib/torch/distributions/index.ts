// torch.distributions: probability distributions with sampling, log-densities and KL divergences,
// as PyTorch's, under its names in camelCase.
export { Bernoulli, type ProbsOrLogits } from './bernoulli.js';
export { Beta } from './beta.js';
export { Binomial, type BinomialOptions } from './binomial.js';
export { Categorical } from './categorical.js';
export * as constraints from './constraints.js';
export { Dirichlet } from './dirichlet.js';
export { Distribution, type DistributionOptions } from './distribution.js';
export { Exponential } from './exponential.js';
export { Gamma } from './gamma.js';
export { Independent } from './independent.js';
export * as kl from './kl.js';
export { type KlFunction, klDivergence, registerKl } from './kl.js';
export { Laplace } from './laplace.js';
export { LogNormal } from './log_normal.js';
export { MultivariateNormal, type MultivariateNormalOptions } from './multivariate_normal.js';
export { Normal } from './normal.js';
export { OneHotCategorical } from './one_hot_categorical.js';
export { Poisson } from './poisson.js';
export { Uniform } from './uniform.js';
