// What `analyze --queue`, `shots --queue` (and, for the video's URL, `interpolate --queue`) share on the CLI side: the
// --video-url mapping, the run, and one line per episode.
import { basename } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import type { Values } from '../cli/command.js';
import { ToonscopeError } from '../core/errors.js';
import { runQueued, type QueueRunOptions, type EpisodeOutcome } from './coordinator.js';

/** How workers reach a video: its path on the shared folder, or BASE/<file name> under `--video-url BASE`. */
export function videoSource(values: Values): ((path: string) => string) | undefined {
  const base = values['video-url'] as string | undefined;
  if (base !== undefined && !/^https?:\/\//.test(base)) throw new ToonscopeError(undefined, `--video-url must be an http(s) URL, got "${base}"`);
  return base ? (p: string) => `${base.replace(/\/+$/, '')}/${encodeURIComponent(basename(p))}` : undefined;
}

export async function runQueuedCommand<S>(ws: Workspace, values: Values, videos: string[], opts: QueueRunOptions<S>): Promise<{ run: string; episodes: EpisodeOutcome[]; series: S; text: string; failed: number }> {
  const r = await runQueued(ws, values.queue as string, videos, { ...opts, source: videoSource(values) });
  const failed = r.episodes.filter((e) => e.state === 'failed').length;
  const text = [
    ...r.episodes.map((e) => e.state === 'done'
      ? `${basename(e.video)}: ${Object.entries(e.summary ?? {}).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${v} ${k}`).join(', ')}${e.worker ? ` (worker ${e.worker}, ${e.seconds} s)` : ' (written by an earlier run)'}`
      : `${basename(e.video)}: FAILED: ${e.error}`),
    `queue run ${r.run}: ${r.episodes.length - failed} of ${r.episodes.length} episode(s) done${failed ? `, ${failed} failed (toonscope queue status URL)` : ''}`,
  ].join('\n');
  return { ...r, text, failed };
}
