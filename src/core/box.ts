import type { Box } from './types.js';

/** Intersection over union of two [x, y, w, h] boxes. */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]), y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]), y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of box a that lies inside box b (0..1): how much of a face a found box holds, or a region a known box. */
export function coverage(a: Box, b: Box): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? (w * h) / Math.max(1e-9, a[2] * a[3]) : 0;
}

/** A box grown by `dx` on its left and right and `dy` on its top and bottom. */
export function grow([x, y, w, h]: Box, dx: number, dy: number): Box {
  return [x - dx, y - dy, w + 2 * dx, h + 2 * dy];
}
