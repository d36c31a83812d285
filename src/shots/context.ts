// Local context for adaptive thresholds. Animation holds each drawing for
// 2-3 frames, so half the frame differences are ~0; averaging them in would
// make every new drawing look like a spike. The context therefore uses only
// the differences of frames that actually changed (above `noise`).

/** Median of series[j] for j in [i-radius, i+radius], j != i, keeping values above `noise`. NaN if fewer than `minCount`. */
export function changedMedian(series: (j: number) => number, i: number, radius: number, noise: number, minCount = 2): number {
  const vals: number[] = [];
  for (let j = i - radius; j <= i + radius; j++) {
    if (j === i) continue;
    const v = series(j);
    if (v > noise) vals.push(v);
  }
  if (vals.length < minCount) return NaN;
  vals.sort((a, b) => a - b);
  const mid = vals.length >> 1;
  return vals.length % 2 ? vals[mid] : (vals[mid - 1] + vals[mid]) / 2;
}
