// torch.distributions.transforms: every transform, from the files that hold them.
export * from './elementwise_transforms.js';
export * from './event_transforms.js';
export * from './transform.js';
