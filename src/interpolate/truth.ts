// Evaluation clips from truth files (../shared/data/anime/*.truth.json style):
// the video beside the file, an optional crop (three-panel clips keep only the
// left third), and triplets [a, b, c] where b is the true in-between of a and c.
// Files without `interpolation_triplets` get triplets derived from the clip:
// consecutive distinct drawings (held frames and cuts found by pairs.ts) that
// are evenly spaced in time, so the middle drawing sits exactly halfway.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { z, frame, readJsonFile } from '../core/schema.js';
import { classifyPair, signature, type Signature } from './pairs.js';
import { readAll } from './frames.js';
import { probe } from '../core/video.js';
import { spread } from '../core/spread.js';

export type Triplet = [number, number, number];

export interface Clip {
  name: string;
  video: string;
  crop?: string;
  triplets: Triplet[];
  /** Where the triplets came from. */
  source: 'truth file' | 'derived from held drawings' | 'synfig render';
  /** Signatures of every frame, when they were already read (deriving triplets reads them). */
  signatures?: Signature[];
}

/** Expand files and directories into the list of truth files. */
export function truthFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new ToonscopeError(p, 'no such file or directory');
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p).filter((f) => f.endsWith('.truth.json')).sort();
      if (!found.length) throw new ToonscopeError(p, 'no *.truth.json files in this directory');
      out.push(...found.map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}

/** The fields eval interpolate reads; the rest of a truth file (cuts, notes, fps as text) is not its business. */
const InterpTruthFile = z.looseObject({
  video: z.string().min(1),
  layout: z.string().optional(),
  interpolation_triplets: z.array(z.tuple([frame, frame, frame]).refine(([a, b, c]) => a < b && b < c, 'expected three increasing frame indices [a, b, c]')).optional(),
});

/** Read one truth file (triplets may still be empty: see `deriveTriplets`). */
export function readTruth(path: string): Clip {
  const json = readJsonFile(InterpTruthFile, path, 'expected {"video": "clip.mp4", "interpolation_triplets": [[a, b, c], ...]}');
  const video = resolve(dirname(path), json.video);
  if (!existsSync(video)) throw new ToonscopeError(path, `its video ${json.video} is missing`);
  const crop = /left third/i.test(json.layout ?? '') ? 'crop=iw/3:ih:0:0' : undefined;
  const triplets: Triplet[] = (json.interpolation_triplets ?? []).map(([a, b, c]) => [a, b, c]);
  // A triplet past the video's end would be scored against frames that never decode.
  const frames = triplets.length ? probe(video).frames : null;
  const late = frames === null ? -1 : triplets.findIndex((t) => t[2] >= frames);
  if (late >= 0) throw new ToonscopeError(path, `interpolation_triplets[${late}]: frame ${triplets[late][2]} is past the end of ${json.video} (${frames} frames)`);
  return { name: basename(path).replace(/\.truth\.json$/, ''), video, crop, triplets, source: 'truth file' };
}

// Re-exported for the interpolation sources that pick frames with it.
export { spread } from '../core/spread.js';

/** Where each distinct drawing starts (frame index) and which shot it is in: held frames and cuts by pairs.ts. */
export interface Drawings {
  starts: number[];
  shots: number[];
}

export function drawingsFromSignatures(sigs: Signature[]): Drawings {
  const starts: number[] = [0];
  const shots: number[] = [0];
  let shot = 0;
  for (let i = 1; i < sigs.length; i++) {
    const k = classifyPair(sigs[i - 1], sigs[i]);
    if (k === 'held') continue;
    if (k === 'cut') shot++;
    starts.push(i);
    shots.push(shot);
  }
  return { starts, shots };
}

/**
 * Triplets of consecutive, evenly spaced distinct drawings inside one shot. With
 * `factor` f, runs of f + 1 such drawings d0..df give f - 1 triplets [d0, dj, df]:
 * the input is every f-th drawing and dj the truth at time j/f.
 */
export function tripletsFromSignatures(sigs: Signature[], max = 12, factor = 2): Triplet[] {
  const { starts, shots } = drawingsFromSignatures(sigs);
  const out: Triplet[] = [];
  for (let k = 0; k + factor < starts.length; k++) {
    if (shots[k] !== shots[k + factor]) continue;
    const run = starts.slice(k, k + factor + 1);
    if (run.every((s, j) => j === 0 || s - run[j - 1] === run[1] - run[0])) {
      for (let j = 1; j < factor; j++) out.push([run[0], run[j], run[factor]]);
    }
  }
  return spread(out, max);
}

/**
 * The drawings around a triplet in the half-rate input (the clip without b and
 * every other drawing like it): as many drawings before a and after c as lie
 * between a and c, in the same shot. Frame indices and the display gaps in
 * frames, as video mode sees them.
 */
export function neighbours(d: Drawings, [a, , c]: Triplet): { prev?: number; next?: number; gaps: [number, number, number] } {
  const at = (f: number) => {
    let k = 0;
    while (k + 1 < d.starts.length && d.starts[k + 1] <= f) k++;
    return k;
  };
  const ka = at(a), kc = at(c), step = Math.max(1, kc - ka);
  const kp = ka - step, kn = kc + step;
  const prev = kp >= 0 && d.shots[kp] === d.shots[ka] ? d.starts[kp] : undefined;
  const next = kn < d.starts.length && d.shots[kn] === d.shots[kc] ? d.starts[kn] : undefined;
  const gc = Math.max(1, d.starts[kc] - d.starts[ka]);
  return { prev, next, gaps: [prev === undefined ? gc : d.starts[ka] - prev, gc, next === undefined ? gc : next - d.starts[kc]] };
}

/** Signatures of every frame of a clip (at 320 px, the size the held/cut thresholds were set on). */
export async function clipSignatures(clip: Clip): Promise<Signature[]> {
  const sigs: Signature[] = [];
  for await (const f of readAll(clip.video, 320, clip.crop)) sigs.push(signature(f));
  return sigs;
}

/** The clip's triplets; derived from its held drawings when the file has none, or when `factor` is not 2 (file triplets are halfway). */
export async function deriveTriplets(clip: Clip, max = 12, factor = 2): Promise<Clip> {
  if (clip.triplets.length && factor === 2) return clip;
  const signatures = await clipSignatures(clip);
  return { ...clip, triplets: tripletsFromSignatures(signatures, max, factor), source: 'derived from held drawings', signatures };
}
