// torch.nn.functional: the stateless math of the layers. Generated from ops.table.
export * from '../../generated/functional.js';
