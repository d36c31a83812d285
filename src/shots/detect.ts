// The shot-detection job: decode once at analysis size, compute metrics,
// run the detectors, build shots. With a workspace, metrics are saved in
// chunks as they are computed; a re-run reuses them and an interrupted run
// resumes decoding where it stopped.
import { probe, fitSize, decode, sameTime, checkFilter, type DecodeReport } from '../core/video.js';
import type { Workspace } from '../core/workspace.js';
import type { Shot, Transition, VideoInfo } from '../core/types.js';
import { MetricsComputer, BLEND_HALF, type FrameMetrics } from './metrics.js';
import { makeDetector, DEFAULT_DETECTOR } from './registry.js';
import { toShots } from './shots.js';
import { parallelMetrics } from './segments.js';
import { ensureSchema, saveChunk, loadMetrics, clearMetrics, saveResult } from './store.js';
import { ThumbJoiner, ThumbKeeper, memoryPicker, workspacePicker, type ThumbPicker } from './thumbs.js';

/** Options of `detectShots`: detector, analysis size, workspace (for resuming), progress, crop. */
export interface DetectShotsOptions {
  /** Detector name (see DETECTORS); default 'anime'. */
  detector?: string;
  /** Analysis width in pixels (ffmpeg downscales); default 128. */
  width?: number;
  workspace?: Workspace;
  /** Called as frames are analysed. */
  onProgress?: (done: number, total: number) => void;
  /** Frames per saved chunk. */
  chunk?: number;
  /** Crop filter for multi-panel footage, e.g. "crop=iw/3:ih:0:0". */
  crop?: string;
  /** Parallel decoders cut at keyframes (default: one per core; 1 = one sequential decode). */
  workers?: number;
  /** Shortest parallel segment in seconds (default 4; lower only to exercise short clips). */
  minSegmentSeconds?: number;
  /** Longest parallel segment in seconds (default 60; lower only to exercise more segments than workers). */
  maxSegmentSeconds?: number;
  /** Keep contact-sheet thumbnails from the same decode (thumbs.ts); `ShotResult.thumb` picks them. */
  thumbs?: boolean;
}

/** What `detectShots` returns: the video, every frame's time, the transitions and the shots they make. */
export interface ShotResult {
  video: VideoInfo;
  detector: string;
  frames: number;
  /** Time of every frame in seconds. */
  times: Float64Array;
  transitions: Transition[];
  shots: Shot[];
  warnings: string[];
  /** Frames whose metrics came from the workspace instead of decoding. */
  reused: number;
  /** A shot's thumbnail kept from the decode (or stored with the metrics), when there is one. */
  thumb: ThumbPicker;
}

/** 2: the fast-mode downscale changed (fast_bilinear to 2x, then area), so metrics stored by version 1 differ slightly. */
const METRICS_VERSION = 2;
/** Frames decoded again before a resume point so lagged metrics are exact. */
const OVERLAP = 2 * Math.max(...BLEND_HALF) + 1;

/** Compute (or load) per-frame metrics for a video. */
export async function computeMetrics(path: string, opts: DetectShotsOptions = {}): Promise<{ info: VideoInfo; metrics: FrameMetrics[]; warnings: string[]; reused: number; thumb: ThumbPicker }> {
  const info = probe(path);
  if (opts.crop) checkFilter(opts.crop, info);
  const size = fitSize(info, opts.width ?? 128);
  const key = JSON.stringify({ v: METRICS_VERSION, ...size, crop: opts.crop ?? null });
  const ws = opts.workspace;
  let videoId = -1;
  let metrics: FrameMetrics[] = [];
  if (ws) {
    ensureSchema(ws);
    videoId = ws.addVideo(info).id;
    metrics = loadMetrics(ws, videoId, key);
    const stage = ws.stage(videoId, 'shots:metrics', key);
    if (stage?.status === 'done' && metrics.length === (stage.result as { frames: number }).frames) {
      // The decode's warnings are kept with the metrics: a damaged file says so on every run, not only the first.
      return { info, metrics, warnings: (stage.result as { warnings?: string[] }).warnings ?? [], reused: metrics.length, thumb: workspacePicker(ws, videoId, key) };
    }
    if (!stage) {
      clearMetrics(ws, videoId, key);
      metrics = [];
    }
    ws.setStage(videoId, 'shots:metrics', key, 'running');
  }
  const reused = metrics.length;
  const total = info.frames ?? 0;
  const chunkSize = opts.chunk ?? 1000;
  const report: DecodeReport = { frames: 0, warnings: [] };
  let pending: FrameMetrics[] = [];
  const keeper = new ThumbKeeper();
  const flush = () => {
    if (opts.thumbs) keeper.prune(pending);
    if (ws && pending.length) {
      saveChunk(ws, videoId, key, pending);
      // Stored: the sheet reads them back, memory stays bounded on long videos.
      for (const m of pending) delete m.jpeg;
    }
    pending = [];
  };

  const run = async (from: number) => {
    const mc = new MetricsComputer();
    const seek = from > 0 ? { fromFrame: from, seekBetween: [metrics[from - 1].time, metrics[from].time] as [number, number] } : {};
    let expect = from;
    const joiner = new ThumbJoiner((i) => metrics[i]);
    const thumbs = opts.thumbs ? joiner.options : undefined;
    for await (const frame of decode(path, { ...size, fast: true, filter: opts.crop, thumbs, ...seek }, report)) {
      if (frame.index < metrics.length) {
        // Overlap frames re-decoded to warm up the lag buffer: check they are the frames we think.
        if (!sameTime(metrics[frame.index].time, frame.time, 1e-3)) return false;
        mc.push(frame);
        expect++;
        continue;
      }
      const m = mc.push(frame);
      joiner.pushed(m);
      metrics.push(m);
      pending.push(m);
      expect++;
      if (pending.length >= chunkSize) flush();
      opts.onProgress?.(metrics.length, Math.max(total, metrics.length));
    }
    flush();
    return expect > from || from === 0;
  };

  let ok = false;
  if (reused === 0) {
    // Fresh run: decode keyframe segments in parallel. What it proves is committed; the rest (if any) goes on sequentially below.
    const par = await parallelMetrics(path, info, {
      size, crop: opts.crop, thumbs: opts.thumbs, overlap: OVERLAP, workers: opts.workers, minSeconds: opts.minSegmentSeconds, maxSeconds: opts.maxSegmentSeconds, report,
      commit: (ms) => {
        for (const m of ms) {
          metrics.push(m);
          pending.push(m);
          if (pending.length >= chunkSize) flush();
        }
      },
      onProgress: (done) => opts.onProgress?.(done, Math.max(total, done)),
    });
    flush();
    ok = par?.complete ?? false;
  }
  const from = metrics.length;
  if (!ok && from > OVERLAP) {
    // Resume: re-decode OVERLAP frames before the stored end so lagged metrics match an uninterrupted run.
    ok = await run(from - OVERLAP);
    if (!ok) {
      metrics.length = from;
      pending = [];
    }
  }
  if (!ok) {
    if (metrics.length && ws) clearMetrics(ws, videoId, key);
    metrics = [];
    await run(0);
  }
  const warnings = [...report.warnings];
  if (report.failed) warnings.unshift(`ffmpeg stopped with an error after ${metrics.length} frames; the rest of the video is missing`);
  if (info.frames && metrics.length < info.frames * 0.98 && report.warnings.length) {
    warnings.unshift(`decoded ${metrics.length} of ${info.frames} frames; the file looks truncated or damaged`);
  }
  if (ws) ws.setStage(videoId, 'shots:metrics', key, 'done', { frames: metrics.length, warnings: warnings.slice(0, 20) });
  return { info, metrics, warnings, reused, thumb: ws ? workspacePicker(ws, videoId, key) : memoryPicker(metrics) };
}

/** Run a detector over metrics and build the shot list. */
export function detectFromMetrics(metrics: FrameMetrics[], info: VideoInfo, detector = DEFAULT_DETECTOR): { transitions: Transition[]; shots: Shot[]; times: Float64Array } {
  const d = makeDetector(detector);
  const transitions: Transition[] = [];
  for (const m of metrics) transitions.push(...d.process(m));
  transitions.push(...d.flush());
  transitions.sort((a, b) => a.frame - b.frame);
  const times = Float64Array.from(metrics, (m) => m.time);
  const n = metrics.length;
  const end = n ? Math.max(times[n - 1] + 1 / info.fps, info.startTime + info.duration) : 0;
  return { transitions, shots: toShots(transitions, n, times, end), times };
}

/** Detect shots in a video (the library entry point behind `toonscope shots`). */
export async function detectShots(path: string, opts: DetectShotsOptions = {}): Promise<ShotResult> {
  const detector = opts.detector ?? DEFAULT_DETECTOR;
  makeDetector(detector); // fail fast on an unknown name
  const { info, metrics, warnings, reused, thumb } = await computeMetrics(path, opts);
  const { transitions, shots, times } = detectFromMetrics(metrics, info, detector);
  if (opts.workspace) {
    const id = opts.workspace.addVideo(info).id;
    saveResult(opts.workspace, id, detector, transitions, shots);
    opts.workspace.setStage(id, `shots:${detector}`, { detector }, 'done', { shots: shots.length });
  }
  return { video: info, detector, frames: metrics.length, times, transitions, shots, warnings, reused, thumb };
}
