export { clipGradNorm_, clipGradValue_ } from './clip_grad.js';
export * as rnn from './rnn.js';
