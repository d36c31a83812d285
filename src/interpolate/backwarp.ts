// Backward-warped in-between: the flows are first pushed to time t (each
// source pixel carries where it came from in both frames), gaps are filled
// from their neighbours, then every output pixel samples both frames along
// that flow. Unlike splatting colours this leaves no specks where sources land
// sparsely, because every pixel gets a vector.
import type { Image } from '../core/types.js';
import { at3, type Flow } from './raster.js';
import { bands, type Arena } from './kernel.js';

/**
 * Fields at time t: per pixel the offset to its source in A (u0, v0) and in B
 * (u1, v1), and how strongly A and B saw it (visibility weights), accumulated
 * with weight `z(i)` per source pixel (the splatting weight).
 */
interface Acc {
  vec: Float32Array; // 4 per pixel, weighted sums
  wt: Float32Array; // total weight
  vis: Float32Array; // 2 per pixel: weight from A, from B
}

/** Add weight `q` of the offsets (ua, va, ub, vb) plus (ex, ey) at output pixel `o`, seen from A or B (the JIT inlines it). */
function put(acc: Acc, o: number, q: number, ua: number, va: number, ub: number, vb: number, ex: number, ey: number, side: number): void {
  // Vectors are averaged by weight: a z-buffer style winner-takes-all was measured worse (harder seams).
  const vec = acc.vec, o4 = o * 4;
  vec[o4] += q * (ua + ex);
  vec[o4 + 1] += q * (va + ey);
  vec[o4 + 2] += q * (ub + ex);
  vec[o4 + 3] += q * (vb + ey);
  acc.wt[o] += q;
  acc.vis[o * 2 + side] += q;
}

function push(flow: Flow, zw: Float32Array, s: number, fromA: boolean, acc: Acc): void {
  const w = flow.width, h = flow.height, f = flow.data, side = fromA ? 0 : 1;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const u = f[i * 2], v = f[i * 2 + 1];
      const tx = x + s * u, ty = y + s * v;
      const x0 = Math.floor(tx), y0 = Math.floor(ty);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue;
      const ax = tx - x0, ay = ty - y0, z = zw[i];
      // Offsets from the landing spot to the source (this frame) and to the other frame.
      const ua = fromA ? -s * u : (1 - s) * u, va = fromA ? -s * v : (1 - s) * v;
      const ub = fromA ? (1 - s) * u : -s * u, vb = fromA ? (1 - s) * v : -s * v;
      const q00 = (1 - ax) * (1 - ay) * z, q10 = ax * (1 - ay) * z, q01 = (1 - ax) * ay * z, q11 = ax * ay * z;
      const ex0 = tx - x0, ex1 = tx - (x0 + 1), ey0 = ty - y0, ey1 = ty - (y0 + 1);
      const o = y0 * w + x0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // Inside: the four corners unrolled; a corner of weight 0 is skipped as before.
        if (q00 > 0) put(acc, o, q00, ua, va, ub, vb, ex0, ey0, side);
        if (q10 > 0) put(acc, o + 1, q10, ua, va, ub, vb, ex1, ey0, side);
        if (q01 > 0) put(acc, o + w, q01, ua, va, ub, vb, ex0, ey1, side);
        if (q11 > 0) put(acc, o + w + 1, q11, ua, va, ub, vb, ex1, ey1, side);
        continue;
      }
      for (let k = 0; k < 4; k++) {
        const xx = x0 + (k & 1), yy = y0 + (k >> 1);
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const q = k === 0 ? q00 : k === 1 ? q10 : k === 2 ? q01 : q11;
        if (q <= 0) continue;
        put(acc, yy * w + xx, q, ua, va, ub, vb, tx - xx, ty - yy, side);
      }
    }
  }
}

/** Fill pixels without a vector from filled 3x3 neighbours, growing inwards pass by pass. */
function fill(vec: Float32Array, ok: Uint8Array, w: number, h: number): void {
  let todo: number[] = [];
  for (let i = 0; i < ok.length; i++) if (!ok[i]) todo.push(i);
  const s = new Float32Array(4);
  for (let pass = 0; todo.length && pass < 256; pass++) {
    const done: number[] = [], rest: number[] = [];
    for (const i of todo) {
      const x = i % w, y = (i - x) / w;
      let n = 0;
      s.fill(0);
      for (let j = Math.max(0, y - 1); j <= Math.min(h - 1, y + 1); j++) {
        for (let q = Math.max(0, x - 1); q <= Math.min(w - 1, x + 1); q++) {
          const o = j * w + q;
          if (ok[o] !== 1) continue;
          for (let k = 0; k < 4; k++) s[k] += vec[o * 4 + k];
          n++;
        }
      }
      if (!n) { rest.push(i); continue; }
      for (let k = 0; k < 4; k++) vec[i * 4 + k] = s[k] / n;
      done.push(i);
    }
    // Marked after the pass so a pass only reads vectors filled before it (order-free growth).
    if (!done.length) break; // nothing to grow from (no vector landed at all): the rest keep zero motion
    for (const i of done) ok[i] = 1;
    todo = rest;
  }
}

export function backwarpBetween(a: Image, b: Image, ab: Flow, ba: Flow, za: Float32Array, zb: Float32Array, t: number): Image {
  const w = a.width, h = a.height, n = w * h;
  const acc: Acc = { vec: new Float32Array(n * 4), wt: new Float32Array(n), vis: new Float32Array(n * 2) };
  push(ab, za, t, true, acc);
  push(ba, zb, 1 - t, false, acc);
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (acc.wt[i] > 1e-9) {
      for (let k = 0; k < 4; k++) acc.vec[i * 4 + k] /= acc.wt[i];
      ok[i] = 1;
    }
  }
  fill(acc.vec, ok, w, h);
  const out = new Uint8ClampedArray(n * 3);
  const sa = new Float64Array(3), sb = new Float64Array(3);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      // Visibility: a pixel only one frame reached takes that frame; the prior is the time weighting.
      const va = (1 - t) * (acc.vis[i * 2] + 1e-3), vb = t * (acc.vis[i * 2 + 1] + 1e-3);
      const ka = va / (va + vb);
      const v = acc.vec;
      at3(a, x + v[i * 4], y + v[i * 4 + 1], sa);
      at3(b, x + v[i * 4 + 2], y + v[i * 4 + 3], sb);
      for (let k = 0; k < 3; k++) out[i * 3 + k] = ka * sa[k] + (1 - ka) * sb[k];
    }
  }
  return { width: w, height: h, channels: 3, data: new Uint8Array(out.buffer) };
}

/**
 * backwarpBetween in WebAssembly (kernel.wat) on the frames, flows and splatting weights at these offsets of the
 * arena: the in-between's bytes, a view into the arena (valid until the caller's use of it ends).
 */
export function backwarpKernel(K: Arena, a: number, b: number, ab: number, ba: number, za: number, zb: number, w: number, h: number, t: number): Uint8Array {
  const n = w * h, vec = K.alloc(16 * n), wt = K.alloc(4 * n), vis = K.alloc(8 * n), ok = K.alloc(n), out = K.alloc(3 * n, false);
  bands(h, (y0, y1) => K.k.backPush(ab, za, vec, wt, vis, w, h, t, 1, y0, y1));
  bands(h, (y0, y1) => K.k.backPush(ba, zb, vec, wt, vis, w, h, 1 - t, 0, y0, y1));
  K.k.backNormalize(vec, wt, ok, n);
  fill(K.f32(vec, 4 * n), K.u8(ok, n), w, h);
  bands(h, (y0, y1) => K.k.backSample(a, b, vec, vis, out, w, h, t, y0, y1));
  return K.u8(out, 3 * n);
}
