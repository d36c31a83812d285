// Multi-object tracking per shot (ByteTrack-style). trackShots splits a
// video's detections by shot so that no track ever crosses a cut.
import type { Detection, Shot, Track } from '../core/types.js';
import { trackShot, type TrackOptions } from './tracker.js';

export { trackShot, match, type TrackOptions } from './tracker.js';
export { BoxFilter } from './kalman.js';
export { iou } from '../core/box.js';

/**
 * Track a whole video: detections (any order) are split by the shots that
 * contain their frame (frames outside every shot are dropped) and each shot
 * is tracked on its own. Track ids are unique over the video.
 */
export function trackShots(detections: readonly Detection[], shots: readonly Shot[], opts: Omit<TrackOptions, 'shot' | 'firstId'> & { firstId?: number } = {}): Track[] {
  const byShot = new Map<number, Detection[][]>();
  const sorted = [...shots].sort((a, b) => a.start - b.start);
  for (const d of detections) {
    const s = findShot(sorted, d.frame);
    if (!s) continue;
    if (!byShot.has(s.index)) byShot.set(s.index, [[]]);
    byShot.get(s.index)![0].push(d);
  }
  const out: Track[] = [];
  let next = opts.firstId ?? 1;
  for (const s of sorted) {
    const dets = byShot.get(s.index);
    if (!dets) continue;
    const tracks = trackShot(dets, { ...opts, shot: s.index, firstId: next });
    for (const t of tracks) next = Math.max(next, t.id + 1);
    out.push(...tracks);
  }
  return out;
}

function findShot(sorted: readonly Shot[], frame: number): Shot | undefined {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sorted[mid];
    if (frame < s.start) hi = mid - 1;
    else if (frame > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
