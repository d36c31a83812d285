// Output frames per input frame as an exact fraction. An integer factor puts
// every input frame on the output grid; a frame rate like 24 -> 60 (2.5) puts
// only some there, and the rest of the output is in-betweens at odd times.
// Integer arithmetic throughout, so no output frame drifts over an episode.
import { ToonscopeError } from '../core/errors.js';

/** Output frames per input frame: num / den, reduced, above 1. */
export interface Ratio {
  num: number;
  den: number;
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** num/den in lowest terms. */
export function reduce(num: number, den: number): Ratio {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

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
  return reduce(num, den);
}

/**
 * A frame rate as a fraction: "24000/1001", "60", "23.976". Decimals within
 * 0.01 of an NTSC rate (N * 1000/1001: 23.976, 29.97, 59.94, 119.88) mean that rate,
 * as video tools write them.
 */
export function parseFps(text: string): Ratio | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+)\s*)?$/.exec(text);
  if (!m) return undefined;
  if (m[2] !== undefined) {
    const num = Number(m[1]), den = Number(m[2]);
    return Number.isInteger(num) && num > 0 && den > 0 ? reduce(num, den) : undefined;
  }
  const x = Number(m[1]);
  if (!(x > 0)) return undefined;
  if (Number.isInteger(x)) return { num: x, den: 1 };
  const ntsc = Math.round((x * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - x) < 0.01) return reduce(ntsc * 1000, 1001);
  const places = m[1].split('.')[1].length;
  return reduce(Math.round(x * 10 ** places), 10 ** places);
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
