// Window functions against Python torch 2.13: the ATen factories (torch.hannWindow,
// hammingWindow, blackmanWindow, bartlettWindow, kaiserWindow; periodic by default) and the
// Python-level torch.signal.windows (symmetric by default), over lengths 0, 1, 2, 7 and 8, both
// symmetries and float32/float64. Both sides run the same kernels on the same double-precision
// endpoints, so every value must match to the bit. The bad arguments (negative length, integer
// dtype, non-positive tau/std, negative beta, empty coefficients) must raise on both sides, and
// torch-node's messages must name the function. One Python run for the whole file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { type Case, paritySuite } from '../support/parity.js';

const exact = { rtol: 0, atol: 0 };
const W = torch.signal.windows;
const LENGTHS = [0, 1, 2, 7, 8];
const DTYPES = ['float32', 'float64'] as const;

function atenCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, py: string, js: () => torch.Tensor) => cases.push({ name, inputs: {}, py, js, ...exact });
  for (const dt of DTYPES) {
    for (const M of LENGTHS) {
      for (const periodic of [true, false]) {
        const P = periodic ? 'True' : 'False';
        const o = { dtype: dt };
        c(`hannWindow(${M}, ${periodic}) ${dt}`, `torch.hann_window(${M}, ${P}, dtype=torch.${dt})`, () =>
          torch.hannWindow(M, periodic, o),
        );
        c(`hammingWindow(${M}, ${periodic}) ${dt}`, `torch.hamming_window(${M}, ${P}, dtype=torch.${dt})`, () =>
          torch.hammingWindow(M, periodic, o),
        );
        c(`blackmanWindow(${M}, ${periodic}) ${dt}`, `torch.blackman_window(${M}, ${P}, dtype=torch.${dt})`, () =>
          torch.blackmanWindow(M, periodic, o),
        );
        c(`bartlettWindow(${M}, ${periodic}) ${dt}`, `torch.bartlett_window(${M}, ${P}, dtype=torch.${dt})`, () =>
          torch.bartlettWindow(M, periodic, o),
        );
        c(`kaiserWindow(${M}, ${periodic}) ${dt}`, `torch.kaiser_window(${M}, ${P}, dtype=torch.${dt})`, () =>
          torch.kaiserWindow(M, periodic, o),
        );
      }
    }
    c(`hammingWindow alpha beta ${dt}`, `torch.hamming_window(9, False, 0.6, 0.3, dtype=torch.${dt})`, () =>
      torch.hammingWindow(9, false, 0.6, 0.3, { dtype: dt }),
    );
    c(`kaiserWindow beta 5 ${dt}`, `torch.kaiser_window(10, True, 5.0, dtype=torch.${dt})`, () =>
      torch.kaiserWindow(10, true, 5, { dtype: dt }),
    );
  }
  // Defaults: float32, periodic; the options object may stand in for the optional positionals.
  c('hannWindow defaults', 'torch.hann_window(6)', () => torch.hannWindow(6));
  c('kaiserWindow options only', 'torch.kaiser_window(6, dtype=torch.float64)', () =>
    torch.kaiserWindow(6, { dtype: 'float64' }),
  );
  c('hannWindow requiresGrad', 'torch.hann_window(5, requires_grad=True)', () =>
    torch.hannWindow(5, { requiresGrad: true }),
  );
  c('hammingWindow int64 has no kernel', 'torch.hamming_window(5, dtype=torch.int64)', () =>
    torch.hammingWindow(5, { dtype: 'int64' }),
  );
  cases.at(-1)!.expectError = /hamming_window/;
  return cases;
}

function signalCases(): Case[] {
  const cases: Case[] = [];
  const c = (name: string, py: string, js: () => torch.Tensor) => cases.push({ name, inputs: {}, py, js, ...exact });
  const S = 'torch.signal.windows';
  type Fn = (M: number, o: { sym: boolean; dtype: torch.DType }) => torch.Tensor;
  const plain: [string, string, Fn][] = [
    ['cosine', 'cosine', W.cosine],
    ['exponential', 'exponential', W.exponential],
    ['gaussian', 'gaussian', W.gaussian],
    ['hann', 'hann', W.hann],
    ['hamming', 'hamming', W.hamming],
    ['blackman', 'blackman', W.blackman],
    ['bartlett', 'bartlett', W.bartlett],
    ['kaiser', 'kaiser', W.kaiser],
    ['nuttall', 'nuttall', W.nuttall],
    ['generalHamming', 'general_hamming', W.generalHamming],
    ['generalCosine', 'general_cosine', (M, o) => W.generalCosine(M, [0.4, 0.35, 0.15, 0.1], o)],
  ];
  for (const dt of DTYPES) {
    for (const [js, py, fn] of plain) {
      const extra = py === 'general_cosine' ? 'a=[0.4, 0.35, 0.15, 0.1], ' : '';
      for (const M of LENGTHS) {
        for (const sym of [true, false]) {
          c(
            `${js}(${M}, sym ${sym}) ${dt}`,
            `${S}.${py}(${M}, ${extra}sym=${sym ? 'True' : 'False'}, dtype=torch.${dt})`,
            () => fn(M, { sym, dtype: dt }),
          );
        }
      }
    }
    c(`exponential center tau ${dt}`, `${S}.exponential(9, center=2.5, tau=3.0, sym=False, dtype=torch.${dt})`, () =>
      W.exponential(9, { center: 2.5, tau: 3, sym: false, dtype: dt }),
    );
    c(`gaussian std ${dt}`, `${S}.gaussian(11, std=2.3, dtype=torch.${dt})`, () =>
      W.gaussian(11, { std: 2.3, dtype: dt }),
    );
    c(`kaiser beta ${dt}`, `${S}.kaiser(12, beta=4.5, sym=False, dtype=torch.${dt})`, () =>
      W.kaiser(12, { beta: 4.5, sym: false, dtype: dt }),
    );
    c(`generalHamming alpha ${dt}`, `${S}.general_hamming(10, alpha=0.6, dtype=torch.${dt})`, () =>
      W.generalHamming(10, { alpha: 0.6, dtype: dt }),
    );
    c(`generalCosine keyword a ${dt}`, `${S}.general_cosine(10, a=[0.5, 0.5], dtype=torch.${dt})`, () =>
      W.generalCosine(10, { a: [0.5, 0.5], dtype: dt }),
    );
  }
  c('hann defaults (sym, float32)', `${S}.hann(10)`, () => W.hann(10));
  c('kaiser requiresGrad', `${S}.kaiser(6, requires_grad=True)`, () => W.kaiser(6, { requiresGrad: true }));
  c('generalCosine requiresGrad', `${S}.general_cosine(6, a=[0.5, 0.5], requires_grad=True)`, () =>
    W.generalCosine(6, [0.5, 0.5], { requiresGrad: true }),
  );
  const bad = (name: string, py: string, js: () => torch.Tensor, re: RegExp) =>
    cases.push({ name, inputs: {}, py, js, expectError: re });
  bad('hann negative length', `${S}.hann(-1)`, () => W.hann(-1), /signal\.windows\.hann.*M=-1/);
  bad('cosine int dtype', `${S}.cosine(4, dtype=torch.int64)`, () => W.cosine(4, { dtype: 'int64' }), /cosine.*int64/);
  bad('exponential tau 0', `${S}.exponential(4, tau=0.0)`, () => W.exponential(4, { tau: 0 }), /exponential.*Tau/);
  bad(
    'exponential center with sym',
    `${S}.exponential(4, center=1.0)`,
    () => W.exponential(4, { center: 1 }),
    /exponential.*symmetric/,
  );
  bad(
    'gaussian std -1',
    `${S}.gaussian(4, std=-1.0)`,
    () => W.gaussian(4, { std: -1 }),
    /gaussian.*Standard deviation/,
  );
  bad('kaiser beta -1', `${S}.kaiser(4, beta=-1.0)`, () => W.kaiser(4, { beta: -1 }), /kaiser.*beta/);
  bad('generalCosine empty a', `${S}.general_cosine(4, a=[])`, () => W.generalCosine(4, []), /generalCosine.*empty/);
  return cases;
}

paritySuite('window functions vs Python torch', {
  'torch.*Window (ATen kernels)': atenCases(),
  'torch.signal.windows': signalCases(),
});

describe('window functions without Python', () => {
  test('hann by hand: periodic 4 is [0, .5, 1, .5], symmetric 5 is [0, .5, 1, .5, 0]', () => {
    const near = (got: torch.Tensor, expected: number[]) => {
      const g = got.toArray() as number[];
      assert.equal(g.length, expected.length);
      expected.forEach((v, i) => {
        assert.ok(Math.abs(g[i]! - v) < 1e-15, `[${i}] = ${g[i]}, expected ${v}`);
      });
    };
    near(torch.hannWindow(4, { dtype: 'float64' }), [0, 0.5, 1, 0.5]);
    near(W.hann(5, { dtype: 'float64' }), [0, 0.5, 1, 0.5, 0]);
    near(W.hann(4, { sym: false, dtype: 'float64' }), [0, 0.5, 1, 0.5]);
  });
  test('argument errors are TypeErrors naming the function', () => {
    assert.throws(() => W.hann(2.5), { name: 'TypeError', message: /signal\.windows\.hann: .*integer.*2\.5/ });
    assert.throws(() => W.blackman(4, 3 as never), {
      name: 'TypeError',
      message: /signal\.windows\.blackman: .*options/,
    });
    assert.throws(() => W.generalCosine(4, ['x'] as never), {
      name: 'TypeError',
      message: /generalCosine: Coefficients/,
    });
  });
  test('windows free their intermediate tensors', () => {
    const before = torch.memory().tensors;
    torch.scope(() => {
      W.kaiser(16);
      W.generalCosine(16, [0.5, 0.3, 0.2]);
      W.gaussian(16);
    });
    assert.equal(torch.memory().tensors, before);
    const kept = W.nuttall(8);
    assert.equal(torch.memory().tensors, before + 1, 'only the window itself outlives the call');
    kept.dispose();
  });
});
