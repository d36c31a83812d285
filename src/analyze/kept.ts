// The frames an analysis keeps from its first pass for its learned pass (core/frame-cache.ts), one set per
// workspace: they live as long as the analysis (analyzeVideo, then analyzeSeries), not the process.
import { FrameCache } from '../core/frame-cache.js';
import type { Workspace } from '../core/workspace.js';

const byWorkspace = new WeakMap<Workspace, FrameCache>();

/** The workspace's kept frames, a new empty set if it has none yet. */
export function startKeeping(ws: Workspace): FrameCache {
  let c = byWorkspace.get(ws);
  if (!c) byWorkspace.set(ws, (c = new FrameCache()));
  return c;
}

/** The frames kept for the workspace's analysis, if any. */
export function keptFrames(ws: Workspace): FrameCache | undefined {
  return byWorkspace.get(ws);
}

/** Let the workspace's kept frames go (its learned pass has looked at them). */
export function dropFrames(ws: Workspace): void {
  byWorkspace.delete(ws);
}
