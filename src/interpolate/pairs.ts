// Is a pair of consecutive frames a held drawing (the same picture again), a
// cut (a different shot), or motion worth interpolating? A small, robust test
// of our own: mean absolute difference of small gray thumbnails (tolerant of
// compression noise) and colour-histogram overlap (cuts change the palette).
import type { Image } from '../core/types.js';

export type PairKind = 'held' | 'cut' | 'motion';

/** A frame's compact signature: a 64-wide gray thumbnail and a 4x4x4 colour histogram. */
export interface Signature {
  thumb: Float32Array;
  hist: Float32Array;
}

export interface PairThresholds {
  /** Thumbnail mean absolute difference (0..255) below which a frame repeats the previous drawing. */
  held?: number;
  /** Largest single thumbnail-pixel change still counted as held (catches small mouth flaps). */
  heldPeak?: number;
  /** Histogram overlap (0..1) below which, with a clear difference (`cutDiff`), a pair is a cut. */
  cutOverlap?: number;
  cutDiff?: number;
  /** Thumbnail mean absolute difference above which a pair is a cut whatever its palette (nothing to interpolate). */
  cutAlways?: number;
}

/** The defaults, filled in. */
export function pairThresholds(th: PairThresholds = {}): Required<PairThresholds> {
  return { held: th.held ?? 0.6, heldPeak: th.heldPeak ?? 10, cutOverlap: th.cutOverlap ?? 0.8, cutDiff: th.cutDiff ?? 15, cutAlways: th.cutAlways ?? 35 };
}

const TW = 64;

export function signature(img: Image): Signature {
  const w = img.width, h = img.height, c = img.channels, d = img.data;
  const th = Math.max(1, Math.round((h * TW) / w));
  const thumb = new Float32Array(TW * th);
  const count = new Float32Array(TW * th);
  const hist = new Float32Array(64);
  // Thumbnail column per image column, found once (this runs per pixel of every frame, on the main thread).
  const tx = new Int32Array(w);
  for (let x = 0; x < w; x++) tx[x] = Math.min(TW - 1, Math.floor((x * TW) / w));
  for (let y = 0; y < h; y++) {
    const ty = Math.min(th - 1, Math.floor((y * th) / h));
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * c;
      const r = d[o], g = c >= 3 ? d[o + 1] : r, b = c >= 3 ? d[o + 2] : r;
      const t = ty * TW + tx[x];
      thumb[t] += (r * 77 + g * 150 + b * 29) / 256;
      count[t]++;
      hist[(r >> 6) * 16 + (g >> 6) * 4 + (b >> 6)]++;
    }
  }
  for (let i = 0; i < thumb.length; i++) thumb[i] /= count[i] || 1;
  for (let i = 0; i < 64; i++) hist[i] /= w * h;
  return { thumb, hist };
}

export interface PairScore {
  diff: number;
  peak: number;
  overlap: number;
}

export function pairScore(a: Signature, b: Signature): PairScore {
  let diff = 0, peak = 0, overlap = 0;
  const n = Math.min(a.thumb.length, b.thumb.length);
  for (let i = 0; i < n; i++) {
    const e = Math.abs(a.thumb[i] - b.thumb[i]);
    diff += e;
    if (e > peak) peak = e;
  }
  for (let i = 0; i < 64; i++) overlap += Math.min(a.hist[i], b.hist[i]);
  return { diff: diff / n, peak, overlap };
}

export function classifyPair(a: Signature, b: Signature, thresholds: PairThresholds = {}): PairKind {
  const s = pairScore(a, b);
  const th = pairThresholds(thresholds);
  if (s.diff < th.held && s.peak < th.heldPeak) return 'held';
  if (s.diff > th.cutAlways) return 'cut';
  if (s.overlap < th.cutOverlap && s.diff > th.cutDiff) return 'cut';
  return 'motion';
}
