// Checkpoints against Python torch, both ways, in two Python runs:
//   1. Files written here load in Python with torch.load(weights_only=True), with the values,
//      dtypes, shapes, requires_grad and container types compared; and Python writes its own
//      fixtures (a CNN state dict with BatchNorm, Adam and SGD state dicts, views with offsets
//      and strides, shared storages, Parameters, every dtype, odd values) plus safetensors
//      reference files, with the values it expects.
//   2. What this side loaded from Python and saved again goes back to Python: the model and the
//      optimizers load it with load_state_dict, and it compares equal to the originals.
// safetensors byte equality is checked against safetensors.torch.save_file; those parts skip,
// saying why, where the Python package is missing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '../../lib/index.js';
import { saveTesting } from '../../lib/torch/serialization/pt.js';
import { runPython, skipWithoutPython, skipWithoutPythonPackage } from '../support/python.js';

const skipPython = skipWithoutPython();

const skipSafetensors = skipWithoutPythonPackage('safetensors');

type Nested = number | boolean | Nested[];

/** Safetensors test tensors, the same on both sides: name, dtype, shape, values. */
const ST_SPECS: { name: string; dtype: torch.DType; shape: number[]; values: (number | boolean)[] }[] = [
  { name: 'weight', dtype: 'float32', shape: [2, 3], values: [0.5, -1.25, 3, 1e-3, 7, -0.5] },
  { name: 'bias', dtype: 'float32', shape: [3], values: [1, 2, 3] },
  { name: 'B', dtype: 'float32', shape: [1], values: [4] },
  { name: 'a.b', dtype: 'float32', shape: [], values: [2.5] },
  { name: 'é', dtype: 'float32', shape: [1], values: [9] },
  { name: '10', dtype: 'float64', shape: [2], values: [Math.PI, -1e300] },
  { name: '9', dtype: 'float64', shape: [0], values: [] },
  { name: 'half', dtype: 'float16', shape: [2, 2], values: [1.5, -2, 65504, 0.000061035] },
  { name: 'bf', dtype: 'bfloat16', shape: [3], values: [1.5, -256, 0.25] },
  { name: 'long', dtype: 'int64', shape: [3], values: [-(2 ** 40), 0, 2 ** 50] },
  { name: 'int', dtype: 'int32', shape: [2], values: [-(2 ** 31), 2 ** 31 - 1] },
  { name: 'short', dtype: 'int16', shape: [2], values: [-32768, 32767] },
  { name: 'i8', dtype: 'int8', shape: [2], values: [-128, 127] },
  { name: 'u8', dtype: 'uint8', shape: [2], values: [0, 255] },
  { name: 'mask', dtype: 'bool', shape: [3], values: [true, false, true] },
  { name: 'empty', dtype: 'int32', shape: [2, 0], values: [] },
];

function stTensor(s: (typeof ST_SPECS)[number]): torch.Tensor {
  return torch.tensor(s.values as number[], { dtype: s.dtype }).reshape(s.shape);
}

const PY_DESCRIBE = `
import collections, os, zipfile, warnings
warnings.simplefilter('ignore')
def D(o):
    """A JSON-able description of a loaded object: types kept, tensors with their metadata."""
    if isinstance(o, torch.nn.Parameter):
        return {'param': D(o.data), 'rg': o.requires_grad}
    if isinstance(o, torch.Tensor):
        return {'dtype': str(o.dtype).replace('torch.', ''), 'shape': list(o.shape), 'rg': o.requires_grad,
                'values': o.detach().float().tolist() if o.dtype in (torch.float16, torch.bfloat16) else o.detach().tolist(),
                'contig': o.is_contiguous(), 'device': str(o.device),
                'storage': str(o.untyped_storage().data_ptr()), 'offset': o.storage_offset(), 'stride': list(o.stride())}
    if isinstance(o, torch.dtype): return {'pydtype': str(o).replace('torch.', '')}
    if isinstance(o, torch.device): return {'pydevice': str(o)}
    if isinstance(o, bool): return {'bool': o}
    if isinstance(o, int): return {'int': str(o)}
    if isinstance(o, float): return {'float': o}
    if isinstance(o, str): return {'str': o}
    if o is None: return {'none': True}
    if isinstance(o, bytes): return {'bytes': list(o)}
    if isinstance(o, (set, frozenset)): return {'set': sorted([D(x) for x in o], key=repr)}
    if isinstance(o, tuple): return {'tuple': [D(x) for x in o]}
    if isinstance(o, list): return {'list': [D(x) for x in o]}
    if isinstance(o, dict):
        r = {'dict': type(o).__name__, 'items': [[D(k), D(v)] for k, v in o.items()]}
        md = getattr(o, '_metadata', None)
        if md is not None: r['metadata'] = D(md)
        return r
    return {'other': repr(o)}
`;

// ---- what Python writes (run 1)
const PY_FIXTURES = `
d = INPUT['dir']
torch.manual_seed(0)
import torch.nn as nn
class CNN(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(1, 4, 3, padding=1)
        s.bn = nn.BatchNorm2d(4)
        s.fc = nn.Linear(4 * 4 * 4, 3)
    def forward(s, x):
        return s.fc(torch.relu(s.bn(s.conv(x))).flatten(1))
m = CNN()
x = torch.randn(2, 1, 4, 4)
adam = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.8, 0.99))
for _ in range(2):
    adam.zero_grad(); m(x).sum().backward(); adam.step()
sgd = torch.optim.SGD([{'params': [m.conv.weight, m.conv.bias]}, {'params': list(m.fc.parameters()), 'lr': 0.5}], lr=0.1, momentum=0.9)
sgd.zero_grad(); m(x).sum().backward(); sgd.step()
torch.save(m.state_dict(), f'{d}/cnn.pt')
torch.save(adam.state_dict(), f'{d}/adam.pt')
torch.save(sgd.state_dict(), f'{d}/sgd.pt')

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict([
    ('base', base), ('slice', base[1:, ::2]), ('t', base.t()), ('row', base[2]), ('elem', base[3, 5]),
    ('cols', base[:, 1:3]), ('expand', base[1:2, 2:5].expand(3, 3)), ('diag', base.diagonal()),
    ('overlap', base.view(-1).as_strided((3, 4), (2, 1), 1)), ('tail', base.view(-1)[20:]),
    ('perm', base.view(2, 3, 4).permute(2, 0, 1)), ('unit', base[1:2, 3:4]),
])
tied = torch.randn(3, 2)
torch.save({'views': views, 'tied_a': tied, 'tied_b': tied, 'tied_view': tied.view(6)}, f'{d}/views.pt')

dtypes = {
    'f16': torch.tensor([1.5, -2.0, 65504.0], dtype=torch.float16),
    'bf16': torch.tensor([1.5, -256.0, 3.0e38], dtype=torch.bfloat16),
    'f64': torch.tensor([[3.141592653589793, -1e-300]], dtype=torch.float64),
    'i64': torch.tensor([2**62 + 1, -2**63, 5]),
    'i32': torch.tensor([-2**31, 7], dtype=torch.int32),
    'i16': torch.tensor([-3], dtype=torch.int16),
    'i8': torch.tensor([[-128, 127]], dtype=torch.int8),
    'u8': torch.tensor([0, 255], dtype=torch.uint8),
    'b': torch.tensor([True, False]),
    'scalar': torch.tensor(2.5),
    'empty': torch.zeros(0, 3),
    'grad': torch.ones(2, requires_grad=True),
}
torch.save(dtypes, f'{d}/dtypes.pt')
torch.save({'p': nn.Parameter(torch.ones(2)), 'q': nn.Parameter(torch.zeros(2), requires_grad=False),
            'params': list(nn.Linear(2, 1).parameters())}, f'{d}/params.pt')
misc = {'tuple': (1, 2.5, 'a'), 'none': None, 'big': 2**80, 'neg': -5, 'float_int': 2.0, 'flag': True,
        'bytes': b'abc\\x00\\xff', 'set': {1, 2}, 'dtype': torch.float16, 'device': torch.device('cpu'),
        'size': torch.Size([2, 3]), 'nested': {'l': [1, [2, {'x': torch.tensor([1.0])}]], 3: 'int key', '4': 'str key'},
        'counter': collections.Counter('aab'), 'od': collections.OrderedDict(b=1, a=2)}
torch.save(misc, f'{d}/misc.pt')
torch.save(torch.arange(3), f'{d}/bare.pt')
torch.save({'a': torch.ones(1)}, f'{d}/legacy.pt', _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.trace(nn.Linear(2, 2), torch.ones(1, 2)), f'{d}/script.pt')
torch.save({'w': torch.ones(2)}, f'{d}/proto4.pt', pickle_protocol=4)

exp = {}
for name in ['cnn', 'adam', 'sgd', 'views', 'dtypes', 'params', 'misc', 'bare', 'proto4']:
    # Python's own weights_only loader refuses protocol 4 (torch-node reads its data opcodes).
    exp[name] = D(torch.load(f'{d}/{name}.pt', weights_only=name != 'proto4'))
exp['i64_exact'] = [str(v) for v in dtypes['i64'].tolist()]
exp['cnn_metadata_keys'] = list(m.state_dict()._metadata.keys())

# Our files, read by Python.
ours = {}
for name in INPUT['ours']:
    try:
        ours[name] = D(torch.load(f'{d}/{name}', weights_only=True))
    except Exception as e:
        ours[name] = {'error': f'{type(e).__name__}: {e}'}
ours['i64_strings'] = [str(v) for v in torch.load(f'{d}/ours_i64.pt', weights_only=True)['v'].tolist()]
ours['zip64_names'] = zipfile.ZipFile(f'{d}/ours_zip64.pt').namelist()

# safetensors: the reference writes the same tensors; reads ours.
st = {}
if INPUT['safetensors']:
    from safetensors.torch import save_file, load_file
    tensors = {s['name']: torch.tensor(s['values'], dtype=getattr(torch, s['dtype'])).reshape(s['shape']) for s in INPUT['st']}
    save_file(tensors, f'{d}/ref.safetensors', metadata={'format': 'pt'})
    save_file(tensors, f'{d}/ref_nometa.safetensors')
    save_file({}, f'{d}/ref_empty.safetensors')
    save_file({'w': torch.ones(2)}, f'{d}/ref_emptymeta.safetensors', metadata={})
    loaded = load_file(f'{d}/ours.safetensors')
    st['ours'] = {k: D(v) for k, v in loaded.items()}
    st['equal'] = {k: bool(torch.equal(loaded[k], tensors[k])) for k in tensors}
OUTPUT = {'exp': exp, 'ours': ours, 'st': st}
`;

// ---- what Python checks of what this side saved back (run 2)
const PY_CHECK_BACK = `
d = INPUT['dir']
import torch.nn as nn
res = {}
orig = torch.load(f'{d}/cnn.pt', weights_only=True)
back = torch.load(f'{d}/cnn_back.pt', weights_only=True)
res['cnn_type'] = type(back).__name__
res['cnn_keys'] = list(back.keys()) == list(orig.keys())
res['cnn_equal'] = all(torch.equal(orig[k], back[k]) and orig[k].dtype == back[k].dtype for k in orig)
res['cnn_metadata'] = getattr(back, '_metadata', None) == orig._metadata
class CNN(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(1, 4, 3, padding=1)
        s.bn = nn.BatchNorm2d(4)
        s.fc = nn.Linear(4 * 4 * 4, 3)
m = CNN()
r = m.load_state_dict(back, strict=True)
res['cnn_load'] = [list(r.missing_keys), list(r.unexpected_keys)]
for name, make in [('adam', lambda ps: torch.optim.Adam(ps, lr=1e-3, betas=(0.8, 0.99))),
                   ('sgd', lambda ps: torch.optim.SGD([{'params': ps[:2]}, {'params': ps[2:]}], lr=0.1, momentum=0.9))]:
    o = torch.load(f'{d}/{name}.pt', weights_only=True)
    b = torch.load(f'{d}/{name}_back.pt', weights_only=True)
    ps = [m.conv.weight, m.conv.bias, m.fc.weight, m.fc.bias] if name == 'sgd' else list(m.parameters())
    opt = make(ps)
    opt.load_state_dict(b)
    sd = opt.state_dict()
    same_state = list(sd['state'].keys()) == list(o['state'].keys()) and all(
        sd['state'][k].keys() == o['state'][k].keys() and all(
            torch.equal(sd['state'][k][n], o['state'][k][n]) if isinstance(o['state'][k][n], torch.Tensor) else sd['state'][k][n] == o['state'][k][n]
            for n in o['state'][k]) for k in o['state'])
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd['param_groups']]
    ogroups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in o['param_groups']]
    res[name] = {'state_keys': [repr(k) for k in b['state'].keys()], 'same_state': same_state, 'same_groups': groups == ogroups}
misc = torch.load(f'{d}/misc_back.pt', weights_only=True)
res['misc'] = D(misc)
OUTPUT = res
`;

interface PyTensor {
  dtype: string;
  shape: number[];
  rg: boolean;
  values: Nested;
  contig: boolean;
  device: string;
}

const dir = mkdtempSync(join(tmpdir(), 'torch-node-ser-py-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: descriptions are loosely typed JSON
type Any = any;
let run1: { exp: Any; ours: Any; st: Any };

const I64_VALUES = new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]);

/** The objects this side saves for Python to read. */
function oursObjects(): Record<string, unknown> {
  const base = torch.arange(12, { dtype: 'float32' }).reshape([3, 4]);
  const dtypes: Record<string, torch.Tensor> = {
    f32: base,
    f64: torch.tensor([Math.PI, -1e-300], { dtype: 'float64' }),
    f16: torch.tensor([1.5, -2, 65504], { dtype: 'float16' }),
    bf16: torch.tensor([1.5, -256, 0.25], { dtype: 'bfloat16' }),
    i64: torch.tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n)])),
    i32: torch.tensor([-(2 ** 31), 7], { dtype: 'int32' }),
    i16: torch.tensor([-3], { dtype: 'int16' }),
    i8: torch.tensor([-128, 127], { dtype: 'int8' }),
    u8: torch.tensor([0, 255], { dtype: 'uint8' }),
    b: torch.tensor([true, false]),
    scalar: torch.tensor(2.5),
    empty: torch.zeros([0, 3]),
    t: base.t(),
    slice: base.slice(1, 1, 4, 2),
    expand: base.narrow(0, 1, 1).expand([2, 4]),
    grad: torch.ones([2]).requiresGrad_(),
  };
  const w = torch.ones([2, 2]);
  const nested = {
    model: { 'fc.weight': w, 'fc.bias': torch.zeros([2]) },
    optimizer: {
      state: { 0: { step: torch.tensor(3, { dtype: 'float32' }), momentum_buffer: w }, 1: { step: 2 } },
      param_groups: [{ lr: 0.01, momentum: 0.9, nesterov: false, params: [0, 1], betas: [0.9, 0.999] }],
    },
    epoch: 7,
    name: 'run ✓',
    flags: [true, null, 1.5],
    big: 2n ** 70n,
    bytes: new Uint8Array([1, 2, 255]),
    set: new Set([3, 4]),
    same: w,
  };
  return {
    'ours_dtypes.pt': dtypes,
    'ours_nested.pt': nested,
    'ours_tensor.pt': base.t(),
    'ours_zip64.pt': { w },
    'ours_i64.pt': { v: torch.tensor(I64_VALUES) },
  };
}

describe('checkpoints with Python torch', { skip: skipPython }, () => {
  before(() => {
    const objs = oursObjects();
    for (const [name, obj] of Object.entries(objs)) {
      saveTesting.forceZip64 = name === 'ours_zip64.pt';
      try {
        torch.save(obj, join(dir, name));
      } finally {
        saveTesting.forceZip64 = false;
      }
    }
    if (!skipSafetensors) {
      const tensors = Object.fromEntries(ST_SPECS.map((s) => [s.name, stTensor(s)]));
      torch.saveSafetensors(tensors, join(dir, 'ours.safetensors'), { format: 'pt' });
    }
    run1 = runPython(PY_DESCRIBE + PY_FIXTURES, {
      dir,
      ours: Object.keys(objs),
      st: ST_SPECS,
      safetensors: !skipSafetensors,
    });
  });

  const tensorLike = (desc: PyTensor, t: torch.Tensor, what: string): void => {
    assert.equal(desc.dtype, t.dtype, `${what} dtype`);
    assert.deepEqual(desc.shape, t.shape, `${what} shape`);
    assert.equal(desc.rg, t.requiresGrad, `${what} requires_grad`);
    assert.deepEqual(desc.values, t.toArray(), `${what} values`);
  };

  test('files written here load in Python with weights_only=True', () => {
    const ours = run1.ours;
    const objs = oursObjects();
    for (const name of Object.keys(objs)) assert.equal(ours[name].error, undefined, `${name}: ${ours[name].error}`);
    // Every dtype and layout: a state dict, so an OrderedDict.
    const dt = ours['ours_dtypes.pt'];
    assert.equal(dt.dict, 'OrderedDict');
    const dtypes = objs['ours_dtypes.pt'] as Record<string, torch.Tensor>;
    assert.deepEqual(
      dt.items.map((kv: Any) => kv[0].str),
      Object.keys(dtypes),
    );
    for (const [k, v] of dt.items as [Any, Any][]) {
      const t = dtypes[k.str] as torch.Tensor;
      if (k.str === 'i64') {
        assert.deepEqual(v.shape, [2]);
        continue; // beyond 2^53: compared exactly below
      }
      tensorLike(v, t, k.str);
      // Written over its storage as PyTorch writes it: a view keeps its strides and offset.
      assert.equal(v.contig, t.isContiguous(), `${k.str} contiguous as ours`);
      assert.deepEqual(v.stride, t.stride(), `${k.str} strides`);
    }
    // The views of one tensor (t, slice, expand of base) load over one storage in Python.
    const storageOf = (key: string) => (dt.items as [Any, Any][]).find((kv) => kv[0].str === key)?.[1].storage;
    assert.equal(storageOf('t'), storageOf('slice'));
    assert.equal(storageOf('t'), storageOf('expand'));
    assert.notEqual(storageOf('t'), storageOf('grad'));
    // The nested object: dicts, int keys of the optimizer state, lists, bytes, sets, bigints.
    const n = ours['ours_nested.pt'];
    assert.equal(n.dict, 'dict');
    const get = (d: Any, key: string): Any => d.items.find((kv: Any) => (kv[0].str ?? kv[0].int) === key)?.[1];
    assert.equal(get(n, 'model').dict, 'OrderedDict');
    const opt = get(n, 'optimizer');
    assert.equal(opt.dict, 'dict');
    const state = get(opt, 'state');
    assert.deepEqual(
      state.items.map((kv: Any) => kv[0]),
      [{ int: '0' }, { int: '1' }],
      'optimizer state keys are Python ints',
    );
    assert.deepEqual(get(get(state, '1'), 'step'), { int: '2' });
    const group = get(opt, 'param_groups').list[0];
    assert.deepEqual(get(group, 'lr'), { float: 0.01 });
    assert.deepEqual(get(group, 'nesterov'), { bool: false });
    assert.deepEqual(get(group, 'params'), { list: [{ int: '0' }, { int: '1' }] });
    assert.deepEqual(get(n, 'epoch'), { int: '7' });
    assert.deepEqual(get(n, 'name'), { str: 'run ✓' });
    assert.deepEqual(get(n, 'flags'), { list: [{ bool: true }, { none: true }, { float: 1.5 }] });
    assert.deepEqual(get(n, 'big'), { int: String(2n ** 70n) });
    assert.deepEqual(get(n, 'bytes'), { bytes: [1, 2, 255] });
    assert.deepEqual(get(n, 'set'), { set: [{ int: '3' }, { int: '4' }] });
    tensorLike(get(n, 'same'), torch.ones([2, 2]), 'same');
    // A bare tensor, and the ZIP64 file.
    tensorLike(ours['ours_tensor.pt'], (objs['ours_tensor.pt'] as torch.Tensor).contiguous(), 'bare tensor');
    tensorLike(get(ours['ours_zip64.pt'], 'w'), torch.ones([2, 2]), 'zip64');
    assert.deepEqual(ours.zip64_names, [
      'ours_zip64/data.pkl',
      'ours_zip64/.format_version',
      'ours_zip64/.storage_alignment',
      'ours_zip64/byteorder',
      'ours_zip64/data/0',
      'ours_zip64/version',
      'ours_zip64/.data/serialization_id',
    ]);
  });

  test('int64 beyond 2^53 crosses exactly, both ways', () => {
    assert.deepEqual(run1.ours.i64_strings, [...I64_VALUES].map(String));
    const back = torch.load(join(dir, 'dtypes.pt')) as Record<string, torch.Tensor>;
    assert.deepEqual([...((back.i64 as torch.Tensor).toTypedArray() as BigInt64Array)].map(String), run1.exp.i64_exact);
  });

  /** Checks a loaded JS value against Python's description of the same file. */
  function matches(js: unknown, desc: Any, path: string): void {
    if ('dtype' in desc && 'values' in desc) {
      assert.ok(js instanceof torch.Tensor, `${path} should be a Tensor`);
      assert.equal(js.dtype, desc.dtype, `${path} dtype`);
      assert.deepEqual(js.shape, desc.shape, `${path} shape`);
      assert.equal(js.requiresGrad, desc.rg, `${path} requiresGrad`);
      if (js.dtype !== 'int64' || path.indexOf('i64') < 0)
        assert.deepEqual(js.toArray(), desc.values, `${path} values`);
      assert.equal(js.device, 'cpu');
      return;
    }
    if ('param' in desc) {
      matches(js, { ...desc.param, rg: desc.rg }, path);
      return;
    }
    if ('int' in desc) {
      const big = BigInt(desc.int);
      const expected =
        big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      assert.equal(js, expected, path);
      return;
    }
    for (const kind of ['float', 'pydtype', 'pydevice', 'bool', 'str'] as const) {
      if (kind in desc) {
        assert.equal(js, desc[kind], path);
        return;
      }
    }
    if ('none' in desc) {
      assert.equal(js, null, path);
      return;
    }
    if ('bytes' in desc) {
      assert.deepEqual(js, new Uint8Array(desc.bytes), path);
      return;
    }
    if ('set' in desc) {
      assert.ok(js instanceof Set, `${path} should be a Set`);
      assert.equal(js.size, desc.set.length);
      return;
    }
    if ('tuple' in desc || 'list' in desc) {
      const items = desc.tuple ?? desc.list;
      assert.ok(Array.isArray(js), `${path} should be an array`);
      assert.equal(js.length, items.length, `${path} length`);
      items.forEach((d: Any, i: number) => {
        matches(js[i], d, `${path}[${i}]`);
      });
      return;
    }
    if ('dict' in desc) {
      assert.ok(js !== null && typeof js === 'object', `${path} should be an object`);
      const o = js as Record<string, unknown>;
      const keys = desc.items.map((kv: Any) => String(kv[0].str ?? kv[0].int));
      assert.deepEqual(new Set(Object.keys(o)), new Set(keys), `${path} keys`);
      for (const [k, v] of desc.items as [Any, Any][])
        matches(o[String(k.str ?? k.int)], v, `${path}.${k.str ?? k.int}`);
      return;
    }
    assert.fail(`${path}: unexpected description ${JSON.stringify(desc)}`);
  }

  test('a CNN state dict with BatchNorm loads with values, dtypes and _metadata', () => {
    const sd = torch.load(join(dir, 'cnn.pt')) as Record<string, torch.Tensor>;
    matches(sd, run1.exp.cnn, 'cnn');
    assert.deepEqual(Object.keys(sd), [
      'conv.weight',
      'conv.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
      'fc.weight',
      'fc.bias',
    ]);
    assert.equal(sd['bn.num_batches_tracked']?.dtype, 'int64');
    assert.deepEqual(sd['bn.num_batches_tracked']?.shape, []);
    const md = Object.getOwnPropertyDescriptor(sd, '_metadata');
    assert.ok(md && !md.enumerable, '_metadata is a non-enumerable property');
    const metadata = md.value as Record<string, { version: number }>;
    assert.deepEqual(Object.keys(metadata), run1.exp.cnn_metadata_keys);
    assert.deepEqual(metadata.bn, { version: 2 });
  });

  test('optimizer state dicts (Adam, SGD with param groups) load with int keys, tuples as arrays', () => {
    const adam = torch.load(join(dir, 'adam.pt')) as Any;
    matches(adam, run1.exp.adam, 'adam');
    assert.deepEqual(Object.keys(adam.state), ['0', '1', '2', '3', '4', '5']);
    assert.deepEqual(adam.param_groups[0].betas, [0.8, 0.99]);
    assert.equal(adam.param_groups[0].lr, 0.001);
    const sgd = torch.load(join(dir, 'sgd.pt')) as Any;
    matches(sgd, run1.exp.sgd, 'sgd');
    assert.equal(sgd.param_groups[1].lr, 0.5);
    assert.deepEqual(sgd.param_groups[1].params, [2, 3]);
  });

  test('views with offsets and strides load with values; shared storages share memory', () => {
    const v = torch.load(join(dir, 'views.pt')) as Any;
    matches(v, run1.exp.views, 'views');
    // Views of one storage share memory as in PyTorch (all but the overlapping as_strided,
    // which is a copy).
    const views = v.views as Record<string, torch.Tensor>;
    (views.base as torch.Tensor).fill_(-1);
    for (const k of ['slice', 't', 'row', 'elem', 'cols', 'expand', 'diag', 'tail', 'perm', 'unit']) {
      const values = (views[k] as torch.Tensor).toArray();
      assert.ok(
        JSON.stringify(values)
          .match(/-?\d+(\.\d+)?/g)
          ?.every((x) => x === '-1'),
        `${k} sees the write to base: ${JSON.stringify(values)}`,
      );
    }
    assert.notEqual(JSON.stringify((views.overlap as torch.Tensor).toArray()).indexOf('1'), -1);
    // Strides as in Python for the strided views.
    assert.deepEqual(views.slice?.stride(), [6, 2]);
    assert.deepEqual(views.t?.stride(), [1, 6]);
    assert.deepEqual(views.expand?.stride(), [0, 1]);
    // Tied weights: one tensor for the same Python tensor; a view of it shares memory.
    assert.equal(v.tied_a, v.tied_b);
    (v.tied_a as torch.Tensor).fill_(4);
    assert.deepEqual((v.tied_view as torch.Tensor).toArray(), [4, 4, 4, 4, 4, 4]);
  });

  test('every dtype, Parameters, odd values, a bare tensor and a protocol 4 pickle', () => {
    const dt = torch.load(join(dir, 'dtypes.pt')) as Record<string, torch.Tensor>;
    matches(dt, run1.exp.dtypes, 'dtypes');
    assert.equal(dt.grad?.isLeaf, true);
    const params = torch.load(join(dir, 'params.pt')) as Any;
    matches(params, run1.exp.params, 'params');
    assert.equal(params.p.requiresGrad, true);
    assert.equal(params.q.requiresGrad, false);
    const misc = torch.load(join(dir, 'misc.pt')) as Any;
    matches(misc, run1.exp.misc, 'misc');
    assert.equal(misc.dtype, 'float16');
    assert.equal(misc.device, 'cpu');
    assert.deepEqual(misc.size, [2, 3]);
    assert.deepEqual(misc.tuple, [1, 2.5, 'a']);
    assert.equal(misc.big, 2n ** 80n);
    assert.deepEqual(misc.counter, { a: 2, b: 1 });
    assert.deepEqual(Object.keys(misc.od), ['b', 'a']);
    matches(torch.load(join(dir, 'bare.pt')), run1.exp.bare, 'bare');
    // Formats that are not torch.save's zip format say so.
    assert.throws(() => torch.load(join(dir, 'legacy.pt')), /legacy\.pt' is in torch\.save's legacy format/);
    assert.throws(() => torch.load(join(dir, 'script.pt')), /script\.pt' is a TorchScript archive/);
    matches(torch.load(join(dir, 'proto4.pt')), run1.exp.proto4, 'proto4');
  });

  test('state dicts loaded here and saved again load back into Python models and optimizers', async () => {
    for (const name of ['cnn', 'adam', 'sgd', 'misc']) {
      torch.save(torch.load(join(dir, `${name}.pt`)), join(dir, `${name}_back.pt`));
    }
    const r = runPython<Any>(PY_DESCRIBE + PY_CHECK_BACK, { dir });
    assert.equal(r.cnn_type, 'OrderedDict');
    assert.equal(r.cnn_keys, true);
    assert.equal(r.cnn_equal, true);
    assert.equal(r.cnn_metadata, true, '_metadata survives the round trip');
    assert.deepEqual(r.cnn_load, [[], []]);
    for (const name of ['adam', 'sgd']) {
      assert.equal(r[name].same_state, true, `${name} state`);
      assert.equal(r[name].same_groups, true, `${name} param groups`);
      assert.ok(
        r[name].state_keys.every((k: string) => /^\d+$/.test(k)),
        `${name} state keys are ints: ${r[name].state_keys}`,
      );
    }
    // Python's misc, through this side and back: the same, except that tuples come back as
    // lists, the Counter as a dict, a dtype and device as strings, an integral float as an int.
    const misc = r.misc;
    const get = (d: Any, key: string): Any => d.items.find((kv: Any) => (kv[0].str ?? kv[0].int) === key)?.[1];
    assert.deepEqual(get(misc, 'tuple'), { list: [{ int: '1' }, { float: 2.5 }, { str: 'a' }] });
    assert.deepEqual(get(misc, 'big'), { int: String(2n ** 80n) });
    assert.deepEqual(get(misc, 'bytes'), { bytes: [97, 98, 99, 0, 255] });
    assert.deepEqual(get(misc, 'float_int'), { int: '2' });
    assert.equal(get(misc, 'od').dict, 'OrderedDict');
    const nested = get(misc, 'nested');
    assert.ok(
      nested.items.some((kv: Any) => kv[0].int === '3'),
      'the int key 3 stays an int',
    );
    assert.ok(
      nested.items.some((kv: Any) => kv[0].str === '4'),
      "the str key '4' stays a str",
    );
  });

  describe('safetensors', { skip: skipSafetensors }, () => {
    test('files written here are byte-identical to safetensors.torch.save_file', () => {
      const ours = readFileSync(join(dir, 'ours.safetensors'));
      const ref = readFileSync(join(dir, 'ref.safetensors'));
      if (!ours.equals(ref)) {
        const n = Number(ref.readBigUInt64LE(0));
        assert.equal(ours.toString('utf8', 8, 8 + n), ref.toString('utf8', 8, 8 + n), 'headers');
      }
      assert.ok(ours.equals(ref), 'byte-identical');
      const tensors = Object.fromEntries(ST_SPECS.map((s) => [s.name, stTensor(s)]));
      for (const [file, meta] of [
        ['ref_nometa', undefined],
        ['ref_empty', undefined],
        ['ref_emptymeta', {}],
      ] as const) {
        const p = join(dir, `${file}_ours.safetensors`);
        const which = file === 'ref_nometa' ? tensors : file === 'ref_empty' ? {} : { w: torch.ones([2]) };
        torch.saveSafetensors(which, p, meta);
        assert.ok(readFileSync(p).equals(readFileSync(join(dir, `${file}.safetensors`))), `${file} byte-identical`);
      }
      // And Python reads ours with the same values.
      for (const s of ST_SPECS) {
        assert.equal(run1.st.equal[s.name], true, `${s.name} equal in Python`);
        assert.equal(run1.st.ours[s.name].dtype, s.dtype);
      }
    });

    test('reference files load here with values and metadata', () => {
      const back = torch.loadSafetensors(join(dir, 'ref.safetensors'));
      assert.deepEqual((back as unknown as { __metadata__: unknown }).__metadata__, { format: 'pt' });
      for (const s of ST_SPECS) {
        const t = back[s.name];
        assert.ok(t, s.name);
        assert.equal(t.dtype, s.dtype);
        assert.deepEqual(t.shape, s.shape);
        assert.deepEqual(t.toArray(), stTensor(s).toArray(), s.name);
      }
      assert.deepEqual(torch.loadSafetensors(join(dir, 'ref_empty.safetensors')), {});
      // Saving what was loaded gives the reference's bytes again.
      const p = join(dir, 'resaved.safetensors');
      torch.saveSafetensors(back, p, { format: 'pt' });
      assert.ok(readFileSync(p).equals(readFileSync(join(dir, 'ref.safetensors'))));
    });
  });
});
