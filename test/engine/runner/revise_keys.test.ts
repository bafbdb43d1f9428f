// Runner.loadCheckpoint's reviseKeys as MMEngine's revise_keys: each pair is Python's
// re.sub(pattern, replacement, key), so a string pattern is a regular expression and every match
// is replaced (a RegExp without the g flag too). Expected keys come from Python's re.sub itself
// (the patterns here mean the same in both dialects; the replacements are written for each).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';
import { compileReviseKeys, reviseKey } from '../../../lib/engine/runner/revise_keys.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';
import { Mlp } from './support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const KEYS = ['module.backbone.module.conv.weight', 'modules.0.weight', 'a.b.a.b', 'layer1.0.conv1.weight', 'x_x_y'];

// [JS pattern, JS replacement, Python pattern, Python replacement]
const CASES: [RegExp | string, string, string, string][] = [
  ['module\\.', '', 'module\\.', ''],
  [/module\./, '', 'module\\.', ''],
  ['a\\.', 'A_', 'a\\.', 'A_'],
  ['layer(\\d+)\\.(\\d+)', 'stage$1_$2', 'layer(\\d+)\\.(\\d+)', 'stage\\1_\\2'],
  [/layer(?<n>\d+)/, 'L$<n>', 'layer(?P<n>\\d+)', 'L\\g<n>'],
  ['x_', '', 'x_', ''],
  ['^module.', '', '^module.', ''],
];

describe('reviseKeys: every match, string patterns as regular expressions', () => {
  test('each pair rewrites every key as Python re.sub does', { skip: skipWithoutPython() }, () => {
    const want = runPython<string[][]>(
      'import re\nOUTPUT = [[re.sub(p, r, k) for k in INPUT["keys"]] for p, r in INPUT["pairs"]]',
      { keys: KEYS, pairs: CASES.map(([, , p, r]) => [p, r]) },
    );
    CASES.forEach(([p, r], i) => {
      const revise = compileReviseKeys([[p, r]]);
      assert.deepEqual(
        KEYS.map((k) => reviseKey(k, revise)),
        want[i],
        `${String(p)} -> ${r}`,
      );
    });
  });

  test('worked by hand: all matches go, the caller keeps its RegExp, pairs apply in turn', () => {
    const given = /a\./y;
    const revise = compileReviseKeys([
      ['module\\.', ''],
      [given, 'A_'],
    ]);
    assert.equal(reviseKey('module.backbone.module.conv.weight', revise), 'backbone.conv.weight');
    // Sticky and global: consecutive matches from the start, as the flags say.
    assert.equal(reviseKey('a.a.b.a.', revise), 'A_A_b.a.');
    assert.equal(given.flags, 'y', 'the given RegExp is not changed');
    assert.equal(reviseKey('a.x', revise), 'A_x', 'no lastIndex carried between keys');
    assert.equal(reviseKey('a.x', revise), 'A_x');
  });

  test('an invalid pattern is a SyntaxError naming reviseKeys and the entry', () => {
    assert.throws(
      () =>
        compileReviseKeys([
          ['ok', ''],
          ['layer(', ''],
        ]),
      (e: Error) =>
        e instanceof SyntaxError &&
        /^Runner\.loadCheckpoint: reviseKeys\[1\] has a pattern that is not a valid regular expression: "layer\("/.test(
          e.message,
        ),
    );
  });

  test('through loadCheckpoint: the default strips a leading module. only; strings are patterns', () => {
    torch.manualSeed(1);
    const source = new Mlp();
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-revise-'));
    dirs.push(dir);
    const runner = () =>
      new engine.Runner({ model: new Mlp(), workDir: dir, logLevel: 'silent' }) as engine.Runner & { model: Mlp };
    // DDP inside DDP: module.module.fc1.weight; the default strips one, a string pattern all.
    const nested = join(dir, 'nested.pth');
    const sd = source.stateDict();
    torch.save(
      { state_dict: Object.fromEntries(Object.entries(sd).map(([k, v]) => [`module.module.${k}`, v])) },
      nested,
    );
    assert.throws(() => runner().loadCheckpoint(nested, { strict: true }), /unexpected key .*module\.fc1\.weight/);
    const r = runner();
    r.loadCheckpoint(nested, { strict: true, reviseKeys: [['module\\.', '']] });
    assert.ok(r.model.fc1.weight.cpu().equal(source.fc1.weight.cpu()));
    // A group reference in the replacement, JavaScript's $1: fcA.weight -> fc1.weight.
    const lettered = join(dir, 'lettered.pth');
    torch.save(
      { state_dict: Object.fromEntries(Object.entries(sd).map(([k, v]) => [k.replace(/^fc(\d)/, 'head_$1_'), v])) },
      lettered,
    );
    const l = runner();
    l.loadCheckpoint(lettered, { strict: true, reviseKeys: [['^head_(\\d)_', 'fc$1']] });
    assert.ok(l.model.fc2.weight.cpu().equal(source.fc2.weight.cpu()));
  });
});
