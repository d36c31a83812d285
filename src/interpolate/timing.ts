// Easing from the neighbouring drawings. Animators space the drawings of a
// move unevenly ("slow in, slow out"): a move that settles into a pose covers
// most of its distance early, so its in-between sits nearer the later drawing
// than halfway. Two frames cannot show this; the drawings before and after
// can. The speed of the three consecutive steps (previous→a, a→c, c→next) is
// fitted by an exponential ease (speed ∝ e^(k·time)), and the in-between at
// time u is put where that ease has covered its share of the a→c distance.
// It acts only on a strong, consistent ease: small speed differences are
// measurement noise, and a wrongly shifted in-between costs more than a
// halfway one (measured in docs/interpolate.md).
import type { Image } from '../core/types.js';
import { toChannels } from '../core/image.js';
import { forwardFlow } from './flow.js';
import { scaleImage } from './raster.js';

/** Mean motion (pixels per frame) of the steps around the pair being interpolated. */
export interface Speeds {
  /** previous drawing → a, per frame; undefined at a shot start. */
  prev?: number;
  /** a → c, per frame. */
  cur: number;
  /** c → next drawing, per frame; undefined at a shot end. */
  next?: number;
  /** Frames from the previous drawing to a, from a to c, from c to the next (default 1 each). */
  gaps?: [number, number, number];
}

export interface EaseOptions {
  /** Smallest shift of the halfway in-between worth acting on (default 0.1; smaller eases are noise). */
  minShift?: number;
  /** Largest shift of any in-between from its linear time (default 0.2). */
  maxShift?: number;
  /** How far (factor) the middle speed may sit from the fitted ease and still count as one (default 2). */
  fit?: number;
  /** Speeds below this (pixels per frame at the measuring size) count as this much: holds are "almost still". */
  floor?: number;
}

/** The exponential ease's rate per frame from the three speeds, or undefined when they do not show one. */
export function easeRate(s: Speeds, opts: EaseOptions = {}): number | undefined {
  if (s.prev === undefined || s.next === undefined) return undefined;
  const floor = opts.floor ?? 0.05;
  const [gp, gc, gn] = s.gaps ?? [1, 1, 1];
  if (!(gp > 0 && gc > 0 && gn > 0)) return undefined;
  const lp = Math.log(Math.max(s.prev, floor)), lc = Math.log(Math.max(s.cur, floor)), ln = Math.log(Math.max(s.next, floor));
  // A consistent ease speeds up or slows down throughout.
  if (!((lp >= lc && lc >= ln) || (lp <= lc && lc <= ln))) return undefined;
  // Centres of the three steps in frames from a; the rate comes from the outer two.
  const cp = -gp / 2, cc = gc / 2, cn = gc + gn / 2;
  const k = (ln - lp) / (cn - cp);
  // The middle step must lie on that ease (within a factor): otherwise it is not one motion easing.
  const predicted = lp + k * (cc - cp);
  if (Math.abs(lc - predicted) > Math.log(opts.fit ?? 2)) return undefined;
  return k;
}

/** Eased positions (share of the a→c motion) for linear times `ts` in (0, 1). */
export function easeTimes(ts: number[], s: Speeds, opts: EaseOptions = {}): number[] {
  const k = easeRate(s, opts);
  if (k === undefined || Math.abs(k) < 1e-9) return ts;
  const gc = s.gaps?.[1] ?? 1;
  const K = k * gc;
  // Share of the distance covered by time u when speed grows as e^(K·u): (e^(K·u) - 1) / (e^K - 1).
  const share = (u: number) => Math.expm1(K * u) / Math.expm1(K);
  if (Math.abs(share(0.5) - 0.5) < (opts.minShift ?? 0.1)) return ts;
  const cap = opts.maxShift ?? 0.2;
  return ts.map((u) => Math.min(u + cap, Math.max(u - cap, share(u))));
}

/**
 * How fast things move between two frames: the mean flow magnitude over the pixels that move (over
 * half a pixel), measured with the long side at `size` px so every step is on the same scale; 0 when
 * almost nothing moves. Averaging over moving pixels only keeps it a speed: over the whole frame it
 * would also grow with how much of the frame moves (a disc growing from a dot looked like a move
 * speeding up). A consequence: any motion reads at least about 0.6, so a move
 * that settles slower than that per step reads as "about 0.6", and one where
 * under 0.1 % of the pixels move reads as 0 (floored to 0.05 by easeRate).
 */
export async function motionSpeed(a: Image, b: Image, size = 224): Promise<number> {
  const A = toChannels(a, 3), B = toChannels(b, 3);
  const s = Math.min(1, size / Math.max(A.width, A.height));
  const w = Math.max(8, Math.round(A.width * s)), h = Math.max(8, Math.round(A.height * s));
  // Only the forward flow: the same vectors flowPair gives, without the backward direction nobody reads here.
  const d = (await forwardFlow(await scaleImage(A, w, h), await scaleImage(B, w, h))).data;
  let sum = 0, moving = 0;
  for (let i = 0; i < d.length; i += 2) {
    const v = Math.hypot(d[i], d[i + 1]);
    if (v > 0.5) {
      sum += v;
      moving++;
    }
  }
  return moving < 0.001 * (d.length / 2) ? 0 : sum / moving;
}
