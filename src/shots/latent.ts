// Learned detector, in the spirit of the anime scene-change VAE: fit a small
// linear autoencoder (PCA, whitened) on the video's own frames, then mark a
// cut where the latent code jumps far more than it does around it. The model
// is fitted per video, so it learns what "normal" change looks like for that
// footage (palette, grain, motion) without any labels.
import type { Transition } from '../core/types.js';
import type { ShotDetector } from './detector.js';
import { THUMB, type FrameMetrics } from './metrics.js';
import { changedMedian } from './context.js';

export interface LatentOptions {
  /** Latent dimensions. */
  dims?: number;
  /** Frames used to fit the model (evenly sampled). */
  fitFrames?: number;
  /** Jump ratio over the local median of changed-frame jumps. */
  ratio?: number;
  /** Minimum jump in whitened units. */
  minJump?: number;
  /** Frames each side for the local context. */
  radius?: number;
  minShot?: number;
}

/** Input side of the model: the 16x16 thumbnail pooled to 8x8 RGB (192 values). */
const SIDE = 8;
const D = SIDE * SIDE * 3;

function input(thumb: Uint8Array): Float64Array {
  const x = new Float64Array(D);
  const f = THUMB / SIDE;
  for (let r = 0; r < THUMB; r++) {
    for (let c = 0; c < THUMB; c++) {
      const o = (r * THUMB + c) * 3;
      const t = (Math.floor(r / f) * SIDE + Math.floor(c / f)) * 3;
      for (let k = 0; k < 3; k++) x[t + k] += thumb[o + k] / (f * f * 255);
    }
  }
  return x;
}

export interface LinearModel {
  mean: Float64Array;
  /** dims x D, rows are unit principal directions. */
  basis: Float64Array[];
  /** Standard deviation along each direction (for whitening). */
  scale: number[];
}

/** Fit PCA by subspace iteration on the covariance matrix. */
export function fitPca(xs: Float64Array[], dims: number, iters = 30): LinearModel {
  const n = xs.length;
  const d = xs[0].length;
  const mean = new Float64Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const x of xs) {
    for (let j = 0; j < d; j++) c[j] = x[j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(1, n - 1);
  const k = Math.min(dims, d, Math.max(1, n - 1));
  // Deterministic start so the same video always gives the same model.
  let q: Float64Array[] = Array.from({ length: k }, (_, i) => Float64Array.from({ length: d }, (_, j) => Math.sin((i + 1) * (j + 1) * 0.7) + (i === j ? 1 : 0)));
  for (let it = 0; it < iters; it++) {
    q = q.map((v) => {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        const row = a * d;
        for (let b = 0; b < d; b++) s += cov[row + b] * v[b];
        w[a] = s;
      }
      return w;
    });
    orthonormalize(q);
  }
  const scale = q.map((v) => {
    let s = 0;
    for (let a = 0; a < d; a++) {
      let t = 0;
      for (let b = 0; b < d; b++) t += cov[a * d + b] * v[b];
      s += v[a] * t;
    }
    return Math.sqrt(Math.max(s, 1e-12));
  });
  return { mean, basis: q, scale };
}

function orthonormalize(q: Float64Array[]) {
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let a = 0; a < q[i].length; a++) dot += q[i][a] * q[j][a];
      for (let a = 0; a < q[i].length; a++) q[i][a] -= dot * q[j][a];
    }
    let norm = 0;
    for (let a = 0; a < q[i].length; a++) norm += q[i][a] * q[i][a];
    norm = Math.sqrt(norm) || 1;
    for (let a = 0; a < q[i].length; a++) q[i][a] /= norm;
  }
}

export function encode(model: LinearModel, x: Float64Array): Float64Array {
  const z = new Float64Array(model.basis.length);
  for (let i = 0; i < z.length; i++) {
    let s = 0;
    const b = model.basis[i];
    for (let j = 0; j < x.length; j++) s += (x[j] - model.mean[j]) * b[j];
    // Not whitened: low-variance directions are mostly noise and line jitter,
    // so distances keep the model's own variance weighting.
    z[i] = s;
  }
  return z;
}

function dist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export class LatentDetector implements ShotDetector {
  readonly name = 'latent';
  private thumbs: Uint8Array[] = [];
  private opts: Required<LatentOptions>;
  constructor(opts: LatentOptions = {}) {
    this.opts = { dims: 12, fitFrames: 3000, ratio: 3, minJump: 0.5, radius: 12, minShot: 6, ...opts };
  }

  process(m: FrameMetrics): Transition[] {
    this.thumbs.push(m.thumb);
    return [];
  }

  flush(): Transition[] {
    const n = this.thumbs.length;
    if (n < 3) return [];
    const step = Math.max(1, Math.floor(n / this.opts.fitFrames));
    const sample: Float64Array[] = [];
    for (let i = 0; i < n; i += step) sample.push(input(this.thumbs[i]));
    const model = fitPca(sample, this.opts.dims);
    const z = this.thumbs.map((t) => encode(model, input(t)));
    const jump = (i: number) => (i >= 1 && i < n ? dist(z[i], z[i - 1]) : NaN);
    const out: Transition[] = [];
    let last = -Infinity;
    for (let i = 1; i < n; i++) {
      const j = jump(i);
      if (!(j >= this.opts.minJump)) continue;
      const ctx = changedMedian(jump, i, this.opts.radius, 0.1 * this.opts.minJump);
      const r = j / Math.max(Number.isNaN(ctx) ? 0 : ctx, 0.25 * this.opts.minJump);
      if (r < this.opts.ratio) continue;
      // A flash: the code returns close to where it was before the jump.
      let flash = false;
      for (let k = 1; k <= 4 && i + k < n; k++) if (dist(z[i + k], z[i - 1]) < 0.35 * j) flash = true;
      // ...or the code returns to where it was before a flash (the flash ending).
      for (let k = 1; k <= 4 && i - k - 1 >= 0; k++) if (dist(z[i], z[i - k - 1]) < 0.35 * j) flash = true;
      if (flash || i - last < this.opts.minShot) continue;
      last = i;
      out.push({ kind: 'cut', frame: i, start: i, end: i, score: r, detector: this.name });
    }
    return out;
  }
}
