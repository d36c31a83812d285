// Gutter colour and the ink mask: everything that differs from the gutter
// (page background) colour is "ink". Works for white, black or coloured gutters.
import type { Image } from '../core/types.js';
import { newMask, type Mask } from './raster.js';

export type RGB = [number, number, number];

function px(img: Image, i: number): RGB {
  const c = img.channels;
  const o = i * c;
  return c < 3 ? [img.data[o], img.data[o], img.data[o]] : [img.data[o], img.data[o + 1], img.data[o + 2]];
}

/** The dominant colour of a band along the page border (the gutter colour on nearly every page). */
export function gutterColour(img: Image): RGB {
  const { width: w, height: h } = img;
  const band = Math.max(3, Math.round(Math.min(w, h) * 0.03));
  const bins = new Map<number, { n: number; r: number; g: number; b: number }>();
  const add = (x: number, y: number) => {
    const [r, g, b] = px(img, y * w + x);
    const key = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    const e = bins.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    e.n++; e.r += r; e.g += g; e.b += b;
    bins.set(key, e);
  };
  for (let y = 0; y < h; y++) {
    const edgeRow = y < band || y >= h - band;
    for (let x = 0; x < w; x++) {
      if (edgeRow || x < band || x >= w - band) add(x, y);
      else x = w - band - 1;
    }
  }
  let best = { n: 0, r: 0, g: 0, b: 0 };
  for (const e of bins.values()) if (e.n > best.n) best = e;
  return [Math.round(best.r / best.n), Math.round(best.g / best.n), Math.round(best.b / best.n)];
}

/** 1 where a pixel differs from `gutter` by more than `threshold` in any channel. */
export function inkMask(img: Image, gutter: RGB, threshold: number): Mask {
  const m = newMask(img.width, img.height);
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const [r, g, b] = px(img, i);
    const d = Math.max(Math.abs(r - gutter[0]), Math.abs(g - gutter[1]), Math.abs(b - gutter[2]));
    if (d > threshold) m.data[i] = 1;
  }
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
