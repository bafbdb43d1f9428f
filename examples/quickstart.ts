// A first model with nothing but tensors and autograd: a 2-layer MLP learns to separate two
// interleaved spirals. Every training step runs in a torch.scope, so its temporaries are
// freed when it ends and memory stays flat.
//
//   npm run build:ts && node dist/examples/quickstart.js
import * as torch from '../lib/index.js';

const F = torch.nn.functional;
torch.manualSeed(0);

// Two spirals of 500 points each, with a little noise.
const n = 500;
const t = torch.linspace(0.25, 3 * Math.PI, n);
const noise = () => torch.randn([n]).mul(0.15);
const spiral = (sign: number) =>
  torch.stack(
    [
      t
        .mul(t.cos())
        .mul(sign / 4)
        .add(noise()),
      t
        .mul(t.sin())
        .mul(sign / 4)
        .add(noise()),
    ],
    1,
  );
const x = torch.cat([spiral(1), spiral(-1)]);
const y = torch.cat([torch.zeros([n], { dtype: 'int64' }), torch.ones([n], { dtype: 'int64' })]);

// Parameters, initialised as nn.Linear does (uniform in ±1/sqrt(fanIn)).
const param = (shape: number[], fanIn: number) =>
  torch
    .rand(shape)
    .mul(2 / Math.sqrt(fanIn))
    .sub(1 / Math.sqrt(fanIn))
    .requiresGrad_();
const w1 = param([64, 2], 2);
const b1 = param([64], 2);
const w2 = param([2, 64], 64);
const b2 = param([2], 64);
const params = [w1, b1, w2, b2];

const forward = (input: torch.Tensor) => F.linear(F.relu(F.linear(input, w1, { bias: b1 })), w2, { bias: b2 });

const lr = 0.5;
for (let step = 1; step <= 2000; step++) {
  const loss = torch.scope(() => {
    const loss = F.crossEntropy(forward(x), y);
    loss.backward();
    torch.noGrad(() => {
      for (const p of params) {
        p.sub_((p.grad as torch.Tensor).mul(lr));
        p.grad = null;
      }
    });
    return loss.item() as number;
  });
  if (step % 400 === 0) {
    const accuracy = torch.scope(() => torch.noGrad(() => forward(x).argmax(1).eq(y).float().mean().item() as number));
    console.log(`step ${step}: loss ${loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(1)}%`);
  }
}
console.log('live tensors:', torch.memory().tensors);
