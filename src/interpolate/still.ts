// Unchanged pixels stay put. Where both frames agree around a pixel and its
// flow is already small, the pixel is part of a held background (or a held
// part of the drawing): its flow is set to exactly zero, so splatting copies it
// without the blur that sub-pixel flow noise causes.
import type { Image } from '../core/types.js';
import { blurBytes, boxBlur, type Flow } from './raster.js';
import { withKernel, type Arena } from './kernel.js';

export interface StillOptions {
  /** Mean absolute difference (0..255, over a 5x5 window) below which a spot counts as unchanged (default 8; 0 disables). */
  still?: number;
  /** Largest flow (output pixels) that may be snapped to zero (default 1.5). */
  stillFlow?: number;
}

/** Per-pixel mean absolute RGB difference of two same-size images, box-blurred with radius r. */
export function localDiff(a: Image, b: Image, r: number, into?: Arena): Float32Array {
  const n = a.width * a.height, c = a.channels, w = a.width, h = a.height;
  if (c === 3 && b.channels === 3 && r > 0) {
    // In WebAssembly, the difference and its blur in the arena: the same float64 steps, so the same values.
    // With `into` (the caller's open use of the arena), the result stays there as a view.
    const kept = into?.alloc(4 * n, false);
    const fast = withKernel(6 * n + blurBytes(w, h) + 4096, (K) => {
      const pa = K.put(a.data), pb = K.put(b.data), d = K.alloc(4 * n, false);
      const tmp = K.alloc(4 * n, false), acc = K.alloc(8 * w, false), out = kept ?? K.alloc(4 * n, false);
      K.k.absDiff3(pa, pb, d, n);
      K.k.boxBlur(d, tmp, acc, out, w, h, r);
      return kept === undefined ? K.f32(out, n).slice() : K.f32(out, n);
    });
    if (fast) return fast;
  }
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += Math.abs(a.data[i * c + k] - b.data[i * c + k]);
    d[i] = s / 3;
  }
  return boxBlur(d, a.width, a.height, r);
}

/** Snap small flow vectors to zero where `diff` says nothing changed; returns how many pixels were snapped. */
export function snapStill(flow: Flow, err: Float32Array, diff: Float32Array, opts: StillOptions = {}): number {
  const tau = opts.still ?? 8;
  if (tau <= 0) return 0;
  const cap = (opts.stillFlow ?? 1.5) ** 2, f = flow.data;
  let n = 0;
  for (let i = 0; i < diff.length; i++) {
    // Larger vectors stay even where nothing changed (snapping them too was measured worse: flat areas that pan).
    if (diff[i] >= tau || f[i * 2] ** 2 + f[i * 2 + 1] ** 2 > cap) continue;
    f[i * 2] = 0;
    f[i * 2 + 1] = 0;
    if (err[i] > diff[i]) err[i] = diff[i];
    n++;
  }
  return n;
}
