// Segment-guided matching: pair colour pieces of frame A with pieces of frame
// B by colour, size, shape and position (mutual best), and turn the pairs into
// a coarse flow. Whole pieces match even when they moved far or are flat
// inside, which is where pixel-wise flow fails on animation.
import type { Segment, Segmentation } from './segment.js';
import type { Flow } from './raster.js';

export interface Match {
  a: number;
  b: number;
  /** Centroid shift. */
  dx: number;
  dy: number;
  /** Size change (B over A) from the bounding boxes, applied about the centroid. */
  sx: number;
  sy: number;
  cost: number;
}

export interface MatchOptions {
  /** Largest displacement considered, as a fraction of the image diagonal. */
  maxMotion?: number;
  /** Pieces larger than this fraction of the image (backgrounds) are left to the dense flow. */
  maxAreaFrac?: number;
  /** Pieces smaller than this many pixels are too ambiguous to match. */
  minArea?: number;
}

function cost(p: Segment, q: Segment, diag: number, maxMotion: number): number {
  const dc = Math.hypot(p.r - q.r, p.g - q.g, p.b - q.b);
  if (dc > 45) return Infinity;
  const ra = Math.log(q.area / p.area);
  if (Math.abs(ra) > 0.5) return Infinity;
  const rw = Math.log((q.x1 - q.x0 + 2) / (p.x1 - p.x0 + 2));
  const rh = Math.log((q.y1 - q.y0 + 2) / (p.y1 - p.y0 + 2));
  if (Math.abs(rw) > 0.5 || Math.abs(rh) > 0.5) return Infinity;
  const dp = Math.hypot(q.cx - p.cx, q.cy - p.cy) / diag;
  if (dp > maxMotion) return Infinity;
  return dc / 15 + Math.abs(ra) / 0.15 + (Math.abs(rw) + Math.abs(rh)) / 0.2 + dp / 0.04;
}

/** Mutually best piece pairs between two segmentations of equal size. */
export function matchSegments(sa: Segmentation, sb: Segmentation, opts: MatchOptions = {}): Match[] {
  const n = sa.width * sa.height;
  const diag = Math.hypot(sa.width, sa.height);
  const maxMotion = opts.maxMotion ?? 0.3;
  const maxArea = (opts.maxAreaFrac ?? 0.12) * n;
  const minArea = opts.minArea ?? Math.max(12, n / 8000);
  const usable = (s: Segment) => s.area >= minArea && s.area <= maxArea;
  const A = sa.segments.filter(usable);
  const B = sb.segments.filter(usable);
  if (!A.length || !B.length) return [];
  const bestB = new Int32Array(A.length).fill(-1);
  const bestBc = new Float64Array(A.length).fill(Infinity);
  const bestA = new Int32Array(B.length).fill(-1);
  const bestAc = new Float64Array(B.length).fill(Infinity);
  for (let i = 0; i < A.length; i++) {
    for (let j = 0; j < B.length; j++) {
      const k = cost(A[i], B[j], diag, maxMotion);
      if (k < bestBc[i]) { bestBc[i] = k; bestB[i] = j; }
      if (k < bestAc[j]) { bestAc[j] = k; bestA[j] = i; }
    }
  }
  const out: Match[] = [];
  for (let i = 0; i < A.length; i++) {
    const j = bestB[i];
    if (j < 0 || bestA[j] !== i) continue;
    const p = A[i], q = B[j];
    out.push({ a: p.label, b: q.label, dx: q.cx - p.cx, dy: q.cy - p.cy, sx: (q.x1 - q.x0 + 1) / (p.x1 - p.x0 + 1), sy: (q.y1 - q.y0 + 1) / (p.y1 - p.y0 + 1), cost: bestBc[i] });
  }
  return out;
}

/**
 * Coarse flow from A to B: each matched piece of A moves by its centroid
 * shift; other pixels take `fallback` (the plain dense flow).
 */
export function coarseFlow(sa: Segmentation, matches: Match[], fallback: Flow, reverse = false): Flow {
  const w = sa.width, n = w * sa.height;
  const byLabel = new Map<number, Match>();
  for (const m of matches) byLabel.set(reverse ? m.b : m.a, m);
  const out = new Float32Array(fallback.data);
  for (let i = 0; i < n; i++) {
    const m = byLabel.get(sa.labels[i]);
    if (!m) continue;
    const s = sa.segments[sa.labels[i]];
    // Translation plus scaling about the piece's centroid (inverted when going from B back to A).
    const kx = reverse ? 1 / m.sx : m.sx, ky = reverse ? 1 / m.sy : m.sy;
    const x = i % w, y = (i - x) / w;
    out[i * 2] = (reverse ? -m.dx : m.dx) + (kx - 1) * (x - s.cx);
    out[i * 2 + 1] = (reverse ? -m.dy : m.dy) + (ky - 1) * (y - s.cy);
  }
  return { width: w, height: sa.height, data: out };
}
