// `--stats FILE`: the per-frame metrics every detector sees, as CSV, so a user
// can plot them and tune a threshold (PySceneDetect's stats file plays the
// same part; its first two columns are named alike).
import type { Transition } from '../core/types.js';
import { FIELDS, type FrameMetrics } from './metrics.js';
import { clock } from '../core/time.js';
import { computeMetrics, type DetectShotsOptions } from './detect.js';

/**
 * One row per frame: `Frame Number` (1-based, as PySceneDetect), `Timecode`, `Time (seconds)`,
 * then every metric (empty where a lagged metric has no earlier frame yet), then `Boundary`:
 * the kind of transition whose new shot starts at that frame, if any.
 */
export function statsCsv(metrics: readonly FrameMetrics[], transitions: readonly Transition[] = []): string {
  const at = new Map(transitions.map((t) => [t.frame, t.kind]));
  const rows = [['Frame Number', 'Timecode', 'Time (seconds)', ...FIELDS, 'Boundary'].join(',')];
  for (const m of metrics) {
    const vals = Array.from(m.values, (v) => (Number.isFinite(v) ? String(+v.toFixed(5)) : ''));
    rows.push([m.index + 1, clock(m.time), m.time.toFixed(6), ...vals, at.get(m.index) ?? ''].join(','));
  }
  return `${rows.join('\n')}\n`;
}

/**
 * The stats CSV of a video: its per-frame metrics (read back from the workspace when
 * `detectShots` ran with the same one, width and crop; decoded otherwise) and the transitions found.
 */
export async function shotStats(path: string, transitions: readonly Transition[] = [], opts: Pick<DetectShotsOptions, 'workspace' | 'width' | 'crop'> = {}): Promise<string> {
  const { metrics } = await computeMetrics(path, opts);
  return statsCsv(metrics, transitions);
}
