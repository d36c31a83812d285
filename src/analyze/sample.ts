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

/**
 * Which of a shot's sampled frames the learned detector looks at first: one every `every` seconds, the grid centred
 * in the shot (its sampled span), so a shot shorter than `every` is looked at in its middle, not on its first frame,
 * where a character is often still coming in or the camera still moving (a shot found empty there is looked at on
 * its first frame too: see `redetectVideo`). At least one per shot; a step finer than the sampling (or none) takes
 * every sampled frame. Times out of order (a damaged file) are measured from their earliest to their latest.
 */
export function probeFrames(samples: number[], times: ArrayLike<number>, every: number): number[] {
  const sorted = [...new Set(samples)].sort((a, b) => a - b);
  if (!sorted.length) return [];
  const at = (f: number) => times[f] ?? 0;
  const ts = sorted.map(at);
  const t0 = Math.min(...ts), span = Math.max(...ts) - t0;
  const n = !(every > 0) ? Infinity : Number.isFinite(span) ? Math.floor(span / every + 1e-6) + 1 : 1;
  if (!(n < sorted.length)) return sorted;
  const start = t0 + (span - (n - 1) * every) / 2;
  const out = new Set<number>();
  for (let k = 0; k < n; k++) {
    // The sampled frame nearest the grid time (the earlier one on a tie).
    const want = start + k * every;
    let best = 0;
    for (let i = 1; i < sorted.length; i++) if (Math.abs(ts[i] - want) < Math.abs(ts[best] - want) - 1e-9) best = i;
    out.add(sorted[best]);
  }
  return [...out].sort((a, b) => a - b);
}

/** Every shot's probe frames (see `probeFrames`) of an episode's sampled frames, in order. */
export function probesOf(samples: readonly Sample[], every: number): number[] {
  const times: number[] = [];
  const byShot = new Map<number, number[]>();
  for (const s of samples) {
    times[s.frame] = s.time;
    if (!byShot.has(s.shot)) byShot.set(s.shot, []);
    byShot.get(s.shot)!.push(s.frame);
  }
  return [...byShot.values()].flatMap((list) => probeFrames(list, times, every)).sort((a, b) => a - b);
}
