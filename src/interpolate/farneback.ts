// Farneback dense flow ("Two-Frame Motion Estimation Based on Polynomial Expansion", 2003), written for this
// module after OpenCV's calcOpticalFlowFarneback (the box-window variant, with and without an initial flow), so
// that the flows match what opencv-js gave (within float rounding). Why our own: a pair runs six to eight
// Farnebacks on the same two frames, and opencv-js recomputes each frame's pyramid and polynomial expansion on every
// call; here a `FarnebackPair` computes them once per frame, level and expansion size, and every run shares them.
import { reserve } from '../core/wasm.js';
import type { Flow } from './raster.js';
import { bands, ownKernel, type Exports } from './kernel.js';

/** One run's settings, named as OpenCV's arguments (pyramid scale 0.5 and box window, as flow.ts uses them). */
export interface FarnebackOptions {
  levels: number;
  winSize: number;
  iterations: number;
  polyN: number;
  polySigma: number;
  /** Start from this flow (full size) instead of zero: OPTFLOW_USE_INITIAL_FLOW. */
  init?: Flow;
}

const PYR_SCALE = 0.5;
const MIN_SIZE = 32;

/** A float plane at one pyramid level. */
interface Level {
  w: number;
  h: number;
  data: Float32Array;
}

/** Normalised 1-D Gaussian of odd size n; sigma <= 0 takes OpenCV's default for that size (its fixed table up to 7). */
function gaussKernel(n: number, sigma: number): Float64Array {
  const k = new Float64Array(n);
  const fixed: Record<number, number[]> = { 1: [1], 3: [0.25, 0.5, 0.25], 5: [0.0625, 0.25, 0.375, 0.25, 0.0625], 7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125] };
  if (sigma <= 0 && fixed[n]) {
    k.set(fixed[n]);
    return k;
  }
  const s = sigma > 0 ? sigma : ((n - 1) * 0.5 - 1) * 0.3 + 0.8;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - (n - 1) / 2;
    k[i] = Math.exp((-x * x) / (2 * s * s));
    sum += k[i];
  }
  for (let i = 0; i < n; i++) k[i] /= sum;
  return k;
}

/** Index reflected at the borders without repeating the edge (OpenCV's default border, "reflect 101"). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/**
 * A pyramid level as OpenCV makes it: the full-size plane Gaussian-blurred (reflect-101 borders), then resized
 * bilinearly to dw x dh. Only the blurred pixels the resize reads are computed (a quarter of them at 4x down).
 */
function blurResize(src: Float32Array, w: number, h: number, ksize: number, sigma: number, dw: number, dh: number): Float32Array {
  const k = gaussKernel(ksize, sigma), r = ksize >> 1;
  const same = dw === w && dh === h;
  const tx = same ? undefined : linearTaps(w, dw), ty = same ? undefined : linearTaps(h, dh);
  const need = (n: number, t?: { i0: Int32Array; i1: Int32Array }) => {
    const used = new Uint8Array(n);
    if (!t) used.fill(1);
    else for (let i = 0; i < t.i0.length; i++) used[t.i0[i]] = used[t.i1[i]] = 1;
    const list: number[] = [], at = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) if (used[i]) { at[i] = list.length; list.push(i); }
    return { list: Int32Array.from(list), at };
  };
  const cols = need(w, tx), rows = need(h, ty), nc = cols.list.length;
  // Source column of each tap for each needed column (reflected at the borders).
  const tap = new Int32Array(nc * ksize);
  for (let c = 0; c < nc; c++) for (let j = 0; j < ksize; j++) tap[c * ksize + j] = reflect(cols.list[c] - r + j, w);
  // Horizontal pass on every row (the vertical pass needs the rows around the needed ones), needed columns only.
  const hp = new Float32Array(h * nc);
  if (ksize === 3) {
    // The two finest levels' 3-tap kernel, unrolled (most of the work).
    const k0 = k[0], k1 = k[1], k2 = k[2];
    for (let y = 0; y < h; y++) {
      const row = y * w, out = y * nc;
      for (let c = 0; c < nc; c++) {
        const t = c * 3;
        hp[out + c] = k0 * src[row + tap[t]] + k1 * src[row + tap[t + 1]] + k2 * src[row + tap[t + 2]];
      }
    }
  } else {
    for (let y = 0; y < h; y++) {
      const row = y * w, out = y * nc;
      for (let c = 0; c < nc; c++) {
        let acc = 0;
        const t = c * ksize;
        for (let j = 0; j < ksize; j++) acc += k[j] * src[row + tap[t + j]];
        hp[out + c] = acc;
      }
    }
  }
  // Vertical pass on the needed rows.
  const nr = rows.list.length, vp = new Float32Array(nr * nc);
  if (ksize === 3) {
    const k0 = k[0], k1 = k[1], k2 = k[2];
    for (let ri = 0; ri < nr; ri++) {
      const y = rows.list[ri], o0 = reflect(y - 1, h) * nc, o1 = y * nc, o2 = reflect(y + 1, h) * nc, out = ri * nc;
      for (let c = 0; c < nc; c++) vp[out + c] = k0 * hp[o0 + c] + k1 * hp[o1 + c] + k2 * hp[o2 + c];
    }
  } else {
    const acc = new Float64Array(nc);
    for (let ri = 0; ri < nr; ri++) {
      const y = rows.list[ri];
      acc.fill(0);
      for (let j = 0; j < ksize; j++) {
        const off = reflect(y - r + j, h) * nc, kj = k[j];
        for (let c = 0; c < nc; c++) acc[c] += kj * hp[off + c];
      }
      vp.set(acc, ri * nc);
    }
  }
  if (same) return vp;
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const r0 = rows.at[ty!.i0[y]] * nc, r1 = rows.at[ty!.i1[y]] * nc, fy = ty!.f[y];
    for (let x = 0; x < dw; x++) {
      const a = cols.at[tx!.i0[x]], b = cols.at[tx!.i1[x]], fx = tx!.f[x];
      const top = vp[r0 + a] * (1 - fx) + vp[r0 + b] * fx;
      const bot = vp[r1 + a] * (1 - fx) + vp[r1 + b] * fx;
      out[y * dw + x] = top * (1 - fy) + bot * fy;
    }
  }
  return out;
}

/** Bilinear taps along one axis as OpenCV's resize (half-pixel centres, clamped at the ends). */
function linearTaps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const scale = src / dst;
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), f = new Float64Array(dst);
  for (let d = 0; d < dst; d++) {
    let fx = (d + 0.5) * scale - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) { fx = 0; sx = 0; }
    if (sx >= src - 1) { fx = 0; sx = src - 1; }
    i0[d] = sx;
    i1[d] = Math.min(sx + 1, src - 1);
    f[d] = fx;
  }
  return { i0, i1, f };
}

/** Bilinear resize of a float plane as OpenCV's resize. */
function resizePlane(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const tx = linearTaps(sw, dw), ty = linearTaps(sh, dh), out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const r0 = ty.i0[y] * sw, r1 = ty.i1[y] * sw, fy = ty.f[y];
    for (let x = 0; x < dw; x++) {
      const a = tx.i0[x], b = tx.i1[x], fx = tx.f[x];
      out[y * dw + x] = (src[r0 + a] * (1 - fx) + src[r0 + b] * fx) * (1 - fy) + (src[r1 + a] * (1 - fx) + src[r1 + b] * fx) * fy;
    }
  }
  return out;
}

/** Bilinear resize of a flow (two interleaved channels) to dw x dh, its vectors multiplied by `mul`. */
function resizeFlow(src: Float32Array, sw: number, sh: number, dw: number, dh: number, mul: number): Float32Array {
  const tx = linearTaps(sw, dw), ty = linearTaps(sh, dh);
  const out = new Float32Array(dw * dh * 2);
  for (let y = 0; y < dh; y++) {
    const r0 = ty.i0[y] * sw, r1 = ty.i1[y] * sw, fy = ty.f[y];
    for (let x = 0; x < dw; x++) {
      const a = tx.i0[x], b = tx.i1[x], fx = tx.f[x], o = (y * dw + x) * 2;
      const p00 = (r0 + a) * 2, p01 = (r0 + b) * 2, p10 = (r1 + a) * 2, p11 = (r1 + b) * 2;
      const u = (src[p00] * (1 - fx) + src[p01] * fx) * (1 - fy) + (src[p10] * (1 - fx) + src[p11] * fx) * fy;
      const v = (src[p00 + 1] * (1 - fx) + src[p01 + 1] * fx) * (1 - fy) + (src[p10 + 1] * (1 - fx) + src[p11 + 1] * fx) * fy;
      out[o] = u * mul;
      out[o + 1] = v * mul;
    }
  }
  return out;
}

/** Area-average taps along one axis (downscaling): the source cells each output cell covers, by overlap. */
function areaTaps(src: number, dst: number): { idx: number[][]; wt: number[][] } {
  const scale = src / dst;
  const idx: number[][] = [], wt: number[][] = [];
  for (let d = 0; d < dst; d++) {
    const f1 = d * scale, f2 = f1 + scale, cell = Math.min(scale, src - f1);
    const s2 = Math.min(Math.floor(f2), src - 1);
    const s1 = Math.min(Math.ceil(f1), s2);
    const ii: number[] = [], ww: number[] = [];
    if (s1 - f1 > 1e-3) { ii.push(s1 - 1); ww.push((s1 - f1) / cell); }
    for (let s = s1; s < s2; s++) { ii.push(s); ww.push(1 / cell); }
    if (f2 - s2 > 1e-3) { ii.push(s2); ww.push(Math.min(Math.min(f2 - s2, 1), cell) / cell); }
    idx.push(ii);
    wt.push(ww);
  }
  return { idx, wt };
}

/** Area-average downscale of a two-channel flow, its vectors multiplied by `mul`. */
function resizeAreaFlow(f: Flow, dw: number, dh: number, mul: number): Float32Array {
  const sw = f.width, sh = f.height, d = f.data;
  if (sw === dw && sh === dh) return d.map((v) => v * mul);
  const tx = areaTaps(sw, dw), ty = areaTaps(sh, dh);
  const out = new Float32Array(dw * dh * 2);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let u = 0, v = 0;
      for (let j = 0; j < ty.idx[y].length; j++) {
        const row = ty.idx[y][j] * sw, wy = ty.wt[y][j];
        for (let i = 0; i < tx.idx[x].length; i++) {
          const k = (row + tx.idx[x][i]) * 2, wgt = wy * tx.wt[x][i];
          u += d[k] * wgt;
          v += d[k + 1] * wgt;
        }
      }
      out[(y * dw + x) * 2] = u * mul;
      out[(y * dw + x) * 2 + 1] = v * mul;
    }
  }
  return out;
}

/** Solve the 6x6 normal equations' inverse entries the expansion needs (the Gaussian-weighted basis 1, x, y, x², y², xy). */
function polyConsts(n: number, sigma: number) {
  if (sigma < 1.1920929e-7) sigma = n * 0.3;
  const g = new Float64Array(2 * n + 1), xg = new Float64Array(2 * n + 1), xxg = new Float64Array(2 * n + 1);
  let s = 0;
  for (let x = -n; x <= n; x++) {
    g[x + n] = Math.fround(Math.exp((-x * x) / (2 * sigma * sigma)));
    s += g[x + n];
  }
  s = 1 / s;
  for (let x = -n; x <= n; x++) {
    g[x + n] = Math.fround(g[x + n] * s);
    xg[x + n] = Math.fround(x * g[x + n]);
    xxg[x + n] = Math.fround(x * x * g[x + n]);
  }
  // The basis is orthogonal except 1 against x² and y², so the inverse has a closed form per block.
  let g00 = 0, g11 = 0, g33 = 0, g55 = 0;
  for (let y = -n; y <= n; y++) {
    for (let x = -n; x <= n; x++) {
      const gg = g[y + n] * g[x + n];
      g00 += gg;
      g11 += gg * x * x;
      g33 += gg * x * x * x * x;
      g55 += gg * x * x * y * y;
    }
  }
  // Block {0, 3, 4}: [[g00, g11, g11], [g11, g33, g55], [g11, g55, g33]].
  const a = g00, b = g11, c = g33, e = g55;
  const det = a * (c * c - e * e) - b * (b * c - b * e) + b * (b * e - c * b);
  const ig03 = (b * e - b * c) / det;
  const ig33 = (a * c - b * b) / det;
  return { g, xg, xxg, ig11: 1 / g11, ig03, ig33, ig55: 1 / g55 };
}

/**
 * Polynomial expansion of a float plane: per pixel the five coefficients (y, x, y², x², xy) of a quadratic fitted
 * with Gaussian weights over a (2n+1)² window (edges clamped), in OpenCV's layout.
 */
function polyExp(src: Float32Array, w: number, h: number, n: number, sigma: number): Float32Array {
  const { g, xg, xxg, ig11, ig03, ig33, ig55 } = polyConsts(n, sigma);
  const dst = new Float32Array(w * h * 5);
  const row = new Float64Array((w + 2 * n) * 3);
  const o = n * 3;
  for (let y = 0; y < h; y++) {
    // Vertical part: per column the sums of I, y·I and y²·I under the Gaussian.
    const g0 = g[n];
    const base = y * w;
    for (let x = 0; x < w; x++) {
      row[o + x * 3] = src[base + x] * g0;
      row[o + x * 3 + 1] = 0;
      row[o + x * 3 + 2] = 0;
    }
    for (let k = 1; k <= n; k++) {
      const gk = g[n + k], xk = xg[n + k], xxk = xxg[n + k];
      const r0 = Math.max(y - k, 0) * w, r1 = Math.min(y + k, h - 1) * w;
      for (let x = 0; x < w; x++) {
        const s0 = src[r0 + x], s1 = src[r1 + x], p = s0 + s1;
        const q = o + x * 3;
        row[q] += gk * p;
        row[q + 1] += xk * (s1 - s0);
        row[q + 2] += xxk * p;
      }
    }
    for (let x = 0; x < n * 3; x++) {
      row[o - 1 - x] = row[o + 2 - x];
      row[o + w * 3 + x] = row[o + w * 3 + x - 3];
    }
    // Horizontal part.
    const out = y * w * 5;
    for (let x = 0; x < w; x++) {
      const q = o + x * 3;
      let b1 = row[q] * g0, b2 = 0, b3 = row[q + 1] * g0, b4 = 0, b5 = row[q + 2] * g0, b6 = 0;
      for (let k = 1; k <= n; k++) {
        const qp = q + k * 3, qm = q - k * 3;
        const gk = g[n + k], xk = xg[n + k];
        const tg = row[qp] + row[qm];
        b1 += tg * gk;
        b4 += tg * xxg[n + k];
        b2 += (row[qp] - row[qm]) * xk;
        b3 += (row[qp + 1] + row[qm + 1]) * gk;
        b6 += (row[qp + 1] - row[qm + 1]) * xk;
        b5 += (row[qp + 2] + row[qm + 2]) * gk;
      }
      const d = out + x * 5;
      dst[d] = b3 * ig11;
      dst[d + 1] = b2 * ig11;
      dst[d + 2] = b1 * ig03 + b5 * ig33;
      dst[d + 3] = b1 * ig03 + b4 * ig33;
      dst[d + 4] = b6 * ig55;
    }
  }
  return dst;
}

const BORDER = Float32Array.of(0.14, 0.14, 0.4472, 0.4472, 0.4472);

/**
 * The per-pixel 2x2 system (G, h) of the displacement model for rows y0..y1: A's expansion against B's sampled
 * (bilinearly) where the current flow points, damped near the border as OpenCV does.
 */
function updateMatrices(r0: Float32Array, r1: Float32Array, flow: Float32Array, m: Float32Array, w: number, h: number, y0: number, y1: number): void {
  const step = w * 5;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, p = i * 5;
      const dx = flow[i * 2], dy = flow[i * 2 + 1];
      let fx = x + dx, fy = y + dy;
      const x1 = Math.floor(fx), y1i = Math.floor(fy);
      fx -= x1;
      fy -= y1i;
      let r2 = 0, r3 = 0, r4: number, r5: number, r6: number;
      if (x1 >= 0 && x1 < w - 1 && y1i >= 0 && y1i < h - 1) {
        const a00 = (1 - fx) * (1 - fy), a01 = fx * (1 - fy), a10 = (1 - fx) * fy, a11 = fx * fy;
        const q = y1i * step + x1 * 5;
        r2 = a00 * r1[q] + a01 * r1[q + 5] + a10 * r1[q + step] + a11 * r1[q + step + 5];
        r3 = a00 * r1[q + 1] + a01 * r1[q + 6] + a10 * r1[q + step + 1] + a11 * r1[q + step + 6];
        r4 = a00 * r1[q + 2] + a01 * r1[q + 7] + a10 * r1[q + step + 2] + a11 * r1[q + step + 7];
        r5 = a00 * r1[q + 3] + a01 * r1[q + 8] + a10 * r1[q + step + 3] + a11 * r1[q + step + 8];
        r6 = a00 * r1[q + 4] + a01 * r1[q + 9] + a10 * r1[q + step + 4] + a11 * r1[q + step + 9];
        r4 = (r0[p + 2] + r4) * 0.5;
        r5 = (r0[p + 3] + r5) * 0.5;
        r6 = (r0[p + 4] + r6) * 0.25;
      } else {
        r4 = r0[p + 2];
        r5 = r0[p + 3];
        r6 = r0[p + 4] * 0.5;
      }
      r2 = (r0[p] - r2) * 0.5;
      r3 = (r0[p + 1] - r3) * 0.5;
      r2 += r4 * dy + r6 * dx;
      r3 += r6 * dy + r5 * dx;
      // OpenCV's test, unsigned: with a side under 10 px, side - 10 wraps and almost no pixel is damped.
      if (((x - 5) >>> 0) >= ((w - 10) >>> 0) || ((y - 5) >>> 0) >= ((h - 10) >>> 0)) {
        const s = (x < 5 ? BORDER[x] : 1) * (x >= w - 5 ? BORDER[w - x - 1] : 1) * (y < 5 ? BORDER[y] : 1) * (y >= h - 5 ? BORDER[h - y - 1] : 1);
        r2 *= s; r3 *= s; r4 *= s; r5 *= s; r6 *= s;
      }
      m[p] = r4 * r4 + r6 * r6;
      m[p + 1] = (r4 + r5) * r6;
      m[p + 2] = r5 * r5 + r6 * r6;
      m[p + 3] = r4 * r2 + r6 * r3;
      m[p + 4] = r6 * r2 + r5 * r3;
    }
  }
}

/** New flow from the box-blurred systems (window `bs`, edges clamped): blur(G)·d = blur(h). */
function solveFlow(m: Float32Array, flow: Float32Array, w: number, h: number, bs: number, vsum: Float64Array): void {
  const r = bs >> 1, scale = 1 / (bs * bs), o = (r + 1) * 5, w5 = w * 5;
  vsum.fill(0);
  // Rows -r..r around row 0 (clamped), less row -r-1 which the first step removes: (r + 2) copies of row 0.
  for (let x = 0; x < w5; x++) vsum[o + x] = m[x] * (r + 2);
  for (let y = 1; y < r; y++) {
    const off = Math.min(y, h - 1) * w5;
    for (let x = 0; x < w5; x++) vsum[o + x] += m[off + x];
  }
  for (let y = 0; y < h; y++) {
    const sub = Math.max(y - r - 1, 0) * w5, add = Math.min(y + r, h - 1) * w5;
    for (let x = 0; x < w5; x++) vsum[o + x] += m[add + x] - m[sub + x];
    for (let x = 0; x < (r + 1) * 5; x++) {
      vsum[o - 1 - x] = vsum[o + 4 - x];
      vsum[o + w5 + x] = vsum[o + w5 + x - 5];
    }
    let g11 = vsum[o] * (r + 2), g12 = vsum[o + 1] * (r + 2), g22 = vsum[o + 2] * (r + 2), h1 = vsum[o + 3] * (r + 2), h2 = vsum[o + 4] * (r + 2);
    for (let x = 1; x < r; x++) {
      const q = o + x * 5;
      g11 += vsum[q]; g12 += vsum[q + 1]; g22 += vsum[q + 2]; h1 += vsum[q + 3]; h2 += vsum[q + 4];
    }
    for (let x = 0; x < w; x++) {
      const qa = o + (x + r) * 5, qs = o + (x - r) * 5 - 5;
      g11 += vsum[qa] - vsum[qs];
      g12 += vsum[qa + 1] - vsum[qs + 1];
      g22 += vsum[qa + 2] - vsum[qs + 2];
      h1 += vsum[qa + 3] - vsum[qs + 3];
      h2 += vsum[qa + 4] - vsum[qs + 4];
      const a = g11 * scale, b = g12 * scale, c = g22 * scale, e = h1 * scale, f = h2 * scale;
      const idet = 1 / (a * c - b * b + 1e-3);
      const i = (y * w + x) * 2;
      flow[i] = (a * f - b * e) * idet;
      flow[i + 1] = (c * e - b * f) * idet;
    }
  }
}

/** Pyramid sizes as OpenCV picks them: halve while both sides stay at least 32 px, at most `levels` times. */
function pyramidSizes(w: number, h: number, levels: number): { w: number; h: number; scale: number }[] {
  let k = 0, scale = 1;
  for (; k < levels; k++) {
    scale *= PYR_SCALE;
    if (w * scale < MIN_SIZE || h * scale < MIN_SIZE) break;
  }
  const out = [];
  for (let i = 0, s = 1; i <= k; i++, s *= PYR_SCALE) out.push({ w: roundHalfEven(w * s), h: roundHalfEven(h * s), scale: s });
  return out;
}

/** Round half to even, as cvRound (lrint) does. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The pair whose expansions the kernel memory holds. */
let owner: FarnebackPair | undefined;

/**
 * Two gray frames and what every Farneback run between them shares: each frame's smoothed pyramid levels and
 * their polynomial expansions (per expansion size), computed on first use. The expansions and the per-run
 * iterations run in the WebAssembly kernels (kernel.wat fbPoly, fbMatrices, fbSolve*) in a memory of their own
 * that holds the expansions for the pair's lifetime; without them (no SIMD, TOONSCOPE_NO_WASM=1) in the loops above.
 * A new pair takes that memory over; a pair used again after another one computes its expansions anew.
 */
export class FarnebackPair {
  private readonly frames: Float32Array[];
  private readonly levelCache = new Map<string, Level>();
  /** Expansions: Float32Array (JavaScript) or byte offset in the kernel memory. */
  private readonly expCache = new Map<string, Float32Array | number>();
  /** The kernels, or null for the JavaScript loops (also after the kernel memory could not grow). */
  private k: Exports | null;
  private top = 16;

  constructor(a: Uint8Array, b: Uint8Array, readonly width: number, readonly height: number) {
    this.frames = [Float32Array.from(a), Float32Array.from(b)];
    this.k = ownKernel();
    this.own();
  }

  /** Make the kernel memory this pair's (the thread's one memory holds one pair's expansions at a time). */
  private own(): void {
    if (!this.k || owner === this) return;
    owner = this;
    this.top = 16;
    this.expCache.clear();
  }

  /** Room for `bytes` bytes in the kernel memory (16-byte aligned, 96 bytes of slack after it for SIMD overruns). */
  private alloc(bytes: number): number {
    const k = this.k!, off = this.top;
    this.top = off + Math.ceil((bytes + 96) / 16) * 16;
    reserve(k.memory, this.top);
    return off;
  }

  private f32(off: number, len: number): Float32Array {
    return new Float32Array(this.k!.memory.buffer, off, len);
  }

  /** Frame `f` (0 = a, 1 = b) smoothed and resized to pyramid level k, as OpenCV prepares it. */
  private level(f: number, k: number, w: number, h: number, scale: number): Level {
    const key = `${f}:${k}`;
    let l = this.levelCache.get(key);
    if (!l) {
      const sigma = (1 / scale - 1) * 0.5;
      const ks = Math.max(roundHalfEven(sigma * 5) | 1, 3);
      const W = this.width, H = this.height, r = ks >> 1;
      if (this.k && W > r && H > r) {
        // The blur in WebAssembly on the whole frame (kernel.wat fbBlur), the resize here: its buffers are freed at once.
        const K = this.k, mark = this.top, n = W * H;
        const src = this.alloc(4 * n), tmp = this.alloc(4 * n), row = this.alloc(4 * (W + 2 * r + 8)), out = this.alloc(4 * n), tab = this.alloc(4 * ks);
        this.f32(src, n).set(this.frames[f]);
        this.f32(tab, ks).set(gaussKernel(ks, sigma));
        K.fbBlur(src, tmp, row, out, W, H, tab, ks);
        const blurred = this.f32(out, n);
        l = { w, h, data: w === W && h === H ? blurred.slice() : resizePlane(blurred, W, H, w, h) };
        this.top = mark;
      } else l = { w, h, data: blurResize(this.frames[f], W, H, ks, sigma, w, h) };
      this.levelCache.set(key, l);
    }
    return l;
  }

  private expansion(f: number, k: number, w: number, h: number, scale: number, n: number, sigma: number): Float32Array | number {
    const key = `${f}:${k}:${n}:${sigma}`;
    let e = this.expCache.get(key);
    if (e === undefined) {
      const img = this.level(f, k, w, h, scale).data;
      if (this.k) {
        const c = polyConsts(n, sigma), ps = Math.ceil((w + 2 * n + 8) / 4) * 4;
        // The expansion stays for the pair's lifetime; the input plane and the row buffers are freed at once.
        const dst = this.alloc(w * h * 20), mark = this.top;
        const src = this.alloc(w * h * 4), rows = this.alloc(3 * ps * 4), tab = this.alloc(3 * (n + 1) * 4);
        this.f32(src, w * h).set(img);
        const t = this.f32(tab, 3 * (n + 1));
        for (let i = 0; i <= n; i++) {
          t[i] = c.g[n + i];
          t[n + 1 + i] = c.xg[n + i];
          t[2 * (n + 1) + i] = c.xxg[n + i];
        }
        const K = this.k;
        bands(h, (y0, y1) => K.fbPoly(src, dst, rows, tab, w, h, n, ps, c.ig11, c.ig03, c.ig33, c.ig55, y0, y1));
        this.top = mark;
        e = dst;
      } else e = polyExp(img, w, h, n, sigma);
      this.expCache.set(key, e);
    }
    return e;
  }

  /** Flow from frame `from` to the other one (0: a to b, 1: b to a). */
  flow(from: 0 | 1, o: FarnebackOptions): Flow {
    try {
      return this.run(from, o);
    } catch (e) {
      // The kernel memory could not grow (wasm32 stops at 4 GB, at huge working sizes): this pair goes on in the
      // JavaScript loops, its levels and expansions computed anew there (as the JavaScript path computes them).
      if (!this.k || !(e instanceof RangeError)) throw e;
      this.k = null;
      this.levelCache.clear();
      this.expCache.clear();
      if (owner === this) owner = undefined;
      return this.run(from, o);
    }
  }

  private run(from: 0 | 1, o: FarnebackOptions): Flow {
    this.own();
    const sizes = pyramidSizes(this.width, this.height, o.levels);
    let prev: Float32Array | undefined, pw = 0, ph = 0;
    let vsum = new Float64Array(0);
    for (let k = sizes.length - 1; k >= 0; k--) {
      const { w, h, scale } = sizes[k];
      let flow: Float32Array;
      if (prev) {
        flow = resizeFlow(prev, pw, ph, w, h, 1 / PYR_SCALE);
      } else if (o.init) flow = resizeAreaFlow(o.init, w, h, scale);
      else flow = new Float32Array(w * h * 2);
      const r0 = this.expansion(from, k, w, h, scale, o.polyN, o.polySigma);
      const r1 = this.expansion(1 - from, k, w, h, scale, o.polyN, o.polySigma);
      const r = o.winSize >> 1;
      if (typeof r0 === 'number' && typeof r1 === 'number') {
        const K = this.k!, mark = this.top;
        const fo = this.alloc(w * h * 8), m = this.alloc(w * h * 20), vs = this.alloc((w + 2 * r + 2) * 40) + (r + 1) * 40;
        this.f32(fo, w * h * 2).set(flow);
        bands(h, (y0, y1) => K.fbMatrices(r0, r1, fo, m, w, h, y0, y1));
        for (let it = 0; it < o.iterations; it++) {
          K.fbSolveInit(m, vs, w, h, r);
          bands(h, (y0, y1) => K.fbSolveRows(m, fo, vs, w, h, o.winSize, y0, y1));
          if (it < o.iterations - 1) bands(h, (y0, y1) => K.fbMatrices(r0, r1, fo, m, w, h, y0, y1));
        }
        flow = this.f32(fo, w * h * 2).slice();
        this.top = mark;
      } else {
        const m = new Float32Array(w * h * 5);
        const need = (w + 2 * r + 2) * 5;
        if (vsum.length < need) vsum = new Float64Array(need);
        updateMatrices(r0 as Float32Array, r1 as Float32Array, flow, m, w, h, 0, h);
        for (let it = 0; it < o.iterations; it++) {
          solveFlow(m, flow, w, h, o.winSize, vsum);
          if (it < o.iterations - 1) updateMatrices(r0 as Float32Array, r1 as Float32Array, flow, m, w, h, 0, h);
        }
      }
      prev = flow;
      pw = w;
      ph = h;
    }
    return { width: this.width, height: this.height, data: prev! };
  }
}
