// Colour-piece segmentation of a flat-colour drawing, trapped-ball style:
// thin dark line art and sharp colour edges bound the pieces; the free area
// is shrunk by a small "ball" so gaps in the line art do not leak, labelled
// into connected pieces, and the pieces are grown back over lines and gaps.
import type { Image } from '../core/types.js';
import { boxBlur, luma8 } from './raster.js';

export interface Segment {
  label: number;
  area: number;
  cx: number;
  cy: number;
  /** Mean colour. */
  r: number;
  g: number;
  b: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Segmentation {
  width: number;
  height: number;
  /** Per-pixel segment label (index into `segments`), -1 for none. */
  labels: Int32Array;
  segments: Segment[];
}

export interface SegmentOptions {
  /** Luma below which a thin stroke counts as line art. */
  lineLuma?: number;
  /** Colour step (max channel difference to the pixel two steps right or down) that bounds a piece. */
  edge?: number;
  /** Ball radius in pixels: gaps in the line art up to ~2r wide are closed. */
  ball?: number;
  /** Pieces smaller than this many pixels are absorbed by their neighbours. */
  minArea?: number;
  /** How far (pixels) a piece claims the line art around it. */
  lineReach?: number;
}

/** Binary erosion (r > 0) or dilation (r < 0) with a square of radius |r|. */
function morph(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const f = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) f[i] = mask[i];
  const b = boxBlur(f, w, h, Math.abs(r));
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = r > 0 ? (b[i] > 0.999 ? 1 : 0) : b[i] > 0.001 ? 1 : 0;
  return out;
}

export function segment(img: Image, opts: SegmentOptions = {}): Segmentation {
  const w = img.width, h = img.height, n = w * h, c = img.channels, d = img.data;
  const lineLuma = opts.lineLuma ?? 70;
  const edge = opts.edge ?? 18;
  const span = 2;
  const ball = opts.ball ?? 1;
  const minArea = opts.minArea ?? Math.max(6, Math.round(n / 20000));
  const y = luma8(img);

  // Dark pixels that survive an opening are dark *areas* (black hair, shadows), not lines.
  const dark = new Uint8Array(n);
  for (let i = 0; i < n; i++) dark[i] = y[i] < lineLuma ? 1 : 0;
  const darkArea = morph(morph(dark, w, h, 2), w, h, -2);
  const bound = new Uint8Array(n);
  for (let yy = 0; yy < h; yy++) {
    for (let x = 0; x < w; x++) {
      const i = yy * w + x;
      if (dark[i] && !darkArea[i]) { bound[i] = 1; continue; }
      // Colour step across two pixels: soft (blurred, upscaled) edges of real footage still register.
      let step = 0;
      const o = i * c;
      if (x + span < w) for (let k = 0; k < 3; k++) step = Math.max(step, Math.abs(d[o + k] - d[o + span * c + k]));
      if (yy + span < h) for (let k = 0; k < 3; k++) step = Math.max(step, Math.abs(d[o + k] - d[o + span * w * c + k]));
      if (step > edge) bound[i] = 1;
    }
  }
  // The ball: the free area shrunk by `ball` pixels.
  const free = new Uint8Array(n);
  for (let i = 0; i < n; i++) free[i] = bound[i] ? 0 : 1;
  const core = ball > 0 ? morph(free, w, h, ball) : free;

  // Connected pieces of the shrunk free area (4-connected, iterative flood).
  const labels = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const sizes: number[] = [];
  let next = 0;
  for (let s = 0; s < n; s++) {
    if (!core[s] || labels[s] >= 0) continue;
    let sp = 0;
    stack[sp++] = s;
    labels[s] = next;
    let size = 0;
    while (sp) {
      const i = stack[--sp];
      size++;
      const x = i % w;
      if (x > 0 && core[i - 1] && labels[i - 1] < 0) { labels[i - 1] = next; stack[sp++] = i - 1; }
      if (x + 1 < w && core[i + 1] && labels[i + 1] < 0) { labels[i + 1] = next; stack[sp++] = i + 1; }
      if (i >= w && core[i - w] && labels[i - w] < 0) { labels[i - w] = next; stack[sp++] = i - w; }
      if (i + w < n && core[i + w] && labels[i + w] < 0) { labels[i + w] = next; stack[sp++] = i + w; }
    }
    sizes.push(size);
    next++;
  }
  // Drop specks, then renumber the survivors densely.
  const remap = new Int32Array(next).fill(-1);
  let kept = 0;
  for (let l = 0; l < next; l++) if (sizes[l] >= minArea) remap[l] = kept++;
  for (let i = 0; i < n; i++) labels[i] = labels[i] >= 0 ? remap[labels[i]] : -1;

  // Line art belongs to the piece it encloses: smaller pieces claim nearby unlabelled pixels first.
  claimLines(labels, kept, w, h, opts.lineReach ?? 3);
  // Grow pieces back over what is left: wide gaps and specks (breadth-first from every labelled pixel).
  let head = 0, tail = 0;
  const queue = stack;
  for (let i = 0; i < n; i++) if (labels[i] >= 0) queue[tail++] = i;
  while (head < tail) {
    const i = queue[head++];
    const l = labels[i];
    const x = i % w;
    if (x > 0 && labels[i - 1] < 0) { labels[i - 1] = l; queue[tail++] = i - 1; }
    if (x + 1 < w && labels[i + 1] < 0) { labels[i + 1] = l; queue[tail++] = i + 1; }
    if (i >= w && labels[i - w] < 0) { labels[i - w] = l; queue[tail++] = i - w; }
    if (i + w < n && labels[i + w] < 0) { labels[i + w] = l; queue[tail++] = i + w; }
  }

  // Piece statistics, colour taken from the piece's own (non-boundary) pixels.
  const segs: Segment[] = [];
  for (let l = 0; l < kept; l++) segs.push({ label: l, area: 0, cx: 0, cy: 0, r: 0, g: 0, b: 0, x0: w, y0: h, x1: -1, y1: -1 });
  const colN = new Float64Array(kept);
  for (let yy = 0, i = 0; yy < h; yy++) {
    for (let x = 0; x < w; x++, i++) {
      const l = labels[i];
      if (l < 0) continue;
      const s = segs[l];
      s.area++;
      s.cx += x;
      s.cy += yy;
      if (x < s.x0) s.x0 = x;
      if (x > s.x1) s.x1 = x;
      if (yy < s.y0) s.y0 = yy;
      if (yy > s.y1) s.y1 = yy;
      if (core[i]) {
        s.r += d[i * c]; s.g += d[i * c + 1]; s.b += d[i * c + 2];
        colN[l]++;
      }
    }
  }
  for (const s of segs) {
    s.cx /= s.area;
    s.cy /= s.area;
    const k = colN[s.label] || 1;
    s.r /= k; s.g /= k; s.b /= k;
  }
  return { width: w, height: h, labels, segments: segs };
}

/** Let each piece, smallest first, claim unlabelled pixels within `reach` steps of it. */
function claimLines(labels: Int32Array, count: number, w: number, h: number, reach: number): void {
  const n = w * h;
  const area = new Int32Array(count);
  for (let i = 0; i < n; i++) if (labels[i] >= 0) area[labels[i]]++;
  // Border pixels of each piece (next to an unlabelled pixel), grouped by piece.
  const border: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0) continue;
    const x = i % w;
    if ((x > 0 && labels[i - 1] < 0) || (x + 1 < w && labels[i + 1] < 0) || (i >= w && labels[i - w] < 0) || (i + w < n && labels[i + w] < 0)) border[l].push(i);
  }
  const order = Array.from({ length: count }, (_, l) => l).sort((p, q) => area[p] - area[q]);
  for (const l of order) {
    let front = border[l];
    for (let step = 0; step < reach && front.length; step++) {
      const next: number[] = [];
      for (const i of front) {
        const x = i % w;
        if (x > 0 && labels[i - 1] < 0) { labels[i - 1] = l; next.push(i - 1); }
        if (x + 1 < w && labels[i + 1] < 0) { labels[i + 1] = l; next.push(i + 1); }
        if (i >= w && labels[i - w] < 0) { labels[i - w] = l; next.push(i - w); }
        if (i + w < n && labels[i + w] < 0) { labels[i + w] = l; next.push(i + w); }
      }
      front = next;
    }
  }
}
