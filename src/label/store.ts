// Labelling tables. `decisions` is what a person said, per track: a name, or
// "not a character". Decisions are kept per track, not per cluster, so they
// survive re-clustering when new episodes arrive (clusters are renumbered,
// tracks are not). `labels` is the classifier's answer for every track.
import type { Workspace } from '../core/workspace.js';
import { ensureSchema as ensureAnalyze } from '../analyze/store.js';

export function ensureSchema(ws: Workspace): void {
  ensureAnalyze(ws);
  ws.schema('label', 1, `
    CREATE TABLE decisions (
      track INTEGER PRIMARY KEY,
      name TEXT,
      rejected INTEGER NOT NULL DEFAULT 0,
      at TEXT DEFAULT CURRENT_TIMESTAMP
    );
    CREATE TABLE labels (
      track INTEGER PRIMARY KEY,
      name TEXT,
      rejected INTEGER NOT NULL DEFAULT 0,
      confidence REAL NOT NULL,
      source TEXT NOT NULL
    );
  `);
}

export interface Decision {
  track: number;
  name: string | null;
  rejected: boolean;
}

export function decisions(ws: Workspace): Decision[] {
  return (ws.db.prepare('SELECT track, name, rejected FROM decisions').all() as { track: number; name: string | null; rejected: number }[])
    .map((r) => ({ track: r.track, name: r.name, rejected: !!r.rejected }));
}

export function decide(ws: Workspace, tracks: readonly number[], d: { name: string | null; rejected: boolean }): void {
  const ins = ws.db.prepare('INSERT OR REPLACE INTO decisions (track, name, rejected) VALUES (?, ?, ?)');
  ws.db.transaction(() => tracks.forEach((t) => ins.run(t, d.name, d.rejected ? 1 : 0)))();
}

export function forget(ws: Workspace, tracks: readonly number[]): void {
  const del = ws.db.prepare('DELETE FROM decisions WHERE track = ?');
  ws.db.transaction(() => tracks.forEach((t) => del.run(t)))();
}

export interface Label {
  track: number;
  name: string | null;
  rejected: boolean;
  confidence: number;
  /** person: decided by a person (through a cluster); auto: the kNN classifier; cluster: its cluster's majority label. */
  source: 'person' | 'auto' | 'cluster';
}

export function saveLabels(ws: Workspace, labels: readonly Label[]): void {
  const ins = ws.db.prepare('INSERT INTO labels (track, name, rejected, confidence, source) VALUES (?, ?, ?, ?, ?)');
  ws.db.transaction(() => {
    ws.db.prepare('DELETE FROM labels').run();
    for (const l of labels) ins.run(l.track, l.name, l.rejected ? 1 : 0, l.confidence, l.source);
  })();
}

export function labels(ws: Workspace): Map<number, Label> {
  const rows = ws.db.prepare('SELECT track, name, rejected, confidence, source FROM labels').all() as { track: number; name: string | null; rejected: number; confidence: number; source: Label['source'] }[];
  return new Map(rows.map((r) => [r.track, { ...r, rejected: !!r.rejected }]));
}

/** Track ids per cluster, from the appearances table. */
export function clusterTracks(ws: Workspace): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of ws.db.prepare('SELECT DISTINCT cluster, track FROM appearances WHERE cluster IS NOT NULL AND track IS NOT NULL ORDER BY track').all() as { cluster: number; track: number }[]) {
    if (!out.has(r.cluster)) out.set(r.cluster, []);
    out.get(r.cluster)!.push(r.track);
  }
  return out;
}
