// Truth sets for the CAST pipeline: a video with known shots and, per frame,
// every character's box, identity and instance (one instance = one true
// track). Rendered from Debian's Ren'Py sprites (anime-style art the default
// detectors can see) or from drawn figures (always available).
import { writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { VideoWriter } from '../core/video.js';
import { ToonscopeError } from '../core/errors.js';
import type { Box } from '../core/types.js';
import type { Progress } from '../core/progress.js';
import { synthClip, CAST } from '../dictionary/synth.js';
import { renpyClip } from '../dictionary/renpy.js';

export interface CastTruth {
  video: string;
  fps: number;
  frames: number;
  width: number;
  height: number;
  /** First frames of new shots (also usable by `eval shots`). */
  cuts: number[];
  identities: string[];
  boxes: Array<{ frame: number; identity: number; instance: number; box: Box }>;
  source: string;
}

export interface MakeCastOptions {
  source?: 'renpy' | 'synthetic';
  shots?: number;
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Instances less visible than this are left out of the truth (hidden behind others). */
  minVisible?: number;
  progress?: Progress;
}

/** Render `DIR/cast.mp4` and `DIR/cast.truth.json`. */
export async function makeCastTruth(dir: string, opts: MakeCastOptions = {}): Promise<CastTruth> {
  mkdirSync(dir, { recursive: true });
  const source = opts.source ?? 'renpy';
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 24;
  const clip = source === 'renpy'
    ? await renpyClip({ width, height, fps, shots: opts.shots ?? 12, seed: opts.seed ?? 1 })
    : { ...synthClip({ width, height, fps, shots: opts.shots ?? 12, seed: opts.seed ?? 1 }), identities: CAST.map((c) => c.name) };
  const path = join(dir, 'cast.mp4');
  const w = new VideoWriter(path, width, height, fps, { crf: 16 });
  const boxes: CastTruth['boxes'] = [];
  opts.progress?.set(0, clip.frames);
  for (let i = 0; i < clip.frames; i++) {
    const { image, truth } = await clip.render(i);
    await w.write(image);
    for (const t of truth) if (t.visible >= (opts.minVisible ?? 0.25)) boxes.push({ frame: i, identity: t.identity, instance: t.instance, box: t.box.map((v) => Math.round(v)) as Box });
    opts.progress?.tick();
  }
  await w.close();
  const truth: CastTruth = { video: 'cast.mp4', fps, frames: clip.frames, width, height, cuts: clip.shots.slice(1).map((s) => s.start), identities: clip.identities, boxes, source };
  writeFileSync(join(dir, 'cast.truth.json'), JSON.stringify(truth));
  return truth;
}

export function loadCastTruth(file: string): CastTruth & { path: string } {
  if (!existsSync(file)) throw new ToonscopeError(file, 'no such truth file');
  let t: CastTruth;
  try {
    t = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ToonscopeError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(t.boxes) || typeof t.video !== 'string') throw new ToonscopeError(file, 'not a cast truth file (needs "video" and "boxes"; make one with `toonscope make-truth cast`)');
  return { ...t, path: resolve(dirname(file), t.video) };
}
