// Decoded frames kept in memory for a process's later passes over the same video.
//
// `analyze` decodes an episode's sampled frames once for its first pass, and the
// learned pass asks for the same frames again, three or four times (training
// maps, probe frames, background frames, the shots where it found someone).
// Each of those is an ffmpeg run that decodes the video up to its last frame:
// on a short clip they were about a third of the learned pass. Frames decode to
// the same pixels whichever run decodes them, so a kept frame is the frame.
import { statSync } from 'node:fs';
import type { Frame } from './types.js';

/** Default budget, in bytes (TOONSCOPE_FRAME_CACHE_MB overrides; 0 turns keeping off). */
const DEFAULT_MB = 256;

/** How many bytes of frames may be kept (0: none). */
export function frameBudget(): number {
  const v = process.env.TOONSCOPE_FRAME_CACHE_MB;
  const mb = v === undefined || v === '' ? DEFAULT_MB : Number(v);
  return Number.isFinite(mb) && mb > 0 ? mb * 2 ** 20 : 0;
}

let used = 0;
/** Frames given from memory since the process started (a decode they saved): for tests and the bench. */
export const frameCacheStats = { hits: 0 };
const kept = new Map<string, Map<number, Frame>>();

/**
 * The kept frames of one video at one size and way of selecting, or undefined when keeping is off or the file cannot
 * be read. Keyed by the file's size and modification time too: a file replaced under the same name is another video.
 */
export function framesOf(path: string, size: { width: number; height: number }, how: string): Map<number, Frame> | undefined {
  if (!frameBudget()) return undefined;
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  const key = `${path}\0${st.size}\0${st.mtimeMs}\0${size.width}x${size.height}\0${how}`;
  let m = kept.get(key);
  if (!m) kept.set(key, (m = new Map()));
  return m;
}

/**
 * Keep a copy of `frame` while the budget lasts. Nothing is evicted: passes scan a video from start to end, where
 * evicting the oldest would keep only frames the next scan reaches last, after it has decoded all the others; the
 * first frames kept are hits on every later pass.
 */
export function keepFrame(into: Map<number, Frame> | undefined, frame: Frame): void {
  if (!into || into.has(frame.index) || used + frame.data.length > frameBudget()) return;
  into.set(frame.index, { ...frame, data: new Uint8Array(frame.data) });
  used += frame.data.length;
}

/** A kept frame as a copy of its own (callers may write into what they are given). */
export function keptFrame(from: Map<number, Frame> | undefined, index: number): Frame | undefined {
  const f = from?.get(index);
  if (!f) return undefined;
  frameCacheStats.hits++;
  return { ...f, data: new Uint8Array(f.data) };
}

/** Drop every kept frame (the end of an analysis: a long-lived process, the app, should not hold them). */
export function forgetFrames(): void {
  kept.clear();
  used = 0;
}
