// Bidirectional forward warping with softmax-splatting-style occlusion
// handling: every source pixel is pushed to where it is at time t and added
// with weight exp(-alpha * error), where error is how badly its flow explains
// the other frame. Pixels about to be covered (or uncovered) explain the other
// frame badly, so visible surfaces win where several land on one spot. The
// result is mixed with a backward-sampled frame from the same weights
// (backwarp.ts) and leans towards the blend where no motion fits.
import type { Image } from '../core/types.js';
import { boxBlur, type Flow } from './raster.js';
import { backwarpBetween } from './backwarp.js';

export interface SplatOptions {
  /** Sharpness of the occlusion weighting, per unit of 0..255 error. */
  alpha?: number;
  /** Coverage below which the output leans on a backward-sampled blend (holes). */
  holeCoverage?: number;
  /** Disagreement (0..255) between the two warped frames at which the output becomes their plain average (0 disables). */
  shrink?: number;
  /** Depth cue: log-weight bonus per pixel of motion relative to the dominant (camera) motion. */
  depth?: number;
  /** Cap of that motion, in pixels (at output resolution). */
  depthCap?: number;
  /** Weight of the backward-sampled frame (backwarp.ts) mixed into the splatted one: 0 splats only, 1 samples only (default 0.5). */
  backward?: number;
  /** Mean landing error (0..255) above which the output leans towards the plain blend (default 40; 0 disables). */
  unsure?: number;
  /** Error range over which that lean grows from none to its maximum (default 40). */
  unsureSpan?: number;
  /** Maximum lean towards the blend (default 0.5; a full lean was measured worse). */
  unsureLean?: number;
  /** Coverage from each frame needed before leaning (default 0.3): spots only one frame reached are occlusions. */
  unsureBoth?: number;
  /** Weight of the per-channel median of (splatted, backward-sampled, blend) in place of their mix (default 0.5; 0 disables). */
  robust?: number;
}

interface Accum {
  rgbw: Float32Array;
  cov: Float32Array;
  /** Coverage-weighted sum of the landing pixels' errors. */
  err: Float32Array;
  /** Per source pixel: its splatting weight without the time factor (reused by the backward sampler). */
  z: Float32Array;
}

/** Median of the flow components over a sparse grid: the dominant (usually camera) motion. */
export function dominantMotion(flow: Flow): [number, number] {
  const xs: number[] = [], ys: number[] = [];
  const step = Math.max(1, Math.floor(Math.sqrt((flow.width * flow.height) / 4000)));
  for (let y = 0; y < flow.height; y += step) {
    for (let x = 0; x < flow.width; x += step) {
      const i = y * flow.width + x;
      xs.push(flow.data[i * 2]);
      ys.push(flow.data[i * 2 + 1]);
    }
  }
  const med = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1] ?? 0;
  return [med(xs), med(ys)];
}

function push(src: Image, flow: Flow, err: Float32Array, s: number, tw: number, alpha: number, depth: number, cap: number, acc: Accum): void {
  const w = src.width, h = src.height, c = src.channels, d = src.data, f = flow.data;
  const [gx, gy] = dominantMotion(flow);
  const { rgbw, cov } = acc;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const tx = x + s * f[i * 2];
      const ty = y + s * f[i * 2 + 1];
      const x0 = Math.floor(tx), y0 = Math.floor(ty);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue;
      const ax = tx - x0, ay = ty - y0;
      const dx = f[i * 2] - gx, dy = f[i * 2 + 1] - gy, rel = Math.sqrt(dx * dx + dy * dy); // (Math.hypot is several times slower)
      const z0 = Math.exp(depth * (rel < cap ? rel : cap) - alpha * err[i]);
      acc.z[i] = z0;
      const z = tw * z0;
      const r = d[i * c], g = d[i * c + 1], b = d[i * c + 2];
      for (let k = 0; k < 4; k++) {
        const xx = x0 + (k & 1), yy = y0 + (k >> 1);
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const bw = ((k & 1) ? ax : 1 - ax) * ((k >> 1) ? ay : 1 - ay);
        if (bw <= 0) continue;
        const o = yy * w + xx;
        const q = bw * z;
        rgbw[o * 4] += q * r;
        rgbw[o * 4 + 1] += q * g;
        rgbw[o * 4 + 2] += q * b;
        rgbw[o * 4 + 3] += q;
        cov[o] += bw * tw;
        acc.err[o] += bw * tw * err[i];
      }
    }
  }
}

/** Bilinear sample of channel k, clamped (a copy of raster.sample the JIT inlines into hot loops; backwarp.ts uses it too). */
export function at(img: Image, x: number, y: number, k: number): number {
  const w = img.width, h = img.height, c = img.channels;
  if (x < 0) x = 0; else if (x > w - 1) x = w - 1;
  if (y < 0) y = 0; else if (y > h - 1) y = h - 1;
  const x0 = x | 0, y0 = y | 0;
  const x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  const ax = x - x0, ay = y - y0, d = img.data;
  const top = d[(y0 * w + x0) * c + k] * (1 - ax) + d[(y0 * w + x1) * c + k] * ax;
  const bot = d[(y1 * w + x0) * c + k] * (1 - ax) + d[(y1 * w + x1) * c + k] * ax;
  return top * (1 - ay) + bot * ay;
}

/** Median of three values. */
export const med3 = (p: number, q: number, r: number): number => Math.max(Math.min(p, q), Math.min(Math.max(p, q), r));

/**
 * The frame at time t in (0, 1) between `a` (t = 0) and `b` (t = 1), given
 * full-resolution flows a->b and b->a and their per-pixel errors. `unsure`, if
 * given, receives per pixel how unsure the result is (0..1: the largest of the
 * lean towards the blend, the two-frame disagreement and the hole fill).
 */
export function splatBetween(a: Image, b: Image, ab: Flow, ba: Flow, errAb: Float32Array, errBa: Float32Array, t: number, opts: SplatOptions = {}, unsure?: Float32Array): Image {
  const w = a.width, h = a.height, n = w * h;
  const alpha = opts.alpha ?? 0.07;
  const hole = opts.holeCoverage ?? 0.3;
  const accA: Accum = { rgbw: new Float32Array(n * 4), cov: new Float32Array(n), err: new Float32Array(n), z: new Float32Array(n) };
  const accB: Accum = { rgbw: new Float32Array(n * 4), cov: new Float32Array(n), err: new Float32Array(n), z: new Float32Array(n) };
  const e0 = opts.unsure ?? 40, e1 = opts.unsureSpan ?? 40;
  const lean = new Float32Array(n);
  // Scale-free depth cue: relative motion measured in units of 1/100 of the image width.
  const unit = w / 100;
  const depth = (opts.depth ?? 1) / unit;
  const cap = (opts.depthCap ?? 4) * unit;
  const bw = opts.backward ?? 0.5;
  push(a, ab, errAb, t, 1 - t, alpha, depth, cap, accA);
  push(b, ba, errBa, 1 - t, t, alpha, depth, cap, accB);
  const back = bw > 0 ? backwarpBetween(a, b, ab, ba, accA.z, accB.z, t) : undefined;
  if (back && bw >= 1) return back;
  const ra = accA.rgbw, rb = accB.rgbw;
  // Where the two warped frames disagree, neither can be trusted: shrink towards their plain average
  // (the least-squares guess between two hypotheses) instead of letting the softmax pick one.
  const shrink = opts.shrink ?? 60;
  let beta: Float32Array | undefined;
  if (shrink > 0) {
    const dis = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const wa = ra[i * 4 + 3], wb = rb[i * 4 + 3];
      if (wa < 1e-6 || wb < 1e-6) continue;
      let d = 0;
      for (let k = 0; k < 3; k++) d += Math.abs(ra[i * 4 + k] / wa - rb[i * 4 + k] / wb);
      dis[i] = d / 3;
    }
    beta = boxBlur(dis, w, h, 2);
    for (let i = 0; i < n; i++) beta[i] = Math.min(1, beta[i] / shrink);
  }
  const out = new Uint8ClampedArray(n * 3);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const wa = ra[i * 4 + 3], wb = rb[i * 4 + 3];
      const wsum = wa + wb;
      const cov = accA.cov[i] + accB.cov[i];
      // Where little landed, mix in a backward sample along the local flow (an approximation that fills holes).
      const lack = cov < hole ? hole - cov : 0;
      let fr = 0, fg = 0, fb = 0;
      if (lack > 0 || wsum <= 1e-12) {
        const xa = x - t * ab.data[i * 2], ya = y - t * ab.data[i * 2 + 1];
        const xb = x - (1 - t) * ba.data[i * 2], yb = y - (1 - t) * ba.data[i * 2 + 1];
        fr = (1 - t) * at(a, xa, ya, 0) + t * at(b, xb, yb, 0);
        fg = (1 - t) * at(a, xa, ya, 1) + t * at(b, xb, yb, 1);
        fb = (1 - t) * at(a, xa, ya, 2) + t * at(b, xb, yb, 2);
      }
      if (wsum <= 1e-12) {
        out[i * 3] = fr; out[i * 3 + 1] = fg; out[i * 3 + 2] = fb;
        continue;
      }
      const m = lack / hole;
      // Where what landed explains the other frame badly, no motion fits (a mouth opening, a new pose): lean on the plain blend.
      // Only where both frames landed: a spot reached from one side is an occlusion, where a high error is natural.
      const ca = accA.cov[i], cb = accB.cov[i], both = opts.unsureBoth ?? 0.3;
      const me = ca > both && cb > both ? Math.min(accA.err[i] / ca, accB.err[i] / cb) : 0;
      if (e0 > 0 && me > e0) lean[i] = Math.min(1, (me - e0) / e1);
      const bt = beta && wa > 1e-6 && wb > 1e-6 ? beta[i] : 0;
      if (unsure) unsure[i] = Math.max(lean[i], bt, m);
      for (let k = 0; k < 3; k++) {
        // Normalised joint splat, shrunk towards the two-sided average where they disagree, then hole-filled.
        let v = (ra[i * 4 + k] + rb[i * 4 + k]) / wsum;
        if (bt > 0) v = (1 - bt) * v + bt * ((1 - t) * (ra[i * 4 + k] / wa) + t * (rb[i * 4 + k] / wb));
        v = (1 - m) * v + m * (k === 0 ? fr : k === 1 ? fg : fb);
        out[i * 3 + k] = v;
      }
    }
  }
  if (back) {
    // Where the two syntheses disagree, the median with the blend keeps the one nearer the least-squares guess.
    const rw = opts.robust ?? 0.5;
    for (let i = 0; i < out.length; i++) {
      const p = out[i], q = back.data[i];
      let v = (1 - bw) * p + bw * q;
      if (rw > 0) v = (1 - rw) * v + rw * med3(p, q, (1 - t) * a.data[i] + t * b.data[i]);
      out[i] = v;
    }
  }
  // Hedge where no motion explained the change: the blend is the least-squares guess between the two drawings.
  const lk = opts.unsureLean ?? 0.5;
  for (let i = 0; i < n; i++) {
    const g = lean[i] * lk;
    if (g > 0) for (let k = 0; k < 3; k++) out[i * 3 + k] = (1 - g) * out[i * 3 + k] + g * ((1 - t) * a.data[i * 3 + k] + t * b.data[i * 3 + k]);
  }
  return { width: w, height: h, channels: 3, data: new Uint8Array(out.buffer) };
}
