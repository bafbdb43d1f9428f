// LocalVisBackend's scalars.json and the Visualizer that fans out to the backends.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  LocalVisBackend,
  parseScalarsLine,
  readScalars,
  type TensorboardVisBackend,
  Visualizer,
} from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';

const root = mkdtempSync(join(tmpdir(), 'torch-node-vis-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run${n++}`, 'vis_data');

describe('LocalVisBackend', () => {
  test('one JSON object per line, with step, created on the first write', () => {
    const dir = freshDir();
    const b = new LocalVisBackend(dir);
    assert.equal(existsSync(dir), false);
    b.addScalars({ lr: 0.01, loss: 0.43 }, 100);
    b.addScalars({ 'accuracy/top1': 87.5, step: 1 }, 999); // a step in the dict wins (setdefault)
    b.addScalar('grad_norm', torch.tensor(2.5), 7);
    b.addScalars({ loss: torch.tensor([0.25]), epoch: 1, iter: 3 });
    const text = readFileSync(join(dir, 'scalars.json'), 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[4], '');
    assert.deepEqual(
      lines.slice(0, 4).map((l) => JSON.parse(l)),
      [
        { lr: 0.01, loss: 0.43, step: 100 },
        { 'accuracy/top1': 87.5, step: 1 },
        { grad_norm: 2.5, step: 7 },
        { loss: 0.25, epoch: 1, iter: 3, step: 0 },
      ],
    );
    // key order: the dict's, then step, as MMEngine's json dump
    assert.equal(lines[0], '{"lr": 0.01, "loss": 0.43, "step": 100}');
    assert.equal(b.scalarSaveFile, join(dir, 'scalars.json'));
  });

  test("non-finite values are written as Python's json does, and read back", () => {
    const dir = freshDir();
    const b = new LocalVisBackend(dir);
    b.addScalars(
      {
        loss: Number.NaN,
        hi: Number.POSITIVE_INFINITY,
        lo: Number.NEGATIVE_INFINITY,
        list: [1, Number.NaN],
        'name NaN': 'Infinity',
      },
      5,
    );
    const line = readFileSync(b.scalarSaveFile, 'utf8').trim();
    assert.equal(
      line,
      '{"loss": NaN, "hi": Infinity, "lo": -Infinity, "list": [1, NaN], "name NaN": "Infinity", "step": 5}',
    );
    const rec = parseScalarsLine(line);
    assert.ok(Number.isNaN(rec.loss));
    assert.equal(rec.hi, Number.POSITIVE_INFINITY);
    assert.equal(rec.lo, Number.NEGATIVE_INFINITY);
    assert.equal(rec['name NaN'], 'Infinity');
    assert.equal(readScalars(b.scalarSaveFile).length, 1);
  });

  test('filePath also appends to another .json file in saveDir', () => {
    const dir = freshDir();
    const b = new LocalVisBackend(dir);
    b.addScalars({ loss: 1 }, 1, '20240101_000000.json');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, '20240101_000000.json'), 'utf8')), { loss: 1, step: 1 });
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'scalars.json'), 'utf8')), { loss: 1, step: 1 });
    assert.throws(() => b.addScalars({ loss: 1 }, 1, 'x.txt'), /must end with .json/);
    assert.throws(() => b.addScalars({ loss: 1 }, 1, 'scalars.json'), /have the same name/);
  });
});

describe('Visualizer', () => {
  test('by default writes scalars.json and a TensorBoard event file into saveDir; plots at the end', () => {
    const dir = freshDir();
    const vis = new Visualizer({ saveDir: dir });
    assert.deepEqual([...vis.visBackends.keys()], ['LocalVisBackend', 'TensorboardVisBackend']);
    for (let it = 1; it <= 20; it++) vis.addScalars({ lr: 0.1, loss: 2 / it }, it);
    vis.addScalars({ 'accuracy/top1': 55 }, 1);
    assert.equal(existsSync(join(dir, 'scalars.png')), false);
    vis.close(); // closes the event file and draws scalars.png
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 3);
    assert.match(files[0] as string, /^events\.out\.tfevents\.\d{10}\.[^.]+/);
    assert.deepEqual(files.slice(1), ['scalars.json', 'scalars.png']);
    assert.equal(readScalars(join(dir, 'scalars.json')).length, 21);
    assert.equal((vis.getBackend('TensorboardVisBackend') as TensorboardVisBackend).eventFile, null);
    assert.deepEqual([...readFileSync(join(dir, 'scalars.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    const png = vis.plotScalars(join(dir, 'again.png'), { columns: 1 });
    assert.equal(png, join(dir, 'again.png'));
    assert.deepEqual([...readFileSync(png as string).subarray(1, 4)], [0x50, 0x4e, 0x47]);

    const noPlot = freshDir();
    const v2 = new Visualizer({ saveDir: noPlot, plotOnClose: false, visBackends: ['LocalVisBackend'] });
    v2.addScalars({ loss: 1 }, 1);
    v2.close();
    assert.deepEqual(readdirSync(noPlot), ['scalars.json']);
  });

  test('no saveDir: no backends, writes nothing; backends by config or instance', () => {
    const quiet = new Visualizer({ visBackends: [] });
    quiet.addScalars({ loss: 1 }, 1);
    assert.equal(quiet.visBackends.size, 0);
    assert.equal(quiet.plotScalars(), null);
    quiet.close();
    // a local backend that never wrote: close draws nothing and does not fail
    const unused = freshDir();
    new Visualizer({ saveDir: unused }).close();
    assert.equal(existsSync(unused), false);

    const dir = freshDir();
    const vis = new Visualizer({
      saveDir: dir,
      visBackends: [{ type: 'LocalVisBackend', scalarSaveFile: 's.json' }, new LocalVisBackend(join(dir, 'b'))],
    });
    assert.deepEqual([...vis.visBackends.keys()], ['LocalVisBackend', 'LocalVisBackend_1']);
    vis.addScalar('x', 3, 2);
    assert.deepEqual(readScalars(join(dir, 's.json')), [{ x: 3, step: 2 }]);
    assert.deepEqual(readScalars(join(dir, 'b', 'scalars.json')), [{ x: 3, step: 2 }]);
    assert.equal(vis.plotScalars(join(dir, 'none.png')), join(dir, 'none.png'));

    const a = Visualizer.getInstance('test-vis', { visBackends: [] });
    assert.equal(Visualizer.getInstance('test-vis'), a);
    assert.equal(Visualizer.getCurrentInstance(), a);
  });
});
