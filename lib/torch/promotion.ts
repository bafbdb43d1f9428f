// Type promotion as PyTorch computes it (c10's promoteTypes and at::result_type), in plain
// TypeScript: the lattice is small, and the tests compare every dtype pair with Python's.
import { defaultComplexDtype, defaultFloatDtype } from './default_dtype.js';
import { type DType, isComplex, isDType, isFloatingPoint } from './dtype.js';
import { describe } from './marshal.js';
import { Tensor } from './tensor.js';

const INTS: DType[] = ['uint8', 'int8', 'int16', 'int32', 'int64'];
const isInt = (d: DType): boolean => INTS.includes(d);
const bits: Partial<Record<DType, number>> = { uint8: 8, int8: 8, int16: 16, int32: 32, int64: 64 };
const floatRank: Partial<Record<DType, number>> = { float16: 1, bfloat16: 1, float32: 2, float64: 3 };

function checkDtype(d: unknown, op: string, name: string): DType {
  if (!isDType(d)) throw new TypeError(`${op}: '${name}' must be a dtype name, got ${describe(d)}`);
  return d;
}

function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  if (isComplex(a) || isComplex(b)) {
    // The wider of the two parts: complex64 with float64 (or complex128) gives complex128.
    const wide = a === 'complex128' || b === 'complex128' || a === 'float64' || b === 'float64';
    return wide ? 'complex128' : 'complex64';
  }
  if (isFloatingPoint(a) || isFloatingPoint(b)) {
    if (!isFloatingPoint(a)) return b;
    if (!isFloatingPoint(b)) return a;
    // float16 and bfloat16 share no format: they meet at float32.
    if ((floatRank[a] ?? 0) === (floatRank[b] ?? 0)) return 'float32';
    return (floatRank[a] ?? 0) > (floatRank[b] ?? 0) ? a : b;
  }
  // Integers: uint8 with a signed type needs one more bit, so uint8 + int8 gives int16.
  if (a === 'uint8' || b === 'uint8') {
    const other = a === 'uint8' ? b : a;
    return other === 'int8' ? 'int16' : other;
  }
  return (bits[a] ?? 0) >= (bits[b] ?? 0) ? a : b;
}

/** torch.promote_types(type1, type2): the smallest dtype both cast to without losing kind. */
export function promoteTypes(type1: DType, type2: DType): DType {
  return promote(checkDtype(type1, 'promoteTypes', 'type1'), checkDtype(type2, 'promoteTypes', 'type2'));
}

/** c10's combine_categories: a lower-priority operand only matters when its kind is higher. */
function combine(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined || isComplex(higher)) return higher;
  if (isComplex(lower)) {
    if (!isFloatingPoint(higher)) return lower;
    // The complex type of the float that outranks it. PyTorch's for float16 is complex32,
    // which torch-node does not have; bfloat16's is complex64.
    if (higher === 'float64') return 'complex128';
    if (higher !== 'float16') return 'complex64';
    throw new Error(
      `resultType: a ${higher} tensor with a complex one of lower rank gives complex32 in PyTorch, a dtype torch-node does not have`,
    );
  }
  if (isFloatingPoint(higher)) return higher;
  if (higher === 'bool' || isFloatingPoint(lower)) return promote(higher, lower);
  return higher;
}

type Operand = Tensor | number | boolean;

/**
 * torch.result_type(tensor1, tensor2): the dtype an elementwise op on the two gives. Tensors
 * with dimensions outrank 0-d tensors, which outrank JS numbers; a lower one only raises the
 * kind (bool < integer < float < complex). A JS number is an int64 when it is an integer, else
 * a float of the default dtype.
 */
export function resultType(tensor1: Operand, tensor2: Operand): DType {
  let dims: DType | undefined;
  let zeroDim: DType | undefined;
  let wrapped: DType | undefined;
  const add = (acc: DType | undefined, d: DType): DType => (acc === undefined ? d : promote(acc, d));
  for (const [x, name] of [
    [tensor1, 'tensor1'],
    [tensor2, 'tensor2'],
  ] as const) {
    if (x instanceof Tensor) {
      if (x.dim() > 0) dims = add(dims, x.dtype);
      else zeroDim = add(zeroDim, x.dtype);
    } else if (typeof x === 'boolean') {
      wrapped = add(wrapped, 'bool');
    } else if (typeof x === 'number') {
      wrapped = add(wrapped, Number.isInteger(x) ? 'int64' : defaultFloatDtype());
    } else {
      throw new TypeError(`resultType: '${name}' must be a Tensor or a number, got ${describe(x)}`);
    }
  }
  // Wrapped numbers of a float kind take the default dtype, not float64 (c10 does the same).
  if (wrapped !== undefined && isFloatingPoint(wrapped)) wrapped = defaultFloatDtype();
  if (wrapped !== undefined && isComplex(wrapped)) wrapped = defaultComplexDtype();
  return combine(dims, combine(zeroDim, wrapped)) as DType;
}

/** torch.can_cast(from_, to): whether PyTorch's casting rules allow it (no kind is lowered). */
export function canCast(from: DType, to: DType): boolean {
  checkDtype(from, 'canCast', 'from');
  checkDtype(to, 'canCast', 'to');
  if (isComplex(from) && !isComplex(to)) return false;
  if (isFloatingPoint(from) && isInt(to)) return false;
  if (from !== 'bool' && to === 'bool') return false;
  return true;
}
