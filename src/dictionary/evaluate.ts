// The whole CAST chain on a video with known truth, scored: detections (the
// truth boxes made noisy) -> vanilla embeddings -> tracking per shot (MOTA,
// IDF1) -> triplets -> refined head -> dictionary, vanilla vs refined
// (purity, NMI, ARI on detections, each labelled by its track's character).
// Used by tests (small synthetic clips) and bench/analyze-eval.ts (bigger
// synthetic and Ren'Py sets).
import type { Detection, Image, Shot, Track } from '../core/types.js';
import { embedDetections, type EmbedOptions } from '../embed/index.js';
import { trackShot, type TrackOptions } from '../tracking/tracker.js';
import { iou } from '../core/box.js';
import { motMetrics, type MotResult } from '../tracking/metrics.js';
import { buildDictionary, type Dictionary, type DictionaryOptions } from './dictionary.js';
import type { HeadOptions } from './head.js';
import { clusterScores, type ClusterScores } from './metrics.js';
import { refineTracks } from './refine.js';
import { noisyDetections, type NoiseOptions, type TruthBox } from './synth.js';
import type { TripletOptions } from './triplets.js';

/** A video whose frames come with truth (synthetic or composited sprites). */
export interface TruthVideo {
  frames: number;
  shots: Shot[];
  render(i: number): { image: Image; truth: TruthBox[] } | Promise<{ image: Image; truth: TruthBox[] }>;
}

export interface CastEvalOptions {
  /** Analyse every `step`-th frame of each shot (frame sampling). Default 2. */
  step?: number;
  embed?: EmbedOptions;
  noise?: NoiseOptions;
  track?: TrackOptions;
  triplets?: TripletOptions;
  head?: HeadOptions;
  dictionary?: DictionaryOptions;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface CastEvaluation {
  frames: number;
  detections: number;
  tracks: number;
  tracking: MotResult;
  vanilla: ClusterScores & { silhouette: number };
  refined: ClusterScores & { silhouette: number };
  timings: { embedSecondsPerCrop: number; trainSecondsPerEpoch: number; triplets: number; clusterSeconds: number };
  vanillaDictionary: Dictionary;
  refinedDictionary: Dictionary;
  trackList: Track[];
}

/** Identity of the truth box overlapping a detection most (IoU >= 0.5), or undefined. */
export function truthIdentity(d: Detection, truth: readonly TruthBox[]): number | undefined {
  let best = 0.5, id: number | undefined;
  for (const t of truth) if (t.frame === d.frame) { const o = iou(d.box, t.box); if (o >= best) { best = o; id = t.identity; } }
  return id;
}

/** Tracks of a truth video (detections = noisy truth, embedded) plus the truth boxes of the sampled frames. */
export interface TrackedTruth {
  tracks: Track[];
  truth: TruthBox[];
  frames: number;
  detections: number;
  embedSecondsPerCrop: number;
}

/** Stage 1 of the evaluation: sample frames, make detections, embed them, track each shot. */
export async function trackTruthVideo(video: TruthVideo, opts: CastEvalOptions = {}): Promise<TrackedTruth> {
  const step = opts.step ?? 2;
  const truthAll: TruthBox[] = [];
  const tracks: Track[] = [];
  let crops = 0, embedMs = 0, firstId = 1;
  const sampled = video.shots.reduce((s, sh) => s + Math.ceil((sh.end - sh.start + 1) / step), 0);
  let done = 0;
  for (const shot of video.shots) {
    const perFrame: Detection[][] = [];
    for (let f = shot.start; f <= shot.end; f += step) {
      const { image, truth } = await video.render(f);
      truthAll.push(...truth);
      const dets = noisyDetections(truth, { ...opts.noise, seed: (opts.noise?.seed ?? 3) * 100003 + f });
      const t0 = performance.now();
      await embedDetections(image, dets, opts.embed);
      embedMs += performance.now() - t0;
      crops += dets.length;
      perFrame.push(dets);
      opts.onProgress?.('embed', ++done, sampled);
    }
    const ts = trackShot(perFrame, { ...opts.track, shot: shot.index, firstId });
    for (const t of ts) firstId = Math.max(firstId, t.id + 1);
    tracks.push(...ts);
  }
  return { tracks, truth: truthAll, frames: sampled, detections: crops, embedSecondsPerCrop: crops ? embedMs / 1000 / crops : 0 };
}

/**
 * Stage 2: tracking scores, vanilla dictionary, refinement, refined dictionary, cluster scores. A cast clip always has
 * characters together on a frame; one without any triplet (`hasTriplets` false) cannot be refined and throws.
 */
export async function scoreCast(tt: TrackedTruth, opts: CastEvalOptions = {}): Promise<CastEvaluation> {
  const { tracks, truth: truthAll } = tt;
  const tracking = motMetrics(
    truthAll.map((t) => ({ frame: t.frame, id: t.instance, box: t.box })),
    tracks.flatMap((t) => t.detections.map((d) => ({ frame: d.frame, id: t.id, box: d.box }))),
  );
  const truthByFrame = new Map<number, TruthBox[]>();
  for (const t of truthAll) { if (!truthByFrame.has(t.frame)) truthByFrame.set(t.frame, []); truthByFrame.get(t.frame)!.push(t); }
  const score = (dict: Dictionary) => {
    const pred: number[] = [], gold: number[] = [];
    for (const t of tracks) for (const d of t.detections) {
      const id = truthIdentity(d, truthByFrame.get(d.frame) ?? []);
      const c = dict.trackCharacter.get(t.id);
      if (id === undefined || c === undefined) continue;
      pred.push(c); gold.push(id);
    }
    return { ...clusterScores(pred, gold), silhouette: dict.silhouette };
  };
  const c0 = performance.now();
  const vanillaDictionary = buildDictionary(tracks, opts.dictionary);
  const clusterSeconds = (performance.now() - c0) / 1000;
  opts.onProgress?.('refine', 0, 1);
  const refined = await refineTracks(tracks, { triplets: opts.triplets, head: opts.head });
  const refinedDictionary = buildDictionary(refined.tracks, opts.dictionary);
  return {
    frames: tt.frames,
    detections: tt.detections,
    tracks: tracks.length,
    tracking,
    vanilla: score(vanillaDictionary),
    refined: score(refinedDictionary),
    timings: { embedSecondsPerCrop: tt.embedSecondsPerCrop, trainSecondsPerEpoch: refined.report.secondsPerEpoch, triplets: refined.report.triplets, clusterSeconds },
    vanillaDictionary,
    refinedDictionary,
    trackList: tracks,
  };
}

/** Both stages. */
export async function evaluateCast(video: TruthVideo, opts: CastEvalOptions = {}): Promise<CastEvaluation> {
  return scoreCast(await trackTruthVideo(video, opts), opts);
}
