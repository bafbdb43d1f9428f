// MessageHub and HistoryBuffer as MMEngine's: a scalar's mean is its values' sum over their
// counts' sum (a value updated with count n stands for n samples), and updateScalars takes
// numbers or {value, count}.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HistoryBuffer, MessageHub } from '../../../lib/engine/index.js';

describe('HistoryBuffer', () => {
  test('mean over a window weighs each update by its count', () => {
    const b = new HistoryBuffer();
    b.update(10, 2);
    b.update(6, 2);
    assert.equal(b.mean(), 4, '(10 + 6) / (2 + 2), as MMEngine');
    assert.equal(b.mean(1), 3);
    assert.equal(b.current(), 6);
    const plain = new HistoryBuffer();
    for (const v of [1, 2, 3]) plain.update(v);
    assert.equal(plain.mean(), 2);
    assert.equal(plain.mean(2), 2.5);
    assert.ok(Number.isNaN(new HistoryBuffer().mean()));
  });
});

describe('MessageHub', () => {
  test('updateScalars takes numbers or {value, count}; anything else is a TypeError', () => {
    const hub = MessageHub.getInstance('message_hub_test');
    hub.updateScalars({ 'train/loss': 4, 'train/acc': { value: 10, count: 2 } });
    hub.updateScalars({ 'train/acc': { value: 6, count: 2 }, 'train/loss': { value: 2 } });
    assert.equal(hub.getScalar('train/acc').mean(), 4);
    assert.equal(hub.getScalar('train/loss').mean(), 3);
    assert.throws(() => hub.updateScalars({ bad: 'x' as never }), /'bad' should be a number or \{value, count\}/);
  });
});
