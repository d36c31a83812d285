// ByteTrack-style multi-object tracking inside one shot.
//  1. every track's box is predicted by a constant-velocity Kalman filter;
//  2. high-score detections are matched to all live tracks (tracked + recently
//     lost) by Hungarian assignment on a cost mixing 1 - IoU with appearance
//     distance (1 - cosine of embeddings), gated so that a pair needs either
//     overlap or a very similar appearance;
//  3. low-score detections (ByteTrack's key idea: occluded or blurred
//     characters score low) are matched by IoU alone to the tracks still
//     unmatched, so they extend tracks but never start one;
//  4. unmatched high-score detections start tentative tracks, confirmed after
//     `confirmHits` matches (at once in the shot's first frame); tentative
//     tracks die on their first miss, confirmed ones after `maxAge` frames.
// The caller passes one shot at a time, so no track crosses a cut.
import { assign } from '../comics/hungarian.js';
import type { Detection, Track } from '../core/types.js';
import { dot, normalize } from '../embed/vector.js';
import { BoxFilter } from './kalman.js';
import { iou } from '../core/box.js';

export interface TrackOptions {
  /** Shot index written into every Track. Default 0. */
  shot?: number;
  /** First track id to hand out (ids are unique across calls when the caller advances it). Default 1. */
  firstId?: number;
  /** Detections at or above this score are "high" (first association, may start tracks). Default 0.5. */
  highScore?: number;
  /** Detections below this are ignored. Default 0.1. */
  lowScore?: number;
  /** A new track needs a high detection scoring at least this. Default 0.6. */
  newScore?: number;
  /** Weight of appearance in the first-stage cost (0 = IoU only). Default 0.5 when embeddings exist. */
  appearanceWeight?: number;
  /** Largest cost accepted in the first stage. Default 0.8. */
  maxCost?: number;
  /** Pairs without overlap may still match when appearance cosine is at least this (re-finding after occlusion). Default 0.9. */
  reidCosine?: number;
  /** ... and when the detection's centre is within this many box heights of the prediction. Default 2. */
  reidDistance?: number;
  /** Minimum IoU in the second (low-score) stage. Default 0.5. */
  lowIou?: number;
  /** Frames a confirmed track survives without a match. Default 30. */
  maxAge?: number;
  /** Matches needed to confirm a new track. Default 2. */
  confirmHits?: number;
  /** Tracks with fewer detections are dropped from the output. Default 1. */
  minLength?: number;
  /** Smoothing of a track's appearance (exponential moving average factor of the old value). Default 0.9. */
  appearanceMomentum?: number;
}

interface Live {
  id: number;
  filter: BoxFilter;
  dets: Detection[];
  app?: Float32Array;
  lastFrame: number;
  /** Frame up to which the filter has been predicted. */
  predictedTo: number;
  hits: number;
  confirmed: boolean;
}

type ByFrame = ReadonlyArray<ReadonlyArray<Detection>> | ReadonlyMap<number, ReadonlyArray<Detection>>;

/** Group detections by their `frame`, in frame order. */
function frames(input: ByFrame): Array<[number, Detection[]]> {
  const m = new Map<number, Detection[]>();
  const all = input instanceof Map ? [...input.values()] : [...(input as ReadonlyArray<ReadonlyArray<Detection>>)];
  for (const list of all) for (const d of list) {
    if (!m.has(d.frame)) m.set(d.frame, []);
    m.get(d.frame)!.push(d);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * Track the detections of ONE shot. Input: detections grouped per frame (an
 * array of per-frame lists or a Map frame -> list; `det.frame` is what counts,
 * frames may be sparse). Output: tracks sorted by id, each with copies of its
 * detections (`track` set), in frame order. Detections with a `embedding`
 * use it for association.
 */
export function trackShot(detectionsByFrame: ByFrame, opts: TrackOptions = {}): Track[] {
  const o = {
    shot: 0, firstId: 1, highScore: 0.5, lowScore: 0.1, newScore: 0.6, maxCost: 0.8, reidCosine: 0.9, reidDistance: 2,
    lowIou: 0.5, maxAge: 30, confirmHits: 2, minLength: 1, appearanceMomentum: 0.9, ...opts,
  };
  let nextId = o.firstId;
  const live: Live[] = [];
  const done: Live[] = [];
  const list = frames(detectionsByFrame);
  const hasApp = list.some(([, ds]) => ds.some((d) => d.embedding));
  const wApp = hasApp ? (opts.appearanceWeight ?? 0.5) : 0;
  let first = true;

  for (const [frame, dets] of list) {
    // Retire tracks unseen for more than maxAge frames before they can match (frames may be sparse).
    for (let i = live.length - 1; i >= 0; i--) if (frame - live[i].lastFrame > o.maxAge) done.push(...live.splice(i, 1));
    for (const t of live) { t.filter.predict(frame - t.predictedTo); t.predictedTo = frame; }
    const high = dets.filter((d) => d.score >= o.highScore);
    const low = dets.filter((d) => d.score >= o.lowScore && d.score < o.highScore);

    // Stage 1: high detections vs every live track, IoU + appearance.
    const pred = live.map((t) => t.filter.box());
    const cost = live.map((t, i) => high.map((d) => {
      const ov = iou(pred[i], d.box);
      const cos = t.app && d.embedding ? dot(t.app, unit(d)) : NaN;
      if (ov <= 0) {
        // No overlap: allow re-identification of a nearby track by a very close appearance only.
        if (!(cos >= o.reidCosine)) return Infinity;
        const p = pred[i];
        const dx = p[0] + p[2] / 2 - (d.box[0] + d.box[2] / 2), dy = p[1] + p[3] / 2 - (d.box[1] + d.box[3] / 2);
        if (Math.hypot(dx, dy) > o.reidDistance * Math.max(p[3], d.box[3])) return Infinity;
      }
      return Number.isNaN(cos) ? 1 - ov : (1 - wApp) * (1 - ov) + wApp * (1 - cos);
    }));
    const m1 = match(cost, o.maxCost);
    const used1 = new Set<number>();
    const matched = new Set<number>();
    m1.forEach((j, i) => { if (j >= 0) { update(live[i], high[j], frame, o.appearanceMomentum, o.confirmHits); used1.add(j); matched.add(i); } });

    // Stage 2: low detections vs still-unmatched confirmed tracks, IoU only.
    const rest = live.map((_, i) => i).filter((i) => !matched.has(i) && live[i].confirmed);
    const cost2 = rest.map((i) => low.map((d) => {
      const ov = iou(pred[i], d.box);
      return ov >= o.lowIou ? 1 - ov : Infinity;
    }));
    match(cost2, 1 - o.lowIou).forEach((j, k) => { if (j >= 0) { update(live[rest[k]], low[j], frame, o.appearanceMomentum, o.confirmHits); matched.add(rest[k]); } });

    // Tentative tracks die on their first miss.
    for (let i = live.length - 1; i >= 0; i--) {
      const t = live[i];
      if (matched.has(i)) continue;
      if (!t.confirmed) {
        live.splice(i, 1);
      }
    }
    // Births from unmatched high detections.
    high.forEach((d, j) => {
      if (used1.has(j) || d.score < o.newScore) return;
      const t: Live = { id: nextId++, filter: new BoxFilter(d.box), dets: [], lastFrame: frame, predictedTo: frame, hits: 0, confirmed: first };
      update(t, d, frame, 0, o.confirmHits);
      live.push(t);
    });
    first = false;
  }
  done.push(...live.filter((t) => t.confirmed));
  return done
    .filter((t) => t.dets.length >= o.minLength)
    .sort((a, b) => a.id - b.id)
    .map((t) => ({ id: t.id, shot: o.shot, detections: t.dets.map((d) => ({ ...d, track: t.id })) }));
}

function unit(d: Detection): Float32Array {
  return normalize(Float32Array.from(d.embedding!));
}

function update(t: Live, d: Detection, frame: number, momentum: number, confirmHits: number): void {
  t.filter.update(d.box);
  t.dets.push(d);
  t.lastFrame = frame;
  t.predictedTo = frame;
  t.hits++;
  if (t.hits >= confirmHits) t.confirmed = true;
  if (d.embedding) {
    const e = unit(d);
    if (!t.app) t.app = e;
    else {
      for (let k = 0; k < e.length; k++) t.app[k] = momentum * t.app[k] + (1 - momentum) * e[k];
      normalize(t.app);
    }
  }
}

/** Hungarian assignment of rows to columns; pairs costing more than `max` (or Infinity) stay unmatched. */
export function match(cost: number[][], max: number): number[] {
  if (!cost.length || !cost[0].length) return cost.map(() => -1);
  const big = 1e6;
  const a = assign(cost.map((r) => r.map((c) => (Number.isFinite(c) && c <= max ? c : big))));
  return a.map((j, i) => (j >= 0 && Number.isFinite(cost[i][j]) && cost[i][j] <= max ? j : -1));
}
