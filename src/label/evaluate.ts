// How much of a series is labelled correctly after a person names each
// cluster once. The person is simulated from truth: each cluster gets the
// identity most of its matched appearances have, or "not a character" when
// most of its appearances match no truth character. With --holdout the last
// truth video is analysed only after the naming, so its labels come from the
// classifier alone (a new episode of a named series). With --unnamed NAME
// the person never names that identity's clusters: its appearances should
// stay unknown (open set), and the other scores leave it out.
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { analyzeVideo, type AnalyzeOptions } from '../analyze/pipeline.js';
import { analyzeSeries } from '../analyze/series.js';
import { appearances } from '../analyze/store.js';
import { identify } from '../analyze/evaluate.js';
import { loadCastTruth } from '../analyze/truth.js';
import { listCharacters } from './spans.js';
import { nameCharacter, rejectCharacter } from './edit.js';
import { labels } from './store.js';

export interface LabelScore {
  /** Appearances matched to a truth character (IoU >= 0.5), the ones scored. */
  scored: number;
  correct: number;
  wrong: number;
  unknown: number;
  /** Matched appearances labelled "not a character". */
  rejected: number;
  accuracy: number;
}

export interface LabelEval {
  truths: string[];
  /** Clusters named (and rejected) by the simulated person: one action per cluster. */
  named: number;
  rejected: number;
  /** All scored appearances (without holdout), or the episodes that existed when naming happened. */
  named_episodes: LabelScore;
  /** The held-out episode, labelled automatically after it was analysed (holdout only). */
  new_episode?: LabelScore;
  /** Appearances of the identity nobody named (--unnamed): they should stay unknown, not take someone else's name. */
  unnamed?: LabelScore & { identity: string };
}

function score(ws: Workspace, truth: Map<number, string>, videos: Set<number>, only?: (who: string) => boolean): LabelScore {
  const lab = labels(ws);
  const s: LabelScore = { scored: 0, correct: 0, wrong: 0, unknown: 0, rejected: 0, accuracy: 0 };
  for (const r of appearances(ws)) {
    const want = truth.get(r.id);
    if (!want || !videos.has(r.video_id) || (only && !only(want))) continue;
    s.scored++;
    const l = r.track === null ? undefined : lab.get(r.track);
    if (!l || (!l.name && !l.rejected)) s.unknown++;
    else if (l.rejected) s.rejected++;
    else if (l.name === want) s.correct++;
    else s.wrong++;
  }
  s.accuracy = s.scored ? s.correct / s.scored : 0;
  return s;
}

export async function evalLabels(ws: Workspace, files: string[], opts: AnalyzeOptions & { holdout?: boolean; epochs?: number; unnamed?: string } = {}): Promise<LabelEval> {
  const truth = new Map<number, string>();
  const first = opts.holdout && files.length > 1 ? files.slice(0, -1) : files;
  const seen = new Set<number>();
  const add = async (f: string) => {
    const t = loadCastTruth(f);
    const s = await analyzeVideo(ws, t.path, opts);
    for (const [k, v] of identify(appearances(ws, s.videoId), t)) truth.set(k, v);
    return s.videoId;
  };
  for (const f of first) seen.add(await add(f));
  await analyzeSeries(ws, { epochs: opts.epochs, log: opts.log });

  // The simulated person: one action per cluster.
  let named = 0, rejected = 0;
  for (const c of listCharacters(ws)) {
    const votes = new Map<string, number>();
    const rows = appearances(ws).filter((r) => r.cluster === c.id);
    for (const r of rows) {
      const who = truth.get(r.id);
      if (who) votes.set(who, (votes.get(who) ?? 0) + 1);
    }
    const matched = [...votes.values()].reduce((a, b) => a + b, 0);
    const best = [...votes].sort((a, b) => b[1] - a[1])[0];
    if (best && best[0] === opts.unnamed) continue;
    if (!best || matched * 2 < rows.length) { await rejectCharacter(ws, c.id); rejected++; }
    else { await nameCharacter(ws, c.id, best[0]); named++; }
  }
  const others = opts.unnamed === undefined ? undefined : (who: string) => who !== opts.unnamed;
  const out: LabelEval = { truths: files, named, rejected, named_episodes: score(ws, truth, seen, others) };
  if (first.length < files.length) {
    const id = await add(files.at(-1)!);
    await analyzeSeries(ws, { epochs: opts.epochs, log: opts.log });
    seen.add(id);
    out.new_episode = score(ws, truth, new Set([id]), others);
  }
  if (opts.unnamed !== undefined) {
    if (![...truth.values()].includes(opts.unnamed)) throw new ToonscopeError(undefined, `--unnamed ${opts.unnamed}: no such identity in the truth files (${[...new Set(truth.values())].join(', ')})`);
    out.unnamed = { identity: opts.unnamed, ...score(ws, truth, seen, (who) => who === opts.unnamed) };
  }
  return out;
}
