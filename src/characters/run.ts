// What `toonscope characters` does for one file: detect, then store COCO
// JSON, mask PNGs and overlay images under <workspace>/characters/<name>/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { readImage, writeImage } from '../core/image.js';
import { probe } from '../core/video.js';
import type { Workspace } from '../core/workspace.js';
import type { Progress } from '../core/progress.js';
import { CocoWriter } from './coco.js';
import { fullMask } from './masks.js';
import { overlay } from './overlay.js';
import { detectCharacters } from './pipeline.js';
import type { Character, CharacterDetector } from './types.js';
import { analysisFrames, charactersInVideo, type VideoOptions } from './video.js';
import { detectShots } from '../shots/detect.js';

export const IMAGE_EXT = /\.(png|jpe?g|webp|bmp|tiff?|gif|avif)$/i;

/** What `runImage` / `runVideo` did: counts, timing and where the COCO JSON, masks and overlays went. */
export interface RunSummary {
  file: string;
  kind: 'image' | 'video';
  dir: string;
  coco: string;
  frames: number;
  keyframes: number;
  characters: number;
  faces: number;
  seconds: number;
  secondsPerMinute?: number;
}

function outDir(ws: Workspace, file: string): string {
  const stem = basename(file, extname(file)).replace(/[^\w.-]+/g, '_') || 'input';
  const dir = ws.file('characters', stem);
  // A new run replaces the previous one's files (stale masks would mislead).
  for (const sub of ['masks', 'overlays']) {
    rmSync(`${dir}/${sub}`, { recursive: true, force: true });
    mkdirSync(`${dir}/${sub}`, { recursive: true });
  }
  return dir;
}

async function saveFrame(dir: string, tag: string, frame: Parameters<typeof overlay>[0], chars: Character[]): Promise<void> {
  await writeImage(`${dir}/overlays/${tag}.jpg`, overlay(frame, chars), 88);
  for (const [k, c] of chars.entries()) if (c.body?.mask) await writeImage(`${dir}/masks/${tag}-${k + 1}.png`, fullMask(c.body, frame.width, frame.height));
}

/** Detect characters in one image file and write COCO JSON, mask PNGs and an overlay into the workspace. */
export async function runImage(ws: Workspace, file: string, chain: CharacterDetector[]): Promise<RunSummary> {
  const t0 = performance.now();
  const frame = await readImage(file);
  const chars = await detectCharacters(frame, chain);
  const dir = outDir(ws, file);
  await saveFrame(dir, 'image', frame, chars);
  const coco = new CocoWriter(chain.map((d) => d.name));
  coco.add({ file_name: resolve(file), width: frame.width, height: frame.height }, chars);
  writeFileSync(`${dir}/coco.json`, JSON.stringify(coco.doc));
  return {
    file, kind: 'image', dir, coco: `${dir}/coco.json`, frames: 1, keyframes: 1,
    characters: chars.filter((c) => c.body).length, faces: chars.filter((c) => c.face).length, seconds: (performance.now() - t0) / 1000,
  };
}

/** Options of `runVideo`: analysis rate and size, keyframe spacing, what to write, progress. */
export interface VideoRunOptions extends VideoOptions {
  /** Write mask PNGs and overlays for every analysed frame, not only keyframes. */
  allFrames?: boolean;
  progress?: (total: number) => Progress;
}

/** Detect characters in a video (keyframes, carried by optical flow between) and write COCO JSON, masks and overlays. */
export async function runVideo(ws: Workspace, file: string, chain: CharacterDetector[], opts: VideoRunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const info = probe(file);
  const row = ws.addVideo(info);
  const dir = outDir(ws, file);
  const params = { chain: chain.map((d) => d.name), fps: opts.fps ?? 8, every: opts.every ?? 2, watch: opts.watch ?? 0.5, width: opts.width ?? 640, frames: 'source-index', max: opts.maxFrames ?? null };
  // The workspace keeps the shots, so a re-run (or a later `shots`/`analyze`) does not decode for them again.
  const shots = opts.shots ?? (await detectShots(file, { workspace: ws }));
  ws.setStage(row.id, 'characters', params, 'running');
  const coco = new CocoWriter(chain.map((d) => d.name));
  const fps = Math.min(params.fps, info.fps);
  const step = fps < info.fps ? Math.max(1, Math.round(info.fps / fps)) : 1;
  const total = analysisFrames(shots.shots, step, opts.maxFrames).length;
  const bar = opts.progress?.(total);
  let frames = 0, keys = 0, chars = 0, faces = 0;
  for await (const r of charactersInVideo(file, chain, { ...opts, shots })) {
    frames++;
    if (r.keyframe) keys++;
    chars += r.characters.filter((c) => c.body).length;
    faces += r.characters.filter((c) => c.face).length;
    const tag = String(r.source).padStart(6, '0');
    coco.add({ file_name: `${resolve(file)}#frame=${r.source}`, width: r.frame.width, height: r.frame.height, frame: r.source, time: r.frame.time, keyframe: r.keyframe }, r.characters);
    // Overlays where the chain found someone: keyframes, and frames where a watch found a new face.
    if (r.keyframe || r.added || opts.allFrames) await saveFrame(dir, tag, r.frame, r.characters);
    bar?.tick();
  }
  writeFileSync(`${dir}/coco.json`, JSON.stringify(coco.doc));
  const seconds = (performance.now() - t0) / 1000;
  const summary: RunSummary = {
    file, kind: 'video', dir, coco: `${dir}/coco.json`, frames, keyframes: keys, characters: chars, faces, seconds,
    secondsPerMinute: info.duration ? (seconds / Math.min(info.duration, (frames * step) / info.fps)) * 60 : undefined,
  };
  ws.setStage(row.id, 'characters', params, 'done', summary);
  bar?.done(`${frames} frames, ${keys} keyframes, ${seconds.toFixed(1)} s`);
  return summary;
}
