// The Markdown that every suite's section shares: the numbers' format, its opening line, the
// skipped contenders, the spread of a measurement and the closing failures.
import type { Reply } from './common.js';
import type { Summary } from './stats.js';

type Result = Record<string, unknown>;

export const fmt = (x: number | null | undefined, digits = 3): string =>
  x == null ? '–' : x >= 100 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(digits);

/** 'met', '**not met**' or '–' (not measured). */
export const verdict = (b: boolean | null | undefined): string => (b == null ? '–' : b ? 'met' : '**not met**');

/** When the section ran, how often, and the host's load at its start and end. */
export function dateLine(result: Result, extra = ''): string {
  // Results of the format before the suites kept the end's load average in `machine`.
  const m = (result.machine ?? {}) as Record<string, unknown>;
  const loadEnd = result.loadavg1End ?? m.loadavg1End;
  return `- Date: ${result.date}; ${result.rounds} rounds x each contender, alternating${extra}; 1-minute load average ${m.loadavg1} at the start, ${loadEnd} at the end`;
}

/** The Python and C++ contenders' versions, or that they were skipped. */
export function versionLines(result: Result): string[] {
  const py = result.python as Reply | undefined;
  const cc = result.cpp as Reply | undefined;
  return [
    py ? `- Python ${py.python}, torch ${py.torch}` : '- Python torch: skipped',
    cc ? `- Plain C++: libtorch ${cc.libtorch}, compiler ${cc.compiler}, -O2` : '- Plain C++: skipped',
  ];
}

export function skippedLines(result: Result): string[] {
  const skipped = (result.skipped ?? {}) as Record<string, string>;
  return Object.entries(skipped).map(([id, why]) => `- **Skipped ${id}**: ${why}`);
}

/** min–max over the rounds. */
export const spread = (s: Summary | null): string => (s ? `${fmt(s.min)}–${fmt(s.max)}` : '–');

/** The section's last lines: its failures, if any, and the blank line that ends it. */
export function closingLines(result: Result): string[] {
  const failures = (result.failures ?? []) as string[];
  return [...(failures.length ? ['', `**Failures**: ${failures.join('; ')}`] : []), ''];
}
