// Where nobody was found: the shots of a video in which no character stands,
// so a person knows where to look before teaching one (`label teach`).
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { loadShots } from '../shots/store.js';
import { analysisComplete } from '../analyze/store.js';
import { ensureSchema } from './store.js';

/** A shot of a video in which toonscope found nobody. */
export interface UnseenShot {
  shot: number;
  /** Seconds. */
  start: number;
  end: number;
  firstFrame: number;
  lastFrame: number;
  /** The frame to look at: the shot's middle sampled frame (analyze looked there), else its middle frame. */
  look: number;
}

/** Index of the first value >= x in an ascending list. */
function lowerBound(xs: number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The values of an ascending list that lie in [a, b]. */
const within = (xs: number[], a: number, b: number) => xs.slice(lowerBound(xs, a), lowerBound(xs, b + 1));

/**
 * The shots of a video (those analyze used) where no appearance stands, or
 * null when its analysis is not complete (`analysisComplete`: before analyze,
 * or while one is under way or was killed, "nobody found" would only mean
 * "nobody looked yet"): no tracked appearance of either pass, or only ones
 * whose track is labelled "not a character". Rows the tracker left out count
 * as nobody: the lanes, labels and exports only know tracks, so a person sees
 * nobody there either. A shot with a sampled frame not looked at yet (taught
 * since the last analyze) is left out. Ordered by time.
 */
export function unseenShots(ws: Workspace, videoId: number): UnseenShot[] | null {
  ensureSchema(ws);
  if (!analysisComplete(ws, videoId)) return null;
  const seen = new Set((ws.db.prepare(`SELECT DISTINCT a.shot FROM appearances a LEFT JOIN labels l ON l.track = a.track
    WHERE a.video_id = ? AND a.track IS NOT NULL AND COALESCE(l.rejected, 0) = 0`).all(videoId) as { shot: number }[]).map((r) => r.shot));
  const samples = new Map<number, number[]>();
  for (const r of ws.db.prepare('SELECT shot, frame FROM samples WHERE video_id = ? ORDER BY frame').all(videoId) as { shot: number; frame: number }[]) {
    if (!samples.has(r.shot)) samples.set(r.shot, []);
    samples.get(r.shot)!.push(r.frame);
  }
  const pending = (ws.db.prepare('SELECT frame FROM samples WHERE video_id = ? AND done = 0 ORDER BY frame').all(videoId) as { frame: number }[]).map((r) => r.frame);
  return loadShots(ws, videoId)
    .filter((s) => !seen.has(s.index) && !within(pending, s.start, s.end).length)
    .map((s) => {
      // A sample outside the shot's frames would be a stale row of other shots: never point the person there.
      const own = (samples.get(s.index) ?? []).filter((f) => f >= s.start && f <= s.end);
      return {
        shot: s.index, start: s.startTime, end: s.endTime, firstFrame: s.start, lastFrame: s.end,
        look: own.length ? own[own.length >> 1] : (s.start + s.end) >> 1,
      };
    });
}

/** `unseenShots`, refusing a video that is not in the workspace or whose analysis is not complete (naming it). */
export function unseen(ws: Workspace, videoId: number): UnseenShot[] {
  const v = ws.video(videoId);
  if (!v) throw new ToonscopeError(undefined, `no video ${videoId} in the workspace ${ws.dir}`);
  const list = unseenShots(ws, videoId);
  if (!list) throw new ToonscopeError(v.path, `not analysed in the workspace ${ws.dir}: run \`toonscope analyze ${v.path}\` first`);
  return list;
}
