// Bilateral block matching with overlapped-block reconstruction: the motion of
// the in-between itself, per block of the middle frame, found by matching
// A(x - t·v) against C(x + (1-t)·v), then every output pixel mixes the
// predictions of its four nearest blocks. Where per-pixel flow tears (hair,
// a swinging arm), this ghosts smoothly instead.
import type { Image } from '../core/types.js';
import { at3, luma8, type Flow } from './raster.js';
import { bands, useKernel, withKernel, type Arena } from './kernel.js';

export interface ObmcOptions {
  /** Grid step in working-resolution pixels (default 8); each block is twice that wide. */
  step?: number;
  /** Refinement radius around the best predictor (default 2). */
  radius?: number;
  /** Cost per pixel of distance from the neighbours' median vector (default 0.5). */
  smooth?: number;
}

/** Vectors (a→c motion, working pixels) on a grid over the middle frame. */
export function bilateralVectors(sa: Image, sc: Image, ab: Flow, ba: Flow, t: number, opts: ObmcOptions = {}): { gw: number; gh: number; step: number; v: Float32Array } {
  const w = sa.width, h = sa.height, S = opts.step ?? 8, R = opts.radius ?? 2, lam = opts.smooth ?? 0.5;
  const la: Image = { width: w, height: h, channels: 1, data: luma8(sa) }, lc: Image = { width: w, height: h, channels: 1, data: luma8(sc) };
  const gw = Math.ceil(w / S) + 1, gh = Math.ceil(h / S) + 1;
  const v = new Float32Array(gw * gh * 2);
  const da = la.data, dc = lc.data, pa = new Float64Array(1), pc = new Float64Array(1);
  // Each block's whole search in WebAssembly (kernel.wat blockBest, float32 sums) on luma planes padded by PAD
  // clamped pixels, which sample as the clamped frame does; a block whose shifts reach past the padding, and any
  // block when S is not a multiple of 8, is searched below (there the sums are kernel.wat blockSad's float64).
  const PAD = 32, pw = w + 2 * PAD, ph = h + 2 * PAD, whole = S % 8 === 0;
  const K = useKernel(2 * w * h + (whole ? 2 * pw * ph + 16 * (6 + 2) : 0) + 4096);
  try {
    if (!K) return search(null, 0, 0);
    const ka = K.put(da), kc = K.put(dc);
    return whole ? search(K, ka, kc, K.put(padded(da, w, h, PAD)), K.put(padded(dc, w, h, PAD)), K.alloc(16 * 6), K.alloc(16)) : search(K, ka, kc);
  } finally {
    K?.end();
  }
  function search(K: Arena | null, ka: number, kc: number, qa = 0, qc = 0, cand = 0, best = 0) {
    const cost = (cx: number, cy: number, vx: number, vy: number) => {
      // The shift is the same for every sample of the block: split it once into whole pixels and bilinear weights.
      const oax = -t * vx, oay = -t * vy, ocx = (1 - t) * vx, ocy = (1 - t) * vy;
      const iax = Math.floor(oax), iay = Math.floor(oay), icx = Math.floor(ocx), icy = Math.floor(ocy);
      if (cx - S + Math.min(iax, icx) >= 0 && cy - S + Math.min(iay, icy) >= 0 && cx + S - 1 + Math.max(iax, icx) <= w - 1 && cy + S - 1 + Math.max(iay, icy) <= h - 1) {
        // Inside the frame (no clamping): the fast path.
        const fax = oax - iax, fay = oay - iay, fcx = ocx - icx, fcy = ocy - icy;
        if (K) return K.k.blockSad(ka, kc, w, (cy - S + iay) * w + cx - S + iax, (cy - S + icy) * w + cx - S + icx, S, fax, fay, fcx, fcy) / (S * S);
        let s = 0;
        for (let dy = -S; dy < S; dy += 2) {
          const ra = (cy + dy + iay) * w, rc = (cy + dy + icy) * w;
          for (let dx = -S; dx < S; dx += 2) {
            const pa = ra + cx + dx + iax, pc = rc + cx + dx + icx;
            const va = (da[pa] * (1 - fax) + da[pa + 1] * fax) * (1 - fay) + (da[pa + w] * (1 - fax) + da[pa + w + 1] * fax) * fay;
            const vc = (dc[pc] * (1 - fcx) + dc[pc + 1] * fcx) * (1 - fcy) + (dc[pc + w] * (1 - fcx) + dc[pc + w + 1] * fcx) * fcy;
            s += Math.abs(va - vc);
          }
        }
        return s / (S * S);
      }
      let s = 0;
      for (let dy = -S; dy < S; dy += 2) {
        for (let dx = -S; dx < S; dx += 2) {
          const x = cx + dx, y = cy + dy;
          at3(la, x - t * vx, y - t * vy, pa);
          at3(lc, x + (1 - t) * vx, y + (1 - t) * vy, pc);
          s += Math.abs(pa[0] - pc[0]);
        }
      }
      return s / (S * S);
    };
    // Candidates (x, y) of the block being searched: zero, both flows, then up to three neighbours (left, up, up-right).
    // One float64 array for all blocks, not small arrays per block: their shapes (whole or fractional numbers) varied
    // from block to block, and V8 kept throwing away and recompiling this function for it.
    const cs = new Float64Array(12);
    // The kernel reads the candidates and writes the best vector here (the memory does not grow during the search).
    const cv = K && qa ? new Float64Array(K.k.memory.buffer, cand, 12) : undefined;
    const ov = K && qa ? new Float64Array(K.k.memory.buffer, best, 2) : undefined;
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const cx = Math.min(w - 1, gx * S), cy = Math.min(h - 1, gy * S), i = cy * w + cx;
        cs[0] = 0;
        cs[1] = 0;
        cs[2] = ab.data[i * 2];
        cs[3] = ab.data[i * 2 + 1];
        cs[4] = -ba.data[i * 2];
        cs[5] = -ba.data[i * 2 + 1];
        let n = 3;
        const add = (g: number) => {
          cs[2 * n] = v[g * 2];
          cs[2 * n + 1] = v[g * 2 + 1];
          n++;
        };
        if (gx > 0) add(gy * gw + gx - 1);
        if (gy > 0) add((gy - 1) * gw + gx);
        if (gy > 0 && gx + 1 < gw) add((gy - 1) * gw + gx + 1);
        // The neighbours' median (of two, the larger), as sorting them and taking the middle one gives.
        const mx = median(cs, 6, n - 3), my = median(cs, 7, n - 3);
        if (cv && ov) {
          cv.set(cs.subarray(0, 2 * n));
          if (K!.k.blockBest(qa, qc, pw, ph, cx + PAD, cy + PAD, S, t, cand, n, mx, my, lam, R, best) === 0) {
            v[(gy * gw + gx) * 2] = ov[0];
            v[(gy * gw + gx) * 2 + 1] = ov[1];
            continue;
          }
        }
        const score = (x: number, y: number) => cost(cx, cy, x, y) + lam * Math.hypot(x - mx, y - my);
        let bx = 0, by = 0, be = Infinity;
        for (let k = 0; k < n; k++) {
          const x = cs[2 * k], y = cs[2 * k + 1];
          const e = score(x, y);
          if (e < be) { be = e; bx = x; by = y; }
        }
        const ox = bx, oy = by;
        for (let dy = -R; dy <= R; dy++) {
          for (let dx = -R; dx <= R; dx++) {
            if (!dx && !dy) continue;
            const e = score(ox + dx, oy + dy);
            if (e < be) { be = e; bx = ox + dx; by = oy + dy; }
          }
        }
        v[(gy * gw + gx) * 2] = bx;
        v[(gy * gw + gx) * 2 + 1] = by;
      }
    }
    return { gw, gh, step: S, v };
  }
}

/** The middle of `n` (0 to 3) values at `at`, `at + 2`, ... of `a` (of two, the larger; of none, 0). */
function median(a: Float64Array, at: number, n: number): number {
  if (n === 0) return 0;
  const p = a[at];
  if (n === 1) return p;
  const q = a[at + 2];
  if (n === 2) return p > q ? p : q;
  const r = a[at + 4];
  const lo = p < q ? p : q, hi = p < q ? q : p;
  return r < lo ? lo : r > hi ? hi : r;
}

/** A luma plane grown by `p` pixels on every side, each new pixel a copy of the nearest edge pixel. */
function padded(d: Uint8Array, w: number, h: number, p: number): Uint8Array {
  const pw = w + 2 * p, out = new Uint8Array(pw * (h + 2 * p));
  for (let y = 0; y < h + 2 * p; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - p)) * w, o = y * pw;
    for (let x = 0; x < pw; x++) out[o + x] = d[sy + Math.min(w - 1, Math.max(0, x - p))];
  }
  return out;
}

/**
 * Full-resolution in-between: each pixel mixes the bilateral predictions of its four nearest grid vectors.
 * With `where`, only pixels where it is above 0 are computed (the rest stay black): the caller mixes only those.
 */
export function obmcBetween(A: Image, C: Image, grid: { gw: number; gh: number; step: number; v: Float32Array }, scale: number, t: number, where?: Float32Array): Image {
  const W = A.width, H = A.height, out = new Uint8ClampedArray(W * H * 3);
  const { gw, gh, step, v } = grid;
  // Block index and raised-cosine weight per column, computed once (they do not depend on the row).
  const { i0: col0, wts: colW } = blockTaps(W, gw, scale, step);
  const sa = new Float64Array(3), sc = new Float64Array(3);
  for (let y = 0; y < H; y++) {
    const gyf = Math.min(gh - 1.001, (y * scale) / step), gy0 = Math.floor(gyf), fy = gyf - gy0;
    const wy0 = 0.5 + 0.5 * Math.cos(Math.PI * fy), wy1 = 0.5 - 0.5 * Math.cos(Math.PI * fy);
    for (let x = 0; x < W; x++) {
      if (where && !(where[y * W + x] > 0)) continue;
      const gx0 = col0[x];
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < 4; k++) {
        const qx = gx0 + (k & 1), qy = gy0 + (k >> 1);
        // Raised-cosine weights: smooth hand-over between blocks.
        const wgt = colW[x * 2 + (k & 1)] * ((k >> 1) ? wy1 : wy0);
        if (wgt <= 0) continue;
        const vx = v[(qy * gw + qx) * 2] / scale, vy = v[(qy * gw + qx) * 2 + 1] / scale;
        at3(A, x - t * vx, y - t * vy, sa);
        at3(C, x + (1 - t) * vx, y + (1 - t) * vy, sc);
        r += wgt * ((1 - t) * sa[0] + t * sc[0]);
        g += wgt * ((1 - t) * sa[1] + t * sc[1]);
        b += wgt * ((1 - t) * sa[2] + t * sc[2]);
      }
      const o = (y * W + x) * 3;
      out[o] = r; out[o + 1] = g; out[o + 2] = b;
    }
  }
  return { width: W, height: H, channels: 3, data: new Uint8Array(out.buffer) };
}

/** Block index and raised-cosine weights (first, second block) per position along one axis of the output. */
function blockTaps(len: number, blocks: number, scale: number, step: number): { i0: Int32Array; wts: Float64Array } {
  const i0 = new Int32Array(len), wts = new Float64Array(len * 2);
  for (let x = 0; x < len; x++) {
    const f = Math.min(blocks - 1.001, (x * scale) / step), g0 = Math.floor(f), fx = f - g0;
    i0[x] = g0;
    wts[x * 2] = 0.5 + 0.5 * Math.cos(Math.PI * fx);
    wts[x * 2 + 1] = 0.5 - 0.5 * Math.cos(Math.PI * fx);
  }
  return { i0, wts };
}

/**
 * Mix the block in-between into `out` (RGB, in place) with weight g per pixel (`weights`, or computed from its parts): round((1 - g)·out + g·block),
 * only where g > 0. In WebAssembly (kernel.wat obmcMix) where it runs; otherwise obmcBetween and the mix in JavaScript.
 */
export function obmcMix(out: Image, A: Image, C: Image, grid: { gw: number; gh: number; step: number; v: Float32Array }, scale: number, t: number, weights: Float32Array | MixParts): void {
  const W = A.width, H = A.height, n = W * H;
  const bytes = 21 * n + 8 * grid.v.length + 16 * (W + H) + 4096;
  const done = A.channels === 3 && C.channels === 3 && out.channels === 3 && withKernel(bytes, (K) => {
    const cols = blockTaps(W, grid.gw, scale, grid.step), rows = blockTaps(H, grid.gh, scale, grid.step);
    const pa = K.put(A.data), pc = K.put(C.data), po = K.put(out.data), vg = K.put(grid.v);
    let pm: number;
    if (weights instanceof Float32Array) pm = K.put(weights);
    else {
      // The weights from their parts in the kernel (mixWeights): the same float64 steps as mixOf.
      const { unsure, diff, torn } = weights, pu = K.put(unsure), pd = diff ? K.put(diff) : 0, pt = torn ? K.put(torn) : 0;
      pm = pu; // computed in place: each pixel's weight only reads its own parts
      K.k.mixWeights(pu, pd, pt, pm, n, weights.still, weights.m, weights.tw);
    }
    const c0 = K.put(cols.i0), cw = K.put(new Float32Array(cols.wts)), r0 = K.put(rows.i0), rw = K.put(new Float32Array(rows.wts));
    bands(H, (ya, yb) => K.k.obmcMix(pa, pc, vg, grid.gw, scale, t, c0, cw, r0, rw, pm, po, W, H, ya, yb));
    out.data.set(K.u8(po, 3 * n));
    return true;
  });
  if (!done) {
    const mix = weights instanceof Float32Array ? weights : mixOf(weights);
    const o = out.data, q = obmcBetween(A, C, grid, scale, t, mix).data;
    for (let p = 0, i = 0; p < n; p++, i += 3) {
      const g = mix[p];
      if (!(g > 0)) continue;
      o[i] = Math.round((1 - g) * o[i] + g * q[i]);
      o[i + 1] = Math.round((1 - g) * o[i + 1] + g * q[i + 1]);
      o[i + 2] = Math.round((1 - g) * o[i + 2] + g * q[i + 2]);
    }
  }
}

/**
 * The parts of the block in-between's weight per pixel (interp.ts): how unsure the splatting is (0..1), the local
 * difference of the two frames (none: no still snap) and how torn the flow is (none: no tear weight).
 */
export interface MixParts {
  unsure: Float32Array;
  diff?: Float32Array;
  torn?: Float32Array;
  /** Unchanged below this difference: weight 0 there. */
  still: number;
  /** Weight at full unsureness. */
  m: number;
  /** Weight at fully torn flow. */
  tw: number;
}

/** The weight per pixel from its parts: 0 on unchanged spots, else the larger of m·unsure and tw·torn, at most 1. */
export function mixOf({ unsure, diff, torn, still, m, tw }: MixParts): Float32Array {
  const mix = new Float32Array(unsure.length);
  for (let p = 0; p < mix.length; p++) {
    mix[p] = diff && diff[p] < still ? 0 : Math.min(1, Math.max(m * Math.min(1, unsure[p]), torn ? tw * torn[p] : 0));
  }
  return mix;
}
