// Scoring analyze against cast truth files: tracks (MOTA, IDF1 on the
// sampled frames) and the dictionary (purity, NMI, ARI of character
// appearances), vanilla vs refined embeddings side by side. The real
// pipeline runs (detectors included), so the figures are what a user gets.
import type { Workspace } from '../core/workspace.js';
import { iou } from '../core/box.js';
import { motMetrics, type IdBox, type MotResult } from '../tracking/metrics.js';
import { buildDictionary, clusterScores, type ClusterScores } from '../dictionary/index.js';
import { analyzeVideo, type AnalyzeOptions } from './pipeline.js';
import { analyzeSeries, tracksFromRows, type SeriesSummary } from './series.js';
import { dictionaryCut } from './tracks.js';
import { appearances, type AppearanceRow } from './store.js';
import { loadCastTruth, type CastTruth } from './truth.js';

export interface TrackEval {
  truth: string;
  sampledFrames: number;
  truthBoxes: number;
  mot: MotResult;
}

function sampled(ws: Workspace, videoId: number): Set<number> {
  return new Set((ws.db.prepare('SELECT frame FROM samples WHERE video_id = ?').all(videoId) as { frame: number }[]).map((r) => r.frame));
}

async function run(ws: Workspace, file: string, opts: AnalyzeOptions) {
  const truth = loadCastTruth(file);
  const s = await analyzeVideo(ws, truth.path, opts);
  return { truth, videoId: s.videoId };
}

export async function evalTracks(ws: Workspace, file: string, opts: AnalyzeOptions = {}): Promise<TrackEval> {
  // Tracks only: no learned pass to keep the sampled frames for.
  const { truth, videoId } = await run(ws, file, { ...opts, keepFrames: false });
  const frames = sampled(ws, videoId);
  const t: IdBox[] = truth.boxes.filter((b) => frames.has(b.frame)).map((b) => ({ frame: b.frame, id: b.instance, box: b.box }));
  const h: IdBox[] = appearances(ws, videoId).filter((r) => r.track !== null).map((r) => ({ frame: r.frame, id: r.track!, box: r.box }));
  return { truth: file, sampledFrames: frames.size, truthBoxes: t.length, mot: motMetrics(t, h) };
}

/** Identity name of the truth box each appearance overlaps most (IoU >= 0.5), one appearance per truth box. */
export function identify(rows: AppearanceRow[], truth: CastTruth): Map<number, string> {
  const out = new Map<number, string>();
  const byFrame = new Map<number, CastTruth['boxes']>();
  for (const b of truth.boxes) {
    if (!byFrame.has(b.frame)) byFrame.set(b.frame, []);
    byFrame.get(b.frame)!.push(b);
  }
  const rowsByFrame = new Map<number, AppearanceRow[]>();
  for (const r of rows) {
    if (!rowsByFrame.has(r.frame)) rowsByFrame.set(r.frame, []);
    rowsByFrame.get(r.frame)!.push(r);
  }
  for (const [frame, rs] of rowsByFrame) {
    const pairs: Array<[number, AppearanceRow, CastTruth['boxes'][number]]> = [];
    for (const r of rs) for (const b of byFrame.get(frame) ?? []) pairs.push([iou(r.box, b.box), r, b]);
    pairs.sort((a, b) => b[0] - a[0]);
    const usedT = new Set<object>();
    for (const [v, r, b] of pairs) {
      if (v < 0.5 || out.has(r.id) || usedT.has(b)) continue;
      out.set(r.id, truth.identities[b.identity] ?? String(b.identity));
      usedT.add(b);
    }
  }
  return out;
}

export interface ClusterEval {
  truths: string[];
  appearances: number;
  /** Appearances matched to a truth character (the ones scored). */
  matched: number;
  vanilla: ClusterScores;
  refined: ClusterScores;
  series: SeriesSummary;
}

export async function evalClusters(ws: Workspace, files: string[], opts: AnalyzeOptions & { epochs?: number } = {}): Promise<ClusterEval> {
  const ids = new Map<number, string>();
  for (const f of files) {
    const { truth, videoId } = await run(ws, f, opts);
    for (const [k, v] of identify(appearances(ws, videoId), truth)) ids.set(k, v);
  }
  const series = await analyzeSeries(ws, { epochs: opts.epochs, log: opts.log });
  const rows = appearances(ws);
  // Vanilla: the same clustering on the stored (unrefined) embeddings.
  const vanillaDict = buildDictionary(tracksFromRows(rows), { cut: dictionaryCut(ws) });
  const scored = rows.filter((r) => ids.has(r.id) && r.track !== null);
  const truthLabels = scored.map((r) => ids.get(r.id)!);
  const vanilla = clusterScores(scored.map((r) => vanillaDict.trackCharacter.get(r.track!) ?? -1), truthLabels);
  const refined = clusterScores(scored.map((r) => r.cluster ?? -1), truthLabels);
  return { truths: files, appearances: rows.length, matched: scored.length, vanilla, refined, series };
}
