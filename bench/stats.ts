// The statistics of the suites: medians over the rounds, their spread, and the ratios of two
// contenders measured in the same round.
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarize(perRound: (number | undefined)[] | undefined): Summary | null {
  const xs = (perRound ?? []).filter((x): x is number => x !== undefined);
  if (xs.length === 0) return null;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
}

/**
 * The median over the rounds of a/b measured in the same round: the contenders of one round ran
 * seconds apart, so their ratio is immune to the host's slow drifts in speed.
 */
export function pairedRatio(
  a: (number | undefined)[] | undefined,
  b: (number | undefined)[] | undefined,
): number | null {
  if (!a || !b) return null;
  const rs: number[] = [];
  for (let r = 0; r < a.length; r++) {
    const x = a[r];
    const y = b[r];
    if (x !== undefined && y !== undefined) rs.push(x / y);
  }
  return rs.length ? median(rs) : null;
}
