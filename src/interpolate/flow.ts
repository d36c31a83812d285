// Dense flow between two frames at working resolution: Farneback (farneback.ts, as OpenCV computes it)
// run plain and again from the segment-matched coarse flow, then fused per
// pixel by whichever flow explains frame B better around that pixel.
import type { Image } from '../core/types.js';
import { FarnebackPair } from './farneback.js';
import { boxBlur, luma8, warpError, type Flow } from './raster.js';
import { segment, type Segmentation } from './segment.js';
import { coarseFlow, matchSegments, type Match } from './match.js';
import { globalShift } from './global.js';

export interface FlowPair {
  /** A to B and B to A, at working resolution. */
  ab: Flow;
  ba: Flow;
  /** Per-pixel photometric error of each flow (0..255), used to weight splatting. */
  errAb: Float32Array;
  errBa: Float32Array;
  matches: Match[];
  segA: Segmentation;
  segB: Segmentation;
}

/**
 * One Farneback run from frame `from` of the pair (pyramid scale 0.5, three iterations, box window; five levels,
 * or three from an initial flow), the settings this module always passed to cv.calcOpticalFlowFarneback.
 */
function farneback(fb: FarnebackPair, from: 0 | 1, init?: Flow, win = 15, polyN = 5, polySigma = 1.2): Flow {
  return fb.flow(from, { levels: init ? 3 : 5, winSize: win, iterations: 3, polyN, polySigma, init });
}

/**
 * Choose among candidate flows: one choice per colour piece (pieces move as a
 * whole, and inside a flat piece any flow "explains" the pixels, so per-pixel
 * choice would tear it), per pixel inside large background pieces. Later
 * candidates (segment-guided) win near-ties.
 */
function fuse(a: Image, b: Image, seg: Segmentation, cands: Flow[], bigFrac = 0.12): { flow: Flow; err: Float32Array } {
  const w = a.width, h = a.height, n = w * h;
  const errs = cands.map((f) => warpError(a, b, f));
  const local = errs.map((e) => boxBlur(e, w, h, 3));
  const nseg = seg.segments.length;
  const segErr = cands.map(() => new Float64Array(nseg));
  for (let k = 0; k < cands.length; k++) {
    const e = errs[k], se = segErr[k], labels = seg.labels;
    for (let i = 0; i < n; i++) if (labels[i] >= 0) se[labels[i]] += e[i];
  }
  const segBest = new Int32Array(nseg).fill(-1);
  for (const s of seg.segments) {
    if (s.area > bigFrac * n) continue;
    let best = 0, bestE = Infinity;
    for (let k = 0; k < cands.length; k++) {
      const e = (segErr[k][s.label] / s.area) * (k > 0 ? 0.9 : 1) + (k > 0 ? -0.5 : 0);
      if (e < bestE) { bestE = e; best = k; }
    }
    segBest[s.label] = best;
  }
  const out = new Float32Array(n * 2);
  const err = new Float32Array(n);
  // The candidates' vectors as plain arrays: the flows come from different makers (objects of different shapes), and
  // reading `.data` of each in this loop had V8 throw the compiled loop away and compile it again several times.
  const vecs = cands.map((f) => f.data), labels = seg.labels;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    let best = l >= 0 ? segBest[l] : -1;
    if (best < 0) {
      best = 0;
      for (let k = 1; k < cands.length; k++) if (local[k][i] < local[best][i]) best = k;
    }
    out[i * 2] = vecs[best][i * 2];
    out[i * 2 + 1] = vecs[best][i * 2 + 1];
    err[i] = errs[best][i];
  }
  return { flow: { width: w, height: h, data: out }, err };
}

function constant(w: number, h: number, dx: number, dy: number): Flow {
  const d = new Float32Array(w * h * 2);
  for (let i = 0; i < w * h; i++) {
    d[i * 2] = dx;
    d[i * 2 + 1] = dy;
  }
  return { width: w, height: h, data: d };
}

/** Bidirectional flow between two same-size RGB frames (already at working resolution). */
export interface FlowOptions {
  /** Error added per pixel of forward-backward disagreement (0..255 units; 0 disables). */
  consistency?: number;
  /** Also try a small-window Farneback flow (default true). */
  smallWindow?: boolean;
  /** Radius of the median filter applied to the fused flow (0 disables). */
  median?: number;
  /** Radius of the box blur applied to the splatting error (0 disables). */
  errBlur?: number;
}

/** Component-wise median filter of a flow (removes isolated wrong vectors left by per-pixel fusion). */
function medianFlow(f: Flow, r: number): Flow {
  const w = f.width, h = f.height, d = f.data, out = new Float32Array(d.length);
  const bx: number[] = [], by: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      bx.length = 0;
      by.length = 0;
      for (let j = Math.max(0, y - r); j <= Math.min(h - 1, y + r); j++) {
        for (let i = Math.max(0, x - r); i <= Math.min(w - 1, x + r); i++) {
          bx.push(d[(j * w + i) * 2]);
          by.push(d[(j * w + i) * 2 + 1]);
        }
      }
      bx.sort((p, q) => p - q);
      by.sort((p, q) => p - q);
      out[(y * w + x) * 2] = bx[bx.length >> 1];
      out[(y * w + x) * 2 + 1] = by[by.length >> 1];
    }
  }
  return { width: w, height: h, data: out };
}

function addConsistency(err: Float32Array, f: Flow, g: Flow, k: number): void {
  const w = f.width, h = f.height, fd = f.data, gd = g.data;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const u = fd[i * 2], v = fd[i * 2 + 1];
      const qx = Math.min(w - 1, Math.max(0, Math.round(x + u))), qy = Math.min(h - 1, Math.max(0, Math.round(y + v)));
      const j = qy * w + qx;
      err[i] += k * Math.min(20, Math.hypot(u + gd[j * 2], v + gd[j * 2 + 1]));
    }
  }
}

/**
 * The candidate flows of a pair and what fusing them needs: A to B always, B to A unless `forwardOnly`.
 * Each direction's candidates depend only on the frames, both segmentations and that direction's own flows.
 */
function candidates(a: Image, b: Image, opts: FlowOptions, forwardOnly: boolean) {
  const w = a.width, h = a.height;
  const ga = luma8(a), gb = luma8(b);
  // The runs share each frame's pyramid and polynomial expansions (one pair per thread at a time: no await below).
  const fb = new FarnebackPair(ga, gb, w, h);
  const plainAb = farneback(fb, 0, undefined, 15, 7, 1.5);
  const plainBa = forwardOnly ? undefined : farneback(fb, 1, undefined, 15, 7, 1.5);
  const segA = segment(a);
  const segB = segment(b);
  const matches = matchSegments(segA, segB);
  const candAb = [plainAb];
  const candBa = plainBa ? [plainBa] : [];
  if (opts.smallWindow !== false) {
    // A second plain flow with a small window: sharper at thin parts (hair strands, limbs) where the wide one smears.
    candAb.push(farneback(fb, 0, undefined, 9));
    if (plainBa) candBa.push(farneback(fb, 1, undefined, 9));
  }
  // A camera pan: the dominant translation as a constant flow, and Farneback refined from it.
  const [gx, gy] = globalShift(ga, gb, w, h);
  if (Math.hypot(gx, gy) >= 2) {
    const constAb = constant(w, h, gx, gy);
    candAb.push(constAb, farneback(fb, 0, constAb));
    if (plainBa) {
      const constBa = constant(w, h, -gx, -gy);
      candBa.push(constBa, farneback(fb, 1, constBa));
    }
  }
  if (matches.length) {
    // Coarse piece motion alone (exact for rigidly moving flat pieces) and refined by Farneback.
    const initAb = coarseFlow(segA, matches, plainAb);
    candAb.push(initAb, farneback(fb, 0, initAb));
    if (plainBa) {
      const initBa = coarseFlow(segB, matches, plainBa, true);
      candBa.push(initBa, farneback(fb, 1, initBa));
    }
  }
  return { segA, segB, matches, candAb, candBa };
}

/**
 * The fused A-to-B flow alone, exactly as `flowPair(a, b).ab` with the default median (none), at about half the
 * cost: the B-to-A candidates and the error planes are skipped (easing's speed measurement needs only this).
 */
export async function forwardFlow(a: Image, b: Image, opts: FlowOptions = {}): Promise<Flow> {
  const { segA, candAb } = candidates(a, b, opts, true);
  const fab = fuse(a, b, segA, candAb);
  const mr = opts.median ?? 0;
  return mr > 0 ? medianFlow(fab.flow, mr) : fab.flow;
}

export async function flowPair(a: Image, b: Image, opts: FlowOptions = {}): Promise<FlowPair> {
  const w = a.width, h = a.height;
  const { segA, segB, matches, candAb, candBa } = candidates(a, b, opts, false);
  const fab = fuse(a, b, segA, candAb);
  const fba = fuse(b, a, segB, candBa);
  const mr = opts.median ?? 0;
  if (mr > 0) {
    fab.flow = medianFlow(fab.flow, mr);
    fba.flow = medianFlow(fba.flow, mr);
    fab.err = warpError(a, b, fab.flow);
    fba.err = warpError(b, a, fba.flow);
  }
  const eb = opts.errBlur ?? 1;
  if (eb > 0) {
    fab.err = boxBlur(fab.err, w, h, eb);
    fba.err = boxBlur(fba.err, w, h, eb);
  }
  // Forward-backward disagreement (pixels at this resolution) adds to the error: occluded or wrong vectors splat weakly.
  const k = opts.consistency ?? 4;
  if (k > 0) {
    addConsistency(fab.err, fab.flow, fba.flow, k);
    addConsistency(fba.err, fba.flow, fab.flow, k);
  }
  return { ab: fab.flow, ba: fba.flow, errAb: fab.err, errBa: fba.err, matches, segA, segB };
}
