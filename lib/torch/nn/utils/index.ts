export * as stateless from '../../func/stateless.js';
export { clipGradNorm_, clipGradsWithNorm_, clipGradValue_, getTotalNorm } from './clip_grad.js';
export { parametersToVector, vectorToParameters } from './convert_parameters.js';
export * as parametrizations from './parametrizations.js';
export * as parametrize from './parametrize.js';
export * as prune from './prune.js';
export * as rnn from './rnn.js';
export { removeSpectralNorm, spectralNorm } from './spectral_norm.js';
export { removeWeightNorm, weightNorm } from './weight_norm.js';
