// Parity with Python torch: shape ops (views, copies, joins and splits, pad); index ops
// (indexSelect gather scatter maskedFill maskedSelect index indexPut nonzero); and
// tensor.at(...) against Python's x[...] (integers, slices, ellipsis, None, integer and boolean
// tensors). Values and gradients; one Python run for the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../lib/index.js';
import { generators } from '../support/data.js';
import { bool, type Case, f32, f64, type Inputs, i32, i64, paritySuite } from '../support/parity.js';

function shapeCases(): Case[] {
  const F = torch.nn.functional;
  const g = generators(99);
  const cases: Case[] = [];
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });

  const X = g.randn([2, 3, 4]);
  const Y = g.randn([2, 3, 4]);
  const x = f64(X, true);
  const y = f64(Y, true);
  const sq = f64(g.randn([1, 3, 1, 4]), true);
  const e = f64(g.randn([1, 4, 1]), true);
  const m2 = f64(g.randn([4, 5]), true);

  // ---- views and reshapes
  c('reshape', { inputs: { x }, py: 'x.reshape(4, -1)', js: ({ x }) => x!.reshape([4, -1]) });
  c('reshape flat', { inputs: { x }, py: 'torch.reshape(x, (24,))', js: ({ x }) => torch.reshape(x!, [24]) });
  c('reshape of transposed', {
    inputs: { x },
    py: 'x.transpose(0, 2).reshape(8, 3)',
    js: ({ x }) => x!.transpose(0, 2).reshape([8, 3]),
  });
  c('view', { inputs: { x }, py: 'x.view(6, 4)', js: ({ x }) => x!.view([6, 4]) });
  c('view -1', { inputs: { x }, py: 'x.view(-1)', js: ({ x }) => x!.view([-1]) });
  c('flatten', { inputs: { x }, py: 'x.flatten()', js: ({ x }) => x!.flatten() });
  c('flatten start', { inputs: { x }, py: 'x.flatten(1)', js: ({ x }) => x!.flatten(1) });
  c('flatten start end', { inputs: { x }, py: 'torch.flatten(x, 0, 1)', js: ({ x }) => torch.flatten(x!, 0, 1) });
  c('unflatten', { inputs: { x }, py: 'x.unflatten(2, (2, 2))', js: ({ x }) => x!.unflatten(2, [2, 2]) });
  c('squeeze all', { inputs: { sq }, py: 'sq.squeeze()', js: ({ sq }) => sq!.squeeze() });
  c('squeeze dim', { inputs: { sq }, py: 'sq.squeeze(0)', js: ({ sq }) => sq!.squeeze([0]) });
  c('squeeze dims', { inputs: { sq }, py: 'torch.squeeze(sq, (0, 2))', js: ({ sq }) => torch.squeeze(sq!, [0, 2]) });
  c('squeeze with an int dim (x.squeeze(0))', {
    inputs: { sq },
    py: 'sq.squeeze(0)',
    js: ({ sq }) => (sq!.squeeze as unknown as (d: number) => torch.Tensor).call(sq!, 0),
  });
  c('squeeze non-unit dim is a no-op', { inputs: { sq }, py: 'sq.squeeze(1)', js: ({ sq }) => sq!.squeeze([1]) });
  c('unsqueeze 0', { inputs: { x }, py: 'x.unsqueeze(0)', js: ({ x }) => x!.unsqueeze(0) });
  c('unsqueeze -1', { inputs: { x }, py: 'torch.unsqueeze(x, -1)', js: ({ x }) => torch.unsqueeze(x!, -1) });
  c('unsqueeze middle', { inputs: { x }, py: 'x.unsqueeze(2)', js: ({ x }) => x!.unsqueeze(2) });
  c('permute', { inputs: { x }, py: 'x.permute(2, 0, 1)', js: ({ x }) => x!.permute([2, 0, 1]) });
  c('permute negative dims', {
    inputs: { x },
    py: 'torch.permute(x, (-1, 0, 1))',
    js: ({ x }) => torch.permute(x!, [-1, 0, 1]),
  });
  c('transpose', { inputs: { x }, py: 'x.transpose(0, 2)', js: ({ x }) => x!.transpose(0, 2) });
  c('transpose negative', {
    inputs: { x },
    py: 'torch.transpose(x, -1, -2)',
    js: ({ x }) => torch.transpose(x!, -1, -2),
  });
  c('t', { inputs: { m2 }, py: 'm2.t()', js: ({ m2 }) => m2!.t() });
  c('contiguous of permuted', {
    inputs: { x },
    py: 'x.permute(1, 2, 0).contiguous()',
    js: ({ x }) => x!.permute([1, 2, 0]).contiguous(),
  });
  c('strides and contiguity', {
    inputs: { x },
    py: 'p = x.permute(1, 2, 0)\nout = [p.is_contiguous(), p.contiguous().is_contiguous(), list(p.stride()), list(p.contiguous().stride()), list(x.stride())]',
    js: ({ x }) => {
      const p = x!.permute([1, 2, 0]);
      return [p.isContiguous(), p.contiguous().isContiguous(), p.stride(), p.contiguous().stride(), x!.stride()];
    },
  });
  c('expand', { inputs: { e }, py: 'e.expand(3, 4, 5)', js: ({ e }) => e!.expand([3, 4, 5]) });
  c('expand -1', { inputs: { e }, py: 'e.expand(2, -1, 3)', js: ({ e }) => e!.expand([2, -1, 3]) });
  c('expand new leading dims', { inputs: { e }, py: 'e.expand(2, 2, 4, 3)', js: ({ e }) => e!.expand([2, 2, 4, 3]) });
  c('expandAs', { inputs: { e, z: f64(g.randn([2, 4, 3])) }, py: 'e.expand_as(z)', js: ({ e, z }) => e!.expandAs(z!) });
  c('viewAs', { inputs: { x, z: f64(g.randn([6, 4])) }, py: 'x.view_as(z)', js: ({ x, z }) => x!.viewAs(z!) });
  c('reshapeAs', {
    inputs: { x, z: f64(g.randn([4, 6])) },
    py: 'x.transpose(0, 1).reshape_as(z)',
    js: ({ x, z }) => x!.transpose(0, 1).reshapeAs(z!),
  });
  c('repeat', { inputs: { x }, py: 'x.repeat(2, 1, 3)', js: ({ x }) => x!.repeat([2, 1, 3]) });
  c('repeat more dims', { inputs: { x }, py: 'x.repeat(2, 1, 1, 2)', js: ({ x }) => x!.repeat([2, 1, 1, 2]) });
  c('repeatInterleave dim', {
    inputs: { x },
    py: 'x.repeat_interleave(2, 1)',
    js: ({ x }) => x!.repeatInterleave(2, 1),
  });
  c('repeatInterleave flat', {
    inputs: { x },
    py: 'torch.repeat_interleave(x, 3)',
    js: ({ x }) => torch.repeatInterleave(x!, 3),
  });
  c('tile', { inputs: { x }, py: 'x.tile((2, 2))', js: ({ x }) => x!.tile([2, 2]) });
  c('tile fewer dims', { inputs: { m2 }, py: 'torch.tile(m2, (3,))', js: ({ m2 }) => torch.tile(m2!, [3]) });

  // ---- joins and splits
  c('cat dim 0', { inputs: { x, y }, py: 'torch.cat([x, y])', js: ({ x, y }) => torch.cat([x!, y!]) });
  c('cat dim -1', { inputs: { x, y }, py: 'torch.cat([x, y, x], -1)', js: ({ x, y }) => torch.cat([x!, y!, x!], -1) });
  c('cat different sizes', {
    inputs: { x, z: f64(g.randn([2, 1, 4]), true) },
    py: 'torch.cat([x, z], 1)',
    js: ({ x, z }) => torch.cat([x!, z!], 1),
  });
  c('cat promotes dtypes', {
    inputs: {
      a: i64([
        [1, 2],
        [3, 4],
      ]),
      b: f32([[0.5, 1.5]]),
    },
    py: 'torch.cat([a, b])',
    js: ({ a, b }) => torch.cat([a!, b!]),
  });
  c('concat', { inputs: { x, y }, py: 'torch.concat([x, y], 2)', js: ({ x, y }) => torch.concat([x!, y!], 2) });
  c('stack', { inputs: { x, y }, py: 'torch.stack([x, y])', js: ({ x, y }) => torch.stack([x!, y!]) });
  c('stack dim 2', { inputs: { x, y }, py: 'torch.stack([x, y], 2)', js: ({ x, y }) => torch.stack([x!, y!], 2) });
  c('stack dim -1', {
    inputs: { x, y },
    py: 'torch.stack([x, y, x], -1)',
    js: ({ x, y }) => torch.stack([x!, y!, x!], -1),
  });
  c('split size', { inputs: { x }, py: 'x.split(2, 1)', js: ({ x }) => x!.split(2, 1) });
  c('split sizes', { inputs: { x }, py: 'torch.split(x, [1, 3], 2)', js: ({ x }) => torch.split(x!, [1, 3], 2) });
  c('split default dim', { inputs: { x }, py: 'torch.split(x, 1)', js: ({ x }) => torch.split(x!, 1) });
  c('split grad', {
    inputs: { x },
    py: 'torch.cat([t * (i + 1) for i, t in enumerate(x.split(2, 2))][::-1], 2)',
    js: ({ x }) =>
      torch.cat(
        x!
          .split(2, 2)
          .map((t, i) => t.mul(i + 1))
          .reverse(),
        2,
      ),
  });
  c('chunk uneven', { inputs: { x }, py: 'x.chunk(3, 2)', js: ({ x }) => x!.chunk(3, 2) });
  c('chunk', { inputs: { x }, py: 'torch.chunk(x, 3, 1)', js: ({ x }) => torch.chunk(x!, 3, 1) });
  c('chunk grad', {
    inputs: { x },
    py: 'a, b = x.chunk(2, 2)\nout = a * b',
    js: ({ x }) => {
      const [a, b] = x!.chunk(2, 2);
      return a!.mul(b!);
    },
  });
  c('unbind', { inputs: { x }, py: 'x.unbind(1)', js: ({ x }) => x!.unbind(1) });
  c('unbind grad', {
    inputs: { x },
    py: 'sum(t * (i + 1) for i, t in enumerate(torch.unbind(x)))',
    js: ({ x }) =>
      torch.unbind(x!).reduce((acc, t, i) => acc.add(t.mul(i + 1)), torch.zeros([3, 4], { dtype: 'float64' })),
  });

  // ---- narrowing, slicing and rearranging
  c('narrow', { inputs: { x }, py: 'x.narrow(2, 1, 2)', js: ({ x }) => x!.narrow(2, 1, 2) });
  c('narrow negative start', {
    inputs: { x },
    py: 'torch.narrow(x, 1, -2, 2)',
    js: ({ x }) => torch.narrow(x!, 1, -2, 2),
  });
  c('select', { inputs: { x }, py: 'x.select(1, -1)', js: ({ x }) => x!.select(1, -1) });
  c('select dim 0', { inputs: { x }, py: 'torch.select(x, 0, 1)', js: ({ x }) => torch.select(x!, 0, 1) });
  c('slice step', { inputs: { x }, py: 'x[:, 1::2]', js: ({ x }) => x!.slice(1, 1, null, 2) });
  c('slice negative', { inputs: { x }, py: 'x[:, :, -3:-1]', js: ({ x }) => torch.slice(x!, 2, -3, -1) });
  c('slice end beyond size', { inputs: { x }, py: 'x[:, 1:100]', js: ({ x }) => x!.slice(1, 1, 100) });
  c('slice defaults', { inputs: { x }, py: 'x[:]', js: ({ x }) => x!.slice() });
  c('flip', { inputs: { x }, py: 'x.flip(0, 2)', js: ({ x }) => x!.flip([0, 2]) });
  c('flip last', { inputs: { x }, py: 'torch.flip(x, [-1])', js: ({ x }) => torch.flip(x!, [-1]) });
  c('roll flat', { inputs: { x }, py: 'x.roll(2)', js: ({ x }) => x!.roll(2) });
  c('roll dim', { inputs: { x }, py: 'torch.roll(x, 1, 0)', js: ({ x }) => torch.roll(x!, 1, 0) });
  c('roll dims', { inputs: { x }, py: 'x.roll((1, -1), (1, 2))', js: ({ x }) => x!.roll([1, -1], [1, 2]) });
  c('diagonal', { inputs: { m2 }, py: 'm2.diagonal()', js: ({ m2 }) => m2!.diagonal() });
  c('diagonal offset', {
    inputs: { m2 },
    py: 'torch.diagonal(m2, offset=1)',
    js: ({ m2 }) => torch.diagonal(m2!, { offset: 1 }),
  });
  c('diagonal negative offset', {
    inputs: { m2 },
    py: 'm2.diagonal(-2)',
    js: ({ m2 }) => m2!.diagonal({ offset: -2 }),
  });
  c('diagonal dims', { inputs: { x }, py: 'x.diagonal(0, 1, 2)', js: ({ x }) => x!.diagonal({ dim1: 1, dim2: 2 }) });
  c('tril', { inputs: { m2 }, py: 'm2.tril()', js: ({ m2 }) => m2!.tril() });
  c('triu -1', { inputs: { m2 }, py: 'torch.triu(m2, -1)', js: ({ m2 }) => torch.triu(m2!, -1) });
  c('tril batched', { inputs: { x }, py: 'x.tril(1)', js: ({ x }) => x!.tril(1) });
  c('pad last dim', { inputs: { x }, py: 'F.pad(x, (1, 2))', js: ({ x }) => F.pad(x!, [1, 2]) });
  c('pad two dims value', {
    inputs: { x },
    py: 'F.pad(x, (1, 1, 2, 0), value=3.5)',
    js: ({ x }) => F.pad(x!, [1, 1, 2, 0], { value: 3.5 }),
  });
  c('pad crop', { inputs: { x }, py: 'F.pad(x, (-1, 1))', js: ({ x }) => torch.pad(x!, [-1, 1]) });
  c('pad reflect', {
    inputs: { x },
    py: "F.pad(x, (1, 2), mode='reflect')",
    js: ({ x }) => F.pad(x!, [1, 2], { mode: 'reflect' }),
  });
  c('pad replicate 2d', {
    inputs: { x },
    py: "F.pad(x.unsqueeze(0), (2, 1, 1, 0), mode='replicate')",
    js: ({ x }) => F.pad(x!.unsqueeze(0), [2, 1, 1, 0], { mode: 'replicate' }),
  });
  c('pad circular', {
    inputs: { x },
    py: "F.pad(x, (1, 2), mode='circular')",
    js: ({ x }) => F.pad(x!, [1, 2], { mode: 'circular' }),
  });

  // ---- other dtypes go through the same paths
  c('int64 permute reshape', {
    inputs: { a: i64(g.randint([2, 3, 4], -5, 5)) },
    py: 'a.permute(2, 0, 1).reshape(4, 6)',
    js: ({ a }) => a!.permute([2, 0, 1]).reshape([4, 6]),
  });
  c('float32 cat stack', {
    inputs: { a: f32(X, true), b: f32(Y, true) },
    py: 'torch.stack([torch.cat([a, b], 1), torch.cat([b, a], 1)])',
    js: ({ a, b }) => torch.stack([torch.cat([a!, b!], 1), torch.cat([b!, a!], 1)]),
  });
  c('float32 flip roll', {
    inputs: { a: f32(X, true) },
    py: 'a.flip(1).roll(1, 2)',
    js: ({ a }) => a!.flip([1]).roll(1, 2),
  });
  c('bool transpose', {
    inputs: { a: { data: g.bools([2, 3]), dtype: 'bool' } },
    py: 'a.t().contiguous()',
    js: ({ a }) => a!.t().contiguous(),
  });

  // ---- errors both sides raise
  c('error: split sizes that do not sum', {
    inputs: { x: f64(X) },
    py: 'x.split([1, 1], 1)',
    js: ({ x }) => x!.split([1, 1], 1),
    expectError: true,
  });
  c('error: narrow beyond the end', {
    inputs: { x: f64(X) },
    py: 'x.narrow(2, 3, 2)',
    js: ({ x }) => x!.narrow(2, 3, 2),
    expectError: true,
  });
  c('error: repeat with fewer dims', {
    inputs: { x: f64(X) },
    py: 'x.repeat(2, 2)',
    js: ({ x }) => x!.repeat([2, 2]),
    expectError: true,
  });
  c('error: two -1 in view', {
    inputs: { x: f64(X) },
    py: 'x.view(-1, -1)',
    js: ({ x }) => x!.view([-1, -1]),
    expectError: true,
  });
  c('error: permute with too few dims', {
    inputs: { x: f64(X) },
    py: 'x.permute(1, 0)',
    js: ({ x }) => x!.permute([1, 0]),
    expectError: true,
  });
  c('chunk into more chunks than elements', { inputs: { x }, py: 'x.chunk(5, 0)', js: ({ x }) => x!.chunk(5, 0) });
  c('error: view of non-contiguous', {
    inputs: { x: f64(X) },
    py: 'x.transpose(0, 1).view(-1)',
    js: ({ x }) => x!.transpose(0, 1).view([-1]),
    expectError: true,
  });
  c('error: reshape to wrong size', {
    inputs: { x: f64(X) },
    py: 'x.reshape(5, 5)',
    js: ({ x }) => x!.reshape([5, 5]),
    expectError: true,
  });
  c('error: cat of mismatched shapes', {
    inputs: { x: f64(X), z: f64(g.randn([2, 2, 3])) },
    py: 'torch.cat([x, z], 0)',
    js: ({ x, z }) => torch.cat([x!, z!], 0),
    expectError: true,
  });
  c('error: expand a non-unit dim', {
    inputs: { x: f64(X) },
    py: 'x.expand(2, 6, 4)',
    js: ({ x }) => x!.expand([2, 6, 4]),
    expectError: true,
  });
  c('error: permute with repeated dims', {
    inputs: { x: f64(X) },
    py: 'x.permute(0, 0, 1)',
    js: ({ x }) => x!.permute([0, 0, 1]),
    expectError: true,
  });
  return cases;
}

function indexingCases(): Case[] {
  const g = generators(2024);
  const cases: Case[] = [];
  const c = (name: string, x: Omit<Case, 'name'>) => cases.push({ name, ...x });

  const X = g.randn([4, 5, 6]);
  const x = f64(X, true);
  const x32 = f32(X, true);
  const M = g.randn([3, 4]);
  const m = f64(M, true);

  // ---- index ops
  const SCATTER_IDX = [0, 1, 2].map(() => g.rng.permutation(4).slice(0, 3));
  c('indexSelect', {
    inputs: { m },
    py: 'm.index_select(1, torch.tensor([3, 0, 2]))',
    js: ({ m }) => m!.indexSelect(1, torch.tensor([3, 0, 2])),
  });
  c('indexSelect int32 index', {
    inputs: { m, i: i32([2, 0]) },
    py: 'm.index_select(0, i)',
    js: ({ m, i }) => m!.indexSelect(0, i!),
  });
  c('error: topk larger than the dim', {
    inputs: { m: f64(M) },
    py: 'm.topk(5, 1)',
    js: ({ m }) => m!.topk(5, 1),
    expectError: true,
  });
  c('indexSelect duplicates', {
    inputs: { m },
    py: 'torch.index_select(m, 0, torch.tensor([1, 1, 0]))',
    js: ({ m }) => torch.indexSelect(m!, 0, torch.tensor([1, 1, 0])),
  });
  c('indexSelect float32', {
    inputs: { x32 },
    py: 'x32.index_select(2, torch.tensor([5, 0]))',
    js: ({ x32 }) => x32!.indexSelect(2, torch.tensor([5, 0])),
  });
  c('gather', {
    inputs: { m, i: i64(g.randint([3, 2], 0, 4)) },
    py: 'm.gather(1, i)',
    js: ({ m, i }) => m!.gather(1, i!),
  });
  c('gather dim 0', {
    inputs: { m, i: i64(g.randint([2, 4], 0, 3)) },
    py: 'torch.gather(m, 0, i)',
    js: ({ m, i }) => torch.gather(m!, 0, i!),
  });
  c('gather 3-D', {
    inputs: { x, i: i64(g.randint([4, 5, 2], 0, 6)) },
    py: 'x.gather(-1, i)',
    js: ({ x, i }) => x!.gather(-1, i!),
  });
  c('scatter src', {
    inputs: { m, s: f64(g.randn([3, 3]), true), i: i64(SCATTER_IDX) },
    py: 'm.scatter(1, i, s)',
    js: ({ m, s, i }) => m!.scatter(1, i!, s!),
  });
  c('scatter value', {
    inputs: { m, i: i64(SCATTER_IDX) },
    py: 'torch.scatter(m, 1, i, -2.5)',
    js: ({ m, i }) => torch.scatter(m!, 1, i!, -2.5),
  });
  c('scatterAdd', {
    inputs: { m, s: f64(g.randn([3, 3]), true), i: i64(g.randint([3, 3], 0, 4)) },
    py: 'm.scatter_add(1, i, s)',
    js: ({ m, s, i }) => m!.scatterAdd(1, i!, s!),
  });
  c('scatterAdd dim 0', {
    inputs: { m, s: f64(g.randn([5, 4]), true), i: i64(g.randint([5, 4], 0, 3)) },
    py: 'torch.scatter_add(m, 0, i, s)',
    js: ({ m, s, i }) => torch.scatterAdd(m!, 0, i!, s!),
  });
  c('maskedFill', {
    inputs: { m, k: bool(g.bools([3, 4])) },
    py: 'm.masked_fill(k, -1.5)',
    js: ({ m, k }) => m!.maskedFill(k!, -1.5),
  });
  c('maskedFill broadcast', {
    inputs: { m, k: bool([[true], [false], [true]]) },
    py: 'torch.masked_fill(m, k, 7)',
    js: ({ m, k }) => torch.maskedFill(m!, k!, 7),
  });
  c('maskedFill 0-d tensor value', {
    inputs: { m, k: bool(g.bools([3, 4])), v: f64(0.25, true) },
    py: 'm.masked_fill(k, v)',
    js: ({ m, k, v }) => m!.maskedFill(k!, v!),
  });
  c('maskedFill -inf (attention mask)', {
    inputs: { m },
    py: "m.masked_fill(torch.ones(3, 4, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)",
    js: ({ m }) => m!.maskedFill(torch.ones([3, 4], { dtype: 'bool' }).triu(1), Number.NEGATIVE_INFINITY).softmax(-1),
  });
  c('maskedFill int64', {
    inputs: { a: i64(g.randint([3, 4], 0, 9)), k: bool(g.bools([3, 4])) },
    py: 'a.masked_fill(k, -1)',
    js: ({ a, k }) => a!.maskedFill(k!, -1),
  });
  c('maskedSelect', {
    inputs: { m, k: bool(g.bools([3, 4])) },
    py: 'm.masked_select(k)',
    js: ({ m, k }) => m!.maskedSelect(k!),
  });
  c('maskedSelect broadcast', {
    inputs: { m, k: bool([true, false, true, true]) },
    py: 'torch.masked_select(m, k)',
    js: ({ m, k }) => torch.maskedSelect(m!, k!),
  });
  c('index one tensor', {
    inputs: { x },
    py: 'torch.ops.aten.index(x, [torch.tensor([2, 0])])',
    js: ({ x }) => torch.index(x!, [torch.tensor([2, 0])]),
  });
  c('index with null', {
    inputs: { x },
    py: 'x[:, torch.tensor([4, 1, 1])]',
    js: ({ x }) => x!.index([null, torch.tensor([4, 1, 1])]),
  });
  c('index two tensors', {
    inputs: { x },
    py: 'x[torch.tensor([0, 3]), :, torch.tensor([1, 5])]',
    js: ({ x }) => x!.index([torch.tensor([0, 3]), null, torch.tensor([1, 5])]),
  });
  c('index bool mask', { inputs: { m, k: bool(g.bools([3, 4])) }, py: 'm[k]', js: ({ m, k }) => m!.index([k!]) });
  c('indexPut', {
    inputs: { m, v: f64(g.randn([2, 4]), true) },
    py: 'm.index_put((torch.tensor([2, 0]),), v)',
    js: ({ m, v }) => m!.indexPut([torch.tensor([2, 0])], v!),
  });
  c('indexPut accumulate', {
    inputs: { m, v: f64(g.randn([3]), true) },
    py: 'torch.index_put(m, (torch.tensor([1, 1, 0]), torch.tensor([2, 2, 3])), v, accumulate=True)',
    js: ({ m, v }) => torch.indexPut(m!, [torch.tensor([1, 1, 0]), torch.tensor([2, 2, 3])], v!, { accumulate: true }),
  });
  c('indexPut broadcast value', {
    inputs: { m, v: f64(3.25, true) },
    py: 'm.index_put((torch.tensor([0, 2]),), v)',
    js: ({ m, v }) => m!.indexPut([torch.tensor([0, 2])], v!),
  });
  c('nonzero', {
    inputs: {
      a: i64([
        [0, 1, 0],
        [2, 0, 3],
      ]),
    },
    py: 'a.nonzero()',
    js: ({ a }) => a!.nonzero(),
  });
  c('nonzero of bools', {
    inputs: { k: bool(g.bools([2, 3, 2])) },
    py: 'torch.nonzero(k)',
    js: ({ k }) => torch.nonzero(k!),
  });

  // ---- tensor.at(...) against x[...]
  const IDX = i64([2, 0, 3]);
  const IDX2 = i64([5, 1, 0]);
  const at: [string, string, (t: Inputs) => torch.Tensor, Record<string, ReturnType<typeof i64>>?][] = [
    ['x[1]', 'x[1]', ({ x }) => x!.at(1)],
    ['x[-1]', 'x[-1]', ({ x }) => x!.at(-1)],
    ['x[1, 2, 3]', 'x[1, 2, 3]', ({ x }) => x!.at(1, 2, 3)],
    ['x[-1, -2]', 'x[-1, -2]', ({ x }) => x!.at(-1, -2)],
    ['x[1:3]', 'x[1:3]', ({ x }) => x!.at('1:3')],
    ['x[:, ::2]', 'x[:, ::2]', ({ x }) => x!.at(':', '::2')],
    ['x[1::2, :, 4:]', 'x[1::2, :, 4:]', ({ x }) => x!.at('1::2', ':', '4:')],
    ['x[-3:]', 'x[-3:]', ({ x }) => x!.at('-3:')],
    ['x[:-1, -4:-1]', 'x[:-1, -4:-1]', ({ x }) => x!.at(':-1', '-4:-1')],
    ['x[2:100]', 'x[2:100]', ({ x }) => x!.at('2:100')],
    ['x[3:1] (empty)', 'x[3:1]', ({ x }) => x!.at('3:1')],
    ['x[::3, 2]', 'x[::3, 2]', ({ x }) => x!.at('::3', 2)],
    ['x[..., 1]', 'x[..., 1]', ({ x }) => x!.at('...', 1)],
    ['x[1, ..., 2]', 'x[1, ..., 2]', ({ x }) => x!.at(1, '...', 2)],
    ['x[...]', 'x[...]', ({ x }) => x!.at('...')],
    ['x[..., None]', 'x[..., None]', ({ x }) => x!.at('...', null)],
    ['x[None]', 'x[None]', ({ x }) => x!.at(null)],
    ['x[:, None, 1]', 'x[:, None, 1]', ({ x }) => x!.at(':', null, 1)],
    ['x[1:-1, ..., None]', 'x[1:-1, ..., None]', ({ x }) => x!.at('1:-1', '...', null)],
    ['x[1, None, ..., None, 2]', 'x[1, None, ..., None, 2]', ({ x }) => x!.at(1, null, '...', null, 2)],
    ['x[idx]', 'x[idx]', ({ x, idx }) => x!.at(idx!), { idx: IDX }],
    ['x[:, idx]', 'x[:, idx]', ({ x, idx }) => x!.at(':', idx!), { idx: IDX }],
    ['x[..., idx]', 'x[..., idx2]', ({ x, idx2 }) => x!.at('...', idx2!), { idx2: IDX2 }],
    [
      'x[idx, :, idx2] (separated)',
      'x[idx, :, idx2]',
      ({ x, idx, idx2 }) => x!.at(idx!, ':', idx2!),
      { idx: IDX, idx2: IDX2 },
    ],
    [
      'x[idx, idx2] (adjacent)',
      'x[idx, idx2]',
      ({ x, idx, idx2 }) => x!.at(idx!, idx2!),
      { idx: IDX, idx2: i64([4, 0, 2]) },
    ],
    ['x[:, idx, idx2]', 'x[:, idx, idx2]', ({ x, idx, idx2 }) => x!.at(':', idx!, idx2!), { idx: IDX, idx2: IDX2 }],
    ['x[idx, 1]', 'x[idx, 1]', ({ x, idx }) => x!.at(idx!, 1), { idx: IDX }],
    ['x[1, idx]', 'x[1, idx]', ({ x, idx }) => x!.at(1, idx!), { idx: IDX }],
    ['x[:, 1, idx2]', 'x[:, 1, idx2]', ({ x, idx2 }) => x!.at(':', 1, idx2!), { idx2: IDX2 }],
    ['x[idx, :, 1]', 'x[idx, :, 1]', ({ x, idx }) => x!.at(idx!, ':', 1), { idx: IDX }],
    ['x[0, :, idx2]', 'x[0, :, idx2]', ({ x, idx2 }) => x!.at(0, ':', idx2!), { idx2: IDX2 }],
    ['x[idx, 1, idx2]', 'x[idx, 1, idx2]', ({ x, idx, idx2 }) => x!.at(idx!, 1, idx2!), { idx: IDX, idx2: IDX2 }],
    [
      'x[idx2d]',
      'x[idx2d]',
      ({ x, idx2d }) => x!.at(idx2d!),
      {
        idx2d: i64([
          [0, 1],
          [3, 3],
        ]),
      },
    ],
    [
      'x[:, idx2d, None]',
      'x[:, idx2d, None]',
      ({ x, idx2d }) => x!.at(':', idx2d!, null),
      {
        idx2d: i64([
          [0, 4],
          [2, 2],
        ]),
      },
    ],
    ['x[negative idx]', 'x[idx]', ({ x, idx }) => x!.at(idx!), { idx: i64([-1, 0, -4]) }],
    ['x[int32 idx]', 'x[:, idx]', ({ x, idx }) => x!.at(':', idx!), { idx: i32([1, 4]) }],
    ['x[idx, 1:3]', 'x[idx, 1:3]', ({ x, idx }) => x!.at(idx!, '1:3'), { idx: IDX }],
    ['x[idx, None]', 'x[idx, None]', ({ x, idx }) => x!.at(idx!, null), { idx: IDX }],
    ['x[None, idx]', 'x[None, idx]', ({ x, idx }) => x!.at(null, idx!), { idx: IDX }],
    [
      'x[idx, None, idx2]',
      'x[idx, None, idx2]',
      ({ x, idx, idx2 }) => x!.at(idx!, null, idx2!),
      { idx: IDX, idx2: i64([4, 0, 2]) },
    ],
    ['x[idx, ...]', 'x[idx, ...]', ({ x, idx }) => x!.at(idx!, '...'), { idx: IDX }],
    ['x[..., idx, :]', 'x[..., idx2, :]', ({ x, idx2 }) => x!.at('...', idx2!, ':'), { idx2: i64([4, 0, 2]) }],
    [
      'x[idx2d, 1:, idx2d]',
      'x[idx2d, 1:, idx2d]',
      ({ x, idx2d }) => x!.at(idx2d!, '1:', idx2d!),
      {
        idx2d: i64([
          [0, 1],
          [3, 2],
        ]),
      },
    ],
    ['x[mask]', 'x[mask]', ({ x, mask }) => x!.at(mask!), { mask: bool([true, false, true, true]) }],
    ['x[:, mask]', 'x[:, mask]', ({ x, mask }) => x!.at(':', mask!), { mask: bool([false, true, true, false, true]) }],
    [
      'x[..., mask]',
      'x[..., mask]',
      ({ x, mask }) => x!.at('...', mask!),
      { mask: bool([true, false, false, true, true, false]) },
    ],
    ['x[mask, 1:3]', 'x[mask, 1:3]', ({ x, mask }) => x!.at(mask!, '1:3'), { mask: bool([false, true, false, true]) }],
    ['x[mask2d]', 'x[mask2d]', ({ x, mask2d }) => x!.at(mask2d!), { mask2d: bool(g.bools([4, 5])) }],
    ['x[1, mask2d]', 'x[1, mask2d]', ({ x, mask2d }) => x!.at(1, mask2d!), { mask2d: bool(g.bools([5, 6])) }],
    ['x[..., mask2d]', 'x[..., mask2d]', ({ x, mask2d }) => x!.at('...', mask2d!), { mask2d: bool(g.bools([5, 6])) }],
    ['x[mask2d, ...]', 'x[mask2d, ...]', ({ x, mask2d }) => x!.at(mask2d!, '...'), { mask2d: bool(g.bools([4, 5])) }],
    ['x[mask2d, 0]', 'x[mask2d, 0]', ({ x, mask2d }) => x!.at(mask2d!, 0), { mask2d: bool(g.bools([4, 5])) }],
    ['x[mask3d]', 'x[mask3d]', ({ x, mask3d }) => x!.at(mask3d!), { mask3d: bool(g.bools([4, 5, 6])) }],
    ['x[1][:, 2] (chained)', 'x[1][:, 2]', ({ x }) => x!.at(1).at(':', 2)],
  ];
  for (const [name, py, js, extra] of at) {
    c(`at: ${name}`, { inputs: { x, ...(extra ?? {}) }, py, js });
  }
  c('at: float32 x[idx, ::2]', {
    inputs: { x32, idx: IDX },
    py: 'x32[idx, ::2]',
    js: ({ x32, idx }) => x32!.at(idx!, '::2'),
  });
  c('at: 0-d int64 tensor index', { inputs: { x, i: i64(2) }, py: 'x[i]', js: ({ x, i }) => x!.at(i!) });
  c('at: 0-d int64 tensor after a slice', {
    inputs: { x, i: i64(-1) },
    py: 'x[:, i]',
    js: ({ x, i }) => x!.at(':', i!),
  });
  c('at: 0-d bool tensor index', {
    inputs: { x, b: bool(true) },
    py: 'x[b]',
    js: ({ x, b }) => x!.at(b!),
  });
  c('at: int64 x[1:, -1]', {
    inputs: { a: i64(g.randint([3, 4], -9, 9)) },
    py: 'a[1:, -1]',
    js: ({ a }) => a!.at('1:', -1),
  });
  c('at: 0-d x[...]', {
    inputs: { s: f64(1.5, true) },
    py: 's[...]',
    js: ({ s }) => s!.at('...'),
  });
  c('at: 0-d x[None]', { inputs: { s: f64(1.5, true) }, py: 's[None]', js: ({ s }) => s!.at(null) });
  c('at: is a view (write through)', {
    inputs: { m },
    py: 'y = m.clone()\ny[1:, ::2] = 0\nout = y',
    js: ({ m }) => {
      const y = m!.clone();
      y.at('1:', '::2').zero_();
      return y;
    },
  });

  c('at error: index out of range', { inputs: { x: f64(X) }, py: 'x[4]', js: ({ x }) => x!.at(4), expectError: true });
  c('at error: too many indices', {
    inputs: { x: f64(X) },
    py: 'x[0, 0, 0, 0]',
    js: ({ x }) => x!.at(0, 0, 0, 0),
    expectError: true,
  });
  c('at error: zero step', { inputs: { x: f64(X) }, py: 'x[::0]', js: ({ x }) => x!.at('::0'), expectError: true });
  c('at error: negative step', {
    inputs: { x: f64(X) },
    py: 'x[::-1]',
    js: ({ x }) => x!.at('::-1'),
    expectError: true,
  });
  c('at error: index tensor out of range', {
    inputs: { x: f64(X) },
    py: 'x[torch.tensor([4])]',
    js: ({ x }) => x!.at(torch.tensor([4])),
    expectError: true,
  });
  c('at error: float index tensor', {
    inputs: { x: f64(X) },
    py: 'x[torch.tensor([1.0])]',
    js: ({ x }) => x!.at(torch.tensor([1.5])),
    expectError: true,
  });
  return cases;
}

paritySuite('parity: shape ops and indexing', {
  'shape ops': shapeCases(),
  indexing: indexingCases(),
});

// Python torch accepts several ellipses (x[..., 0, ...]); torch-node, like NumPy, refuses them.
test('at: two ellipses are a TypeError', () => {
  torch.scope(() => {
    const t = torch.zeros([4, 5, 6]);
    assert.throws(() => t.at('...', 0, '...'), TypeError);
  });
});
