// `--split`: one video file per shot. By default each shot is re-encoded
// (H.264 + AAC) and holds exactly its frames: ffmpeg seeks to just before the
// shot's first frame (an exact seek when transcoding) and stops after its
// frame count. `copy` copies the streams instead: fast and lossless, but a
// copy can only start on a keyframe, so a shot starts at the keyframe at or
// before its first frame and carries the previous shot's tail.
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { runAsync } from '../core/ffmpeg.js';
import { probe } from '../core/video.js';
import type { Shot } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';

export const DEFAULT_SPLIT_NAME = '$VIDEO-shot-$SHOT.mp4';

/** Options of `splitShots`: file name template, stream copy or frame-exact re-encode, quality. */
export interface SplitOptions {
  /**
   * File name template: `$VIDEO` (the video's name without extension), `$SHOT` (1-based, 3 digits),
   * `$START` and `$END` (0-based first and last frame). Default `$VIDEO-shot-$SHOT.mp4`.
   */
  name?: string;
  /** Stream copy, keyframe-aligned (see the module comment); default false (re-encode, frame-exact). */
  copy?: boolean;
  /** x264 constant rate factor for re-encoding (default 18). */
  crf?: number;
  /** Called after each shot's file is written. */
  onShot?: (done: number, total: number) => void;
}

/** The file name a shot gets from a template (see SplitOptions.name). */
export function shotFileName(template: string, video: string, shot: Shot): string {
  const stem = basename(video, extname(video));
  const name = template
    .replaceAll('$VIDEO', stem)
    .replaceAll('$SHOT', String(shot.index + 1).padStart(3, '0'))
    .replaceAll('$START', String(shot.start))
    .replaceAll('$END', String(shot.end));
  if (name.includes('/') || name.includes('\\')) throw new ToonscopeError(undefined, `split name template must give a file name, not a path: "${template}"`);
  return name;
}

/** Write one video per shot into `dir`; returns the files in shot order. */
export async function splitShots(video: string, shots: readonly Shot[], dir: string, opts: SplitOptions = {}): Promise<string[]> {
  const info = probe(video);
  const template = opts.name ?? DEFAULT_SPLIT_NAME;
  if (!/\.[A-Za-z0-9]+$/.test(template)) throw new ToonscopeError(undefined, `split name template needs a file extension, e.g. "${DEFAULT_SPLIT_NAME}"`);
  const names = shots.map((s) => shotFileName(template, video, s));
  if (new Set(names).size !== names.length) throw new ToonscopeError(undefined, `split name template "${template}" gives several shots the same file name: use $SHOT`);
  mkdirSync(dir, { recursive: true });
  // Explicit file: paths, so a name starting with "-" or holding a "protocol:" is never read as anything else.
  const input = `file:${resolve(video)}`;
  // yuv420p needs even sizes: an odd edge loses its last pixel row or column.
  const even = info.width % 2 || info.height % 2 ? ['-vf', 'crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0'] : [];
  const out: string[] = [];
  for (const [k, s] of shots.entries()) {
    const file = join(resolve(dir), names[k]);
    const frames = s.end - s.start + 1;
    // Half a frame early so rounding never skips the shot's first frame (the seek is relative to the file's start);
    // the window is as much longer, and -frames:v stops the video at exactly the shot's frames.
    const early = opts.copy ? 0 : Math.min(0.5 / info.fps, s.startTime - info.startTime);
    const from = Math.max(0, s.startTime - info.startTime - early);
    const length = (s.endTime - s.startTime + early).toFixed(6);
    const common = ['-hide_banner', '-loglevel', 'error', '-y', '-ss', from.toFixed(6), '-i', input, '-map', '0:v:0', '-map', '0:a:0?', '-t', length];
    const codec = opts.copy
      ? ['-c', 'copy', '-avoid_negative_ts', 'make_zero']
      : ['-frames:v', String(frames), '-fps_mode', 'passthrough', ...even, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(opts.crf ?? 18), '-pix_fmt', 'yuv420p', '-c:a', 'aac'];
    await runAsync('ffmpeg', [...common, ...codec, `file:${file}`], video);
    out.push(file);
    opts.onShot?.(k + 1, shots.length);
  }
  return out;
}
