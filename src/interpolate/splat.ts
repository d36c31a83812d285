// Bidirectional forward warping with softmax-splatting-style occlusion
// handling: every source pixel is pushed to where it is at time t and added
// with weight exp(-alpha * error), where error is how badly its flow explains
// the other frame. Pixels about to be covered (or uncovered) explain the other
// frame badly, so visible surfaces win where several land on one spot. The
// result is mixed with a backward-sampled frame from the same weights
// (backwarp.ts) and leans towards the blend where no motion fits.
import type { Image } from '../core/types.js';
import { at3, blurBytes, boxBlur, type Flow } from './raster.js';
import { backwarpBetween, backwarpKernel } from './backwarp.js';
import { bands, useKernel, type Arena } from './kernel.js';

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
  /** Offsets of these arrays in the kernel's memory, when the kernel made them. */
  off?: { rgbw: number; cov: number; err: number; z: number };
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

/** Add weight `q` of colour (r, g, b) and coverage `cv` with error `e` at output pixel `o` (the JIT inlines it). */
function put(rgbw: Float32Array, cov: Float32Array, err: Float32Array, o: number, q: number, r: number, g: number, b: number, cv: number, e: number): void {
  const o4 = o * 4;
  rgbw[o4] += q * r;
  rgbw[o4 + 1] += q * g;
  rgbw[o4 + 2] += q * b;
  rgbw[o4 + 3] += q;
  cov[o] += cv;
  err[o] += cv * e;
}

function push(src: Image, flow: Flow, err: Float32Array, s: number, tw: number, alpha: number, depth: number, cap: number, acc: Accum): void {
  const w = src.width, h = src.height, c = src.channels, d = src.data, f = flow.data;
  const [gx, gy] = dominantMotion(flow);
  const { rgbw, cov, z: zs } = acc, ae = acc.err;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const fx = f[i * 2], fy = f[i * 2 + 1];
      const tx = x + s * fx;
      const ty = y + s * fy;
      const x0 = Math.floor(tx), y0 = Math.floor(ty);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue;
      const ax = tx - x0, ay = ty - y0;
      const dx = fx - gx, dy = fy - gy, rel = Math.sqrt(dx * dx + dy * dy); // (Math.hypot is several times slower)
      const z0 = Math.exp(depth * (rel < cap ? rel : cap) - alpha * err[i]);
      zs[i] = z0;
      const z = tw * z0, e = err[i];
      const r = d[i * c], g = d[i * c + 1], b = d[i * c + 2];
      const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
      const o = y0 * w + x0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // Inside: all four corners, unrolled (a zero bilinear weight adds exactly nothing).
        put(rgbw, cov, ae, o, w00 * z, r, g, b, w00 * tw, e);
        put(rgbw, cov, ae, o + 1, w10 * z, r, g, b, w10 * tw, e);
        put(rgbw, cov, ae, o + w, w01 * z, r, g, b, w01 * tw, e);
        put(rgbw, cov, ae, o + w + 1, w11 * z, r, g, b, w11 * tw, e);
        continue;
      }
      for (let k = 0; k < 4; k++) {
        const xx = x0 + (k & 1), yy = y0 + (k >> 1);
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const bw = k === 0 ? w00 : k === 1 ? w10 : k === 2 ? w01 : w11;
        if (bw <= 0) continue;
        put(rgbw, cov, ae, yy * w + xx, bw * z, r, g, b, bw * tw, e);
      }
    }
  }
}

/** push() in WebAssembly on the image and flow at offsets `src` and `flow` of the arena; the accumulators are views into it. */
function kernelPush(K: Arena, src: number, flow: number, err: number, w: number, h: number, s: number, tw: number, alpha: number, depth: number, cap: number, [gx, gy]: [number, number]): Accum {
  // z is not zeroed: backPush reads it only where splatPush wrote it (the same flow, time and bounds test).
  const n = w * h, rgbw = K.alloc(16 * n), cov = K.alloc(4 * n), aerr = K.alloc(4 * n), z = K.alloc(4 * n, false);
  bands(h, (y0, y1) => K.k.splatPush(src, flow, err, z, rgbw, cov, aerr, w, h, s, tw, alpha, depth, cap, gx, gy, y0, y1));
  return { rgbw: K.f32(rgbw, 4 * n), cov: K.f32(cov, n), err: K.f32(aerr, n), z: K.f32(z, n), off: { rgbw, cov, err: aerr, z } };
}

/** Median of three values. */
export const med3 = (p: number, q: number, r: number): number => Math.max(Math.min(p, q), Math.min(Math.max(p, q), r));

/**
 * Arena bytes of splatBetween's kernel path: per pixel the frames, flows, errors, both splats, the backward sampler,
 * out and unsure, and the disagreement's blur, which runs inside this use (a caller keeping room for it: interp.ts).
 */
export function splatBytes(w: number, h: number): number {
  return 140 * w * h + blurBytes(w, h) + 4096;
}

/**
 * The frame at time t in (0, 1) between `a` (t = 0) and `b` (t = 1), given
 * full-resolution flows a->b and b->a and their per-pixel errors. `unsure`, if
 * given, receives per pixel how unsure the result is (0..1: the largest of the
 * lean towards the blend, the two-frame disagreement and the hole fill).
 */
export function splatBetween(a: Image, b: Image, ab: Flow, ba: Flow, errAb: Float32Array, errBa: Float32Array, t: number, opts: SplatOptions = {}, unsure?: Float32Array): Image {
  const K = useKernel(splatBytes(a.width, a.height));
  try {
    return splatWith(K, a, b, ab, ba, errAb, errBa, t, opts, unsure);
  } finally {
    K?.end();
  }
}

function splatWith(K: Arena | null, a: Image, b: Image, ab: Flow, ba: Flow, errAb: Float32Array, errBa: Float32Array, t: number, opts: SplatOptions, unsure?: Float32Array): Image {
  const w = a.width, h = a.height, n = w * h;
  const alpha = opts.alpha ?? 0.07;
  const hole = opts.holeCoverage ?? 0.3;
  let accA: Accum, accB: Accum, frames: { pa: number; pb: number; fa: number; fb: number; back: number } | undefined;
  const e0 = opts.unsure ?? 40, e1 = opts.unsureSpan ?? 40;
  // Scale-free depth cue: relative motion measured in units of 1/100 of the image width.
  const unit = w / 100;
  const depth = (opts.depth ?? 1) / unit;
  const cap = (opts.depthCap ?? 4) * unit;
  const bw = opts.backward ?? 0.5;
  let back: Image | undefined;
  if (K) {
    // The same pushes and backward sampler in WebAssembly (kernel.wat), on arrays in its memory.
    const pa = K.put(a.data), pb = K.put(b.data), fa = K.put(ab.data), fb = K.put(ba.data);
    accA = kernelPush(K, pa, fa, K.put(errAb), w, h, t, 1 - t, alpha, depth, cap, dominantMotion(ab));
    accB = kernelPush(K, pb, fb, K.put(errBa), w, h, 1 - t, t, alpha, depth, cap, dominantMotion(ba));
    frames = { pa, pb, fa, fb, back: 0 };
    if (bw > 0) {
      const data = backwarpKernel(K, pa, pb, fa, fb, accA.off!.z, accB.off!.z, w, h, t);
      back = { width: w, height: h, channels: 3, data };
      frames.back = data.byteOffset;
    }
  } else {
    accA = { rgbw: new Float32Array(n * 4), cov: new Float32Array(n), err: new Float32Array(n), z: new Float32Array(n) };
    accB = { rgbw: new Float32Array(n * 4), cov: new Float32Array(n), err: new Float32Array(n), z: new Float32Array(n) };
    push(a, ab, errAb, t, 1 - t, alpha, depth, cap, accA);
    push(b, ba, errBa, 1 - t, t, alpha, depth, cap, accB);
    if (bw > 0) back = backwarpBetween(a, b, ab, ba, accA.z, accB.z, t);
  }
  if (back && bw >= 1) return { ...back, data: back.data.slice() };
  const ra = accA.rgbw, rb = accB.rgbw;
  // Where the two warped frames disagree, neither can be trusted: shrink towards their plain average
  // (the least-squares guess between two hypotheses) instead of letting the softmax pick one.
  const shrink = opts.shrink ?? 60;
  let beta: Float32Array | undefined, betaOff = 0;
  if (shrink > 0 && K) {
    // The loop below in WebAssembly, and its blur in the arena (no copies in or out): the same float64 steps.
    const dis = K.alloc(4 * n, false), tmp = K.alloc(4 * n, false), acc = K.alloc(8 * w, false);
    betaOff = K.alloc(4 * n, false);
    K.k.disagree(accA.off!.rgbw, accB.off!.rgbw, dis, n);
    K.k.boxBlur(dis, tmp, acc, betaOff, w, h, 2);
    K.k.capDiv(betaOff, n, shrink);
  } else if (shrink > 0) {
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
  const both = opts.unsureBoth ?? 0.3, rw = opts.robust ?? 0.5, lk = opts.unsureLean ?? 0.5;
  if (K && frames) {
    // The per-pixel pass below, in WebAssembly.
    const oa = accA.off!, ob = accB.off!, outOff = K.alloc(3 * n, false), un = unsure ? K.alloc(4 * n, false) : 0;
    bands(h, (y0, y1) => K.k.compose(frames!.pa, frames!.pb, frames!.fa, frames!.fb, oa.rgbw, ob.rgbw, oa.cov, ob.cov, oa.err, ob.err, betaOff, frames!.back,
      outOff, un, w, h, t, hole, e0, e1, both, bw, rw, lk, y0, y1));
    if (unsure) unsure.set(K.f32(un, n));
    return { width: w, height: h, channels: 3, data: K.u8(outOff, 3 * n).slice() };
  }
  const out = new Uint8ClampedArray(n * 3);
  const sa = new Float64Array(3), sb = new Float64Array(3);
  const covA = accA.cov, covB = accB.cov, errA = accA.err, errB = accB.err, fab = ab.data, fba = ba.data, ad = a.data, bd = b.data;
  const bk = back?.data;
  // One pass per pixel: the splat, then the mix with the backward-sampled frame, then the hedge. Each stage reads the
  // previous one's value back from the byte array, so it is rounded exactly as when they were separate passes.
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const i3 = i * 3, i4 = i * 4;
      const wa = ra[i4 + 3], wb = rb[i4 + 3];
      const wsum = wa + wb;
      const cov = covA[i] + covB[i];
      // Where little landed, mix in a backward sample along the local flow (an approximation that fills holes).
      const lack = cov < hole ? hole - cov : 0;
      let fr = 0, fg = 0, fb = 0, lean = 0;
      if (lack > 0 || wsum <= 1e-12) {
        const xa = x - t * fab[i * 2], ya = y - t * fab[i * 2 + 1];
        const xb = x - (1 - t) * fba[i * 2], yb = y - (1 - t) * fba[i * 2 + 1];
        at3(a, xa, ya, sa);
        at3(b, xb, yb, sb);
        fr = (1 - t) * sa[0] + t * sb[0];
        fg = (1 - t) * sa[1] + t * sb[1];
        fb = (1 - t) * sa[2] + t * sb[2];
      }
      if (wsum <= 1e-12) {
        out[i3] = fr; out[i3 + 1] = fg; out[i3 + 2] = fb;
      } else {
        const m = lack / hole;
        // Where what landed explains the other frame badly, no motion fits (a mouth opening, a new pose): lean on the plain blend.
        // Only where both frames landed: a spot reached from one side is an occlusion, where a high error is natural.
        const ca = covA[i], cb = covB[i];
        const me = ca > both && cb > both ? Math.min(errA[i] / ca, errB[i] / cb) : 0;
        if (e0 > 0 && me > e0) lean = Math.fround(Math.min(1, (me - e0) / e1)); // float32, as when it was kept in an array
        const bt = beta && wa > 1e-6 && wb > 1e-6 ? beta[i] : 0;
        if (unsure) unsure[i] = Math.max(lean, bt, m);
        for (let k = 0; k < 3; k++) {
          // Normalised joint splat, shrunk towards the two-sided average where they disagree, then hole-filled.
          let v = (ra[i4 + k] + rb[i4 + k]) / wsum;
          if (bt > 0) v = (1 - bt) * v + bt * ((1 - t) * (ra[i4 + k] / wa) + t * (rb[i4 + k] / wb));
          v = (1 - m) * v + m * (k === 0 ? fr : k === 1 ? fg : fb);
          out[i3 + k] = v;
        }
      }
      if (bk) {
        // Where the two syntheses disagree, the median with the blend keeps the one nearer the least-squares guess.
        for (let k = 0; k < 3; k++) {
          const j = i3 + k, p = out[j], q = bk[j];
          let v = (1 - bw) * p + bw * q;
          if (rw > 0) v = (1 - rw) * v + rw * med3(p, q, (1 - t) * ad[j] + t * bd[j]);
          out[j] = v;
        }
      }
      // Hedge where no motion explained the change: the blend is the least-squares guess between the two drawings.
      const g = lean * lk;
      if (g > 0) for (let k = 0; k < 3; k++) out[i3 + k] = (1 - g) * out[i3 + k] + g * ((1 - t) * ad[i3 + k] + t * bd[i3 + k]);
    }
  }
  return { width: w, height: h, channels: 3, data: new Uint8Array(out.buffer) };
}
