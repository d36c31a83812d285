// Where nobody was found: the shots of a video in which no character stands,
// so a person knows where to look before teaching one (`label teach`).
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { loadShots } from '../shots/store.js';
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

/** Whether analyze has tracked this video: before that, "nobody found" would only mean "nobody looked". */
export function analysed(ws: Workspace, videoId: number): boolean {
  ensureSchema(ws);
  return !!ws.db.prepare("SELECT 1 FROM stages WHERE video_id = ? AND stage = 'analyze:tracks' AND status = 'done'").get(videoId);
}

/**
 * The shots of a video (those analyze used) where no appearance stands: no
 * tracked appearance of either pass, or only ones whose track is labelled
 * "not a character". Rows the tracker left out count as nobody: the lanes,
 * labels and exports only know tracks, so a person sees nobody there either.
 * Ordered by time.
 */
export function unseen(ws: Workspace, videoId: number): UnseenShot[] {
  const v = ws.video(videoId);
  if (!v) throw new ToonscopeError(undefined, `no video ${videoId} in the workspace ${ws.dir}`);
  if (!analysed(ws, videoId)) throw new ToonscopeError(v.path, `not analysed in the workspace ${ws.dir}: run \`toonscope analyze ${v.path}\` first`);
  const seen = new Set((ws.db.prepare(`SELECT DISTINCT a.shot FROM appearances a LEFT JOIN labels l ON l.track = a.track
    WHERE a.video_id = ? AND a.track IS NOT NULL AND COALESCE(l.rejected, 0) = 0`).all(videoId) as { shot: number }[]).map((r) => r.shot));
  const samples = new Map<number, number[]>();
  for (const r of ws.db.prepare('SELECT shot, frame FROM samples WHERE video_id = ? ORDER BY frame').all(videoId) as { shot: number; frame: number }[]) {
    if (!samples.has(r.shot)) samples.set(r.shot, []);
    samples.get(r.shot)!.push(r.frame);
  }
  return loadShots(ws, videoId).filter((s) => !seen.has(s.index)).map((s) => {
    // A sample outside the shot's frames would be a stale row of other shots: never point the person there.
    const own = (samples.get(s.index) ?? []).filter((f) => f >= s.start && f <= s.end);
    return {
      shot: s.index, start: s.startTime, end: s.endTime, firstFrame: s.start, lastFrame: s.end,
      look: own.length ? own[own.length >> 1] : (s.start + s.end) >> 1,
    };
  });
}
