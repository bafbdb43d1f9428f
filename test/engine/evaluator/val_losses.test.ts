// The validation-loss convention: a trailing {loss: {...}} output is stripped and averaged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HistoryBuffer, isLossElement, parseValLosses, updateValLosses } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

describe('updateValLosses / parseValLosses', () => {
  test('the trailing loss element is removed and its values averaged per name; val_loss sums names with "loss"', () => {
    const buffers = new Map<string, HistoryBuffer>();
    const a = { predLabel: 1, gtLabel: 1 };
    const b = { predLabel: 0, gtLabel: 1 };
    const out1 = updateValLosses(
      [
        a,
        b,
        {
          loss: { loss_cls: torch.tensor(0.5), loss_aux: [torch.tensor(1), torch.tensor(3)], acc: torch.tensor(0.25) },
        },
      ],
      buffers,
    );
    assert.deepEqual(out1, [a, b]);
    const out2 = updateValLosses([a, { loss: { loss_cls: torch.tensor(1.5) } }], buffers);
    assert.deepEqual(out2, [a]);
    assert.deepEqual([...buffers.keys()], ['loss_cls', 'loss_aux', 'acc']);
    assert.deepEqual(buffers.get('loss_aux')?.data[0], [1, 3]);
    assert.deepEqual(parseValLosses(buffers, 'val'), { loss_cls: 1, loss_aux: 2, acc: 0.25, val_loss: 3 });
    assert.deepEqual(parseValLosses(new Map(), 'test'), { test_loss: 0 });
  });

  test('outputs without the convention pass unchanged, empty lists included', () => {
    const buffers = new Map<string, HistoryBuffer>();
    const withExtraKey = [{ loss: { l: torch.tensor(1) }, other: 1 }];
    assert.equal(updateValLosses(withExtraKey, buffers), withExtraKey);
    const empty: unknown[] = [];
    assert.equal(updateValLosses(empty, buffers), empty);
    const t = torch.tensor([1, 2]);
    assert.equal(updateValLosses(t, buffers), t);
    assert.equal(buffers.size, 0);
    assert.ok(isLossElement({ loss: {} }));
    assert.ok(!isLossElement({ loss: torch.tensor(1) }));
    assert.throws(() => updateValLosses([{ loss: { l: 'x' } }], buffers), /loss l is not a tensor/);
  });
});
