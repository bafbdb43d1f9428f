// Python's float formatting where the schedulers' messages need it (not re-exported by index.ts:
// an internal helper, tested against Python).

/**
 * A value as Python's '{:.4e}' writes it: 'inf' and 'nan', a signed zero, two exponent digits at
 * least, and ties rounded to even (JS's toExponential(4) rounds them away from zero: 1.03125
 * would print 1.0313e+0 where Python prints 1.0312e+00).
 */
export function formatE4(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return `${sign}0.0000e+00`;
  // 101 significant digits: exact for any value that could be a tie at the fifth digit.
  const [mantissa, expPart] = Math.abs(v).toExponential(100).split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  let exp = Number(expPart);
  let head = Number(digits.slice(0, 5));
  const next = digits.charCodeAt(5) - 48;
  const exactHalf = next === 5 && !/[1-9]/.test(digits.slice(6));
  if (next > 5 || (next === 5 && (!exactHalf || head % 2 === 1))) head += 1;
  if (head === 100000) {
    head = 10000;
    exp += 1;
  }
  const h = String(head);
  return `${sign}${h[0]}.${h.slice(1)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
