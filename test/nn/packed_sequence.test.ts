// nn.utils.rnn (PackedSequence, packing, padding) and RNN / LSTM / GRU on packed batches,
// against PyTorch's (float64): the packed data, batch sizes and permutations, the padded
// tensors and lengths, the recurrent layers' packed outputs and final states, and the gradients
// of the padded input, the given states and every parameter; then the messages of bad input.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const R = torch.nn.utils.rnn;
type Tensor = torch.Tensor;

function close(actual: unknown, expected: unknown, what: string, tol = 1e-10): void {
  const a = Array.isArray(actual) ? (actual as unknown[]).flat(10) : [actual];
  const e = Array.isArray(expected) ? (expected as unknown[]).flat(10) : [expected];
  assert.equal(a.length, e.length, `${what}: ${a.length} values vs PyTorch's ${e.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    assert.ok(Number.isFinite(x) && Number.isFinite(y), `${what}: non-finite value at ${i} (${x} vs ${y})`);
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  assert.ok(worst <= tol, `${what}: max relative difference ${worst}`);
}

const arr = (t: Tensor | null): unknown => (t === null ? null : t.toArray());
const f64 = (shape: number[]): Tensor => torch.randn(shape, { dtype: 'float64' });

const PY_PRELUDE = `
import torch.nn as nn
from torch.nn.utils.rnn import *
f64 = lambda v: torch.tensor(v, dtype=torch.float64)
def lengths_of(c):
    return torch.tensor(c['lengths'], dtype=torch.int64) if c.get('lengthsTensor') else c['lengths']
`;

// ---- pack / pad round trips

interface RoundTrip {
  name: string;
  input: number[];
  lengths: number[];
  lengthsTensor?: boolean;
  batchFirst?: boolean;
  enforceSorted?: boolean;
  totalLength?: number;
  paddingValue?: number;
}

const roundTrips: RoundTrip[] = [
  { name: 'sorted, time first', input: [5, 3, 2], lengths: [5, 3, 1] },
  {
    name: 'sorted, batch first, lengths as a tensor',
    input: [3, 4, 2],
    lengths: [4, 4, 2],
    lengthsTensor: true,
    batchFirst: true,
  },
  { name: 'unsorted with enforceSorted false', input: [6, 4, 3], lengths: [2, 6, 1, 4], enforceSorted: false },
  {
    name: 'unsorted, batch first, ties, totalLength and paddingValue',
    input: [5, 4, 2, 2],
    lengths: [3, 4, 3, 1, 4],
    batchFirst: true,
    enforceSorted: false,
    totalLength: 7,
    paddingValue: -1.5,
  },
  { name: 'one sequence', input: [4, 1, 3], lengths: [2], totalLength: 4 },
];

interface RoundTripResult {
  data: unknown;
  batchSizes: number[];
  sortedIndices: number[] | null;
  unsortedIndices: number[] | null;
  padded: unknown;
  lengths: number[];
  inputGrad: unknown;
}

const ROUND_TRIP_PY = `${PY_PRELUDE}
OUTPUT = []
for c in INPUT:
    x = f64(c['x']).requires_grad_(True)
    p = pack_padded_sequence(x, lengths_of(c), batch_first=c['batchFirst'], enforce_sorted=c['enforceSorted'])
    padded, lens = pad_packed_sequence(p, batch_first=c['batchFirst'], padding_value=c['paddingValue'], total_length=c['totalLength'])
    ((p.data * f64(c['w'][0])).sum() + (padded * f64(c['w'][1])).sum()).backward()
    OUTPUT.append({'data': p.data, 'batchSizes': p.batch_sizes, 'sortedIndices': p.sorted_indices,
        'unsortedIndices': p.unsorted_indices, 'padded': padded, 'lengths': lens, 'inputGrad': x.grad})
`;

describe('packPaddedSequence / padPackedSequence against PyTorch', { skip: skipWithoutPython() }, () => {
  const ours: { p: torch.nn.utils.rnn.PackedSequence; padded: Tensor; lengths: Tensor; x: Tensor }[] = [];
  let theirs: RoundTripResult[] = [];

  before(() => {
    torch.manualSeed(7);
    const payload = roundTrips.map((c) => {
      const batchFirst = c.batchFirst ?? false;
      const enforceSorted = c.enforceSorted ?? true;
      const x = f64(c.input).requiresGrad_();
      const lengths = c.lengthsTensor ? torch.tensor(c.lengths, { dtype: 'int64' }) : c.lengths;
      const p = R.packPaddedSequence(x, lengths, { batchFirst, enforceSorted });
      const [padded, lens] = R.padPackedSequence(p, {
        batchFirst,
        paddingValue: c.paddingValue ?? 0,
        totalLength: c.totalLength ?? null,
      });
      const w = [f64(p.data.shape), f64(padded.shape)];
      p.data
        .mul(w[0] as Tensor)
        .sum()
        .add(padded.mul(w[1] as Tensor).sum())
        .backward();
      ours.push({ p, padded, lengths: lens, x });
      return {
        x: x.toArray(),
        lengths: c.lengths,
        lengthsTensor: c.lengthsTensor ?? false,
        batchFirst,
        enforceSorted,
        paddingValue: c.paddingValue ?? 0,
        totalLength: c.totalLength ?? null,
        w: w.map((t) => t.toArray()),
      };
    });
    theirs = runPython<RoundTripResult[]>(ROUND_TRIP_PY, payload);
  });

  roundTrips.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      assert.ok(o.p instanceof R.PackedSequence);
      assert.equal(o.p.batchSizes.dtype, 'int64');
      assert.equal(o.p.batchSizes.device, 'cpu');
      assert.deepEqual(o.p.data.toArray(), t.data, 'data');
      assert.deepEqual(o.p.batchSizes.toArray(), t.batchSizes, 'batch sizes');
      assert.deepEqual(arr(o.p.sortedIndices), t.sortedIndices, 'sorted indices');
      assert.deepEqual(arr(o.p.unsortedIndices), t.unsortedIndices, 'unsorted indices');
      assert.deepEqual(o.padded.toArray(), t.padded, 'padded');
      assert.equal(o.lengths.dtype, 'int64');
      assert.deepEqual(o.lengths.toArray(), t.lengths, 'lengths');
      assert.deepEqual(o.lengths.toArray(), c.lengths, "lengths in the caller's order");
      close(o.x.grad?.toArray(), t.inputGrad, 'grad of input');
    });
  });
});

// ---- padSequence, packSequence, unpackSequence, unpadSequence

interface PadCase {
  name: string;
  shapes: number[][];
  batchFirst?: boolean;
  paddingValue?: number;
  paddingSide?: 'left' | 'right';
}

const padCases: PadCase[] = [
  {
    name: 'time first',
    shapes: [
      [3, 2],
      [5, 2],
      [1, 2],
    ],
  },
  { name: 'batch first, paddingValue', shapes: [[4], [2], [4]], batchFirst: true, paddingValue: 9 },
  {
    name: "paddingSide 'left'",
    shapes: [
      [2, 2, 3],
      [4, 2, 3],
    ],
    paddingSide: 'left',
    paddingValue: -1,
  },
  {
    name: "batch first, paddingSide 'left'",
    shapes: [
      [1, 3],
      [3, 3],
      [2, 3],
    ],
    batchFirst: true,
    paddingSide: 'left',
  },
];

describe('padSequence / packSequence / unpackSequence / unpadSequence against PyTorch', {
  skip: skipWithoutPython(),
}, () => {
  const ours: {
    padded: Tensor;
    seqs: Tensor[];
    packed: torch.nn.utils.rnn.PackedSequence;
    unpacked: Tensor[];
    unpadded: Tensor[];
  }[] = [];
  let theirs: {
    padded: unknown;
    grads: unknown[];
    packed: [unknown, number[], number[] | null, number[] | null];
    unpacked: unknown[];
    unpadded: unknown[];
  }[] = [];

  before(() => {
    torch.manualSeed(11);
    const payload = padCases.map((c) => {
      const seqs = c.shapes.map((s) => f64(s).requiresGrad_());
      const options = {
        batchFirst: c.batchFirst ?? false,
        paddingValue: c.paddingValue ?? 0,
        paddingSide: c.paddingSide ?? 'right',
      };
      const padded = R.padSequence(seqs, options);
      const w = f64(padded.shape);
      padded.mul(w).sum().backward();
      const packed = R.packSequence(seqs, { enforceSorted: false });
      const unpacked = R.unpackSequence(packed);
      const lengths = torch.tensor(
        seqs.map((s) => s.size(0)),
        { dtype: 'int64' },
      );
      const unpadded = R.unpadSequence(padded, lengths, { batchFirst: options.batchFirst });
      ours.push({ padded, seqs, packed, unpacked, unpadded });
      return { seqs: seqs.map((s) => s.toArray()), ...options, w: w.toArray() };
    });
    theirs = runPython(
      `${PY_PRELUDE}
OUTPUT = []
for c in INPUT:
    seqs = [f64(s).requires_grad_(True) for s in c['seqs']]
    padded = pad_sequence(seqs, batch_first=c['batchFirst'], padding_value=c['paddingValue'], padding_side=c['paddingSide'])
    (padded * f64(c['w'])).sum().backward()
    packed = pack_sequence(seqs, enforce_sorted=False)
    lengths = torch.tensor([s.size(0) for s in seqs])
    unpadded = unpad_sequence(padded.detach().clone(), lengths, batch_first=c['batchFirst'])
    OUTPUT.append({'padded': padded, 'grads': [s.grad for s in seqs], 'packed': list(packed),
        'unpacked': unpack_sequence(packed), 'unpadded': unpadded})
`,
      payload,
    );
  });

  padCases.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      assert.deepEqual(o.padded.toArray(), t.padded, 'padded');
      o.seqs.forEach((s, k) => {
        close(s.grad?.toArray(), t.grads[k], `grad of sequence ${k}`);
      });
      assert.deepEqual(
        o.packed.map((x) => arr(x)),
        t.packed,
        'packSequence: [data, batchSizes, sortedIndices, unsortedIndices]',
      );
      assert.deepEqual(
        o.unpacked.map((x) => x.toArray()),
        t.unpacked,
        'unpackSequence',
      );
      assert.deepEqual(
        o.unpadded.map((x) => x.toArray()),
        t.unpadded,
        'unpadSequence',
      );
    });
  });

  test('padSequence takes a tensor as the list of its slices, as PyTorch', () => {
    const x = torch.randn([3, 4, 2]);
    assert.deepEqual(R.padSequence(x).toArray(), x.transpose(0, 1).toArray());
    assert.deepEqual(R.padSequence(x, { batchFirst: true }).toArray(), x.toArray());
  });

  test('unpadSequence leaves its input as it is', () => {
    const x = torch.randn([4, 2, 3]);
    const before = x.toArray();
    const out = R.unpadSequence(x, [4, 2]);
    assert.deepEqual(x.shape, [4, 2, 3]);
    assert.deepEqual(x.toArray(), before);
    assert.deepEqual(
      out.map((s) => s.shape),
      [
        [4, 3],
        [2, 3],
      ],
    );
  });
});

// ---- recurrent layers on packed batches

type Kind = 'seq' | 'lstm';

interface ModuleCase {
  name: string;
  kind: Kind;
  make: () => torch.nn.RNN | torch.nn.GRU | torch.nn.LSTM;
  py: string;
  input: number[];
  lengths: number[];
  batchFirst?: boolean;
  enforceSorted?: boolean;
  hx?: number[][];
  train?: boolean;
  forwardSeed?: number;
}

const moduleCases: ModuleCase[] = [
  {
    name: 'LSTM bidirectional, 2 layers, projSize, unsorted, given hx',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2 }),
    py: 'nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)',
    input: [6, 4, 3],
    lengths: [3, 6, 1, 5],
    enforceSorted: false,
    hx: [
      [4, 4, 2],
      [4, 4, 5],
    ],
  },
  {
    name: 'LSTM bidirectional, 2 layers, projSize, batch first, sorted, zero states',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 3, batchFirst: true }),
    py: 'nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=3, batch_first=True)',
    input: [3, 5, 3],
    lengths: [5, 3, 3],
    batchFirst: true,
  },
  {
    name: 'LSTM no bias, unsorted, batch first',
    kind: 'lstm',
    make: () => new nn.LSTM(2, 4, { bias: false, batchFirst: true }),
    py: 'nn.LSTM(2, 4, bias=False, batch_first=True)',
    input: [3, 4, 2],
    lengths: [2, 4, 1],
    batchFirst: true,
    enforceSorted: false,
  },
  {
    name: 'GRU bidirectional, 2 layers, unsorted, given hx',
    kind: 'seq',
    make: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }),
    py: 'nn.GRU(3, 4, num_layers=2, bidirectional=True)',
    input: [5, 3, 3],
    lengths: [2, 5, 4],
    enforceSorted: false,
    hx: [[4, 3, 4]],
  },
  {
    name: 'GRU batch first, sorted, zero state',
    kind: 'seq',
    make: () => new nn.GRU(3, 4, { batchFirst: true }),
    py: 'nn.GRU(3, 4, batch_first=True)',
    input: [4, 3, 3],
    lengths: [3, 3, 2, 1],
    batchFirst: true,
  },
  {
    name: 'RNN tanh, 2 layers, unsorted, given hx',
    kind: 'seq',
    make: () => new nn.RNN(3, 4, { numLayers: 2 }),
    py: 'nn.RNN(3, 4, num_layers=2)',
    input: [4, 3, 3],
    lengths: [1, 4, 2],
    enforceSorted: false,
    hx: [[2, 3, 4]],
  },
  {
    name: 'RNN relu, bidirectional',
    kind: 'seq',
    make: () => new nn.RNN(3, 4, { nonlinearity: 'relu', bidirectional: true }),
    py: "nn.RNN(3, 4, nonlinearity='relu', bidirectional=True)",
    input: [4, 2, 3],
    lengths: [4, 3],
  },
  {
    name: 'LSTM dropout while training (same seed, same masks)',
    kind: 'lstm',
    make: () => new nn.LSTM(3, 4, { numLayers: 3, dropout: 0.4, bidirectional: true }),
    py: 'nn.LSTM(3, 4, num_layers=3, dropout=0.4, bidirectional=True)',
    input: [5, 3, 3],
    lengths: [3, 5, 2],
    enforceSorted: false,
    train: true,
    forwardSeed: 77,
  },
];

interface ModuleResult {
  outs: unknown[];
  packed: [number[], number[] | null, number[] | null];
  inputGrad: unknown;
  hxGrads: unknown[];
  paramGrads: Record<string, unknown>;
}

const MODULE_PY = `${PY_PRELUDE}
OUTPUT = []
for c in INPUT:
    m = eval(c['py']).double()
    m.load_state_dict({k: f64(v) for k, v in c['state'].items()})
    m.train(c['train'])
    x = f64(c['input']).requires_grad_(True)
    hx = [f64(h).requires_grad_(True) for h in c['hx']]
    packed = pack_padded_sequence(x, c['lengths'], batch_first=c['batchFirst'], enforce_sorted=c['enforceSorted'])
    if c['forwardSeed'] is not None: torch.manual_seed(c['forwardSeed'])
    if c['kind'] == 'lstm':
        out, (h, cc) = m(packed, (hx[0], hx[1]) if hx else None)
        states = [h, cc]
    else:
        out, h = m(packed, hx[0] if hx else None)
        states = [h]
    assert isinstance(out, PackedSequence)
    padded, _ = pad_packed_sequence(out, batch_first=c['batchFirst'])
    outs = [out.data, padded] + states
    sum((o * f64(w)).sum() for o, w in zip(outs, c['outWeights'])).backward()
    OUTPUT.append({'outs': outs, 'packed': [out.batch_sizes, out.sorted_indices, out.unsorted_indices],
        'inputGrad': x.grad, 'hxGrads': [h.grad for h in hx],
        'paramGrads': {n: p.grad for n, p in m.named_parameters()}})
`;

describe('RNN / LSTM / GRU on a PackedSequence against PyTorch (float64)', { skip: skipWithoutPython() }, () => {
  const ours: {
    outs: Tensor[];
    packedIn: torch.nn.utils.rnn.PackedSequence;
    packedOut: torch.nn.utils.rnn.PackedSequence;
    x: Tensor;
    hx: Tensor[];
    module: torch.nn.Module;
  }[] = [];
  let theirs: ModuleResult[] = [];

  before(() => {
    const payload = moduleCases.map((c, i) => {
      torch.manualSeed(300 + i);
      const m = c.make();
      m.double();
      m.train(c.train ?? false);
      const batchFirst = c.batchFirst ?? false;
      const enforceSorted = c.enforceSorted ?? true;
      const x = f64(c.input).requiresGrad_();
      const hx = (c.hx ?? []).map((s) => f64(s).requiresGrad_());
      const packedIn = R.packPaddedSequence(x, c.lengths, { batchFirst, enforceSorted });
      if (c.forwardSeed !== undefined) torch.manualSeed(c.forwardSeed);
      let packedOut: torch.nn.utils.rnn.PackedSequence;
      let states: Tensor[];
      if (c.kind === 'lstm') {
        const [out, [h, cc]] = (m as torch.nn.LSTM).forward(
          packedIn,
          hx.length ? [hx[0] as Tensor, hx[1] as Tensor] : null,
        );
        packedOut = out;
        states = [h, cc];
      } else {
        const [out, h] = (m as torch.nn.GRU).forward(packedIn, hx[0] ?? null);
        packedOut = out;
        states = [h];
      }
      const [padded] = R.padPackedSequence(packedOut, { batchFirst });
      const outs = [packedOut.data, padded, ...states];
      const outWeights = outs.map((o) => f64(o.shape));
      outs
        .map((o, k) => o.mul(outWeights[k] as Tensor).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      ours.push({ outs, packedIn, packedOut, x, hx, module: m });
      return {
        kind: c.kind,
        py: c.py,
        train: c.train ?? false,
        forwardSeed: c.forwardSeed ?? null,
        state: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()])),
        input: x.toArray(),
        lengths: c.lengths,
        batchFirst,
        enforceSorted,
        hx: hx.map((h) => h.toArray()),
        outWeights: outWeights.map((w) => w.toArray()),
      };
    });
    theirs = runPython<ModuleResult[]>(MODULE_PY, payload);
  });

  moduleCases.forEach((c, i) => {
    test(c.name, () => {
      const o = ours[i];
      const t = theirs[i];
      assert.ok(o && t);
      assert.ok(o.packedOut instanceof R.PackedSequence, 'a PackedSequence out');
      // The output keeps the input's batch sizes and permutations (the same tensors, as PyTorch's).
      assert.equal(o.packedOut.batchSizes, o.packedIn.batchSizes);
      assert.equal(o.packedOut.sortedIndices, o.packedIn.sortedIndices);
      assert.equal(o.packedOut.unsortedIndices, o.packedIn.unsortedIndices);
      assert.deepEqual(
        [arr(o.packedOut.batchSizes), arr(o.packedOut.sortedIndices), arr(o.packedOut.unsortedIndices)],
        t.packed,
      );
      const names = ['output data', 'padded output', 'h_n', 'c_n'];
      o.outs.forEach((x, k) => {
        close(x.toArray(), t.outs[k], names[k] as string);
      });
      close(o.x.grad?.toArray(), t.inputGrad, 'grad of input');
      o.hx.forEach((h, k) => {
        close(h.grad?.toArray(), t.hxGrads[k], `grad of hx[${k}]`);
      });
      const params = o.module.namedParameters();
      assert.deepEqual(
        params.map(([n]) => n),
        Object.keys(t.paramGrads),
      );
      for (const [n, p] of params) {
        assert.ok(p.grad, `${n} has a gradient`);
        close(p.grad.toArray(), t.paramGrads[n], `grad of ${n}`);
      }
    });
  });

  test("h_n is in the caller's order: each sequence's final state equals a run of that sequence alone", () => {
    torch.manualSeed(5);
    const gru = new nn.GRU(2, 3, { bidirectional: true });
    const x = torch.randn([4, 3, 2]);
    const lengths = [2, 4, 3];
    const [, h] = gru.forward(R.packPaddedSequence(x, lengths, { enforceSorted: false }));
    lengths.forEach((l, b) => {
      const [, hb] = gru.forward(x.narrow(0, 0, l).narrow(1, b, 1));
      close(h.narrow(1, b, 1).toArray(), hb.toArray(), `sequence ${b}`, 1e-6);
    });
  });
});

// ---- PackedSequence itself, and errors

describe('PackedSequence', () => {
  test("destructures as PyTorch's namedtuple, survives a scope, converts with to()", () => {
    const x = torch.arange(12, { dtype: 'float32' }).reshape([4, 3, 1]);
    const p = torch.scope(() => R.packPaddedSequence(x, [1, 4, 2], { enforceSorted: false }));
    assert.ok(Array.isArray(p));
    assert.equal(p.length, 4);
    const [data, batchSizes, sortedIndices, unsortedIndices] = p;
    assert.equal(data, p.data);
    assert.deepEqual(batchSizes?.toArray(), [3, 2, 1, 1]);
    assert.deepEqual(sortedIndices?.toArray(), [1, 2, 0]);
    assert.deepEqual(unsortedIndices?.toArray(), [2, 0, 1]);
    assert.deepEqual(R.invertPermutation(sortedIndices as Tensor)?.toArray(), [2, 0, 1]);
    assert.equal(R.invertPermutation(null), null);
    assert.deepEqual(p.data.toArray(), [[1], [2], [0], [4], [5], [7], [10]]);
    assert.equal(p.dtype, 'float32');
    assert.equal(p.device, 'cpu');
    assert.equal(p.isCuda, false);
    assert.equal(p.to('float32'), p, 'no change: itself');
    const d = p.double();
    assert.ok(d instanceof R.PackedSequence);
    assert.equal(d.dtype, 'float64');
    assert.equal(d.batchSizes, p.batchSizes, 'batchSizes is not converted');
    assert.equal(d.sortedIndices?.dtype, 'int64');
    assert.ok(!(p.map((t) => t) instanceof R.PackedSequence), 'map gives a plain array');
    assert.throws(() => {
      (p as unknown as Tensor[])[0] = x;
    }, TypeError);
    const pr = new R.PackedSequence(p.data, p.batchSizes, p.sortedIndices);
    assert.deepEqual(pr.unsortedIndices?.toArray(), [2, 0, 1], 'unsortedIndices defaults to the inverse');
  });

  test("prints as PyTorch's repr", { skip: skipWithoutPython() }, () => {
    const x = torch.arange(6, { dtype: 'float32' }).reshape([3, 2, 1]);
    const py = runPython<string>(
      `from torch.nn.utils.rnn import *
OUTPUT = repr(pack_padded_sequence(torch.arange(6.).reshape(3, 2, 1), [3, 1]))`,
    );
    assert.equal(String(R.packPaddedSequence(x, [3, 1])), py);
  });
});

describe('nn.utils.rnn and packed recurrent layers: errors', { skip: skipWithoutPython() }, () => {
  const x = torch.randn([4, 3, 2]);

  test('packPaddedSequence refuses bad lengths, naming itself', () => {
    assert.throws(
      () => R.packPaddedSequence(x, [4, 2, 3]),
      /^Error: packPaddedSequence: `lengths` array must be sorted in decreasing order when `enforceSorted` is true/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, [4, 2, 0]),
      /packPaddedSequence: Length of all samples has to be greater than 0/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, [4, 0, 2], { enforceSorted: false }),
      /packPaddedSequence: Length of all samples has to be greater than 0/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, [5, 2, 1]),
      /packPaddedSequence: a sequence of length 5 is longer than the input's 4 time steps/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, [4, 2]),
      /packPaddedSequence: Expected `lengths.length` to be equal to batch_size, but got 2 \(batch_size=3\)/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, [4, 2.5, 1]),
      /^TypeError: packPaddedSequence: lengths must be integers, got 2.5/,
    );
    assert.throws(
      () => R.packPaddedSequence(x, torch.tensor([[4, 2, 1]], { dtype: 'int64' })),
      /packPaddedSequence: 'lengths' argument should be a 1D CPU int64 tensor, but got 2D/,
    );
    assert.throws(
      () => R.packPaddedSequence(torch.randn([4]), [4]),
      /packPaddedSequence: input must have at least 2 dimensions/,
    );
    assert.throws(
      () => R.packPaddedSequence(torch.randn([0, 2]), [1, 1]),
      /packPaddedSequence: Cannot pack empty tensors/,
    );
  });

  test('padPackedSequence, padSequence, PackedSequence refuse bad input', () => {
    const p = R.packPaddedSequence(x, [4, 2, 1]);
    assert.throws(
      () => R.padPackedSequence(p, { totalLength: 3 }),
      /padPackedSequence: Expected totalLength to be at least the length of the longest sequence in input, but got totalLength=3 and max sequence length being 4/,
    );
    assert.throws(
      () => R.padPackedSequence(x as never),
      /^TypeError: padPackedSequence: sequence must be a PackedSequence/,
    );
    assert.throws(() => R.padSequence([]), /padSequence: received an empty list of sequences/);
    assert.throws(
      () => R.padSequence([x], { paddingSide: 'middle' as never }),
      /padSequence: Expected paddingSide to be one of 'left' or 'right', but got 'middle'/,
    );
    assert.throws(
      () => R.padSequence([torch.randn([2, 3]), torch.randn([3, 4])]),
      /^Error: padSequence: The size of tensor a \(3\) must match the size of tensor b \(4\)/,
    );
    assert.throws(() => R.padSequence([x, 3 as never]), /^TypeError: padSequence: sequences\[1\] must be a Tensor/);
    assert.throws(() => R.unpadSequence(x, [4, 2]), /unpadSequence: got 2 lengths for a batch of 3 sequences/);
  });

  test("packed input to the recurrent layers: PyTorch's messages, prefixed with the layer", () => {
    const p = R.packPaddedSequence(x, [4, 2, 1]);
    const expected = runPython<string[]>(
      `
import torch.nn as nn
from torch.nn.utils.rnn import *
p = pack_padded_sequence(torch.randn(4, 3, 2), [4, 2, 1])
OUTPUT = []
for f in [lambda: nn.GRU(2, 4)(p, torch.zeros(1, 2, 4)), lambda: nn.GRU(3, 4)(p), lambda: nn.RNN(2, 4)(p.double())]:
    try:
        f()
        OUTPUT.append('no error')
    except Exception as e:
        OUTPUT.append(str(e))
`,
    );
    const ours = [
      () => new nn.GRU(2, 4).forward(p, torch.zeros([1, 2, 4])),
      () => new nn.GRU(3, 4).forward(p),
      () => new nn.RNN(2, 4).forward(p.double()),
    ];
    ours.forEach((f, k) => {
      const want = (expected[k] as string)
        .replace(/torch\.(float\d+)/g, '$1')
        .replace(/input\.to\((float\d+)\)/, "input.to('$1')")
        .replace(/model\.to\((float\d+)\)/, "model.to('$1')");
      assert.throws(f, (e: Error) => {
        assert.match(e.message, /^(GRU|RNN): /);
        assert.equal(e.message.replace(/^(GRU|RNN): /, ''), want.replace(/^RNN /, ''));
        return true;
      });
    });
    // PyTorch's LSTM leaves a packed batch's states unchecked (ATen then fails on the weights); ours checks them.
    assert.throws(
      () => new nn.LSTM(2, 4).forward(p, [torch.zeros([1, 3, 4]), torch.zeros([1, 3, 5])]),
      /^Error: LSTM: Expected hidden\[1\] size \(1, 3, 4\), got \[1, 3, 5\]/,
    );
    assert.throws(
      () => new nn.LSTM(2, 4).forward(p, [torch.zeros([1, 3, 4])] as never),
      /^TypeError: LSTM: hx must be a pair/,
    );
  });
});
