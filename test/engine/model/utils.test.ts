// MMEngine's revert_sync_batchnorm and convert_sync_batchnorm (mmengine/model/utils.py): a
// SyncBatchNorm model reverted to _BatchNormXd layers and back keeps its parameters, buffers,
// training flags and state-dict keys (Python's keys for the same model); _BatchNormXd takes an
// input of any number of dims and computes what BatchNorm does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { _BatchNormXd, convertSyncBatchnorm, revertSyncBatchnorm } from '../../../lib/engine/index.js';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';

type Tensor = torch.Tensor;
const { nn } = torch;

class Net extends nn.Module {
  stem = new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.SyncBatchNorm(4), new nn.ReLU());
  head = new nn.ModuleDict({ norm: new nn.SyncBatchNorm(4, { affine: false }), fc: new nn.Linear(4, 2) });
  extra = new nn.BatchNorm1d(2);
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('revertSyncBatchnorm / convertSyncBatchnorm', () => {
  test('revert puts _BatchNormXd in place of every SyncBatchNorm, keeping tensors and flags', () => {
    const net = new Net();
    (net.head.get('norm') as torch.nn.Module).eval();
    const params = net.parameters();
    const buffers = net.buffers();
    const keys = Object.keys(net.stateDict());
    assert.equal(revertSyncBatchnorm(net), net);
    assert.deepEqual(
      net.modules().map((m) => m.constructor.name),
      ['Net', 'Sequential', 'Conv2d', '_BatchNormXd', 'ReLU', 'ModuleDict', '_BatchNormXd', 'Linear', 'BatchNorm1d'],
    );
    assert.deepEqual(Object.keys(net.stateDict()), keys);
    net.parameters().forEach((p, i) => {
      assert.equal(p, params[i]);
    });
    net.buffers().forEach((b, i) => {
      assert.equal(b, buffers[i]);
    });
    assert.equal(net.head.get('norm')?.training, false);
    assert.equal(net.stem.at(1).training, true);
    assert.ok(net.stem.at(1) instanceof nn.Module);
    // and back: every batch norm (BatchNorm1d too) becomes a SyncBatchNorm
    convertSyncBatchnorm(net);
    assert.deepEqual(
      net.modules().map((m) => m.constructor.name),
      [
        'Net',
        'Sequential',
        'Conv2d',
        'SyncBatchNorm',
        'ReLU',
        'ModuleDict',
        'SyncBatchNorm',
        'Linear',
        'SyncBatchNorm',
      ],
    );
    assert.deepEqual(Object.keys(net.stateDict()), keys);
  });

  test('a SyncBatchNorm itself comes back as a new _BatchNormXd; other modules pass through', () => {
    const sync = new nn.SyncBatchNorm(3, { momentum: null, eps: 1e-4 });
    const out = revertSyncBatchnorm(sync) as _BatchNormXd;
    assert.ok(out instanceof _BatchNormXd);
    assert.equal(out.weight, sync.weight);
    assert.equal(out.momentum, null);
    assert.equal(out.eps, 1e-4);
    assert.equal(
      out.toString(),
      '_BatchNormXd(3, eps=0.0001, momentum=None, affine=True, bias=True, track_running_stats=True)',
    );
    const relu = new nn.ReLU();
    assert.equal(revertSyncBatchnorm(relu), relu);
  });

  test('_BatchNormXd takes 2-D to 5-D input and computes what BatchNorm does', () => {
    for (const shape of [
      [4, 3],
      [2, 3, 5],
      [2, 3, 4, 4],
      [2, 3, 2, 2, 2],
    ]) {
      torch.manualSeed(1);
      const x = torch.randn(shape, { dtype: 'float64' });
      const xd = new _BatchNormXd(3, { dtype: 'float64' });
      const bn =
        shape.length <= 3
          ? new nn.BatchNorm1d(3, { dtype: 'float64' })
          : shape.length === 4
            ? new nn.BatchNorm2d(3, { dtype: 'float64' })
            : new nn.BatchNorm3d(3, { dtype: 'float64' });
      assert.deepEqual(xd.forward(x).toArray(), bn.forward(x).toArray(), `shape [${shape}]`);
      assert.deepEqual(xd.running_var?.toArray(), bn.running_var?.toArray());
    }
  });

  test("convertSyncBatchnorm's implementation is 'torch'", () => {
    assert.throws(() => convertSyncBatchnorm(new nn.BatchNorm1d(2), 'mmcv'), /'mmcv' needs MMCV's SyncBatchNorm/);
    assert.throws(
      () => convertSyncBatchnorm(new nn.BatchNorm1d(2), 'apex'),
      /sync_bn should be "torch" or "mmcv", but got apex/,
    );
    assert.throws(
      () => revertSyncBatchnorm(null as unknown as torch.nn.Module),
      /revertSyncBatchnorm: module must be an nn.Module/,
    );
  });

  test("the state-dict keys are Python's SyncBatchNorm model's", { skip: skipWithoutPython() }, () => {
    const keys = runPython<string[]>(`
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3), nn.SyncBatchNorm(4), nn.ReLU())
        self.head = nn.ModuleDict({'norm': nn.SyncBatchNorm(4, affine=False), 'fc': nn.Linear(4, 2)})
        self.extra = nn.BatchNorm1d(2)
OUTPUT = list(Net().state_dict().keys())
`);
    const net = new Net();
    assert.deepEqual(Object.keys(net.stateDict()), keys);
    revertSyncBatchnorm(net);
    assert.deepEqual(Object.keys(net.stateDict()), keys);
  });
});
