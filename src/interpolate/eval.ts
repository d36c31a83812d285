// `eval interpolate`: PSNR / SSIM of the in-between against the true frame b
// of each triplet [a, b, c] (at t = (b - a) / (c - a): the middle, or thirds with --factor 3), for toonscope and two baselines anyone can run (a
// 50/50 blend and ffmpeg minterpolate mi_mode=mci), per clip and on average,
// plus labelled side-by-side PNGs of a few triplets.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage } from '../core/image.js';
import type { Progress } from '../core/progress.js';
import type { Image } from '../core/types.js';
import { readFrames } from './frames.js';
import { blend, interpolate, type InterpolateOptions, type Synthesizer } from './interp.js';
import { psnr, specks, ssim } from './metrics.js';
import { minterpolate } from './minterp.js';
import { sideBySide } from './sidebyside.js';
import type { Clip, Triplet } from './truth.js';
import type { SynfigClip } from './synfig.js';
import { readImage } from '../core/image.js';
import { ToonscopeError } from '../core/errors.js';
import type { Signature } from './pairs.js';
import { clipSignatures, drawingsFromSignatures, neighbours } from './truth.js';
import { easeTimes, motionSpeed, type Speeds } from './timing.js';

export const METHODS = ['blend', 'minterpolate', 'toonscope', 'learned'] as const;
export type Method = (typeof METHODS)[number];

export interface Score {
  psnr: number;
  ssim: number;
  /** Isolated wrong pixels per 10,000 (metrics.ts `specks`); lower is cleaner. */
  specks: number;
}

export interface TripletResult {
  triplet: Triplet;
  /** Time of the truth frame between a and c: (b - a) / (c - a). */
  t: number;
  scores: Partial<Record<Method, Score>>;
  /** Seconds toonscope took for this in-between. */
  seconds: number;
  /** Where toonscope put the in-between (share of the a→c motion): t unless the neighbouring drawings showed an ease. */
  position?: number;
  /** The speeds (per frame of display) and gaps the ease was read from, when both neighbours exist. */
  speeds?: Speeds;
  sideBySide?: string;
}

export interface ClipResult {
  clip: string;
  source: string;
  size: [number, number];
  triplets: TripletResult[];
  mean: Partial<Record<Method, Score>>;
}

export interface EvalReport {
  clips: ClipResult[];
  /** Mean of the per-clip means (each clip with triplets counts once). */
  perClipAverage: Partial<Record<Method, Score>>;
  /** Clips with at least one triplet (the clips in perClipAverage). */
  scoredClips: number;
  /** Mean over all triplets. */
  tripletAverage: Partial<Record<Method, Score>>;
  triplets: number;
}

/** Anything that yields frames by index: a video clip or a folder of synfig renders. */
export interface EvalSource {
  name: string;
  source: string;
  triplets: Triplet[];
  /** The frames at these indices; with `partial`, indices past the end are left out. */
  frames(indices: number[], partial?: boolean): Promise<Map<number, Image>>;
  /** Signatures of every frame, for finding the drawings around each triplet. */
  signatures(): Promise<Signature[]>;
}

export function videoSource(c: Clip): EvalSource {
  return { name: c.name, source: c.source, triplets: c.triplets, frames: (ix, partial) => readFrames(c.video, ix, c.crop, undefined, partial), signatures: async () => c.signatures ?? clipSignatures(c) };
}

export function synfigSource(c: SynfigClip): EvalSource {
  return {
    name: `synfig:${c.name}`,
    source: c.factor === 2 ? 'synfig render at 48 fps (odd frames are truth)' : `synfig render at ${24 * c.factor} fps (every ${c.factor}th frame is input, the rest truth)`,
    triplets: c.triplets,
    frames: async (ix, partial) => {
      if (!partial && ix.some((i) => !c.frames[i])) throw new ToonscopeError(undefined, `synfig render of ${c.name} has no frame ${ix.find((i) => !c.frames[i])}`);
      return new Map(await Promise.all(ix.filter((i) => c.frames[i]).map(async (i) => [i, await readImage(c.frames[i])] as [number, Image])));
    },
    signatures: async () => c.signatures,
  };
}

export interface EvalOptions {
  /** Folder for side-by-side PNGs (none written when absent). */
  outDir?: string;
  /** Side-by-side images per clip (default 2), plus every eased in-between. */
  sideBySide?: number;
  /** Run the ffmpeg minterpolate baseline (default true). */
  minterpolate?: boolean;
  interp?: InterpolateOptions;
  /**
   * Show toonscope and minterpolate the input frames before a and after c (a - (c - a) and c + (c - a),
   * the neighbours in the half-rate input), as in video mode: toonscope follows an ease they show
   * (timing.ts), minterpolate uses them in its motion search. Default true.
   */
  context?: boolean;
  /** Also score an installed learned interpolator (`toonscope models`) on the same triplets, as 'learned'. */
  learned?: Synthesizer;
  progress?: Progress;
}

function mean(rows: Partial<Record<Method, Score>>[]): Partial<Record<Method, Score>> {
  const out: Partial<Record<Method, Score>> = {};
  for (const m of METHODS) {
    const s = rows.map((r) => r[m]).filter((x): x is Score => !!x);
    if (s.length) out[m] = { psnr: s.reduce((a, b) => a + b.psnr, 0) / s.length, ssim: s.reduce((a, b) => a + b.ssim, 0) / s.length, specks: s.reduce((a, b) => a + b.specks, 0) / s.length };
  }
  return out;
}

const score = (img: Image, truth: Image): Score => ({ psnr: psnr(img, truth), ssim: ssim(img, truth), specks: specks(img, truth) });

export async function evaluate(sources: EvalSource[], opts: EvalOptions = {}): Promise<EvalReport> {
  const clips: ClipResult[] = [];
  const perSide = opts.sideBySide ?? 2;
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  for (const src of sources) {
    // The drawings around each triplet in the half-rate input, then all the frames needed in one decoding pass.
    const useContext = opts.context !== false;
    const drawings = useContext ? drawingsFromSignatures(await src.signatures()) : undefined;
    const around = drawings ? src.triplets.map((t) => neighbours(drawings, t)) : [];
    const extra = around.flatMap((n) => [n.prev, n.next]).filter((i): i is number => i !== undefined);
    const frames = await src.frames([...src.triplets.flat(), ...extra], true);
    for (const i of src.triplets.flat()) if (!frames.has(i)) throw new ToonscopeError(undefined, `${src.name}: triplet frame ${i} is past the end of the clip`);
    const results: TripletResult[] = [];
    const showAt = new Set(perSide > 0 ? Array.from({ length: Math.min(perSide, src.triplets.length) }, (_, k) => Math.floor(((k + 0.5) * src.triplets.length) / Math.min(perSide, src.triplets.length))) : []);
    let size: [number, number] = [0, 0];
    for (let k = 0; k < src.triplets.length; k++) {
      const [a, b, c] = src.triplets[k];
      const A = frames.get(a)!, B = frames.get(b)!, C = frames.get(c)!;
      size = [A.width, A.height];
      const t0 = performance.now();
      // The drawings before a and after c in the half-rate input (none across a cut or past the clip), per frame of display.
      const nb = around[k];
      const P = nb?.prev === undefined ? undefined : frames.get(nb.prev);
      const N = nb?.next === undefined ? undefined : frames.get(nb.next);
      const speeds = nb && P && N ? {
        prev: (await motionSpeed(P, A)) / nb.gaps[0],
        cur: (await motionSpeed(A, C)) / nb.gaps[1],
        next: (await motionSpeed(C, N)) / nb.gaps[2],
        gaps: nb.gaps,
      } : undefined;
      const t = (b - a) / (c - a);
      const position = speeds ? easeTimes([t], speeds, opts.interp?.ease)[0] : t;
      const ours = await interpolate(A, C, t, { ...opts.interp, speeds });
      const seconds = (performance.now() - t0) / 1000;
      const bl = blend(A, C, t);
      // minterpolate sees the same input frames.
      const mi = opts.minterpolate === false ? undefined : await minterpolate(A, C, P, N, { num: b - a, den: c - a });
      const scores: TripletResult['scores'] = { blend: score(bl, B), toonscope: score(ours, B) };
      if (mi) scores.minterpolate = score(mi, B);
      // The learned model gets the eased position the hand-built pipeline used.
      const ml = opts.learned ? await opts.learned.between(A, C, position) : undefined;
      if (ml) scores.learned = score(ml, B);
      const r: TripletResult = { triplet: [a, b, c], t, scores, seconds, position, speeds };
      // Eased in-betweens are always shown: they are where the neighbouring drawings changed the result.
      if (opts.outDir && (showAt.has(k) || position !== t)) {
        const panels = [{ label: `blend ${scores.blend!.psnr.toFixed(2)} dB`, image: bl }];
        if (mi) panels.push({ label: `minterpolate ${scores.minterpolate!.psnr.toFixed(2)} dB`, image: mi });
        panels.push({ label: `toonscope ${scores.toonscope!.psnr.toFixed(2)} dB`, image: ours });
        if (ml) panels.push({ label: `${opts.learned!.name} ${scores.learned!.psnr.toFixed(2)} dB`, image: ml });
        panels.push({ label: `truth (frame ${b})`, image: B });
        r.sideBySide = join(opts.outDir, `${src.name.replace(/[^\w.-]+/g, '_')}_${a}_${b}_${c}.png`);
        await writeImage(r.sideBySide, await sideBySide(panels));
      }
      results.push(r);
      opts.progress?.tick();
    }
    clips.push({ clip: src.name, source: src.source, size, triplets: results, mean: mean(results.map((r) => r.scores)) });
  }
  return {
    clips,
    perClipAverage: mean(clips.filter((c) => c.triplets.length).map((c) => c.mean)),
    scoredClips: clips.filter((c) => c.triplets.length).length,
    tripletAverage: mean(clips.flatMap((c) => c.triplets.map((t) => t.scores))),
    triplets: clips.reduce((n, c) => n + c.triplets.length, 0),
  };
}

/** A plain-text table of the report (per clip, then averages). */
export function formatReport(r: EvalReport): string {
  const ms = METHODS.filter((m) => r.tripletAverage[m]);
  const head = ['clip'.padEnd(34), 'n'.padStart(3), ...ms.map((m) => `${m} PSNR/SSIM`.padStart(26)), 'gain vs mi'.padStart(11)].join(' ');
  const cell = (s?: Score) => (s ? `${s.psnr.toFixed(2)} dB / ${s.ssim.toFixed(4)}`.padStart(26) : ''.padStart(26));
  const gain = (m: Partial<Record<Method, Score>>) => (m.toonscope && m.minterpolate ? `${(m.toonscope.psnr - m.minterpolate.psnr >= 0 ? '+' : '')}${(m.toonscope.psnr - m.minterpolate.psnr).toFixed(2)} dB` : '').padStart(11);
  const lines = [head, '-'.repeat(head.length)];
  for (const c of r.clips) lines.push([c.clip.slice(0, 34).padEnd(34), String(c.triplets.length).padStart(3), ...ms.map((m) => cell(c.mean[m])), gain(c.mean)].join(' '));
  lines.push('-'.repeat(head.length));
  lines.push(['average over clips'.padEnd(34), String(r.scoredClips).padStart(3), ...ms.map((m) => cell(r.perClipAverage[m])), gain(r.perClipAverage)].join(' '));
  lines.push(['average over triplets'.padEnd(34), String(r.triplets).padStart(3), ...ms.map((m) => cell(r.tripletAverage[m])), gain(r.tripletAverage)].join(' '));
  // Torn flow leaves specks that cost little PSNR but catch the eye.
  const sp = (m: Partial<Record<Method, Score>>) => ms.map((k) => (m[k] ? m[k]!.specks.toFixed(2) : '').padStart(13)).join(' ');
  lines.push('', `${'specks per 10,000 px (lower: cleaner)'.padEnd(38)} ${ms.map((m) => m.padStart(13)).join(' ')}`);
  for (const c of r.clips) if (c.triplets.length) lines.push(`${c.clip.slice(0, 38).padEnd(38)} ${sp(c.mean)}`);
  lines.push(`${'average over clips'.padEnd(38)} ${sp(r.perClipAverage)}`);
  return lines.join('\n');
}
