// The shot-detector interface (after PySceneDetect): feed per-frame metrics
// in order, get transitions back as soon as they are certain, flush at the
// end. Detectors never see pixels, only FrameMetrics, so one decode serves
// all of them and a resumed run can replay stored metrics.
import type { Transition } from '../core/types.js';
import type { FrameMetrics } from './metrics.js';

export interface ShotDetector {
  readonly name: string;
  process(m: FrameMetrics): Transition[];
  flush(): Transition[];
}

/**
 * Base for detectors that decide frame i once `lookahead` later frames are
 * known. Subclasses implement `decide(i)` reading `this.m` (all metrics so far).
 */
export abstract class WindowDetector implements ShotDetector {
  abstract readonly name: string;
  protected m: FrameMetrics[] = [];
  private next = 0;
  constructor(protected readonly lookahead: number) {}

  process(m: FrameMetrics): Transition[] {
    this.m.push(m);
    const out: Transition[] = [];
    while (this.next + this.lookahead < this.m.length) this.emit(this.decide(this.next++), out);
    return out;
  }

  flush(): Transition[] {
    const out: Transition[] = [];
    while (this.next < this.m.length) this.emit(this.decide(this.next++), out);
    for (const t of this.finish()) out.push(t);
    return out;
  }

  private emit(t: Transition | null, out: Transition[]) {
    if (t) out.push(t);
  }

  protected abstract decide(i: number): Transition | null;
  /** Transitions only known at the end of the video. */
  protected finish(): Transition[] {
    return [];
  }

  protected v(i: number, field: number): number {
    return i >= 0 && i < this.m.length ? this.m[i].values[field] : NaN;
  }

  protected cut(i: number, score: number): Transition {
    return { kind: 'cut', frame: i, start: i, end: i, score, detector: this.name };
  }
}
