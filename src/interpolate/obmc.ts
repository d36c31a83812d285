// Bilateral block matching with overlapped-block reconstruction: the motion of
// the in-between itself, per block of the middle frame, found by matching
// A(x - t·v) against C(x + (1-t)·v), then every output pixel mixes the
// predictions of its four nearest blocks. Where per-pixel flow tears (hair,
// a swinging arm), this ghosts smoothly instead.
import type { Image } from '../core/types.js';
import { luma8, type Flow } from './raster.js';
import { at } from './splat.js';

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
  const cost = (cx: number, cy: number, vx: number, vy: number) => {
    let s = 0;
    for (let dy = -S; dy < S; dy += 2) {
      for (let dx = -S; dx < S; dx += 2) {
        const x = cx + dx, y = cy + dy;
        s += Math.abs(at(la, x - t * vx, y - t * vy, 0) - at(lc, x + (1 - t) * vx, y + (1 - t) * vy, 0));
      }
    }
    return s / (S * S);
  };
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const cx = Math.min(w - 1, gx * S), cy = Math.min(h - 1, gy * S), i = cy * w + cx;
      const cands: [number, number][] = [[0, 0], [ab.data[i * 2], ab.data[i * 2 + 1]], [-ba.data[i * 2], -ba.data[i * 2 + 1]]];
      const nb: [number, number][] = [];
      if (gx > 0) nb.push([v[(gy * gw + gx - 1) * 2], v[(gy * gw + gx - 1) * 2 + 1]]);
      if (gy > 0) nb.push([v[((gy - 1) * gw + gx) * 2], v[((gy - 1) * gw + gx) * 2 + 1]]);
      if (gy > 0 && gx + 1 < gw) nb.push([v[((gy - 1) * gw + gx + 1) * 2], v[((gy - 1) * gw + gx + 1) * 2 + 1]]);
      cands.push(...nb);
      const mx = nb.length ? nb.map((q) => q[0]).sort((p, q) => p - q)[nb.length >> 1] : 0;
      const my = nb.length ? nb.map((q) => q[1]).sort((p, q) => p - q)[nb.length >> 1] : 0;
      const score = (x: number, y: number) => cost(cx, cy, x, y) + lam * Math.hypot(x - mx, y - my);
      let bx = 0, by = 0, be = Infinity;
      for (const [x, y] of cands) {
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

/**
 * Full-resolution in-between: each pixel mixes the bilateral predictions of its four nearest grid vectors.
 * With `where`, only pixels where it is above 0 are computed (the rest stay black): the caller mixes only those.
 */
export function obmcBetween(A: Image, C: Image, grid: { gw: number; gh: number; step: number; v: Float32Array }, scale: number, t: number, where?: Float32Array): Image {
  const W = A.width, H = A.height, out = new Uint8ClampedArray(W * H * 3);
  const { gw, gh, step, v } = grid;
  for (let y = 0; y < H; y++) {
    const gyf = Math.min(gh - 1.001, (y * scale) / step), gy0 = Math.floor(gyf), fy = gyf - gy0;
    for (let x = 0; x < W; x++) {
      if (where && !(where[y * W + x] > 0)) continue;
      const gxf = Math.min(gw - 1.001, (x * scale) / step), gx0 = Math.floor(gxf), fx = gxf - gx0;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < 4; k++) {
        const qx = gx0 + (k & 1), qy = gy0 + (k >> 1);
        // Raised-cosine weights: smooth hand-over between blocks.
        const wx = (k & 1) ? 0.5 - 0.5 * Math.cos(Math.PI * fx) : 0.5 + 0.5 * Math.cos(Math.PI * fx);
        const wy = (k >> 1) ? 0.5 - 0.5 * Math.cos(Math.PI * fy) : 0.5 + 0.5 * Math.cos(Math.PI * fy);
        const wgt = wx * wy;
        if (wgt <= 0) continue;
        const vx = v[(qy * gw + qx) * 2] / scale, vy = v[(qy * gw + qx) * 2 + 1] / scale;
        const xa = x - t * vx, ya = y - t * vy, xc = x + (1 - t) * vx, yc = y + (1 - t) * vy;
        r += wgt * ((1 - t) * at(A, xa, ya, 0) + t * at(C, xc, yc, 0));
        g += wgt * ((1 - t) * at(A, xa, ya, 1) + t * at(C, xc, yc, 1));
        b += wgt * ((1 - t) * at(A, xa, ya, 2) + t * at(C, xc, yc, 2));
      }
      const o = (y * W + x) * 3;
      out[o] = r; out[o + 1] = g; out[o + 2] = b;
    }
  }
  return { width: W, height: H, channels: 3, data: new Uint8Array(out.buffer) };
}
