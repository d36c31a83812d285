// `analyze`: the CAST pipeline over one or more episodes of a series.
// Per video: shots -> sampled frames -> characters + vanilla embeddings ->
// tracks (per shot, never across a cut). Per series: triplets from tracks ->
// refined projection head -> clusters -> character dictionary + report.
// Every stage records itself in the workspace, so a re-run skips finished
// stages and a killed run resumes (detection resumes frame by frame).
import { createHash } from 'node:crypto';
import { startKeeping } from './kept.js';
import type { Workspace } from '../core/workspace.js';
import type { Detection, Shot } from '../core/types.js';
import type { Progress } from '../core/progress.js';
import { detectShots } from '../shots/detect.js';
import { parseChain, autoChain } from '../characters/backends.js';
import { identitySpace } from '../models/identity.js';
import type { CharacterDetector } from '../characters/types.js';
import { trackShots } from '../tracking/index.js';
import { iou } from '../core/box.js';
import { sampleFrames } from './sample.js';
import { detectStage, type DetectStageReport } from './detect.js';
import { ensureSchema, saveSamples, pendingSamples, appearances, taughtBoxes, type AppearanceRow } from './store.js';

/**
 * Bumped whenever the first pass finds differently with the same chain and settings (2: sampled frames of clips whose
 * frames share timestamps are no longer skipped; a body cut clipped by its window is cut again bigger; 3: nobody on a
 * blank frame, a carried character included; 4: a carried box that no longer shows what it held is doubted, then
 * dropped, `Propagator`): a workspace's stored first passes are then redone, not mixed with new ones.
 */
const DETECT_VERSION = 4;

/** Options of `analyzeVideo`: the detector chain, sampling rate and sizes, progress and log. */
export interface AnalyzeOptions {
  /** Character detector chain: a spec (see characters/backends.ts) or ready detectors (library use, tests). */
  chain?: string | CharacterDetector[];
  /** Learned models (toonscope models): auto (default: installed ones), none, or names. */
  models?: string;
  /** Sampled frames per second of video. */
  rate?: number;
  /** Detection size in pixels: the frame's width, or its height when it is taller than wide. */
  width?: number;
  /** Frames per second followed by optical flow between keyframes. */
  fps?: number;
  /** Seconds between keyframes inside a shot. */
  every?: number;
  /** Seconds between looks for a new face between keyframes (0: none; `Propagator`). */
  watch?: number;
  /** Backbone input size for the appearance embedding (224 is the model's own; 160 is about twice as fast). */
  embedSize?: number;
  /** Frames to sample besides the regular grid (an evaluation looks where its truth is). */
  extraFrames?: number[];
  /**
   * Keep the sampled frames in memory for `analyzeSeries`'s learned pass, which looks at them again (default true;
   * TOONSCOPE_FRAME_CACHE_MB bounds them): off where no learned pass follows in this process (a queue worker, whose
   * series stages run on the coordinator; eval tracks).
   */
  keepFrames?: boolean;
  progress?: (label: string, total?: number) => Progress;
  log?: (msg: string) => void;
}

/** In the first pass's stage key only when it watches: a workspace analysed before watching was, with `--watch 0`, is not redone. */
const watchKey = (watch: number) => (watch > 0 ? { watch } : {});

/**
 * Defaults chosen for speed on 2 cores at no measured loss: on a Ren'Py cast
 * truth set (seed 2, not the bench clip) 480 px / 4 s / 160 px gave MOTA 0.946,
 * IDF1 0.972, ARI 0.848 against 0.919, 0.958, 0.841 for 640 px / 2 s / 224 px,
 * in 71% of the time (docs/cast.md). The watch for new faces between keyframes (0.5 s, the sampling step) came later
 * (docs/cast.md, Session 34): the same there, a character more on real footage.
 */
export const ANALYZE_DEFAULTS = { rate: 2, width: 480, fps: 8, every: 4, watch: 0.5, embedSize: 160 } as const;

/** What `analyzeVideo` did for one video: shots, samples, appearances, tracks, skipped stages, seconds per stage. */
export interface VideoSummary {
  video: string;
  videoId: number;
  shots: number;
  samples: number;
  appearances: number;
  tracks: number;
  skipped: string[];
  /** Problems decoding the file (truncated, damaged), as `toonscope shots` reports them. */
  warnings: string[];
  /** Wall seconds per stage in this run. */
  seconds: Record<string, number>;
  /** The detector chain and the identity-embedding space (mobilenet, or a learned model) this video was analysed with. */
  models: { chain: string; identity: string };
}

/** Rebuild Detection objects (with embeddings) from stored appearances. */
export function toDetections(rows: AppearanceRow[]): Detection[] {
  return rows.map((r) => ({ frame: r.frame, box: r.box, score: r.score, label: 'character', embedding: r.embedding ?? undefined, track: r.track ?? undefined, id: r.id }) as Detection & { id: number });
}

/** Per-video stages; returns what was done and what was already there. */
export async function analyzeVideo(ws: Workspace, path: string, opts: AnalyzeOptions = {}): Promise<VideoSummary> {
  // One writer at a time: a second run would analyse the same pending shots again and double their rows.
  ws.claim('analyze');
  ensureSchema(ws);
  // Made first: a TOONSCOPE_FRAME_CACHE_MB it cannot read is an error before any work, not after the shots.
  const frames = opts.keepFrames === false ? undefined : startKeeping(ws);
  const log = opts.log ?? (() => undefined);
  const skipped: string[] = [];
  const seconds: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = +((now - t0) / 1000).toFixed(2);
    t0 = now;
  };
  const bar = opts.progress?.(`shots ${path}`);
  const shots = await detectShots(path, { workspace: ws, onProgress: (d, t) => bar?.set(d, t) });
  bar?.done();
  lap('shots');
  const warnings = [...shots.warnings];
  const videoId = ws.addVideo(shots.video).id;
  const rate = opts.rate ?? ANALYZE_DEFAULTS.rate;
  // No chain given: the default one, with installed learned detectors in front (src/models/chain.ts).
  const auto = opts.chain ? undefined : await autoChain(undefined, { models: opts.models });
  const chainSpec = auto ? auto.map((d) => d.name).join(',') : typeof opts.chain === 'string' ? opts.chain : opts.chain!.map((d) => d.name).join(',');
  // The workspace's identity-embedding space (MobileNetV2 or e.g. CCIP), fixed per series.
  const identity = await identitySpace(ws, opts.models);

  const extra = [...new Set(opts.extraFrames ?? [])].filter((f) => f >= 0 && f < shots.frames).sort((a, b) => a - b);
  // The shots themselves, not only their number: a better shot detector that moves a boundary redoes the samples (a
  // workspace analysed before session 29 redoes its samples and its passes once).
  const cuts = createHash('sha1').update(shots.shots.map((s) => s.start).join(',')).digest('hex').slice(0, 16);
  const sampleKey = { rate, shots: shots.shots.length, cuts, frames: shots.frames, ...(extra.length ? { extra } : {}) };
  if (ws.stage(videoId, 'analyze:samples', sampleKey)?.status === 'done') skipped.push('samples');
  else {
    ws.db.prepare('DELETE FROM samples WHERE video_id = ?').run(videoId);
    ws.db.prepare('DELETE FROM appearances WHERE video_id = ?').run(videoId);
    // The second pass looked past the first pass's characters: with them gone, it is redone too.
    ws.db.prepare('DELETE FROM redetected WHERE video_id = ?').run(videoId);
    ws.db.prepare("DELETE FROM stages WHERE video_id = ? AND stage IN ('analyze:detect', 'analyze:tracks')").run(videoId);
    const grid = sampleFrames(shots.shots, shots.transitions, shots.times, shots.video.fps, { rate });
    // Taught frames stay samples whatever the grid (their boxes are what the series detector learns from).
    const more = [...extra, ...taughtBoxes(ws, videoId).map((t) => t.frame).filter((f) => f < shots.frames && !extra.includes(f))];
    for (const f of more) {
      const shot = shots.shots.find((s) => f >= s.start && f <= s.end);
      if (shot) grid.push({ frame: f, shot: shot.index, time: shots.times[f] ?? f / shots.video.fps });
    }
    saveSamples(ws, videoId, grid);
    ws.setStage(videoId, 'analyze:samples', sampleKey, 'done');
  }

  let detail: DetectStageReport | undefined;
  const D = ANALYZE_DEFAULTS;
  // A portrait video is looked at `width` tall (analysisSize); one analysed `width` wide before is redone.
  const portrait = shots.video.height > shots.video.width ? { side: 'longer' } : {};
  const detectKey = { v: DETECT_VERSION, chain: chainSpec, width: opts.width ?? D.width, ...portrait, fps: opts.fps ?? D.fps, every: opts.every ?? D.every, ...watchKey(opts.watch ?? D.watch), embed: opts.embedSize ?? D.embedSize, ...(identity.embedder ? { identity: identity.space } : {}) };
  const prior = ws.stage(videoId, 'analyze:detect', detectKey);
  // A taught frame adds a sample to a finished video: only its shot is analysed again.
  if (prior?.status === 'done' && !pendingSamples(ws, videoId).length) skipped.push('characters');
  else {
    if (!prior) {
      // Another chain or width: start the detection pass over.
      ws.db.prepare('DELETE FROM appearances WHERE video_id = ?').run(videoId);
    // The second pass looked past the first pass's characters: with them gone, it is redone too.
    ws.db.prepare('DELETE FROM redetected WHERE video_id = ?').run(videoId);
      ws.db.prepare('UPDATE samples SET done = 0 WHERE video_id = ?').run(videoId);
    }
    ws.setStage(videoId, 'analyze:detect', detectKey, 'running');
    const pending = pendingSamples(ws, videoId).length;
    if (pending) log(`characters: ${pending} sampled frames to analyse`);
    const own = typeof opts.chain !== 'object';
    const chain = auto ?? (own ? parseChain(chainSpec) : (opts.chain as CharacterDetector[]));
    const dbar = opts.progress?.(`characters ${path}`, pending);
    try {
      detail = await detectStage(ws, videoId, shots.video, shots.times, shots.shots, chain, { width: detectKey.width, fps: detectKey.fps, every: detectKey.every, watch: opts.watch ?? D.watch, embed: { size: detectKey.embed, identity: identity.embedder }, frames }, dbar);
    } finally {
      if (own) for (const d of chain) await d.dispose?.();
    }
    dbar?.done();
    if (detail.missing.length) {
      const at = detail.missing.slice(0, 3).map((f) => `${(shots.times[f] ?? f / shots.video.fps).toFixed(2)} s`).join(', ');
      warnings.push(`${detail.missing.length} sampled frame(s) could not be decoded (at ${at}${detail.missing.length > 3 ? ', ...' : ''}); the file may be damaged there, and those frames have no characters`);
    }
    ws.setStage(videoId, 'analyze:detect', detectKey, 'done');
  }
  if (auto && prior?.status === 'done') for (const d of auto) await d.dispose?.();
  await identity.embedder?.dispose();
  lap('characters');
  if (detail) Object.assign(seconds, { 'characters: chain': +detail.chainSeconds.toFixed(2), 'characters: carry': +detail.carrySeconds.toFixed(2), 'characters: embed': +detail.embedSeconds.toFixed(2), keyframes: detail.keyframes });

  const rows = appearances(ws, videoId);
  if (trackVideo(ws, videoId, shots.shots)) skipped.push('tracks');
  lap('tracks');
  const nTracks = (ws.db.prepare('SELECT COUNT(DISTINCT track) n FROM appearances WHERE video_id = ? AND track IS NOT NULL').get(videoId) as { n: number }).n;
  const nSamples = (ws.db.prepare('SELECT COUNT(*) n FROM samples WHERE video_id = ?').get(videoId) as { n: number }).n;
  return { video: path, videoId, shots: shots.shots.length, samples: nSamples, appearances: rows.length, tracks: nTracks, skipped, warnings, seconds, models: { chain: chainSpec, identity: identity.space } };
}

/**
 * Track a video's appearances (both passes) per shot. Track ids stay what they
 * were: every new appearance is paired with where a track was at the last
 * tracking (same frame, box IoU >= 0.3; rows may have been redone since), and
 * a new track keeps an old id when at least half of either is shared.
 * Names a person gave are kept per track, so they survive the learned pass and
 * teaching. Returns true when the stored tracks were already up to date.
 */
export function trackVideo(ws: Workspace, videoId: number, shots: Shot[]): boolean {
  const rows = appearances(ws, videoId);
  // The rows tracked, and how many were left without a track: rows written again (a second pass redone) may take the
  // very ids of those they replace, but come without a track.
  const keyOf = (rs: AppearanceRow[]) => ({ appearances: rs.length, ids: rs.reduce((a, r) => (a + r.id) % 1_000_000_007, 0), untracked: rs.filter((r) => r.track == null).length });
  if (ws.stage(videoId, 'analyze:tracks', keyOf(rows))?.status === 'done') return true;
  let past = ws.db.prepare('SELECT frame, x, y, w, h, track FROM tracked WHERE video_id = ?').all(videoId) as { frame: number; x: number; y: number; w: number; h: number; track: number }[];
  // A workspace tracked before the snapshot existed: its rows still carry their tracks.
  if (!past.length) past = rows.filter((r) => r.track != null).map((r) => ({ frame: r.frame, x: r.box[0], y: r.box[1], w: r.box[2], h: r.box[3], track: r.track! }));
  const byFrame = new Map<number, typeof past>();
  for (const p of past) {
    if (!byFrame.has(p.frame)) byFrame.set(p.frame, []);
    byFrame.get(p.frame)!.push(p);
  }
  // 0.3, not 0.5: a character found again by a retrained series detector comes out a little wider or narrower.
  const oldOf = (r: AppearanceRow): number | undefined => {
    let best: number | undefined, bv = 0.3;
    for (const p of byFrame.get(r.frame) ?? []) {
      const v = iou(r.box, [p.x, p.y, p.w, p.h]);
      if (v >= bv) { bv = v; best = p.track; }
    }
    return best;
  };
  const pastLength = new Map<number, number>();
  for (const p of past) pastLength.set(p.track, (pastLength.get(p.track) ?? 0) + 1);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const tracks = trackShots(toDetections(rows), shots, { firstId: 1 });
  const pairs: Array<[number, number, number]> = [];
  for (const [k, t] of tracks.entries()) {
    const count = new Map<number, number>();
    for (const d of t.detections) {
      const old = oldOf(rowById.get((d as Detection & { id: number }).id)!);
      if (old !== undefined) count.set(old, (count.get(old) ?? 0) + 1);
    }
    // Most of the new track was that old track, or most of the old track is in it (found on more frames now):
    // anything less and a name could move onto someone else.
    for (const [old, n] of count) if (n * 2 >= Math.min(t.detections.length, pastLength.get(old) ?? Infinity)) pairs.push([n, k, old]);
  }
  pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const ids = new Array<number>(tracks.length).fill(-1);
  const taken = new Set<number>();
  for (const [, k, old] of pairs) if (ids[k] < 0 && !taken.has(old)) { ids[k] = old; taken.add(old); }
  let next = past.reduce((m, p) => Math.max(m, p.track), videoId * 1_000_000) + 1;
  for (let k = 0; k < ids.length; k++) if (ids[k] < 0) ids[k] = next++;
  const upd = ws.db.prepare('UPDATE appearances SET track = ? WHERE id = ?');
  const snap = ws.db.prepare('INSERT INTO tracked (video_id, frame, x, y, w, h, track) VALUES (?, ?, ?, ?, ?, ?, ?)');
  ws.db.transaction(() => {
    ws.db.prepare('UPDATE appearances SET track = NULL WHERE video_id = ?').run(videoId);
    ws.db.prepare('DELETE FROM tracked WHERE video_id = ?').run(videoId);
    // Tracks with no rows now (their shot's second pass is being redone) stay in the snapshot, so the tracking
    // after that pass gives them their ids back.
    const now = new Set(ids);
    for (const p of past) if (!now.has(p.track)) snap.run(videoId, p.frame, p.x, p.y, p.w, p.h, p.track);
    tracks.forEach((t, k) => {
      for (const d of t.detections) {
        const r = rowById.get((d as Detection & { id: number }).id)!;
        upd.run(ids[k], r.id);
        snap.run(videoId, r.frame, ...r.box, ids[k]);
      }
    });
  })();
  // Recorded as the rows stand now, tracked: the same rows, those in no track left without one.
  const inTracks = tracks.reduce((a, t) => a + t.detections.length, 0);
  ws.setStage(videoId, 'analyze:tracks', { ...keyOf(rows), untracked: rows.length - inTracks }, 'done', { tracks: tracks.length });
  return false;
}
