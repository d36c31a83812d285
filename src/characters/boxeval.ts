// `eval characters --boxes FILE`: faces and bodies on frames of real videos
// against hand-drawn boxes (no masks: nobody can draw those by hand for a
// fair sample). The truth file names videos and frame numbers only, so it can
// ship while the copyrighted clips stay outside the project.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { z, box, frame, readJsonFile } from '../core/schema.js';
import { decodeSelected, probe } from '../core/video.js';
import { prf, type PRF } from '../core/prf.js';
import type { Box, Image } from '../core/types.js';
import { boxIoU } from './masks.js';
import { match } from './evaluate.js';
import { detectCharacters } from './pipeline.js';
import type { Character, CharacterDetector } from './types.js';

export interface BoxTruthFrame {
  video: string;
  frame: number;
  /** The part of the frame that is the footage: "left-third" (side-by-side comparison clips) or [x, y, w, h]. */
  crop?: 'left-third' | Box;
  characters: { face?: Box; body?: Box }[];
}

export interface BoxTruth {
  about?: string;
  frames: BoxTruthFrame[];
}

export interface BoxFrameResult {
  video: string;
  frame: number;
  truth: number;
  faces: { found: number; tp: number };
  bodies: { found: number; tp: number };
}

export interface BoxReport {
  frames: number;
  characters: number;
  face: PRF;
  body: PRF;
  perFrame: BoxFrameResult[];
  secondsPerFrame: number;
}

const BoxTruthFile = z.looseObject({
  about: z.string().optional(),
  frames: z.array(z.looseObject({
    video: z.string().min(1),
    frame,
    crop: z.union([z.literal('left-third'), box]).nullish(),
    characters: z.array(z.looseObject({ face: box.optional(), body: box.optional() })),
  })),
});

export function readBoxTruth(file: string): BoxTruth {
  if (!existsSync(file)) throw new ToonscopeError(file, 'no such file');
  const t = readJsonFile(BoxTruthFile, file, 'expected {"frames": [{"video": NAME, "frame": N, "characters": [{"face": [x,y,w,h], "body": [x,y,w,h]}]}]}');
  return {
    about: t.about,
    frames: t.frames.map((f) => ({ video: f.video, frame: f.frame, crop: (f.crop ?? undefined) as BoxTruthFrame['crop'], characters: f.characters as BoxTruthFrame['characters'] })),
  };
}

function cropOf(img: Image, crop: BoxTruthFrame['crop']): Image {
  if (!crop) return img;
  const [x, y, w, h] = crop === 'left-third' ? [0, 0, Math.floor(img.width / 3), img.height] : crop.map(Math.round);
  const c = img.channels;
  const data = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) data.set(img.data.subarray(((y + r) * img.width + x) * c, ((y + r) * img.width + x + w) * c), r * w * c);
  return { width: w, height: h, channels: c, data };
}

/** Count matches at IoU 0.5 (one-to-one, best first). */
function score(found: Box[], truth: Box[]): number {
  return match(found.map((f) => truth.map((t) => boxIoU(f, t))), 0.5).length;
}

/** Run the chain on every truth frame (videos looked up in `dataDir`) and score faces and bodies at IoU 0.5. */
export async function evaluateBoxes(truthFile: string, dataDir: string, chain: CharacterDetector[], opts: { onFrame?: (f: BoxTruthFrame, image: Image, found: Character[]) => Promise<void> } = {}): Promise<BoxReport> {
  const truth = readBoxTruth(truthFile);
  const byVideo = new Map<string, BoxTruthFrame[]>();
  for (const f of truth.frames) byVideo.set(f.video, [...(byVideo.get(f.video) ?? []), f]);
  const perFrame: BoxFrameResult[] = [];
  let ft = 0, ff = 0, fn = 0, bt = 0, bf = 0, bn = 0, seconds = 0;
  for (const [video, frames] of byVideo) {
    const path = join(dataDir, video);
    const info = probe(path);
    const report = { missing: [] as number[] };
    const wanted = new Map(frames.map((f) => [f.frame, f]));
    for await (const frame of decodeSelected(path, [...wanted.keys()], { width: info.width, height: info.height }, { report })) {
      const t = wanted.get(frame.index)!;
      if (Array.isArray(t.crop) && (t.crop[0] + t.crop[2] > frame.width || t.crop[1] + t.crop[3] > frame.height)) {
        throw new ToonscopeError(truthFile, `frame ${t.frame} of ${video}: crop ${JSON.stringify(t.crop)} reaches outside the ${frame.width}x${frame.height} frame`);
      }
      const image = cropOf(frame, t.crop);
      const t0 = performance.now();
      const found = await detectCharacters(image, chain, frame.index);
      seconds += (performance.now() - t0) / 1000;
      const faces = found.flatMap((c) => (c.face ? [c.face.box] : []));
      const bodies = found.flatMap((c) => (c.body ? [c.body.box] : []));
      const tf = t.characters.flatMap((c) => (c.face ? [c.face] : []));
      const tb = t.characters.flatMap((c) => (c.body ? [c.body] : []));
      const fm = score(faces, tf), bm = score(bodies, tb);
      ft += fm; ff += faces.length - fm; fn += tf.length - fm;
      bt += bm; bf += bodies.length - bm; bn += tb.length - bm;
      perFrame.push({ video, frame: frame.index, truth: t.characters.length, faces: { found: faces.length, tp: fm }, bodies: { found: bodies.length, tp: bm } });
      await opts.onFrame?.(t, image, found);
    }
    if (report.missing.length) throw new ToonscopeError(path, `frame(s) ${report.missing.join(', ')} could not be decoded`);
  }
  return {
    frames: perFrame.length,
    characters: truth.frames.reduce((a, f) => a + f.characters.length, 0),
    face: prf(ft, ff, fn),
    body: prf(bt, bf, bn),
    perFrame,
    secondsPerFrame: perFrame.length ? seconds / perFrame.length : 0,
  };
}
