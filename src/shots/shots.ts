// Turning transitions into a shot list.
import type { Shot, ShotEdge, Transition } from '../core/types.js';

/** Shot boundaries: transitions that start a new shot (not the video's own opening fade-in or closing fade-out). */
export function boundaries(ts: Transition[]): Transition[] {
  return ts.filter((t) => t.kind !== 'fade-in' && t.kind !== 'fade-out');
}

/** Build shots covering frames [0, frames) from sorted transitions; `times[i]` is frame i's time, `end` the video's end time. */
export function toShots(ts: Transition[], frames: number, times: ArrayLike<number>, end: number): Shot[] {
  const cuts = boundaries(ts).filter((t) => t.frame > 0 && t.frame < frames);
  const starts = [0, ...cuts.map((t) => t.frame)];
  const shots: Shot[] = [];
  const opening = ts.find((t) => t.kind === 'fade-in');
  const closing = ts.find((t) => t.kind === 'fade-out');
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k];
    const stop = k + 1 < starts.length ? starts[k + 1] - 1 : frames - 1;
    if (stop < start) continue;
    const inT = k > 0 ? cuts[k - 1] : undefined;
    const outT = k < cuts.length ? cuts[k] : undefined;
    shots.push({
      index: shots.length,
      start,
      end: stop,
      startTime: times[start] ?? 0,
      endTime: stop + 1 < frames ? times[stop + 1] : end,
      in: inT ? edge(inT, 'in') : opening ? 'fade-in' : 'start',
      out: outT ? edge(outT, 'out') : closing ? 'fade-out' : 'end',
    });
  }
  return shots;
}

function edge(t: Transition, side: 'in' | 'out'): ShotEdge {
  if (t.kind === 'fade') return side === 'in' ? 'fade-in' : 'fade-out';
  return t.kind === 'dissolve' ? 'dissolve' : 'cut';
}
