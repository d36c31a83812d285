// One metric against a fixed threshold, with a minimum shot length: the
// shape of PySceneDetect's content and histogram detectors.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX, type Field } from './metrics.js';
import type { Transition } from '../core/types.js';

export interface ThresholdOptions {
  threshold?: number;
  /** Minimum frames between cuts. */
  minShot?: number;
}

export class ThresholdDetector extends WindowDetector {
  private readonly field: number;
  private readonly threshold: number;
  private readonly minShot: number;
  private lastCut = -Infinity;
  constructor(readonly name: string, field: Field, defaultThreshold: number, opts: ThresholdOptions = {}) {
    super(0);
    this.field = FIELD_INDEX[field];
    this.threshold = opts.threshold ?? defaultThreshold;
    this.minShot = opts.minShot ?? 15;
  }
  protected decide(i: number): Transition | null {
    const d = this.v(i, this.field);
    if (!(d >= this.threshold) || i - this.lastCut < this.minShot) return null;
    this.lastCut = i;
    return this.cut(i, d);
  }
}
