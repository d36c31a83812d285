// Adaptive detector: a cut where the frame difference stands out against the
// differences around it (PySceneDetect's AdaptiveDetector idea), using the
// held-drawing-aware context of context.ts. Survives fast action and pans,
// where every difference is high.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX } from './metrics.js';
import { changedMedian } from './context.js';
import type { Transition } from '../core/types.js';

/** The least mean |RGB difference| (0..255) a cut can have, by default: a step under it is no cut. */
export const MIN_CUT_DIFF = 8;

export interface AdaptiveOptions {
  /** How many times the local (changed-frame) median a difference must be. */
  ratio?: number;
  /** Absolute floor for a cut's mean |RGB diff| (0..255). */
  minDiff?: number;
  /** Frames each side used for the context. */
  radius?: number;
  minShot?: number;
}

export class AdaptiveDetector extends WindowDetector {
  readonly name: string = 'adaptive';
  protected ratio: number;
  protected minDiff: number;
  protected radius: number;
  protected minShot: number;
  protected lastCut = -Infinity;
  constructor(opts: AdaptiveOptions = {}, lookahead?: number) {
    const radius = opts.radius ?? 12;
    super(lookahead ?? radius);
    this.ratio = opts.ratio ?? 3;
    this.minDiff = opts.minDiff ?? MIN_CUT_DIFF;
    this.radius = radius;
    this.minShot = opts.minShot ?? 6;
  }

  /** Score of frame i as a cut candidate (0 when it is not one). */
  protected score(i: number): number {
    const d = this.v(i, FIELD_INDEX.diff1);
    if (!(d >= this.minDiff)) return 0;
    const ctx = changedMedian((j) => this.v(j, FIELD_INDEX.diff1), i, this.radius, 1);
    const r = d / Math.max(Number.isNaN(ctx) ? 0 : ctx, 2);
    return r >= this.ratio ? r : 0;
  }

  protected decide(i: number): Transition | null {
    const s = this.score(i);
    if (!s || i - this.lastCut < this.minShot) return null;
    this.lastCut = i;
    return this.cut(i, s);
  }
}
