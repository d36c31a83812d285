// `eval appearances`: does analyze find every character of real footage, and
// does each land in a dictionary cluster of her own? Truth is hand-drawn
// boxes on several frames of every shot (eval/characters/appearances.truth.json,
// coordinates only; the clips stay outside the repository). Per series: a
// fresh workspace, analyze with zero clicks, score; then one taught box for
// every character zero clicks missed, analyze again, score again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Box, Image } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';
import { Workspace } from '../core/workspace.js';
import { decodeSelected, probe } from '../core/video.js';
import { paste, writeImage } from '../core/image.js';
import { esc } from '../core/html.js';
import { coverage, iou } from '../core/box.js';
import { drawBoxes } from '../characters/overlay.js';
import { tool } from '../core/ffmpeg.js';
import type { Progress } from '../core/progress.js';
import { analyzeVideo, type AnalyzeOptions } from './pipeline.js';
import { analyzeSeries } from './series.js';
import { teach, LEARNED_MODEL, type Judged } from './learn.js';

export interface TruthCharacter {
  name: string;
  body: Box;
  face?: Box;
  /** Mostly outside the frame (a sliver at its edge): not counted in recall, and a found box lying mostly inside it is neither right nor wrong. */
  partial?: boolean;
}
export interface TruthFrame { frame: number; characters: TruthCharacter[] }
export interface TruthClip { video: string; series: string; crop?: 'left-third'; source?: string; shots?: [number, number][]; frames: TruthFrame[] }

const isBox = (b: unknown): b is Box => Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v)) && b[2] > 0 && b[3] > 0;

/** Read and check an appearance truth file (one line naming the file and the field on any fault). */
export function readAppearanceTruth(file: string): TruthClip[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ToonscopeError(file, `not readable JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const clips = (doc as { clips?: unknown })?.clips;
  if (!Array.isArray(clips) || !clips.length) throw new ToonscopeError(file, 'clips: expected a non-empty list');
  clips.forEach((c, i) => {
    const at = `clips[${i}]`;
    if (typeof c?.video !== 'string' || !c.video) throw new ToonscopeError(file, `${at}.video: expected a file name`);
    if (typeof c.series !== 'string' || !c.series) throw new ToonscopeError(file, `${at}.series: expected a name`);
    if (c.crop !== undefined && c.crop !== 'left-third') throw new ToonscopeError(file, `${at}.crop: only "left-third" is known`);
    if (c.shots !== undefined) {
      // The shots tile the clip: each [first, last] frame, the next starting where one ends.
      if (!Array.isArray(c.shots)) throw new ToonscopeError(file, `${at}.shots: expected [[first, last], ...]`);
      c.shots.forEach((s: unknown, k: number) => {
        const ok = Array.isArray(s) && s.length === 2 && s.every((v) => Number.isInteger(v) && v >= 0) && s[0] <= s[1]
          && s[0] === (k === 0 ? 0 : c.shots[k - 1][1] + 1);
        if (!ok) throw new ToonscopeError(file, `${at}.shots[${k}]: expected [first, last] frames, ${k === 0 ? 'the first shot starting on frame 0' : 'starting on the frame after the previous shot\'s last'}`);
      });
    }
    if (!Array.isArray(c.frames)) throw new ToonscopeError(file, `${at}.frames: expected a list`);
    c.frames.forEach((f: TruthFrame, j: number) => {
      if (!Number.isInteger(f?.frame) || f.frame < 0) throw new ToonscopeError(file, `${at}.frames[${j}].frame: expected a frame number >= 0`);
      if (!Array.isArray(f.characters)) throw new ToonscopeError(file, `${at}.frames[${j}].characters: expected a list`);
      f.characters.forEach((ch, k) => {
        const here = `${at}.frames[${j}].characters[${k}]`;
        if (typeof ch?.name !== 'string' || !ch.name) throw new ToonscopeError(file, `${here}.name: expected a name`);
        if (!isBox(ch.body)) throw new ToonscopeError(file, `${here}.body: expected [x, y, w, h] with w, h > 0`);
        if (ch.face !== undefined && !isBox(ch.face)) throw new ToonscopeError(file, `${here}.face: expected [x, y, w, h] with w, h > 0`);
        if (ch.partial !== undefined && typeof ch.partial !== 'boolean') throw new ToonscopeError(file, `${here}.partial: expected true or false`);
      });
    });
  });
  return clips as TruthClip[];
}

interface Found { id: number; frame: number; box: Box; pass: number; track: number | null; cluster: number | null }

export interface CharacterScore {
  series: string;
  name: string;
  truth: number;
  found: number;
  recall: number;
  /** The cluster most of her found appearances are in, and the share of that cluster's matched appearances that are hers. */
  cluster: number | null;
  purity: number;
  /** No other character has that cluster as hers. */
  own: boolean;
  /** Found by the detector chain at least once (the zero-click target covers these). */
  byChain: boolean;
}

export interface ClipScore {
  video: string; series: string; truth: number; found: number; appearances: number; falsePositives: number; precision: number; picture: string;
  /** False appearances from the detector chain (pass 1) and from the learned pass (pass 2). */
  falseByPass: [number, number];
  /** Truth boxes and those found, per figure size (`SIZES`; `upTo` its upper end, null for the last). */
  bySize: Array<{ upTo: number | null; truth: number; found: number }>;
  /** Zero clicks: why each truth box missed was missed (`missCause`). */
  missedBy?: MissCauses;
}

/**
 * Why a truth box was missed, as the learned pass saw her frame: no series map was learnt (the first pass found nobody
 * in the series, or nothing to train on); no candidate on her frame while every candidate judged in her shot was
 * turned down (`shotTurnedDown`: a shot whose probe frames keep nobody is not looked at further, so her frame was
 * most likely never looked at, the likeness test having refused what the map lit on the probes); no candidate on her
 * frame otherwise (not lit there, or on no frame looked at in her shot); candidates only elsewhere on it (or one on her,
 * kept, but matched to someone beside her); or one on her (matching her as a found box would) that the likeness test
 * or the settling turned down.
 */
export interface MissCauses { noMap: number; shotTurnedDown: number; noCandidate: number; elsewhere: number; turnedDown: number }

/**
 * The cause of a miss, from the candidates the second pass judged on her frame (source pixels) and on the other
 * frames of her shot (`shot`; left out, her frame alone speaks).
 */
export function missCause(t: TruthCharacter, candidates: ReadonlyArray<{ box: Box; kept: boolean }>, hasMap: boolean, shot: ReadonlyArray<{ kept: boolean }> = []): keyof MissCauses {
  if (!hasMap) return 'noMap';
  if (!candidates.length) return shot.length && !shot.some((c) => c.kept) ? 'shotTurnedDown' : 'noCandidate';
  return candidates.some((c) => !c.kept && matchScore(t, c.box) > 0) ? 'turnedDown' : 'elsewhere';
}

/** The candidates judged on each frame, gathered by the shot each frame is in (frames of no known shot left out). */
export function judgedByShot<C>(byFrame: ReadonlyMap<number, readonly C[]>, shotOf: ReadonlyMap<number, number>): Map<number, C[]> {
  const out = new Map<number, C[]>();
  for (const [f, list] of byFrame) {
    const shot = shotOf.get(f);
    if (shot === undefined) continue;
    if (!out.has(shot)) out.set(shot, []);
    out.get(shot)!.push(...list);
  }
  return out;
}

/** Candidates the second pass judged, by video (resolved path) and frame. */
type Candidates = Map<string, Map<number, Array<{ box: Box; kept: boolean }>>>;

/**
 * Figure sizes recall is also given by: her body's height as a share of the frame's, below `upTo`. Under a quarter (a
 * figure in a wide shot), a quarter to a half, the rest (a close-up or a whole figure near the camera). They say how
 * she is framed, not how many pixels she has: in a portrait frame a quarter of the height spans more of the series
 * map (24 cells on the longer side) than in a landscape one. The first pass needs a face, and the face cascade finds
 * none on figures under half the frame's height in the clips measured (docs/cast.md, Evaluation).
 */
export const SIZES = [
  { upTo: 0.25, name: 'under 1/4' },
  { upTo: 0.5, name: '1/4 to 1/2' },
  { upTo: Infinity, name: '1/2 and over' },
] as const;

/** Which of `SIZES` a body of height `h` in a frame `height` tall falls in (both checked > 0 by the truth reader and `probe`). */
export function sizeOf(h: number, height: number): number {
  const k = SIZES.findIndex((s) => h / height < s.upTo);
  if (k < 0) throw new Error(`sizeOf: no size for a body ${h} px tall in a frame ${height} px tall`);
  return k;
}

export interface RunScore {
  mode: 'zero clicks' | 'taught';
  /** Taught run: characters found under the taught recall target were taught too (`teachPartial`), not only those never found. */
  partial?: boolean;
  characters: CharacterScore[];
  clips: ClipScore[];
  taught: Array<{ series: string; name: string; video: string; frame: number; box: Box }>;
}

export interface AppearanceEval { runs: RunScore[]; targets: TargetReport[]; report: string }

export interface AppearanceEvalOptions extends AnalyzeOptions {
  epochs?: number;
  data: string[];
  out: string;
  teach?: boolean;
  /** With teach: also one box per character zero clicks found under the taught recall target (on a view it missed). */
  teachPartial?: boolean;
  /** False: the detector chain alone, without the learned pass (what it adds is then measurable). */
  learn?: boolean;
  progress?: (label: string, total?: number) => Progress;
}

/** Truth matches a found box at IoU >= 0.5 with the body or with the face, or IoU >= 0.3 with the body when the found box holds most of her face. */
function matchScore(t: TruthCharacter, box: Box): number {
  const v = iou(t.body, box);
  if (v >= 0.5) return v;
  // Where no body was found the first pass stores her face box: it counts when it is her face.
  if (t.face && iou(t.face, box) >= 0.5) return iou(t.face, box);
  if (t.face && v >= 0.3 && coverage(t.face, box) >= 0.7) return v;
  return 0;
}

/** Greedy one-to-one matching on one frame, best pairs first. */
function matchFrame(truth: TruthCharacter[], found: Found[]): Map<number, Found> {
  const pairs: Array<[number, number, number]> = [];
  truth.forEach((t, i) => found.forEach((f, j) => { const v = matchScore(t, f.box); if (v > 0) pairs.push([v, i, j]); }));
  pairs.sort((a, b) => b[0] - a[0]);
  const out = new Map<number, Found>();
  const used = new Set<number>();
  for (const [, i, j] of pairs) if (!out.has(i) && !used.has(j)) { out.set(i, found[j]); used.add(j); }
  return out;
}

function locate(clip: TruthClip, data: string[]): string {
  for (const d of data) {
    const p = join(d, clip.video);
    if (existsSync(p)) return resolve(p);
  }
  throw new ToonscopeError(clip.video, `not found in ${data.join(', ')} (give the folder with --data)`);
}

/** The footage itself: side-by-side comparison clips are cropped to their input panel once. */
function footage(clip: TruthClip, src: string, out: string): string {
  if (!clip.crop) return src;
  const dst = join(out, 'clips', clip.video.replace(/\.[^.]+$/, '') + '.crop.mp4');
  if (existsSync(dst)) return dst;
  mkdirSync(join(out, 'clips'), { recursive: true });
  const r = spawnSync(tool('ffmpeg'), ['-v', 'error', '-y', '-i', `file:${src}`, '-vf', 'crop=iw/3:ih:0:0', '-c:v', 'libx264', '-crf', '12', '-an', `file:${dst}`]);
  if (r.status !== 0) throw new ToonscopeError(src, `could not crop the input panel: ${String(r.stderr).trim().split('\n').pop()}`);
  return dst;
}

async function score(ws: Workspace, clips: Array<{ clip: TruthClip; path: string }>, mode: RunScore['mode'], out: string, skip = new Set<string>(), judged?: Candidates): Promise<Omit<RunScore, 'taught'> & { missed: Set<string> }> {
  const missed = new Set<string>();
  const hasMap = !!ws.db.prepare('SELECT 1 FROM models WHERE name = ?').get(LEARNED_MODEL);
  const chars = new Map<string, { series: string; name: string; truth: number; found: number; clusters: Map<number, number>; byChain: boolean }>();
  const clusterMembers = new Map<number, Map<string, number>>();
  const clipScores: ClipScore[] = [];
  for (const { clip, path } of clips) {
    const vid = (ws.db.prepare('SELECT id FROM videos WHERE path = ?').get(resolve(path)) as { id: number } | undefined)?.id;
    const rows = vid === undefined ? [] : ws.db.prepare('SELECT id, frame, x, y, w, h, pass, track, cluster FROM appearances WHERE video_id = ?').all(vid) as Array<{ id: number; frame: number; x: number; y: number; w: number; h: number; pass: number; track: number | null; cluster: number | null }>;
    const byFrame = new Map<number, Found[]>();
    for (const r of rows) {
      if (!byFrame.has(r.frame)) byFrame.set(r.frame, []);
      byFrame.get(r.frame)!.push({ id: r.id, frame: r.frame, box: [r.x, r.y, r.w, r.h], pass: r.pass, track: r.track, cluster: r.cluster });
    }
    let truthN = 0, foundN = 0, apps = 0;
    // The frame's height, as the truth's boxes are drawn on it (a cropped side-by-side clip keeps the height).
    const info = probe(path);
    const bySize = SIZES.map((s) => ({ upTo: Number.isFinite(s.upTo) ? s.upTo : null, truth: 0, found: 0 }));
    const falseByPass: [number, number] = [0, 0];
    const missedBy: MissCauses | undefined = judged && { noMap: 0, shotTurnedDown: 0, noCandidate: 0, elsewhere: 0, turnedDown: 0 };
    const judgedHere = judged?.get(resolve(path));
    // What was judged on every frame of a shot (the analysis's own shots: the samples say which shot a frame is in).
    const shotOf = new Map(vid === undefined ? [] : (ws.db.prepare('SELECT frame, shot FROM samples WHERE video_id = ?').all(vid) as { frame: number; shot: number }[]).map((r) => [r.frame, r.shot]));
    const inShot = judgedByShot(judgedHere ?? new Map<number, Array<{ box: Box; kept: boolean }>>(), shotOf);
    const drawn: Array<{ frame: number; truth: TruthCharacter[]; found: Found[]; matched: Map<number, Found> }> = [];
    for (const f of clip.frames) {
      const whole = f.characters.filter((c) => !c.partial);
      const partial = f.characters.filter((c) => c.partial).map((c) => c.body);
      const m = matchFrame(whole, byFrame.get(f.frame) ?? []);
      const matchedIds = new Set([...m.values()].map((x) => x.id));
      // Not scored either way: a found box on a character mostly outside the frame, and the box found on a taught one.
      const onTaught = new Set(whole.flatMap((t, i) => (skip.has(`${clip.video}#${f.frame}#${t.name}`) && m.has(i) ? [m.get(i)!.id] : [])));
      const found = (byFrame.get(f.frame) ?? []).filter((x) => !onTaught.has(x.id) && (matchedIds.has(x.id) || !partial.some((p) => coverage(x.box, p) >= 0.5)));
      apps += found.length;
      whole.forEach((t, i) => {
        // A taught box is found on its own frame by construction: that box is not scored.
        if (skip.has(`${clip.video}#${f.frame}#${t.name}`)) return;
        const key = `${clip.series}\u0000${t.name}`;
        let c = chars.get(key);
        if (!c) chars.set(key, (c = { series: clip.series, name: t.name, truth: 0, found: 0, clusters: new Map(), byChain: false }));
        c.truth++;
        truthN++;
        const size = bySize[sizeOf(t.body[3], info.height)];
        size.truth++;
        const hit = m.get(i);
        if (!hit) {
          missed.add(`${clip.video}#${f.frame}#${t.name}`);
          if (missedBy) missedBy[missCause(t, judgedHere?.get(f.frame) ?? [], hasMap, inShot.get(shotOf.get(f.frame) ?? -1) ?? [])]++;
          return;
        }
        c.found++;
        foundN++;
        size.found++;
        if (hit.pass === 1) c.byChain = true;
        if (hit.cluster != null) {
          c.clusters.set(hit.cluster, (c.clusters.get(hit.cluster) ?? 0) + 1);
          if (!clusterMembers.has(hit.cluster)) clusterMembers.set(hit.cluster, new Map());
          const cm = clusterMembers.get(hit.cluster)!;
          cm.set(key, (cm.get(key) ?? 0) + 1);
        }
      });
      // A found appearance that matches no truth box is a false character (or one the truth leaves out).
      for (const x of found) {
        if (matchedIds.has(x.id)) continue;
        falseByPass[x.pass === 1 ? 0 : 1]++;
        if (x.cluster == null) continue;
        if (!clusterMembers.has(x.cluster)) clusterMembers.set(x.cluster, new Map());
        const cm = clusterMembers.get(x.cluster)!;
        cm.set('', (cm.get('') ?? 0) + 1);
      }
      drawn.push({ frame: f.frame, truth: whole, found, matched: m });
    }
    const picture = await drawClip(path, info, drawn, join(out, `${clip.video.replace(/\.[^.]+$/, '')}-${mode === 'taught' ? 'taught' : 'zero'}.png`));
    clipScores.push({ video: clip.video, series: clip.series, truth: truthN, found: foundN, appearances: apps, falsePositives: falseByPass[0] + falseByPass[1], precision: apps ? foundN / apps : 1, picture, falseByPass, bySize, ...(missedBy ? { missedBy } : {}) });
  }
  const characters: CharacterScore[] = [];
  const majority = new Map<string, number | null>();
  for (const [key, c] of chars) {
    let best: number | null = null, bn = 0;
    for (const [cl, n] of c.clusters) if (n > bn) { bn = n; best = cl; }
    majority.set(key, best);
  }
  for (const [key, c] of chars) {
    const cl = majority.get(key) ?? null;
    const members = cl == null ? undefined : clusterMembers.get(cl);
    const total = members ? [...members.values()].reduce((a, b) => a + b, 0) : 0;
    const own = cl != null && [...majority.entries()].every(([k, v]) => k === key || v !== cl);
    characters.push({ series: c.series, name: c.name, truth: c.truth, found: c.found, recall: c.truth ? c.found / c.truth : 0, cluster: cl, purity: total ? (members!.get(key) ?? 0) / total : 0, own, byChain: c.byChain });
  }
  return { mode, characters, clips: clipScores, missed };
}

/** Truth (cyan) and found boxes (green: detector chain, red: learned pass) on every truth frame, in a grid. */
async function drawClip(path: string, info: { width: number; height: number }, frames: Array<{ frame: number; truth: TruthCharacter[]; found: Found[] }>, file: string): Promise<string> {
  const W = 320, H = Math.max(2, Math.round((W * info.height) / info.width / 2) * 2);
  const s = W / info.width;
  const tiles = new Map<number, Image>();
  for await (const f of decodeSelected(path, frames.map((x) => x.frame), { width: W, height: H })) tiles.set(f.index, f);
  const cols = Math.min(6, frames.length), rows = Math.ceil(frames.length / cols);
  const img: Image = { width: W * cols, height: H * rows, channels: 3, data: new Uint8Array(W * cols * H * rows * 3) };
  const scaled = (b: Box, inset: number): Box => [b[0] * s + inset, b[1] * s + inset, b[2] * s - 2 * inset, b[3] * s - 2 * inset];
  frames.forEach((fr, k) => {
    const t = tiles.get(fr.frame);
    if (!t) return;
    // Truth on the outer two pixels of its box, found boxes two pixels inside theirs, so coinciding boxes both show.
    drawBoxes(t, fr.truth.map((c) => scaled(c.body, 0)), [0, 255, 255]);
    for (const pass of [1, 2]) drawBoxes(t, fr.found.filter((f) => (f.pass === 1) === (pass === 1)).map((f) => scaled(f.box, 2)), pass === 1 ? [0, 220, 0] : [255, 40, 40]);
    paste(img, t, (k % cols) * W, Math.floor(k / cols) * H);
  });
  mkdirSync(resolve(file, '..'), { recursive: true });
  await writeImage(file, img);
  return file;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Zero clicks, then one taught box per missed character; both scored against the truth. */
export async function evalAppearances(truthFile: string, opts: AppearanceEvalOptions): Promise<AppearanceEval> {
  const clips = readAppearanceTruth(truthFile);
  mkdirSync(opts.out, { recursive: true });
  const bySeries = new Map<string, Array<{ clip: TruthClip; path: string }>>();
  for (const clip of clips) {
    let src: string;
    try {
      src = locate(clip, opts.data);
    } catch (e) {
      opts.log?.(`skipped: ${(e as Error).message}`);
      continue;
    }
    if (!bySeries.has(clip.series)) bySeries.set(clip.series, []);
    bySeries.get(clip.series)!.push({ clip, path: footage(clip, src, opts.out) });
  }
  if (!bySeries.size) throw new ToonscopeError(truthFile, `none of its clips is in ${opts.data.join(', ')}`);
  const runs: RunScore[] = [{ mode: 'zero clicks', characters: [], clips: [], taught: [] }];
  if (opts.teach) runs.push({ mode: 'taught', ...(opts.teachPartial ? { partial: true } : {}), characters: [], clips: [], taught: [] });
  for (const [series, list] of bySeries) {
    // A fresh workspace every run: boxes taught by an earlier --teach run must not count as zero clicks.
    const dir = join(opts.out, 'workspaces', series.replace(/[^\w.-]+/g, '_'));
    rmSync(dir, { recursive: true, force: true });
    const ws = Workspace.open(dir);
    try {
      // What the learned pass judged on a fresh workspace, for the zero-click run's causes of misses (a taught run
      // looks again only at the shots the taught boxes change, so its causes would be partial: not given).
      const judged: Candidates = new Map();
      const told: Judged = (video, frame, box, kept) => {
        const key = resolve(video);
        if (!judged.has(key)) judged.set(key, new Map());
        const at = judged.get(key)!;
        if (!at.has(frame)) at.set(frame, []);
        at.get(frame)!.push({ box, kept });
      };
      const analyse = async (first: boolean) => {
        for (const { clip, path } of list) await analyzeVideo(ws, path, { ...opts, extraFrames: clip.frames.map((f) => f.frame) });
        await analyzeSeries(ws, { epochs: opts.epochs, learn: opts.learn, log: opts.log, progress: opts.progress, ...(first ? { judged: told } : {}) });
      };
      await analyse(true);
      // Without the learned pass there is nothing it saw: no causes.
      const zero = await score(ws, list, 'zero clicks', opts.out, undefined, opts.learn === false ? undefined : judged);
      runs[0].characters.push(...zero.characters);
      runs[0].clips.push(...zero.clips);
      if (!opts.teach) continue;
      // One box per character zero clicks never found (with teachPartial, also per character it found under the taught
      // recall target), where a person would draw it: on her clearest view zero clicks missed, the missed truth
      // appearance with the largest body box (the first such on a tie), not wherever she first turns up (a speck in a
      // wide shot), nor where she is found already.
      for (const miss of zero.characters.filter((c) => (opts.teachPartial ? c.recall < TARGETS.taught.recall : c.found === 0))) {
        const views = list.flatMap(({ clip, path }) => clip.frames.flatMap((f) => f.characters.filter((c) => c.name === miss.name && !c.partial && zero.missed.has(`${clip.video}#${f.frame}#${c.name}`)).map((c) => ({ clip, path, frame: f.frame, box: c.body }))));
        const at = views.reduce<(typeof views)[number] | undefined>((best, v) => (!best || v.box[2] * v.box[3] > best.box[2] * best.box[3] ? v : best), undefined);
        if (!at) continue;
        const info = probe(at.path);
        // Hand-drawn boxes may reach a pixel past the frame: clip them to it.
        const x0 = Math.max(0, Math.round(at.box[0])), y0 = Math.max(0, Math.round(at.box[1]));
        const box: Box = [x0, y0, Math.min(Math.round(at.box[0] + at.box[2]), info.width) - x0, Math.min(Math.round(at.box[1] + at.box[3]), info.height) - y0];
        await teach(ws, at.path, at.frame, box, miss.name);
        runs[1].taught.push({ series, name: miss.name, video: at.clip.video, frame: at.frame, box });
      }
      await analyse(false);
      const taught = await score(ws, list, 'taught', opts.out, new Set(runs[1].taught.filter((t) => t.series === series).map((t) => `${t.video}#${t.frame}#${t.name}`)));
      runs[1].characters.push(...taught.characters);
      runs[1].clips.push(...taught.clips);
    } finally {
      ws.close();
    }
  }
  const report = join(opts.out, 'index.html');
  const targets = runs.map(checkTargets);
  writeFileSync(report, html(runs, targets));
  writeFileSync(join(opts.out, 'report.json'), JSON.stringify(runs.map((r, k) => ({ ...r, targets: targets[k] })), null, 1));
  return { runs, targets, report };
}

/** The issue's targets, per run: zero clicks, and after one taught box per character zero clicks missed. */
export const TARGETS = {
  zero: { recall: 0.8, precision: 0.95 },
  taught: { recall: 0.9, precision: 0.95, purity: 0.95 },
} as const;

/** A character a target holds for, and why she misses it (empty when she meets it). */
export interface TargetCheck { series: string; name: string; misses: string[] }

/** How a run stands against its target: per character it covers, and the precision of her series. */
export interface TargetReport { mode: RunScore['mode']; checked: TargetCheck[]; met: number }

/**
 * Zero clicks: recall >= 0.8 at her series' precision >= 0.95, for every character the detector chain found at least
 * once on a truth frame (what is scored). Taught: recall >= 0.9 for every character, at her series' precision >= 0.95,
 * in a cluster of her own with purity >= 0.95. Precision is her series' (all its clips' appearances on truth frames),
 * as a user of one series meets it.
 */
export function checkTargets(run: RunScore): TargetReport {
  const seriesPrecision = new Map<string, number>();
  for (const s of new Set(run.clips.map((c) => c.series))) {
    const cs = run.clips.filter((c) => c.series === s);
    const apps = cs.reduce((a, c) => a + c.appearances, 0), found = cs.reduce((a, c) => a + c.found, 0);
    seriesPrecision.set(s, apps ? found / apps : 1);
  }
  const zero = run.mode === 'zero clicks';
  const t = zero ? TARGETS.zero : TARGETS.taught;
  const checked = run.characters.filter((c) => !zero || c.byChain).map((c) => {
    const misses: string[] = [];
    if (c.recall < t.recall) misses.push(`recall ${pct(c.recall)} < ${pct(t.recall)}`);
    const p = seriesPrecision.get(c.series)!;
    if (p < t.precision) misses.push(`series precision ${pct(p)} < ${pct(t.precision)}`);
    if (!zero && c.purity < TARGETS.taught.purity) misses.push(`purity ${pct(c.purity)} < ${pct(TARGETS.taught.purity)}`);
    if (!zero && !c.own) misses.push('no cluster of her own');
    return { series: c.series, name: c.name, misses };
  });
  return { mode: run.mode, checked, met: checked.filter((c) => !c.misses.length).length };
}

function formatTargets(r: TargetReport): string[] {
  const { zero: z, taught: t } = TARGETS;
  const what = r.mode === 'zero clicks'
    ? `recall >= ${pct(z.recall)} at series precision >= ${pct(z.precision)}, characters the chain finds on a truth frame`
    : `recall >= ${pct(t.recall)}, series precision >= ${pct(t.precision)}, own cluster with purity >= ${pct(t.purity)}`;
  if (!r.checked.length) return [`  target (${what}): nobody to check`];
  const out = [`  target (${what}): met for ${r.met} of ${r.checked.length}`];
  for (const c of r.checked.filter((x) => x.misses.length)) out.push(`    missed: ${c.series} ${c.name}: ${c.misses.join(', ')}`);
  return out;
}

/** A run's heading: its mode, and for a taught run whom it taught. */
function label(r: RunScore): string {
  return r.mode === 'taught' ? `taught (${r.partial ? 'every character never found or found under the recall target' : 'every character never found'})` : r.mode;
}

export function formatRuns(runs: RunScore[]): string {
  const lines: string[] = [];
  for (const r of runs) {
    lines.push(`${label(r)}${r.taught.length ? ` (${r.taught.length} taught boxes: ${r.taught.map((t) => `${t.name} ${t.video}#${t.frame}`).join(', ')})` : ''}`);
    lines.push('  series            character              truth  found  recall  cluster  purity  own  chain');
    for (const c of r.characters) lines.push(`  ${c.series.slice(0, 16).padEnd(16)}  ${c.name.slice(0, 20).padEnd(20)}  ${String(c.truth).padStart(6)} ${String(c.found).padStart(6)}  ${pct(c.recall).padStart(6)}  ${String(c.cluster ?? '-').padStart(7)}  ${pct(c.purity).padStart(6)}  ${c.own ? 'yes' : 'no '}  ${c.byChain ? 'yes' : 'no'}`);
    lines.push('  clip                                      truth  found  appearances  false (chain+learned)  precision');
    for (const c of r.clips) {
      const wrong = `${c.falsePositives} (${c.falseByPass[0]}+${c.falseByPass[1]})`;
      lines.push(`  ${c.video.slice(0, 40).padEnd(40)}  ${String(c.truth).padStart(5)} ${String(c.found).padStart(6)}  ${String(c.appearances).padStart(11)}  ${wrong.padStart(20)}  ${pct(c.precision).padStart(9)}`);
    }
    const t = r.clips.reduce((a, c) => ({ truth: a.truth + c.truth, found: a.found + c.found, apps: a.apps + c.appearances }), { truth: 0, found: 0, apps: 0 });
    lines.push(`  all clips: recall ${pct(t.truth ? t.found / t.truth : 0)}, precision ${pct(t.apps ? t.found / t.apps : 1)}`);
    lines.push(`  ${formatSizes(r.clips)}`);
    const causes = formatCauses(r.clips);
    if (causes) lines.push(`  ${causes}`);
    lines.push(...formatTargets(checkTargets(r)));
  }
  return lines.join('\n');
}

/** All clips' recall per figure size (`SIZES`), e.g. "recall by figure height (share of the frame's): under 1/4: 3 of 10 (30.0%); ...". */
export function formatSizes(clips: ClipScore[]): string {
  const parts = SIZES.map((s, k) => {
    const truth = clips.reduce((a, c) => a + c.bySize[k].truth, 0), found = clips.reduce((a, c) => a + c.bySize[k].found, 0);
    return `${s.name}: ${found} of ${truth}${truth ? ` (${pct(found / truth)})` : ''}`;
  });
  return `recall by figure height (share of the frame's): ${parts.join('; ')}`;
}

/** All clips' misses by cause (`MissCauses`), when the run has them: "" otherwise. */
export function formatCauses(clips: ClipScore[]): string {
  const withCauses = clips.filter((c) => c.missedBy);
  if (!withCauses.length) return '';
  const sum = (k: keyof MissCauses) => withCauses.reduce((a, c) => a + c.missedBy![k], 0);
  return `misses by cause (as the learned pass saw them): no series map ${sum('noMap')}, none on her frame and all in her shot turned down ${sum('shotTurnedDown')}, no candidate on her frame ${sum('noCandidate')}, candidates only elsewhere on it ${sum('elsewhere')}, one on her turned down ${sum('turnedDown')}`;
}

function html(runs: RunScore[], targets: TargetReport[]): string {
  const rows = (r: RunScore) => r.characters.map((c) => `<tr><td>${esc(c.series)}</td><td>${esc(c.name)}</td><td>${c.truth}</td><td>${c.found}</td><td>${pct(c.recall)}</td><td>${c.cluster ?? '-'}</td><td>${pct(c.purity)}</td><td>${c.own ? 'yes' : 'no'}</td><td>${c.byChain ? 'yes' : 'no'}</td></tr>`).join('');
  const causes = (r: RunScore) => formatCauses(r.clips);
  const pics = (r: RunScore) => r.clips.map((c) => `<h3>${esc(c.video)}: ${c.found}/${c.truth} found, ${c.falsePositives} false (${c.falseByPass[0]} chain, ${c.falseByPass[1]} learned), precision ${pct(c.precision)}</h3><img src="${esc(c.picture.split('/').pop()!)}" style="max-width:100%">`).join('');
  return `<!doctype html><meta charset="utf-8"><title>toonscope eval appearances</title><style>body{font:14px sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>
<h1>Appearances against hand-drawn truth</h1><p>Boxes: cyan = truth, green = detector chain (pass 1), red = learned pass (pass 2).</p>
${runs.map((r, k) => `<h2>${esc(label(r))}</h2>${r.taught.length ? `<p>taught: ${r.taught.map((t) => esc(`${t.name} on ${t.video} frame ${t.frame} [${t.box.join(', ')}]`)).join('; ')}</p>` : ''}<table><tr><th>series</th><th>character</th><th>truth</th><th>found</th><th>recall</th><th>cluster</th><th>purity</th><th>own cluster</th><th>found by chain</th></tr>${rows(r)}</table><p>${esc(formatSizes(r.clips))}</p>${causes(r) ? `<p>${esc(causes(r))}</p>` : ''}<pre>${esc(formatTargets(targets[k]).join('\n'))}</pre>${pics(r)}`).join('')}`;
}
