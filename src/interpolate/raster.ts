// Small raster helpers on typed arrays: luma planes, box blur, bilinear
// sampling, flow upsampling. Kept allocation-light because they run per pixel.
import { sharpNow } from '../core/image.js';
import type { Image } from '../core/types.js';
import { bands, withKernel, type Arena } from './kernel.js';

/** A float plane (one value per pixel). */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** A flow field: per-pixel displacement (dx, dy) interleaved, in pixels of its own size. */
export interface Flow {
  width: number;
  height: number;
  data: Float32Array;
}

/** Shrink (or grow) an RGB image with sharp; antialiased. */
export async function scaleImage(img: Image, width: number, height: number): Promise<Image> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharpNow()(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: img.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Luma of an RGB (or gray) image as 8-bit. */
export function luma8(img: Image): Uint8Array {
  const n = img.width * img.height;
  if (img.channels === 1) return img.data;
  const c = img.channels;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, o = 0; i < n; i++, o += c) out[i] = (d[o] * 77 + d[o + 1] * 150 + d[o + 2] * 29) >> 8;
  return out;
}

/** Arena bytes boxBlur's kernel takes for a w x h plane (a caller that blurs inside its own use reserves them too). */
export const blurBytes = (w: number, h: number): number => 12 * w * h + 8 * w + 256;

/** Separable box blur of a float plane with radius r (edges clamped). */
export function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  if (r <= 0) return src.slice();
  // In WebAssembly (kernel.wat boxBlur): the same float64 sums, so the same values to the last bit.
  const fast = withKernel(blurBytes(w, h), (K) => {
    const ps = K.put(src), tmp = K.alloc(4 * w * h, false), acc = K.alloc(8 * w, false), out = K.alloc(4 * w * h, false);
    K.k.boxBlur(ps, tmp, acc, out, w, h, r);
    return K.f32(out, w * h).slice();
  });
  if (fast) return fast;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += src[row + Math.min(w - 1, Math.max(0, k))];
    for (let x = 0; x < w; x++) {
      tmp[row + x] = acc * norm;
      acc += src[row + Math.min(w - 1, x + r + 1)] - src[row + Math.max(0, x - r)];
    }
  }
  for (let x = 0; x < w; x++) {
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += tmp[Math.min(h - 1, Math.max(0, k)) * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = acc * norm;
      acc += tmp[Math.min(h - 1, y + r + 1) * w + x] - tmp[Math.max(0, y - r) * w + x];
    }
  }
  return out;
}

/** Bilinear resampling taps along one axis: for each output index, the two source indices and the weight of the second. */
function taps(from: number, to: number): { i0: Int32Array; i1: Int32Array; a: Float64Array } {
  const s = from / to, i0 = new Int32Array(to), i1 = new Int32Array(to), a = new Float64Array(to);
  for (let k = 0; k < to; k++) {
    const f = Math.min(from - 1, Math.max(0, (k + 0.5) * s - 0.5));
    i0[k] = Math.floor(f);
    i1[k] = Math.min(from - 1, i0[k] + 1);
    a[k] = f - i0[k];
  }
  return { i0, i1, a };
}

/** Resize a flow field bilinearly and scale its vectors to the new pixel size. */
export function resizeFlow(f: Flow, width: number, height: number): Flow {
  if (f.width === width && f.height === height) return f;
  const sx = f.width / width, sy = f.height / height, fw = f.width, src = f.data;
  const out = new Float32Array(width * height * 2);
  const X = taps(fw, width), Y = taps(f.height, height);
  for (let y = 0; y < height; y++) {
    const r0 = Y.i0[y] * fw, r1 = Y.i1[y] * fw, ay = Y.a[y];
    for (let x = 0; x < width; x++) {
      const x0 = X.i0[x], x1 = X.i1[x], ax = X.a[x];
      const i00 = (r0 + x0) * 2, i01 = (r0 + x1) * 2, i10 = (r1 + x0) * 2, i11 = (r1 + x1) * 2, o = (y * width + x) * 2;
      let top = src[i00] + (src[i01] - src[i00]) * ax, bot = src[i10] + (src[i11] - src[i10]) * ax;
      out[o] = (top + (bot - top) * ay) / sx;
      top = src[i00 + 1] + (src[i01 + 1] - src[i00 + 1]) * ax;
      bot = src[i10 + 1] + (src[i11 + 1] - src[i10 + 1]) * ax;
      out[o + 1] = (top + (bot - top) * ay) / sy;
    }
  }
  return { width, height, data: out };
}

/**
 * Bilinear sample at (x, y), clamped to the border, of every channel of a 1- or 3-channel 8-bit image into `dst`:
 * the clamp and the taps are found once per pixel, not once per channel (this runs per pixel in the hot loops).
 */
export function at3(img: Image, x: number, y: number, dst: Float64Array): void {
  const w = img.width, h = img.height, c = img.channels;
  if (x < 0) x = 0; else if (x > w - 1) x = w - 1;
  if (y < 0) y = 0; else if (y > h - 1) y = h - 1;
  const x0 = x | 0, y0 = y | 0;
  const x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  const ax = x - x0, ay = y - y0, bx = 1 - ax, by = 1 - ay, d = img.data;
  const p00 = (y0 * w + x0) * c, p01 = (y0 * w + x1) * c, p10 = (y1 * w + x0) * c, p11 = (y1 * w + x1) * c;
  dst[0] = (d[p00] * bx + d[p01] * ax) * by + (d[p10] * bx + d[p11] * ax) * ay;
  if (c === 1) return;
  dst[1] = (d[p00 + 1] * bx + d[p01 + 1] * ax) * by + (d[p10 + 1] * bx + d[p11 + 1] * ax) * ay;
  dst[2] = (d[p00 + 2] * bx + d[p01 + 2] * ax) * by + (d[p10 + 2] * bx + d[p11 + 2] * ax) * ay;
}

/** Per-pixel photometric error |A(p) - B(p + flow(p))| (mean over RGB), same size as A. */
export function warpError(a: Image, b: Image, flow: Flow): Float32Array {
  const w = a.width, h = a.height, c = a.channels, ad = a.data, px = new Float64Array(3);
  // In WebAssembly (kernel.wat warpError): the same float64 operations, so the same values to the last bit.
  const fast = c === 3 && b.channels === 3 ? withKernel(20 * w * h + 4096, (K) => {
    const pa = K.put(a.data), pb = K.put(b.data), pf = K.put(flow.data), po = K.alloc(4 * w * h, false);
    bands(h, (y0, y1) => K.k.warpError(pa, pb, pf, po, w, h, y0, y1));
    return K.f32(po, w * h).slice();
  }) : undefined;
  if (fast) return fast;
  const out = new Float32Array(w * h);
  const fd = flow.data;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      at3(b, x + fd[i * 2], y + fd[i * 2 + 1], px);
      const e = Math.abs(ad[i * c] - px[0]) + Math.abs(ad[i * c + 1] - px[1]) + Math.abs(ad[i * c + 2] - px[2]);
      out[i] = e / 3;
    }
  }
  return out;
}

/** Resize a float plane bilinearly (values unchanged). */
export function resizePlane(p: Float32Array, w: number, h: number, width: number, height: number, into?: Float32Array): Float32Array {
  if (w === width && h === height) return p;
  const out = into ?? new Float32Array(width * height);
  const X = taps(w, width), Y = taps(h, height);
  for (let y = 0; y < height; y++) {
    const r0 = Y.i0[y] * w, r1 = Y.i1[y] * w, ay = Y.a[y];
    for (let x = 0; x < width; x++) {
      const x0 = X.i0[x], x1 = X.i1[x], ax = X.a[x];
      const top = p[r0 + x0] + (p[r0 + x1] - p[r0 + x0]) * ax, bot = p[r1 + x0] + (p[r1 + x1] - p[r1 + x0]) * ax;
      out[y * width + x] = top + (bot - top) * ay;
    }
  }
  return out;
}

/**
 * Upsample a flow (and its error plane) from `small` to the size of `big`,
 * guided by colour: where the four nearest low-resolution vectors disagree (a
 * motion boundary), take the one whose low-resolution colour best matches the
 * full-resolution pixel instead of averaging, so pixels on an edge move with
 * the piece they belong to rather than halfway between.
 */
export function guidedUpsample(flow: Flow, err: Float32Array, small: Image, big: Image, edge = 1, into?: Arena): { flow: Flow; err: Float32Array } {
  const W = big.width, H = big.height, w = flow.width, h = flow.height;
  const bytes = 20 * w * h + 16 * W * H + 16 * (W + H) + 4096;
  if (W === w && H === h || small.channels !== 3 || big.channels !== 3) return guidedUpsampleJs(flow, err, small, big, edge);
  // With `into` (the caller's open use of the arena), the result stays there as views: no copies out and back in.
  const kept = into ? { fo: into.alloc(8 * W * H, false), eo: into.alloc(4 * W * H, false) } : undefined;
  const fast = withKernel(bytes, (K) => upsampleKernel(K, flow, err, small, big, edge, kept));
  return fast ?? guidedUpsampleJs(flow, err, small, big, edge);
}

/** guidedUpsample in WebAssembly (kernel.wat): the same taps and choice, in float32 arithmetic. */
function upsampleKernel(K: Arena, flow: Flow, err: Float32Array, small: Image, big: Image, edge: number, kept?: { fo: number; eo: number }): { flow: Flow; err: Float32Array } {
  const W = big.width, H = big.height, w = flow.width, h = flow.height, n = w * h;
  const lo = K.alloc(16 * n, false), q = K.f32(lo, 4 * n), f = flow.data;
  for (let i = 0; i < n; i++) {
    q[i * 4] = f[i * 2];
    q[i * 4 + 1] = f[i * 2 + 1];
    q[i * 4 + 2] = err[i];
    q[i * 4 + 3] = 0;
  }
  const X = taps(w, W), Y = taps(h, H);
  const sm = K.put(small.data), bg = K.put(big.data);
  const [x0, x1, ax, y0, y1, ay] = [X.i0, X.i1, new Float32Array(X.a), Y.i0, Y.i1, new Float32Array(Y.a)].map((a) => K.put(a));
  const fo = kept?.fo ?? K.alloc(8 * W * H, false), eo = kept?.eo ?? K.alloc(4 * W * H, false);
  bands(H, (ya, yb) => K.k.upsample(lo, sm, bg, w, W, H, x0, x1, ax, y0, y1, ay, w / W, h / H, edge, fo, eo, ya, yb));
  if (kept) return { flow: { width: W, height: H, data: K.f32(fo, 2 * W * H) }, err: K.f32(eo, W * H) };
  return { flow: { width: W, height: H, data: K.f32(fo, 2 * W * H).slice() }, err: K.f32(eo, W * H).slice() };
}

/** guidedUpsample in JavaScript: the reference of the kernel, and the path without WebAssembly SIMD. */
export function guidedUpsampleJs(flow: Flow, err: Float32Array, small: Image, big: Image, edge = 1): { flow: Flow; err: Float32Array } {
  const W = big.width, H = big.height, w = flow.width, h = flow.height;
  const smooth = resizeFlow(flow, W, H);
  const errUp = resizePlane(err, w, h, W, H);
  if (W === w && H === h) return { flow: smooth, err: errUp };
  const sx = w / W, sy = h / H;
  const f = flow.data, out = smooth.data, sd = small.data, bd = big.data, sc = small.channels, bc = big.channels;
  const X = taps(w, W), Y = taps(h, H);
  for (let y = 0; y < H; y++) {
    const y0 = Y.i0[y], y1 = Y.i1[y];
    for (let x = 0; x < W; x++) {
      const x0 = X.i0[x], x1 = X.i1[x];
      const q0 = y0 * w + x0, q1 = y0 * w + x1, q2 = y1 * w + x0, q3 = y1 * w + x1;
      // Unrolled over the four neighbours: this runs per full-resolution pixel.
      const u0 = f[q0 * 2], u1 = f[q1 * 2], u2 = f[q2 * 2], u3 = f[q3 * 2];
      const v0 = f[q0 * 2 + 1], v1 = f[q1 * 2 + 1], v2 = f[q2 * 2 + 1], v3 = f[q3 * 2 + 1];
      if (Math.max(u0, u1, u2, u3) - Math.min(u0, u1, u2, u3) < edge && Math.max(v0, v1, v2, v3) - Math.min(v0, v1, v2, v3) < edge) continue;
      const p = (y * W + x) * bc, r = bd[p], g = bd[p + 1], b = bd[p + 2];
      let best = q0, bestD = Infinity;
      for (let k = 0; k < 4; k++) {
        const q = k === 0 ? q0 : k === 1 ? q1 : k === 2 ? q2 : q3, o = q * sc;
        const dd = Math.abs(r - sd[o]) + Math.abs(g - sd[o + 1]) + Math.abs(b - sd[o + 2]);
        if (dd < bestD) { bestD = dd; best = q; }
      }
      const i = y * W + x;
      out[i * 2] = f[best * 2] / sx;
      out[i * 2 + 1] = f[best * 2 + 1] / sy;
      errUp[i] = err[best];
    }
  }
  return { flow: smooth, err: errUp };
}
