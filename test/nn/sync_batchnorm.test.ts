// nn.SyncBatchNorm: over 2 ranks (Gloo; test/distributed/sync_batchnorm-child.ts is each rank),
// each with its rows of a float64 batch (unequal parts, and a rank with none), the outputs,
// input gradients, summed weight and bias gradients, running statistics and eval outputs equal
// BatchNorm over the whole batch in one process, and Python torch's BatchNorm over it. In one
// process it is BatchNorm; its repr and errors are PyTorch's; convertSyncBatchnorm keeps
// parameters, buffers, training flags and state-dict keys (against Python's).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../../lib/index.js';
import { report, runRanks, skipReason } from '../distributed/support.js';
import { type SyncCase, type SyncReport, syncAffine, syncData } from '../distributed/sync_batchnorm-child.js';
import { runPython, skipWithoutPython } from '../support/python.js';

type Tensor = torch.Tensor;
type Module = torch.nn.Module;
const nn = torch.nn;

const CHILD = fileURLToPath(new URL('../distributed/sync_batchnorm-child.js', import.meta.url));

function close(actual: unknown, expected: unknown, what: string, tol = 1e-12): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal((actual as unknown[]).length, expected.length, `${what}: length`);
    expected.forEach((e, i) => {
      close((actual as unknown[])[i], e, `${what}[${i}]`, tol);
    });
    return;
  }
  assert.deepEqual(actual, expected, what);
}

/** The plain batch norm for an input of `dims` dims. */
function batchNormFor(
  dims: number,
  channels: number,
  options: torch.nn.BatchNormOptions,
): Module & { forward(x: Tensor): Tensor } {
  if (dims <= 3) return new nn.BatchNorm1d(channels, options);
  return dims === 4 ? new nn.BatchNorm2d(channels, options) : new nn.BatchNorm3d(channels, options);
}

type Whole = Omit<SyncReport, 'rank'>;

/** BatchNorm over the whole batch, in this process: what every rank's part is compared with. */
function reference(c: SyncCase): Whole {
  const { x, x2, r } = syncData(c);
  const channels = c.shape[1] as number;
  const bn = batchNormFor(c.shape.length, channels, {
    momentum: c.momentum,
    affine: c.affine,
    trackRunningStats: c.trackRunningStats,
    dtype: 'float64',
  }) as torch.nn.BatchNorm1d;
  if (bn.weight && bn.bias) {
    const a = syncAffine(channels);
    torch.noGrad(() => {
      bn.weight?.copy_(torch.tensor(a.weight, { dtype: 'float64' }));
      bn.bias?.copy_(torch.tensor(a.bias, { dtype: 'float64' }));
    });
  }
  const input = x.clone().requiresGrad_(true);
  const out = bn.forward(input);
  out.mul(r).sum().backward();
  const out2 = bn.forward(x2);
  bn.eval();
  return {
    out: out.toArray(),
    out2: out2.toArray(),
    inputGrad: input.grad?.toArray() ?? null,
    weightGrad: bn.weight?.grad?.toArray() ?? null,
    biasGrad: bn.bias?.grad?.toArray() ?? null,
    runningMean: bn.running_mean?.toArray() ?? null,
    runningVar: bn.running_var?.toArray() ?? null,
    numBatchesTracked: bn.num_batches_tracked?.item() ?? null,
    evalOut: bn.forward(x).toArray(),
  };
}

const PY_REFERENCE = `
c = INPUT['case']
x, x2, r = (torch.tensor(INPUT[k], dtype=torch.float64) for k in ('x', 'x2', 'r'))
cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[len(c['shape'])]
bn = cls(c['shape'][1], momentum=c['momentum'], affine=c['affine'], track_running_stats=c['trackRunningStats'], dtype=torch.float64)
if bn.weight is not None:
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(INPUT['weight'], dtype=torch.float64))
        bn.bias.copy_(torch.tensor(INPUT['bias'], dtype=torch.float64))
inp = x.clone().requires_grad_(True)
out = bn(inp)
(out * r).sum().backward()
out2 = bn(x2)
bn.eval()
g = lambda t: None if t is None or t.grad is None else t.grad
OUTPUT = dict(out=out, out2=out2, inputGrad=inp.grad, weightGrad=g(bn.weight), biasGrad=g(bn.bias),
              runningMean=bn.running_mean, runningVar=bn.running_var,
              numBatchesTracked=None if bn.num_batches_tracked is None else bn.num_batches_tracked.item(),
              evalOut=bn(x))
`;

function pythonReference(c: SyncCase): Whole {
  const { x, x2, r } = syncData(c);
  const a = syncAffine(c.shape[1] as number);
  return runPython<Whole>(`from torch import nn\n${PY_REFERENCE}`, {
    case: c,
    x: x.toArray(),
    x2: x2.toArray(),
    r: r.toArray(),
    ...a,
  });
}

/** Rank `rank`'s rows of a whole-batch result. */
function rowsOf(whole: unknown, c: SyncCase, rank: number): unknown[] {
  const start = c.split.slice(0, rank).reduce((a, b) => a + b, 0);
  return (whole as unknown[]).slice(start, start + (c.split[rank] as number));
}

function compare(ranks: SyncReport[], whole: Whole, c: SyncCase, who: string): void {
  for (const rep of ranks) {
    const at = `${who}, rank ${rep.rank}`;
    close(rep.out, rowsOf(whole.out, c, rep.rank), `${at}: output`);
    close(rep.out2, rowsOf(whole.out2, c, rep.rank), `${at}: second step's output`);
    close(rep.inputGrad, rowsOf(whole.inputGrad, c, rep.rank), `${at}: input gradient`);
    close(rep.weightGrad, whole.weightGrad, `${at}: weight gradient (summed over the ranks)`);
    close(rep.biasGrad, whole.biasGrad, `${at}: bias gradient (summed over the ranks)`);
    close(rep.runningMean, whole.runningMean, `${at}: running_mean`);
    close(rep.runningVar, whole.runningVar, `${at}: running_var`);
    assert.equal(rep.numBatchesTracked, whole.numBatchesTracked, `${at}: num_batches_tracked`);
    close(rep.evalOut, whole.evalOut, `${at}: eval output (no sync)`);
  }
}

const CASES: [string, SyncCase][] = [
  [
    '(N, C, H, W), 3 + 5 rows, momentum 0.1, affine',
    { shape: [8, 3, 4, 4], split: [3, 5], momentum: 0.1, affine: true, trackRunningStats: true },
  ],
  [
    '(N, C, L), 0 + 6 rows (an empty rank), cumulative average, not affine',
    { shape: [6, 2, 5], split: [0, 6], momentum: null, affine: false, trackRunningStats: true },
  ],
  [
    '(N, C), 4 + 3 rows, no running statistics',
    { shape: [7, 3], split: [4, 3], momentum: 0.1, affine: true, trackRunningStats: false },
  ],
];

describe('SyncBatchNorm over 2 ranks (Gloo)', { skip: skipReason() }, () => {
  for (const [name, c] of CASES) {
    test(name, async (t) => {
      const results = await runRanks(CHILD, 2, { args: [JSON.stringify(c)] });
      const ranks = results.map((r) => report<SyncReport>(r));
      compare(ranks, reference(c), c, 'vs BatchNorm over the whole batch');
      const noPython = skipWithoutPython();
      if (noPython) t.diagnostic(`the comparison with Python is skipped: ${noPython}`);
      else compare(ranks, pythonReference(c), c, "vs Python's BatchNorm over the whole batch");
    });
  }
});

describe('SyncBatchNorm in one process', () => {
  test('without a process group it is BatchNorm: training steps, gradients, running statistics, eval', () => {
    for (const shape of [
      [5, 3],
      [4, 3, 6],
      [2, 3, 4, 5],
      [2, 3, 2, 3, 2],
    ]) {
      for (const momentum of [0.1, null]) {
        torch.manualSeed(3);
        const x = torch.randn(shape, { dtype: 'float64' });
        const sync = new nn.SyncBatchNorm(3, { momentum, dtype: 'float64' });
        const plain = batchNormFor(shape.length, 3, { momentum, dtype: 'float64' }) as torch.nn.BatchNorm1d;
        const run = (bn: torch.nn.BatchNorm1d | torch.nn.SyncBatchNorm) => {
          const input = x.clone().requiresGrad_(true);
          const out = bn.forward(input);
          out.square().sum().backward();
          const out2 = bn.forward(x.mul(3));
          bn.eval();
          return {
            out: out.toArray(),
            out2: out2.toArray(),
            grad: input.grad?.toArray(),
            weightGrad: bn.weight?.grad?.toArray(),
            mean: bn.running_mean?.toArray(),
            var: bn.running_var?.toArray(),
            tracked: bn.num_batches_tracked?.item(),
            eval: bn.forward(x).toArray(),
          };
        };
        assert.deepEqual(run(sync), run(plain), `shape [${shape}], momentum ${momentum}`);
      }
    }
  });

  test('errors name the module and what is wrong', () => {
    const bn = new nn.SyncBatchNorm(3);
    assert.throws(() => bn.forward(torch.randn([3])), /SyncBatchNorm: expected at least 2D input \(got 1D input\)/);
    assert.throws(
      () => new nn.SyncBatchNorm(0).forward(torch.randn([3, 0, 2])),
      /SyncBatchNorm number of input channels should be non-zero/,
    );
    assert.throws(
      () => new nn.SyncBatchNorm(3, { processGroup: {} as unknown as null }),
      (e: Error) => e instanceof TypeError && /processGroup must be null/.test(e.message),
    );
    assert.throws(
      () => nn.SyncBatchNorm.convertSyncBatchnorm(new nn.BatchNorm1d(2), 'group' as unknown as null),
      /convertSyncBatchnorm: processGroup must be null/,
    );
  });

  test("repr and state-dict keys are Python's", { skip: skipWithoutPython() }, () => {
    const ours = [
      new nn.SyncBatchNorm(4),
      new nn.SyncBatchNorm(3, { eps: 1e-3, momentum: null, affine: false }),
      new nn.SyncBatchNorm(2, { trackRunningStats: false, bias: false }),
    ];
    const py = runPython<{ repr: string; keys: string[] }[]>(`
from torch import nn
ms = [nn.SyncBatchNorm(4), nn.SyncBatchNorm(3, eps=1e-3, momentum=None, affine=False),
      nn.SyncBatchNorm(2, track_running_stats=False, bias=False)]
OUTPUT = [dict(repr=repr(m), keys=list(m.state_dict().keys())) for m in ms]
`);
    ours.forEach((m, i) => {
      assert.equal(m.toString(), py[i]?.repr);
      assert.deepEqual(Object.keys(m.stateDict()), py[i]?.keys);
    });
  });
});

class Net extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3);
  bn = new nn.BatchNorm2d(4);
  seq = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4, { momentum: null }));
  list = new nn.ModuleList([new nn.BatchNorm3d(2, { affine: false }), new nn.ReLU()]);
  dict = new nn.ModuleDict({ a: new nn.BatchNorm1d(5, { eps: 1e-3 }), b: new nn.InstanceNorm1d(5, { affine: true }) });
  forward(x: Tensor): Tensor {
    return x;
  }
}

const PY_NET = `
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.seq = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4, momentum=None))
        self.list = nn.ModuleList([nn.BatchNorm3d(2, affine=False), nn.ReLU()])
        self.dict = nn.ModuleDict({'a': nn.BatchNorm1d(5, eps=1e-3), 'b': nn.InstanceNorm1d(5, affine=True)})
`;

describe('SyncBatchNorm.convertSyncBatchnorm', () => {
  test('replaces every batch norm, keeping parameters, buffers, training flags, and state-dict keys', () => {
    torch.manualSeed(0);
    const net = new Net();
    // buffers and a training flag that differ from a new layer's
    net.bn.forward(torch.randn([2, 4, 3, 3]));
    (net.dict.get('a') as Module).eval();
    const before = net.stateDict();
    const beforeKeys = Object.keys(before);
    const params = net.namedParameters();
    const buffers = net.namedBuffers();
    const training = net.namedModules().map(([name, m]) => [name, m.training]);
    const out = nn.SyncBatchNorm.convertSyncBatchnorm(net);
    assert.equal(out, net, 'a module that is not a batch norm comes back itself');
    const kinds = Object.fromEntries(net.namedModules().map(([name, m]) => [name, m.constructor.name]));
    assert.deepEqual(kinds, {
      '': 'Net',
      conv: 'Conv2d',
      bn: 'SyncBatchNorm',
      seq: 'Sequential',
      'seq.0': 'Linear',
      'seq.1': 'SyncBatchNorm',
      list: 'ModuleList',
      'list.0': 'SyncBatchNorm',
      'list.1': 'ReLU',
      dict: 'ModuleDict',
      'dict.a': 'SyncBatchNorm',
      'dict.b': 'InstanceNorm1d',
    });
    assert.deepEqual(Object.keys(net.stateDict()), beforeKeys);
    // the same tensors, not copies: an optimizer made before still holds them
    net.namedParameters().forEach(([name, p], i) => {
      assert.equal(name, params[i]?.[0]);
      assert.equal(p, params[i]?.[1], `parameter ${name}`);
    });
    net.namedBuffers().forEach(([name, b], i) => {
      assert.equal(name, buffers[i]?.[0]);
      assert.equal(b, buffers[i]?.[1], `buffer ${name}`);
    });
    assert.deepEqual(
      net.namedModules().map(([name, m]) => [name, m.training]),
      training,
    );
    const a = net.dict.get('a') as torch.nn.SyncBatchNorm;
    assert.equal(a.eps, 1e-3);
    assert.equal((net.seq.at(1) as torch.nn.SyncBatchNorm).momentum, null);
    assert.equal((net.list.at(0) as torch.nn.SyncBatchNorm).affine, false);
  });

  test('a batch norm itself comes back as a new SyncBatchNorm', () => {
    const bn = new nn.BatchNorm1d(3, { bias: false });
    bn.eval();
    const sync = nn.SyncBatchNorm.convertSyncBatchnorm(bn) as torch.nn.SyncBatchNorm;
    assert.ok(sync instanceof nn.SyncBatchNorm);
    assert.notEqual(sync as Module, bn);
    assert.equal(sync.weight, bn.weight);
    assert.equal(sync.bias, null);
    assert.equal(sync.running_var, bn.running_var);
    assert.equal(sync.training, false);
    assert.throws(
      () => nn.SyncBatchNorm.convertSyncBatchnorm({} as Module),
      /convertSyncBatchnorm: module must be an nn.Module/,
    );
  });

  test("the state-dict keys are Python's, before and after", { skip: skipWithoutPython() }, () => {
    const py = runPython<{ before: string[]; after: string[]; kinds: string[] }>(`${PY_NET}
net = Net()
before = list(net.state_dict().keys())
net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
OUTPUT = dict(before=before, after=list(net.state_dict().keys()), kinds=[type(m).__name__ for m in net.modules()])
`);
    const net = new Net();
    assert.deepEqual(Object.keys(net.stateDict()), py.before);
    nn.SyncBatchNorm.convertSyncBatchnorm(net);
    assert.deepEqual(Object.keys(net.stateDict()), py.after);
    assert.deepEqual(
      net.modules().map((m) => m.constructor.name),
      py.kinds,
    );
  });
});
