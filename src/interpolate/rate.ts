// Output frames per input frame as an exact fraction. An integer factor puts
// every input frame on the output grid; a frame rate like 24 -> 60 (2.5) puts
// only some there, and the rest of the output is in-betweens at odd times.
// Integer arithmetic throughout, so no output frame drifts over an episode.
import { ToonscopeError } from '../core/errors.js';
import { reduce, type Ratio } from '../core/rate.js';

/** A factor (integer from 2 to 16) or a ratio (above 1, at most 16) as a reduced ratio; anything else is a one-line error. */
export function toRatio(factor: number | Ratio): Ratio {
  if (typeof factor === 'number') {
    if (!Number.isInteger(factor) || factor < 2 || factor > 16) throw new ToonscopeError(undefined, `factor must be an integer from 2 to 16, got ${factor}`);
    return { num: factor, den: 1 };
  }
  const { num, den } = factor;
  if (!(Number.isSafeInteger(num) && Number.isSafeInteger(den) && den > 0 && num > den && num <= 16 * den)) {
    throw new ToonscopeError(undefined, `the output must have more frames than the input, at most 16 times as many; got ${num}/${den} per input frame`);
  }
  const r = reduce(num, den);
  // Keeps frame number x num exact (below 2^53) for any video length that exists.
  if (r.den > 1_000_000) throw new ToonscopeError(undefined, `the rate ratio ${r.num}/${r.den} is too fine; give the rate as a fraction like 60000/1001`);
  return r;
}

/** `to` frames per second from `from`: output frames per input frame. */
export function rateRatio(from: Ratio, to: Ratio): Ratio {
  return toRatio(reduce(to.num * from.den, to.den * from.num));
}

/** Output frames before input frame `i` (the first output frame of input frame i has this index). */
export function outputsBefore(r: Ratio, i: number): number {
  return Math.ceil((i * r.num) / r.den);
}

/** Times, in [0, 1) of the step from input frame i to i+1, of the output frames that fall in that step; 0 is frame i itself. */
export function timesOf(r: Ratio, i: number): number[] {
  const out: number[] = [];
  for (let k = outputsBefore(r, i); k < outputsBefore(r, i + 1); k++) out.push((k * r.den - i * r.num) / r.num);
  return out;
}
