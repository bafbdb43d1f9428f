// torch.broadcast_shapes and torch.unravel_index: PyTorch writes both in Python over shapes and
// a couple of kernels, so they are TypeScript here too.
import { tensor } from './creation.js';
import { scope } from './lifetime.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

const isSize = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;

/** torch.broadcast_shapes(*shapes): the shape that tensors of these shapes broadcast to. */
export function broadcastShapes(...shapes: (number | number[])[]): number[] {
  const out: number[] = [];
  for (const s of shapes) {
    const shape = typeof s === 'number' ? [s] : s;
    if (!Array.isArray(shape) || !shape.every(isSize)) {
      throw new TypeError(`broadcastShapes: each shape must be an array of non-negative integers, got ${describe(s)}`);
    }
    // Align the trailing dims: a shorter result so far grows at the front with 1s.
    while (out.length < shape.length) out.unshift(1);
    shape.forEach((size, k) => {
      const i = out.length - shape.length + k;
      const cur = out[i] as number;
      if (cur === size || size === 1) return;
      if (cur !== 1) {
        throw new Error(
          `broadcastShapes: shape mismatch: [${shapes.map((x) => `[${x}]`).join(', ')}] cannot be broadcast to a single shape (size ${size} against ${cur} at dimension ${k})`,
        );
      }
      out[i] = size;
    });
  }
  return out;
}

/**
 * torch.unravel_index(indices, shape): the coordinates in `shape` of flat indices, one int64
 * tensor per dimension. As in PyTorch, indices out of range wrap around rather than throw.
 */
export function unravelIndex(indices: Tensor | number, shape: number | number[]): Tensor[] {
  const dims = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(dims) || !dims.every(isSize)) {
    throw new TypeError(`unravelIndex: 'shape' must be non-negative integers, got ${describe(shape)}`);
  }
  const given = indices instanceof Tensor;
  if (given && !['uint8', 'int8', 'int16', 'int32', 'int64'].includes(indices.dtype)) {
    throw new TypeError(`unravelIndex: expected 'indices' to be an integer tensor, got dtype ${indices.dtype}`);
  }
  if (!given && !Number.isInteger(indices)) {
    throw new TypeError(`unravelIndex: expected 'indices' to be an integer, got ${describe(indices)}`);
  }
  // coefs[d] is the flat stride of dimension d: index // coef % size is its coordinate.
  const coefs = dims.map((_, d) => dims.slice(d + 1).reduce((a, b) => a * b, 1));
  return scope(() => {
    const idx = given ? indices : tensor(indices);
    const all = idx
      .unsqueeze(-1)
      .floorDivide(tensor(coefs, { dtype: 'int64' }))
      .remainder(tensor(dims, { dtype: 'int64' }));
    return all.unbind(-1);
  });
}
