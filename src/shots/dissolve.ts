// Dissolve detector. Inside a cross-dissolve every frame is a mix of the two
// shots, so frame i-h is close to the average of frames i-2h and i. That test
// separates dissolves from pans and character motion (pixels move, so the
// average is a double image far from the middle frame) and from cuts (the
// middle frame equals one end, half the span away). A shot whose light changes
// (darkening as the eyes narrow, a glow rising) blends its ends as well; its
// last frame is its first with other light, which a dissolve's is not.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX, BLEND_HALF } from './metrics.js';
import { lightChange } from './picture.js';
import type { Transition } from '../core/types.js';

export interface DissolveOptions {
  /** Minimum mean |RGB diff| between the window's ends (0..255). */
  minSpan?: number;
  /** Largest blend residual, as a share of the span, that still counts as a mix. */
  maxResidual?: number;
  /** Largest single-frame step, as a share of the span: a hard cut inside the window is not a dissolve. */
  maxStep?: number;
  /**
   * A light change, not a dissolve: the span's last picture is its first darker (or lighter) nearly everywhere
   * (`oneWay` at least this) ...
   */
  lightOneWay?: number;
  /** ... and one gain and offset per channel leave under this share of its pattern (see picture.ts `lightChange`). */
  lightLeft?: number;
}

const HMAX = Math.max(...BLEND_HALF);

export class DissolveDetector extends WindowDetector {
  readonly name = 'dissolve';
  private minSpan: number;
  private maxResidual: number;
  private maxStep: number;
  private lightOneWay: number;
  private lightLeft: number;
  private open: [number, number] | null = null;
  private best = 0;
  constructor(opts: DissolveOptions = {}) {
    super(0);
    this.minSpan = opts.minSpan ?? 20;
    this.maxResidual = opts.maxResidual ?? 0.2;
    this.maxStep = opts.maxStep ?? 0.35;
    this.lightOneWay = opts.lightOneWay ?? 0.9;
    this.lightLeft = opts.lightLeft ?? 0.6;
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

  /**
   * The span's ends are one picture in other light: every part darker (or every part lighter), and one gain and offset
   * per channel turn the first into the last but for a little of its pattern. Two trailer shots lit so were taken for
   * dissolves: a close-up darkening as the eyes narrow (ends 0.97 one way, 0.44 of the pattern left) and a rooftop whose
   * sky dims as a glow rises (0.96, 0.17). PySceneDetect's test video's dissolve, a leaf on a rock into a textured
   * surface, is 0.21 one way and leaves 0.98; a bright picture dissolving into a dark one of other shapes is all one
   * way but leaves all of its pattern (`relitClip` in the tests).
   */
  private relit(s: number, e: number): boolean {
    const a = this.m[s]?.thumb, b = this.m[e]?.thumb;
    if (!a || !b) return false;
    const { oneWay, left } = lightChange(a, b);
    return oneWay >= this.lightOneWay && left < this.lightLeft;
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
    if (this.relit(s, e)) return null;
    return { kind: 'dissolve', frame: Math.round((s + e) / 2), start: s, end: e, score, detector: this.name };
  }
}
