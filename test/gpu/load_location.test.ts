// torch.load on a machine with the device: tensors saved there come back there without
// mapLocation (as PyTorch restores recorded locations), mixed files restore each storage's own
// device, and mapLocation 'cpu' still brings everything to the CPU. TN_GPU_TEST_DEVICE=cpu runs
// it CPU against CPU.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { saveTesting } from '../../lib/torch/serialization/pt.js';
import { device, needsCuda, needsDevice, values } from './support.js';

const { optim } = torch;
const deviceName = device === 'cuda' ? 'cuda:0' : device;

describe(`torch.load restores tensors saved on ${device}`, { skip: needsDevice }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tn-gpu-load-loc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a tensor saved on the device loads there without mapLocation, and on the CPU with mapLocation cpu', () => {
    torch.scope(() => {
      const w = torch.arange(6, { dtype: 'float32', device }).reshape([2, 3]);
      const path = join(dir, 'one.pt');
      torch.save({ w, wt: w.t() }, path);
      const back = torch.load(path) as Record<string, torch.Tensor>;
      assert.equal(back.w?.device, deviceName);
      assert.equal(back.wt?.device, deviceName);
      assert.deepEqual(values(back.wt as torch.Tensor), values(w.t()));
      // w and wt share one storage on the device, as they did when saved.
      back.w?.fill_(2);
      assert.deepEqual(values(back.wt as torch.Tensor), [2, 2, 2, 2, 2, 2]);
      const cpu = torch.load(path, { mapLocation: 'cpu' }) as Record<string, torch.Tensor>;
      assert.equal(cpu.w?.device, 'cpu');
      assert.deepEqual(cpu.w?.toArray(), w.cpu().toArray());
      const fn = torch.load(path, { mapLocation: () => 'cpu' }) as Record<string, torch.Tensor>;
      assert.equal(fn.wt?.device, 'cpu');
    });
  });

  test('a state dict with a device tensor and a CPU tensor restores both devices', () => {
    torch.scope(() => {
      const sd = { onDevice: torch.tensor([1, 2, 3], { device }), onCpu: torch.tensor([4.5, 5.5]) };
      const path = join(dir, 'mixed.pt');
      torch.save(sd, path);
      const back = torch.load(path) as Record<string, torch.Tensor>;
      assert.deepEqual([back.onDevice?.device, back.onCpu?.device], [deviceName, 'cpu']);
      assert.deepEqual(values(back.onDevice as torch.Tensor), [1, 2, 3]);
      assert.deepEqual(values(back.onCpu as torch.Tensor), [4.5, 5.5]);
      // A record moves only the location it lists.
      const mapped = torch.load(path, { mapLocation: { [deviceName]: 'cpu' } }) as Record<string, torch.Tensor>;
      assert.deepEqual([mapped.onDevice?.device, mapped.onCpu?.device], ['cpu', 'cpu']);
      const up = torch.load(path, { mapLocation: { cpu: deviceName } }) as Record<string, torch.Tensor>;
      assert.deepEqual([up.onDevice?.device, up.onCpu?.device], [deviceName, deviceName]);
    });
  });

  test('an optimizer state dict saved on the device loads back onto it and resumes exactly', () => {
    torch.scope(() => {
      torch.manualSeed(3);
      const target = torch.randn([4], { device });
      const make = () => torch.zeros([4], { device, requiresGrad: true });
      const stepOf = (p: torch.Tensor, opt: torch.optim.Optimizer) => {
        opt.zeroGrad();
        p.sub(target).pow(2).sum().backward();
        opt.step();
      };
      const p = make();
      const opt = new optim.Adam([p], { lr: 0.1 });
      for (let i = 0; i < 3; i++) stepOf(p, opt);
      const path = join(dir, 'opt.pt');
      torch.save({ p: p.detach(), opt: opt.stateDict() }, path);
      const back = torch.load(path) as { p: torch.Tensor; opt: torch.optim.OptimizerStateDict };
      const state = back.opt.state[0] as Record<string, torch.Tensor>;
      assert.equal(back.p.device, deviceName);
      assert.equal(state.exp_avg?.device, deviceName);
      assert.equal(state.exp_avg_sq?.device, deviceName);
      const q = back.p.clone().requiresGrad_(true);
      const opt2 = new optim.Adam([q], { lr: 0.1 });
      opt2.loadStateDict(back.opt);
      for (let i = 0; i < 2; i++) {
        stepOf(p, opt);
        stepOf(q, opt2);
      }
      assert.deepEqual(values(q), values(p));
    });
  });
});

describe('CUDA locations beyond this machine', { skip: needsCuda }, () => {
  test("a storage recorded at a device index >= deviceCount() is an Error in PyTorch's words", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-gpu-load-count-'));
    try {
      const count = torch.cuda.deviceCount();
      const path = join(dir, 'far.pt');
      saveTesting.location = () => `cuda:${count}`;
      try {
        torch.save({ x: torch.ones([2]) }, path);
      } finally {
        saveTesting.location = undefined;
      }
      assert.throws(
        () => torch.load(path),
        (e: unknown) =>
          e instanceof Error &&
          e.message.startsWith(`load: '${path}'`) &&
          e.message.includes(
            `Attempting to deserialize object on CUDA device ${count} but torch.cuda.device_count() is ${count}.`,
          ),
      );
      const x = (torch.load(path, { mapLocation: { [`cuda:${count}`]: 'cuda:0' } }) as { x: torch.Tensor }).x;
      assert.equal(x.device, 'cuda:0');
      assert.deepEqual(values(x), [1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
