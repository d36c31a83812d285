// Taught boxes carried through their shot by optical flow. A person drew her
// once; on the shot's other sampled frames she is most likely near where the
// flow takes that box, even where neither the series map nor her look lights
// her (a pose the few taught frames never showed). The box is followed by the
// median flow inside its mask, frame by frame at the analysis rate, outwards
// from the taught frame, and given up as soon as it can no longer be trusted:
// her parts move apart (a turn, a limb swung, someone in front), a frame is
// missing, she leaves the frame, or more than `every` seconds have passed (the
// flow's small errors add up). What it gives are candidates, judged like any
// other (learn.ts), never boxes that must stay.
import type { Detection, Image, VideoInfo } from '../core/types.js';
import { decodeSelected } from '../core/video.js';
import type { CV } from '../core/opencv.js';
import { flow, grayOf, motion, shrink, shift } from '../characters/video.js';

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
  /** Where the box went, on a target frame (analysis pixels, the seed's mask moved with it). */
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
  for (let f = at; f >= lo; f -= step) out.add(f);
  for (let f = at; f <= hi; f += step) out.add(f);
  return [...out].sort((a, b) => a - b);
}

export interface CarryOptions {
  /** Frames between two flow steps (the analysis rate). */
  step: number;
  /** Seconds from the taught frame after which a box is given up. */
  every: number;
}

/**
 * Carry the seeds of one shot to its target frames (the shot's sampled frames). Frames are decoded small and
 * gray, one shot at a time; a flow between two frames is computed once for all seeds that cross it. Returns, per
 * target frame, at most one box per seed.
 */
export async function carryShot(cv: CV, info: VideoInfo, size: { width: number; height: number }, times: ArrayLike<number>, seeds: readonly Seed[], targets: readonly number[], opts: CarryOptions): Promise<Map<number, CarriedBox[]>> {
  const out = new Map<number, CarriedBox[]>();
  if (!seeds.length || !targets.length) return out;
  const all = [...targets, ...seeds.map((s) => s.frame)];
  const lo = Math.min(...all), hi = Math.max(...all);
  const chains = new Map(seeds.map((s) => [s.id, chainFrames(s.frame, targets, opts.step, lo, hi)]));
  const wanted = [...new Set([...chains.values()].flat())];
  const small = new Map<number, Image>();
  for await (const frame of decodeSelected(info.path, wanted, size, times)) small.set(frame.index, shrink(grayOf(frame), 2));
  const flows = new Map<string, Float32Array>();
  const flowOf = (a: number, b: number) => {
    const k = `${a}:${b}`;
    if (!flows.has(k)) flows.set(k, flow(cv, small.get(a)!, small.get(b)!));
    return flows.get(k)!;
  };
  const isTarget = new Set(targets);
  const time = (f: number) => times[f] ?? 0;
  for (const s of seeds) {
    const chain = chains.get(s.id)!;
    const at = chain.indexOf(s.frame);
    // Outwards both ways; each walk stops at the first frame it cannot trust.
    for (const dir of [1, -1]) {
      let det: Detection | undefined = s.det;
      for (let k = at + dir; k >= 0 && k < chain.length; k += dir) {
        const a = chain[k - dir], b = chain[k];
        if (!small.has(a) || !small.has(b)) break;
        if (Math.abs(time(b) - time(s.frame)) > opts.every + 1e-6) break;
        const g = small.get(a)!;
        const m = motion(det!, flowOf(a, b), g.width, g.height, size.width / g.width);
        if (m.spread > APART * Math.min(det!.box[2], det!.box[3])) break;
        det = shift(det!, m.dx, m.dy, size.width, size.height, b);
        if (!det) break;
        if (isTarget.has(b) && b !== s.frame) out.set(b, [...(out.get(b) ?? []), { det, seed: s.id, from: s.frame }]);
      }
    }
  }
  return out;
}

/**
 * One carried box per character on a frame: of the boxes carried from taught boxes of one name (each unnamed box
 * is its own character), the one whose taught frame is nearest in time (the shorter its walk, the less it drifted).
 */
export function nearestPerName(boxes: readonly CarriedBox[], nameOf: (seed: number) => string | null, times: ArrayLike<number>, frame: number): CarriedBox[] {
  const best = new Map<string, CarriedBox>();
  const gap = (c: CarriedBox) => Math.abs((times[frame] ?? frame) - (times[c.from] ?? c.from));
  for (const c of boxes) {
    const name = nameOf(c.seed);
    const k = name === null ? `#${c.seed}` : `=${name}`;
    const o = best.get(k);
    if (!o || gap(c) < gap(o) || (gap(c) === gap(o) && c.seed < o.seed)) best.set(k, c);
  }
  return [...best.values()];
}
