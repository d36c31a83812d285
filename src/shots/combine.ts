// Runs several detectors over the same metrics and merges their transitions:
// gradual transitions (fades, dissolves) win over cuts inside them, and the
// list comes out sorted. Merging needs every detector's view of a region, so
// transitions are released at flush().
import type { Transition } from '../core/types.js';
import type { ShotDetector } from './detector.js';
import type { FrameMetrics } from './metrics.js';

const GRADUAL_PRIORITY: Record<Transition['kind'], number> = { 'fade-in': 3, 'fade-out': 3, fade: 3, dissolve: 2, cut: 1 };

export class Combined implements ShotDetector {
  private found: Transition[] = [];
  constructor(readonly name: string, readonly parts: ShotDetector[]) {}

  process(m: FrameMetrics): Transition[] {
    for (const p of this.parts) this.found.push(...p.process(m));
    return [];
  }

  flush(): Transition[] {
    for (const p of this.parts) this.found.push(...p.flush());
    return merge(this.found);
  }
}

/**
 * Drop transitions that overlap a higher-priority one (within `slack` frames)
 * or repeat one of the same priority at nearly the same frame; sort by frame.
 * Neighbouring fades may share a ramp (black -> white -> black), so same-kind
 * spans may overlap.
 */
export function merge(all: Transition[], slack = 2): Transition[] {
  // A held title card is a shot: its edges are cuts, the cut detector's where it found them, the fade detector's
  // where it did not (a very dim picture cut to black changes too few blocks for the cut detector to see it).
  const cutAt = (f: number) => all.some((t) => t.kind === 'cut' && Math.abs(t.frame - f) <= slack);
  const edges = all.flatMap((t) => (t.card ?? []).filter((f) => !cutAt(f)).map((f): Transition => ({ kind: 'cut', frame: f, start: f, end: f, score: 1, detector: t.detector })));
  const byPriority = [...all.filter((t) => !t.card), ...edges].sort((a, b) => GRADUAL_PRIORITY[b.kind] - GRADUAL_PRIORITY[a.kind] || b.score - a.score);
  const kept: Transition[] = [];
  for (const t of byPriority) {
    const clash = kept.some((k) =>
      GRADUAL_PRIORITY[k.kind] > GRADUAL_PRIORITY[t.kind]
        ? t.start <= k.end + slack && t.end >= k.start - slack && !opens(t, k)
        : Math.abs(t.frame - k.frame) <= slack);
    if (!clash) kept.push(t);
  }
  return kept.sort((a, b) => a.frame - b.frame);
}

/**
 * A cut on the first frame of a fade's ramp opens the shot that fades (the fade detector stops a ramp at a cut): both
 * are boundaries. A fade-out closing the video began on the cut before it, and swallowed it (Frieren's last shot).
 */
function opens(cut: Transition, fade: Transition): boolean {
  return cut.kind === 'cut' && (fade.kind === 'fade' || fade.kind === 'fade-out') && cut.frame === fade.start;
}
