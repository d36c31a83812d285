// Fade detector: runs of black (or white) frames. A run between two shots is
// one fade transition whose boundary is the run's middle (as PySceneDetect's
// threshold detector with no bias); runs at the very start or end are the
// video's fade-in / fade-out. The ramps around a run are included in the
// reported span so editors see the whole transition. A run held after a hard
// cut into it and before one out of it is a shot of its own (a title card):
// it is marked so, and combined with a cut detector it is its two cuts
// (combine.ts); alone, a fade as PySceneDetect's.
import { WindowDetector } from './detector.js';
import { FIELD_INDEX } from './metrics.js';
import { MIN_CUT_DIFF } from './adaptive.js';
import { thumbDiff } from './picture.js';
import type { Transition } from '../core/types.js';

/** Mean |thumbnail diff| under which the pictures around a short run are "the same shot". */
const BLINK_DIFF = 12;

/** Longest fade ramp looked for on either side of a black/white run (frames). */
const RAMP = 90;

/**
 * A step whose mean |RGB difference| is at least the cut detectors' floor and more than this many times the step of
 * the mean luma is a cut, not a ramp of a fade.
 */
const CUT_RATIO = 3;

export interface FadeOptions {
  /** Share of black (or white) pixels that makes a frame "black" (or "white"). */
  coverage?: number;
  /** Where to put the boundary inside the run: -1 start, 0 middle, +1 end. */
  bias?: number;
  /** Ignore runs shorter than this (a 1-frame black flash is not a fade). */
  minRun?: number;
  /** Runs up to this long that return to the same picture are blinks/flashes, not transitions. */
  maxBlink?: number;
}

export class FadeDetector extends WindowDetector {
  readonly name = 'fade';
  private coverage: number;
  private bias: number;
  private minRun: number;
  private maxBlink: number;
  private runStart = -1;
  private runColour: 'black' | 'white' | null = null;
  private lastIndex = -1;
  constructor(opts: FadeOptions = {}) {
    super(RAMP);
    this.coverage = opts.coverage ?? 0.95;
    this.bias = opts.bias ?? 0;
    this.minRun = opts.minRun ?? 2;
    this.maxBlink = opts.maxBlink ?? 8;
  }

  private colour(i: number): 'black' | 'white' | null {
    if (this.v(i, FIELD_INDEX.dark) >= this.coverage) return 'black';
    if (this.v(i, FIELD_INDEX.light) >= this.coverage) return 'white';
    return null;
  }

  protected decide(i: number): Transition | null {
    this.lastIndex = i;
    const c = this.colour(i);
    if (c === this.runColour) return null;
    const t = this.closeRun(i - 1, false);
    this.runColour = c;
    this.runStart = c ? i : -1;
    return t;
  }

  protected override finish(): Transition[] {
    const t = this.closeRun(this.lastIndex, true);
    return t ? [t] : [];
  }

  /** End the current run at frame e (inclusive) and turn it into a transition. */
  private closeRun(e: number, atEnd: boolean): Transition | null {
    if (!this.runColour || this.runStart < 0) return null;
    const s = this.runStart;
    if (e - s + 1 < this.minRun && !atEnd && s > 0) return null;
    const from = this.rampStart(s);
    const to = atEnd ? e : this.rampEnd(e);
    if (s === 0) {
      if (atEnd) return null; // the whole video is black
      return { kind: 'fade-in', frame: 0, start: 0, end: to, score: 1, detector: this.name };
    }
    if (atEnd) return { kind: 'fade-out', frame: s, start: from, end: e, score: 1, detector: this.name };
    if (e - s + 1 <= this.maxBlink && from > 0 && to + 1 < this.m.length && thumbDiff(this.m[from - 1].thumb, this.m[to + 1].thumb) < BLINK_DIFF) return null;
    const frame = Math.round(s + ((e - s) * (1 + this.bias)) / 2);
    // Cut into, held, and cut out of: a black (or white) shot of its own between two others (a title card, an
    // eyecatch), whose cuts are the boundaries (as a fade's, the run's middle lay seconds from either: a trailer's
    // title card held 93 frames). A video opening or closing on black keeps its fade-in or fade-out, cut or not
    // (PySceneDetect's test video opens on a second of black cut away from: no boundary there). Held longer than a
    // blink (`maxBlink`, 8 frames by default), its two cuts lie further apart than the merge's slack.
    const card: [number, number] | undefined = e - s + 1 > this.maxBlink && this.hard(s, s, from) && this.hard(e + 1, e, to) ? [s, e + 1] : undefined;
    return { kind: 'fade', frame, start: from, end: to, score: 1, detector: this.name, ...(card ? { card } : {}) };
  }

  /**
   * The step into frame j (from j-1) is a hard edge of a run (its frame on that side: `run`): a cut's mean difference,
   * and most (80%) of the light change between the run and the picture at `far` (the far end of the ramp on that
   * side). A slow fade's steps near black are small however the walk ends (a dim picture fading over 4 s moves the mean
   * by under 0.5 a frame there); a quick fade's are big, but each only part of the change.
   */
  private hard(j: number, run: number, far: number): boolean {
    const L = FIELD_INDEX.luma;
    const step = Math.abs(this.v(j, L) - this.v(j - 1, L));
    return this.v(j, FIELD_INDEX.diff1) >= MIN_CUT_DIFF && step >= 0.8 * Math.abs(this.v(far, L) - this.v(run, L));
  }

  /** Walk back from a run's first frame while luma keeps moving towards the run's colour (the fade-out ramp). */
  private rampStart(s: number): number {
    let j = s;
    const L = FIELD_INDEX.luma;
    const dir = this.runColour === 'white' ? -1 : 1;
    while (j > 0 && dir * (this.v(j - 1, L) - this.v(j, L)) > 0.5 && !this.cutInto(j) && s - j < RAMP) j--;
    return j;
  }

  /**
   * The step from frame j-1 to j changes the picture, not only its light: a cut (the ramp stops there). A fade moves
   * every pixel by about the change of the mean (the mean |difference| near the luma step); a cut moves them far more
   * (a cut to a shot that then fades out: 113 against a luma step of 10).
   */
  private cutInto(j: number): boolean {
    const d = this.v(j, FIELD_INDEX.diff1);
    return d >= MIN_CUT_DIFF && d > CUT_RATIO * Math.abs(this.v(j, FIELD_INDEX.luma) - this.v(j - 1, FIELD_INDEX.luma));
  }

  /** Walk forward from a run's last frame while luma keeps changing monotonically (the fade-in ramp). */
  private rampEnd(e: number): number {
    let j = e;
    const L = FIELD_INDEX.luma;
    const dir = this.runColour === 'white' ? -1 : 1;
    while (j + 1 < this.m.length && dir * (this.v(j + 1, L) - this.v(j, L)) > 0.5 && !this.cutInto(j + 1) && j - e < RAMP) j++;
    return j;
  }
}
