// Labelling tables. `decisions` is what a person said, per track: a name, or
// "not a character". Decisions are kept per track, not per cluster, so they
// survive re-clustering when new episodes arrive (clusters are renumbered,
// tracks are not). `labels` is the classifier's answer for every track.
import type { Workspace } from '../core/workspace.js';
import { ensureSchema as ensureAnalyze } from '../analyze/store.js';

export function ensureSchema(ws: Workspace): void {
  ensureAnalyze(ws);
  // Every version's SQL runs on databases of any older version: IF NOT EXISTS throughout.
  ws.schema('label', 2, `
    CREATE TABLE IF NOT EXISTS decisions (
      track INTEGER PRIMARY KEY,
      name TEXT,
      rejected INTEGER NOT NULL DEFAULT 0,
      at TEXT DEFAULT CURRENT_TIMESTAMP
    );
    CREATE TABLE IF NOT EXISTS labels (
      track INTEGER PRIMARY KEY,
      name TEXT,
      rejected INTEGER NOT NULL DEFAULT 0,
      confidence REAL NOT NULL,
      source TEXT NOT NULL
    );
    -- Merges and splits a person made, as track pairs (a < b): together = one character, apart = not.
    -- The dictionary is rebuilt with them as constraints, so the edits survive new episodes.
    CREATE TABLE IF NOT EXISTS links (
      a INTEGER NOT NULL,
      b INTEGER NOT NULL,
      together INTEGER NOT NULL,
      PRIMARY KEY (a, b)
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

export interface Links {
  together: [number, number][];
  apart: [number, number][];
}

export function links(ws: Workspace): Links {
  ensureSchema(ws);
  const out: Links = { together: [], apart: [] };
  for (const r of ws.db.prepare('SELECT a, b, together FROM links ORDER BY a, b').all() as { a: number; b: number; together: number }[]) {
    (r.together ? out.together : out.apart).push([r.a, r.b]);
  }
  return out;
}

/** A person merged these tracks: one character (a chain to the first is enough; clustering is transitive). */
export function linkTogether(ws: Workspace, tracks: readonly number[]): void {
  const ts = [...new Set(tracks)].sort((x, y) => x - y);
  const put = ws.db.prepare('INSERT OR REPLACE INTO links (a, b, together) VALUES (?, ?, 1)');
  const unapart = ws.db.prepare('DELETE FROM links WHERE a = ? AND b = ? AND together = 0');
  const set = new Set(ts);
  ws.db.transaction(() => {
    for (const t of ts.slice(1)) put.run(ts[0], t);
    // A merge overrides earlier splits among these tracks.
    for (const r of ws.db.prepare('SELECT a, b FROM links WHERE together = 0').all() as { a: number; b: number }[]) {
      if (set.has(r.a) && set.has(r.b)) unapart.run(r.a, r.b);
    }
  })();
}

/** A person split these two groups: never one character. Drops earlier merges across the groups. */
export function linkApart(ws: Workspace, left: readonly number[], right: readonly number[]): void {
  const put = ws.db.prepare('INSERT OR REPLACE INTO links (a, b, together) VALUES (?, ?, 0)');
  const L = new Set(left), R = new Set(right);
  ws.db.transaction(() => {
    // The person said the cluster was mixed: earlier merges of its tracks no longer hold (the sides are the split's guess, not a merge).
    const all = new Set([...left, ...right]);
    const stale = ws.db.prepare('DELETE FROM links WHERE together = 1 AND a = ? AND b = ?');
    for (const r of ws.db.prepare('SELECT a, b FROM links WHERE together = 1').all() as { a: number; b: number }[]) {
      if (all.has(r.a) || all.has(r.b)) stale.run(r.a, r.b);
    }
    for (const a of L) for (const b of R) put.run(Math.min(a, b), Math.max(a, b));
  })();
}
