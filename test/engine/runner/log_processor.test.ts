// LogProcessor's lines as MMEngine prints them: the eta in whole seconds (truncated, as
// str(timedelta(seconds=int(eta)))), the epoch right-aligned to the number of epochs, and a test
// line without an epoch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatEta, LogProcessor, MessageHub } from '../../../lib/engine/index.js';

describe('LogProcessor', () => {
  test('eta: whole seconds, truncated, with days as Python writes them', () => {
    assert.equal(formatEta(59.7), '0:00:59');
    assert.equal(formatEta(90061.9), '1 day, 1:01:01');
    assert.equal(formatEta(2 * 86400 + 5), '2 days, 0:00:05');
    assert.equal(formatEta(-3), '0:00:00');
  });

  test('the epoch is right-aligned to the number of epochs; a test line has no epoch, a val line has', () => {
    const hub = MessageHub.getInstance('log_processor_test');
    hub.updateScalar('train/loss', 0.5);
    const lp = new LogProcessor();
    const input = {
      mode: 'train' as const,
      byEpoch: true,
      epoch: 0,
      iterInEpoch: 9,
      itersPerEpoch: 100,
      iter: 9,
      maxIters: 1200,
    };
    assert.match(
      lp.trainLine(hub, { ...input, maxEpochs: 12 }),
      /^Epoch\(train\) {2}\[1\]\[ 10\/100\] {2}loss: 0\.5000$/,
    );
    assert.match(lp.trainLine(hub, { ...input, maxEpochs: 2 }), /^Epoch\(train\) \[1\]\[ 10\/100\]/);
    const end = { epoch: 3, byEpoch: true, iters: 300, itersPerEpoch: 5 };
    assert.match(lp.epochEndLine(hub, 'test', { acc: 1 }, end), /^Epoch\(test\) \[5\/5\] {4}acc: 1\.0000$/);
    assert.match(lp.epochEndLine(hub, 'val', { acc: 1 }, end), /^Epoch\(val\) \[3\]\[5\/5\]/);
  });

  test("an evaluation's progress line: where it is and its smoothed timings", () => {
    const hub = MessageHub.getInstance('log_processor_eval_test');
    for (const t of [0.02, 0.04]) hub.updateScalar('val/time', t);
    hub.updateScalar('val/data_time', 0.001);
    const lp = new LogProcessor();
    assert.equal(
      lp.evalIterLine(hub, 'val', { byEpoch: true, epoch: 2, batchIdx: 9, total: 50 }),
      'Epoch(val) [2][10/50]    time: 0.0300  data_time: 0.0010',
    );
    assert.match(
      lp.evalIterLine(hub, 'test', { byEpoch: true, epoch: 2, batchIdx: 9, total: 100 }),
      /^Epoch\(test\) \[ 10\/100\] {4}$/,
    );
    assert.match(
      lp.evalIterLine(hub, 'val', { byEpoch: false, epoch: 0, batchIdx: 4, total: 5 }),
      /^Iter\(val\) \[5\/5\]/,
    );
  });
});
