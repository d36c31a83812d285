// The optional outputs of `toonscope shots` (split files, stills, per-frame
// stats) and its folder inputs, kept apart from shots.ts so that file stays a
// list of steps.
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { intOption, type Context, type Values } from '../command.js';
import type { DetectShotsOptions, ShotResult } from '../../shots/detect.js';
import { splitShots, DEFAULT_SPLIT_NAME } from '../../shots/split.js';
import { shotImages } from '../../shots/images.js';
import { shotStats } from '../../shots/stats.js';
import { ToonscopeError } from '../../core/errors.js';

export const OUTPUTS_USAGE = [
  '  --split          one video file per shot, re-encoded (H.264/AAC) and frame-exact',
  '  --copy           with --split: copy the streams instead (fast, no quality loss), but a copy can only start',
  '                   on a keyframe: each file starts at the keyframe at or before its shot, so it may open',
  '                   with the end of the previous shot (up to one keyframe interval, often 2-10 s)',
  `  --split-name T   file name template for --split (default ${DEFAULT_SPLIT_NAME}); $VIDEO, $SHOT (001...),`,
  '                   $START and $END (first and last frame) are replaced',
  '  --images N       N stills per shot, spread from its first to its last frame (3: first, middle, last),',
  '                   written to images/ as VIDEO-shot-001-frame-000123.jpg (shot 1-based, frame 0-based)',
  '  --stats FILE     per-frame metrics as CSV (Frame Number, Timecode, every metric, Boundary) to plot and tune;',
  '                   with several videos, $VIDEO in FILE is the video\'s name (else it is added before the extension)',
];

export const OUTPUTS_OPTIONS = {
  split: { type: 'boolean' },
  copy: { type: 'boolean' },
  'split-name': { type: 'string' },
  images: { type: 'string' },
  stats: { type: 'string' },
} as const;

export interface Outputs {
  split: boolean;
  copy: boolean;
  splitName?: string;
  images?: number;
  stats?: string;
}

export function outputsOf(values: Values): Outputs {
  if (values.copy && !values.split) throw new ToonscopeError(undefined, '--copy only goes with --split');
  if (values['split-name'] && !values.split) throw new ToonscopeError(undefined, '--split-name only goes with --split');
  return {
    split: Boolean(values.split), copy: Boolean(values.copy), splitName: values['split-name'] as string | undefined,
    images: intOption(values, 'images', 1, 100), stats: values.stats as string | undefined,
  };
}

const VIDEO_EXT = /\.(mp4|m4v|mkv|webm|mov|avi|mpe?g|ts|m2ts|flv|wmv|ogv)$/i;

/** Positional inputs with every folder replaced by the videos inside it (name order). */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      // A missing file is reported by the video probe, with the usual one-line message.
    }
    if (!dir) {
      out.push(p);
      continue;
    }
    const videos = readdirSync(p).filter((f) => VIDEO_EXT.test(f)).sort().map((f) => join(p, f)).filter((f) => statSync(f).isFile());
    if (!videos.length) throw new ToonscopeError(p, 'folder holds no video files (looked for .mp4, .mkv, .webm, .mov, .avi, ...)');
    out.push(...videos);
  }
  return out;
}

/** Where --stats goes for one video of `count`. */
export function statsPath(template: string, video: string, count: number): string {
  const stem = basename(video, extname(video));
  if (template.includes('$VIDEO')) return resolve(template.replaceAll('$VIDEO', stem));
  if (count === 1) return resolve(template);
  const ext = extname(template);
  return resolve(dirname(template), `${basename(template, ext)}-${stem}${ext || '.csv'}`);
}

/** Write the requested outputs for one video; returns the files (or folders) by kind. */
export async function writeOutputs(video: string, r: ShotResult, dir: string, o: Outputs, metricsOpts: DetectShotsOptions, ctx: Context, count = 1): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  if (o.stats) {
    // The metrics are in the workspace already (detectShots saved them): this reads them back, no decode.
    files.stats = statsPath(o.stats, video, count);
    mkdirSync(dirname(files.stats), { recursive: true });
    writeFileSync(files.stats, await shotStats(video, r.transitions, metricsOpts));
  }
  if (o.images) {
    files.images = join(dir, 'images');
    await shotImages(video, r.shots, files.images, { count: o.images, times: r.times });
  }
  if (o.split) {
    files.split = join(dir, 'split');
    const bar = ctx.progress(`split ${basename(video)}`, r.shots.length);
    await splitShots(video, r.shots, files.split, { copy: o.copy, name: o.splitName, onShot: (d) => bar.set(d) });
    bar.done();
  }
  return files;
}
