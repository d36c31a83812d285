// Truth sets for the CAST pipeline: a video with known shots and, per frame,
// every character's box, identity and instance (one instance = one true
// track). Rendered from Debian's Ren'Py sprites (anime-style art the default
// detectors can see) or from drawn figures (always available).
import { writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { VideoWriter } from '../core/video.js';
import { ToonscopeError } from '../core/errors.js';
import { z, integer, box, fps, frame, MAX_FRAME, MAX_PIXELS, readJsonFile } from '../core/schema.js';
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

/** What `make-truth cast` writes; hand-made files need `video`, `identities` and `boxes`. */
const CastTruthFile = z.looseObject({
  video: z.string().min(1),
  fps: fps.optional(),
  frames: integer().min(1).max(MAX_FRAME).optional(),
  width: integer().min(1).max(MAX_PIXELS).optional(),
  height: integer().min(1).max(MAX_PIXELS).optional(),
  cuts: z.array(frame).default([]),
  identities: z.array(z.string()),
  boxes: z.array(z.object({ frame, identity: integer().min(0), instance: integer().min(0), box })),
  source: z.string().default('unknown'),
}).superRefine((t, ctx) => {
  // Indices that point nowhere would be scored silently as another character or a frame that never comes.
  t.boxes.forEach((b, k) => {
    if (b.identity >= t.identities.length) ctx.addIssue({ code: 'custom', path: ['boxes', k, 'identity'], message: `expected an index into "identities" (< ${t.identities.length}), got ${b.identity}` });
    if (t.frames !== undefined && b.frame >= t.frames) ctx.addIssue({ code: 'custom', path: ['boxes', k, 'frame'], message: `expected a frame < "frames" (${t.frames}), got ${b.frame}` });
  });
});

export function loadCastTruth(file: string): CastTruth & { path: string } {
  if (!existsSync(file)) throw new ToonscopeError(file, 'no such truth file');
  const t = readJsonFile(CastTruthFile, file, 'a cast truth file: make one with `toonscope make-truth cast`');
  const frames = t.frames ?? t.boxes.reduce((m, b) => Math.max(m, b.frame + 1), 0);
  return { ...t, fps: t.fps ?? 24, frames, width: t.width ?? 0, height: t.height ?? 0, boxes: t.boxes.map((b) => ({ ...b, box: b.box as Box })), path: resolve(dirname(file), t.video) };
}
