// torch.nn.utils.prune against Python torch 2.13, in one Python run: each case builds a module
// (float64, the same weights on both sides, ties in |w| on purpose so that torch.topk's tie
// breaking shows), reseeds the generator, applies a sequence of prunings and records the state
// dict after each (keys in order, weight_orig / weight_mask values: masks must be equal exactly),
// then a forward and its gradients, then remove() and the state dict and forward after it.
// Error texts of amount validation are compared with Python's; the rest of the file checks
// errors, rollback and tensor lifetime by hand.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../../lib/index.js';
import { runPython, skipWithoutPython } from '../../support/python.js';

const nn = torch.nn;
const { prune } = nn.utils;
type Module = torch.nn.Module;
type Fields = Record<string, unknown>;
const f = (m: unknown): Fields => m as Fields;
const seq = (m: Module, i: number): Module => (m as torch.nn.Sequential).at(i);

const arrays = (sd: Record<string, torch.Tensor>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.toArray()]));

/** Values with many equal magnitudes (±k/8 for a few k), so that L1 rankings have ties. */
function tieValues(n: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => ((((i * 7 + offset) % 5) - 2) / 8) * ((i + offset) % 3 === 0 ? -1 : 1));
}

function setTies(m: Module, offset: number): void {
  torch.noGrad(() => {
    for (const [i, p] of m.parameters().entries()) {
      p.copy_(torch.tensor(tieValues(p.numel(), offset + i), { dtype: 'float64' }).reshape(p.shape));
    }
  });
}

const t64 = (values: number[], shape: number[]) => torch.tensor(values, { dtype: 'float64' }).reshape(shape);

interface Case {
  name: string;
  make: () => Module;
  py: string;
  ties?: boolean;
  seed: number;
  x: number[];
  xShape: number[];
  /** Each step prunes (JS), with the same step in Python (over m, prune, torch). */
  steps: [(m: Module) => void, string][];
  remove: [(m: Module) => void, string][];
}

const CONV_X = Array.from({ length: 50 }, (_, i) => Math.sin(i * 0.7));

const CASES: Case[] = [
  {
    name: 'Linear: l1Unstructured (fraction, ties), then the bias by count',
    make: () => new nn.Linear(5, 4),
    py: 'nn.Linear(5, 4)',
    ties: true,
    seed: 1,
    x: [0.5, -1, 2, 0.25, -0.75, 1, 1, -2, 0.5, 0.125],
    xShape: [2, 5],
    steps: [
      [(m) => prune.l1Unstructured(m, 'weight', 0.4), "prune.l1_unstructured(m, 'weight', 0.4)"],
      [(m) => prune.l1Unstructured(m, 'bias', 2), "prune.l1_unstructured(m, 'bias', 2)"],
    ],
    remove: [[(m) => prune.remove(m, 'weight'), "prune.remove(m, 'weight')"]],
  },
  {
    name: 'Conv2d: l1, lnStructured three times, l1 again (PruningContainer slices)',
    make: () => new nn.Conv2d(2, 4, 3),
    py: 'nn.Conv2d(2, 4, 3)',
    ties: true,
    seed: 2,
    x: CONV_X,
    xShape: [1, 2, 5, 5],
    steps: [
      [(m) => prune.l1Unstructured(m, 'weight', 10), "prune.l1_unstructured(m, 'weight', 10)"],
      [(m) => prune.lnStructured(m, 'weight', 0.5, 2, 0), "prune.ln_structured(m, 'weight', 0.5, 2, 0)"],
      // Ranks only the 2 output channels left (the pruned ones have norm 0 and would win).
      [(m) => prune.lnStructured(m, 'weight', 1, 2, 0), "prune.ln_structured(m, 'weight', 1, 2, 0)"],
      [(m) => prune.lnStructured(m, 'weight', 1, 1, 1), "prune.ln_structured(m, 'weight', 1, 1, 1)"],
      [(m) => prune.l1Unstructured(m, 'weight', 0.25), "prune.l1_unstructured(m, 'weight', 0.25)"],
    ],
    remove: [
      [(m) => prune.remove(m, 'weight'), "prune.remove(m, 'weight')"],
      [(m) => prune.identity(m, 'bias'), "prune.identity(m, 'bias')"],
    ],
  },
  {
    name: "Conv1d: lnStructured with the nuclear norm ('nuc') along dims 0 and -1, then 'fro'",
    // Initialised from seed 77, its channels rank differently by nuclear and Frobenius norm.
    make: () => new nn.Conv1d(3, 6, 3),
    py: 'nn.Conv1d(3, 6, 3)',
    seed: 7,
    x: Array.from({ length: 18 }, (_, i) => Math.sin(i + 1)),
    xShape: [1, 3, 6],
    steps: [
      [(m) => prune.lnStructured(m, 'weight', 2, 'nuc', 0), "prune.ln_structured(m, 'weight', 2, 'nuc', 0)"],
      [(m) => prune.lnStructured(m, 'weight', 1, 'nuc', -1), "prune.ln_structured(m, 'weight', 1, 'nuc', -1)"],
      [(m) => prune.lnStructured(m, 'weight', 0.5, 'fro', 1), "prune.ln_structured(m, 'weight', 0.5, 'fro', 1)"],
    ],
    remove: [[(m) => prune.remove(m, 'weight'), "prune.remove(m, 'weight')"]],
  },
  {
    name: 'Linear: random methods after the same manualSeed',
    make: () => new nn.Linear(6, 5),
    py: 'nn.Linear(6, 5)',
    seed: 3,
    x: [1, 2, 3, 4, 5, 6],
    xShape: [1, 6],
    steps: [
      [(m) => prune.randomUnstructured(m, 'weight', 0.3), "prune.random_unstructured(m, 'weight', 0.3)"],
      [(m) => prune.randomStructured(m, 'weight', 2, 1), "prune.random_structured(m, 'weight', 2, 1)"],
      [(m) => prune.randomUnstructured(m, 'weight', 3), "prune.random_unstructured(m, 'weight', 3)"],
      [(m) => prune.randomUnstructured(m, 'bias', 0.5), "prune.random_unstructured(m, 'bias', 0.5)"],
    ],
    remove: [[(m) => prune.remove(m, 'bias'), "prune.remove(m, 'bias')"]],
  },
  {
    name: 'Conv2d: randomStructured along dims 0 and -1',
    make: () => new nn.Conv2d(3, 6, 2),
    py: 'nn.Conv2d(3, 6, 2)',
    seed: 4,
    x: Array.from({ length: 27 }, (_, i) => Math.cos(i)),
    xShape: [1, 3, 3, 3],
    steps: [
      [(m) => prune.randomStructured(m, 'weight', 0.5, 0), "prune.random_structured(m, 'weight', 0.5, 0)"],
      [(m) => prune.randomStructured(m, 'weight', 1, -1), "prune.random_structured(m, 'weight', 1, -1)"],
    ],
    remove: [[(m) => prune.remove(m, 'weight'), "prune.remove(m, 'weight')"]],
  },
  {
    name: 'Sequential: globalUnstructured over two layers (one pruned before), then random',
    make: () => new nn.Sequential(new nn.Linear(4, 6), new nn.ReLU(), new nn.Linear(6, 3)),
    py: 'nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))',
    ties: true,
    seed: 5,
    x: [0.5, -0.25, 1, 2, -1, 0.75, 0.5, 1.5],
    xShape: [2, 4],
    steps: [
      [(m) => prune.l1Unstructured(seq(m, 0), 'weight', 3), "prune.l1_unstructured(m[0], 'weight', 3)"],
      [
        (m) =>
          prune.globalUnstructured(
            [
              [seq(m, 0), 'weight'],
              [seq(m, 2), 'weight'],
              [seq(m, 2), 'bias'],
            ],
            prune.L1Unstructured,
            { amount: 0.3 },
          ),
        "prune.global_unstructured([(m[0], 'weight'), (m[2], 'weight'), (m[2], 'bias')], prune.L1Unstructured, amount=0.3)",
      ],
      [
        (m) =>
          prune.globalUnstructured(
            [
              [seq(m, 0), 'bias'],
              [seq(m, 2), 'weight'],
            ],
            prune.RandomUnstructured,
            { amount: 4 },
          ),
        "prune.global_unstructured([(m[0], 'bias'), (m[2], 'weight')], prune.RandomUnstructured, amount=4)",
      ],
    ],
    remove: [[(m) => prune.remove(seq(m, 2), 'weight'), "prune.remove(m[2], 'weight')"]],
  },
  {
    name: 'Linear: identity, customFromMask, importance scores, L-inf structured, half-way rounding',
    make: () => new nn.Linear(3, 5),
    py: 'nn.Linear(3, 5)',
    ties: true,
    seed: 6,
    x: [1, -1, 0.5],
    xShape: [1, 3],
    steps: [
      [(m) => prune.identity(m, 'bias'), "prune.identity(m, 'bias')"],
      [
        (m) => prune.customFromMask(m, 'weight', t64([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1], [5, 3])),
        "prune.custom_from_mask(m, 'weight', torch.tensor([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1], dtype=torch.float64).reshape(5, 3))",
      ],
      [
        // 0.5 of 5 rows is 2.5 channels: Python's round() makes it 2.
        (m) =>
          prune.lnStructured(m, 'weight', 0.5, Number.POSITIVE_INFINITY, 0, {
            importanceScores: torch.arange(15, { dtype: 'float64' }).remainder(7).reshape([5, 3]),
          }),
        "prune.ln_structured(m, 'weight', 0.5, float('inf'), 0, importance_scores=torch.arange(15, dtype=torch.float64).remainder(7).reshape(5, 3))",
      ],
      [
        (m) =>
          prune.l1Unstructured(m, 'weight', 2, {
            importanceScores: torch.arange(15, { dtype: 'float64' }).neg().reshape([5, 3]),
          }),
        "prune.l1_unstructured(m, 'weight', 2, importance_scores=torch.arange(15, dtype=torch.float64).neg().reshape(5, 3))",
      ],
    ],
    remove: [
      [(m) => prune.remove(m, 'weight'), "prune.remove(m, 'weight')"],
      [(m) => prune.remove(m, 'bias'), "prune.remove(m, 'bias')"],
    ],
  },
];

interface StateRecord {
  keys: string[];
  params: string[];
  buffers: string[];
  state: Record<string, unknown>;
}
interface CaseResult {
  init: StateRecord;
  steps: StateRecord[];
  out: unknown;
  grads: Record<string, unknown>;
  pruned: boolean[];
  removed: StateRecord;
  outAfter: unknown;
}
interface PyOutput {
  cases: CaseResult[];
  errors: Record<string, string>;
  pruneMethod: unknown;
}

const PY = `
import torch.nn as nn
import torch.nn.utils.prune as prune
def record(m):
    sd = m.state_dict()
    return {'keys': list(sd.keys()), 'params': [n for n, _ in m.named_parameters()],
            'buffers': [n for n, _ in m.named_buffers()], 'state': {k: v for k, v in sd.items()}}
cases = []
for c in INPUT['cases']:
    m = eval(c['py']).double()
    m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in c['init'].items()})
    res = {'init': record(m), 'steps': [], 'pruned': []}
    env = {'m': m, 'prune': prune, 'torch': torch, 'nn': nn}
    torch.manual_seed(c['seed'])
    for s in c['steps']:
        exec(s, env)
        res['steps'].append(record(m))
        res['pruned'].append(prune.is_pruned(m))
    x = torch.tensor(c['x'], dtype=torch.float64).reshape(c['xShape'])
    m(x)
    y = m(x)
    y.square().sum().backward()
    res['out'] = y
    res['grads'] = {n: p.grad for n, p in m.named_parameters()}
    for s in c['remove']:
        exec(s, env)
    res['removed'] = record(m)
    res['outAfter'] = m(x)
    cases.append(res)
errors = {}
for key, amount in [('negative', -1), ('fraction', 1.5), ('type', 'a')]:
    try:
        prune.L1Unstructured(amount)
    except Exception as e:
        errors[key] = str(e)
try:
    prune.l1_unstructured(nn.Linear(4, 3), 'weight', 100)
except Exception as e:
    errors['tooMany'] = str(e)
t = torch.tensor([[0.5, -0.25, 2.0], [-1.0, 0.125, 0.75]], dtype=torch.float64)
OUTPUT = {'cases': cases, 'errors': errors,
          'pruneMethod': prune.LnStructured(1, 1, dim=1).prune(t, importance_scores=t.flip(1))}
`;

function record(m: Module): StateRecord {
  return {
    keys: Object.keys(m.stateDict()),
    params: m.namedParameters().map(([n]) => n),
    buffers: m.namedBuffers().map(([n]) => n),
    state: arrays(m.stateDict()),
  };
}

function runCase(c: Case, init: Record<string, unknown>): CaseResult {
  torch.manualSeed(1000);
  const m = c.make().double();
  torch.noGrad(() => {
    for (const [k, v] of Object.entries(m.stateDict({ keepVars: true })))
      v.copy_(t64((init[k] as number[]).flat(3), v.shape));
  });
  const res: CaseResult = {
    init: record(m),
    steps: [],
    pruned: [],
    removed: record(m),
    out: null,
    grads: {},
    outAfter: null,
  };
  torch.manualSeed(c.seed);
  for (const [step] of c.steps) {
    step(m);
    res.steps.push(record(m));
    res.pruned.push(prune.isPruned(m));
  }
  const x = t64(c.x, c.xShape);
  (m.forward as (x: torch.Tensor) => torch.Tensor)(x);
  const y = (m.forward as (x: torch.Tensor) => torch.Tensor)(x);
  y.square().sum().backward();
  res.out = y.toArray();
  res.grads = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad?.toArray() ?? null]));
  for (const [step] of c.remove) step(m);
  res.removed = record(m);
  res.outAfter = (m.forward as (x: torch.Tensor) => torch.Tensor)(x).toArray();
  return res;
}

/** Deep equality of nested arrays of numbers within tol (0: exact, -0 equal to 0). */
function close(a: unknown, b: unknown, tol: number, path: string): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: lengths differ`);
    for (const [i, v] of a.entries()) close(v, b[i], tol, `${path}[${i}]`);
  } else if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= tol, `${path}: ${a} vs ${b}`);
  } else assert.deepEqual(a, b, path);
}

function compareRecord(ours: StateRecord, theirs: StateRecord, path: string): void {
  assert.deepEqual(ours.keys, theirs.keys, `${path}: state-dict keys`);
  assert.deepEqual(ours.params, theirs.params, `${path}: parameter names`);
  assert.deepEqual(ours.buffers, theirs.buffers, `${path}: buffer names`);
  for (const k of ours.keys) {
    // Masks and masked weights are selections, not arithmetic: exactly Python's.
    close(ours.state[k], theirs.state[k], 0, `${path}: ${k}`);
  }
}

describe('nn.utils.prune against Python torch', { skip: skipWithoutPython() }, () => {
  const inits: Record<string, unknown>[] = [];
  const ours: CaseResult[] = [];
  let py: PyOutput;
  before(() => {
    for (const c of CASES) {
      torch.manualSeed(77);
      const m = c.make().double();
      if (c.ties) setTies(m, c.seed);
      inits.push(arrays(m.stateDict()));
    }
    CASES.forEach((c, i) => {
      ours.push(runCase(c, inits[i] as Record<string, unknown>));
    });
    py = runPython<PyOutput>(PY, {
      cases: CASES.map((c, i) => ({
        py: c.py,
        init: inits[i],
        seed: c.seed,
        steps: c.steps.map(([, s]) => s),
        remove: c.remove.map(([, s]) => s),
        x: c.x,
        xShape: c.xShape,
      })),
    });
  });

  CASES.forEach((c, i) => {
    test(c.name, () => {
      const a = ours[i] as CaseResult;
      const b = py.cases[i] as CaseResult;
      compareRecord(a.init, b.init, 'init');
      a.steps.forEach((s, j) => {
        compareRecord(s, b.steps[j] as StateRecord, `after step ${j + 1}`);
      });
      assert.deepEqual(a.pruned, b.pruned, 'isPruned after each step');
      close(a.out, b.out, 1e-12, 'forward');
      close(a.grads, b.grads, 1e-12, 'gradients');
      compareRecord(a.removed, b.removed, 'after remove');
      close(a.outAfter, b.outAfter, 1e-12, 'forward after remove');
    });
  });

  test('the masks prune something (the comparison is not between two no-ops)', () => {
    const conv = ours[1] as CaseResult;
    const mask = (conv.steps.at(-1) as StateRecord).state.weight_mask as number[];
    const flat = mask.flat(3) as number[];
    const zeros = flat.filter((v) => v === 0).length;
    // 10 by L1, then 3 of 4 output channels, then 1 of 2 input channels, then a quarter of the rest.
    assert.ok(zeros >= 63 && zeros < flat.length, `zeros: ${zeros} of ${flat.length}`);
  });

  test('amount errors read as Python', () => {
    const msg = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    assert.equal(
      msg(() => new prune.L1Unstructured(-1)),
      `L1Unstructured: ${py.errors.negative}`,
    );
    assert.equal(
      msg(() => new prune.L1Unstructured(1.5)),
      `L1Unstructured: ${py.errors.fraction}`,
    );
    assert.equal(
      msg(() => new prune.L1Unstructured('a' as unknown as number)),
      `L1Unstructured: ${py.errors.type}`,
    );
    assert.equal(
      msg(() => prune.l1Unstructured(new nn.Linear(4, 3), 'weight', 100)),
      `L1Unstructured: ${py.errors.tooMany}`,
    );
  });

  test('BasePruningMethod.prune with importance scores', () => {
    const t = t64([0.5, -0.25, 2.0, -1.0, 0.125, 0.75], [2, 3]);
    const out = new prune.LnStructured(1, 1, { dim: 1 }).prune(t, { importanceScores: t.flip([1]) });
    close(out.toArray(), py.pruneMethod, 0, 'prune');
  });
});

describe('nn.utils.prune: errors, rollback and lifetime', () => {
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };

  test('pruning a missing parameter names it; the module is unchanged', () => {
    const lin = new nn.Linear(4, 3);
    assert.equal(
      message(() => prune.l1Unstructured(lin, 'foo', 1)),
      "L1Unstructured.apply: Linear has no parameter named 'foo'",
    );
    assert.deepEqual(Object.keys(lin.stateDict()), ['weight', 'bias']);
    assert.equal(prune.isPruned(lin), false);
  });

  test('a failed pruning leaves the module, and earlier prunings, as they were', () => {
    const lin = new nn.Linear(4, 3);
    assert.match(
      message(() => prune.l1Unstructured(lin, 'weight', 13)),
      /amount=13 should be smaller than the number of parameters to prune=12/,
    );
    assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight']);
    assert.ok(lin.weight instanceof nn.Parameter);
    prune.l1Unstructured(lin, 'weight', 2);
    const mask = f(lin).weight_mask as torch.Tensor;
    assert.match(
      message(() => prune.lnStructured(lin, 'weight', 5, 2, 0)),
      /amount=5 should be smaller than the number of parameters to prune=3/,
    );
    assert.equal(f(lin).weight_mask, mask);
    // The hook is still the single L1 method, not a container holding the failed one.
    prune.l1Unstructured(lin, 'weight', 1);
    assert.equal((mask.toArray() as number[][]).flat().filter((v) => v === 0).length, 2);
    assert.equal(
      ((f(lin).weight_mask as torch.Tensor).toArray() as number[][]).flat().filter((v) => v === 0).length,
      3,
    );
  });

  test('structured pruning of a vector, a bad dim, remove() of an unpruned tensor, a structured global method', () => {
    const lin = new nn.Linear(4, 3);
    // A nuclear norm needs matrices: each channel of a Conv2d weight is 3-D.
    assert.match(
      message(() => prune.lnStructured(new nn.Conv2d(1, 2, 2), 'weight', 1, 'nuc', 0)),
      /linalg.matrix_norm: dim must be a 2-tuple. Got 1 2 3/,
    );
    assert.equal(
      message(() => prune.lnStructured(lin, 'bias', 1, 2, 0)),
      'LnStructured: Structured pruning can only be applied to multidimensional tensors. Found tensor of shape [3] with 1 dims',
    );
    assert.equal(
      message(() => prune.randomStructured(lin, 'weight', 1, 2)),
      'RandomStructured: Invalid index 2 for tensor of size [3, 4]',
    );
    assert.equal(
      message(() => prune.remove(lin, 'weight')),
      "remove: Parameter 'weight' of module Linear has to be pruned before pruning can be removed",
    );
    assert.equal(
      message(() =>
        prune.globalUnstructured([[lin, 'weight']], prune.RandomStructured, {
          amount: 1,
        }),
      ),
      'globalUnstructured(): Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method RandomStructured of type structured',
    );
    assert.equal(
      message(() => prune.l1Unstructured(lin, 'weight', 1, { importanceScores: torch.zeros([4, 3]) })),
      'L1Unstructured.apply: importance_scores should have the same shape as parameter weight of Linear, got [4, 3] vs [3, 4]',
    );
    // As in PyTorch, a parameter whose pruning failed is registered again, last.
    assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight']);
    assert.equal(prune.isPruned(lin), false);
  });

  test('100 forwards of a pruned module leave the live-tensor count as it was; user tensors stay alive', () => {
    const lin = new nn.Linear(8, 4);
    const userMask = torch.ones([4, 8]);
    prune.customFromMask(lin, 'weight', userMask);
    prune.l1Unstructured(lin, 'weight', 0.5);
    const x = torch.randn([3, 8]);
    torch.scope(() => lin.forward(x));
    const before = torch.memory().tensors;
    for (let i = 0; i < 100; i++) {
      torch.scope(() => {
        (lin.forward(x) as torch.Tensor).sum().backward();
      });
    }
    assert.equal(torch.memory().tensors, before);
    // The module's tensor is the latest one, alive; the user's mask and parameters too.
    assert.equal((f(lin).weight as torch.Tensor).shape.join(), '4,8');
    assert.equal(userMask.sum().item(), 32);
    assert.equal((f(lin).weight_orig as torch.Tensor).grad?.shape.join(), '4,8');
    // An output made before a later forward still differentiates (the graph holds its own reference).
    lin.zeroGrad();
    const y1 = lin.forward(x) as torch.Tensor;
    lin.forward(x);
    y1.sum().backward();
    const g = (f(lin).weight_orig as torch.Tensor).grad as torch.Tensor;
    const mask = f(lin).weight_mask as torch.Tensor;
    // d(sum(x W^T))/dW_orig = mask * column sums of x.
    const expected = mask.mul(x.sum(0).unsqueeze(0));
    assert.ok((g.sub(expected).abs().max().item() as number) < 1e-6);
  });
});
