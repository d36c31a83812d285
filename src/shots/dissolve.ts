// Dissolve detector. Inside a cross-dissolve every frame is a mix of the two
// shots, so frame i-h is close to the average of frames i-2h and i. That test
// separates dissolves from pans and character motion (pixels move, so the
// average is a double image far from the middle frame) and from cuts (the
// middle frame equals one end, half the span away).
import { WindowDetector } from './detector.js';
import { FIELD_INDEX, BLEND_HALF } from './metrics.js';
import type { Transition } from '../core/types.js';

export interface DissolveOptions {
  /** Minimum mean |RGB diff| between the window's ends (0..255). */
  minSpan?: number;
  /** Largest blend residual, as a share of the span, that still counts as a mix. */
  maxResidual?: number;
  /** Largest single-frame step, as a share of the span: a hard cut inside the window is not a dissolve. */
  maxStep?: number;
}

const HMAX = Math.max(...BLEND_HALF);

export class DissolveDetector extends WindowDetector {
  readonly name = 'dissolve';
  private minSpan: number;
  private maxResidual: number;
  private maxStep: number;
  private open: [number, number] | null = null;
  private best = 0;
  constructor(opts: DissolveOptions = {}) {
    super(0);
    this.minSpan = opts.minSpan ?? 20;
    this.maxResidual = opts.maxResidual ?? 0.2;
    this.maxStep = opts.maxStep ?? 0.35;
  }

  /** Is the window [i-2h, i] a mix of its ends? Returns the residual ratio (lower is better) or NaN. */
  private window(i: number, h: number): number {
    const span = this.v(i, FIELD_INDEX[`span${h}`]);
    const blend = this.v(i, FIELD_INDEX[`blend${h}`]);
    if (!(span >= this.minSpan)) return NaN;
    const r = blend / span;
    if (!(r <= this.maxResidual)) return NaN;
    for (let j = i - 2 * h + 1; j <= i; j++) if (!(this.v(j, FIELD_INDEX.diff1) <= this.maxStep * span)) return NaN;
    // A fade through black or white is the fade detector's business.
    for (const j of [i, i - h, i - 2 * h]) {
      if (this.v(j, FIELD_INDEX.dark) > 0.5 || this.v(j, FIELD_INDEX.light) > 0.5) return NaN;
    }
    return r;
  }

  protected decide(i: number): Transition | null {
    let hit: [number, number] | null = null;
    let fit = 0;
    for (const h of BLEND_HALF) {
      const r = this.window(i, h);
      if (Number.isNaN(r)) continue;
      hit = hit ? [Math.min(hit[0], i - 2 * h), i] : [i - 2 * h, i];
      fit = Math.max(fit, 1 - r);
    }
    if (!hit) return this.open && i - this.open[1] > 2 * HMAX ? this.close() : null;
    if (this.open && hit[0] <= this.open[1] + 1) {
      this.open = [Math.min(this.open[0], hit[0]), i];
      this.best = Math.max(this.best, fit);
      return null;
    }
    const done = this.close();
    this.open = hit;
    this.best = fit;
    return done;
  }

  protected override finish(): Transition[] {
    const t = this.close();
    return t ? [t] : [];
  }

  private close(): Transition | null {
    if (!this.open) return null;
    const [s, e] = this.open;
    this.open = null;
    const score = this.best;
    this.best = 0;
    return { kind: 'dissolve', frame: Math.round((s + e) / 2), start: s, end: e, score, detector: this.name };
  }
}
