// A character detector that toonscope trains itself, per series. The
// anime-face cascade finds some characters with confidence; their boxes
// label the cells of a dense MobileNetV2 feature map (stride 16) of the same
// frames as "character" against the series' own backgrounds, and a linear
// classifier learns that. It then lights characters the cascade never
// finds (profiles, backs, other drawing styles, other characters of the
// same series): connected regions of lit cells become body boxes and masks.
// It learns "a character of this series", not who she is: identity comes
// from the embedding and the dictionary downstream.
import type { Box, Detection, FeatureMap, Image } from '../core/types.js';
import { resize } from '../core/image.js';
import { denseFeatures } from '../embed/backend.js';
import type { CharacterDetector } from './types.js';
import { opencv, type CV } from '../core/opencv.js';
import { coverage, grow, iou } from '../core/box.js';
import { CellMatrix } from './cells.js';
import { clip } from './masks.js';
import { cutAll, cutJob, warmCutThread, GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD, type CutJob } from './cut.js';

/** Stride-16 cells: fine enough for bodies of characters a tenth of the frame wide, half the cost of the whole net. */
export const LEARNED_LAYER = 'block_13_expand_relu';
export const LEARNED_STRIDE = 16;

export interface LearnedParams {
  /** Width the frame is resized to for the feature map (a multiple of the stride). */
  width: number;
  /** A cell is lit when its probability reaches this. */
  threshold: number;
  /** Smallest region kept, in cells. */
  minCells: number;
  /** Smallest mean probability of a kept region. */
  minScore: number;
}

export const LEARNED_DEFAULTS: LearnedParams = { width: 384, threshold: 0.5, minCells: 6, minScore: 0.65 };

/** A linear classifier over feature cells, with what it was trained on. */
export interface LearnedModel {
  version: 1;
  layer: string;
  stride: number;
  dim: number;
  w: number[];
  b: number;
  params: LearnedParams;
  /** Training cells (positive, negative) and frames; for reports. */
  trained: { positive: number; negative: number; frames: number; ignored: number; losses: number[] };
  /**
   * One classifier per look a person taught (her cells against everything else): "a character of this series" lights
   * characters standing together as one region, her own map lights her alone.
   */
  looks?: Look[];
}

/** A taught look's classifier over the same cells as the model's. */
export interface Look {
  name: string | null;
  /** The taught boxes (their ids) it learned from: what a candidate of its map must look like most. */
  taught: number[];
  w: number[];
  b: number;
  /** Core cells of her boxes off her outline, so not learned as her (a neighbour her drawn box holds); for reports. */
  offOutline?: number;
}

/**
 * The pixel size a frame is resized to for its feature map: `width` on its longer side (a portrait frame `width`
 * tall, so its characters span as many cells as in a landscape frame) and the frame's aspect, rounded to the stride.
 */
export function mapSize(frame: { width: number; height: number }, width: number, stride: number): [number, number] {
  const long = Math.max(stride, Math.round(width / stride) * stride);
  const short = (side: number, other: number) => Math.max(stride, Math.round((long * side) / other / stride) * stride);
  return frame.height > frame.width ? [short(frame.width, frame.height), long] : [long, short(frame.height, frame.width)];
}

/** Feature map of a frame at the model's width on its longer side (`mapSize`). */
export async function frameFeatures(frame: Image, width = LEARNED_DEFAULTS.width, layer = LEARNED_LAYER, stride = LEARNED_STRIDE): Promise<FeatureMap> {
  const [w, h] = mapSize(frame, width, stride);
  const img = frame.width === w && frame.height === h && frame.channels === 3 ? frame : await resize(frame, w, h);
  return denseFeatures(img.data, w, h, layer, stride);
}

/** Where a box (frame pixels) falls on the map's cells. */
function cellScale(fm: Pick<FeatureMap, 'cols' | 'rows' | 'stride'>, frame: { width: number; height: number }): { sx: number; sy: number } {
  return { sx: (fm.cols * fm.stride) / frame.width, sy: (fm.rows * fm.stride) / frame.height };
}

/**
 * Cell labels from known characters: 1 inside a body's core (the middle of
 * its box, where the character is, not the background corners), 0 well
 * outside every box, -1 (ignored) on the margins. Boxes in frame pixels.
 */
export function cellLabels(fm: FeatureMap, frame: { width: number; height: number }, boxes: Box[]): Int8Array {
  const { sx, sy } = cellScale(fm, frame);
  const out = new Int8Array(fm.cols * fm.rows);
  const s = fm.stride;
  for (let r = 0; r < fm.rows; r++) {
    for (let c = 0; c < fm.cols; c++) {
      const cx = ((c + 0.5) * s) / sx, cy = ((r + 0.5) * s) / sy;
      let lab = 0;
      for (const [x, y, w, h] of boxes) {
        if (cx > x + 0.2 * w && cx < x + 0.8 * w && cy > y + 0.08 * h && cy < y + 0.92 * h) { lab = 1; break; }
        const mx = s / sx, my = s / sy;
        if (cx > x - mx && cx < x + w + mx && cy > y - my && cy < y + h + my) lab = -1;
      }
      out[r * fm.cols + c] = lab;
    }
  }
  return out;
}

export interface TrainingFrame {
  fm: FeatureMap;
  labels: Int8Array;
  /** Background cells known to be someone else (another taught look): never set aside as a character nobody found. */
  sure?: Uint8Array;
  /** A look's frames: how many of her boxes' core cells lie off her outline (not learned as her). */
  offOutline?: number;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function score(fm: FeatureMap, i: number, w: Float64Array, b: number): number {
  let z = b;
  const o = i * fm.dim;
  for (let k = 0; k < fm.dim; k++) z += w[k] * fm.data[o + k];
  return z;
}

/**
 * Balanced logistic regression by full-batch gradient descent with a step
 * that adapts: a step that raised the loss is undone and halved, one that
 * lowered it grows a little. So the loss never rises, whatever the features'
 * scale, and the result does not depend on where the epochs stop.
 */
function fit(frames: TrainingFrame[], use: (f: number, i: number) => boolean, dim: number, epochs: number): { w: Float64Array; b: number; pos: number; neg: number; losses: number[] } {
  let pos = 0, neg = 0;
  // The cells it learns from, copied once into the SIMD kernel's memory (cells.ts): every pass is two products there.
  const lab: number[] = [];
  const cells = new CellMatrix(frames.map((t, f) => {
    const idx: number[] = [];
    t.labels.forEach((l, i) => { if (l >= 0 && use(f, i)) { idx.push(i); lab.push(l); l ? pos++ : neg++; } });
    return { data: t.fm.data, idx: Int32Array.from(idx) };
  }), dim);
  let w = new Float64Array(dim);
  let b = 0;
  const losses: number[] = [];
  if (!pos || !neg) return { w, b, pos, neg, losses };
  const wp = 0.5 / pos, wn = 0.5 / neg, l2 = 1e-4;
  // Loss and gradient at (w, b), one pass over the cells.
  const eval_ = (w: Float64Array, b: number, g: Float64Array): { loss: number; gb: number } => {
    const s = cells.scores(w), errs = cells.errors;
    let gb = 0, loss = 0;
    for (let j = 0; j < lab.length; j++) {
      const l = lab[j], z = b + s[j], p = sigmoid(z), wt = l ? wp : wn;
      // log(1 + e^-|z|) + max(z, 0) - l z: the cross-entropy without overflow.
      loss += wt * (Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - l * z);
      const err = (p - l) * wt;
      gb += err;
      errs[j] = err;
    }
    const gx = cells.gradient();
    let reg = 0;
    for (let k = 0; k < dim; k++) { g[k] = gx[k] + l2 * w[k]; reg += w[k] * w[k]; }
    return { loss: loss + 0.5 * l2 * reg, gb };
  };
  let g = new Float64Array(dim), g2 = new Float64Array(dim);
  let cur = eval_(w, b, g);
  losses.push(cur.loss);
  let step = 2;
  for (let e = 0; e < epochs && step > 1e-6; e++) {
    const w2 = new Float64Array(dim);
    for (let k = 0; k < dim; k++) w2[k] = w[k] - step * g[k];
    const b2 = b - step * cur.gb;
    const next = eval_(w2, b2, g2);
    if (next.loss > cur.loss) { step /= 2; continue; }
    [w, b, cur] = [w2, b2, next];
    [g, g2] = [g2, g];
    losses.push(cur.loss);
    step *= 1.2;
  }
  return { w, b, pos, neg, losses };
}

/**
 * Train on frames whose known characters label their cells. A character the
 * cascade missed in a training frame is labelled background there; so after
 * a first fit, background regions the classifier still lights as a
 * character (a group of at least `minCells` cells) are set aside and it is
 * fitted again: it learns from the background it is sure of.
 */
export function trainLearned(frames: TrainingFrame[], params: Partial<LearnedParams> = {}, epochs = 80): LearnedModel | undefined {
  const p = { ...LEARNED_DEFAULTS, ...params };
  if (!frames.length) return undefined;
  const dim = frames[0].fm.dim;
  const first = fit(frames, () => true, dim, epochs);
  if (!first.pos || !first.neg) return undefined;
  // Background cells lit in groups: probably characters nobody found. Ignore them in the second fit.
  const doubtful = frames.map((t) => {
    const lit = new Uint8Array(t.labels.length);
    for (let i = 0; i < lit.length; i++) lit[i] = t.labels[i] === 0 && !t.sure?.[i] && sigmoid(score(t.fm, i, first.w, first.b)) >= p.threshold ? 1 : 0;
    const drop = new Uint8Array(lit.length);
    for (const region of regions(lit, t.fm.cols, t.fm.rows)) if (region.length >= p.minCells) for (const i of region) drop[i] = 1;
    return drop;
  });
  const ignored = doubtful.reduce((a, d) => a + d.reduce((x, y) => x + y, 0), 0);
  const second = fit(frames, (f, i) => !doubtful[f][i], dim, epochs);
  return {
    version: 1, layer: LEARNED_LAYER, stride: LEARNED_STRIDE, dim, w: [...second.w], b: second.b, params: p,
    trained: { positive: second.pos, negative: second.neg, frames: frames.length, ignored, losses: second.losses.map((l) => +l.toFixed(6)) },
  };
}

/** Probability per cell, of the model or of one of its looks. */
export function probabilities(model: Pick<LearnedModel, 'w' | 'b'>, fm: FeatureMap): Float32Array {
  const w = Float64Array.from(model.w);
  const out = new Float32Array(fm.cols * fm.rows);
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(score(fm, i, w, model.b));
  return out;
}

/**
 * Cell labels for one taught look: her boxes' cores are positive (but where her `outlines` are given, only the core
 * cells on her outline: a box drawn around her holds her neighbours too), background negative, the cores of looks
 * taught under other names negative (someone else); every other known box is ignored (a first-pass box may be her).
 * `all` are every known box of the frame, `hers` and `others` subsets of them.
 */
export function lookLabels(fm: FeatureMap, frame: { width: number; height: number }, all: Box[], hers: Box[], others: Box[], outlines: Outline[] = []): TrainingFrame {
  const labels = cellLabels(fm, frame, all);
  const mine = hers.length ? cellLabels(fm, frame, hers) : undefined;
  const not = others.length ? cellLabels(fm, frame, others) : undefined;
  const outside = outlines.length ? offOutline(fm, frame, outlines) : undefined;
  const sure = new Uint8Array(labels.length);
  let off = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mine?.[i] === 1 && outside?.[i]) off++;
    // A core cell off her outline is what her box holds besides her (a neighbour in front or beside her): not her, but
    // not surely background either, unless it is someone taught under another name.
    if (mine?.[i] === 1) labels[i] = !outside?.[i] ? 1 : not?.[i] === 1 ? 0 : -1;
    else if (labels[i] !== 0) labels[i] = not?.[i] === 1 ? 0 : -1;
    if (not?.[i] === 1 && labels[i] === 0) sure[i] = 1;
  }
  return { fm, labels, sure, offOutline: off };
}

/** Her outline on a frame: the box a person drew, and what of it is her (refined inside it; its box may be smaller). */
export interface Outline { drawn: Box; her: Detection }

/**
 * Cells whose centre lies inside a drawn box but off her mask there: her box without her. GrabCut looked at the whole
 * drawn box (and around it), so what it left out of her, inside the box or beside her tighter box, is not her. A cell
 * counts as hers when her mask covers any pixel of the cell's middle half (thin parts, a tail or an arm, are her).
 * A cell centre inside no drawn box is not marked (nothing is known there).
 */
export function offOutline(fm: Pick<FeatureMap, 'cols' | 'rows' | 'stride'>, frame: { width: number; height: number }, outlines: Outline[]): Uint8Array {
  const { sx, sy } = cellScale(fm, frame);
  const hx = fm.stride / sx / 4, hy = fm.stride / sy / 4;
  const out = new Uint8Array(fm.cols * fm.rows);
  /** Whether her mask covers a pixel of [x0, x1) x [y0, y1) (frame pixels). */
  const covers = ({ box: [bx, by], mask }: Detection, x0: number, x1: number, y0: number, y1: number): boolean => {
    if (!mask) return true;
    for (let y = Math.max(0, Math.floor(y0 - by)); y < Math.min(mask.height, Math.ceil(y1 - by)); y++) {
      for (let x = Math.max(0, Math.floor(x0 - bx)); x < Math.min(mask.width, Math.ceil(x1 - bx)); x++) if (mask.data[y * mask.width + x]) return true;
    }
    return false;
  };
  for (let r = 0; r < fm.rows; r++) {
    for (let c = 0; c < fm.cols; c++) {
      const cx = ((c + 0.5) * fm.stride) / sx, cy = ((r + 0.5) * fm.stride) / sy;
      const holding = outlines.filter(({ drawn: [x, y, w, h] }) => cx >= x && cy >= y && cx < x + w && cy < y + h);
      out[r * fm.cols + c] = holding.length && !holding.some((o) => covers(o.her, cx - hx, cx + hx, cy - hy, cy + hy)) ? 1 : 0;
    }
  }
  return out;
}

/** Indices of the set cells. */
function regionCells(set: ArrayLike<number>, cols: number, rows: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < cols * rows; i++) if (set[i]) out.push(i);
  return out;
}

/** 4-connected regions of set cells, each as a list of cell indices. */
export function regions(set: ArrayLike<number>, cols: number, rows: number): number[][] {
  const seen = new Uint8Array(cols * rows);
  const out: number[][] = [];
  for (let s = 0; s < cols * rows; s++) {
    if (!set[s] || seen[s]) continue;
    const region: number[] = [];
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      region.push(i);
      const c = i % cols, r = (i / cols) | 0;
      for (const [dc, dr] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const nc = c + dc, nr = r + dr;
        if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
        const j = nr * cols + nc;
        if (set[j] && !seen[j]) { seen[j] = 1; stack.push(j); }
      }
    }
    out.push(region);
  }
  return out;
}

/**
 * Characters on a probability map, as body detections in frame pixels.
 * Only characters nobody found yet come out. A lit region reaching a `known`
 * box (a face found alone, or a box of unknown kind) is that character and is
 * dropped. A region reaching only found `bodies` may also hold a second
 * character standing against them: what lies beyond their margins is kept
 * when a piece of it is at least half as big as the smallest body it touches
 * (her arm or hair is far smaller than she is; a second character is not).
 * Each region's mask is the probability map, bilinearly upsampled inside its
 * box, at the threshold.
 */
export function mapToDetections(prob: Float32Array, fm: Pick<FeatureMap, 'cols' | 'rows' | 'stride'>, frame: { width: number; height: number }, params: LearnedParams, known: Box[] = [], frameIndex = 0, bodies: Box[] = []): Detection[] {
  const { cols, rows, stride } = fm;
  const sx = (cols * stride) / frame.width, sy = (rows * stride) / frame.height;
  const cw = stride / sx, ch = stride / sy;
  const lit = new Uint8Array(cols * rows);
  for (let i = 0; i < lit.length; i++) lit[i] = prob[i] >= params.threshold ? 1 : 0;
  const all = [...known, ...bodies];
  // Whether a cell's centre lies in a box (frame pixels).
  const inside = (i: number, [x, y, w, h]: Box) => {
    const cx = ((i % cols) + 0.5) * cw, cy = (((i / cols) | 0) + 0.5) * ch;
    return cx >= x && cx <= x + w && cy >= y && cy <= y + h;
  };
  // A cell is near a found character inside her box or the cell-wide margin her map bleeds into.
  const near = (i: number, b: Box) => inside(i, grow(b, cw, ch));
  // A found body's size in lit cells (the map lights a body's core, not its whole box): what a second character is measured by.
  const litCells = regionCells(lit, cols, rows);
  const litIn = (b: Box) => litCells.filter((i) => inside(i, b)).length;
  for (const region of regions(lit, cols, rows)) {
    const touched = all.flatMap((b, k) => (region.some((i) => near(i, b)) ? [k] : []));
    if (!touched.length) continue;
    // Her arm, her hair, the rest of a close-up whose face alone was found: that character, not someone new.
    const splittable = touched.every((k) => k >= known.length);
    for (const i of region) if (!splittable || touched.some((k) => near(i, all[k]))) lit[i] = 0;
    if (!splittable) continue;
    // Beside found bodies: a piece far smaller than the bodies it borders is theirs; one at least half as big may be someone new.
    const rest = new Uint8Array(cols * rows);
    for (const i of region) rest[i] = lit[i];
    for (const piece of regions(rest, cols, rows)) {
      const borders = touched.filter((k) => piece.some((i) => near(i, grow(all[k], cw, ch))));
      const size = Math.min(...(borders.length ? borders : touched).map((k) => litIn(all[k])));
      if (piece.length < 0.5 * size) for (const i of piece) lit[i] = 0;
    }
  }
  const out: Detection[] = [];
  for (const region of regions(lit, cols, rows)) {
    if (region.length < params.minCells) continue;
    const mean = region.reduce((a, i) => a + prob[i], 0) / region.length;
    if (mean < params.minScore) continue;
    let c0 = cols, c1 = -1, r0 = rows, r1 = -1;
    for (const i of region) {
      const c = i % cols, r = (i / cols) | 0;
      c0 = Math.min(c0, c); c1 = Math.max(c1, c); r0 = Math.min(r0, r); r1 = Math.max(r1, r);
    }
    // Core cells were labelled from the middle 60% of a body's width: the region's edge cells sit about a fifth of a
    // body inside its box, so widen by a cell's worth on each side (clipped to the frame).
    const x0 = Math.max(0, (c0 - 0.5) * cw), x1 = Math.min(frame.width, (c1 + 1.5) * cw);
    const y0 = Math.max(0, (r0 - 0.25) * ch), y1 = Math.min(frame.height, (r1 + 1.25) * ch);
    const box: Box = [x0, y0, x1 - x0, y1 - y0];
    // What is left around a known character (a ring or a strip of its margin) is that character again, not another.
    if (all.some((k) => coverage(box, k) > 0.35)) continue;
    const mw = Math.max(1, Math.round(box[2])), mh = Math.max(1, Math.round(box[3]));
    const inRegion = new Uint8Array(cols * rows);
    for (const i of region) inRegion[i] = 1;
    const data = new Uint8Array(mw * mh);
    const p = (j: number) => (inRegion[j] ? prob[j] : 0);
    for (let y = 0; y < mh; y++) {
      for (let x = 0; x < mw; x++) {
        // Bilinear over cell centres, counting only this region's cells.
        const fx = ((x0 + x + 0.5) * sx) / stride - 0.5, fy = ((y0 + y + 0.5) * sy) / stride - 0.5;
        const cx = Math.floor(fx), cy = Math.floor(fy), ax = fx - cx, ay = fy - cy;
        // The four cell centres around the pixel, clamped to the map (written out: this runs for every mask pixel).
        const ca = Math.min(cols - 1, Math.max(0, cx)), cb = Math.min(cols - 1, Math.max(0, cx + 1));
        const ra = Math.min(rows - 1, Math.max(0, cy)) * cols, rb = Math.min(rows - 1, Math.max(0, cy + 1)) * cols;
        let v = 0;
        v += (1 - ax) * (1 - ay) * p(ra + ca);
        v += ax * (1 - ay) * p(ra + cb);
        v += (1 - ax) * ay * p(rb + ca);
        v += ax * ay * p(rb + cb);
        // 255: confidently the character (GrabCut's sure seed), 128: probably, 0: background.
        data[y * mw + x] = v >= 0.85 ? 255 : v >= params.threshold ? 128 : 0;
      }
    }
    out.push({ frame: frameIndex, box, score: mean, label: 'body', mask: { width: mw, height: mh, channels: 1, data } });
  }
  return out;
}

/**
 * The most pixels `refine` cuts a region at: the detector chain's own cut of a close-up (its frame at 240 px wide
 * when faces are big, grabcut.ts) is 240 x 135 in a 16:9 frame. A bigger region is cut smaller and scaled back.
 */
export const CUT_PIXELS = 240 * 135;

/**
 * A cell-sized mask follows the character only roughly: GrabCut, seeded by
 * it (sure where the map is confident, probable where it is lit, background
 * around the box), snaps it to her outline. The box shrinks to the result.
 */
export function refine(cv: CV, frame: Image, d: Detection): Detection {
  const job = refineJob(frame, d);
  return 'done' in job ? job.done : refined(d, frame, job, cutJob(cv, frame, job, 2));
}

/**
 * `refine` for each of a frame's regions, their cuts made together (`cutAll`: on two cores, two at a time). The
 * same results as one `refine` after another.
 */
export async function refineAll(cv: CV, frame: Image, ds: Detection[]): Promise<Detection[]> {
  const jobs = ds.map((d) => refineJob(frame, d));
  const todo = jobs.flatMap((j) => ('done' in j ? [] : [j]));
  const cuts = await cutAll(cv, frame, todo.map(({ init, rect, pixels }) => ({ init, rect, pixels })), 2);
  let next = 0;
  return jobs.map((j, k) => ('done' in j ? j.done : refined(ds[k], frame, j, cuts[next++])));
}

type RefineJob = Required<CutJob> & { seeds: number };

/** A region's GrabCut labels and rectangle, or, when there is nothing to cut, its mask as it stands. */
function refineJob(frame: Image, d: Detection): RefineJob | { done: Detection } {
  const m = d.mask!;
  const [bx, by] = [Math.round(d.box[0]), Math.round(d.box[1])];
  const W = frame.width, H = frame.height;
  const padX = Math.round(0.15 * m.width), padY = Math.round(0.1 * m.height);
  const rect: [number, number, number, number] = [Math.max(0, bx - padX), Math.max(0, by - padY), Math.min(W, bx + m.width + padX), Math.min(H, by + m.height + padY)];
  const init = new Uint8Array(W * H).fill(GC_BGD);
  for (let y = rect[1]; y < rect[3]; y++) for (let x = rect[0]; x < rect[2]; x++) init[y * W + x] = GC_PR_BGD;
  let seeds = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      const v = m.data[y * m.width + x], X = bx + x, Y = by + y;
      if (!v || X >= W || Y >= H) continue;
      init[Y * W + X] = v === 255 ? GC_FGD : GC_PR_FGD;
      if (v === 255) seeds++;
    }
  }
  if (!seeds || rect[2] - rect[0] < 8 || rect[3] - rect[1] < 8) return { done: binary(d) };
  return { init, rect, seeds, pixels: CUT_PIXELS };
}

/** The region's mask with every lit pixel set. */
const binary = (d: Detection): Detection => ({ ...d, mask: { ...d.mask!, data: d.mask!.data.map((v) => (v ? 255 : 0)) } });

/** The region snapped to its cut `got` (full-frame 0/1), or as it stood if the cut kept too little of its sure seed. */
function refined(d: Detection, frame: Image, { init, rect, seeds }: RefineJob, got: Uint8Array): Detection {
  const W = frame.width, H = frame.height;
  const fg = seeded(got, init, rect, W);
  let x0 = W, y0 = H, x1 = -1, y1 = -1, n = 0;
  for (let y = rect[1]; y < rect[3]; y++) for (let x = rect[0]; x < rect[2]; x++) if (fg[y * W + x]) { n++; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (n < 0.2 * seeds) return binary(d);
  const mw = x1 - x0 + 1, mh = y1 - y0 + 1;
  const data = new Uint8Array(mw * mh);
  for (let y = 0; y < mh; y++) for (let x = 0; x < mw; x++) data[y * mw + x] = fg[(y + y0) * W + x + x0] ? 255 : 0;
  return { ...d, box: [x0, y0, mw, mh], mask: { width: mw, height: mh, channels: 1, data } };
}

/**
 * The pieces of a cut that hold a sure seed (GrabCut never relabels those);
 * the rest is dropped. A colour-model cut also flips stray specks of the
 * pad around the box (a lock of a neighbour's hair, a patch of sky), and
 * the box is taken from what is kept: specks far off would widen it.
 * 8-connected, inside `rect` (x0, y0, x1, y1); `fg` is full-frame, changed in place.
 */
export function seeded(fg: Uint8Array, init: Uint8Array, [x0, y0, x1, y1]: [number, number, number, number], W: number): Uint8Array {
  const keep = new Uint8Array(fg.length);
  const stack: number[] = [];
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const i = y * W + x;
    if (fg[i] && init[i] === GC_FGD && !keep[i]) { keep[i] = 1; stack.push(i); }
  }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % W, y = (i / W) | 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx, ny = y + dy;
      if (nx < x0 || ny < y0 || nx >= x1 || ny >= y1) continue;
      const j = ny * W + nx;
      if (fg[j] && !keep[j]) { keep[j] = 1; stack.push(j); }
    }
  }
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) fg[y * W + x] = keep[y * W + x];
  return fg;
}

/** A detection from a box a person drew: sure in its middle, probable elsewhere, for `refine` to snap to her outline. */
export function seedFromBox(box: Box, frameIndex = 0): Detection {
  const mw = Math.max(1, Math.round(box[2])), mh = Math.max(1, Math.round(box[3]));
  const data = new Uint8Array(mw * mh).fill(128);
  for (let y = Math.round(0.3 * mh); y < Math.round(0.7 * mh); y++) for (let x = Math.round(0.35 * mw); x < Math.round(0.65 * mw); x++) data[y * mw + x] = 255;
  return { frame: frameIndex, box: [Math.round(box[0]), Math.round(box[1]), mw, mh], score: 1, label: 'body', mask: { width: mw, height: mh, channels: 1, data } };
}

/**
 * A box a person drew (or one carried from it) refined to her outline: GrabCut pads the box it is given and may take
 * in her neighbours, but she is what lies inside the box.
 */
export function refineInside(cv: CV, frame: Image, box: Box, frameIndex = 0): Detection {
  return clip(refine(cv, frame, seedFromBox(box, frameIndex)), box, frameIndex) ?? seedFromBox(box, frameIndex);
}

/** Characters already found on a frame (frame pixels): whole bodies, and other boxes (faces found alone). */
export interface FoundOn { bodies: Box[]; others: Box[] }

/**
 * The learned model as a chain backend. `known(frame)` gives the characters
 * already found on that frame, which it skips; detections earlier in the
 * chain are skipped the same way.
 */
export class LearnedBodies implements CharacterDetector {
  readonly name = 'series';
  readonly labels = ['body'] as const;
  constructor(private readonly model: LearnedModel, private readonly known: (frame: number) => FoundOn = () => ({ bodies: [], others: [] })) {}

  /**
   * As a chain backend: the series map's detections (the looks' candidates need judging against her first, `look`),
   * a close-up whole rather than in pieces.
   */
  async detect(frame: Image, prior: Detection[], frameIndex = 0): Promise<Detection[]> {
    const r = await this.look(frame, prior, frameIndex);
    return r.detections.filter((d) => !r.looks.has(d) && !r.pieces.has(d));
  }

  /**
   * The detections with the probability map they came from (the learned pass also picks background there); `made` is
   * this frame's map if one exists. `pieces`: a full-width region lit mostly where a close-up of the same map is
   * lit, or half inside its box and lit partly there, by that close-up (the caller keeps the close-up or its pieces,
   * `dropPieces`).
   */
  async look(frame: Image, prior: Detection[], frameIndex = 0, made?: FeatureMap): Promise<{ detections: Detection[]; prob: Float32Array; fm: FeatureMap; looks: Map<Detection, Look>; pieces: Map<Detection, Detection> }> {
    // The GrabCut helper loads its opencv-js while the maps are made, not when the first cuts wait for it.
    warmCutThread();
    // A map made for training from this very frame (same size, same layer) is not made again.
    const [w, h] = mapSize(frame, this.model.params.width, this.model.stride);
    const fits = made && (made.layer ?? this.model.layer) === this.model.layer && made.stride === this.model.stride && made.dim === this.model.dim && made.cols * made.stride === w && made.rows * made.stride === h;
    const fm = fits ? made : await frameFeatures(frame, this.model.params.width, this.model.layer, this.model.stride);
    const prob = probabilities(this.model, fm);
    const found = this.known(frameIndex);
    const others = [...found.others, ...prior.filter((d) => d.label !== 'body').map((d) => d.box)];
    const bodies = [...found.bodies, ...prior.filter((d) => d.label === 'body').map((d) => d.box)];
    const at = (p: Float32Array, map = fm) => mapToDetections(p, map, frame, this.model.params, others, frameIndex, bodies);
    // The same models on a map of half the width: a close-up's character, in pieces on the full map, whole there.
    const half = await frameFeatures(frame, this.model.params.width / 2, this.model.layer, this.model.stride);
    // The series map's regions, then each taught look's (the candidates are judged and settled by the caller).
    const looks = this.model.looks ?? [];
    const maps = [
      acrossScales(at(prob), at(probabilities(this.model, half), half), frame),
      ...looks.map((l) => acrossScales(at(probabilities(l, fm)), at(probabilities(l, half), half), frame)),
    ];
    const cv = await opencv();
    const detections: Detection[] = [];
    const of = new Map<Detection, Look>();
    const pieces = new Map<Detection, Detection>();
    // Every map's regions cut together (two at a time on two cores).
    const cuts = await refineAll(cv, frame, maps.flatMap((m) => m.regions));
    let next = 0;
    maps.forEach(({ regions, pieceOf }, k) => {
      const refined = new Map(regions.map((d) => [d, cuts[next++]]));
      for (const [d, r] of refined) {
        detections.push(r);
        if (k > 0) of.set(r, looks[k - 1]);
        const whole = pieceOf.get(d);
        if (whole) pieces.set(r, refined.get(whole)!);
      }
    });
    return { detections, prob, fm, looks: of, pieces };
  }
}

/**
 * A character taking up this share of the frame or more is a close-up. Her face alone then spans more cells of the
 * full-width map than whole characters did in the frames the models learned from, and the map lights her in pieces
 * (an eye, the mouth, her hair, half her face); on the half-width map she is the size they learned, and lit whole.
 */
export const CLOSE_UP = 0.4;

/**
 * One map's regions from both widths: everything the full-width map lit, which tells small and neighbouring
 * characters apart, and each region of the half-width map as big as a close-up, with the full-width regions lit
 * mostly where it is lit, or half inside its box and lit partly there, as its pieces (she, lit in pieces; which
 * stands is for the judging, `dropPieces`).
 */
export function acrossScales(full: Detection[], half: Detection[], frame: { width: number; height: number }): { regions: Detection[]; pieceOf: Map<Detection, Detection> } {
  const big = half.filter((d) => d.box[2] * d.box[3] >= CLOSE_UP * frame.width * frame.height);
  const pieceOf = new Map<Detection, Detection>();
  for (const d of full) {
    // Lit mostly where she is lit (her arm may reach out of her box), or half inside her box and lit partly where
    // she is: the half-width map's cells are twice as big, and its region may be her body and the wall beside her
    // while her head, lit on the full map, lies above it. Someone in an unlit corner of her box is neither.
    const shares = big.map((b) => {
      const share = litShare(d, b);
      return share >= 0.5 || (share >= PIECE_LIT && coverage(d.box, b.box) >= 0.5) ? share : 0;
    });
    const k = shares.indexOf(Math.max(...shares));
    if (k >= 0 && shares[k] > 0) pieceOf.set(d, big[k]);
  }
  return { regions: [...big, ...full], pieceOf };
}

/** The share of a region's lit pixels on a close-up's lit pixels that makes it a piece of her when half inside her box. */
const PIECE_LIT = 0.25;

/** The share of `d`'s lit mask pixels (every other pixel each way) that fall on `on`'s lit mask (frame pixels). */
function litShare(d: Detection, on: Detection): number {
  const m = d.mask, o = on.mask;
  if (!m || !o) return 0;
  let lit = 0, inside = 0;
  for (let y = 0; y < m.height; y += 2) {
    for (let x = 0; x < m.width; x += 2) {
      if (!m.data[y * m.width + x]) continue;
      lit++;
      const ox = Math.floor(d.box[0] + x - on.box[0]), oy = Math.floor(d.box[1] + y - on.box[1]);
      if (ox >= 0 && oy >= 0 && ox < o.width && oy < o.height && o.data[oy * o.width + ox]) inside++;
    }
  }
  return lit ? inside / lit : 0;
}

/**
 * Judged candidates, each close-up or its pieces: a close-up taken whole stands for the pieces of her the full-width
 * map lit when it is at least as clearly a character as the best of them, by the likeness test's own measure
 * (`distances`: to the nearest known character and to the nearest background cut-out; the lower their ratio, the
 * clearer); otherwise the pieces stand and it goes: two neighbours the half-width map lit as one region are each nearer
 * someone than the blend of both. A piece whose close-up was turned down stands on its own. (A box a person drew is
 * never a close-up or a piece: on its frame it stands for whatever was lit on it, analyze/learn.ts `withTaught`.)
 * By the ratio, not the distance to a character alone: a close-up that took the scenery around her with her (Ciel
 * with his armchair and the dark wall above it, Black Butler's trailer, session 30) lies about as near him as his
 * piece does (0.149 against 0.153) but far nearer the episode's background (0.38 against 0.44), and until session 30
 * it won on the first and stood for him, a box twice his size. On the 20 clips the ratio chose otherwise than the
 * distance on 12 of the 84 such choices on truth frames; on 11 both were her, on that one the piece was.
 * A close-up in `forced` stands over its pieces whatever the ratios say: it stood on another frame of her shot
 * (analyze/learn.ts `closeUpsStand`).
 */
export function dropPieces(kept: Detection[], whole: (d: Detection) => Detection | undefined, distances: (d: Detection) => { character: number; background: number }, forced: ReadonlySet<Detection> = new Set()): Detection[] {
  const taken = new Set(kept);
  const piecesOf = new Map<Detection, Detection[]>();
  for (const d of kept) {
    const w = whole(d);
    if (w && taken.has(w)) piecesOf.set(w, [...(piecesOf.get(w) ?? []), d]);
  }
  const ratio = (d: Detection) => {
    // Judged candidates all passed `character < 0.8 * background`, so background > 0; should one be 0 (the candidate
    // is a background cut-out), it is the least clear.
    const { character, background } = distances(d);
    return background > 0 ? character / background : Infinity;
  };
  const gone = new Set<Detection>();
  for (const [w, pieces] of piecesOf) {
    const wins = forced.has(w) || ratio(w) <= Math.min(...pieces.map(ratio));
    for (const d of wins ? pieces : [w]) gone.add(d);
  }
  return kept.filter((d) => !gone.has(d));
}

/** A look's candidate under this share of a series region's box, partly outside it, is someone beside it (`settle`). */
export const SMALL_PART = 0.25;

/**
 * Judged candidates, settled. Among the looks' ones, surest first, one that is the same as a surer one (IoU over
 * 0.5: two looks found the same character) or a piece of it (half of either inside the other: her face lit inside
 * a body) goes. A series region the same as a kept look's, or holding half of its box, or half inside it, goes too,
 * unless it must `stay` (a taught box): it was her merged with her neighbours or the scenery, or a piece of her.
 * Judged first, so a wrong look's candidate never pushes out the right one's. A look's candidate that must `stay`
 * is kept before any other (two characters a person drew may overlap: a child in front of another). Two looks'
 * candidates with outlines are the same only when half of either's outline lies on the other's.
 * With `near` (distance to whom it should look like: her look's own boxes for a look's candidate, the nearest known
 * character for a series region), a series region whose looks' candidates are all pieces of it (nine tenths inside
 * it, at most half its box) and each farther from her look than it is from someone known stands, and those pieces
 * go: a look lit a part of someone else in her colours (Hawkmon's look on the red shirt of the boy beside him).
 * A look's candidate smaller than `SMALL_PART` of a series region's box and not nine tenths inside it does not push
 * the region out: she stands beside or in front of whoever the region is, partly outside it, not merged with them
 * (the vertical clip's background student at the frame's edge, in a corner of the boy's region): both stand.
 */
export function settle(kept: Detection[], lookOf: (d: Detection) => Look | undefined, stay: (d: Detection) => boolean = () => false, near?: (d: Detection) => number): Detection[] {
  // Boxes the same, or one half inside the other.
  const boxes = (a: Detection, b: Detection) => iou(a.box, b.box) > 0.5 || coverage(a.box, b.box) >= 0.5 || coverage(b.box, a.box) >= 0.5;
  // Two looks' candidates: also (with masks) half of either's outline on the other's. Two characters overlapping in
  // depth (a creature in front of another) share box but not outline. A series region is judged by boxes alone: it
  // may be lit on a hand or a tuft her outline left out.
  const same = (a: Detection, b: Detection) => boxes(a, b) && (!a.mask || !b.mask || Math.max(litShare(a, b), litShare(b, a)) >= 0.5);
  const mine = kept.filter((x) => lookOf(x) && stay(x));
  for (const d of kept.filter((x) => lookOf(x) && !stay(x)).sort((a, b) => b.score - a.score)) if (!mine.some((o) => same(o, d))) mine.push(d);
  const size = (b: Box) => b[2] * b[3];
  // A look's candidate that holds a region (and may push it out): not one small beside it, partly outside it.
  const holds = (m: Detection, d: Detection) => boxes(m, d) && !(size(m.box) < SMALL_PART * size(d.box) && coverage(m.box, d.box) < 0.9);
  const stands = new Set<Detection>(), beaten = new Set<Detection>();
  if (near) for (const d of kept) {
    if (lookOf(d) || stay(d)) continue;
    const held = mine.filter((m) => holds(m, d));
    const piece = (m: Detection) => !stay(m) && coverage(m.box, d.box) >= 0.9 && size(m.box) <= size(d.box) / 2 && near(d) < near(m);
    if (held.length && held.every(piece)) {
      stands.add(d);
      for (const m of held) beaten.add(m);
    }
  }
  const left = mine.filter((m) => !beaten.has(m));
  return kept.filter((d) => (lookOf(d) ? left.includes(d) : stay(d) || stands.has(d) || !left.some((m) => holds(m, d))));
}
