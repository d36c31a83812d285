// Plain 2-D geometry for panels: boxes, convex hulls, polygon simplification.
import type { Box } from '../core/types.js';

export type Point = [number, number];

export function boxArea(b: Box): number {
  return Math.max(0, b[2]) * Math.max(0, b[3]);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const i = intersection(a, b);
  const u = boxArea(a) + boxArea(b) - i;
  return u > 0 ? i / u : 0;
}

/** Smallest box holding all points (pixel centres: a point at x covers [x, x+1)). */
export function boundsOf(points: Point[]): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export function boxPolygon(b: Box): Point[] {
  const [x, y, w, h] = b;
  return [[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1]];
}

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), clockwise in image coordinates (y down). */
export function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

export function polygonArea(poly: Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

export function perimeter(poly: Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) s += Math.hypot(poly[(i + 1) % poly.length][0] - poly[i][0], poly[(i + 1) % poly.length][1] - poly[i][1]);
  return s;
}

function segDist(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2)) : 0;
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

function dp(pts: Point[], eps: number): Point[] {
  if (pts.length < 3) return pts;
  let best = -1, at = 0;
  for (let i = 1; i < pts.length - 1; i++) {
    const d = segDist(pts[i], pts[0], pts[pts.length - 1]);
    if (d > best) { best = d; at = i; }
  }
  if (best <= eps) return [pts[0], pts[pts.length - 1]];
  const a = dp(pts.slice(0, at + 1), eps);
  return a.slice(0, -1).concat(dp(pts.slice(at), eps));
}

/** Douglas-Peucker on a closed polygon: split at the two farthest-apart vertices, simplify both chains. */
export function simplifyClosed(poly: Point[], eps: number): Point[] {
  if (poly.length <= 4) return poly;
  let i0 = 0, i1 = 0, far = -1;
  for (let i = 0; i < poly.length; i++) {
    const d = Math.hypot(poly[i][0] - poly[0][0], poly[i][1] - poly[0][1]);
    if (d > far) { far = d; i0 = i; }
  }
  far = -1;
  for (let i = 0; i < poly.length; i++) {
    const d = Math.hypot(poly[i][0] - poly[i0][0], poly[i][1] - poly[i0][1]);
    if (d > far) { far = d; i1 = i; }
  }
  const [a, b] = i0 < i1 ? [i0, i1] : [i1, i0];
  const c1 = dp(poly.slice(a, b + 1), eps);
  const c2 = dp(poly.slice(b).concat(poly.slice(0, a + 1)), eps);
  return c1.slice(0, -1).concat(c2.slice(0, -1));
}

/** Ray-casting point-in-polygon. */
export function insidePolygon(p: Point, poly: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function centre(b: Box): Point {
  return [b[0] + b[2] / 2, b[1] + b[3] / 2];
}

function lineIntersect(a: Point, b: Point, c: Point, d: Point): Point | undefined {
  const den = (b[0] - a[0]) * (d[1] - c[1]) - (b[1] - a[1]) * (d[0] - c[0]);
  if (Math.abs(den) < 1e-9) return undefined;
  const t = ((c[0] - a[0]) * (d[1] - c[1]) - (c[1] - a[1]) * (d[0] - c[0])) / den;
  return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
}

/**
 * Reduce a convex polygon towards `target` vertices by repeatedly dropping the
 * edge whose removal (extending its two neighbours to meet) adds the least
 * area, while the total added area stays under `maxGrowth` of the original.
 * Turns bevelled or rounded panel corners back into clean quads.
 */
export function reduceConvex(poly: Point[], target = 4, maxGrowth = 0.03): Point[] {
  let p = poly.map((q) => [q[0], q[1]] as Point);
  const area0 = polygonArea(p);
  let added = 0;
  while (p.length > target) {
    let best = -1, bestArea = Infinity, bestPt: Point | undefined;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const a = p[(i - 1 + n) % n], b = p[i], c = p[(i + 1) % n], d = p[(i + 2) % n];
      const x = lineIntersect(a, b, c, d);
      if (!x) continue;
      // The meeting point must lie beyond b and c (outside the polygon), not behind them.
      if ((x[0] - b[0]) * (b[0] - a[0]) + (x[1] - b[1]) * (b[1] - a[1]) < 0) continue;
      if ((x[0] - c[0]) * (c[0] - d[0]) + (x[1] - c[1]) * (c[1] - d[1]) < 0) continue;
      const tri = polygonArea([b, x, c]);
      if (tri < bestArea) { bestArea = tri; best = i; bestPt = x; }
    }
    if (best < 0 || added + bestArea > maxGrowth * area0) break;
    added += bestArea;
    const n1 = (best + 1) % n;
    p = p.flatMap((q, k) => (k === best ? [bestPt!] : k === n1 ? [] : [q]));
  }
  return p.map(([x, y]) => [Math.round(x), Math.round(y)] as Point);
}
