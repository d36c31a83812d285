// Gutter colour and the ink mask: everything that differs from the gutter
// (page background) colour is "ink". Works for white, black or coloured gutters.
import type { Image } from '../core/types.js';
import { newMask, type Mask } from './raster.js';

export type RGB = [number, number, number];

/** The dominant colour of a band along the page border (the gutter colour on nearly every page). */
export function gutterColour(img: Image): RGB {
  const { width: w, height: h, channels: c, data } = img;
  const band = Math.max(3, Math.round(Math.min(w, h) * 0.03));
  const bins = new Map<number, { n: number; r: number; g: number; b: number }>();
  // Channel offsets of green and blue (0 for gray): no tuple per pixel (a page is read once, in cold code).
  const og = c < 3 ? 0 : 1, ob = c < 3 ? 0 : 2;
  for (let y = 0; y < h; y++) {
    const edgeRow = y < band || y >= h - band;
    for (let x = 0; x < w; x++) {
      if (edgeRow || x < band || x >= w - band) {
        const o = (y * w + x) * c, r = data[o], g = data[o + og], b = data[o + ob];
        const key = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
        let e = bins.get(key);
        if (!e) bins.set(key, (e = { n: 0, r: 0, g: 0, b: 0 }));
        e.n++; e.r += r; e.g += g; e.b += b;
      } else x = w - band - 1;
    }
  }
  let best = { n: 0, r: 0, g: 0, b: 0 };
  for (const e of bins.values()) if (e.n > best.n) best = e;
  return [Math.round(best.r / best.n), Math.round(best.g / best.n), Math.round(best.b / best.n)];
}

/** 1 where a pixel differs from `gutter` by more than `threshold` in any channel. */
export function inkMask(img: Image, gutter: RGB, threshold: number): Mask {
  const m = newMask(img.width, img.height);
  const n = img.width * img.height, c = img.channels, d = img.data;
  const og = c < 3 ? 0 : 1, ob = c < 3 ? 0 : 2;
  // Per channel value: is it farther than the threshold from the gutter's (one table lookup instead of the sums).
  const far = (g: number) => Uint8Array.from({ length: 256 }, (_, v) => (Math.abs(v - g) > threshold ? 1 : 0));
  const fr = far(gutter[0]), fg = far(gutter[1]), fb = far(gutter[2]);
  for (let i = 0, o = 0; i < n; i++, o += c) m.data[i] = fr[d[o]] | fg[d[o + og]] | fb[d[o + ob]];
  return m;
}

// Running max (dilate) or min (erode) over a (2r+1) window along rows or columns.
function pass(src: Mask, r: number, horizontal: boolean, dilate: boolean): Mask {
  const { width: w, height: h } = src;
  const out = newMask(w, h);
  const lines = horizontal ? h : w;
  const len = horizontal ? w : h;
  const idx = (line: number, k: number) => (horizontal ? line * w + k : k * w + line);
  for (let line = 0; line < lines; line++) {
    // Count of set pixels in the window; outside the image counts as unset for dilate, set for erode.
    let count = 0;
    for (let k = -r; k <= r; k++) {
      if (k < 0 || k >= len) count += dilate ? 0 : 1;
      else count += src.data[idx(line, k)];
    }
    for (let k = 0; k < len; k++) {
      out.data[idx(line, k)] = dilate ? (count > 0 ? 1 : 0) : count === 2 * r + 1 ? 1 : 0;
      const drop = k - r, add = k + r + 1;
      count -= drop < 0 ? (dilate ? 0 : 1) : src.data[idx(line, drop)];
      count += add >= len ? (dilate ? 0 : 1) : src.data[idx(line, add)];
    }
  }
  return out;
}

/** Morphological closing with a square (2r+1) kernel: bridges gaps narrower than about 2r pixels. */
export function closeMask(m: Mask, r: number): Mask {
  if (r <= 0) return m;
  const d = pass(pass(m, r, true, true), r, false, true);
  return pass(pass(d, r, true, false), r, false, false);
}
