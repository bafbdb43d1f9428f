// torch.stft / torch.istft (and x.stft / x.istft) against Python torch 2.13: 1-D and batched
// signals, windows shorter than nFft, center with every padMode, center: false (with and without
// alignToWindow), normalized, two-sided, complex input, the deprecated real output, no window;
// istft of those spectra back to signals, with length, two-sided complex output. Complex results
// cross as viewAsReal on both sides. Both sides run pocketfft on one thread, so values are
// compared to the bit in float32 and float64. Gradients (float64) of stft with respect to the
// signal and of istft with respect to the spectrum. Bad inputs raise on both sides and
// torch-node's messages name the op. One Python run for the file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, FLOAT_DTYPES, paritySuite, typed } from '../support/parity.js';

// pocketfft's batched transforms group lanes per thread; Python runs with one thread too.
torch.setNumThreads(1);

const exact = { rtol: 0, atol: 0 };
const asReal = (t: torch.Tensor) => torch.viewAsReal(t);

function stftCases(): Case[] {
  const g = generators(4242);
  const X1 = g.randn([64]);
  const X2 = g.randn([3, 40]);
  const Z = g.randn([40, 2]);
  const cases: Case[] = [];
  for (const dt of FLOAT_DTYPES) {
    const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...x });
    const x = typed(dt, X1, dt === 'float64');
    const x2 = typed(dt, X2);
    const o = { dtype: dt };
    const hann = (n: number) => torch.hannWindow(n, o);
    const pyHann = (n: number) => `torch.hann_window(${n}, dtype=torch.${dt})`;
    c('stft 1-D, hann, hop 4 (gradient too in float64)', {
      inputs: { x },
      py: `torch.view_as_real(torch.stft(x, 16, 4, window=${pyHann(16)}, return_complex=True))`,
      js: ({ x }) => asReal(torch.stft(x!, 16, { hopLength: 4, window: hann(16), returnComplex: true })),
    });
    c('stft batched, winLength 10 < nFft 16, default hop', {
      inputs: { x2 },
      py: `torch.view_as_real(torch.stft(x2, 16, win_length=10, window=${pyHann(10)}, return_complex=True))`,
      js: ({ x2 }) => asReal(torch.stft(x2!, 16, { winLength: 10, window: hann(10), returnComplex: true })),
    });
    c('stft center false', {
      inputs: { x2 },
      py: `torch.view_as_real(torch.stft(x2, 16, 5, window=${pyHann(16)}, center=False, return_complex=True))`,
      js: ({ x2 }) =>
        asReal(torch.stft(x2!, 16, { hopLength: 5, window: hann(16), center: false, returnComplex: true })),
    });
    for (const mode of ['constant', 'replicate', 'circular'] as const) {
      c(`stft padMode ${mode}`, {
        inputs: { x },
        py: `torch.view_as_real(torch.stft(x, 12, 3, window=${pyHann(12)}, pad_mode='${mode}', return_complex=True))`,
        js: ({ x }) =>
          asReal(torch.stft(x!, 12, { hopLength: 3, window: hann(12), padMode: mode, returnComplex: true })),
      });
    }
    c('stft normalized, two-sided', {
      inputs: { x },
      py: `torch.view_as_real(torch.stft(x, 16, 8, window=${pyHann(16)}, normalized=True, onesided=False, return_complex=True))`,
      js: ({ x }) =>
        asReal(
          torch.stft(x!, 16, {
            hopLength: 8,
            window: hann(16),
            normalized: true,
            onesided: false,
            returnComplex: true,
          }),
        ),
    });
    c('stft alignToWindow (center false, winLength 8)', {
      inputs: { x },
      py: `torch.view_as_real(torch.stft(x, 16, 4, 8, window=${pyHann(8)}, center=False, return_complex=True, align_to_window=True))`,
      js: ({ x }) =>
        asReal(
          torch.stft(x!, 16, {
            hopLength: 4,
            winLength: 8,
            window: hann(8),
            center: false,
            returnComplex: true,
            alignToWindow: true,
          }),
        ),
    });
    c('stft returnComplex false (real view)', {
      inputs: { x2 },
      py: `torch.stft(x2, 8, 2, window=${pyHann(8)}, return_complex=False)`,
      js: ({ x2 }) => torch.stft(x2!, 8, { hopLength: 2, window: hann(8), returnComplex: false }),
    });
    c('stft no window (rectangular)', {
      inputs: { x },
      py: 'torch.view_as_real(torch.stft(x, 8, return_complex=True))',
      js: ({ x }) => asReal(torch.stft(x!, 8, { returnComplex: true })),
    });
    c('stft of a complex signal (two-sided by default)', {
      inputs: { z: typed(dt, Z) },
      py: `torch.view_as_real(torch.stft(torch.view_as_complex(z), 8, 2, window=${pyHann(8)}))`,
      js: ({ z }) => asReal(torch.stft(torch.viewAsComplex(z!), 8, { hopLength: 2, window: hann(8) })),
    });
    c('x.stft method', {
      inputs: { x2 },
      py: 'torch.view_as_real(x2.stft(8, return_complex=True, window=torch.ones(8, dtype=x2.dtype)))',
      js: ({ x2 }) => asReal(x2!.stft(8, { returnComplex: true, window: torch.ones([8], o) })),
    });
    // istft: the spectra of stft above back to signals, each side computing its own spectrum.
    c('istft round trip with length', {
      inputs: { x: typed(dt, X1) },
      py: `w = ${pyHann(16)}\nout = torch.istft(torch.stft(x, 16, 4, window=w, return_complex=True), 16, 4, window=w, length=64)`,
      js: ({ x }) => {
        const w = hann(16);
        return torch.istft(torch.stft(x!, 16, { hopLength: 4, window: w, returnComplex: true }), 16, {
          hopLength: 4,
          window: w,
          length: 64,
        });
      },
    });
    c('istft batched, winLength 10, no length', {
      inputs: { x2 },
      py: `w = ${pyHann(10)}\nout = torch.istft(torch.stft(x2, 16, win_length=10, window=w, return_complex=True), 16, win_length=10, window=w)`,
      js: ({ x2 }) => {
        const w = hann(10);
        const S = torch.stft(x2!, 16, { winLength: 10, window: w, returnComplex: true });
        return torch.istft(S, 16, { winLength: 10, window: w });
      },
    });
    c('x.istft two-sided, normalized, complex output', {
      inputs: { z: typed(dt, Z) },
      py: `w = ${pyHann(8)}\nS = torch.stft(torch.view_as_complex(z), 8, 2, window=w, normalized=True)\nout = torch.view_as_real(S.istft(8, 2, window=w, normalized=True, onesided=False, return_complex=True))`,
      js: ({ z }) => {
        const w = hann(8);
        const S = torch.stft(torch.viewAsComplex(z!), 8, { hopLength: 2, window: w, normalized: true });
        return asReal(S.istft(8, { hopLength: 2, window: w, normalized: true, onesided: false, returnComplex: true }));
      },
    });
  }
  // Gradient of istft with respect to the spectrum (a complex leaf built from a real one).
  const spec = g.randn([9, 17, 2]);
  cases.push({
    name: 'istft gradient with respect to the spectrum [float64]',
    inputs: { s: typed('float64', spec, true) },
    py: 'out = torch.istft(torch.view_as_complex(s), 16, 4, window=torch.hann_window(16, dtype=torch.float64))',
    js: ({ s }) =>
      torch.istft(torch.viewAsComplex(s!), 16, { hopLength: 4, window: torch.hannWindow(16, { dtype: 'float64' }) }),
    rtol: 1e-12,
    atol: 1e-12,
  });
  const x = typed('float32', X1);
  const bad = (name: string, py: string, js: Case['js'], re: RegExp) =>
    cases.push({ name, inputs: { x }, py, js, expectError: re });
  bad(
    'stft without returnComplex for a real signal',
    'torch.stft(x, 16)',
    ({ x }) => torch.stft(x!, 16),
    /\bstft: .*returnComplex/,
  );
  bad(
    'stft window length differs from winLength',
    'torch.stft(x, 16, window=torch.ones(10), return_complex=True)',
    ({ x }) => torch.stft(x!, 16, { window: torch.ones([10]), returnComplex: true }),
    /\bstft.*window.*size \[10\]/,
  );
  bad(
    'stft alignToWindow with center',
    'torch.stft(x, 16, return_complex=True, align_to_window=True)',
    ({ x }) => torch.stft(x!, 16, { returnComplex: true, alignToWindow: true }),
    /\bstft: alignToWindow/,
  );
  bad(
    'stft nFft longer than the signal',
    'torch.stft(x, 200, center=False, return_complex=True)',
    ({ x }) => torch.stft(x!, 200, { center: false, returnComplex: true }),
    /\bstft.*n_fft/,
  );
  bad(
    'stft of a 3-D tensor',
    'torch.stft(x.reshape(2, 2, 16), 8, return_complex=True)',
    ({ x }) => torch.stft(x!.reshape([2, 2, 16]), 8, { returnComplex: true }),
    /\bstft.*1D or 2D/,
  );
  bad(
    'istft of a real tensor',
    'torch.istft(x.reshape(8, 8), 14)',
    ({ x }) => torch.istft(x!.reshape([8, 8]), 14),
    /\bistft.*complex/,
  );
  bad(
    'istft where the window overlap vanishes (center false, hann)',
    'w = torch.hann_window(16)\nout = torch.istft(torch.stft(x, 16, 4, window=w, center=False, return_complex=True), 16, 4, window=w, center=False)',
    ({ x }) => {
      const w = torch.hannWindow(16);
      return torch.istft(torch.stft(x!, 16, { hopLength: 4, window: w, center: false, returnComplex: true }), 16, {
        hopLength: 4,
        window: w,
        center: false,
      });
    },
    /\bistft.*overlap/,
  );
  return cases;
}

paritySuite('stft / istft vs Python torch', stftCases());

describe('stft / istft without Python', () => {
  test('a pure tone lands in its bin; istft gives the signal back', () => {
    torch.scope(() => {
      // cos(2 pi 4 n / 32): with a rectangular 32-point frame its energy sits in bin 4 alone.
      const n = torch.arange(128, { dtype: 'float64' });
      const x = n.mul((2 * Math.PI * 4) / 32).cos();
      const S = torch.stft(x, 32, {
        hopLength: 8,
        window: torch.ones([32], { dtype: 'float64' }),
        returnComplex: true,
      });
      assert.deepEqual(S.shape, [17, 17]);
      const mag = S.abs().select(1, 8).toArray() as number[];
      mag.forEach((m, k) => {
        if (k === 4) assert.ok(Math.abs(m - 16) < 1e-9, `bin 4 = ${m}, expected 16 (N/2)`);
        else assert.ok(m < 1e-9, `bin ${k} = ${m}, expected 0`);
      });
      const y = torch.istft(S, 32, { hopLength: 8, window: torch.ones([32], { dtype: 'float64' }), length: 128 });
      assert.ok((y.sub(x).abs().max().item() as number) < 1e-12);
    });
  });
  test('argument errors are TypeErrors naming the op', () => {
    assert.throws(() => torch.stft([1, 2] as never, 4), { name: 'TypeError', message: /\bstft: argument 'input'/ });
    const x = torch.zeros([16]);
    assert.throws(() => torch.stft(x, 4.5), { name: 'TypeError', message: /\bstft: argument 'nFft'/ });
    assert.throws(() => torch.stft(x, 4, { hop: 2 } as never), {
      name: 'TypeError',
      message: /\bstft: unknown option hop/,
    });
    assert.throws(() => torch.istft(x, 4, 2 as never), {
      name: 'TypeError',
      message: /\bistft: expected an options object/,
    });
  });
  test('stft frees the padded signal', () => {
    const x = torch.randn([64]);
    const before = torch.memory().tensors;
    const S = torch.stft(x, 16, { returnComplex: true, window: torch.scope(() => torch.hannWindow(16)) });
    assert.equal(torch.memory().tensors, before + 2, 'the window and the spectrum, nothing else');
    S.dispose();
  });
});
