// Complex dtypes against Python torch: complex64/complex128 tensors (creation, parts, conj views,
// arithmetic), the torch.fft transforms (every norm, n/s and dim, 1-D, 2-D and n-D, with
// gradients), linalg.eig/eigvals/vecdot and complex input to the rest of linalg, and printing
// (String(t) equal to Python's repr). Complex results cross as torch.viewAsReal(...) on both sides,
// compared to the bit in float64 (and float32 where the kernels are the same); gradients in
// float64. Without Python torch the Python parts are skipped, saying why; the first describe()
// needs no Python.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import * as torch from '../../lib/index.js';
import { generators, type Nested } from '../support/data.js';
import { type Case, FLOAT_DTYPES, f64, paritySuite, typed } from '../support/parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

// One thread, as the Python side runs: pocketfft groups a batch of 1-D transforms into SIMD lanes
// per thread, so a batched transform's last bits depend on the number of threads (in PyTorch too).
torch.setNumThreads(1);

const F = torch.fft;
const L = torch.linalg;
const exact = { rtol: 0, atol: 0 };

describe('complex dtypes without Python', () => {
  test('names, aliases, codes and predicates', () => {
    assert.equal(torch.cfloat, 'complex64');
    assert.equal(torch.cdouble, 'complex128');
    assert.equal(torch.complex64, 'complex64');
    assert.equal(torch.complex128, 'complex128');
    for (const dt of ['complex64', 'complex128'] as const) {
      const z = torch.zeros([2, 3], { dtype: dt });
      assert.equal(z.dtype, dt);
      assert.equal(z.elementSize(), dt === 'complex64' ? 8 : 16);
      assert.equal(torch.isComplex(dt), true);
      assert.equal(torch.isComplex(z), true);
      assert.equal(z.isComplex(), true);
      assert.equal(torch.isFloatingPoint(dt), false, 'complex is not floating point, as in PyTorch');
      assert.equal(z.to('float64').dtype, 'float64');
    }
    assert.equal(torch.isComplex('float64'), false);
    assert.equal(torch.isComplex(torch.zeros([1])), false);
    assert.equal(torch.zeros([1]).isComplex(), false);
    // Promotion: a real tensor with a complex one is complex.
    assert.equal(torch.ones([2]).add(torch.ones([2], { dtype: 'complex64' })).dtype, 'complex64');
    assert.equal(
      torch.ones([2], { dtype: 'float64' }).mul(torch.ones([2], { dtype: 'complex64' })).dtype,
      'complex128',
    );
  });

  test('torch.tensor with a complex dtype takes real numbers (imaginary part 0)', () => {
    const z = torch.tensor([1.5, -2, 3], { dtype: 'complex64' });
    assert.deepEqual(torch.viewAsReal(z).toArray(), [
      [1.5, 0],
      [-2, 0],
      [3, 0],
    ]);
    const w = torch.tensor(new Float64Array([0.1, 0.2]), { dtype: 'complex128' });
    assert.deepEqual([...w.toTypedArray()], [0.1, 0, 0.2, 0]);
  });

  test('toTypedArray interleaves (real, imaginary); conj and neg views read as they print', () => {
    const z = torch.complex(torch.tensor([1, 3], { dtype: 'float32' }), torch.tensor([2, -1], { dtype: 'float32' }));
    const a = z.toTypedArray();
    assert.ok(a instanceof Float32Array);
    assert.deepEqual([...a], [1, 2, 3, -1]);
    const c = z.conj();
    assert.equal(c.isConj(), true);
    assert.deepEqual([...c.toTypedArray()], [1, -2, 3, 1]);
    const z64 = z.to('complex128');
    assert.ok(z64.toTypedArray() instanceof Float64Array);
    // x.conj().imag is a view with the negative bit.
    const im = c.imag;
    assert.equal(im.isNeg(), true);
    assert.deepEqual(im.toArray(), [-2, 1]);
    assert.deepEqual(im.resolveNeg().toArray(), [-2, 1]);
    assert.deepEqual(torch.viewAsReal(c.resolveConj()).toArray(), [
      [1, -2],
      [3, 1],
    ]);
    assert.deepEqual(torch.viewAsReal(z.conjPhysical()).toArray(), [
      [1, -2],
      [3, 1],
    ]);
    // conjPhysical conjugates the values as they read: of a conj view, the original ones.
    assert.deepEqual(torch.viewAsReal(c.conjPhysical()).toArray(), [
      [1, 2],
      [3, -1],
    ]);
  });

  test('item() and toArray() of a complex tensor throw, pointing to viewAsReal', () => {
    const z = torch.tensor([2], { dtype: 'complex64' });
    assert.throws(() => z.item(), /item: a complex64 tensor has no JavaScript number.*torch\.viewAsReal/);
    assert.throws(() => z.toArray(), /toArray: a complex64 tensor has no JavaScript form.*torch\.viewAsReal/);
    assert.throws(() => z.to('complex128').reshape([]).item(), /complex128/);
    assert.equal(torch.viewAsReal(z).select(0, 0).select(0, 0).item(), 2);
  });

  test('x.real and x.imag are getters over views; assigning copies into them', () => {
    const z = torch.zeros([3], { dtype: 'complex128' });
    z.real = torch.tensor([1, 2, 3], { dtype: 'float64' });
    z.imag = -0.5;
    assert.deepEqual(torch.viewAsReal(z).toArray(), [
      [1, -0.5],
      [2, -0.5],
      [3, -0.5],
    ]);
    // The getters share memory with z.
    z.real.mul_(2);
    assert.deepEqual(z.real.toArray(), [2, 4, 6]);
    assert.equal(z.imag.dtype, 'float64');
    assert.equal(torch.zeros([2], { dtype: 'complex64' }).real.dtype, 'float32');
    // A real tensor is its own real part and has no imaginary one, as in PyTorch.
    const x = torch.tensor([1, 2]);
    assert.deepEqual(x.real.toArray(), [1, 2]);
    assert.throws(() => x.imag, /imag is not implemented for tensors with non-complex dtypes/);
    assert.throws(() => {
      (z as unknown as { real: unknown }).real = 'a';
    }, TypeError);
  });

  test('viewAsComplex, viewAsReal and friends give clear errors', () => {
    assert.throws(
      () => torch.viewAsComplex(torch.zeros([2, 3])),
      /view_as_complex: Tensor must have a last dimension of size 2/,
    );
    assert.throws(() => torch.viewAsComplex(torch.zeros([2, 2], { dtype: 'int64' })), /view_as_complex/);
    assert.throws(() => torch.viewAsReal(torch.zeros([2])), /view_as_real is only supported for complex tensors/);
    assert.throws(() => torch.viewAsReal(torch.zeros([2], { dtype: 'complex64' }).conj()), /resolve_conj/);
    assert.throws(() => F.fft(torch.zeros([4]), null, -1, { norm: 'bogus' }), /Invalid normalization mode/);
    assert.throws(() => torch.complex(torch.zeros([2]), torch.zeros([2], { dtype: 'float64' })), /complex/);
    assert.throws(() => L.eig(torch.zeros([2, 3])), /linalg.eig/);
  });

  test('a complex scalar result: abs and angle are real, sum stays complex', () => {
    const z = torch.complex(torch.tensor([3.0], { dtype: 'float64' }), torch.tensor([4.0], { dtype: 'float64' }));
    assert.equal(z.abs().item(), 5);
    assert.equal(z.abs().dtype, 'float64');
    assert.equal(z.angle().item(), Math.atan2(4, 3));
    assert.equal(z.sum().dtype, 'complex128');
  });
});

// ---- parity with Python

/** The py and js spellings of an fft call: `n`/`s` and `dim` positional, norm in the options. */
function fftCall(
  fn: string,
  input: { py: string; js: (t: Record<string, torch.Tensor>) => torch.Tensor },
  size: number | number[] | undefined,
  dim: number | number[] | undefined,
  norm: string | undefined,
  sizeName: 'n' | 's',
): { py: string; js: (t: Record<string, torch.Tensor>) => torch.Tensor; label: string } {
  const pyTuple = (v: number | number[]) =>
    Array.isArray(v) ? `(${v.join(', ')}${v.length === 1 ? ',' : ''})` : String(v);
  const args = [input.py];
  if (size !== undefined) args.push(`${sizeName}=${pyTuple(size)}`);
  if (dim !== undefined) args.push(`dim=${pyTuple(dim)}`);
  if (norm !== undefined) args.push(`norm='${norm}'`);
  const py = `torch.fft.${fn}(${args.join(', ')})`;
  const f = (F as unknown as Record<string, (...a: unknown[]) => torch.Tensor>)[fn] as (
    ...a: unknown[]
  ) => torch.Tensor;
  const js = (t: Record<string, torch.Tensor>) => {
    const a: unknown[] = [input.js(t)];
    if (size !== undefined || dim !== undefined) a.push(size ?? null);
    if (dim !== undefined) a.push(dim);
    if (norm !== undefined) a.push({ norm });
    return f(...a);
  };
  const label = `${fn}${size !== undefined ? ` ${sizeName}=${JSON.stringify(size)}` : ''}${dim !== undefined ? ` dim=${JSON.stringify(dim)}` : ''}${norm !== undefined ? ` ${norm}` : ''}`;
  return { py, js, label };
}

const REAL_OUT = new Set(['irfft', 'hfft', 'irfft2', 'hfft2', 'irfftn', 'hfftn']);
const REAL_IN = new Set(['rfft', 'ihfft', 'rfft2', 'ihfft2', 'rfftn', 'ihfftn']);

function fftCases(): Case[] {
  const g = generators(2718);
  const cases: Case[] = [];
  const X = g.randn([4, 6]);
  const XC = g.randn([4, 6, 2]);
  const X3 = g.randn([3, 4, 5]);
  const XC3 = g.randn([3, 4, 5, 2]);
  const norms = [undefined, 'backward', 'forward', 'ortho'];
  for (const dt of FLOAT_DTYPES) {
    // pocketfft, the same build on both sides: the same bits in float32 too.
    const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...x });
    const inputs = { x: typed(dt, X), xc: typed(dt, XC), x3: typed(dt, X3), xc3: typed(dt, XC3) };
    const real2 = { py: 'x', js: (t: Record<string, torch.Tensor>) => t.x! };
    const cplx2 = {
      py: 'torch.view_as_complex(xc)',
      js: (t: Record<string, torch.Tensor>) => torch.viewAsComplex(t.xc!),
    };
    const real3 = { py: 'x3', js: (t: Record<string, torch.Tensor>) => t.x3! };
    const cplx3 = {
      py: 'torch.view_as_complex(xc3)',
      js: (t: Record<string, torch.Tensor>) => torch.viewAsComplex(t.xc3!),
    };
    const add = (
      fn: string,
      input: typeof real2,
      size: number | number[] | undefined,
      dim: number | number[] | undefined,
      norm: string | undefined,
      sizeName: 'n' | 's',
    ) => {
      const call = fftCall(fn, input, size, dim, norm, sizeName);
      const realOut = REAL_OUT.has(fn);
      // ihfft (and ifft of a real input) give a conj view, as in PyTorch: resolved to view as real.
      c(`${call.label}${input === cplx2 || input === cplx3 ? ' of complex' : ''}`, {
        inputs,
        py: realOut ? call.py : `torch.view_as_real(${call.py}.resolve_conj())`,
        js: (t) => (realOut ? call.js(t) : torch.viewAsReal(call.js(t).resolveConj())),
      });
    };
    for (const fn of ['fft', 'ifft', 'rfft', 'irfft', 'hfft', 'ihfft']) {
      const input = REAL_IN.has(fn) ? real2 : cplx2;
      for (const norm of norms) add(fn, input, undefined, undefined, norm, 'n');
      add(fn, input, 10, undefined, undefined, 'n');
      add(fn, input, 3, 0, 'ortho', 'n');
      add(fn, input, undefined, 0, undefined, 'n');
      add(fn, input, 8, -1, 'forward', 'n');
    }
    // fft and ifft of a real input give complex too.
    add('fft', real2, undefined, undefined, undefined, 'n');
    add('ifft', real2, 5, 0, 'ortho', 'n');
    for (const fn of ['fft2', 'ifft2', 'rfft2', 'irfft2', 'hfft2', 'ihfft2']) {
      const input = REAL_IN.has(fn) ? real3 : cplx3;
      for (const norm of norms) add(fn, input, undefined, undefined, norm, 's');
      add(fn, input, [6, 8], undefined, undefined, 's');
      add(fn, input, [3, 4], [0, 2], 'ortho', 's');
      add(fn, input, undefined, [-1, 0], 'forward', 's');
    }
    for (const fn of ['fftn', 'ifftn', 'rfftn', 'irfftn', 'hfftn', 'ihfftn']) {
      const input = REAL_IN.has(fn) ? real3 : cplx3;
      for (const norm of norms) add(fn, input, undefined, undefined, norm, 's');
      add(fn, input, [2, 6, 7], undefined, undefined, 's');
      add(fn, input, undefined, [0, 2], 'ortho', 's');
      add(fn, input, [6], 1, undefined, 's');
    }
    add('fftn', real3, undefined, [1, 2], undefined, 's');
    // An inverse undoes its transform.
    c('irfft of rfft', {
      inputs,
      py: 'torch.fft.irfft(torch.fft.rfft(x), n=6)',
      js: (t) => F.irfft(F.rfft(t.x!), 6),
      rtol: 0,
      atol: 0,
    });
  }
  cases.push(
    {
      name: 'norm given positionally in Python, in the options here',
      inputs: { x: f64(X) },
      py: "torch.view_as_real(torch.fft.fft(x, None, 0, 'ortho'))",
      js: (t) => torch.viewAsReal(F.fft(t.x!, null, 0, { norm: 'ortho' })),
      ...exact,
    },
    {
      name: 'only the options object (norm), n and dim at their defaults',
      inputs: { x: f64(X) },
      py: "torch.view_as_real(torch.fft.rfft2(x, norm='forward'))",
      js: (t) => torch.viewAsReal(F.rfft2(t.x!, { norm: 'forward' })),
      ...exact,
    },
    {
      name: 'fftshift of fft, fftfreq beside it',
      inputs: { x: f64(X) },
      py: 'torch.view_as_real(torch.fft.fftshift(torch.fft.fft(x), -1))',
      js: (t) => torch.viewAsReal(F.fftshift(F.fft(t.x!), -1)),
      ...exact,
    },
    {
      name: 'bad norm',
      inputs: { x: f64(X) },
      py: "torch.fft.fft(x, norm='bogus')",
      js: (t) => F.fft(t.x!, { norm: 'bogus' }),
      expectError: /Invalid normalization mode/,
    },
    {
      name: 'irfft2 of a 1-D input',
      inputs: { x: f64([1, 2, 3]) },
      py: 'torch.fft.irfft2(x)',
      js: (t) => F.irfft2(t.x!),
      expectError: true,
    },
  );
  return cases;
}

function gradCases(): Case[] {
  const g = generators(31415);
  const X = g.randn([3, 8]);
  const XC = g.randn([3, 5, 2]);
  const X3 = g.randn([2, 4, 6]);
  const XC3 = g.randn([2, 3, 4, 2]);
  const rg = (d: Nested) => f64(d, true);
  const cases: Case[] = [
    {
      name: 'rfft(x).abs().sum()',
      inputs: { x: rg(X) },
      py: 'torch.fft.rfft(x).abs().sum()',
      js: (t) => F.rfft(t.x!).abs().sum(),
    },
    { name: 'rfft(x).abs()', inputs: { x: rg(X) }, py: 'torch.fft.rfft(x).abs()', js: (t) => F.rfft(t.x!).abs() },
    {
      name: 'fft ortho, viewed as real',
      inputs: { x: rg(X) },
      py: "torch.view_as_real(torch.fft.fft(x, norm='ortho'))",
      js: (t) => torch.viewAsReal(F.fft(t.x!, { norm: 'ortho' })),
    },
    {
      name: 'ifft of a complex input (grad through view_as_complex)',
      inputs: { xc: rg(XC) },
      py: 'torch.view_as_real(torch.fft.ifft(torch.view_as_complex(xc), n=7))',
      js: (t) => torch.viewAsReal(F.ifft(torch.viewAsComplex(t.xc!), 7)),
    },
    {
      name: 'irfft n=10',
      inputs: { xc: rg(XC) },
      py: 'torch.fft.irfft(torch.view_as_complex(xc), n=10)',
      js: (t) => F.irfft(torch.viewAsComplex(t.xc!), 10),
    },
    {
      name: 'hfft',
      inputs: { xc: rg(XC) },
      py: "torch.fft.hfft(torch.view_as_complex(xc), norm='forward')",
      js: (t) => F.hfft(torch.viewAsComplex(t.xc!), { norm: 'forward' }),
    },
    {
      name: 'ihfft (a conj view, resolved)',
      inputs: { x: rg(X) },
      py: 'torch.view_as_real(torch.fft.ihfft(x, dim=0).resolve_conj())',
      js: (t) => torch.viewAsReal(F.ihfft(t.x!, null, 0).resolveConj()),
    },
    {
      name: 'rfft2(x).abs()',
      inputs: { x3: rg(X3) },
      py: 'torch.fft.rfft2(x3).abs()',
      js: (t) => F.rfft2(t.x3!).abs(),
    },
    {
      name: 'irfftn s',
      inputs: { xc3: rg(XC3) },
      py: 'torch.fft.irfftn(torch.view_as_complex(xc3), s=(3, 6))',
      js: (t) => F.irfftn(torch.viewAsComplex(t.xc3!), [3, 6]),
    },
    {
      name: 'fftn of complex',
      inputs: { xc3: rg(XC3) },
      py: 'torch.view_as_real(torch.fft.fftn(torch.view_as_complex(xc3)))',
      js: (t) => torch.viewAsReal(F.fftn(torch.viewAsComplex(t.xc3!))),
    },
    {
      name: 'abs of complex',
      inputs: { xc: rg(XC) },
      py: 'torch.view_as_complex(xc).abs()',
      js: (t) => torch.viewAsComplex(t.xc!).abs(),
    },
    {
      name: 'angle of complex',
      inputs: { xc: rg(XC) },
      py: 'torch.view_as_complex(xc).angle()',
      js: (t) => torch.viewAsComplex(t.xc!).angle(),
    },
    {
      name: 'complex product and conj',
      inputs: { xc: rg(XC) },
      py: 'z = torch.view_as_complex(xc)\nout = torch.view_as_real(z * z.conj() + z * z)',
      js: (t) => {
        const z = torch.viewAsComplex(t.xc!);
        return torch.viewAsReal(z.mul(z.conj()).add(z.mul(z)));
      },
    },
    {
      name: 'polar',
      inputs: { a: rg(g.uniform([5], 0.5, 2)), b: rg(g.randn([5])) },
      py: 'torch.view_as_real(torch.polar(a, b))',
      js: (t) => torch.viewAsReal(torch.polar(t.a!, t.b!)),
    },
    {
      name: 'complex(real, imag).abs()',
      inputs: { a: rg(g.randn([5])), b: rg(g.randn([5])) },
      py: 'torch.complex(a, b).abs()',
      js: (t) => torch.complex(t.a!, t.b!).abs(),
    },
    {
      name: 'real and imag',
      inputs: { xc: rg(XC) },
      py: 'z = torch.view_as_complex(xc)\nout = torch.real(z) * 2 + z.imag * 3',
      js: (t) => {
        const z = torch.viewAsComplex(t.xc!);
        return torch.real(z).mul(2).add(z.imag.mul(3));
      },
    },
    {
      name: 'eigvals(A).abs()',
      inputs: { a: rg(g.randn([4, 4])) },
      py: 'torch.linalg.eigvals(a).abs()',
      js: (t) => L.eigvals(t.a!).abs(),
    },
    {
      name: 'eig eigenvalues, real and imaginary',
      inputs: { a: rg(g.randn([3, 3])) },
      py: 'torch.view_as_real(torch.linalg.eig(a).eigenvalues)',
      js: (t) => torch.viewAsReal(L.eig(t.a!).eigenvalues),
    },
  ];
  // The same kernels and backward formulas: the same bits.
  return cases.map((c) => ({ ...c, ...exact }));
}

function complexCases(): Case[] {
  const g = generators(1618);
  const cases: Case[] = [];
  const XC = g.randn([4, 6, 2]);
  const YC = g.randn([4, 6, 2]);
  const A = g.randn([4, 4]);
  const AC = g.randn([3, 3, 2]);
  for (const dt of FLOAT_DTYPES) {
    const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name: `${name} [${dt}]`, ...exact, ...x });
    const cdt = dt === 'float64' ? 'complex128' : 'complex64';
    const xc = typed(dt, XC);
    const yc = typed(dt, YC);
    const z = (t: Record<string, torch.Tensor>) => torch.viewAsComplex(t.xc!);
    const w = (t: Record<string, torch.Tensor>) => torch.viewAsComplex(t.yc!);
    const Z = 'torch.view_as_complex(xc)';
    const W = 'torch.view_as_complex(yc)';
    const R = (e: string) => `torch.view_as_real(${e})`;
    c('tensor(reals, dtype=complex)', {
      inputs: {},
      py: R(`torch.tensor([[1.5, -2], [0, 3.25]], dtype=torch.${cdt})`),
      js: () =>
        torch.viewAsReal(
          torch.tensor(
            [
              [1.5, -2],
              [0, 3.25],
            ],
            { dtype: cdt },
          ),
        ),
    });
    c('ones of a complex dtype', {
      inputs: {},
      py: R(`torch.ones(2, 3, dtype=torch.${cdt})`),
      js: () => torch.viewAsReal(torch.ones([2, 3], { dtype: cdt })),
    });
    c('view_as_complex then view_as_real', { inputs: { xc }, py: R(Z), js: (t) => torch.viewAsReal(z(t)) });
    c('complex(real, imag)', {
      inputs: { xc },
      py: R('torch.complex(xc[..., 0], xc[..., 1])'),
      js: (t) => torch.viewAsReal(torch.complex(t.xc!.select(-1, 0), t.xc!.select(-1, 1))),
    });
    c('polar', {
      inputs: { xc },
      py: R('torch.polar(xc[..., 0].abs(), xc[..., 1])'),
      js: (t) => torch.viewAsReal(torch.polar(t.xc!.select(-1, 0).abs(), t.xc!.select(-1, 1))),
    });
    c('torch.real', { inputs: { xc }, py: `torch.real(${Z})`, js: (t) => torch.real(z(t)) });
    c('torch.imag', { inputs: { xc }, py: `torch.imag(${Z})`, js: (t) => torch.imag(z(t)) });
    c('.real and .imag', {
      inputs: { xc },
      py: `torch.stack([${Z}.real, ${Z}.imag])`,
      js: (t) => torch.stack([z(t).real, z(t).imag]),
    });
    c('abs', { inputs: { xc }, py: `${Z}.abs()`, js: (t) => z(t).abs() });
    c('angle', { inputs: { xc }, py: `${Z}.angle()`, js: (t) => z(t).angle() });
    c('angle of a real tensor', { inputs: { xc }, py: 'torch.angle(xc)', js: (t) => torch.angle(t.xc!) });
    c('conj is a view with the conjugate bit', {
      inputs: { xc },
      py: `torch.is_conj(${Z}.conj())`,
      js: (t) => torch.isConj(z(t).conj()),
    });
    c('conj resolved', {
      inputs: { xc },
      py: R(`torch.conj(${Z}).resolve_conj()`),
      js: (t) => torch.viewAsReal(torch.conj(z(t)).resolveConj()),
    });
    c('conj_physical', {
      inputs: { xc },
      py: R(`${Z}.conj_physical()`),
      js: (t) => torch.viewAsReal(z(t).conjPhysical()),
    });
    c('conj_physical_', {
      inputs: { xc },
      py: `u = ${Z}.clone()\nu.conj_physical_()\nout = torch.view_as_real(u)`,
      js: (t) => torch.viewAsReal(z(t).clone().conjPhysical_()),
    });
    c('imag of conj is a negative view', {
      inputs: { xc },
      py: `torch.is_neg(${Z}.conj().imag)`,
      js: (t) => torch.isNeg(z(t).conj().imag),
    });
    c('imag of conj, resolved', {
      inputs: { xc },
      py: `${Z}.conj().imag.resolve_neg()`,
      js: (t) => z(t).conj().imag.resolveNeg(),
    });
    c('view_as_real of a conj view', {
      inputs: { xc },
      py: R(`${Z}.conj()`),
      js: (t) => torch.viewAsReal(z(t).conj()),
      expectError: /resolve_conj/,
    });
    c('sgn', { inputs: { xc }, py: R(`${Z}.sgn()`), js: (t) => torch.viewAsReal(z(t).sgn()) });
    c('exp', { inputs: { xc }, py: R(`${Z}.exp()`), js: (t) => torch.viewAsReal(z(t).exp()) });
    c('mul, add, div', {
      inputs: { xc, yc },
      py: R(`${Z} * ${W} + ${Z} / ${W}`),
      js: (t) =>
        torch.viewAsReal(
          z(t)
            .mul(w(t))
            .add(z(t).div(w(t))),
        ),
    });
    c('with a JS number', {
      inputs: { xc },
      py: R(`${Z} * 2.5 + 1`),
      js: (t) => torch.viewAsReal(z(t).mul(2.5).add(1)),
    });
    c('with a real tensor', {
      inputs: { xc },
      py: R(`${Z} + xc[..., 0]`),
      js: (t) => torch.viewAsReal(z(t).add(t.xc!.select(-1, 0))),
    });
    c('matmul', {
      inputs: { xc, yc },
      py: R(`${Z} @ ${W}.mT`),
      js: (t) => torch.viewAsReal(z(t).matmul(w(t).transpose(-2, -1))),
    });
    c('sum and mean', {
      inputs: { xc },
      py: R(`torch.stack([${Z}.sum(1), ${Z}.mean(1)])`),
      js: (t) => torch.viewAsReal(torch.stack([z(t).sum(1), z(t).mean(1)])),
    });
    c('vdot', {
      inputs: { xc, yc },
      py: R(`torch.vdot(${Z}[0], ${W}[0])`),
      js: (t) => torch.viewAsReal(torch.vdot(z(t).select(0, 0), w(t).select(0, 0))),
    });
    c('linalg.vecdot', {
      inputs: { xc, yc },
      py: R(`torch.linalg.vecdot(${Z}, ${W})`),
      js: (t) => torch.viewAsReal(L.vecdot(z(t), w(t))),
    });
    c('linalg.vecdot dim=0', {
      inputs: { xc, yc },
      py: R(`torch.linalg.vecdot(${Z}, ${W}, dim=0)`),
      js: (t) => torch.viewAsReal(L.vecdot(z(t), w(t), { dim: 0 })),
    });
    c('to a complex dtype', {
      inputs: { xc },
      py: R(`xc.to(torch.${cdt})`),
      js: (t) => torch.viewAsReal(t.xc!.to(cdt)),
    });
    c('complex of mismatched dtypes', {
      inputs: { xc },
      py: 'torch.complex(xc, xc.double() if xc.dtype == torch.float32 else xc.float())',
      js: (t) => torch.complex(t.xc!, t.xc!.to(dt === 'float32' ? 'float64' : 'float32')),
      expectError: true,
    });
    c('view_as_complex of a last dim of 3', {
      inputs: { xc },
      py: 'torch.view_as_complex(xc[..., :1].expand(4, 6, 3).contiguous())',
      js: (t) => torch.viewAsComplex(t.xc!.narrow(-1, 0, 1).expand([4, 6, 3]).contiguous()),
      expectError: /last dimension of size 2/,
    });
    c('imag of a real tensor', {
      inputs: { xc },
      py: 'torch.imag(xc)',
      js: (t) => torch.imag(t.xc!),
      expectError: /non-complex/,
    });

    // linalg: eig and eigvals, and complex input to the rest
    const a = typed(dt, A);
    const ac = typed(dt, AC);
    const AZ = 'torch.view_as_complex(ac)';
    const az = (t: Record<string, torch.Tensor>) => torch.viewAsComplex(t.ac!);
    c('linalg.eigvals', {
      inputs: { a },
      py: R('torch.linalg.eigvals(a)'),
      js: (t) => torch.viewAsReal(L.eigvals(t.a!)),
    });
    c('linalg.eig', {
      inputs: { a },
      py: 'out = [torch.view_as_real(t) for t in torch.linalg.eig(a)]',
      js: (t) => {
        const [vals, vecs] = L.eig(t.a!);
        return [torch.viewAsReal(vals), torch.viewAsReal(vecs)];
      },
    });
    c('linalg.eig names its results', {
      inputs: { a },
      py: R('torch.linalg.eig(a).eigenvectors'),
      js: (t) => torch.viewAsReal(L.eig(t.a!).eigenvectors),
    });
    c('linalg.eig of a complex matrix', {
      inputs: { ac },
      py: `out = [torch.view_as_real(t) for t in torch.linalg.eig(${AZ})]`,
      js: (t) => L.eig(az(t)).map((x) => torch.viewAsReal(x)),
    });
    c('linalg.eigvals of a batch', {
      inputs: { a },
      py: R('torch.linalg.eigvals(torch.stack([a, a.mT]))'),
      js: (t) => torch.viewAsReal(L.eigvals(torch.stack([t.a!, t.a!.transpose(-2, -1)]))),
    });
    c('linalg.eig of a non-square matrix', {
      inputs: { a },
      py: 'torch.linalg.eig(a[:, :3])',
      js: (t) => L.eig(t.a!.narrow(1, 0, 3)),
      expectError: /square/,
    });
    c('linalg.det of complex', {
      inputs: { ac },
      py: R(`torch.linalg.det(${AZ})`),
      js: (t) => torch.viewAsReal(L.det(az(t))),
    });
    c('linalg.inv of complex', {
      inputs: { ac },
      py: R(`torch.linalg.inv(${AZ})`),
      js: (t) => torch.viewAsReal(L.inv(az(t))),
    });
    c('linalg.svdvals of complex', { inputs: { ac }, py: `torch.linalg.svdvals(${AZ})`, js: (t) => L.svdvals(az(t)) });
    c('linalg.eigvalsh of a Hermitian matrix', {
      inputs: { ac },
      py: `z = ${AZ}\nout = torch.linalg.eigvalsh(z + z.mH)`,
      js: (t) => {
        const m = az(t);
        return L.eigvalsh(m.add(m.transpose(-2, -1).conj()));
      },
    });
  }
  return cases;
}

paritySuite('parity: complex dtypes, torch.fft, linalg.eig', {
  complex: complexCases(),
  fft: fftCases(),
  gradients: gradCases(),
});

// ---- printing: String(t) and util.inspect(t) equal Python's repr(t)

interface PrintCase {
  name: string;
  /** Python: an expression giving the tensor. */
  py: string;
  js: () => torch.Tensor;
}

/** A complex tensor of `shape` from (real, imaginary) pairs, the same on both sides. */
function fromPairs(
  name: string,
  pairs: number[],
  shape: number[],
  dtype: 'complex64' | 'complex128' = 'complex64',
): PrintCase {
  const num = (v: number) =>
    Number.isNaN(v)
      ? "float('nan')"
      : v === Infinity
        ? "float('inf')"
        : v === -Infinity
          ? "float('-inf')"
          : Object.is(v, -0)
            ? '-0.0'
            : String(v);
  return {
    name,
    py: `torch.view_as_complex(torch.tensor([${pairs.map(num).join(', ')}], dtype=torch.float64).reshape(${[...shape, 2].join(', ')},)).to(torch.${dtype})`,
    js: () => torch.viewAsComplex(torch.tensor(pairs, { dtype: 'float64' }).reshape([...shape, 2])).to(dtype),
  };
}

function printCases(): PrintCase[] {
  const g = generators(4242);
  const randPairs = (n: number, scale = 1) =>
    (g.randn([n * 2], scale) as number[]).map((v) => Math.round(v * 1e6) / 1e6);
  const arange = (n: number) => Array.from({ length: n }, (_, i) => i);
  return [
    fromPairs('1-d small integers', [1, 2, 3, -1], [2]),
    fromPairs('0-d', [1.5, -0.25], []),
    fromPairs('0-d zero', [0, 0], []),
    fromPairs('negative zero imaginary parts', [1, -0, -2, 0, 0, -0], [3]),
    fromPairs('2-d fractions', randPairs(6), [2, 3]),
    fromPairs('3-d fractions', randPairs(24, 3), [2, 3, 4]),
    fromPairs('real and imaginary parts of different widths', [1, 200, -30, 4, 5, -0.5], [3]),
    fromPairs('scientific real part', [1e-5, 1, 100, 0, 3, 2], [3]),
    fromPairs('scientific imaginary part', [1, 1e9, 2, -3, 0, 1], [3]),
    fromPairs('both scientific', [1e-7, -1e8, 2e5, 3e-6], [2]),
    fromPairs('nan and inf', [Number.NaN, 1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, Number.NaN], [3]),
    fromPairs('complex128', randPairs(4), [2, 2], 'complex128'),
    fromPairs('complex128 integers', [1, 2, 3, 4], [2], 'complex128'),
    fromPairs('wraps at 80 columns', randPairs(30), [30]),
    fromPairs('wraps, 2-d', randPairs(40, 10), [2, 20]),
    fromPairs('empty', [], [0]),
    fromPairs('empty 2-d', [], [2, 0]),
    fromPairs('empty complex128', [], [0], 'complex128'),
    {
      name: 'summarised above 1000 elements',
      py: 'torch.complex(torch.arange(2400, dtype=torch.float32), -torch.arange(2400, dtype=torch.float32) / 7).reshape(4, 20, 30)',
      js: () =>
        torch
          .complex(torch.arange(2400, { dtype: 'float32' }), torch.arange(2400, { dtype: 'float32' }).neg().div(7))
          .reshape([4, 20, 30]),
    },
    {
      name: 'summarised 1-d, integers',
      py: 'torch.complex(torch.arange(1500.), torch.ones(1500))',
      js: () => torch.complex(torch.arange(1500, { dtype: 'float32' }), torch.ones([1500])),
    },
    {
      name: 'conj view',
      py: 'torch.tensor([1+2j, -3.5-1j]).conj()',
      js: () => torch.complex(torch.tensor([1, -3.5]), torch.tensor([2, -1], { dtype: 'float32' })).conj(),
    },
    {
      name: 'requires_grad',
      py: 'torch.zeros(2, dtype=torch.complex64, requires_grad=True)',
      js: () => torch.zeros([2], { dtype: 'complex64', requiresGrad: true }),
    },
    {
      name: 'grad_fn of an fft',
      py: 'torch.fft.fft(torch.ones(3, requires_grad=True))',
      js: () => F.fft(torch.ones([3], { requiresGrad: true })),
    },
    {
      name: 'real part of complex128',
      py: 'torch.tensor([1+2j, 3.5+0j], dtype=torch.complex128).real',
      js: () =>
        torch.complex(torch.tensor([1, 3.5], { dtype: 'float64' }), torch.tensor([2, 0], { dtype: 'float64' })).real,
    },
    {
      name: 'a transposed (non-contiguous) view',
      py: 'torch.view_as_complex(torch.arange(12.).reshape(3, 2, 2)).t()',
      js: () => torch.viewAsComplex(torch.arange(12, { dtype: 'float32' }).reshape([3, 2, 2])).t(),
    },
    {
      name: 'fft output',
      py: 'torch.fft.fft(torch.arange(8.))',
      js: () => F.fft(torch.arange(8, { dtype: 'float32' })),
    },
    {
      name: 'arange pairs',
      py: 'torch.view_as_complex(torch.arange(20.).reshape(10, 2))',
      js: () => torch.viewAsComplex(torch.tensor(arange(20), { dtype: 'float32' }).reshape([10, 2])),
    },
  ];
}

describe('printing complex tensors as Python does', { skip: skipWithoutPython() }, () => {
  const cases = printCases();
  let reprs: string[] = [];
  before(() => {
    reprs = runPython<string[]>(
      'OUTPUT = [repr(eval(e)) for e in INPUT]',
      cases.map((c) => c.py),
    );
  });
  for (const [i, c] of cases.entries()) {
    test(c.name, () => {
      torch.scope(() => {
        const t = c.js();
        assert.equal(String(t), reprs[i], `${c.name}: String(t)`);
        assert.equal(inspect(t), reprs[i], `${c.name}: inspect(t)`);
      });
    });
  }
});
