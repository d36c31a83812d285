// Identity grouping of character instances across panels and pages.
// Features: colour histograms of the body and of the face (with the hair above
// it), plus body shape; distance mixes them (and cosine of detector
// embeddings when both have one). Grouping: average-linkage agglomerative
// clustering with cannot-links, so instances in one panel stay apart.
import type { Box, Detection, Image } from '../core/types.js';

const HUES = 12;
const GRAYS = 4;
export const BINS = HUES * 2 + GRAYS;

export interface Features {
  body?: Float32Array;
  face?: Float32Array;
  /** log(height / width) of the body (or face) box. */
  aspect: number;
  /** Black-and-white art only: share of the face box that is solid drawing (hair, a hat), not outline (solidShare). */
  fill?: number;
  embedding?: Float32Array;
}

/** Hue/saturation histogram (12 hues x 2 saturation levels) plus 4 gray levels, normalised; `mask` is box-sized 0/255. */
export function colourHistogram(img: Image, box: Box, mask?: Image): Float32Array {
  const h = new Float32Array(BINS);
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const c = img.channels;
  let total = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (mask) {
        const mx = x - Math.floor(box[0]), my = y - Math.floor(box[1]);
        if (mx < 0 || my < 0 || mx >= mask.width || my >= mask.height || !mask.data[my * mask.width + mx]) continue;
      }
      const o = (y * img.width + x) * c;
      const r = img.data[o], g = img.data[o + (c > 1 ? 1 : 0)], b = img.data[o + (c > 1 ? 2 : 0)];
      const max = Math.max(r, g, b), min = Math.min(r, g, b);
      const s = max ? (max - min) / max : 0;
      let bin: number;
      if (s < 0.2 || max < 40) bin = HUES * 2 + Math.min(GRAYS - 1, Math.floor((max / 256) * GRAYS));
      else {
        const d = max - min;
        let hue = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
        if (hue < 0) hue += 6;
        bin = Math.min(HUES - 1, Math.floor((hue / 6) * HUES)) * 2 + (s > 0.55 ? 1 : 0);
      }
      h[bin]++;
      total++;
    }
  }
  if (total) for (let i = 0; i < BINS; i++) h[i] /= total;
  return h;
}

const key = (img: Image, i: number) => {
  const c = img.channels, o = i * c;
  return c < 3 ? (img.data[o] >> 4) * 0x111 : ((img.data[o] >> 4) << 8) | ((img.data[o + 1] >> 4) << 4) | (img.data[o + 2] >> 4);
};

/**
 * A box-sized 0/255 mask of the pixels unlike the box's surroundings: colours
 * common in a thin ring around the box (a panel's sky, wall or paper) are background.
 * Used when the detector gives no instance mask, so histograms describe the character.
 */
export function foregroundMask(img: Image, box: Box): Image {
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const w = Math.max(1, Math.ceil(box[2])), h = Math.max(1, Math.ceil(box[3]));
  // The surroundings: a ring just outside the box (the box itself is mostly character).
  const m = Math.max(2, Math.round(0.06 * Math.min(box[2], box[3])));
  const ox0 = Math.max(0, x0 - m), oy0 = Math.max(0, y0 - m), ox1 = Math.min(img.width, x1 + m), oy1 = Math.min(img.height, y1 + m);
  const counts = new Map<number, number>();
  let ring = 0;
  for (let y = oy0; y < oy1; y++) {
    for (let x = ox0; x < ox1; x++) {
      if (y >= y0 && y < y1 && x >= x0 && x < x1) { x = x1 - 1; continue; }
      const k = key(img, y * img.width + x);
      counts.set(k, (counts.get(k) ?? 0) + 1);
      ring++;
    }
  }
  const bg = new Set([...counts].filter(([, n]) => n >= 0.03 * ring).map(([k]) => k));
  const mask: Image = { width: w, height: h, channels: 1, data: new Uint8Array(w * h) };
  let kept = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (bg.has(key(img, y * img.width + x))) continue;
      mask.data[(y - Math.floor(box[1])) * w + (x - Math.floor(box[0]))] = 255;
      kept++;
    }
  }
  // Nothing left (a character the colour of its background): fall back to the whole box.
  if (kept < 0.05 * w * h) mask.data.fill(255);
  return mask;
}

/** Median horizontal run of pixels far (> 60 in some channel) from `bg` in a box: the stroke width. */
function strokeWidth(img: Image, box: Box, far: (i: number) => boolean): number {
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const runs: number[] = [];
  for (let y = y0; y < y1; y++) {
    let run = 0;
    for (let x = x0, i = y * img.width + x0; x <= x1; x++, i++) {
      if (x < x1 && far(i)) run++;
      else if (run) { runs.push(run); run = 0; }
    }
  }
  runs.sort((a, b) => a - b);
  return runs.length ? runs[runs.length >> 1] : 1;
}

/** The most common colour in a ring around a box (the surroundings). */
function ringColour(img: Image, box: Box): [number, number, number] {
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const m = Math.max(2, Math.round(0.1 * Math.min(box[2], box[3])));
  const counts = new Map<number, number>();
  for (let y = Math.max(0, y0 - m); y < Math.min(img.height, y1 + m); y++) {
    for (let x = Math.max(0, x0 - m); x < Math.min(img.width, x1 + m); x++) {
      if (y >= y0 && y < y1 && x >= x0 && x < x1) { x = x1 - 1; continue; }
      const k = key(img, y * img.width + x);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const top = counts.size ? [...counts].reduce((a, b) => (b[1] > a[1] ? b : a))[0] : 0xfff;
  return [(top >> 8) * 17, ((top >> 4) & 15) * 17, (top & 15) * 17];
}

/** Share of a box's pixels with a clear colour (saturation over 0.25): near 0 for black-and-white art. */
function colourShare(img: Image, box: Box): number {
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const c = img.channels;
  if (c < 3 || x1 <= x0 || y1 <= y0) return 0;
  let n = 0;
  const d = img.data;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const o = (y * img.width + x) * c, r = d[o], g = d[o + 1], b = d[o + 2];
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    // Every operation runs on every pixel: on black-and-white art a conditional n++ had never run when the
    // loop was optimized, and each coloured pixel then deoptimized it (66 times on one xkcd page).
    n += mx > 60 && mx - mn > 0.25 * mx ? 1 : 0;
  }
  return n / ((x1 - x0) * (y1 - y0));
}

/**
 * Share of the face box that is solid drawing: pixels unlike the figure's surroundings whose whole neighbourhood
 * (out to half the figure's stroke width) is drawn too. Outlines and limbs erode away at any scale, masses of hair
 * or a hat do not, so in line art this tells an empty bald head from one under hatched hair or a black hat (colour
 * histograms of the ink cannot: it is black either way). Black-and-white art only (undefined otherwise): in colour
 * art the histograms already compare skin and hair, and the eroded share mostly follows the box's placement.
 */
export function solidShare(img: Image, face: Box, body?: Box): number | undefined {
  if (colourShare(img, body ?? face) > 0.1) return undefined;
  const bg = ringColour(img, body ?? face), c = img.channels, W = img.width;
  // Far in some channel (no tuple per call: this runs for every pixel of the box and every neighbour below).
  const d = img.data, og = c < 3 ? 0 : 1, ob = c < 3 ? 0 : 2;
  const far = (i: number) => {
    const o = i * c;
    return Math.abs(d[o] - bg[0]) > 60 || Math.abs(d[o + og] - bg[1]) > 60 || Math.abs(d[o + ob] - bg[2]) > 60;
  };
  const r = Math.max(1, Math.floor(strokeWidth(img, body ?? face, far) / 2));
  const x0 = Math.max(r, Math.floor(face[0])), y0 = Math.max(r, Math.floor(face[1]));
  const x1 = Math.min(W - r, Math.ceil(face[0] + face[2])), y1 = Math.min(img.height - r, Math.ceil(face[1] + face[3]));
  if (x1 <= x0 || y1 <= y0) return 0;
  // The ink test once per pixel of the box grown by r (each pixel is a neighbour of up to (2r + 1)^2 others).
  const gx0 = x0 - r, gy0 = y0 - r, gw = x1 - x0 + 2 * r, gh = y1 - y0 + 2 * r;
  const ink = new Uint8Array(gw * gh);
  for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) ink[y * gw + x] = far((gy0 + y) * W + gx0 + x) ? 1 : 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      let solid = true;
      for (let dy = -r; dy <= r && solid; dy++) for (let dx = -r; dx <= r; dx++) if (!ink[(y + dy - gy0) * gw + x + dx - gx0]) { solid = false; break; }
      if (solid) n++;
    }
  }
  return n / ((x1 - x0) * (y1 - y0));
}

/** Features of one instance on its page. The face region is extended upward to take in hair. */
export function features(img: Image, inst: { face?: Detection; body?: Detection }): Features {
  const f = inst.face, b = inst.body;
  const faceBox: Box | undefined = f && [f.box[0], f.box[1] - f.box[3] * 0.3, f.box[2], f.box[3] * 1.3];
  const ref = (b ?? f)!.box;
  return {
    body: b && colourHistogram(img, b.box, b.mask ?? foregroundMask(img, b.box)),
    face: faceBox && colourHistogram(img, faceBox, foregroundMask(img, faceBox)),
    aspect: Math.log(Math.max(1, ref[3]) / Math.max(1, ref[2])),
    fill: f && solidShare(img, f.box, b?.box),
    embedding: b?.embedding ?? f?.embedding,
  };
}

/** 1 - Bhattacharyya coefficient: 0 for equal histograms, 1 for disjoint ones. */
export function histDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.sqrt(a[i] * b[i]);
  return Math.max(0, 1 - s);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

export function distance(a: Features, b: Features): number {
  const parts: [number, number][] = [];
  if (a.body && b.body) parts.push([histDistance(a.body, b.body), 0.6]);
  if (a.face && b.face) parts.push([histDistance(a.face, b.face), 0.4]);
  // A face-only instance against a body-only one: compare what each has.
  if (!parts.length) parts.push([histDistance((a.body ?? a.face)!, (b.body ?? b.face)!), 1]);
  const wsum = parts.reduce((s, [, w]) => s + w, 0);
  let d = parts.reduce((s, [v, w]) => s + v * w, 0) / wsum;
  // Poses change the box shape, so shape only nudges.
  d += 0.1 * Math.min(1, Math.abs(a.aspect - b.aspect));
  // How much of the head is drawn over (hair, hat) is a stable trait across poses and panels.
  if (a.fill !== undefined && b.fill !== undefined) d += Math.abs(a.fill - b.fill);
  if (a.embedding && b.embedding) d = 0.5 * d + 0.5 * (1 - cosine(a.embedding, b.embedding));
  return d;
}

/**
 * Average-linkage agglomerative clustering of n items from a distance matrix,
 * never merging two clusters that hold a cannot-linked pair, stopping when the
 * closest allowed pair is farther than `threshold`. Returns one identity per
 * item, numbered 0.. in order of first appearance.
 */
export function cluster(dist: number[][], cannot: (i: number, j: number) => boolean, threshold: number): number[] {
  const n = dist.length;
  const D = dist.map((row) => [...row]);
  const CL = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i !== j && cannot(i, j)));
  const size = new Array(n).fill(1);
  const alive = new Array(n).fill(true);
  const owner = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    let bi = -1, bj = -1, best = Infinity;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < n; j++) if (alive[j] && !CL[i][j] && D[i][j] < best) { best = D[i][j]; bi = i; bj = j; }
    }
    if (bi < 0 || best > threshold) break;
    // Merge bj into bi (Lance-Williams update for average linkage).
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === bi || k === bj) continue;
      D[bi][k] = D[k][bi] = (size[bi] * D[bi][k] + size[bj] * D[bj][k]) / (size[bi] + size[bj]);
      CL[bi][k] = CL[k][bi] = CL[bi][k] || CL[bj][k];
    }
    size[bi] += size[bj];
    alive[bj] = false;
    for (let k = 0; k < n; k++) if (owner[k] === bj) owner[k] = bi;
  }
  const ids = new Map<number, number>();
  return owner.map((o) => {
    if (!ids.has(o)) ids.set(o, ids.size);
    return ids.get(o)!;
  });
}
