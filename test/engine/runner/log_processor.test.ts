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

  // Losses 1..6 over two epochs of 4 iterations, the line at the 2nd iteration of the 2nd epoch.
  const losses = (name: string): MessageHub => {
    const hub = MessageHub.getInstance(name);
    for (let v = 1; v <= 6; v++) hub.updateScalar('train/loss', v);
    hub.updateScalar('train/lr', 0.01);
    return hub;
  };
  const at = {
    mode: 'train' as const,
    byEpoch: true,
    epoch: 1,
    iterInEpoch: 1,
    itersPerEpoch: 4,
    iter: 5,
    maxIters: 8,
    maxEpochs: 2,
  };

  test('customCfg: statistics over a number of iterations, the epoch so far, or all of them', () => {
    const lp = new LogProcessor({
      windowSize: 4,
      customCfg: [
        { dataSrc: 'loss', method: 'max', windowSize: 3, logName: 'loss_max' },
        { dataSrc: 'loss', method: 'mean', windowSize: 'global', logName: 'loss_global' },
        { dataSrc: 'loss', method: 'min', windowSize: 'epoch', logName: 'loss_epoch_min' },
        { dataSrc: 'missing', method: 'mean', logName: 'nothing' },
      ],
    });
    // loss: mean of 3..6; max of 4..6; mean of 1..6; min of 5, 6
    assert.equal(
      lp.trainLine(losses('lp_custom'), at),
      'Epoch(train) [2][2/4]  lr: 1.0000e-02  loss: 4.5000  loss_max: 6.0000  loss_global: 3.5000  loss_epoch_min: 5.0000',
    );
  });

  test('customCfg without logName replaces the scalar in place; numDigits; meanPattern', () => {
    const current = new LogProcessor({ customCfg: [{ dataSrc: 'loss', method: 'current' }], numDigits: 2 });
    assert.equal(lp2(current), 'Epoch(train) [2][2/4]  lr: 1.00e-02  loss: 6.00');
    // only names matching the pattern are averaged: loss now shows its latest value
    const pattern = new LogProcessor({ meanPattern: /time/g });
    assert.equal(lp2(pattern), 'Epoch(train) [2][2/4]  lr: 1.0000e-02  loss: 6.0000');
    assert.equal(lp2(pattern), 'Epoch(train) [2][2/4]  lr: 1.0000e-02  loss: 6.0000', 'a /g pattern is not stateful');
  });
  const lp2 = (lp: LogProcessor) => lp.trainLine(losses('lp_replace'), at);

  test("on CUDA the peak memory in MiB follows the timings, as MMEngine's line", () => {
    const hub = MessageHub.getInstance('lp_memory');
    hub.updateScalar('train/time', 0.5);
    hub.updateScalar('train/loss', 1);
    assert.equal(
      new LogProcessor().trainLine(hub, { ...at, memory: 1234 }),
      'Epoch(train) [2][2/4]  time: 0.5000  memory: 1234  loss: 1.0000',
    );
  });

  test('customCfg is checked: one name per statistic, known methods and windows', () => {
    assert.throws(
      () =>
        new LogProcessor({
          customCfg: [
            { dataSrc: 'loss', method: 'max' },
            { dataSrc: 'loss', method: 'min' },
          ],
        }),
      /logs loss twice/,
    );
    assert.throws(
      () => new LogProcessor({ customCfg: [{ dataSrc: 'loss', method: 'median' as 'mean' }] }),
      /method must be one of mean, max, min, current, got median/,
    );
    assert.throws(
      () => new LogProcessor({ customCfg: [{ dataSrc: 'loss', method: 'mean', windowSize: 'all' as 'epoch' }] }),
      /windowSize should be a positive integer, 'epoch' or 'global'/,
    );
  });
});
