// Checkpoint options checked as MMEngine's. Runner.loadCheckpoint's reviseKeys, before anything
// is read: anything but an array of [pattern (string or RegExp), replacement (string)] pairs is a
// TypeError naming reviseKeys and the bad entry (not String.replace's own TypeError from deep
// inside the load); good values still load, an empty list revises nothing. saveCheckpoint's
// meta: an object or null, else a TypeError (MMEngine's "meta should be a dict or None").
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { Mlp } from './support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(): { runner: engine.Runner; model: Mlp; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-ckpt-options-'));
  dirs.push(dir);
  const model = new Mlp();
  return { runner: new engine.Runner({ model, workDir: dir, logLevel: 'silent' }), model, dir };
}

type Revise = [RegExp | string, string][];

describe('Runner.loadCheckpoint reviseKeys', () => {
  test('malformed values: a TypeError naming reviseKeys and the entry', () => {
    const { runner, dir } = setup();
    // No file is needed: the check comes first.
    const load = (reviseKeys: unknown) =>
      runner.loadCheckpoint(join(dir, 'missing.pth'), { reviseKeys: reviseKeys as Revise });
    const cases: [unknown, RegExp][] = [
      [
        /^module\./,
        /^TypeError: Runner\.loadCheckpoint: reviseKeys must be an array of \[pattern, replacement\] pairs, got \/\^module\\\.\/$/,
      ],
      [
        { '^module.': '' },
        /reviseKeys must be an array of \[pattern, replacement\] pairs, got an object of class Object/,
      ],
      [
        [/^module\./, ''],
        /reviseKeys\[0\] is not a \[pattern, replacement\] pair: \/\^module\\\.\/; for a single pair write \[\[\/\^module\\\.\/, ""\]\]/,
      ],
      [[['a', 'b'], 'c'], /reviseKeys\[1\] is not a \[pattern, replacement\] pair: "c"$/],
      [[['a', 'b', 'c']], /reviseKeys\[0\] is not a \[pattern, replacement\] pair: \["a", "b", "c"\]/],
      [[[5, '']], /reviseKeys\[0\] has a pattern that is not a string or a RegExp: \[5, ""\]/],
      [
        [
          [/x/, ''],
          [null, 'y'],
        ],
        /reviseKeys\[1\] has a pattern that is not a string or a RegExp: \[null, "y"\]/,
      ],
      [[[/x/, 0]], /reviseKeys\[0\] has a replacement that is not a string: \[\/x\/, 0\]/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => load(value),
        (e: Error) => {
          assert.ok(e instanceof TypeError, `${String(value)}: a TypeError`);
          assert.match(String(e), message);
          return true;
        },
      );
    }
  });

  test('good values load: an empty list keeps the keys, pairs rewrite them in turn', () => {
    torch.manualSeed(1);
    const source = new Mlp();
    const { runner, model, dir } = setup();
    const plain = join(dir, 'plain.pth');
    torch.save({ state_dict: source.stateDict() }, plain);
    runner.loadCheckpoint(plain, { strict: true, reviseKeys: [] });
    assert.ok(model.fc1.weight.equal(source.fc1.weight));
    const renamed = join(dir, 'renamed.pth');
    const sd = Object.fromEntries(Object.entries(source.stateDict()).map(([k, v]) => [`net.x_${k}`, v]));
    torch.save({ state_dict: sd }, renamed);
    torch.manualSeed(2);
    const other = setup();
    other.runner.loadCheckpoint(renamed, {
      strict: true,
      reviseKeys: [
        [/^net\./, ''],
        ['x_', ''],
      ],
    });
    assert.ok(other.model.fc2.weight.equal(source.fc2.weight));
  });
});

describe('Runner.saveCheckpoint meta', () => {
  test('an object or null; anything else a TypeError that writes nothing', () => {
    const { runner, dir } = setup();
    for (const [meta, shown] of [
      ['run 1', '"run 1"'],
      [3, '3'],
      [['a'], 'an array'],
    ] as const) {
      assert.throws(
        () => runner.saveCheckpoint(dir, 'bad.pth', { meta: meta as unknown as Record<string, unknown> }),
        (e: Error) =>
          e instanceof TypeError &&
          e.message === `Runner.saveCheckpoint: meta should be an object or null, but got ${shown}`,
      );
    }
    assert.ok(!existsSync(join(dir, 'bad.pth')));
    const path = runner.saveCheckpoint(dir, 'good.pth', { meta: { note: 'kept', epoch: 7 } });
    const saved = (torch.load(path) as { meta: Record<string, unknown> }).meta;
    assert.deepEqual([saved.note, saved.epoch, saved.iter], ['kept', 7, 0]);
    runner.saveCheckpoint(dir, 'null.pth', { meta: null as unknown as Record<string, unknown> });
    assert.equal((torch.load(join(dir, 'null.pth')) as { meta: Record<string, unknown> }).meta.epoch, 1);
  });
});
