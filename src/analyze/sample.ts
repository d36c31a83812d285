// Which frames the expensive stages look at: a few per second inside each
// shot, away from its transitions (fades and dissolves mix two shots, so
// crops there belong to neither), and at least one per shot.
import type { Shot, Transition } from '../core/types.js';

export interface SampleOptions {
  /** Frames per second of video to analyse. */
  rate?: number;
  /** Frames skipped at each end of a shot. */
  margin?: number;
}

export interface Sample {
  frame: number;
  shot: number;
  time: number;
}

export function sampleFrames(shots: Shot[], transitions: Transition[], times: ArrayLike<number>, fps: number, opts: SampleOptions = {}): Sample[] {
  const rate = opts.rate ?? 2;
  const margin = opts.margin ?? 1;
  const step = Math.max(1, Math.round(fps / rate));
  const gradual = transitions.filter((t) => t.kind !== 'cut');
  const inTransition = (f: number) => gradual.some((t) => f >= t.start && f <= t.end);
  const out: Sample[] = [];
  for (const s of shots) {
    const lo = s.start + margin;
    const hi = s.end - margin;
    const picked: number[] = [];
    // Centre the grid in the shot so short shots get their middle frame.
    const len = hi - lo + 1;
    const first = lo + Math.floor((len - 1 - Math.floor((len - 1) / step) * step) / 2);
    for (let f = first; f <= hi; f += step) if (!inTransition(f)) picked.push(f);
    if (!picked.length) {
      const mid = Math.floor((s.start + s.end) / 2);
      picked.push(mid);
    }
    for (const f of picked) out.push({ frame: f, shot: s.index, time: times[f] ?? f / fps });
  }
  return out;
}
