// torch-node: `import * as torch from 'torch-node'`.
export * from './torch/index.js';
