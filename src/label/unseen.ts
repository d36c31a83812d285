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
 * The shots of a video where no appearance stands, or null when its analysis
 * is not complete (`analysisComplete`: before analyze, or while one is under
 * way or was killed, "nobody found" would only mean "nobody looked yet").
 *
 * A shot is the video's current shot list (`toonscope shots` may have redone it
 * since analyze), matched to appearances and sampled frames by frame: someone
 * stands in it when a tracked appearance of either pass lies on one of its
 * frames and its track is not labelled "not a character", whether by a person
 * or by the classifier (labels of any source: person, auto, cluster). Rows the
 * tracker left out count as nobody: the lanes, "On screen" and the exports
 * only know tracks, so a person sees nobody there either (`eval appearances`
 * counts those rows as found, so the two can disagree on a shot). A shot with a
 * sampled frame not looked at yet (taught since the last analyze) is left out.
 * Ordered by time.
 */
export function unseenShots(ws: Workspace, videoId: number): UnseenShot[] | null {
  ensureSchema(ws);
  if (!analysisComplete(ws, videoId)) return null;
  const seen = (ws.db.prepare(`SELECT DISTINCT a.frame FROM appearances a LEFT JOIN labels l ON l.track = a.track
    WHERE a.video_id = ? AND a.track IS NOT NULL AND COALESCE(l.rejected, 0) = 0 ORDER BY a.frame`).all(videoId) as { frame: number }[]).map((r) => r.frame);
  const rows = ws.db.prepare('SELECT frame, done FROM samples WHERE video_id = ? ORDER BY frame').all(videoId) as { frame: number; done: number }[];
  const sampled = rows.map((r) => r.frame);
  const pending = rows.filter((r) => !r.done).map((r) => r.frame);
  return loadShots(ws, videoId)
    .filter((s) => !within(seen, s.start, s.end).length && !within(pending, s.start, s.end).length)
    .sort((a, b) => a.start - b.start)
    .map((s) => {
      const own = within(sampled, s.start, s.end);
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
