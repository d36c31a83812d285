// What a person does to the dictionary: name a cluster, mark it "not a
// character", merge clusters, split one. Each edit records decisions per
// track, rewrites the affected collages and relabels the series.
import { rmSync } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import type { Track } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';
import { agglomerate, character, trackVector } from '../dictionary/index.js';
import { coOccurring } from '../dictionary/triplets.js';
import { seriesTracks, type Appearance } from '../analyze/tracks.js';
import { collagePath, writeCharacterCollage } from '../analyze/collage.js';
import { ensureSchema, decide, forget, clusterTracks, linkTogether, linkApart } from './store.js';
import { relabel, type LabelSummary } from './relabel.js';

/** A dictionary character is as clustered (`auto`), named by a person, or rejected as not a character. */
export type CharacterStatus = 'auto' | 'named' | 'rejected';

interface ClusterRow { id: number; name: string | null; status: CharacterStatus }

function cluster(ws: Workspace, id: number): ClusterRow & { tracks: number[] } {
  ensureSchema(ws);
  const row = Number.isInteger(id) ? ws.db.prepare('SELECT id, name, status FROM clusters WHERE id = ?').get(id) as ClusterRow | undefined : undefined;
  if (!row) throw new ToonscopeError(ws.dir, `no character ${id} in the dictionary (run analyze, then list them with \`toonscope label\`)`);
  return { ...row, tracks: clusterTracks(ws).get(id) ?? [] };
}

function cleanName(name: string): string {
  // A line break would end a WebVTT cue and a CSV row: refused, not silently joined.
  if (/[\n\r\v\f\u0085\u2028\u2029]/.test(name)) throw new ToonscopeError(undefined, `a character name must be one line (got ${JSON.stringify(name)})`);
  const n = name.replace(/\s+/g, ' ').trim();
  if (!n || n.length > 80 || /[\u0000-\u001f]/.test(n)) throw new ToonscopeError(undefined, `a character name must be 1-80 printable characters (got ${JSON.stringify(name)})`);
  // `-->` ends a WebVTT cue's timing line: a name holding it would blank the episode's subtitles (exports escape it too).
  if (n.includes('-->')) throw new ToonscopeError(undefined, `a character name cannot contain "-->" (got ${JSON.stringify(name)})`);
  return n;
}

/** Name a dictionary character: every track of it keeps the name through re-clustering, and all tracks are relabelled. */
export async function nameCharacter(ws: Workspace, id: number, name: string): Promise<LabelSummary> {
  const c = cluster(ws, id);
  const n = cleanName(name);
  decide(ws, c.tracks, { name: n, rejected: false });
  ws.db.prepare("UPDATE clusters SET name = ?, status = 'named' WHERE id = ?").run(n, id);
  return relabel(ws);
}

/** "Not a character": false detections, props, crowds. */
export async function rejectCharacter(ws: Workspace, id: number): Promise<LabelSummary> {
  const c = cluster(ws, id);
  decide(ws, c.tracks, { name: null, rejected: true });
  ws.db.prepare("UPDATE clusters SET name = NULL, status = 'rejected' WHERE id = ?").run(id);
  return relabel(ws);
}

/** Undo a name or a rejection: the cluster's tracks go back to the classifier. */
export async function resetCharacter(ws: Workspace, id: number): Promise<LabelSummary> {
  const c = cluster(ws, id);
  forget(ws, c.tracks);
  ws.db.prepare("UPDATE clusters SET name = NULL, status = 'auto' WHERE id = ?").run(id);
  return relabel(ws);
}

/** Rebuild a cluster row (size, track count, medoid) and its collage from its member tracks. */
async function refresh(ws: Workspace, id: number, members: Track[]): Promise<void> {
  if (!members.some((t) => t.detections.some((d) => d.embedding))) return;
  const ch = character(id, members);
  ws.db.prepare('UPDATE clusters SET medoid = ?, size = ?, tracks = ? WHERE id = ?').run((ch.exemplar as Appearance).id, ch.detections, members.length, id);
  await writeCharacterCollage(ws, ch, members);
}

/** Merge clusters `from` into `into`. The merged cluster keeps `into`'s decision, else the first decision among `from`. */
export async function mergeCharacters(ws: Workspace, into: number, from: readonly number[]): Promise<LabelSummary> {
  const target = cluster(ws, into);
  const others = [...new Set(from)].filter((id) => id !== into).map((id) => cluster(ws, id));
  if (!others.length) throw new ToonscopeError(undefined, 'merge needs at least one other character to merge into the first');
  const decided = [target, ...others].find((c) => c.status !== 'auto');
  const tracks = [target, ...others].flatMap((c) => c.tracks);
  ws.db.transaction(() => {
    const move = ws.db.prepare('UPDATE appearances SET cluster = ? WHERE cluster = ?');
    const drop = ws.db.prepare('DELETE FROM clusters WHERE id = ?');
    for (const o of others) { move.run(into, o.id); drop.run(o.id); }
    if (decided) ws.db.prepare('UPDATE clusters SET name = ?, status = ? WHERE id = ?').run(decided.name, decided.status, into);
  })();
  // A person said these are one character: a decided merge decides all its tracks, and rebuilding the dictionary keeps them together.
  if (decided) decide(ws, tracks, { name: decided.name, rejected: decided.status === 'rejected' });
  linkTogether(ws, tracks);
  for (const o of others) rmSync(collagePath(ws, o.id), { force: true });
  const all = await seriesTracks(ws);
  const set = new Set(tracks);
  await refresh(ws, into, all.filter((t) => set.has(t.id)));
  return relabel(ws);
}

/**
 * Split a cluster in two (average-linkage on its tracks, same-frame tracks
 * kept apart). A split says the cluster was mixed, so its decisions and
 * merges are dropped: both parts come back unnamed, and stay apart when the
 * dictionary is rebuilt. Returns the ids of both parts.
 */
export async function splitCharacter(ws: Workspace, id: number): Promise<LabelSummary & { ids: number[] }> {
  const c = cluster(ws, id);
  const set = new Set(c.tracks);
  const members = (await seriesTracks(ws)).filter((t) => set.has(t.id) && t.detections.some((d) => d.embedding));
  if (members.length < 2) throw new ToonscopeError(undefined, `character ${id} has ${members.length} track${members.length === 1 ? '' : 's'}: nothing to split`);
  const vecs = members.map(trackVector);
  const index = new Map(members.map((t, i) => [t.id, i]));
  const links: Array<[number, number]> = [];
  for (const [a, bs] of coOccurring(members)) for (const b of bs) if (a < b) links.push([index.get(a)!, index.get(b)!]);
  // Two tracks: one each (the silhouette search needs at least three items to compare partitions).
  const parts = members.length === 2 ? { labels: [0, 1] } : agglomerate(vecs, { maxClusters: 2, cannotLink: links });
  // Cannot-links can force more than two parts; the largest stays `id`, the rest become one new cluster.
  const stay = members.filter((_, i) => parts.labels[i] === 0);
  const leave = members.filter((_, i) => parts.labels[i] !== 0);
  if (!leave.length) throw new ToonscopeError(undefined, `character ${id} could not be split (all its tracks are alike)`);
  const next = ((ws.db.prepare('SELECT MAX(id) m FROM clusters').get() as { m: number }).m ?? 0) + 1;
  ws.db.transaction(() => {
    ws.db.prepare("INSERT INTO clusters (id, medoid, size, tracks, status) VALUES (?, NULL, 0, 0, 'auto')").run(next);
    ws.db.prepare("UPDATE clusters SET name = NULL, status = 'auto' WHERE id = ?").run(id);
    const move = ws.db.prepare('UPDATE appearances SET cluster = ? WHERE track = ?');
    for (const t of leave) move.run(next, t.id);
  })();
  forget(ws, c.tracks);
  // Rebuilding the dictionary keeps the two parts apart.
  linkApart(ws, stay.map((t) => t.id), leave.map((t) => t.id));
  await refresh(ws, id, stay);
  await refresh(ws, next, leave);
  return { ...(await relabel(ws)), ids: [id, next] };
}
