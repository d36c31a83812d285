// Shot metrics decoded in parallel. Frame-threaded h264 decoding keeps two
// cores only about two-thirds busy (threads wait on reference frames) and
// costs ~20% more CPU, so the video is cut at keyframes into segments, each
// decoded by its own single-threaded ffmpeg, a pool of one per core. Every
// segment costs an ffmpeg start (~0.2 CPU s: Debian's build loads ~200
// libraries), a fork of Node and its overlap frames, so there are as few as
// the cores allow: one per worker, at most maxSeconds long (only videos with
// more segments than workers end on a frame-threaded decoder, which takes
// the cores the others free).
//
// Metrics lag up to OVERLAP frames, so a segment's first OVERLAP frames only
// warm it up, and the segment before it decodes a few frames past its end to
// cover them. Where the two meet, both computed the same frame: its metrics
// must be identical (same pixels, same history), which proves the seek gave
// the same decode. Anything else (a mismatch, a segment that ended early)
// returns what is proven so far and the caller goes on sequentially.
import { availableParallelism } from 'node:os';
import { decode, keyframeTimes, type DecodeReport } from '../core/video.js';
import type { VideoInfo } from '../core/types.js';
import { MetricsComputer, type FrameMetrics } from './metrics.js';
import { ThumbJoiner } from './thumbs.js';

export interface SegmentOptions {
  /** Output size of the analysis decode. */
  size: { width: number; height: number };
  crop?: string;
  /** Sample contact-sheet thumbnails from the same decode (thumbs.ts). */
  thumbs?: boolean;
  /** Frames of warm-up a segment needs before its metrics are exact. */
  overlap: number;
  /** Parallel decoders; default: one per core. */
  workers?: number;
  /** Shortest segment in seconds (each costs an ffmpeg start and an overlap). */
  minSeconds?: number;
  /** Longest segment in seconds: finished segments are committed in order, so this bounds the work an interruption loses. */
  maxSeconds?: number;
  /** Called with each segment's exact metrics, in video order. */
  commit: (metrics: FrameMetrics[]) => void;
  /** Called as frames are analysed (all segments together, each frame once). */
  onProgress?: (done: number) => void;
  report: DecodeReport;
}

/**
 * Segment start times: keyframes chosen so that there is about one segment
 * per worker (at most `maxSeconds` long), each at least `minSeconds` long.
 * The first segment starts at the video's start; each later one at the first
 * keyframe a target length after the previous, so the first segment tends to
 * be the longest, and it also starts first (while ffprobe lists keyframes).
 */
export function planSegments(keys: number[], start: number, duration: number, workers: number, minSeconds = 4, maxSeconds = 60): number[] {
  const end = start + duration;
  const target = Math.min(maxSeconds, Math.max(minSeconds, duration / workers));
  const starts = [start];
  for (const k of keys) {
    if (k - starts[starts.length - 1] >= target && end - k >= target / 2) starts.push(k);
  }
  return starts;
}

/** Everything decoded by one segment: its frames' metrics, in order. */
interface Part {
  metrics: FrameMetrics[];
  done: boolean;
}

/**
 * Compute metrics segment by segment in parallel. The first segment starts
 * at once, with a single-threaded decoder, while ffprobe lists the keyframes;
 * without a keyframe to split at, it simply runs to the end (on one core: a
 * video with no second keyframe is decoded more slowly than frame-threaded). Returns the
 * number of frames committed and whether that is the whole video (false: the
 * rest must be decoded sequentially), or null (nothing done) with fewer than
 * two workers or a video too short to split.
 */
export async function parallelMetrics(path: string, info: VideoInfo, opts: SegmentOptions): Promise<{ frames: number; complete: boolean } | null> {
  const workers = opts.workers ?? availableParallelism();
  // Each segment costs an ffmpeg start and its overlap frames: on short clips (onepiece_demo 7.5 s, fades.mp4 10 s)
  // that made the parallel decode 30-40% slower than one decoder. Split only with room for four such segments per worker.
  const minSeconds = opts.minSeconds ?? 4;
  if (workers < 2 || info.duration < 4 * workers * minSeconds) return null;
  const W = opts.overlap;
  let starts: number[] = [info.startTime];
  let planned = false;
  const parts: Part[] = [{ metrics: [], done: false }];
  const plan = keyframeTimes(path).then((keys) => {
    starts = planSegments(keys, info.startTime, info.duration, workers, minSeconds, opts.maxSeconds);
    for (let s = 1; s < starts.length; s++) parts.push({ metrics: [], done: false });
    planned = true;
  });
  // Seek half a frame past the keyframe: a seek time a rounding error before it would land on the previous keyframe.
  const seekOf = (s: number) => (s === 0 ? undefined : starts[s] + 0.5 / info.fps);
  let analysed = 0;
  let failed = false;

  const runSegment = async (s: number, threads: number) => {
    const part = parts[s];
    const mc = new MetricsComputer();
    // The first segment may start before the plan is known: its end is looked up as it goes.
    const next = () => (planned && s + 1 < starts.length ? seekOf(s + 1)! : Infinity);
    let past = 0;
    const report: DecodeReport = { frames: 0, warnings: [] };
    // Frames are numbered from 0 within the segment until committed; the joiner pairs thumbnails by that number.
    const joiner = new ThumbJoiner((n) => part.metrics[n]);
    const thumbs = opts.thumbs ? joiner.options : undefined;
    const frames = decode(path, { ...opts.size, fast: true, threads, filter: opts.crop, seek: seekOf(s), thumbs }, report);
    for await (const frame of frames) {
      if (failed) break;
      const m = mc.push(frame);
      joiner.pushed(m, frame.index);
      part.metrics.push(m);
      const beyond = frame.time >= next();
      if (beyond) past++;
      // Progress counts each frame once: a segment's warm-up is counted by the segment before, which computes it exactly.
      if (beyond ? past <= W : s === 0 || part.metrics.length > W) opts.onProgress?.(++analysed);
      // Enough frames of the next segment to cover its warm-up, with a margin.
      if (past >= W + 3) break;
    }
    if (report.warnings.length) opts.report.warnings.push(...report.warnings);
    // A decoder that died is not a segment that ended: nothing checks the last segment's end otherwise.
    if (report.failed) failed = true;
    part.done = true;
  };

  // Commit, in order, every segment whose end is proven by its successor.
  let committed = 0;
  let frames = 0;
  let lastTime = -Infinity;
  const advance = () => {
    while (planned && !failed && committed < starts.length && parts[committed].done) {
      const s = committed;
      const own = parts[s].metrics.slice(s === 0 ? 0 : W);
      let keep = own.length;
      if (s + 1 < starts.length) {
        const nxt = parts[s + 1];
        if (!nxt.done) return;
        const meet = nxt.metrics[W];
        const at = meet ? own.findIndex((m) => Math.abs(m.time - meet.time) < 1e-6) : -1;
        if (at < 0 || !same(own[at], meet)) {
          failed = true;
          break;
        }
        keep = at;
      }
      const mine = own.slice(0, keep);
      // Times must keep increasing across segments.
      if (mine.length && mine[0].time <= lastTime) {
        failed = true;
        break;
      }
      for (const m of mine) m.index = frames++;
      if (mine.length) lastTime = mine[mine.length - 1].time;
      opts.commit(mine);
      parts[s].metrics = [];
      committed++;
    }
  };

  let nextSegment = 1;
  const run = async (s: number, threads: number) => {
    try {
      await runSegment(s, threads);
    } catch (e) {
      failed = true; // stops the other decoders too
      throw e;
    }
    advance();
  };
  const worker = async (first: boolean) => {
    // The first segment starts before the keyframes are known; the video is long enough to split (checked above),
    // so it is single-threaded like the others (only a video without a second keyframe leaves a core to Node).
    if (first) await run(0, 1);
    await plan;
    while (!failed && nextSegment < starts.length) {
      const s = nextSegment++;
      // With more segments than workers, a worker idles once none is left to start: the last one then gets a
      // frame-threaded decoder, so it takes the idle cores as the others finish. With one per worker they all
      // run side by side from the start, where frame threads would only compete (measured slower).
      // With fewer segments than workers, the cores no segment takes go to the last one.
      const last = s === starts.length - 1;
      await run(s, last && starts.length > workers ? workers : last && starts.length < workers ? workers - starts.length + 1 : 1);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, k) => worker(k === 0)));
  advance();
  return { frames, complete: !failed && committed === starts.length };
}

/** Same frame, same metrics (NaN equals NaN: a lag not yet available). */
function same(a: FrameMetrics, b: FrameMetrics): boolean {
  if (a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i], y = b.values[i];
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  for (let i = 0; i < a.thumb.length; i++) if (a.thumb[i] !== b.thumb[i]) return false;
  return true;
}
