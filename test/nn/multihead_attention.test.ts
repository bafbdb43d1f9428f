// MultiheadAttention's kdim/vdim (separate q/k/v projection weights), addBiasKv and addZeroAttn
// against PyTorch's (test/support/layer_parity.ts): the same weights and inputs, then outputs,
// attention weights (averaged and per head), gradients of the inputs and of every parameter,
// state-dict keys in order, and the repr, with key padding and attention masks, batch first,
// unbatched input, and needWeights both ways. Then F.multiHeadAttentionForward against
// F.multi_head_attention_forward (static keys and values included), the initial weights drawn
// from a seed, dropout masks drawn after a seed, and the errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import {
  close,
  describeFunctionalParity,
  describeLayerParity,
  type FunctionalCase,
  type LayerCase,
  v2,
} from '../support/layer_parity.js';
import { runPython, skipWithoutPython } from '../support/python.js';

const nn = torch.nn;
const F = torch.nn.functional;
type T = torch.Tensor;
type CallOptions = Parameters<torch.nn.MultiheadAttention['forward']>[3];

const mha = (m: torch.nn.Module) => m as torch.nn.MultiheadAttention;
const bools = (rows: boolean[][]) => () => torch.tensor(rows);
const NEG = Number.NEGATIVE_INFINITY;
const floats = (shape: number[]) => () => torch.randn(shape, { dtype: 'float64' });

// Key padding masks for a batch of 3 and 4 keys: bool (true = ignore) and float (-inf = ignore).
const kpm3x4 = bools([
  [false, false, false, true],
  [false, true, false, false],
  [false, false, false, false],
]);
const floatKpm3x4 = v2([0, 0, 0, NEG, 0, NEG, 0, 0, 0, 0, 0, 0], [3, 4]);
// A 2-D bool attention mask (5 queries, 4 keys), no row all true.
const mask5x4 = bools([
  [false, true, false, false],
  [false, false, true, false],
  [true, false, false, false],
  [false, false, false, true],
  [false, true, true, false],
]);

/**
 * The call of a case: forward(xs[q], xs[k], xs[v], opts) here, m(xs[q], xs[k], xs[v], kw) in
 * Python; the output and the attention weights compared as one vector. The same index twice is
 * the same Tensor (self-attention, a shared key/value).
 */
const attend = (
  [qi, ki, vi]: [number, number, number],
  opts: (xs: T[]) => CallOptions,
  pyKw = '',
): Pick<LayerCase, 'call' | 'pyCall'> => ({
  call: (m, xs) => {
    const o = opts(xs);
    const [out, w] = mha(m).forward(xs[qi] as T, xs[ki] as T, xs[vi] as T, o);
    if (o?.needWeights === false) {
      assert.equal(w, null, 'no weights without needWeights, as PyTorch');
      return out;
    }
    return torch.cat([out.flatten(), (w as T).flatten()]);
  },
  pyCall: `(lambda r: r[0] if r[1] is None else torch.cat([r[0].flatten(), r[1].flatten()]))(m(xs[${qi}], xs[${ki}], xs[${vi}]${pyKw ? `, ${pyKw}` : ''}))`,
});

const cases: LayerCase[] = [
  {
    name: 'kdim/vdim, sequence first, averaged weights',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5 }),
    py: 'nn.MultiheadAttention(8, 2, kdim=6, vdim=5)',
    inputs: [
      [5, 3, 8],
      [4, 3, 6],
      [4, 3, 5],
    ],
    ...attend([0, 1, 2], () => ({})),
  },
  {
    name: 'kdim/vdim, batch first, bool key padding, needWeights false (scaled_dot_product_attention)',
    make: () => new nn.MultiheadAttention(8, 4, { kdim: 6, vdim: 5, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 4, kdim=6, vdim=5, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 6], [3, 4, 5], kpm3x4],
    noGrad: [3],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], needWeights: false }),
      'key_padding_mask=xs[3], need_weights=False',
    ),
  },
  {
    name: 'kdim only, batch first, float 2-D mask, weights per head',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 3, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, kdim=3, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 3], [3, 4, 8], floats([5, 4])],
    noGrad: [3],
    ...attend(
      [0, 1, 2],
      (xs) => ({ attnMask: xs[3], averageAttnWeights: false }),
      'attn_mask=xs[3], average_attn_weights=False',
    ),
  },
  {
    name: 'kdim = vdim, key is value (separate weights), batch first, float padding',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 6, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 6], floatKpm3x4],
    noGrad: [2],
    ...attend([0, 1, 1], (xs) => ({ keyPaddingMask: xs[2] }), 'key_padding_mask=xs[2]'),
  },
  {
    name: 'kdim and vdim given as embedDim: the packed in_proj_weight',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 8, vdim: 8 }),
    py: 'nn.MultiheadAttention(8, 2, kdim=8, vdim=8)',
    inputs: [
      [5, 3, 8],
      [4, 3, 8],
      [4, 3, 8],
    ],
    ...attend([0, 1, 2], () => ({})),
  },
  {
    name: 'addBiasKv, bool key padding and bool 2-D mask, averaged weights',
    make: () => new nn.MultiheadAttention(8, 2, { addBiasKv: true }),
    py: 'nn.MultiheadAttention(8, 2, add_bias_kv=True)',
    inputs: [[5, 3, 8], [4, 3, 8], [4, 3, 8], kpm3x4, mask5x4],
    noGrad: [3, 4],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], attnMask: xs[4] }),
      'key_padding_mask=xs[3], attn_mask=xs[4]',
    ),
  },
  {
    name: 'addBiasKv, float padding and float 3-D mask, needWeights false',
    make: () => new nn.MultiheadAttention(8, 2, { addBiasKv: true }),
    py: 'nn.MultiheadAttention(8, 2, add_bias_kv=True)',
    inputs: [[5, 3, 8], [4, 3, 8], floatKpm3x4, floats([6, 5, 4])],
    noGrad: [2, 3],
    ...attend(
      [0, 1, 1],
      (xs) => ({ keyPaddingMask: xs[2], attnMask: xs[3], needWeights: false }),
      'key_padding_mask=xs[2], attn_mask=xs[3], need_weights=False',
    ),
  },
  {
    name: 'addBiasKv, self-attention, batch first, weights per head',
    make: () => new nn.MultiheadAttention(8, 4, { addBiasKv: true, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 4, add_bias_kv=True, batch_first=True)',
    inputs: [[3, 4, 8], kpm3x4],
    noGrad: [1],
    ...attend(
      [0, 0, 0],
      (xs) => ({ keyPaddingMask: xs[1], averageAttnWeights: false }),
      'key_padding_mask=xs[1], average_attn_weights=False',
    ),
  },
  {
    name: 'addZeroAttn, bool padding and bool mask, weights per head',
    make: () => new nn.MultiheadAttention(8, 2, { addZeroAttn: true }),
    py: 'nn.MultiheadAttention(8, 2, add_zero_attn=True)',
    inputs: [[5, 3, 8], [4, 3, 8], [4, 3, 8], kpm3x4, mask5x4],
    noGrad: [3, 4],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], attnMask: xs[4], averageAttnWeights: false }),
      'key_padding_mask=xs[3], attn_mask=xs[4], average_attn_weights=False',
    ),
  },
  {
    name: 'addZeroAttn, no masks, needWeights false, batch first',
    make: () => new nn.MultiheadAttention(8, 2, { addZeroAttn: true, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, add_zero_attn=True, batch_first=True)',
    inputs: [
      [3, 5, 8],
      [3, 4, 8],
      [3, 4, 8],
    ],
    ...attend([0, 1, 2], () => ({ needWeights: false }), 'need_weights=False'),
  },
  {
    name: 'addZeroAttn, causal hint alone (the mask is not used; the zero key is past the diagonal)',
    make: () => new nn.MultiheadAttention(8, 2, { addZeroAttn: true, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, add_zero_attn=True, batch_first=True)',
    inputs: [[3, 5, 8], floats([5, 5])],
    noGrad: [1],
    ...attend(
      [0, 0, 0],
      (xs) => ({ attnMask: xs[1], isCausal: true, needWeights: false }),
      'attn_mask=xs[1], is_causal=True, need_weights=False',
    ),
  },
  {
    name: 'addBiasKv and addZeroAttn with kdim/vdim, batch first, padding and mask, averaged weights',
    make: () =>
      new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5, addBiasKv: true, addZeroAttn: true, batchFirst: true }),
    py: 'nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True, batch_first=True)',
    inputs: [[3, 5, 8], [3, 4, 6], [3, 4, 5], kpm3x4, mask5x4],
    noGrad: [3, 4],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], attnMask: xs[4] }),
      'key_padding_mask=xs[3], attn_mask=xs[4]',
    ),
  },
  {
    name: 'addBiasKv and addZeroAttn with kdim/vdim, float masks, needWeights false',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5, addBiasKv: true, addZeroAttn: true }),
    py: 'nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True)',
    inputs: [[5, 3, 8], [4, 3, 6], [4, 3, 5], floatKpm3x4, floats([5, 4])],
    noGrad: [3, 4],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], attnMask: xs[4], needWeights: false }),
      'key_padding_mask=xs[3], attn_mask=xs[4], need_weights=False',
    ),
  },
  {
    name: 'addBiasKv and addZeroAttn, self-attention, bool padding and mask, weights per head',
    make: () => new nn.MultiheadAttention(8, 2, { addBiasKv: true, addZeroAttn: true }),
    py: 'nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)',
    inputs: [[4, 3, 8], kpm3x4, () => torch.ones([4, 4], { dtype: 'bool' }).triu(1)],
    noGrad: [1, 2],
    ...attend(
      [0, 0, 0],
      (xs) => ({ keyPaddingMask: xs[1], attnMask: xs[2], averageAttnWeights: false }),
      'key_padding_mask=xs[1], attn_mask=xs[2], average_attn_weights=False',
    ),
  },
  {
    name: 'unbatched, kdim/vdim, addBiasKv and addZeroAttn, 1-D padding and 3-D mask',
    make: () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5, addBiasKv: true, addZeroAttn: true }),
    py: 'nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True)',
    inputs: [[5, 8], [4, 6], [4, 5], () => torch.tensor([false, true, false, false]), floats([2, 5, 4])],
    noGrad: [3, 4],
    ...attend(
      [0, 1, 2],
      (xs) => ({ keyPaddingMask: xs[3], attnMask: xs[4], averageAttnWeights: false }),
      'key_padding_mask=xs[3], attn_mask=xs[4], average_attn_weights=False',
    ),
  },
  {
    name: 'unbatched, addBiasKv, needWeights false',
    make: () => new nn.MultiheadAttention(8, 2, { addBiasKv: true }),
    py: 'nn.MultiheadAttention(8, 2, add_bias_kv=True)',
    inputs: [
      [5, 8],
      [4, 8],
      [4, 8],
    ],
    ...attend([0, 1, 2], () => ({ needWeights: false }), 'need_weights=False'),
  },
  {
    name: 'no bias, kdim/vdim and addBiasKv (bias_k/bias_v stay), train mode without dropout',
    make: () => new nn.MultiheadAttention(8, 2, { bias: false, kdim: 6, vdim: 5, addBiasKv: true }),
    py: 'nn.MultiheadAttention(8, 2, bias=False, kdim=6, vdim=5, add_bias_kv=True)',
    inputs: [[5, 3, 8], [4, 3, 6], [4, 3, 5], kpm3x4],
    noGrad: [3],
    train: true,
    ...attend([0, 1, 2], (xs) => ({ keyPaddingMask: xs[3] }), 'key_padding_mask=xs[3]'),
  },
];

describeLayerParity('MultiheadAttention kdim/vdim, addBiasKv, addZeroAttn against PyTorch (float64)', cases, 4000);

// ---- the functional form, F.multi_head_attention_forward

const E = 8;
const H = 2;
// Inputs of the functional cases, by position: query (5, 3, 8), key (4, 3, 6), value (4, 3, 5),
// then the weights.
const fcases: FunctionalCase[] = [
  {
    name: 'packed in_proj_weight, biasK/biasV, addZeroAttn, masks, weights per head',
    inputs: [[5, 3, E], [4, 3, E], [4, 3, E], [3 * E, E], [3 * E], [1, 1, E], [1, 1, E], [E, E], [E], kpm3x4, mask5x4],
    noGrad: [9, 10],
    ours: ([q, k, v, w, b, bk, bv, ow, ob, kpm, am]) => {
      const [o, a] = F.multiHeadAttentionForward(
        q as T,
        k as T,
        v as T,
        E,
        H,
        w as T,
        b as T,
        bk as T,
        bv as T,
        true,
        0,
        ow as T,
        ob as T,
        { keyPaddingMask: kpm as T, attnMask: am as T, averageAttnWeights: false },
      );
      return [o, a as T];
    },
    py: 'F.multi_head_attention_forward(xs[0], xs[1], xs[2], 8, 2, xs[3], xs[4], xs[5], xs[6], True, 0.0, xs[7], xs[8], key_padding_mask=xs[9], attn_mask=xs[10], average_attn_weights=False)',
  },
  {
    name: 'separate projection weights (kdim 6, vdim 5), no biases, needWeights false, training false',
    inputs: [[5, 3, E], [4, 3, 6], [4, 3, 5], [E, E], [E, 6], [E, 5], [E, E], floatKpm3x4],
    noGrad: [7],
    ours: ([q, k, v, wq, wk, wv, ow, kpm]) =>
      F.multiHeadAttentionForward(q as T, k as T, v as T, E, H, null, null, null, null, false, 0.5, ow as T, null, {
        training: false,
        keyPaddingMask: kpm as T,
        needWeights: false,
        useSeparateProjWeight: true,
        qProjWeight: wq as T,
        kProjWeight: wk as T,
        vProjWeight: wv as T,
      })[0],
    py: 'F.multi_head_attention_forward(xs[0], xs[1], xs[2], 8, 2, None, None, None, None, False, 0.5, xs[6], None, training=False, key_padding_mask=xs[7], need_weights=False, use_separate_proj_weight=True, q_proj_weight=xs[3], k_proj_weight=xs[4], v_proj_weight=xs[5])[0]',
  },
  {
    name: 'static keys and values with addZeroAttn and padding, averaged weights',
    // static_k/static_v: (batch·heads, S, head dim) = (6, 7, 4); the padding mask is (3, 7).
    inputs: [
      [5, 3, E],
      [4, 3, E],
      [3 * E, E],
      [3 * E],
      [E, E],
      [E],
      [3 * H, 7, E / H],
      [3 * H, 7, E / H],
      bools([Array(7).fill(false), [false, true, ...Array(5).fill(false)], [...Array(6).fill(false), true]]),
    ],
    noGrad: [8],
    ours: ([q, k, w, b, ow, ob, sk, sv, kpm]) => {
      const [o, a] = F.multiHeadAttentionForward(
        q as T,
        k as T,
        k as T,
        E,
        H,
        w as T,
        b as T,
        null,
        null,
        true,
        0,
        ow as T,
        ob as T,
        { keyPaddingMask: kpm as T, staticK: sk as T, staticV: sv as T },
      );
      return [o, a as T];
    },
    py: 'F.multi_head_attention_forward(xs[0], xs[1], xs[1], 8, 2, xs[2], xs[3], None, None, True, 0.0, xs[4], xs[5], key_padding_mask=xs[8], static_k=xs[6], static_v=xs[7])',
  },
  {
    name: 'unbatched, biasK/biasV, separate weights, 3-D mask',
    inputs: [
      [5, E],
      [4, 6],
      [4, 5],
      [E, E],
      [E, 6],
      [E, 5],
      [3 * E],
      [1, 1, E],
      [1, 1, E],
      [E, E],
      [E],
      floats([2, 5, 4]),
    ],
    noGrad: [11],
    ours: ([q, k, v, wq, wk, wv, b, bk, bv, ow, ob, am]) => {
      const [o, a] = F.multiHeadAttentionForward(
        q as T,
        k as T,
        v as T,
        E,
        H,
        null,
        b as T,
        bk as T,
        bv as T,
        false,
        0,
        ow as T,
        ob as T,
        {
          attnMask: am as T,
          useSeparateProjWeight: true,
          qProjWeight: wq as T,
          kProjWeight: wk as T,
          vProjWeight: wv as T,
        },
      );
      return [o, a as T];
    },
    py: 'F.multi_head_attention_forward(xs[0], xs[1], xs[2], 8, 2, None, xs[6], xs[7], xs[8], False, 0.0, xs[9], xs[10], attn_mask=xs[11], use_separate_proj_weight=True, q_proj_weight=xs[3], k_proj_weight=xs[4], v_proj_weight=xs[5])',
  },
];

describeFunctionalParity('F.multiHeadAttentionForward against F.multi_head_attention_forward (float64)', fcases, 4100);

// ---- initial weights from a seed, parameter names, repr, dropout after a seed

const INIT_PY = `
import torch.nn as nn, warnings
warnings.simplefilter('ignore')
out = {}
for name, seed, expr in INPUT:
    torch.manual_seed(seed)
    m = eval(expr)
    out[name] = {
        'state': {k: v.tolist() for k, v in m.state_dict().items()},
        'params': [n for n, _ in m.named_parameters()],
        'repr': repr(m),
        'attrs': [m.kdim, m.vdim, m._qkv_same_embed_dim, m.add_zero_attn, m.in_proj_weight is None, m.bias_k is None],
    }
OUTPUT = out
`;

const inits: Record<string, [number, () => torch.nn.MultiheadAttention, string]> = {
  default: [1, () => new nn.MultiheadAttention(8, 2), 'nn.MultiheadAttention(8, 2)'],
  kdimVdim: [
    2,
    () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5 }),
    'nn.MultiheadAttention(8, 2, kdim=6, vdim=5)',
  ],
  vdimOnly: [3, () => new nn.MultiheadAttention(12, 3, { vdim: 7 }), 'nn.MultiheadAttention(12, 3, vdim=7)'],
  biasKv: [
    4,
    () => new nn.MultiheadAttention(8, 2, { addBiasKv: true }),
    'nn.MultiheadAttention(8, 2, add_bias_kv=True)',
  ],
  everything: [
    5,
    () =>
      new nn.MultiheadAttention(16, 4, { kdim: 10, vdim: 12, addBiasKv: true, addZeroAttn: true, batchFirst: true }),
    'nn.MultiheadAttention(16, 4, kdim=10, vdim=12, add_bias_kv=True, add_zero_attn=True, batch_first=True)',
  ],
  noBias: [
    6,
    () => new nn.MultiheadAttention(8, 4, { bias: false, kdim: 3, addBiasKv: true }),
    'nn.MultiheadAttention(8, 4, bias=False, kdim=3, add_bias_kv=True)',
  ],
  float64: [
    7,
    () => new nn.MultiheadAttention(8, 2, { vdim: 4, addBiasKv: true, dtype: 'float64' }),
    'nn.MultiheadAttention(8, 2, vdim=4, add_bias_kv=True, dtype=torch.float64)',
  ],
};

interface InitResult {
  state: Record<string, unknown>;
  params: string[];
  repr: string;
  attrs: [number, number, boolean, boolean, boolean, boolean];
}

describe('MultiheadAttention initialization, names and repr as PyTorch', { skip: skipWithoutPython() }, () => {
  let theirs: Record<string, InitResult> = {};
  test('run', () => {
    theirs = runPython(
      INIT_PY,
      Object.entries(inits).map(([name, [seed, , py]]) => [name, seed, py]),
    );
  });
  for (const [name, [seed, make]] of Object.entries(inits)) {
    test(`${name}: the same weights from the same seed (to the bit), keys, parameter order, attributes, repr`, () => {
      torch.manualSeed(seed);
      const m = make();
      const t = theirs[name] as InitResult;
      const state = m.stateDict();
      assert.deepEqual(Object.keys(state), Object.keys(t.state), 'state dict keys and order');
      for (const [k, v] of Object.entries(state)) close(v.toArray(), t.state[k], k, Number.MIN_VALUE);
      assert.deepEqual(
        m.namedParameters().map(([n]) => n),
        t.params,
        'named parameters in order',
      );
      assert.deepEqual(
        [m.kdim, m.vdim, m.qkvSameEmbedDim, m.addZeroAttn, m.in_proj_weight === null, m.bias_k === null],
        t.attrs,
      );
      assert.equal(String(m), t.repr);
    });
  }
  test('the separate weights as PyTorch names them (no in_proj_weight)', () => {
    assert.deepEqual(Object.keys(theirs.everything?.state ?? {}), [
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'in_proj_bias',
      'bias_k',
      'bias_v',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    const m = inits.everything?.[1]() as torch.nn.MultiheadAttention;
    assert.deepEqual(m.k_proj_weight?.shape, [16, 10]);
    assert.deepEqual(m.v_proj_weight?.shape, [16, 12]);
    assert.deepEqual(m.bias_k?.shape, [1, 1, 16]);
  });
  test("PyTorch's state dict loads into ours and gives its outputs", () => {
    const out = runPython<{ state: Record<string, number[]>; x: unknown; k: unknown; v: unknown; o: unknown }>(`
import torch.nn as nn
torch.manual_seed(0)
m = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True).double()
x, k, v = torch.randn(4, 2, 8, dtype=torch.float64), torch.randn(3, 2, 6, dtype=torch.float64), torch.randn(3, 2, 5, dtype=torch.float64)
OUTPUT = {'state': m.state_dict(), 'x': x, 'k': k, 'v': v, 'o': m(x, k, v)[0]}
`);
    const m = new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5, addBiasKv: true, addZeroAttn: true }).double();
    const r = m.loadStateDict(
      Object.fromEntries(Object.entries(out.state).map(([k, v]) => [k, torch.tensor(v, { dtype: 'float64' })])),
    );
    assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [] });
    const t = (a: unknown) => torch.tensor(a as number[], { dtype: 'float64' });
    const [o] = m.forward(t(out.x), t(out.k), t(out.v));
    close(o.toArray(), out.o, 'output');
  });
});

const DROPOUT_PY = `
import torch.nn as nn
results = []
for c in INPUT:
    m = eval(c['py']).double()
    m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in c['state'].items()})
    m.train()
    q, k, v = (torch.tensor(x, dtype=torch.float64) for x in c['inputs'])
    torch.manual_seed(c['seed'])
    o, w = m(q, k, v, need_weights=c['needWeights'])
    results.append([o, w])
OUTPUT = results
`;

describe('MultiheadAttention dropout while training draws the same mask as PyTorch after the same seed', {
  skip: skipWithoutPython(),
}, () => {
  const dcases: [string, () => torch.nn.MultiheadAttention, string, boolean][] = [
    [
      'weights (F.dropout on the attention weights), kdim/vdim, addBiasKv, addZeroAttn',
      () => new nn.MultiheadAttention(8, 2, { dropout: 0.5, kdim: 6, vdim: 5, addBiasKv: true, addZeroAttn: true }),
      'nn.MultiheadAttention(8, 2, dropout=0.5, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True)',
      true,
    ],
    [
      'without weights (scaled_dot_product_attention), addBiasKv',
      () => new nn.MultiheadAttention(8, 2, { dropout: 0.3, addBiasKv: true }),
      'nn.MultiheadAttention(8, 2, dropout=0.3, add_bias_kv=True)',
      false,
    ],
  ];
  test('outputs and weights', () => {
    const ours: [T, T | null][] = [];
    const payload = dcases.map(([, make, py, needWeights], i) => {
      torch.manualSeed(4200 + i);
      const m = make().double().train();
      const inputs = [
        torch.randn([5, 3, 8], { dtype: 'float64' }),
        torch.randn([4, 3, m.kdim], { dtype: 'float64' }),
        torch.randn([4, 3, m.vdim], { dtype: 'float64' }),
      ] as const;
      torch.manualSeed(4300 + i);
      ours.push(m.forward(inputs[0], inputs[1], inputs[2], { needWeights }));
      return {
        py,
        needWeights,
        seed: 4300 + i,
        state: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArray()])),
        inputs: inputs.map((x) => x.toArray()),
      };
    });
    const theirs = runPython<[unknown, unknown][]>(DROPOUT_PY, payload);
    ours.forEach(([o, w], i) => {
      const [to, tw] = theirs[i] as [unknown, unknown];
      close(o.toArray(), to, `${dcases[i]?.[0]}: output`);
      if (w === null) assert.equal(tw, null);
      else close(w.toArray(), tw, `${dcases[i]?.[0]}: weights`);
    });
  });
});

// ---- warnings and errors

describe('MultiheadAttention warnings and errors', () => {
  const x = torch.randn([5, 3, 8]);
  const k6 = torch.randn([4, 3, 6]);
  const v5 = torch.randn([4, 3, 5]);
  test('a float key padding mask with a bool attention mask warns once, as PyTorch', async () => {
    const warnings: string[] = [];
    const listen = (w: Error) => {
      if (w.message.includes('mismatched key_padding_mask')) warnings.push(w.message);
    };
    process.on('warning', listen);
    const m = new nn.MultiheadAttention(8, 2);
    const kpm = torch.zeros([3, 5]);
    const am = torch.zeros([5, 5], { dtype: 'bool' });
    m.forward(x, x, x, { keyPaddingMask: kpm, attnMask: am });
    m.forward(x, x, x, { keyPaddingMask: kpm, attnMask: am });
    await new Promise((r) => setImmediate(r));
    process.off('warning', listen);
    assert.deepEqual(warnings, [
      'Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead.',
    ]);
  });
  test('construction', () => {
    assert.throws(
      () => new nn.MultiheadAttention(8, 2, { kdim: -1 }),
      /MultiheadAttention: kdim must be a non-negative integer \(or null for embedDim\), got -1/,
    );
    assert.throws(
      () => new nn.MultiheadAttention(8, 2, { vdim: 2.5 }),
      /MultiheadAttention: vdim must be a non-negative integer/,
    );
    assert.throws(() => new nn.MultiheadAttention(0, 2, { kdim: 3 }), /MultiheadAttention: embed_dim and num_heads/);
  });
  test('keys and values of the wrong size', () => {
    const m = new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5 });
    assert.throws(
      () => m.forward(x, v5, v5),
      (e: Error) =>
        e.constructor === Error &&
        e.message ===
          'MultiheadAttention: key has 5 features but k_proj_weight is [8, 6] (kdim 6); expecting key weights shape of [8, 5]',
    );
    assert.throws(
      () => m.forward(x, k6, k6),
      /MultiheadAttention: value has 6 features but v_proj_weight is \[8, 5\] \(vdim 5\)/,
    );
    assert.throws(() => m.forward(k6, k6, v5), /MultiheadAttention: was expecting embedding dimension of 8, but got 6/);
    assert.throws(
      () => m.forward(x, k6, torch.randn([3, 3, 5])),
      /MultiheadAttention: key's sequence and batch dims \[4, 3\] do not match value's \[3, 3\]/,
    );
    const packed = new nn.MultiheadAttention(8, 2);
    assert.throws(
      () => packed.forward(x, k6, k6),
      /MultiheadAttention: key and value have 6 features but the packed in_proj_weight \[24, 8\] takes 8 .*need separate projection weights \(kdim, vdim\)/,
    );
    assert.throws(
      () => packed.forward(x, k6, v5),
      /MultiheadAttention: key shape \[4, 3, 6\] does not match value shape \[4, 3, 5\]/,
    );
  });
  test('masks with addBiasKv and addZeroAttn are checked in the caller’s terms', () => {
    const m = new nn.MultiheadAttention(8, 2, { addBiasKv: true, addZeroAttn: true });
    assert.throws(
      () => m.forward(x, x, x, { keyPaddingMask: torch.zeros([3, 4], { dtype: 'bool' }) }),
      /MultiheadAttention: Expected key_padding_mask of shape \[3, 5\], got \[3, 4\]/,
    );
    assert.throws(
      () => m.forward(x, x, x, { attnMask: torch.zeros([5, 7], { dtype: 'bool' }) }),
      /MultiheadAttention: The shape of the 2D attn_mask is \[5, 7\], but should be \[5, 5\]/,
    );
    assert.throws(
      () => m.forward(x, x, x, { attnMask: torch.zeros([6, 5, 6]) }),
      /MultiheadAttention: The shape of the 3D attn_mask is \[6, 5, 6\], but should be \[6, 5, 5\]/,
    );
  });
  test('F.multiHeadAttentionForward names itself', () => {
    const w = torch.randn([24, 8]);
    const ow = torch.randn([8, 8]);
    const bk = torch.randn([1, 1, 8]);
    assert.throws(
      () => F.multiHeadAttentionForward(x, x, x, 8, 2, w, null, bk, null, false, 0, ow, null),
      /multiHeadAttentionForward: biasK is set but biasV is null/,
    );
    assert.throws(
      () => F.multiHeadAttentionForward(x, x, x, 8, 2, null, null, null, null, false, 0, ow, null),
      /multiHeadAttentionForward: useSeparateProjWeight is false but inProjWeight is null/,
    );
    assert.throws(
      () =>
        F.multiHeadAttentionForward(x, k6, v5, 8, 2, null, null, null, null, false, 0, ow, null, {
          useSeparateProjWeight: true,
          qProjWeight: ow,
          kProjWeight: torch.randn([8, 6]),
        }),
      /multiHeadAttentionForward: useSeparateProjWeight is true but vProjWeight is null/,
    );
    assert.throws(
      () =>
        F.multiHeadAttentionForward(x, x, x, 8, 2, w, null, bk, bk, false, 0, ow, null, {
          staticK: torch.randn([6, 5, 4]),
        }),
      /multiHeadAttentionForward: bias cannot be added to static key/,
    );
    assert.throws(
      () =>
        F.multiHeadAttentionForward(x, x, x, 8, 2, w, null, null, null, false, 0, ow, null, {
          staticK: torch.randn([6, 5, 3]),
        }),
      /multiHeadAttentionForward: expecting staticK of shape \[6, S, 4\]/,
    );
    assert.throws(
      () => F.multiHeadAttentionForward(x, x, x, 8, 3, w, null, null, null, false, 0, ow, null),
      /multiHeadAttentionForward: embed_dim 8 not divisible by num_heads 3/,
    );
  });
});
