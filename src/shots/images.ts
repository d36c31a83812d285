// `--images N`: N stills per shot (first, middle and last frame for the
// default 3), each named by its shot and frame. Frames are picked by their
// exact presentation time (decodeSelected), not by a rounded seek.
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { decodeSelected, fitSize, probe } from '../core/video.js';
import { writeImage } from '../core/image.js';
import type { Shot } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';

/** Options of `shotImages`: stills per shot, size, format, and the frame times for exact selection. */
export interface ImagesOptions {
  /** Stills per shot (default 3: first, middle, last). */
  count?: number;
  /** Width in pixels (default: the video's own). */
  width?: number;
  /** 'jpg' (default) or 'png'. */
  format?: 'jpg' | 'png';
  /** Every frame's time, as ShotResult.times: makes the selection exact and seek-based on long videos. */
  times?: ArrayLike<number>;
}

/** The frames a shot's N stills show: evenly spread from its first to its last frame (one still: the middle). */
export function stillFrames(shot: Shot, count: number): number[] {
  if (count === 1) return [Math.floor((shot.start + shot.end) / 2)];
  const span = shot.end - shot.start;
  return [...new Set(Array.from({ length: count }, (_, k) => shot.start + Math.round((k * span) / (count - 1))))];
}

/** Write the stills into `dir` as VIDEO-shot-SSS-frame-FFFFFF.jpg; returns the files per shot. */
export async function shotImages(video: string, shots: readonly Shot[], dir: string, opts: ImagesOptions = {}): Promise<string[][]> {
  const count = opts.count ?? 3;
  if (!(Number.isInteger(count) && count >= 1)) throw new ToonscopeError(undefined, `images per shot must be a positive integer, got ${count}`);
  const info = probe(video);
  const size = opts.width ? fitSize(info, opts.width) : { width: info.width, height: info.height };
  const ext = opts.format ?? 'jpg';
  const stem = basename(video, extname(video));
  const owner = new Map<number, number[]>();
  const perShot = shots.map((s) => stillFrames(s, count));
  perShot.forEach((frames, k) => frames.forEach((f) => (owner.get(f) ?? owner.set(f, []).get(f)!).push(k)));
  mkdirSync(dir, { recursive: true });
  const files: string[][] = shots.map(() => []);
  const report = { missing: [] as number[] };
  for await (const frame of decodeSelected(video, [...owner.keys()], size, { times: opts.times, report })) {
    for (const k of owner.get(frame.index) ?? []) {
      const file = join(resolve(dir), `${stem}-shot-${String(shots[k].index + 1).padStart(3, '0')}-frame-${String(frame.index).padStart(6, '0')}.${ext}`);
      await writeImage(file, frame, 90);
      files[k].push(file);
    }
  }
  if (report.missing.length) throw new ToonscopeError(video, `could not decode frame(s) ${report.missing.slice(0, 5).join(', ')} for the stills`);
  for (const f of files) f.sort();
  return files;
}
