// Contact-sheet thumbnails from the decode that computes the metrics. Shots
// are only known after detection, so the decode samples every few frames
// (ffmpeg encodes them as small JPEGs on a second output, see core/video.ts)
// and this module keeps the samples a sheet can need: a sample is dropped
// when it repeats the last kept one (held drawings, static shots), so
// memory and storage follow the number of distinct pictures, not the length
// of the video. With a workspace, kept samples are stored with their metrics
// chunk and released, so a re-run whose metrics come from the cache still
// has its sheet.
import type { Workspace } from '../core/workspace.js';
import type { ThumbOptions } from '../core/video.js';
import { type FrameMetrics } from './metrics.js';
import { thumbDiff } from './picture.js';

/** Every how many frames the decode samples a thumbnail: detectors' shortest shot is 6 frames, so each holds two samples. */
export const THUMB_EVERY = 3;
/** Sheet thumbnail width in pixels. */
export const THUMB_WIDTH = 240;
/** A static stretch still keeps one sample this often (frames), so a shot's pick is near its middle. */
const HELD = 12;
/** Mean |difference| (0..255) of two frames' 16x16 metric thumbnails under which a sample repeats the last kept one. */
const SAME = 2;

/** Decode option that attaches each sampled JPEG to its frame's metrics, whichever of the two arrives first. */
export class ThumbJoiner {
  private early = new Map<number, Buffer>();
  constructor(private at: (index: number) => FrameMetrics | undefined) {}
  readonly options: ThumbOptions = {
    every: THUMB_EVERY,
    width: THUMB_WIDTH,
    onThumb: (index, jpeg) => {
      const m = this.at(index);
      if (m) m.jpeg = jpeg;
      else this.early.set(index, jpeg);
    },
  };
  /** Call with each new frame's metrics and the index its decode gave it. */
  pushed(m: FrameMetrics, index = m.index): void {
    const j = this.early.get(index);
    if (j) {
      m.jpeg = j;
      this.early.delete(index);
    }
  }
}

/** Drops samples that repeat the last kept one. Feed frames in video order. */
export class ThumbKeeper {
  private last?: FrameMetrics;
  prune(ms: FrameMetrics[]): void {
    for (const m of ms) {
      if (!m.jpeg) continue;
      const l = this.last;
      if (!l || m.index - l.index >= HELD || thumbDiff(m.thumb, l.thumb) > SAME) this.last = m;
      else delete m.jpeg;
    }
  }
}

/** A shot's thumbnail: the kept sample nearest its middle frame, inside the shot. */
export type ThumbPicker = (start: number, end: number) => { frame: number; jpeg: Buffer } | undefined;

/** Picker over metrics held in memory (no workspace). */
export function memoryPicker(metrics: FrameMetrics[]): ThumbPicker {
  return (start, end) => {
    const mid = (start + end) / 2;
    let best: FrameMetrics | undefined;
    for (let i = Math.max(0, start); i <= end && i < metrics.length; i++) {
      const m = metrics[i];
      if (m.jpeg && (!best || Math.abs(i - mid) < Math.abs(best.index - mid))) best = m;
    }
    return best?.jpeg ? { frame: best.index, jpeg: best.jpeg } : undefined;
  };
}

/** Picker over the samples stored in the workspace with the metrics chunks. */
export function workspacePicker(ws: Workspace, videoId: number, key: string): ThumbPicker {
  const q = ws.db.prepare('SELECT frame, jpeg FROM shot_thumbs WHERE video_id = ? AND key = ? AND frame BETWEEN ? AND ? ORDER BY abs(2 * frame - ?), frame LIMIT 1');
  return (start, end) => q.get(videoId, key, start, end, start + end) as { frame: number; jpeg: Buffer } | undefined;
}
