// Taught boxes carried through their shot by optical flow. A person drew her
// once; on the shot's other sampled frames she is most likely near where the
// flow takes that box, even where neither the series map nor her look lights
// her (a pose the few taught frames never showed). The box is followed by the
// median flow inside its mask, frame by frame at the analysis rate, outwards
// from the taught frame, and given up as soon as it can no longer be trusted:
// her parts move apart (a turn, a limb swung, someone in front), a frame is
// missing, half of her has left the frame, or more than `every` seconds have
// passed (the flow's small errors add up). What it gives are candidates, judged
// as hers (learn.ts); one kept settles as the taught box it came from would.
import type { Detection, Image, VideoInfo } from '../core/types.js';
import { decodeSelected } from '../core/video.js';
import type { CV } from '../core/opencv.js';
import { flow, grayOf, motion, shrink, shift } from '../characters/video.js';
import { coverage, iou } from '../core/box.js';

/**
 * A carried box is given up when its parts moved apart by more than this share of its smaller side in one step
 * (the spread of the flow inside it, `motion`): it no longer moves as one piece, so where it goes is no longer hers.
 */
export const APART = 0.06;

export interface Seed {
  /** The taught box's id. */
  id: number;
  frame: number;
  /** Box and mask in analysis pixels (a refined taught box). */
  det: Detection;
}

export interface CarriedBox {
  /** Where the box went, on a target frame (analysis pixels, the seed's mask moved with it; no embedding). */
  det: Detection;
  /** Which taught box it came from, and that box's frame. */
  seed: number;
  from: number;
}

/**
 * The frames a seed is followed through: from its frame outwards, one every `step` frames, and every target frame,
 * between `lo` and `hi`.
 */
export function chainFrames(at: number, targets: readonly number[], step: number, lo: number, hi: number): number[] {
  const out = new Set<number>(targets.filter((f) => f >= lo && f <= hi));
  const by = Math.max(1, Math.round(step));
  for (let f = at; f >= lo; f -= by) out.add(f);
  for (let f = at; f <= hi; f += by) out.add(f);
  return [...out].sort((a, b) => a - b);
}

export interface CarryOptions {
  /** Frames between two flow steps (the analysis rate). */
  step: number;
  /** Seconds from the taught frame after which a box is given up. */
  every: number;
}

/** One step of a walk: the flow from the frame before to this one, at `scale` times smaller than the frame. */
export interface FlowStep { frame: number; flow: Float32Array; width: number; height: number; scale: number }

/**
 * Follow a box through flow steps (outwards from its frame, in order) until it can no longer be trusted: the flow
 * inside it has no samples (it lies off the flow's grid) or its parts move apart (spread over `APART` of its smaller
 * side), or less than half of it is left inside the frame. Returns where it was after each step it survived.
 */
export function walk(seed: Detection, steps: Iterable<FlowStep | undefined>, frame: { width: number; height: number }): Detection[] {
  const out: Detection[] = [];
  const area = seed.box[2] * seed.box[3];
  let det = seed;
  for (const st of steps) {
    if (!st) break;
    const m = motion(det, st.flow, st.width, st.height, st.scale, true);
    if (!m.samples || m.spread > APART * Math.min(det.box[2], det.box[3])) break;
    // Moved whole, then cut to the frame: a box mostly outside it is someone leaving, too little of her to follow.
    const next = shift(det, m.dx, m.dy, frame.width, frame.height, st.frame);
    if (!next || next.box[2] * next.box[3] < 0.5 * area) break;
    out.push((det = next));
  }
  return out;
}

/**
 * Carry the seeds of one shot to its target frames (the shot's sampled frames), each only as far as `every` seconds
 * from its taught frame (only frames in those windows are asked of the decoder). Frames are decoded at the analysis size and shrunk to
 * gray halves; a flow between two frames is computed once for all seeds that cross it. Returns, per target frame, at
 * most one box per seed.
 */
export async function carryShot(cv: CV, info: VideoInfo, size: { width: number; height: number }, times: ArrayLike<number>, seeds: readonly Seed[], targets: readonly number[], opts: CarryOptions): Promise<Map<number, CarriedBox[]>> {
  const out = new Map<number, CarriedBox[]>();
  if (!seeds.length || !targets.length) return out;
  const time = (f: number) => times[f] ?? 0;
  const first = Math.min(...targets, ...seeds.map((s) => s.frame)), last = Math.max(...targets, ...seeds.map((s) => s.frame));
  // Each seed's window: the shot's frames within `every` seconds of it (frame times are increasing).
  const near = (s: Seed, f: number) => Math.abs(time(f) - time(s.frame)) <= opts.every + 1e-6;
  const chains = new Map(seeds.map((s) => {
    let lo = s.frame, hi = s.frame;
    while (lo > first && near(s, lo - 1)) lo--;
    while (hi < last && near(s, hi + 1)) hi++;
    return [s.id, chainFrames(s.frame, targets, opts.step, lo, hi)];
  }));
  const small = new Map<number, Image>();
  for await (const frame of decodeSelected(info.path, [...new Set([...chains.values()].flat())], size, { times })) small.set(frame.index, shrink(grayOf(frame), 2));
  const flows = new Map<string, Float32Array>();
  // The flow from a to b, or nothing when either frame is missing (a damaged stretch): the walk stops there.
  const stepTo = (a: number, b: number): FlowStep | undefined => {
    const g = small.get(a), h = small.get(b);
    if (!g || !h) return undefined;
    const k = `${a}:${b}`;
    if (!flows.has(k)) flows.set(k, flow(cv, g, h));
    return { frame: b, flow: flows.get(k)!, width: g.width, height: g.height, scale: size.width / g.width };
  };
  const isTarget = new Set(targets);
  for (const s of seeds) {
    const chain = chains.get(s.id)!;
    const at = chain.indexOf(s.frame);
    // The seed's embedding does not hold where it went: a carried box is embedded afresh once refined there.
    const { embedding: _, ...bare } = s.det;
    // Outwards both ways, lazily: each walk stops at the first frame it cannot trust.
    for (const dir of [1, -1]) {
      const steps = function* () {
        for (let k = at + dir; k >= 0 && k < chain.length; k += dir) yield stepTo(chain[k - dir], chain[k]);
      };
      for (const det of walk(bare, steps(), size)) {
        if (isTarget.has(det.frame)) out.set(det.frame, [...(out.get(det.frame) ?? []), { det, seed: s.id, from: s.frame }]);
      }
    }
  }
  return out;
}

/**
 * One carried box per character on a frame: of the boxes carried from taught boxes of one character (`whose` says
 * which: her name, or the box alone), the one whose taught frame is nearest in time (the shorter its walk, the less
 * it drifted).
 */
export function nearestPerCharacter(boxes: readonly CarriedBox[], whose: (seed: number) => string, times: ArrayLike<number>, frame: number): CarriedBox[] {
  const best = new Map<string, CarriedBox>();
  const gap = (c: CarriedBox) => Math.abs((times[frame] ?? 0) - (times[c.from] ?? 0));
  for (const c of boxes) {
    const k = whose(c.seed);
    const o = best.get(k);
    if (!o || gap(c) < gap(o) || (gap(c) === gap(o) && c.seed < o.seed)) best.set(k, c);
  }
  return [...best.values()];
}

/**
 * Judged candidates of a frame, carried boxes among them (`carried`: is it one). A carried box stays as the taught
 * box it came from would (it comes from a box a person drew): another look's candidate or a series region that holds
 * her (her merged with her neighbours) goes when settled. But a candidate of her own map (`hers`: her look's, or the
 * series map's when she has no look of her own: it is hers then) on about the same box (IoU >= 0.5), mostly inside it
 * (80%), takes its place and stays instead (`replaced`: which carried box it stands for): her map found her there,
 * in her pose there. Not one that holds her and more: her map lit her with her neighbours.
 */
export function giveWay(judged: readonly Detection[], carried: (d: Detection) => boolean, hers: (d: Detection, o: Detection) => boolean): { kept: Detection[]; sure: Set<Detection>; replaced: Map<Detection, Detection> } {
  const sure = new Set<Detection>();
  // Each candidate takes the place of one carried box at most (the one it overlaps most): two drawn characters stay two.
  const replaced = new Map<Detection, Detection>();
  for (const d of judged.filter(carried)) {
    let own: Detection | undefined, best = 0.5;
    for (const o of judged) {
      if (carried(o) || replaced.has(o) || !hers(d, o) || coverage(o.box, d.box) < 0.8) continue;
      const v = iou(o.box, d.box);
      if (v >= best) { best = v; own = o; }
    }
    if (own) replaced.set(own, d);
    sure.add(own ?? d);
  }
  const gone = new Set(replaced.values());
  return { kept: judged.filter((d) => !gone.has(d)), sure, replaced };
}
