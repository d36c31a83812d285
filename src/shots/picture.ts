// Comparisons of two frames' 16 x 16 thumbnails (metrics.ts keeps one per frame) that tell a change of the picture
// from a change of its light or of its framing: a dissolve or a cut brings another picture; a shot darkening, or a
// camera step over a held drawing, keeps the same one lit or placed differently.
import { THUMB } from './metrics.js';

/** Mean |a - b| over every cell and channel (0..255). */
export function thumbDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Mean |difference| from its channel means (0..255) under which a thumbnail is flat: one colour, but for noise. */
const FLAT = 1;

/**
 * How far the change from `a` to `b` is one of light only.
 * - `oneWay`: |sum of the cells' luma changes| / sum of their sizes, 1 when every cell got darker (or every one
 *   lighter), near 0 when as much got lighter as darker (two different pictures of like brightness).
 * - `left`: what one gain and offset per channel (least squares, b ~ g a + o) leaves of `b`'s own pattern (its mean
 *   |difference| from its channel means): ~0 for `a` dimmed or tinted, near 1 for a picture of other shapes, however
 *   much darker or lighter, and 1 for a flat `b`.
 */
export function lightChange(a: Uint8Array, b: Uint8Array): { oneWay: number; left: number } {
  let sum = 0, size = 0;
  for (let i = 0; i < a.length; i += 3) {
    const d = b[i] + b[i + 1] + b[i + 2] - a[i] - a[i + 1] - a[i + 2];
    sum += d;
    size += Math.abs(d);
  }
  let left = 0, pattern = 0;
  const n = a.length / 3;
  for (let c = 0; c < 3; c++) {
    let sa = 0, sb = 0, saa = 0, sab = 0;
    for (let i = c; i < a.length; i += 3) {
      sa += a[i];
      sb += b[i];
      saa += a[i] * a[i];
      sab += a[i] * b[i];
    }
    const ma = sa / n, mb = sb / n;
    const va = saa / n - ma * ma;
    const g = va > 1e-9 ? (sab / n - ma * mb) / va : 0;
    const o = mb - g * ma;
    for (let i = c; i < a.length; i += 3) {
      left += Math.abs(b[i] - (g * a[i] + o));
      pattern += Math.abs(b[i] - mb);
    }
  }
  // A flat last picture (a card of one colour) keeps nothing of the first's pattern to tell light from picture by: a
  // dissolve into it is no light change, all of it is left.
  return { oneWay: size > 0 ? Math.abs(sum) / size : 0, left: pattern >= FLAT * a.length ? left / pattern : 1 };
}

/**
 * The least mean |difference| between `b` and `a` moved by whole cells, at most `max` cells each way (in the overlap,
 * which must hold at least half the cells): what is left of the change once the previous picture is moved as a
 * camera would move it. At 16 x 16 cells fine detail (a face's lines as the camera zooms in a step) does not count.
 */
export function movedDiff(a: Uint8Array, b: Uint8Array, max = THUMB / 4): number {
  let best = Infinity;
  for (let dy = -max; dy <= max; dy++) {
    for (let dx = -max; dx <= max; dx++) {
      const w = THUMB - Math.abs(dx), h = THUMB - Math.abs(dy);
      if (2 * w * h < THUMB * THUMB) continue;
      let s = 0;
      for (let y = Math.max(0, dy); y < Math.min(THUMB, THUMB + dy); y++) {
        let pb = (y * THUMB + Math.max(0, dx)) * 3;
        let pa = ((y - dy) * THUMB + Math.max(0, -dx)) * 3;
        for (let k = 0; k < w * 3; k++) s += Math.abs(a[pa++] - b[pb++]);
      }
      const d = s / (w * h * 3);
      if (d < best) best = d;
    }
  }
  return best;
}
