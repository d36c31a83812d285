// Histogram detector: a cut where the colour distribution changes (half-L1
// distance of 64-bin RGB histograms). Ignores motion and pans entirely, but
// misses cuts between shots with the same palette.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX } from './metrics.js';
import type { Transition } from '../core/types.js';

export interface HistogramOptions {
  /** Histogram distance (0..1) that makes a cut. */
  threshold?: number;
  minShot?: number;
}

export class HistogramDetector extends WindowDetector {
  readonly name = 'histogram';
  private threshold: number;
  private minShot: number;
  private lastCut = -Infinity;
  constructor(opts: HistogramOptions = {}) {
    super(0);
    this.threshold = opts.threshold ?? 0.3;
    this.minShot = opts.minShot ?? 15;
  }
  protected decide(i: number): Transition | null {
    const d = this.v(i, FIELD_INDEX.hist1);
    if (!(d >= this.threshold) || i - this.lastCut < this.minShot) return null;
    this.lastCut = i;
    return this.cut(i, d);
  }
}
