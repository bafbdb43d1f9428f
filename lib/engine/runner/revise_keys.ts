// Runner.loadCheckpoint's `reviseKeys`, as MMEngine's `revise_keys`: each [pattern, replacement]
// pair rewrites every state-dict key with Python's `re.sub(pattern, replacement, key)`, pairs in
// turn. A string pattern is a regular expression (as in Python), and every match is replaced, a
// RegExp given without the `g` flag too (re.sub replaces them all). The replacement is a
// JavaScript replacement string: `$1` and `$<name>` for groups, not Python's `\1`; the patterns
// are JavaScript regular expressions (`(?<name>...)`, not `(?P<name>...)`).

/** What reviseKeys holds: [pattern, replacement] pairs. */
export type ReviseKeys = [RegExp | string, string][];

/** MMEngine's default, `^module.`, with the dot escaped: it also cut 'modules.', a real name. */
export const DEFAULT_REVISE_KEYS: ReviseKeys = [[/^module\./, '']];

/** A value for an error message: a RegExp as its source, a string quoted, a pair as [a, b]. */
export function showValue(v: unknown): string {
  if (v instanceof RegExp) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (v === null || typeof v !== 'object') return String(v);
  return `an object of class ${v.constructor?.name ?? '(anonymous)'}`;
}

/**
 * reviseKeys checked and compiled, before any file is read: an array of [pattern (string or
 * RegExp), replacement (string)] pairs, each pattern made a global RegExp (a string compiled;
 * a RegExp copied with `g` added, so the caller's keeps its flags and lastIndex).
 */
export function compileReviseKeys(value: unknown, what = 'Runner.loadCheckpoint: reviseKeys'): [RegExp, string][] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} must be an array of [pattern, replacement] pairs, got ${showValue(value)}`);
  }
  return value.map((entry, i): [RegExp, string] => {
    const pair = Array.isArray(entry) && entry.length === 2;
    if (pair && (typeof entry[0] === 'string' || entry[0] instanceof RegExp) && typeof entry[1] === 'string') {
      const p = entry[0];
      if (p instanceof RegExp) return [new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`), entry[1]];
      try {
        return [new RegExp(p, 'g'), entry[1]];
      } catch (e) {
        throw new SyntaxError(
          `${what}[${i}] has a pattern that is not a valid regular expression: ${showValue(p)} (${(e as Error).message})`,
        );
      }
    }
    // A lone pair (MMEngine's revise_keys is a list of them too) is the likely slip.
    const lone =
      i === 0 && value.length === 2 && (typeof entry === 'string' || entry instanceof RegExp)
        ? `; for a single pair write [[${showValue(value[0])}, ${showValue(value[1])}]]`
        : '';
    const why = !pair
      ? 'is not a [pattern, replacement] pair'
      : typeof entry[0] === 'string' || entry[0] instanceof RegExp
        ? 'has a replacement that is not a string'
        : 'has a pattern that is not a string or a RegExp';
    throw new TypeError(`${what}[${i}] ${why}: ${showValue(entry)}${lone}`);
  });
}

/** A key after every pair, in turn (re.sub each: every match replaced). */
export function reviseKey(key: string, revise: readonly [RegExp, string][]): string {
  return revise.reduce((k, [p, r]) => k.replace(p, r), key);
}
