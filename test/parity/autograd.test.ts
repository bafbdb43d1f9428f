// Parity with Python torch: autograd itself. backward with an explicit gradient, retainGraph
// and accumulation, backward's inputs, retainGrad, detach, torch.autograd.grad (gradOutputs,
// allowUnused, createGraph and second derivatives), noGrad / enableGrad, requires_grad
// propagation, grad_fn names, and the errors autograd raises.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { type Case, f32, f64, i64, paritySuite } from '../support/parity.js';

const g = generators(55);
const cases: Case[] = [];
const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });

const X = g.randn([3, 4]);
const Y = g.randn([3, 4]);
const V = g.randn([4]);
const x = f64(X, true);
const y = f64(Y, true);
const v = f64(V, true);

// ---- backward
c('backward with gradient', {
  inputs: { x, gy: f64(g.randn([3, 4])) },
  py: 'z = (x * x).sin()\nz.backward(gy)\nout = x.grad',
  js: ({ x, gy }) => {
    const z = x!.mul(x!).sin();
    z.backward(gy!);
    return x!.grad;
  },
  grad: false,
});
c('backward of a scalar', {
  inputs: { x, y },
  py: '((x * y).sum() + x.pow(3).mean()).backward()\nout = [x.grad, y.grad]',
  js: ({ x, y }) => {
    x!.mul(y!).sum().add(x!.pow(3).mean()).backward();
    return [x!.grad, y!.grad];
  },
  grad: false,
});
c('backward with gradient float32', {
  inputs: { a: f32(X, true), gy: f32(g.randn([3, 4])) },
  py: 'z = a.exp() * a\nz.backward(gy)\nout = a.grad',
  js: ({ a, gy }) => {
    const z = a!.exp().mul(a!);
    z.backward(gy!);
    return a!.grad;
  },
  grad: false,
});
c('retainGraph: two backwards accumulate', {
  inputs: { x },
  py: 'z = (x.tanh() * x).sum()\nz.backward(retain_graph=True)\ng1 = x.grad.clone()\nz.backward()\nout = [g1, x.grad]',
  js: ({ x }) => {
    const z = x!.tanh().mul(x!).sum();
    z.backward(null, { retainGraph: true });
    const g1 = x!.grad!.clone();
    z.backward();
    return [g1, x!.grad];
  },
  grad: false,
});
c('gradients accumulate across graphs until zeroed', {
  inputs: { x },
  py: '(x * 2).sum().backward()\n(x * x).sum().backward()\ng2 = x.grad.clone()\nx.grad.zero_()\n(x * 3).sum().backward()\nout = [g2, x.grad]',
  js: ({ x }) => {
    x!.mul(2).sum().backward();
    x!.mul(x!).sum().backward();
    const g2 = x!.grad!.clone();
    x!.grad!.zero_();
    x!.mul(3).sum().backward();
    return [g2, x!.grad];
  },
  grad: false,
});
c('grad set to null then recomputed', {
  inputs: { x },
  py: '(x * 2).sum().backward()\nx.grad = None\n(x * 5).sum().backward()\nout = x.grad',
  js: ({ x }) => {
    x!.mul(2).sum().backward();
    x!.grad = null;
    x!.mul(5).sum().backward();
    return x!.grad;
  },
  grad: false,
});
c('backward inputs restricts the leaves', {
  inputs: { x, y },
  py: '(x * y).sum().backward(inputs=[x])\nout = [x.grad, y.grad]',
  js: ({ x, y }) => {
    x!
      .mul(y!)
      .sum()
      .backward(null, { inputs: [x!] });
    return [x!.grad, y!.grad];
  },
  grad: false,
});
c('retainGrad on a non-leaf', {
  inputs: { x },
  py: 'h = x * 2\nh.retain_grad()\n(h * h).sum().backward()\nout = [h.grad, x.grad]',
  js: ({ x }) => {
    const h = x!.mul(2);
    h.retainGrad();
    h.mul(h).sum().backward();
    return [h.grad, x!.grad];
  },
  grad: false,
});
c('non-leaf grad is None without retainGrad', {
  inputs: { x },
  py: 'h = x * 2\n(h * h).sum().backward()\nout = h.grad',
  js: ({ x }) => {
    const h = x!.mul(2);
    h.mul(h).sum().backward();
    return h.grad;
  },
  grad: false,
});
c('detach stops the gradient', {
  inputs: { x },
  py: '(x * x.detach()).sum().backward()\nout = x.grad',
  js: ({ x }) => {
    x!.mul(x!.detach()).sum().backward();
    return x!.grad;
  },
  grad: false,
});
c('gradient through broadcasting reduces to the input shape', {
  inputs: { x, v },
  py: 'z = x * v + v\nz.backward(torch.ones_like(z))\nout = [x.grad, v.grad]',
  js: ({ x, v }) => {
    const z = x!.mul(v!).add(v!);
    z.backward(torch.onesLike(z));
    return [x!.grad, v!.grad];
  },
  grad: false,
});
c('gradient of a value used twice', {
  inputs: { x },
  py: 'h = x.exp()\n(h * h.sin()).sum().backward()\nout = x.grad',
  js: ({ x }) => {
    const h = x!.exp();
    h.mul(h.sin()).sum().backward();
    return x!.grad;
  },
  grad: false,
});
c('requiresGrad_ on a fresh tensor', {
  inputs: { a: f64(X) },
  py: 'a.requires_grad_()\n(a ** 2).sum().backward()\nout = [a.grad, a.requires_grad, a.is_leaf]',
  js: ({ a }) => {
    a!.requiresGrad_();
    a!.pow(2).sum().backward();
    return [a!.grad, a!.requiresGrad, a!.isLeaf];
  },
  grad: false,
});
c('flags: requires_grad, is_leaf, grad_fn', {
  inputs: { x, a: f64(X) },
  py: 'h = x * a\nout = [x.requires_grad, x.is_leaf, h.requires_grad, h.is_leaf, h.grad_fn.name(), (a * 2).requires_grad, (a * 2).is_leaf, x.exp().grad_fn.name(), x.sum().grad_fn.name(), x.sum(1).grad_fn.name(), x.detach().requires_grad]',
  js: ({ x, a }) => {
    const h = x!.mul(a!);
    return [
      x!.requiresGrad,
      x!.isLeaf,
      h.requiresGrad,
      h.isLeaf,
      h.gradFn,
      a!.mul(2).requiresGrad,
      a!.mul(2).isLeaf,
      x!.exp().gradFn,
      x!.sum().gradFn,
      x!.sum(1).gradFn,
      x!.detach().requiresGrad,
    ];
  },
  grad: false,
});
c('integer results do not require grad', {
  inputs: { x },
  py: 'out = [x.argmax(), x.gt(0), x.max(1).indices, x.long()]',
  js: ({ x }) => [x!.argmax(), x!.gt(0), x!.max(1).indices, x!.long()],
  grad: false,
});

// ---- torch.autograd.grad
c('autograd.grad', {
  inputs: { x, y },
  py: 'out = torch.autograd.grad((x * y.exp()).sum(), [x, y])',
  js: ({ x, y }) => torch.autograd.grad(x!.mul(y!.exp()).sum(), [x!, y!]),
  grad: false,
});
c('autograd.grad does not touch .grad', {
  inputs: { x },
  py: 'gx, = torch.autograd.grad((x ** 3).sum(), x)\nout = [gx, x.grad]',
  js: ({ x }) => [...torch.autograd.grad(x!.pow(3).sum(), x!), x!.grad],
  grad: false,
});
c('autograd.grad gradOutputs', {
  inputs: { x, go: f64(g.randn([3, 4])) },
  py: 'out = torch.autograd.grad(x.sigmoid(), x, grad_outputs=go)',
  js: ({ x, go }) => torch.autograd.grad(x!.sigmoid(), x!, { gradOutputs: [go!] }),
  grad: false,
});
c('autograd.grad of several outputs', {
  inputs: { x, y },
  py: 'out = torch.autograd.grad([(x * y).sum(), (x * x).sum()], [x, y])',
  js: ({ x, y }) => torch.autograd.grad([x!.mul(y!).sum(), x!.mul(x!).sum()], [x!, y!]),
  grad: false,
});
c('autograd.grad allowUnused', {
  inputs: { x, y },
  py: 'out = torch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)',
  js: ({ x, y }) => torch.autograd.grad(x!.mul(2).sum(), [x!, y!], { allowUnused: true }),
  grad: false,
});
c('autograd.grad retainGraph', {
  inputs: { x },
  py: 'z = (x.sin() * x).sum()\ng1, = torch.autograd.grad(z, x, retain_graph=True)\ng2, = torch.autograd.grad(z, x)\nout = [g1, g2]',
  js: ({ x }) => {
    const z = x!.sin().mul(x!).sum();
    const [g1] = torch.autograd.grad(z, x!, { retainGraph: true });
    const [g2] = torch.autograd.grad(z, x!);
    return [g1, g2];
  },
  grad: false,
});
c('second derivative with createGraph', {
  inputs: { x },
  py: 'gx, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)\nggx, = torch.autograd.grad(gx.sum(), x)\nout = [gx.detach(), gx.requires_grad, ggx]',
  js: ({ x }) => {
    const [gx] = torch.autograd.grad(x!.pow(3).sum(), x!, { createGraph: true });
    const [ggx] = torch.autograd.grad(gx!.sum(), x!);
    return [gx!.detach(), gx!.requiresGrad, ggx];
  },
  grad: false,
});
c('gradient penalty (double backward through backward)', {
  inputs: { x, w: f64(g.randn([4, 2]), true) },
  py: 'h = (x @ w).tanh().sum()\ngx, = torch.autograd.grad(h, x, create_graph=True)\n(gx.pow(2).sum()).backward()\nout = w.grad',
  js: ({ x, w }) => {
    const h = x!.matmul(w!).tanh().sum();
    const [gx] = torch.autograd.grad(h, x!, { createGraph: true });
    gx!.pow(2).sum().backward();
    return w!.grad;
  },
  grad: false,
});
c('backward createGraph then grad of grad', {
  inputs: { x },
  py: '(x.exp() * x).sum().backward(create_graph=True)\ngg, = torch.autograd.grad(x.grad.sum(), x)\nout = gg',
  js: ({ x }) => {
    x!.exp().mul(x!).sum().backward(null, { createGraph: true });
    const [gg] = torch.autograd.grad(x!.grad!.sum(), x!);
    return gg;
  },
  grad: false,
});

// ---- grad mode
c('noGrad: results do not require grad', {
  inputs: { x },
  py: 'with torch.no_grad():\n    h = x * 2 + 1\nout = [h, h.requires_grad, h.grad_fn is None]',
  js: ({ x }) => {
    const h = torch.noGrad(() => x!.mul(2).add(1));
    return [h, h.requiresGrad, h.gradFn === null];
  },
  grad: false,
});
c('noGrad: an SGD step keeps the leaf', {
  inputs: { x },
  py: '(x * x).sum().backward()\nwith torch.no_grad():\n    x.sub_(x.grad * 0.1)\nout = [x.detach().clone(), x.is_leaf, x.requires_grad]',
  js: ({ x }) => {
    x!.mul(x!).sum().backward();
    torch.noGrad(() => x!.sub_(x!.grad!.mul(0.1)));
    return [x!.detach().clone(), x!.isLeaf, x!.requiresGrad];
  },
  grad: false,
});
c('enableGrad inside noGrad', {
  inputs: { x },
  py: 'with torch.no_grad():\n    a = x * 2\n    with torch.enable_grad():\n        b = x * 2\nout = [a.requires_grad, b.requires_grad, torch.is_grad_enabled()]',
  js: ({ x }) => {
    const r = torch.noGrad(() => {
      const a = x!.mul(2);
      const b = torch.enableGrad(() => x!.mul(2));
      return [a.requiresGrad, b.requiresGrad];
    });
    return [...r, torch.isGradEnabled()];
  },
  grad: false,
});
c('noGrad result used later has no graph', {
  inputs: { x, y },
  py: 'with torch.no_grad():\n    s = x.exp()\n(s * y).sum().backward()\nout = [x.grad, y.grad]',
  js: ({ x, y }) => {
    const s = torch.noGrad(() => x!.exp());
    s.mul(y!).sum().backward();
    return [x!.grad, y!.grad];
  },
  grad: false,
});

// ---- errors both sides raise
// ---- values and gradients at the awkward points (ties, kinks, zeros, infinities), where
// PyTorch's backward formulas make specific choices
const KINKS = [-1, -0.5, 0, 0, 0.5, 1];
const kinks = f64(KINKS, true);
c('edge: relu, abs, sign at zero', {
  inputs: { k: kinks },
  py: 'k.relu() + k.abs() * 2 + k.sign()',
  js: ({ k }) => k!.relu().add(k!.abs().mul(2)).add(k!.sign()),
});
c('edge: clamp at its bounds', {
  inputs: { k: kinks },
  py: 'k.clamp(min=-0.5, max=0.5)',
  js: ({ k }) => k!.clamp({ min: -0.5, max: 0.5 }),
});
c('clamp with Tensor bounds (broadcast): values and gradients of the input and both bounds', {
  inputs: { x, lo: f64(g.randn([4]), true), hi: f64(g.randn([3, 4]), true) },
  py: 'torch.clamp(x, min=lo, max=hi) + x.clamp(min=lo) * 2 + x.clamp(max=hi) * 3',
  js: ({ x, lo, hi }) =>
    torch
      .clamp(x!, { min: lo!, max: hi! })
      .add(x!.clamp({ min: lo! }).mul(2))
      .add(x!.clamp({ max: hi! }).mul(3)),
});
c('edge: hardtanh and leakyRelu at kinks', {
  inputs: { k: kinks },
  py: 'F.hardtanh(k, -0.5, 0.5) + F.leaky_relu(k, 0.1)',
  js: ({ k }) =>
    torch.nn.functional
      .hardtanh(k!, { minVal: -0.5, maxVal: 0.5 })
      .add(torch.nn.functional.leakyRelu(k!, { negativeSlope: 0.1 })),
});
const TIES = [
  [1, 3, 3],
  [2, 2, -1],
];
c('edge: max() with ties', { inputs: { t: f64(TIES, true) }, py: 't.max()', js: ({ t }) => t!.max() });
c('edge: amax with ties', { inputs: { t: f64(TIES, true) }, py: 't.amax(1)', js: ({ t }) => t!.amax(1) });
c('edge: max(dim) with ties', {
  inputs: { t: f64(TIES, true) },
  py: 't.max(1).values',
  js: ({ t }) => t!.max(1).values,
});
c('edge: max(dim) indices with ties', {
  inputs: { t: f64(TIES) },
  py: 'out = [t.max(1).indices, t.argmax(1), t.min(0).indices, t.argmin()]',
  js: ({ t }) => [t!.max(1).indices, t!.argmax(1), t!.min(0).indices, t!.argmin()],
});
c('edge: maximum and minimum with ties', {
  inputs: { a: f64([1, 2, 3], true), b: f64([1, 0, 3], true) },
  py: 'torch.maximum(a, b) * 2 + torch.minimum(a, b)',
  js: ({ a, b }) => torch.maximum(a!, b!).mul(2).add(torch.minimum(a!, b!)),
});
c('edge: sqrt and pow 0.5 at zero', {
  inputs: { z: f64([0, 1, 4], true) },
  py: 'z.sqrt() + z ** 1.5',
  js: ({ z }) => z!.sqrt().add(z!.pow(1.5)),
});
c('edge: norm of a zero vector', { inputs: { z: f64([0, 0, 0], true) }, py: 'z.norm()', js: ({ z }) => z!.norm() });
c('edge: norm of rows, one of them zero', {
  inputs: {
    z: f64(
      [
        [0, 0],
        [3, 4],
      ],
      true,
    ),
  },
  py: 'z.norm(2, 1)',
  js: ({ z }) => z!.norm(2, 1),
});
c('edge: log of zero', { inputs: { z: f64([0, 1, 2], true) }, py: 'z.log()', js: ({ z }) => z!.log() });
c('edge: std of one element', { inputs: { z: f64([[1.5], [2]], true) }, py: 'z.std(1)', js: ({ z }) => z!.std(1) });
c('edge: logsumexp with -inf', {
  inputs: {
    z: f64(
      [
        [Number.NEGATIVE_INFINITY, 0, 1],
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      ],
      true,
    ),
  },
  py: 'z.logsumexp(1)',
  js: ({ z }) => z!.logsumexp(1),
});
c('edge: softmax with -inf', {
  inputs: {
    z: f64(
      [
        [Number.NEGATIVE_INFINITY, 0, 1],
        [2, Number.NEGATIVE_INFINITY, 2],
      ],
      true,
    ),
  },
  py: 'z.softmax(1)',
  js: ({ z }) => z!.softmax(1),
});
c('edge: crossEntropy with every target ignored', {
  inputs: {
    z: f64(
      [
        [0.5, 1],
        [2, -1],
      ],
      true,
    ),
    y: i64([-100, -100]),
  },
  py: 'F.cross_entropy(z, y)',
  js: ({ z, y }) => torch.nn.functional.crossEntropy(z!, y!),
});
c('edge: where gradient', {
  inputs: { a: f64([1, -2, 3], true), b: f64([0.5, 0.25, -1], true) },
  py: 'torch.where(a > 0, a * b, b)',
  js: ({ a, b }) => torch.where(a!.gt(0), a!.mul(b!), b!),
});
c('edge: sort with ties (stable)', {
  inputs: { t: f64([3, 1, 3, 1, 2], true) },
  py: 'out = t.sort(stable=True).values * torch.arange(5)',
  js: ({ t }) => t!.sort(-1, { stable: true }).values.mul(torch.arange(5)),
});
c('edge: round half to even', {
  inputs: { z: f64([0.5, 1.5, 2.5, -0.5, -1.5, 2.675]) },
  py: 'out = [z.round(), z.round(decimals=2)]',
  js: ({ z }) => [z!.round(), z!.round({ decimals: 2 })],
});

c('error: backward twice without retainGraph', {
  inputs: { x },
  py: 'z = (x * x).sum()\nz.backward()\nz.backward()',
  js: ({ x }) => {
    const z = x!.mul(x!).sum();
    z.backward();
    z.backward();
  },
  expectError: true,
});
c('error: backward of a non-scalar without gradient', {
  inputs: { x },
  py: '(x * 2).backward()',
  js: ({ x }) => x!.mul(2).backward(),
  expectError: true,
});
c('error: backward of a tensor that does not require grad', {
  inputs: { a: f64(X) },
  py: '(a * 2).sum().backward()',
  js: ({ a }) => a!.mul(2).sum().backward(),
  expectError: true,
});
c('error: backward with a gradient of the wrong shape', {
  inputs: { x },
  py: '(x * 2).backward(torch.ones(4, dtype=torch.float64))',
  js: ({ x }) => x!.mul(2).backward(torch.ones([4], { dtype: 'float64' })),
  expectError: true,
});
c('error: a saved tensor modified in place', {
  inputs: { x },
  py: 'h = x.exp()\nh.add_(1)\nh.sum().backward()',
  js: ({ x }) => {
    const h = x!.exp();
    h.add_(1);
    h.sum().backward();
  },
  expectError: true,
});
c('error: autograd.grad of an unused input without allowUnused', {
  inputs: { x, y },
  py: 'torch.autograd.grad((x * 2).sum(), [x, y])',
  js: ({ x, y }) => torch.autograd.grad(x!.mul(2).sum(), [x!, y!]),
  expectError: true,
});
c('error: requiresGrad on an integer tensor', {
  inputs: { a: i64([1, 2, 3]) },
  py: 'a.requires_grad_()',
  js: ({ a }) => a!.requiresGrad_(),
  expectError: true,
});

paritySuite('parity: autograd', cases);

test('noGrad restores grad mode after a throw', () => {
  assert.equal(torch.isGradEnabled(), true);
  assert.throws(() =>
    torch.noGrad(() => {
      throw new Error('boom');
    }),
  );
  assert.equal(torch.isGradEnabled(), true);
});
