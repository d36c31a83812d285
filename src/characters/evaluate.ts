// `eval characters`: compare detections with a truth folder of image +
// instance-mask PNG pairs (NAME.jpg|png, NAME.mask-K.png, optional NAME.json
// with "faces": [[x,y,w,h], ...]). Figures: mean mask IoU per truth instance
// (a missed instance counts 0), body box P/R/F1 and face P/R/F1 at IoU 0.5.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { z, box, readJsonFile } from '../core/schema.js';
import { readImage } from '../core/image.js';
import { prf, type PRF } from '../core/prf.js';
import type { Box, Detection, Image } from '../core/types.js';
import { boxIoU, fullMask, maskBox, maskIoU } from './masks.js';
import { detectCharacters } from './pipeline.js';
import type { Character, CharacterDetector } from './types.js';

export interface TruthItem {
  name: string;
  image: string;
  masks: string[];
  faces: Box[] | null;
}

/** NAME.json beside a truth image: its face boxes (other fields are notes). */
const FacesFile = z.looseObject({ faces: z.array(box).optional() });

/** List the truth folder's items (images with at least one mask file). */
export function readTruthDir(dir: string): TruthItem[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ToonscopeError(dir, 'truth folder not found');
  const files = readdirSync(dir).sort();
  const items: TruthItem[] = [];
  for (const f of files) {
    const m = /^(.+)\.(jpe?g|png|webp)$/i.exec(f);
    if (!m || /\.mask-\d+$/.test(m[1])) continue;
    const name = m[1];
    const masks = files.filter((g) => g.startsWith(`${name}.mask-`) && /\.mask-\d+\.png$/.test(g)).map((g) => join(dir, g));
    let faces: Box[] | null = null;
    const meta = join(dir, `${name}.json`);
    if (existsSync(meta)) faces = (readJsonFile(FacesFile, meta, 'expected {"faces": [[x, y, w, h], ...]}').faces as Box[] | undefined) ?? null;
    items.push({ name, image: join(dir, f), masks, faces });
  }
  if (!items.length) throw new ToonscopeError(dir, 'no images with NAME.mask-K.png instance masks in this folder');
  return items;
}

export { prf, type PRF } from '../core/prf.js';

/** Greedy one-to-one matching by descending IoU; returns matched pairs [pred, truth, iou]. */
export function match(iou: number[][], min: number): Array<[number, number, number]> {
  const all: Array<[number, number, number]> = [];
  iou.forEach((row, i) => row.forEach((v, j) => all.push([i, j, v])));
  all.sort((a, b) => b[2] - a[2]);
  const pi = new Set<number>(), tj = new Set<number>();
  const out: Array<[number, number, number]> = [];
  for (const [i, j, v] of all) {
    if (v < min || pi.has(i) || tj.has(j)) continue;
    pi.add(i);
    tj.add(j);
    out.push([i, j, v]);
  }
  return out;
}

export interface ImageScore {
  name: string;
  ious: number[];
  body: PRF;
  face: PRF | null;
  seconds: number;
}

/** Score one image's characters against its truth masks and faces. */
export function scoreImage(name: string, width: number, height: number, chars: Character[], truth: Image[], faces: Box[] | null, seconds = 0): ImageScore {
  const bodies = chars.filter((c) => c.body).map((c) => c.body!) as Detection[];
  const pm = bodies.map((b) => fullMask(b, width, height));
  const mIoU = pm.map((p) => truth.map((t) => maskIoU(p, t)));
  const masks = match(mIoU, 1e-9);
  const ious = truth.map((_, j) => masks.find((m) => m[1] === j)?.[2] ?? 0);
  const tboxes = truth.map((t) => maskBox(t)!).filter(Boolean);
  const boxes = match(bodies.map((b) => tboxes.map((t) => boxIoU(b.box, t))), 0.5);
  const body = prf(boxes.length, bodies.length - boxes.length, tboxes.length - boxes.length);
  let face: PRF | null = null;
  if (faces) {
    const pf = chars.filter((c) => c.face).map((c) => c.face!.box);
    const fm = match(pf.map((p) => faces.map((t) => boxIoU(p, t))), 0.5);
    face = prf(fm.length, pf.length - fm.length, faces.length - fm.length);
  }
  return { name, ious, body, face, seconds };
}

export interface EvalReport {
  images: number;
  instances: number;
  meanIoU: number;
  /** Mean IoU over instances that were found at all (IoU > 0). */
  meanIoUFound: number;
  body: PRF;
  face: PRF | null;
  secondsPerImage: number;
  perImage: ImageScore[];
}

export function summarise(scores: ImageScore[]): EvalReport {
  const ious = scores.flatMap((s) => s.ious);
  const found = ious.filter((v) => v > 0);
  const sum = (k: 'body' | 'face', f: 'tp' | 'fp' | 'fn') => scores.reduce((a, s) => a + (s[k]?.[f] ?? 0), 0);
  const withFaces = scores.some((s) => s.face);
  return {
    images: scores.length,
    instances: ious.length,
    meanIoU: ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : 0,
    meanIoUFound: found.length ? found.reduce((a, b) => a + b, 0) / found.length : 0,
    body: prf(sum('body', 'tp'), sum('body', 'fp'), sum('body', 'fn')),
    face: withFaces ? prf(sum('face', 'tp'), sum('face', 'fp'), sum('face', 'fn')) : null,
    secondsPerImage: scores.reduce((a, s) => a + s.seconds, 0) / Math.max(1, scores.length),
    perImage: scores,
  };
}

export interface EvalOptions {
  limit?: number;
  /** Feed the truth face boxes to the chain instead of detecting faces (isolates segmentation quality). */
  oracleFaces?: boolean;
  onImage?: (item: TruthItem, chars: Character[], frame: Image, score: ImageScore) => Promise<void> | void;
}

export async function evaluate(dir: string, chain: CharacterDetector[], opts: EvalOptions = {}): Promise<EvalReport> {
  const items = readTruthDir(dir).slice(0, opts.limit ?? Infinity);
  const scores: ImageScore[] = [];
  for (const it of items) {
    const frame = await readImage(it.image);
    const truth = await Promise.all(it.masks.map((m) => readImage(m, { channels: 1, background: '#000000' })));
    for (const t of truth) {
      if (t.width !== frame.width || t.height !== frame.height) throw new ToonscopeError(it.masks[0], `mask is ${t.width}x${t.height}, image is ${frame.width}x${frame.height}`);
      for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i] >= 128 ? 255 : 0;
    }
    let use = chain;
    if (opts.oracleFaces) {
      const faces = (it.faces ?? []).map((box): Detection => ({ frame: 0, box, score: 1, label: 'face' }));
      const oracle: CharacterDetector = { name: 'truth-faces', labels: ['face'], detect: async () => faces };
      use = [oracle, ...chain.filter((d) => !d.labels.includes('face'))];
    }
    const t0 = performance.now();
    const chars = await detectCharacters(frame, use);
    const s = scoreImage(it.name, frame.width, frame.height, chars, truth, it.faces, (performance.now() - t0) / 1000);
    scores.push(s);
    await opts.onImage?.(it, chars, frame, s);
  }
  return summarise(scores);
}
