// Small raster helpers on 1-byte masks and RGB Images: polygon fill and thick
// outlines. Used to mark panel areas and to draw synthetic test pages.
import type { Image } from '../core/types.js';
import type { Point } from './geometry.js';

/** A 1-byte-per-pixel mask. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export function newMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

/** Call `span(y, x0, x1)` for every row span of pixels whose centre (x + 0.5, y + 0.5) lies inside the polygon (even-odd rule; pixel x covers [x, x + 1)). */
export function scanPolygon(poly: Point[], width: number, height: number, span: (y: number, x0: number, x1: number) => void): void {
  if (poly.length < 3) return;
  let y0 = Infinity, y1 = -Infinity;
  for (const [, y] of poly) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const xs: number[] = [];
  for (let y = Math.max(0, Math.floor(y0)); y <= Math.min(height - 1, Math.ceil(y1)); y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i];
      const [xj, yj] = poly[j];
      if (yi > cy !== yj > cy) xs.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const a = Math.max(0, Math.ceil(xs[k] - 0.5));
      const b = Math.min(width - 1, Math.floor(xs[k + 1] - 0.5));
      if (b >= a) span(y, a, b);
    }
  }
}

export function fillMaskPolygon(m: Mask, poly: Point[], value = 1): void {
  scanPolygon(poly, m.width, m.height, (y, a, b) => m.data.fill(value, y * m.width + a, y * m.width + b + 1));
}

export function fillPolygon(img: Image, poly: Point[], rgb: [number, number, number]): void {
  const c = img.channels, d = img.data;
  // The value per channel once, not per pixel (gray images take the luma); alpha is left alone.
  if (c === 1) {
    const v = (rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) >> 8;
    scanPolygon(poly, img.width, img.height, (y, a, b) => d.fill(v, y * img.width + a, y * img.width + b + 1));
    return;
  }
  const [r, g, bl] = rgb;
  scanPolygon(poly, img.width, img.height, (y, a, b) => {
    for (let o = (y * img.width + a) * c, end = (y * img.width + b) * c; o <= end; o += c) { d[o] = r; d[o + 1] = g; d[o + 2] = bl; }
  });
}

/** A thick closed outline: each edge drawn as a filled quad plus square joints. */
export function strokePolygon(img: Image, poly: Point[], thickness: number, rgb: [number, number, number]): void {
  const h = thickness / 2;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i];
    const b = poly[(i + 1) % poly.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const nx = (-(b[1] - a[1]) / len) * h, ny = ((b[0] - a[0]) / len) * h;
    const ex = ((b[0] - a[0]) / len) * h, ey = ((b[1] - a[1]) / len) * h;
    fillPolygon(img, [
      [a[0] + nx - ex, a[1] + ny - ey],
      [b[0] + nx + ex, b[1] + ny + ey],
      [b[0] - nx + ex, b[1] - ny + ey],
      [a[0] - nx - ex, a[1] - ny - ey],
    ], rgb);
  }
}
