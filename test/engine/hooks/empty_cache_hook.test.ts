// EmptyCacheHook: the CUDA allocator's cache emptied at the points chosen (after iterations,
// before or after epochs), and nothing where there is no CUDA.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

describe('EmptyCacheHook', () => {
  test('empties the CUDA cache where CUDA is, at the points chosen; nothing on the CPU', () => {
    const hook = new engine.EmptyCacheHook({ afterIter: true });
    hook.afterTrainIter();
    hook.afterTrainEpoch();
    hook.beforeTrainEpoch();
    assert.equal(hook.emptied, torch.cuda.isAvailable() ? 2 : 0);
  });
});
