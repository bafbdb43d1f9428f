// torch.distributed: c10d's process group and collectives (`import * as torch from 'torch-node'`,
// then `torch.distributed.initProcessGroup()`). Launch the processes with `torch-node run`.
export {
  allGather,
  allGatherAsync,
  allReduce,
  allReduceAsync,
  barrier,
  barrierAsync,
  broadcast,
  broadcastAsync,
  broadcastCoalesced,
  ReduceOp,
  type ReduceOptions,
  reduceScatter,
  reduceScatterAsync,
} from './collectives.js';
export { allGatherObject, broadcastObject } from './objects.js';
export {
  type Backend,
  destroyProcessGroup,
  getBackend,
  getLocalRank,
  getRank,
  getWorldSize,
  type InitProcessGroupOptions,
  initProcessGroup,
  isAvailable,
  isInitialized,
  isNcclAvailable,
  whyNotAvailable,
} from './process_group.js';
export { Reducer, type ReducerOptions } from './reducer.js';
