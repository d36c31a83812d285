// Content detector: a cut where the mean RGB difference to the previous frame
// exceeds a fixed threshold (PySceneDetect's ContentDetector, on our scale).
// Simple and predictable; fires on fast action, so not the anime default.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX } from './metrics.js';
import type { Transition } from '../core/types.js';

export interface ContentOptions {
  /** Mean |RGB diff| (0..255) that makes a cut. */
  threshold?: number;
  /** Minimum frames between cuts. */
  minShot?: number;
}

export class ContentDetector extends WindowDetector {
  readonly name = 'content';
  private threshold: number;
  private minShot: number;
  private lastCut = -Infinity;
  constructor(opts: ContentOptions = {}) {
    super(0);
    this.threshold = opts.threshold ?? 30;
    this.minShot = opts.minShot ?? 15;
  }
  protected decide(i: number): Transition | null {
    const d = this.v(i, FIELD_INDEX.diff1);
    if (!(d >= this.threshold) || i - this.lastCut < this.minShot) return null;
    this.lastCut = i;
    return this.cut(i, d);
  }
}
