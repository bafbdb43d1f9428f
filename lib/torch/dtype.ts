// dtypes are strings, as the API conventions say; the addon sees c10::ScalarType's codes.
// complex64 and complex128 (cfloat, cdouble) hold (real, imaginary) pairs of float32 or float64:
// JavaScript has no complex number, so their values cross as real tensors (torch.viewAsReal,
// x.real, x.imag) or as interleaved pairs (toTypedArray()); item() and toArray() throw for them.

export type DType =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'complex64'
  | 'complex128'
  | 'bool'
  | 'bfloat16';

const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  complex64: 9,
  complex128: 10,
  bool: 11,
  bfloat16: 15,
};

const NAMES: DType[] = [];
for (const [name, code] of Object.entries(CODES)) NAMES[code] = name as DType;

export const uint8: DType = 'uint8';
export const int8: DType = 'int8';
export const int16: DType = 'int16';
export const int32: DType = 'int32';
export const int64: DType = 'int64';
export const float16: DType = 'float16';
export const float32: DType = 'float32';
export const float64: DType = 'float64';
export const complex64: DType = 'complex64';
export const complex128: DType = 'complex128';
export const bfloat16: DType = 'bfloat16';
export const bool: DType = 'bool';
export const half: DType = 'float16';
export const float: DType = 'float32';
export const double: DType = 'float64';
export const long: DType = 'int64';
export const cfloat: DType = 'complex64';
export const cdouble: DType = 'complex128';

/** The addon's code for a dtype name; undefined passes through (the op's default). */
export function dtypeCode(dtype: DType | undefined | null, op: string): number | undefined {
  if (dtype === undefined || dtype === null) return undefined;
  const code = CODES[dtype];
  if (code === undefined) {
    throw new TypeError(`${op}: unknown dtype '${String(dtype)}' (expected one of ${Object.keys(CODES).join(', ')})`);
  }
  return code;
}

export function dtypeName(code: number): DType {
  const name = NAMES[code];
  if (name === undefined) throw new Error(`torch-node: the addon returned unknown dtype code ${code}`);
  return name;
}

/** Whether a dtype is a real floating-point one; false for complex64/complex128, as in PyTorch. */
export const isFloatingPoint = (d: DType): boolean =>
  d === 'float16' || d === 'float32' || d === 'float64' || d === 'bfloat16';

/**
 * Whether a dtype, or a tensor's dtype, is complex (complex64, complex128): `torch.isComplex(x)`
 * as PyTorch's `torch.is_complex(x)`, and `torch.isComplex('complex64')` as `dtype.is_complex`.
 */
export function isComplex(x: DType | { readonly dtype: DType }): boolean {
  const d = typeof x === 'string' ? x : x?.dtype;
  return d === 'complex64' || d === 'complex128';
}

export const isDType = (s: unknown): s is DType => typeof s === 'string' && s in CODES;
