// torch.random.forkRng (torch.random.fork_rng): the draws inside and after a fork equal Python's
// for the same seeds; the CPU state comes back after a throw and after an async fn settles (or
// rejects); enabled: false forks nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../lib/index.js';
import { runPython, skipWithoutPython } from './support/python.js';

const { forkRng } = torch.random;
const draw = (n: number) => torch.rand([n]).toArray() as number[];

describe('torch.random.forkRng', () => {
  test('draws before, inside (reseeded) and after a fork equal Python torch', { skip: skipWithoutPython() }, () => {
    torch.manualSeed(7);
    const before = draw(4);
    const inside = forkRng(
      () => {
        const first = draw(3); // continues the outer stream
        torch.manualSeed(123);
        return [first, torch.randn([3]).toArray() as number[]];
      },
      { devices: [] },
    );
    const after = draw(4);
    const python = runPython<number[][]>(`
torch.manual_seed(7)
before = torch.rand(4).tolist()
with torch.random.fork_rng(devices=[]):
    first = torch.rand(3).tolist()
    torch.manual_seed(123)
    reseeded = torch.randn(3).tolist()
after = torch.rand(4).tolist()
OUTPUT = [before, first, reseeded, after]`);
    assert.deepEqual([before, ...inside, after], python);
    // After the fork the stream continues where it stood when the fork began.
    assert.deepEqual(after.slice(0, 3), inside[0]);
  });

  test("returns fn's result; the state comes back after a throw, and the error passes through", () => {
    torch.manualSeed(1);
    const expected = draw(5);
    torch.manualSeed(1);
    assert.equal(
      forkRng(() => draw(9).length),
      9,
    );
    assert.throws(
      () =>
        forkRng(() => {
          draw(2);
          throw new RangeError('inside');
        }),
      { name: 'RangeError', message: 'inside' },
    );
    assert.deepEqual(draw(5), expected);
  });

  test('enabled: false runs fn without forking', () => {
    torch.manualSeed(3);
    const stream = draw(6);
    torch.manualSeed(3);
    forkRng(() => draw(2), { enabled: false });
    assert.deepEqual(draw(4), stream.slice(2));
  });

  test('an async fn gets the state back when its promise settles, draws across awaits included', async () => {
    torch.manualSeed(5);
    const expected = draw(3);
    torch.manualSeed(5);
    const pending = forkRng(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return draw(4);
    });
    const inside = await pending;
    assert.deepEqual(inside.slice(0, 3), expected);
    assert.deepEqual(draw(3), expected);
    torch.manualSeed(5);
    await assert.rejects(
      forkRng(async () => {
        await Promise.resolve();
        draw(7);
        throw new Error('async failure');
      }),
      /async failure/,
    );
    assert.deepEqual(draw(3), expected);
  });

  test('bad input: fn not a function is a TypeError; a CUDA device without CUDA throws before fn runs', () => {
    assert.throws(() => forkRng(42 as never), { name: 'TypeError', message: /^forkRng: expected a function/ });
    if (torch.cuda.isAvailable()) return;
    let ran = false;
    assert.throws(
      () =>
        forkRng(
          () => {
            ran = true;
          },
          { devices: [0] },
        ),
      /CUDA is not available/,
    );
    assert.equal(ran, false);
  });
});
