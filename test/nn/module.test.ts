// nn.Module's bookkeeping: registration, traversal order, state dicts, modes and moves.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import * as torch from '../../lib/index.js';

const nn = torch.nn;

class Block extends nn.Module {
  conv = new nn.Conv2d(2, 3, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(3);
  forward(x: torch.Tensor): torch.Tensor {
    return torch.nn.functional.relu(this.bn.forward(this.conv.forward(x)));
  }
}

class Net extends nn.Module {
  scale: torch.nn.Parameter;
  layer1: torch.nn.Sequential;
  head = new nn.Linear(3, 2);
  constructor() {
    super();
    this.scale = new nn.Parameter(torch.ones([1]));
    this.layer1 = new nn.Sequential(new Block(), new Block2());
    this.registerBuffer('steps', torch.zeros([1]), { persistent: false });
  }
  forward(x: torch.Tensor): torch.Tensor {
    const y = this.layer1.forward(x) as torch.Tensor;
    return this.head.forward(y.mean([2, 3])).mul(this.scale);
  }
}

class Block2 extends Block {
  override conv = new nn.Conv2d(3, 3, 3, { padding: 1, bias: false });
}

describe('nn.Module', () => {
  test('parameters, buffers and modules are found with PyTorch names, in order', () => {
    const net = new Net();
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      [
        'scale',
        'layer1.0.conv.weight',
        'layer1.0.bn.weight',
        'layer1.0.bn.bias',
        'layer1.1.conv.weight',
        'layer1.1.bn.weight',
        'layer1.1.bn.bias',
        'head.weight',
        'head.bias',
      ],
    );
    assert.deepEqual(Object.keys(net.stateDict()), [
      'scale',
      'layer1.0.conv.weight',
      'layer1.0.bn.weight',
      'layer1.0.bn.bias',
      'layer1.0.bn.running_mean',
      'layer1.0.bn.running_var',
      'layer1.0.bn.num_batches_tracked',
      'layer1.1.conv.weight',
      'layer1.1.bn.weight',
      'layer1.1.bn.bias',
      'layer1.1.bn.running_mean',
      'layer1.1.bn.running_var',
      'layer1.1.bn.num_batches_tracked',
      'head.weight',
      'head.bias',
    ]);
    assert.deepEqual(
      net.namedBuffers().map(([n]) => n),
      [
        'steps',
        'layer1.0.bn.running_mean',
        'layer1.0.bn.running_var',
        'layer1.0.bn.num_batches_tracked',
        'layer1.1.bn.running_mean',
        'layer1.1.bn.running_var',
        'layer1.1.bn.num_batches_tracked',
      ],
      'non-persistent buffers are buffers but not state',
    );
    assert.deepEqual(
      net.namedModules().map(([n]) => n),
      ['', 'layer1', 'layer1.0', 'layer1.0.conv', 'layer1.0.bn', 'layer1.1', 'layer1.1.conv', 'layer1.1.bn', 'head'],
    );
    assert.equal(net.getSubmodule('layer1.1.bn'), (net.layer1.at(1) as Block).bn);
    assert.throws(() => net.getSubmodule('layer1.9'), /no submodule '9'/);
  });

  test('a parameter set to null disappears from the state dict; a shared one is listed once', () => {
    const lin = new nn.Linear(2, 2);
    lin.bias = null;
    assert.deepEqual(Object.keys(lin.stateDict()), ['weight']);
    class Tied extends nn.Module {
      a = new nn.Linear(2, 2);
      b = new nn.Linear(2, 2);
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
      forward() {}
    }
    assert.equal(new Tied().parameters().length, 3);
  });

  test('loadStateDict copies values, reports keys, and refuses mismatches', () => {
    const a = new Net();
    const b = new Net();
    const result = b.loadStateDict(a.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(b.head.weight.toArray(), a.head.weight.toArray());
    const sd = a.stateDict();
    delete sd['head.bias'];
    sd.extra = torch.zeros([1]);
    assert.throws(
      () => b.loadStateDict(sd),
      /Error\(s\) in loading state_dict for Net:\n\tMissing key\(s\) in state_dict: "head\.bias"\.\n\tUnexpected key\(s\) in state_dict: "extra"\./,
    );
    assert.deepEqual(b.loadStateDict(sd, { strict: false }), { missingKeys: ['head.bias'], unexpectedKeys: ['extra'] });
    assert.throws(
      () => b.loadStateDict({ ...a.stateDict(), 'head.weight': torch.zeros([3, 3]) }),
      /size mismatch for head\.weight: copying a param with shape \[3, 3\] from checkpoint, the shape in current model is \[2, 3\]/,
    );
  });

  test("a BatchNorm's num_batches_tracked may be absent from a state dict of layout version 1 or of none (an older or converted checkpoint): it keeps its value", () => {
    const bn = new nn.BatchNorm1d(2);
    bn.forward(torch.randn([4, 2]));
    const sd = new nn.BatchNorm1d(2).stateDict();
    // stateDict() records each module's layout version, as PyTorch's: BatchNorm's is 2.
    assert.deepEqual((sd as { _metadata?: unknown })._metadata, { '': { version: 2 } });
    delete sd.num_batches_tracked;
    // A spread leaves the metadata out: a state dict of no version.
    assert.deepEqual(bn.loadStateDict({ ...sd }), { missingKeys: [], unexpectedKeys: [] });
    assert.equal(bn.num_batches_tracked?.item(), 1);
    assert.deepEqual(bn.running_mean?.toArray(), [0, 0]);
    // Of version 2 the counter is missing, as in PyTorch (checked against Python 2.13 by hand:
    // 'Missing key(s) in state_dict: "num_batches_tracked".'); of version 1 it is not.
    assert.throws(() => bn.loadStateDict(sd), /Missing key\(s\) in state_dict: "num_batches_tracked"\./);
    (sd as unknown as { _metadata: Record<string, { version: number }> })._metadata[''] = { version: 1 };
    assert.deepEqual(bn.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
  });

  test("a container subclass's Module fields are children after its items; container keys are names too", () => {
    class Stage extends nn.Sequential {
      down = new nn.Linear(2, 3);
      last = this.at(0);
      constructor() {
        super(new nn.Linear(2, 2));
      }
    }
    const stage = new Stage();
    // As PyTorch: the item under its second name (`last`) is in the state dict twice, once in parameters().
    assert.deepEqual(Object.keys(stage.stateDict()), [
      '0.weight',
      '0.bias',
      'down.weight',
      'down.bias',
      'last.weight',
      'last.bias',
    ]);
    assert.equal(stage.parameters().length, 4);
    assert.deepEqual((stage.forward(torch.ones([1, 2])) as torch.Tensor).shape, [1, 2], 'forward runs the items only');
    assert.throws(() => new nn.ModuleDict({ 'a.b': new nn.Linear(1, 1) }), /module name can't contain "\."/);
  });

  test("Sequential's and ModuleList's list methods: insert, extend, set, delete (renumbered), pop, slice", () => {
    const [a, b, c, d] = [1, 2, 3, 4].map((k) => new nn.Linear(k, k));
    const seq = new nn.Sequential(a as torch.nn.Module, b as torch.nn.Module);
    seq.insert(1, c as torch.nn.Module).extend([d as torch.nn.Module]);
    assert.deepEqual([...seq], [a, c, b, d]);
    assert.deepEqual(
      seq.namedChildren().map(([n]) => n),
      ['0', '1', '2', '3'],
    );
    seq.delete(1);
    assert.deepEqual(
      seq.namedChildren().map(([n, m]) => [n, m]),
      [
        ['0', a],
        ['1', b],
        ['2', d],
      ],
    );
    assert.equal(seq.pop(-1), d);
    seq.set(0, c as torch.nn.Module);
    assert.deepEqual([...seq], [c, b]);
    const tail = seq.slice(1);
    assert.ok(tail instanceof nn.Sequential);
    assert.deepEqual(tail.namedChildren(), [['1', b]], 'a slice keeps the names');
    assert.throws(() => seq.insert(5, a as torch.nn.Module), /index out of range: 5/);
    assert.throws(() => seq.delete(7), /index 7 is out of range for 2 modules/);
    const list = new nn.ModuleList([a, b, c] as torch.nn.Module[]);
    assert.equal(list.pop(0), a);
    list.set(-1, d as torch.nn.Module);
    list.delete(0);
    assert.deepEqual([...list], [d]);
    assert.deepEqual([...new nn.ModuleList([a, b, c] as torch.nn.Module[]).slice(-2)], [b, c]);
  });

  test('forward hooks: a pre-hook may replace the arguments, a hook the output; remove() unregisters; they wrap forward once', () => {
    const lin = new nn.Linear(2, 2);
    const seen: string[] = [];
    const pre = lin.registerForwardPreHook((m, args) => {
      seen.push(`pre ${m === lin} ${(args[0] as torch.Tensor).shape}`);
      return [(args[0] as torch.Tensor).mul(0)];
    });
    const post = lin.registerForwardHook((_m, args, out) => {
      seen.push(`post ${(args[0] as torch.Tensor).sum().item()}`);
      return (out as torch.Tensor).add(100);
    });
    const first = lin.registerForwardHook(
      () => {
        seen.push('first');
      },
      { prepend: true },
    );
    const out = lin.forward(torch.ones([1, 2])) as torch.Tensor;
    assert.deepEqual(seen, ['pre true 1,2', 'first', 'post 0']);
    assert.deepEqual(
      out.toArray(),
      (lin.bias as torch.Tensor).add(100).unsqueeze(0).toArray(),
      'zeros in, bias + 100 out',
    );
    pre.remove();
    post.remove();
    first.remove();
    seen.length = 0;
    const plain = lin.forward(torch.ones([1, 2])) as torch.Tensor;
    assert.deepEqual(seen, []);
    assert.deepEqual(
      plain.toArray(),
      torch.nn.functional.linear(torch.ones([1, 2]), lin.weight, { bias: lin.bias }).toArray(),
    );
    // A hook on a child fires when the parent runs it: feature extraction.
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    let feature: torch.Tensor | null = null;
    net.at(1).registerForwardHook((_m, _a, o) => {
      feature = torch.keep((o as torch.Tensor).clone());
    });
    torch.scope(() => net.forward(torch.ones([4, 2])));
    assert.deepEqual((feature as unknown as torch.Tensor).shape, [4, 3]);
    assert.ok(
      Object.keys(lin).every((k) => k !== 'forward'),
      'forward is not listed as a field',
    );
  });

  test("repr as PyTorch's: a ModuleList folds runs of equal modules; a multi-line extraRepr is a block", () => {
    const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.ReLU()]);
    assert.equal(
      String(list),
      'ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  (3): ReLU()\n)',
    );
    assert.equal(String(new nn.ModuleList([])), 'ModuleList()');
    class Two extends nn.Module {
      override extraRepr() {
        return 'a=1\nb=2';
      }
      forward() {}
    }
    assert.equal(String(new Two()), 'Two(\n  a=1\n  b=2\n)');
  });

  test('strict: what fits is copied before the Error, as in PyTorch', () => {
    const a = new Net();
    const b = new Net();
    assert.throws(() => b.loadStateDict({ ...a.stateDict(), extra: torch.zeros([1]) }), /Unexpected key\(s\)/);
    assert.deepEqual(b.head.weight.toArray(), a.head.weight.toArray());
    const c = new Net();
    const before = c.head.weight.toArray();
    assert.throws(() => c.loadStateDict({ ...a.stateDict(), 'head.weight': torch.zeros([3, 3]) }), /size mismatch/);
    assert.deepEqual(c.head.weight.toArray(), before, 'a tensor of another shape is not copied');
    assert.deepEqual((c.head.bias as torch.Tensor).toArray(), (a.head.bias as torch.Tensor).toArray());
  });

  test("train(mode) calls each child's train(): a frozen BatchNorm that overrides it stays in eval", () => {
    class FrozenBn extends nn.Module {
      bn = new nn.BatchNorm1d(2);
      override train(mode = true): this {
        super.train(mode);
        this.bn.training = false; // mmdet's norm_eval
        return this;
      }
      forward() {}
    }
    class Outer extends nn.Module {
      f = new FrozenBn();
      g = new nn.Linear(2, 2);
      forward() {}
    }
    const o = new Outer().train();
    assert.equal(o.f.bn.training, false);
    assert.equal(o.f.training, true);
    assert.equal(o.g.training, true);
    assert.throws(() => o.train('yes' as never), /mode is expected to be boolean/);
  });

  test('a buffer assigned later (in forward, inside a scope) is kept as the buffer; a non-tensor is refused', () => {
    class Ema extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('ema', torch.zeros([2]));
      }
      declare ema: torch.Tensor;
      forward(x: torch.Tensor) {
        this.ema = this.ema.mul(0.5).add(x);
        return x;
      }
    }
    const m = new Ema();
    torch.scope(() => m.forward(torch.ones([2])));
    torch.scope(() => m.forward(torch.ones([2])));
    assert.equal(m.ema.isDisposed, false);
    assert.deepEqual(m.stateDict().ema?.toArray(), [1.5, 1.5]);
    assert.deepEqual(Object.keys(m.stateDict()), ['ema']);
    assert.throws(() => {
      (m as unknown as { ema: unknown }).ema = 3;
    }, /cannot assign number as buffer 'ema' \(a Tensor or null expected\)/);
    m.ema = null as never;
    assert.deepEqual(Object.keys(m.stateDict()), []);
  });

  test("assigning a parameter's or submodule's name anything but a Parameter/Module or null is a TypeError, as PyTorch's __setattr__", () => {
    const net = new Block();
    const weight = net.conv.weight;
    assert.throws(
      () => {
        (net.conv as unknown as Record<string, unknown>).weight = torch.zeros([3, 2, 3, 3]);
      },
      {
        name: 'TypeError',
        message: /cannot assign a Tensor \(float32\) as parameter 'weight' of Conv2d \(a Parameter or null expected/,
      },
    );
    assert.equal(net.conv.weight, weight, 'the parameter stays');
    assert.throws(
      () => {
        (net as unknown as Record<string, unknown>).bn = torch.ones([3]);
      },
      {
        name: 'TypeError',
        message: /cannot assign a Tensor \(float32\) as child module 'bn' of Block \(a Module or null/,
      },
    );
    assert.throws(() => {
      (net.conv as unknown as Record<string, unknown>).weight = new nn.ReLU();
    }, /cannot assign a Module \(ReLU\) as parameter 'weight'/);
    assert.throws(() => {
      (net as unknown as Record<string, unknown>).bn = 3;
    }, /cannot assign a number as child module 'bn'/);
    // What PyTorch allows: a Parameter, null (the name stays a parameter), another Module.
    net.conv.weight = new nn.Parameter(torch.ones([3, 2, 3, 3]));
    assert.equal(net.stateDict()['conv.weight']?.sum().item(), 54);
    net.bn.bias = null as unknown as torch.nn.Parameter;
    assert.ok(!('bn.bias' in net.stateDict()));
    assert.throws(() => {
      net.bn.bias = torch.zeros([3]) as torch.nn.Parameter;
    }, /as parameter 'bias'/);
    net.bn = new nn.BatchNorm2d(3, { affine: false });
    assert.deepEqual(Object.keys(net.stateDict()), [
      'conv.weight',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    // delete unregisters the name, as PyTorch's __delattr__: then it may hold a plain tensor.
    const conv = net.conv as unknown as Record<string, unknown>;
    delete conv.weight;
    conv.weight = torch.zeros([1]);
    assert.deepEqual(Object.keys(net.conv.stateDict()), []);
    // A buffer's name too: deleted, it leaves the state dict and may hold anything.
    const bn = new nn.BatchNorm1d(2) as unknown as Record<string, unknown> & torch.nn.Module;
    delete bn.running_mean;
    assert.deepEqual(Object.keys(bn.stateDict()), ['weight', 'bias', 'running_var', 'num_batches_tracked']);
    bn.running_mean = 'free';
    assert.equal(bn.running_mean, 'free');
    // registerParameter(name, null) makes the name a parameter's (as PyTorch's register_parameter).
    const lin = new nn.Linear(2, 2, { bias: false });
    lin.registerParameter('extra', null);
    assert.throws(() => {
      (lin as unknown as Record<string, unknown>).extra = torch.ones([1]);
    }, /as parameter 'extra'/);
  });

  test('deepcopy: independent tensors of the same values, ties kept, buffers and hooks on the copy, the copy guarded too', () => {
    class Tied extends nn.Module {
      block = new Block();
      head = new nn.Linear(3, 3);
      tail = new nn.Linear(3, 3);
      config = { widths: [1, 2], name: 'tied' };
      constructor() {
        super();
        this.tail.weight = this.head.weight;
      }
      forward(x: torch.Tensor): torch.Tensor {
        return this.tail.forward(this.head.forward(x));
      }
    }
    const net = new Tied();
    net.block.bn.forward(torch.randn([4, 3, 2, 2])); // running stats away from their start
    const calls: string[] = [];
    net.head.registerForwardHook(() => {
      calls.push('hook');
    });
    net.head.weight.grad = torch.ones([3, 3]);
    const copy = net.deepcopy();
    assert.ok(copy instanceof Tied && copy !== net);
    const a = net.stateDict();
    const b = copy.stateDict();
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) {
      assert.notEqual(b[k], a[k], `${k} is a new tensor`);
      assert.deepEqual(b[k]?.toArray(), a[k]?.toArray(), `${k} has the same values`);
    }
    assert.equal(copy.tail.weight, copy.head.weight, 'tied weights stay tied');
    assert.ok(copy.head.weight instanceof nn.Parameter && copy.head.weight.requiresGrad);
    assert.deepEqual(copy.head.weight.grad?.toArray(), net.head.weight.grad?.toArray());
    assert.notEqual(copy.config, net.config);
    assert.deepEqual(copy.config, net.config);
    copy.head.forward(torch.randn([1, 3]));
    assert.deepEqual(calls, ['hook'], 'the hook runs on the copy');
    // Buffers are the copy's own: updating one leaves the original alone.
    const before = net.block.bn.running_mean?.toArray();
    copy.block.bn.train().forward(torch.randn([4, 3, 2, 2]).add(5));
    assert.deepEqual(net.block.bn.running_mean?.toArray(), before);
    assert.throws(() => {
      (copy.head as unknown as Record<string, unknown>).weight = torch.zeros([3, 3]);
    }, /cannot assign a Tensor \(float32\) as parameter 'weight' of Linear/);
    // Only graph leaves, as PyTorch's deepcopy.
    class HoldsNonLeaf extends nn.Module {
      t = torch.ones([2]).requiresGrad_().mul(2);
      forward(): void {}
    }
    assert.throws(
      () => new HoldsNonLeaf().deepcopy(),
      /HoldsNonLeaf.deepcopy: only tensors created explicitly by the user/,
    );
  });

  test("state-dict hooks: pre/post around each module's entries; load pre-hooks rename an old layout, post-hooks clear keys before strict", () => {
    const net = new Block();
    const calls: string[] = [];
    net.registerStateDictPreHook((_m, prefix, keepVars) => calls.push(`pre net '${prefix}' ${keepVars}`));
    net.bn.registerStateDictPreHook((_m, prefix) => calls.push(`pre bn '${prefix}'`));
    const post = net.bn.registerStateDictPostHook((_m, sd, prefix) => {
      calls.push(`post bn '${prefix}' ${Object.keys(sd).length}`);
      delete sd[`${prefix}num_batches_tracked`];
    });
    const sd = net.stateDict({ prefix: 'model.' });
    // The parent's pre-hook first; bn's post-hook sees conv's entry and its own five (the counter included).
    assert.deepEqual(calls, ["pre net 'model.' false", "pre bn 'model.bn.'", "post bn 'model.bn.' 6"]);
    assert.deepEqual(Object.keys(sd), [
      'model.conv.weight',
      'model.bn.weight',
      'model.bn.bias',
      'model.bn.running_mean',
      'model.bn.running_var',
    ]);
    post.remove();
    assert.ok('bn.num_batches_tracked' in net.stateDict());

    // An old checkpoint named bn's parameters gamma/beta: a load pre-hook on bn renames them.
    const source = new Block();
    const old: Record<string, torch.Tensor> = {};
    for (const [k, v] of Object.entries(source.stateDict())) {
      old[k.replace('bn.weight', 'bn.gamma').replace('bn.bias', 'bn.beta')] = v;
    }
    // The hook gets its module's entry of the state dict's _metadata, as PyTorch's local_metadata.
    Object.defineProperty(old, '_metadata', {
      value: { '': { version: 1 }, conv: { version: 1 }, bn: { version: 2 } },
    });
    const seen: string[] = [];
    net.bn.registerLoadStateDictPreHook((m, state, prefix, meta, strict) => {
      seen.push(`${m.constructor.name} '${prefix}' strict ${strict} version ${meta.version}`);
      for (const [from, to] of [
        ['gamma', 'weight'],
        ['beta', 'bias'],
      ]) {
        const t = state[prefix + from];
        if (t) {
          delete state[prefix + from];
          state[prefix + to] = t;
        }
      }
    });
    const result = net.loadStateDict(old);
    assert.deepEqual(seen, ["BatchNorm2d 'bn.' strict true version 2"]);
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(net.bn.weight?.toArray(), source.bn.weight?.toArray());
    assert.ok('bn.gamma' in old, "the caller's dict is left as it was");

    // A post-hook may forgive keys: strict then passes, and the result holds what the hook left.
    const partial = { 'conv.weight': source.conv.weight.detach() };
    assert.throws(() => net.loadStateDict(partial), /Missing key\(s\) in state_dict: "bn.weight"/);
    net.registerLoadStateDictPostHook((_m, keys) => {
      keys.missingKeys.splice(0, keys.missingKeys.length);
    });
    assert.deepEqual(net.loadStateDict(partial), { missingKeys: [], unexpectedKeys: [] });
    assert.throws(() => net.registerStateDictPreHook(3 as never), /expected a function/);
  });

  test('names: no dots, not empty, not a parameter or submodule already; shared modules and buffers listed once', () => {
    const lin = new nn.Linear(2, 2);
    assert.throws(() => lin.registerBuffer('a.b', torch.zeros([1])), /buffer name can't contain "\.", got: a\.b/);
    assert.throws(() => lin.registerBuffer('', torch.zeros([1])), /buffer name can't be empty string/);
    assert.throws(
      () => lin.registerBuffer('weight', torch.zeros([1])),
      /attribute 'weight' already exists \(a parameter\)/,
    );
    const bn = new nn.BatchNorm1d(2);
    assert.throws(
      () => bn.registerParameter('running_mean', null),
      /attribute 'running_mean' already exists \(a buffer\)/,
    );
    class Shared extends nn.Module {
      a = new nn.BatchNorm1d(2);
      b = this.a;
      forward() {}
    }
    const s = new Shared();
    assert.deepEqual(
      s.namedChildren().map(([n]) => n),
      ['a'],
    );
    let calls = 0;
    s.apply(() => {
      calls++;
    });
    assert.equal(calls, 2, 'the BatchNorm once, then the module');
    assert.deepEqual(
      s.namedBuffers().map(([n]) => n),
      ['a.running_mean', 'a.running_var', 'a.num_batches_tracked'],
    );
    // The state dict, as PyTorch's, has the shared module under both names; getSubmodule finds either.
    assert.deepEqual(Object.keys(s.stateDict()), [
      'a.weight',
      'a.bias',
      'a.running_mean',
      'a.running_var',
      'a.num_batches_tracked',
      'b.weight',
      'b.bias',
      'b.running_mean',
      'b.running_var',
      'b.num_batches_tracked',
    ]);
    assert.equal(s.getSubmodule('b'), s.a);
    const twice = new nn.ModuleList([s.a, s.a]);
    assert.deepEqual(
      Object.keys(twice.stateDict()).filter((k) => k.endsWith('weight')),
      ['0.weight', '1.weight'],
    );
  });

  test('train() and eval() reach every submodule; BatchNorm follows the mode', () => {
    const net = new Net();
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    const bn = (net.layer1.at(0) as Block).bn;
    net.forward(torch.randn([2, 2, 4, 4]));
    assert.equal(bn.num_batches_tracked?.item(), 0, 'eval uses running statistics');
    net.train();
    net.forward(torch.randn([2, 2, 4, 4]));
    assert.equal(bn.num_batches_tracked?.item(), 1);
    assert.notDeepEqual(bn.running_mean?.toArray(), [0, 0, 0]);
  });

  test('to() an integer dtype is refused before anything is converted, as in PyTorch', () => {
    const lin = new nn.Linear(2, 2);
    assert.throws(() => lin.to('int64'), {
      name: 'TypeError',
      message: /only accepts floating point dtypes, but got desired dtype=int64/,
    });
    assert.equal(lin.weight.dtype, 'float32');
  });

  test('to(dtype) keeps the same Parameter objects and converts buffers', () => {
    const net = new Net();
    const w = net.head.weight;
    net.double();
    assert.equal(net.head.weight, w);
    assert.equal(w.dtype, 'float64');
    assert.equal((net.layer1.at(0) as Block).bn.running_mean?.dtype, 'float64');
    assert.equal(
      (net.layer1.at(0) as Block).bn.num_batches_tracked?.dtype,
      'int64',
      'integer buffers keep their dtype',
    );
    assert.equal(net.forward(torch.randn([1, 2, 4, 4], { dtype: 'float64' })).dtype, 'float64');
  });

  test('zeroGrad, requiresGrad_ and apply (children first)', () => {
    const net = new Net();
    net
      .forward(torch.randn([2, 2, 4, 4]))
      .sum()
      .backward();
    assert.ok(net.parameters().every((p) => p.grad !== null));
    net.zeroGrad({ setToNone: false });
    assert.ok(net.parameters().every((p) => (p.grad?.abs().sum().item() as number) === 0));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
    net.requiresGrad_(false);
    assert.ok(net.parameters().every((p) => !p.requiresGrad));
    const order: string[] = [];
    net.apply((m) => order.push(m.constructor.name));
    assert.deepEqual(order, [
      'Conv2d',
      'BatchNorm2d',
      'Block',
      'Conv2d',
      'BatchNorm2d',
      'Block2',
      'Sequential',
      'Linear',
      'Net',
    ]);
  });

  test('parameters survive the scope they were made in', () => {
    const lin = torch.scope(() => new nn.Linear(3, 3));
    assert.equal(lin.weight.isDisposed, false);
    assert.deepEqual(lin.forward(torch.ones([1, 3])).shape, [1, 3]);
  });

  test('toString reads like PyTorch', () => {
    const net = new Net();
    assert.equal(
      String(net),
      `Net(
  (layer1): Sequential(
    (0): Block(
      (conv): Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
      (bn): BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    )
    (1): Block2(
      (conv): Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
      (bn): BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    )
  )
  (head): Linear(in_features=3, out_features=2, bias=True)
)`,
    );
  });
});

describe('loss size checks, as Python functional.py makes them', () => {
  test('binaryCrossEntropy refuses a target of another size; mseLoss warns (once) before broadcasting', async () => {
    const F = torch.nn.functional;
    assert.throws(
      () => F.binaryCrossEntropy(torch.full([2, 3], 0.5), torch.ones([3])),
      /binaryCrossEntropy: Using a target size \(\[3\]\) that is different to the input size \(\[2, 3\]\) is deprecated/,
    );

    const warned = once(process, 'warning');
    assert.equal(F.mseLoss(torch.ones([4]), torch.ones([4, 1])).item(), 0);
    const [w] = (await warned) as [Error];
    assert.match(w.message, /mseLoss: Using a target size \(\[4, 1\]\) that is different to the input size \(\[4\]\)/);
  });
});
