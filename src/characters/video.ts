// Characters through a video without running the expensive chain on every
// frame: the chain runs on keyframes (the first frame of each shot and then
// every `every` seconds); in between, each character's box, mask and face are
// carried by the median Farneback optical flow inside its mask, computed at
// quarter size (~30 ms a frame). Keyframe detections are linked to carried
// ones by mask IoU so tracks keep their ids across keyframes.
import { decodeSelected, fitSize, probe } from '../core/video.js';
import { detectShots } from '../shots/detect.js';
import { DARK, LIGHT } from '../shots/metrics.js';
import type { Box, Detection, Frame, Image, Shot } from '../core/types.js';
import { opencv, toMat, using, type CV } from '../core/opencv.js';
import { boxIoU, clip, fullMask, maskIoU } from './masks.js';
import { cover, detectCharacters, group } from './pipeline.js';
import type { Character, CharacterDetector } from './types.js';

export interface VideoOptions {
  /** Analysis frame rate (frames per second decoded); default 8. */
  fps?: number;
  /** Analysis width; default 640. */
  width?: number;
  /** Seconds between keyframes inside a shot; default 2. */
  every?: number;
  /** Seconds between quick looks for a new face between keyframes (`Propagator`); default 0.5, 0: none. */
  watch?: number;
  /** The video's shots and every frame's time; default: found by the shots detector. */
  shots?: { shots: Pick<Shot, 'index' | 'start' | 'end'>[]; times: ArrayLike<number> };
  maxFrames?: number;
}

export interface VideoFrameResult {
  frame: Frame;
  /** Source frame number (from the presentation time). */
  source: number;
  keyframe: boolean;
  /** Characters a watch found on this frame between keyframes (`Propagator`). */
  added: number;
  characters: Character[];
}

/** Shrink a gray image by an integer factor (box average): the flow and cut tests run small. */
export function shrink(gray: Image, f: number): Image {
  const w = Math.floor(gray.width / f), h = Math.floor(gray.height / f);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = 0; j < f; j++) for (let i = 0; i < f; i++) s += gray.data[(y * f + j) * gray.width + x * f + i];
      out[y * w + x] = Math.round(s / (f * f));
    }
  }
  return { width: w, height: h, channels: 1, data: out };
}

export function grayOf(img: Image): Image {
  if (img.channels === 1) return img;
  const n = img.width * img.height, c = img.channels;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (img.data[i * c] * 77 + img.data[i * c + 1] * 150 + img.data[i * c + 2] * 29) >> 8;
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** Dense flow prev -> next (both gray, same size) as interleaved dx, dy. */
export function flow(cv: CV, prev: Image, next: Image): Float32Array {
  const a = toMat(cv, prev), b = toMat(cv, next), f = new cv.Mat();
  return using([a, b, f], () => {
    cv.calcOpticalFlowFarneback(a, b, f, 0.5, 3, 13, 3, 5, 1.1, 0);
    return new Float32Array(f.data32F);
  });
}

function median(v: number[]): number {
  if (!v.length) return 0;
  const s = [...v].sort((p, q) => p - q);
  return s[s.length >> 1];
}

/** Move a detection by (dx, dy), cropping box and mask to the frame. Returns undefined once it has left. */
export function shift(d: Detection, dx: number, dy: number, width: number, height: number, frame: number): Detection | undefined {
  return clip({ ...d, box: [d.box[0] + dx, d.box[1] + dy, d.box[2], d.box[3]] }, [0, 0, width, height], frame);
}

/**
 * How a detection moved between two frames: the median flow inside its mask (or box), in frame pixels, and how many
 * flow samples it read (none: it lies off the flow's grid, and its zero motion means nothing). With `spread`, also
 * the spread of that flow around the median (median absolute deviation, dx and dy combined): near zero when it moved
 * as one piece, large when its parts moved apart (a turn, a limb, someone passing in front). Only when asked: pass 1
 * carries every character on every frame and has no use for it.
 */
export function motion(d: Detection, fl: Float32Array, fw: number, fh: number, scale: number, spread: true): { dx: number; dy: number; samples: number; spread: number };
export function motion(d: Detection, fl: Float32Array, fw: number, fh: number, scale: number): { dx: number; dy: number; samples: number };
export function motion(d: Detection, fl: Float32Array, fw: number, fh: number, scale: number, spread = false): { dx: number; dy: number; samples: number; spread?: number } {
  const dxs: number[] = [], dys: number[] = [];
  const [bx, by, bw, bh] = d.box;
  const step = Math.max(1, Math.round(Math.min(bw, bh) / 24));
  for (let y = by; y < by + bh; y += step) {
    for (let x = bx; x < bx + bw; x += step) {
      if (d.mask && !d.mask.data[Math.floor(y - by) * d.mask.width + Math.floor(x - bx)]) continue;
      const sx = Math.floor(x / scale), sy = Math.floor(y / scale);
      if (sx < 0 || sy < 0 || sx >= fw || sy >= fh) continue;
      dxs.push(fl[(sy * fw + sx) * 2]);
      dys.push(fl[(sy * fw + sx) * 2 + 1]);
    }
  }
  const mx = median(dxs), my = median(dys);
  const out = { dx: mx * scale, dy: my * scale, samples: dxs.length };
  if (!spread) return out;
  return { ...out, spread: scale * Math.hypot(median(dxs.map((v) => Math.abs(v - mx))), median(dys.map((v) => Math.abs(v - my)))) };
}

/** Carry characters from the previous frame by the median flow inside each body mask (face box inside the face). */
export function carry(chars: Character[], fl: Float32Array, fw: number, fh: number, scale: number, width: number, height: number, frame: number): Character[] {
  return chars.flatMap((c) => carryOne(c, fl, fw, fh, scale, width, height, frame) ?? []);
}

/** One character carried (`carry`); undefined once she has left the frame. */
function carryOne(c: Character, fl: Float32Array, fw: number, fh: number, scale: number, width: number, height: number, frame: number): Character | undefined {
  const { dx, dy } = motion(c.body ?? c.face!, fl, fw, fh, scale);
  const body = c.body && shift(c.body, dx, dy, width, height, frame);
  const face = c.face && shift(c.face, dx, dy, width, height, frame);
  return body || face ? { ...(body ? { body } : {}), ...(face ? { face } : {}) } : undefined;
}

/** Grid a box's patch is compared on (`patchGrid`): coarse enough to forgive a mouth opening, fine enough to tell scenes apart. */
const PATCH_GRID = 12;

/**
 * A box's pixels on a gray image as a `PATCH_GRID` x `PATCH_GRID` grid of cell means (box in `img` pixels times
 * `scale`, clipped to the image); undefined when the box lies off it.
 */
export function patchGrid(img: Image, box: Box, scale: number): Float64Array | undefined {
  const x0 = Math.max(0, Math.floor(box[0] / scale)), y0 = Math.max(0, Math.floor(box[1] / scale));
  const x1 = Math.min(img.width, Math.ceil((box[0] + box[2]) / scale)), y1 = Math.min(img.height, Math.ceil((box[1] + box[3]) / scale));
  if (x1 - x0 < 2 || y1 - y0 < 2) return undefined;
  const n = PATCH_GRID, sum = new Float64Array(n * n), count = new Float64Array(n * n);
  for (let y = y0; y < y1; y++) {
    const gy = Math.min(n - 1, Math.floor(((y - y0) * n) / (y1 - y0)));
    for (let x = x0; x < x1; x++) {
      const g = gy * n + Math.min(n - 1, Math.floor(((x - x0) * n) / (x1 - x0)));
      sum[g] += img.data[y * img.width + x];
      count[g]++;
    }
  }
  for (let i = 0; i < n * n; i++) sum[i] = count[i] ? sum[i] / count[i] : 0;
  return sum;
}

/** Pearson r under which two grids of a carried box are uncorrelated (`samePatch`). */
const PATCH_R = 0.2;
/** Mean absolute difference (grey levels, 0-255) over which two grids of a carried box are far apart (`samePatch`). */
const PATCH_DIFF = 30;

/**
 * Whether two grids of a carried box (`patchGrid`) show the same thing: not when they are both uncorrelated (Pearson r
 * under `PATCH_R`) and far apart in grey level (mean absolute difference over `PATCH_DIFF`). Chosen in session 37 on
 * the carried boxes of analyze's first pass over the 20 development clips and the Violet Evergarden PV (each step's r
 * and difference printed; docs/cast.md): of the 2,139 steps inside the 20 clips' shots, r came under 0.2 on one, the
 * difference over 30 on five, both on one (a sword-swing smear on the Bleach clip); over the cuts the shots detector
 * missed in the PV (white flashes, envelope wipes) both on most.
 */
export function samePatch(a: Float64Array, b: Float64Array): boolean {
  const { r, diff } = patchLikeness(a, b);
  return r >= PATCH_R || diff <= PATCH_DIFF;
}

/** The whole frame's grid (`patchGrid`) on its half-size grey image `small`. */
function wholeGrid(small: Image, frame: Image): Float64Array | undefined {
  return patchGrid(small, [0, 0, frame.width, frame.height], frame.width / small.width);
}

/** Whether two whole-frame grids show the same picture (`samePatch`); with either missing, they do. */
function sameFrame(a: Float64Array | undefined, b: Float64Array | undefined): boolean {
  return !a || !b || samePatch(a, b);
}

/** Pearson correlation of two grids and their mean absolute difference (0-255). */
function patchLikeness(a: Float64Array, b: Float64Array): { r: number; diff: number } {
  const n = a.length;
  let ma = 0, mb = 0, diff = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; diff += Math.abs(a[i] - b[i]); }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  const r = saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : saa === sbb ? 1 : 0;
  return { r, diff: diff / n };
}

/** Give keyframe characters the track ids of the carried characters they overlap most (mask IoU >= 0.3), new ids otherwise. */
export function link(fresh: Character[], carried: Character[], width: number, height: number, nextId: () => number): void {
  const cm = carried.map((c) => (c.body ? fullMask(c.body, width, height) : undefined));
  const used = new Set<number>();
  for (const c of fresh) {
    const d = c.body ?? c.face!;
    let best = -1, bv = 0.3;
    carried.forEach((o, j) => {
      if (used.has(j)) return;
      const od = o.body ?? o.face!;
      const v = c.body && cm[j] ? maskIoU(fullMask(c.body, width, height), cm[j]!) : boxIoU(d.box, od.box);
      if (v >= bv) { bv = v; best = j; }
    });
    const id = best >= 0 ? ((carried[best].body ?? carried[best].face!).track ?? nextId()) : nextId();
    if (best >= 0) used.add(best);
    if (c.body) c.body.track = id;
    if (c.face) c.face.track = id;
  }
}

/**
 * Whether a frame is black or white all over: 95% of its pixels either black or white (every channel under DARK, or
 * every channel over LIGHT). Nobody shows on such a frame. A fade to black leaves no motion to follow, and the flow
 * held her box where she was on to the last black frame (a fan edit's fade-out: a box on a black frame). Asked of a
 * box (pixels, clipped to the frame), black and white are counted apart, as the fade detector counts them: 95% black,
 * or 95% white. A figure drawn in black lines on white fills her box with both, and is someone.
 */
export function blank(img: Image, coverage = 0.95, box?: Box): boolean {
  const c = img.channels, d = img.data;
  const [x0, y0, x1, y1] = box
    ? [Math.max(0, Math.floor(box[0])), Math.max(0, Math.floor(box[1])), Math.min(img.width, Math.ceil(box[0] + box[2])), Math.min(img.height, Math.ceil(box[1] + box[3]))]
    : [0, 0, img.width, img.height];
  const n = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  if (!n) return !box;
  let dark = 0, light = 0;
  for (let y = y0; y < y1; y++) for (let i = (y * img.width + x0) * c, end = (y * img.width + x1) * c; i < end; i += c) {
    let lo = true, hi = true;
    for (let k = 0; k < Math.min(c, 3); k++) {
      lo &&= d[i + k] < DARK;
      hi &&= d[i + k] > LIGHT;
    }
    if (lo) dark++;
    else if (hi) light++;
  }
  // No pixel is both (DARK lies far under LIGHT): the frame's count is the two together.
  return (box ? Math.max(dark, light) : dark + light) >= coverage * n;
}

/** Whether a carried character with a face has the face `f`: her face box overlaps it, or it lies on her body within a face and a half of her face. */
function hasFace(c: Character, f: Detection): boolean {
  const g = c.face!.box;
  if (boxIoU(f.box, g) > 0) return true;
  const d = Math.hypot(f.box[0] + f.box[2] / 2 - (g[0] + g[2] / 2), f.box[1] + f.box[3] / 2 - (g[1] + g[3] / 2));
  return Boolean(c.body) && cover(f, c.body!) >= 0.3 && d <= 1.5 * Math.max(f.box[2], g[2]);
}

/**
 * Frame steps in a row a carried box may show something else than it held before she is taken as gone (`Propagator`):
 * every step but the last is reported (a smear, a flash of colour over her), and taken back if the last disagrees too.
 */
export const DOUBT_STEPS = 2;

/** A character the propagator took as gone after a doubt: her track, and the frame from which she is taken back. */
export interface Gone { track: number; since: number }

/**
 * Keyframe detection with flow carrying in between, frame by frame. The
 * caller says where shots start (a cut: no flow across it, detect afresh);
 * besides, the chain runs every `every` seconds. Shared by
 * `charactersInVideo` and the analyze pipeline.
 */
export class Propagator {
  private prevSmall?: Image;
  private chars: Character[] = [];
  private lastKey = -Infinity;
  private lastWatch = -Infinity;
  private tracks = 0;
  /**
   * Carried characters whose box no longer holds what it held (`samePatch`), with the grid it last held, for how many
   * steps it has not, and since which frame: they are still reported, and taken back (`gone`) once they go.
   */
  private doubt = new WeakMap<Character, { grid: Float64Array; steps: number; since: number }>();
  /** The last keyframe's whole-frame grid (`carried`): is the picture still the keyframe's shot? */
  private keyWhole?: Float64Array;
  /** Characters in doubt dropped on the last step: their track and the frame their doubt began on. */
  private gone: Gone[] = [];
  /** The chain's leading face-only backends (the cheap part) and the rest (bodies cut from faces). */
  private readonly finders: CharacterDetector[];
  private readonly rest: CharacterDetector[];
  /**
   * `watch` (seconds, 0: off): between keyframes, the chain's face finders look this often for a face no carried
   * character has, and only such faces' characters are added (`newFaces`). The cascade finds a face on some frames of a shot
   * and not others (a turn of the head, a mouth opening, the light), so a keyframe every few seconds missed whoever it
   * missed there for the whole stretch (a 5 s shot: two keyframes, her face found on neither, on most frames between).
   */
  constructor(private readonly cv: CV, private readonly chain: CharacterDetector[], private readonly every = 2, private readonly watch = 0) {
    const k = chain.findIndex((d) => d.labels.includes('body'));
    this.finders = chain.slice(0, k < 0 ? chain.length : k).filter((d) => d.labels.every((l) => l === 'face'));
    this.rest = k < 0 ? [] : chain.slice(k);
  }

  /**
   * `keyframe`: the whole chain ran; `added`: characters a watch found on this frame (carried ones besides); `gone`:
   * characters reported while in doubt that turned out gone, with the frame from which what was reported of them is
   * to be taken back (their track ids as the propagator gave them).
   */
  async step(frame: Frame, cut: boolean): Promise<{ keyframe: boolean; added: number; characters: Character[]; gone: Gone[] }> {
    this.gone = [];
    // Nobody shows on a blank frame (a fade's black, a white flash), and it has no motion to follow: it is passed over.
    // Whoever was carried is carried on from the frame before it (a flash inside a shot is no cut: she is back on the
    // frame after), and a shot that opens blank has its first keyframe on the first frame that shows something.
    if (blank(frame)) {
      if (cut || !this.prevSmall) {
        this.prevSmall = undefined;
        this.chars = [];
      }
      return { keyframe: false, added: 0, characters: [], gone: [] };
    }
    const small = shrink(grayOf(frame), 2);
    const keyframe = cut || !this.prevSmall || frame.time - this.lastKey >= this.every - 1e-6;
    let carried: Character[] = [];
    if (this.prevSmall && !cut && this.chars.length) {
      carried = this.carried(this.prevSmall, small, frame);
    }
    // Someone in doubt is not who a keyframe's or a watch's find is matched with: a box the flow held over a cut the
    // shots detector missed would hand its track to whoever the next shot shows there, or hide her face from a watch.
    const sure = carried.filter((c) => !this.doubt.has(c));
    let added = 0;
    if (keyframe) {
      const fresh = await detectCharacters(frame, this.chain, frame.index);
      link(fresh, sure, frame.width, frame.height, () => ++this.tracks);
      // Who was in doubt is not linked: the keyframe's finds stand for whoever is there, and she is taken back.
      for (const c of carried) if (this.doubt.has(c)) this.leave(c);
      this.chars = fresh;
      this.keyWhole = wholeGrid(small, frame);
      this.lastKey = this.lastWatch = frame.time;
    } else if (this.watch > 0 && this.finders.length && frame.time - this.lastWatch >= this.watch - 1e-6) {
      this.lastWatch = frame.time;
      const more = await this.newFaces(frame, sure);
      added = more.length;
      // A new face where someone in doubt was carried is whoever is there now: the doubtful box goes.
      const replaced = new Set(carried.filter((c) => this.doubt.has(c) && more.some((m) => m.face && (c.face ? hasFace(c, m.face) : cover(m.face, c.body!) >= 0.3))));
      for (const c of replaced) this.leave(c);
      this.chars = [...carried.filter((c) => !replaced.has(c)), ...more];
    } else this.chars = carried;
    this.prevSmall = small;
    return { keyframe, added, characters: this.chars, gone: this.gone };
  }

  /** Whether someone carried is in doubt (on a blank frame too): what was reported of her may yet be taken back. */
  get unsure(): boolean {
    return this.chars.some((c) => this.doubt.has(c));
  }

  /** She is gone: what was reported of her since her doubt began is taken back (`gone`). */
  private leave(c: Character, since = this.doubt.get(c)?.since): void {
    // Every character the chain or a watch finds gets a track id (`link`, `newFaces`).
    if (since !== undefined) this.gone.push({ track: (c.body ?? c.face!).track!, since });
  }

  /**
   * The characters carried from `prev` to `small` by the flow, each checked against what her box held (`samePatch`):
   * one whose box shows something else, on a frame that as a whole no longer shows the last keyframe's, is in doubt
   * (a smear, a flash of light over her, or a cut the shots detector missed, a white flash or a wipe between two
   * shots); she is back once her box shows what it held before the doubt, or the picture the keyframe's again,
   * and gone once `DOUBT_STEPS` steps in a row it does not: then what was reported of her since the doubt began is
   * taken back (`gone`). A wipe or flash the detector missed otherwise leaves the last shot's boxes on the next
   * shot's scenery until the next keyframe, seconds later (the Violet Evergarden PV: a face box held over six cuts).
   * A smear over one step leaves her; one over two is taken as her going (the Bleach clip's sword swing: his box
   * shows the swing, not him before it, until the watch finds his face again). A doubt still open on a shot's last
   * analysed frame is not resolved: that frame keeps her. A box that cannot be compared (clipped to a sliver of the
   * frame) neither agrees nor disagrees: a doubt stays as it was.
   */
  private carried(prev: Image, small: Image, frame: Frame): Character[] {
    const fl = flow(this.cv, prev, small);
    const scale = frame.width / small.width;
    // Only where the picture as a whole no longer shows the last keyframe's (a cut the shots detector missed, a wipe
    // step by step) is a box that shows something else taken for her going. Inside the keyframe's picture the flow
    // lagged behind her (flat colours give it little to hold on to) and her box slid onto the scenery she walked past.
    const elsewhere = !sameFrame(this.keyWhole, wholeGrid(small, frame));
    const out: Character[] = [];
    for (const c of this.chars) {
      const moved = carryOne(c, fl, small.width, small.height, scale, frame.width, frame.height, frame.index);
      const doubt = this.doubt.get(c);
      // Out of the frame: gone, and taken back if she was in doubt (over a missed wipe the flow may push her out).
      if (!moved) {
        this.leave(c);
        continue;
      }
      const before = doubt?.grid ?? patchGrid(prev, (c.body ?? c.face!).box, scale);
      const after = patchGrid(small, (moved.body ?? moved.face!).box, scale);
      if (!before || !after) {
        if (doubt) this.doubt.set(moved, doubt);
        out.push(moved);
      } else if (!elsewhere || samePatch(before, after)) out.push(moved);
      else if ((doubt?.steps ?? 0) + 1 < DOUBT_STEPS) {
        this.doubt.set(moved, { grid: before, steps: (doubt?.steps ?? 0) + 1, since: doubt?.since ?? frame.index });
        out.push(moved);
      } else this.leave(c, doubt?.since ?? frame.index);
    }
    return out;
  }

  /**
   * Characters around faces the finders see on `frame` that nobody carried has; whoever is carried stays. A carried
   * character with a face has this face when her face box overlaps it, or when it lies on her body within a face and
   * a half of her face (flow moves her face box with her body's median motion, and it lags on flat colours); one
   * without a face, when her body covers it. Not by her body alone: a body cut too wide on the keyframe (two girls
   * side by side in the same colours, one face found) covers the other girl's face.
   */
  private async newFaces(frame: Frame, carried: Character[]): Promise<Character[]> {
    const faces: Detection[] = [];
    for (const d of this.finders) faces.push(...(await (d.glance ?? d.detect).call(d, frame, faces, frame.index)));
    const fresh = faces.filter((f) => !carried.some((c) => (c.face ? hasFace(c, f) : cover(f, c.body!) >= 0.3)));
    if (!fresh.length) return [];
    // The rest of the chain sees every face on the frame, as on a keyframe, so the new character's body is cut apart
    // from the carried ones (a joint cut splits touching characters); only the new faces' characters are taken.
    const all: Detection[] = [...carried.flatMap((c) => (c.face ? [c.face] : [])), ...fresh];
    for (const d of this.rest) all.push(...(await d.detect(frame, all, frame.index)));
    const chars = group(all);
    // A carried body over a new face was cut too wide: the joint cut's body for her face is hers now (her track kept),
    // so two characters do not share the new one's pixels until the next keyframe.
    for (const c of carried) {
      if (!c.face || !c.body || !fresh.some((f) => cover(f, c.body!) >= 0.3)) continue;
      const body = chars.find((x) => x.face === c.face)?.body;
      if (body) c.body = { ...body, track: c.body.track };
    }
    const added = chars.filter((c) => c.face && fresh.includes(c.face));
    for (const c of added) {
      const id = ++this.tracks;
      if (c.body) c.body.track = id;
      c.face!.track = id;
    }
    return added;
  }
}

/**
 * Source frames to analyse: every `step`-th frame of each shot from its first,
 * so every shot starts with a keyframe of its own and no frame straddles a cut.
 */
export function analysisFrames(shots: Pick<Shot, 'start' | 'end'>[], step: number, max = Infinity): number[] {
  const out: number[] = [];
  for (const s of shots) for (let f = s.start; f <= s.end && out.length < max; f += step) out.push(f);
  return out;
}

/**
 * Stream per-frame characters for a video at the analysis rate. Frames are
 * picked by source index (not by ffmpeg's fps filter, whose output time does
 * not say which source frame it holds), so `source` is the decoded frame's
 * own 0-based number and a cut always falls between two shots' frames.
 */
export async function* charactersInVideo(path: string, chain: CharacterDetector[], opts: VideoOptions = {}): AsyncGenerator<VideoFrameResult> {
  const info = probe(path);
  const size = fitSize(info, opts.width ?? 640);
  const fps = opts.fps ?? 8;
  // Shots come from the shots detector (about 1/20 of real time), so a cut here is a cut everywhere in toonscope.
  const found = opts.shots ?? (await detectShots(path));
  const step = fps > 0 && fps < info.fps ? Math.max(1, Math.round(info.fps / fps)) : 1;
  const frames = analysisFrames(found.shots, step, opts.maxFrames);
  const shotOf = new Map<number, number>();
  for (const s of found.shots) for (const f of frames) if (f >= s.start && f <= s.end) shotOf.set(f, s.index);
  const prop = new Propagator(await opencv(), chain, opts.every ?? 2, opts.watch ?? 0.5);
  let prevShot = -1;
  // Frames are held while someone on them is in doubt, so what the propagator takes back is never written (until the
  // doubt ends: a step later, or at the next keyframe or cut at the latest).
  const held: VideoFrameResult[] = [];
  for await (const frame of decodeSelected(path, frames, size, { times: found.times })) {
    const shot = shotOf.get(frame.index) ?? prevShot;
    const cut = shot !== prevShot;
    prevShot = shot;
    const { keyframe, added, characters, gone } = await prop.step(frame, cut);
    for (const g of gone) for (const h of held) if (h.frame.index >= g.since) h.characters = h.characters.filter((c) => (c.body ?? c.face!).track !== g.track);
    held.push({ frame, source: frame.index, keyframe, added, characters });
    if (!prop.unsure) yield* held.splice(0);
  }
  yield* held.splice(0);
}
