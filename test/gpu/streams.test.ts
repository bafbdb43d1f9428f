// Streams, events, pinned memory and non-blocking copies on CUDA: the results are right once
// the streams are synchronised, and a non-blocking copy really lets the host go on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { assertClose, needsCuda, values } from './support.js';

const { cuda } = torch;

describe('CUDA streams and events', { skip: needsCuda }, () => {
  test('work queued on a side stream gives the right result once the current stream waits for it', () => {
    torch.manualSeed(0);
    const a = torch.randn([512, 512], { device: 'cuda' });
    const side = new cuda.Stream();
    const main = cuda.currentStream();
    assert.equal(side.equals(main), false);
    // The side stream must see `a` complete before it reads it.
    side.waitStream(main);
    const product = cuda.withStream(side, () => {
      assert.ok(cuda.currentStream().equals(side), 'withStream makes the stream current');
      return a.matmul(a).relu();
    });
    assert.ok(cuda.currentStream().equals(main), 'withStream restores the previous stream');
    main.waitStream(side);
    product.recordStream(main);
    const expected = a.cpu().matmul(a.cpu()).relu();
    assertClose(product.sum(1), expected.sum(1), 1e-3, 1e-2, 'side-stream matmul');
    side.synchronize();
    assert.equal(side.query(), true);
  });

  test('events order streams and time the work between them', () => {
    const big = torch.randn([4096, 4096], { device: 'cuda' });
    const start = new cuda.Event({ enableTiming: true });
    const end = new cuda.Event({ enableTiming: true });
    start.record();
    for (let i = 0; i < 5; i++) torch.scope(() => big.matmul(big));
    end.record();
    end.synchronize();
    assert.equal(end.query(), true);
    const ms = start.elapsedTime(end);
    // Five 4096^3 products: 0.7 TFLOP. Any GPU takes well over a microsecond and well under 10 s.
    assert.ok(ms > 0.001 && ms < 10_000, `elapsed ${ms} ms`);

    // An event recorded on one stream and waited for on another orders them.
    const side = new cuda.Stream();
    const x = torch.full([1 << 20], 2, { device: 'cuda' });
    const done = new cuda.Event();
    const made = new cuda.Event();
    made.record(); // x is made on the current stream
    side.waitEvent(made);
    const y = cuda.withStream(side, () => x.mul(x));
    done.record(side);
    done.wait();
    assert.equal(y.sum().item(), 4 * (1 << 20));
  });

  test('elapsedTime without enableTiming is a clear error', () => {
    const a = new cuda.Event();
    const b = new cuda.Event();
    a.record();
    b.record();
    b.synchronize();
    assert.throws(() => a.elapsedTime(b), /timing/i);
  });
});

describe('pinned memory and non-blocking copies', { skip: needsCuda }, () => {
  test('pinMemory pins; data is right after a non-blocking copy and a sync, both ways', () => {
    const host = torch.arange(1 << 16, { dtype: 'float32' });
    assert.equal(host.isPinned(), false);
    const pinned = host.pinMemory();
    assert.equal(pinned.isPinned(), true);
    assert.deepEqual(values(pinned.at('0:5')), [0, 1, 2, 3, 4]);
    const dev = pinned.to({ device: 'cuda', nonBlocking: true });
    const back = dev.mul(2).to({ device: 'cpu', nonBlocking: true });
    cuda.synchronize();
    assert.equal(back.device, 'cpu');
    assertClose(back, host.mul(2), 0, 0, 'round trip');
  });

  test('a large non-blocking copy from pinned memory returns to the host before the copy ends', () => {
    // 256 MiB: at PCIe or NVLink-C2C speeds this copy takes milliseconds on the device, while
    // queueing it costs the host microseconds.
    const pinned = torch.ones([64, 1024, 1024], { dtype: 'float32' }).pinMemory();
    const dev = torch.empty([64, 1024, 1024], { device: 'cuda' });
    dev.copy_(pinned); // warm-up: allocations and the copy path
    cuda.synchronize();
    const stream = cuda.currentStream();
    const start = new cuda.Event({ enableTiming: true });
    const end = new cuda.Event({ enableTiming: true });
    start.record();
    const t0 = performance.now();
    const copy = pinned.to({ device: 'cuda', nonBlocking: true });
    const hostMs = performance.now() - t0;
    const stillRunning = !stream.query();
    end.record();
    end.synchronize();
    const deviceMs = start.elapsedTime(end);
    assert.ok(stillRunning || hostMs < deviceMs / 4, `host ${hostMs} ms, device ${deviceMs} ms`);
    assert.ok(hostMs < deviceMs, `the host waited for the copy: host ${hostMs} ms vs device ${deviceMs} ms`);
    assert.equal(copy.sum().item(), 64 * 1024 * 1024);
    // A blocking copy, for contrast, returns only when the data is there.
    const t1 = performance.now();
    pinned.to({ device: 'cuda' });
    const blockingMs = performance.now() - t1;
    assert.ok(blockingMs > hostMs, `blocking ${blockingMs} ms vs non-blocking ${hostMs} ms`);
  });
});
