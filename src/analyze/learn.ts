// The self-trained pass of analyze: detect, learn, detect again.
// After the first pass (the cascade chain) over every episode, the series
// detector (characters/learned.ts) learns what this series' characters look
// like from what was found with confidence, plus the boxes a person taught,
// then a second pass looks for characters nobody found yet: on each shot's
// keyframes first, and only shots where it found someone are looked at frame
// by frame. Every candidate is embedded and kept only when it looks more like
// a character the series knows than like the episode's background
// (characters/likeness.ts); kept ones are saved as pass 2.
import { createHash } from 'node:crypto';
import type { Workspace } from '../core/workspace.js';
import type { Box, Detection, FeatureMap, Frame, Image, VideoInfo } from '../core/types.js';
import type { Progress } from '../core/progress.js';
import { decodeSelected } from '../core/video.js';
import { frameFeatures, trainLearned, cellLabels, lookLabels, settle, dropPieces, refineAll, refineInside, seedFromBox, LearnedBodies, LEARNED_DEFAULTS, type FoundOn, type Outline, type LearnedModel, type Look, type TrainingFrame } from '../characters/learned.js';
import { opencv } from '../core/opencv.js';
import { spread } from '../core/spread.js';
import { Likeness, RATIO, backgroundWindow, nearest, windowSizes } from '../characters/likeness.js';
import { appearance, sizeFor, type DetectStageOptions } from './detect.js';
import { dot, embedDetections, normalize, type EmbedOptions } from '../embed/index.js';
import { existsSync } from 'node:fs';
import { ensureSchema, type NewAppearance } from './store.js';
import { saveAppearances } from './store.js';
import { keptFrames } from './kept.js';
import { probesOf, type Sample } from './sample.js';
import { detectShots } from '../shots/detect.js';
import { trackVideo } from './pipeline.js';
import { resolve as resolvePath } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { coverage, grow, iou } from '../core/box.js';
import { decide, ensureSchema as ensureLabels } from '../label/store.js';
import { identitySpace } from '../models/identity.js';
import { blank } from '../characters/video.js';
import { carryShot, giveWay, nearestPerCharacter, type CarriedBox, type Seed } from './carry.js';

export const LEARNED_MODEL = 'series-detector';
/**
 * Bumped whenever the detector changes: stored models (and so second passes) are then redone. 6: portrait frames
 * mapped `width` tall.
 */
const LEARNED_VERSION = 6;
/**
 * How taught looks are learned: a change retrains only series that have taught boxes. 2: from her outline; 3: big
 * outlines cut smaller (`CUT_PIXELS`).
 */
const LOOKS_VERSION = 3;
/**
 * Bumped whenever only the second pass's rules change (what it keeps): second passes are redone, models kept. 6:
 * close-ups from the half-width map, regions cut at most `CUT_PIXELS`. 7: probes centred in the shot, a short shot's
 * first frame looked at when its probe found nobody, a series region standing for the looks' pieces of it, outlines
 * in settling two looks' candidates. 8: a taught character's candidates in her colours, the series map's too where
 * they look most like her (`claimant`). 9: slivers at the frame's edge judged by the likeness test, not dropped; a
 * look's small candidate beside a series region leaves it standing (`SMALL_PART` in `settle`). 10: on its frame a
 * taught box is her as drawn (cut inside it), no learned detection on it in its place. 11: with no look of hers, a
 * taught box settles as one would (`lookOfSeed`); another look's candidate on it is left to the settling. 12: a
 * neighbour's first-pass row overlapping a taught box no longer stands for her there (`firstPassHas`). 13: nor
 * where her taught box was carried (as `firstPassHas`). 14: there, only when his face lies outside it
 * (`carriedFound`); a close-up or its pieces by the likeness ratio, not the distance to a character alone (`dropPieces`).
 * 15: his face off the carried box to the side by a quarter of its own size, not a share of the box's; above and
 * below, by the larger of that and 15% of the box's height. 16: a candidate the likeness test turned down is taken back
 * where the shot vouches for it (`vouchedFor`). 17: no carried box where it is 95% black or 95% white.
 */
const PASS_VERSION = 17;

/** Frames of an episode its background cut-outs come from (characters/likeness.ts). */
const BACKGROUND_FRAMES = 16;
/** First-pass looks kept for the likeness test (evenly spread; named tracks and taught boxes come on top). */
const KNOWN_LOOKS = 2048;

/** Frames the detector learns from: at most this many per episode (evenly spread), and per series. */
const PER_VIDEO = 40;
const PER_SERIES = 240;
/**
 * Frames of shots where the first pass found nobody, learnt from as background: at most this many per episode and
 * per series. With few known frames (a series known only by a box or two a person taught) the background of those
 * frames alone is too little to tell a character from this series' scenery, and the detector lights half of every
 * frame; characters in these frames are set aside by the training's second fit, as in any frame (learned.ts).
 */
const BACKGROUND_PER_VIDEO = 24;
const BACKGROUND_PER_SERIES = 120;
/**
 * Training maps of frames other than probes kept for the second pass, per series, first come first served (the first
 * episodes' frames; about 0.8 MB each at 384 px, 16:9): it may look at them again (a short clip's background frames and
 * the frames of a shot it scans are mostly its training frames), and the same frame decoded at the same size gives the
 * same map. Each episode's are freed when its second pass ends.
 */
const KEPT_MAPS = 64;

interface KnownFrame {
  video: number;
  frame: number;
  boxes: Box[];
}

import { taughtBoxes, type TaughtBox } from './store.js';
export { taughtBoxes, type TaughtBox } from './store.js';

/**
 * First-pass boxes and taught boxes, by frame: what the detector learns from.
 * Per episode the frames are spread evenly over the second pass's probe frames
 * first (their feature maps are then made once for both), then over the rest.
 */
function knownFrames(ws: Workspace, probes: Map<number, Set<number>>): KnownFrame[] {
  const byKey = new Map<string, KnownFrame>();
  const add = (video: number, frame: number, box: Box) => {
    const k = `${video}:${frame}`;
    let f = byKey.get(k);
    if (!f) byKey.set(k, (f = { video, frame, boxes: [] }));
    f.boxes.push(box);
  };
  const rows = ws.db.prepare('SELECT video_id, frame, x, y, w, h FROM appearances WHERE pass = 1 ORDER BY video_id, frame, id').all() as { video_id: number; frame: number; x: number; y: number; w: number; h: number }[];
  for (const r of rows) add(r.video_id, r.frame, [r.x, r.y, r.w, r.h]);
  const taught = taughtBoxes(ws);
  // A taught frame's first-pass boxes are kept with it: together they are that frame's characters.
  const chosen = new Set(taught.map((t) => `${t.video}:${t.frame}`));
  for (const t of taught) add(t.video, t.frame, t.box);
  const byVideo = new Map<number, KnownFrame[]>();
  for (const f of byKey.values()) {
    if (!byVideo.has(f.video)) byVideo.set(f.video, []);
    byVideo.get(f.video)!.push(f);
  }
  const out: KnownFrame[] = [...byKey.values()].filter((f) => chosen.has(`${f.video}:${f.frame}`));
  const room = Math.max(1, Math.floor((PER_SERIES - out.length) / Math.max(1, byVideo.size)));
  for (const [video, frames] of byVideo) {
    const rest = frames.filter((f) => !chosen.has(`${f.video}:${f.frame}`));
    const n = Math.min(rest.length, PER_VIDEO, room);
    const probed = probes.get(video) ?? new Set<number>();
    const first = spread(rest.filter((f) => probed.has(f.frame)), n);
    out.push(...first, ...spread(rest.filter((f) => !probed.has(f.frame)), n - first.length));
  }
  return out.sort((a, b) => a.video - b.video || a.frame - b.frame);
}

/**
 * Background frames: probe frames (the second pass makes their maps anyway) of shots where the first pass found
 * nobody and no box was taught, spread evenly over each episode; returned with no boxes.
 */
function emptyShotFrames(ws: Workspace, probes: Map<number, Set<number>>): KnownFrame[] {
  const found = new Set((ws.db.prepare('SELECT DISTINCT video_id, shot FROM appearances WHERE pass = 1').all() as { video_id: number; shot: number }[]).map((r) => `${r.video_id}:${r.shot}`));
  // `teach` makes a taught frame a sample of its shot; the sample at or before it tells the shot all the same.
  const shotOf = ws.db.prepare('SELECT shot FROM samples WHERE video_id = ? AND frame <= ? ORDER BY frame DESC LIMIT 1');
  for (const t of taughtBoxes(ws)) found.add(`${t.video}:${(shotOf.get(t.video, t.frame) as { shot: number } | undefined)?.shot ?? -1}`);
  const n = Math.max(1, Math.min(BACKGROUND_PER_VIDEO, Math.floor(BACKGROUND_PER_SERIES / Math.max(1, probes.size))));
  const shotAt = ws.db.prepare('SELECT frame, shot FROM samples WHERE video_id = ?');
  const out: KnownFrame[] = [];
  for (const [video, frames] of probes) {
    const shot = new Map((shotAt.all(video) as { frame: number; shot: number }[]).map((r) => [r.frame, r.shot]));
    const empty = [...frames].sort((a, b) => a - b).filter((f) => !found.has(`${video}:${shot.get(f)}`));
    out.push(...spread(empty, n).map((frame) => ({ video, frame, boxes: [] })));
  }
  return out;
}

export interface LearnSummary {
  model?: LearnedModel;
  /** Hash of what the model learned from: the second pass is redone when it changes. */
  key: string;
  reused: boolean;
  frames: number;
  note?: string;
  /** Feature maps made for training, by video and frame: the second pass reuses those of its probe frames, and up to `KEPT_MAPS` others. */
  maps?: Map<number, Map<number, FeatureMap>>;
}

export interface LearnOptions {
  progress?: (label: string, total?: number) => Progress;
  log?: (msg: string) => void;
  /** Told every candidate the second pass judges: what `eval appearances` tells its misses apart by. */
  judged?: Judged;
}

/** A candidate of the second pass on a frame of an episode (source pixels), and whether it was kept. */
export type Judged = (video: string, frame: number, box: Box, kept: boolean) => void;

/** How each analysed episode was analysed (its detect stage's parameters). */
interface Analysed { id: number; path: string; fingerprint: string; width: number; side: 'longer' | 'width'; fps: number; every: number; embed: number }

/**
 * The episodes whose first pass finished, with its parameters. Not `analysisComplete` (store.ts), which is for
 * readers of an analysis' result: the learned pass is itself a step of the analysis. It needs the first pass done and
 * how it was sampled, and it tracks each episode itself afterwards, so whether an episode was tracked before does not
 * matter to it.
 */
function analysedVideos(ws: Workspace): Analysed[] {
  const rows = ws.db.prepare("SELECT v.id, v.path, v.fingerprint, s.params FROM videos v JOIN stages s ON s.video_id = v.id WHERE s.stage = 'analyze:detect' AND s.status = 'done' ORDER BY v.id").all() as { id: number; path: string; fingerprint: string; params: string }[];
  // A portrait episode whose first pass is stored without `side` was analysed `width` wide: its later passes look at
  // the frames as it did (landscape ones are the same size either way).
  return rows.map((r) => {
    const p = JSON.parse(r.params) as { width: number; side?: string; fps: number; every: number; embed: number };
    return { id: r.id, path: r.path, fingerprint: r.fingerprint, ...p, side: p.side === 'longer' ? 'longer' : 'width' };
  });
}

/** Train (or reuse) the series detector from every episode's first pass and the taught boxes. */
export async function learnSeries(ws: Workspace, opts: LearnOptions = {}): Promise<LearnSummary> {
  ensureSchema(ws);
  const videos = new Map(analysedVideos(ws).map((v) => [v.id, v]));
  const samplesOf = ws.db.prepare('SELECT frame, shot, time FROM samples WHERE video_id = ? ORDER BY frame');
  const probes = new Map([...videos.values()].map((v) => [v.id, new Set(probesOf(samplesOf.all(v.id) as Sample[], v.every))]));
  const known = knownFrames(ws, probes).filter((f) => videos.has(f.video));
  // Only with someone to learn from: background alone teaches nothing.
  const frames = known.length ? [...known, ...emptyShotFrames(ws, probes).filter((f) => videos.has(f.video))].sort((a, b) => a.video - b.video || a.frame - b.frame) : known;
  const taught = taughtBoxes(ws).filter((t) => videos.has(t.video));
  const key = createHash('sha256')
    .update(JSON.stringify({ v: LEARNED_VERSION, params: LEARNED_DEFAULTS, frames: frames.map((f) => [videos.get(f.video)!.fingerprint, videos.get(f.video)!.width, f.frame, f.boxes.map((b) => b.map(Math.round))]), looks: looksOf(taught).map((g) => [g[0].name, g.map((t) => t.id)]), ...(taught.length ? { lv: LOOKS_VERSION } : {}) }))
    .digest('hex').slice(0, 16);
  if (!frames.length) return { key, reused: false, frames: 0, note: 'no character found with confidence and none taught: nothing to learn from' };
  const stored = ws.db.prepare('SELECT params, weights FROM models WHERE name = ?').get(LEARNED_MODEL) as { params: string; weights: Buffer } | undefined;
  if (stored && stored.params === key) return { model: JSON.parse(stored.weights.toString('utf8')) as LearnedModel, key, reused: true, frames: frames.length };
  const bar = opts.progress?.('learn: feature maps', frames.length);
  const training: Array<TrainingFrame & Seen> = [];
  const outlines = new Map<number, Outline>();
  const cv = taught.length ? await opencv() : undefined;
  const maps = new Map<number, Map<number, FeatureMap>>();
  let extra = 0;
  for (const [vid, list] of group(frames)) {
    const v = videos.get(vid)!;
    let shots;
    try {
      shots = await detectShots(v.path, { workspace: ws });
    } catch (e) {
      if (!(e instanceof ToonscopeError)) throw e;
      opts.log?.(`warning: ${v.path}: ${e.problem}; its frames are left out of what the series detector learns from`);
      continue;
    }
    // Decoded at the episode's analysis size, as the second pass decodes it: the same frame gives the same map.
    const size = sizeFor(shots.video, v);
    const sx = shots.video.width / size.width;
    const at = new Map(list.map((f) => [f.frame, f]));
    const mine = new Map<number, FeatureMap>();
    maps.set(vid, mine);
    // With the frame times, each chunk seeks near its frames instead of decoding the episode from the start.
    for await (const frame of decodeSelected(v.path, list.map((f) => f.frame), size, { times: shots.times, cache: keptFrames(ws) })) {
      const kf = at.get(frame.index)!;
      const fm = await frameFeatures(frame);
      // Kept for the second pass where it will look (its probe frames), and others up to a budget (a short clip's
      // background and scanned frames are mostly its training frames); the rest are dropped after training.
      if (probes.get(vid)?.has(frame.index) || ++extra <= KEPT_MAPS) mine.set(frame.index, fm);
      const boxes = kf.boxes.map((b) => b.map((x) => x / sx) as Box);
      // Each taught box's outline on its frame: what her look learns from is her, not all her box holds.
      if (cv) for (const t of taught) if (t.video === vid && t.frame === frame.index) {
        const drawn = t.box.map((x) => x / sx) as Box;
        outlines.set(t.id, { drawn, her: refineInside(cv, frame, drawn, frame.index) });
      }
      training.push({ fm, labels: cellLabels(fm, frame, boxes), video: vid, frame: frame.index, size: { width: frame.width, height: frame.height }, boxes, sx });
      bar?.tick();
    }
  }
  bar?.done();
  const model = trainLearned(training);
  if (!model) return { key, reused: false, frames: training.length, note: 'no background or no character cells to learn from' };
  const looks = trainLooks(training, taught, outlines);
  if (looks.length) model.looks = looks;
  ws.db.prepare('INSERT OR REPLACE INTO models (name, params, weights) VALUES (?, ?, ?)').run(LEARNED_MODEL, key, Buffer.from(JSON.stringify(model)));
  return { model, key, reused: false, frames: training.length, maps };
}

/** A training frame's whereabouts: its episode and frame, size, known boxes (analysis pixels) and the scale to them. */
interface Seen { video: number; frame: number; size: { width: number; height: number }; boxes: Box[]; sx: number }

/** Taught boxes by look: all those of one name together, each unnamed one alone (it may be anyone). */
function looksOf(taught: TaughtBox[]): TaughtBox[][] {
  const byName = new Map<string, TaughtBox[]>();
  for (const t of taught) {
    const k = t.name === null ? `#${t.id}` : `=${t.name}`;
    byName.set(k, [...(byName.get(k) ?? []), t]);
  }
  return [...byName.values()];
}

/**
 * One classifier per taught look, over the series detector's training frames that hold someone (characters/learned.ts
 * `lookLabels`); her positives are the core cells of her boxes on her outline (`outlines`, by taught box id). Not over
 * the background frames: those come from shots where nobody was found, where a character nobody found is most likely
 * to be, and her look would learn her as background there.
 */
function trainLooks(all: Array<TrainingFrame & Seen>, taught: TaughtBox[], outlines: Map<number, Outline> = new Map()): Look[] {
  const out: Look[] = [];
  const frames = all.filter((f) => f.boxes.length);
  // Taught boxes of a frame, in its analysis pixels.
  const boxesOn = (ts: TaughtBox[], f: Seen) => ts.filter((t) => t.video === f.video && t.frame === f.frame).map((t) => t.box.map((x) => x / f.sx) as Box);
  for (const look of looksOf(taught)) {
    const name = look[0].name;
    const hers = frames.map((f) => boxesOn(look, f));
    // Her map tells her apart from others: where she is all the series knows, the series detector is hers already.
    if (!frames.some((f, k) => f.boxes.some((b) => !hers[k].some((m) => iou(m, b) >= 0.5)))) continue;
    // Boxes taught under another name are someone else; unnamed ones may be her.
    const others = name === null ? [] : taught.filter((t) => t.name !== null && t.name !== name);
    const outlinesOn = (f: Seen) => look.filter((t) => t.video === f.video && t.frame === f.frame).map((t) => outlines.get(t.id)).filter((o): o is Outline => !!o);
    const labelled = frames.map((f, k) => lookLabels(f.fm, f.size, f.boxes, hers[k], boxesOn(others, f), outlinesOn(f)));
    const m = trainLearned(labelled);
    if (m) out.push({ name, taught: look.map((t) => t.id), w: m.w, b: m.b, offOutline: labelled.reduce((a, l) => a + (l.offOutline ?? 0), 0) });
  }
  return out;
}

function group(frames: KnownFrame[]): Map<number, KnownFrame[]> {
  const out = new Map<number, KnownFrame[]>();
  for (const f of frames) {
    if (!out.has(f.video)) out.set(f.video, []);
    out.get(f.video)!.push(f);
  }
  return out;
}

/**
 * A box at the frame's edge that is narrower (at the left or right) or
 * shorter (at the top or bottom) than half a typical character of the series.
 * A box carried there by the flow is her leaving, and is dropped; the learned
 * pass's own candidates there are judged by the likeness test like any other
 * (someone coming in at the edge is one).
 */
export function sliver(box: Box, frame: { width: number; height: number }, typical: [number, number]): boolean {
  const [x, y, w, h] = box;
  const edge = 1.5;
  if ((x <= edge || x + w >= frame.width - edge) && w < 0.5 * typical[0]) return true;
  return (y <= edge || y + h >= frame.height - edge) && h < 0.5 * typical[1];
}

export interface RedetectReport {
  /** Sampled frames the learned detector looked at. */
  frames: number;
  /** Shots where it found someone new. */
  shots: number;
  appearances: number;
  /**
   * Candidates turned down: more like the episode's background than like any known character, or one judged as a
   * taught character's more like someone else or not in her colours.
   */
  rejected: number;
}

/**
 * The second pass over one video: the learned detector on a few sampled
 * frames per shot (skipping characters the first pass found there); in
 * shots where it found someone, on every sampled frame. Its own regions are
 * not carried by flow (their masks are too coarse to follow, and it is cheap
 * enough to run again); taught boxes are, through their shot (carry.ts).
 * Saved per shot with the model's key, so a killed run resumes.
 */
export async function redetectVideo(ws: Workspace, videoId: number, info: VideoInfo, times: ArrayLike<number>, model: LearnedModel, key: string, opts: DetectStageOptions, known_: KnownLooks, bar?: Progress, maps?: Map<number, FeatureMap>, told?: Judged): Promise<RedetectReport> {
  const size = sizeFor(info, opts);
  const sx = info.width / size.width;
  const samples = ws.db.prepare('SELECT frame, shot, time FROM samples WHERE video_id = ? ORDER BY frame').all(videoId) as Sample[];
  // The first pass's frames, where this analysis kept them (analyze/kept.ts).
  const kept = keptFrames(ws);
  const done = new Set((ws.db.prepare('SELECT shot FROM redetected WHERE video_id = ? AND model = ?').all(videoId, key) as { shot: number }[]).map((r) => r.shot));
  const byShot = new Map<number, Sample[]>();
  for (const s of samples) {
    if (done.has(s.shot)) continue;
    if (!byShot.has(s.shot)) byShot.set(s.shot, []);
    byShot.get(s.shot)!.push(s);
  }
  // Nothing left to look at (every shot done with this model): nothing to carry or decode either.
  if (!byShot.size) return { frames: 0, shots: 0, appearances: (ws.db.prepare('SELECT COUNT(*) n FROM appearances WHERE video_id = ? AND pass = 2').get(videoId) as { n: number }).n, rejected: 0 };
  // A killed run's rows of unfinished shots go first.
  const clear = ws.db.prepare('DELETE FROM appearances WHERE video_id = ? AND shot = ? AND pass = 2');
  ws.db.transaction(() => { for (const shot of byShot.keys()) clear.run(videoId, shot); })();
  // First-pass characters per frame, in analysis pixels: the learned detector skips them. A row with a mask or with a
  // face inside is a body (someone may stand beside it); one with neither is a face found alone (what is lit around it is her).
  // Faces are kept for telling her from a neighbour on a taught frame (`firstPassHas`).
  const firstPass = new Map<number, FirstRow[]>();
  for (const r of ws.db.prepare('SELECT frame, x, y, w, h, face, mask IS NOT NULL masked FROM appearances WHERE video_id = ? AND pass = 1').all(videoId) as { frame: number; x: number; y: number; w: number; h: number; face: string | null; masked: number }[]) {
    const face = r.face ? (JSON.parse(r.face) as Box).map((v) => v / sx) as Box : undefined;
    if (!firstPass.has(r.frame)) firstPass.set(r.frame, []);
    firstPass.get(r.frame)!.push({ box: [r.x / sx, r.y / sx, r.w / sx, r.h / sx], face, body: Boolean(face || r.masked) });
  }
  /** A frame's first-pass boxes as the learned detector takes them: bodies, and faces found alone. */
  const foundOn = (f: number): FoundOn => {
    const rows = firstPass.get(f) ?? [];
    return { bodies: rows.filter((r) => r.body).map((r) => r.box), others: rows.filter((r) => !r.body).map((r) => r.box) };
  };
  /** Every first-pass box of a frame, of either kind. */
  const known = (f: number): Box[] => (firstPass.get(f) ?? []).map((r) => r.box);
  const learned = new LearnedBodies(model, foundOn);
  const shotOf = new Map(samples.map((s) => [s.frame, s.shot]));
  // Probe frames of every shot (the background comes from them, done shots included); the undone shots' are looked at.
  const allProbes = probesOf(samples, opts.every ?? 4);
  const probes = new Set(allProbes.filter((f) => byShot.has(shotOf.get(f)!)));
  // A taught frame is always looked at, and its taught box always yields her there (the name lands on her track).
  // Every taught box by frame (analysis pixels), done shots included: background cut-outs keep clear of them all.
  const taught = new Map<number, Array<{ id: number; box: Box }>>();
  const mineTaught = taughtBoxes(ws, videoId);
  for (const t of mineTaught) {
    if (byShot.has(shotOf.get(t.frame) ?? -1)) probes.add(t.frame);
    if (!taught.has(t.frame)) taught.set(t.frame, []);
    taught.get(t.frame)!.push({ id: t.id, box: t.box.map((v) => v / sx) as Box });
  }
  /** Every taught box of a frame (analysis pixels). */
  const taughtOn = (f: number): Box[] => (taught.get(f) ?? []).map((t) => t.box);
  /** The look a taught box is one of, if it has one (she is all the series map knows otherwise). */
  const lookOf = (id: number) => model.looks?.find((l) => l.taught.includes(id));
  // Candidates a taught look's map found, and which look: they must look like her most.
  const fromLook = new WeakMap<Detection, Look>();
  // A taught box cut to her outline on its frame (it stands whatever the likeness test says), and the box's id: it
  // settles as her look's candidate would.
  const taughtFrom = new WeakMap<Detection, number>();
  const isTaught = (d: Detection) => taughtFrom.has(d);
  // Pieces of a close-up the full-width map lit, and the close-up the half-width map lit whole.
  const pieceOf = new WeakMap<Detection, Detection>();
  const cv = await opencv();
  const withTaught = (frame: Image, f: number, dets: Detection[]): Detection[] => {
    const mine = taught.get(f) ?? [];
    // On its frame she is the box a person drew, cut to her outline inside it, whatever the likeness test says; a
    // learned detection on it (IoU >= 0.3) is her too and goes: the series map may have lit her with her neighbour
    // or the wall behind her (Rem with the terrace beside her, the passer-by with the railing), the very box the
    // person corrected, and before session 28 it stood for her there. Another look's candidate on it is someone
    // else's to claim (a child in front of her): the settling tells them apart by outline. Where the first pass has
    // her, that row is her (`firstPassHas`: not a neighbour's row that only overlaps her box).
    const onHer = (d: Detection) => mine.some((t) => iou(d.box, t.box) >= 0.3 && !(fromLook.has(d) && fromLook.get(d) !== lookOf(t.id)));
    const extra = mine.filter((t) => !firstPassHas(firstPass.get(f) ?? [], t.box)).map((t) => {
      const d = refineInside(cv, frame, t.box, f);
      taughtFrom.set(d, t.id);
      return d;
    });
    return [...dets.filter((d) => !onHer(d)), ...extra];
  };
  // Taught boxes carried through their shots by flow (carry.ts), one shot at a time: where her taught box went on
  // its shot's other sampled frames. Done shots too (a few seconds around each taught frame): the background
  // cut-outs keep clear of carried boxes, and a resumed run must cut them where an uninterrupted one does.
  const names = new Map(mineTaught.map((t) => [t.id, t.name]));
  // One carried box per character: her name, or an unnamed box alone (it may be anyone, and has a look of its own).
  const whose = (id: number) => (names.get(id) ? `=${names.get(id)}` : `#${id}`);
  const carried = new Map<number, CarriedBox[]>();
  const seedsOf = new Map<number, Seed[]>();
  for (const t of mineTaught) {
    const det = known_.seeds.get(t.id);
    const shot = shotOf.get(t.frame) ?? -1;
    if (det) seedsOf.set(shot, [...(seedsOf.get(shot) ?? []), { id: t.id, frame: t.frame, det }]);
  }
  const step = Math.max(1, Math.round(info.fps / (opts.fps ?? 8)));
  for (const [shot, seeds] of seedsOf) {
    const targets = samples.filter((s) => s.shot === shot).map((s) => s.frame);
    const got = await carryShot(cv, info, size, times, seeds, targets, { step, every: opts.every ?? 4 });
    for (const [f, list] of got) carried.set(f, nearestPerCharacter(list, whose, times, f));
  }
  // A carried candidate and the taught box it came from.
  const carriedFrom = new WeakMap<Detection, number>();
  /**
   * A frame's carried boxes as candidates, each refined to her outline there, but not where she was found already
   * (`carriedFound`: a first-pass row on her, not a neighbour's whose face lies off her carried box, or a box drawn
   * on hers), nor on a frame where a box was drawn under her name, nor where her box is 95% black or 95% white
   * (`blank`): the flow holds a box where she was on to the last black frame of a fade-out (the Frieren edit's frame
   * 352, a dancer's box carried from 345 onto black). Her box, not the frame: a small figure in a black or white void
   * leaves the frame blank, not her box.
   */
  const carriedOn = (frame: Image, f: number): Detection[] => {
    const foundThere = (c: CarriedBox) => carriedFound(firstPass.get(f) ?? [], taughtOn(f), c.det.box)
      || mineTaught.some((t) => t.frame === f && t.name !== null && t.name === names.get(c.seed));
    return (carried.get(f) ?? []).filter((c) => !foundThere(c) && !sliver(c.det.box, frame, typical) && !blank(frame, 0.95, c.det.box)).map((c) => {
      const d = refineInside(cv, frame, c.det.box, f);
      carriedFrom.set(d, c.seed);
      return d;
    });
  };
  /**
   * A frame's learned detections as candidates, its taught boxes and carried boxes added. A narrow one at the frame's
   * edge is not dropped as a sliver here: the likeness test judges it as any other (session 27: someone coming in at
   * the edge, Itachi, the vertical clip's girl, is a whole character the series' close-ups make look narrow; a hand or
   * a strip of hair is turned down as unlike anyone known). Carried boxes still are (`carriedOn`): a box the flow
   * pushed to the edge is her leaving.
   */
  const candidatesOn = (frame: Image, f: number, dets: Detection[]) => [...withTaught(frame, f, dets), ...carriedOn(frame, f)];
  // Candidates must look like a known character rather than this episode's background (characters/likeness.ts).
  // The background is cut out of fixed probe frames of the episode (an even spread over every shot's probes, done or
  // not), so a resumed run decides exactly as an uninterrupted one; the probe loop cuts them from the maps it makes
  // anyway, and only those it does not reach (shots done before a resume) are decoded again, when a candidate needs them.
  const likeness = new Likeness([...known_.characters]);
  for (const v of known_.background) likeness.addBackground(v);
  // Short clips have few probe frames: then the background comes from all sampled frames (a few more maps to make).
  const backgroundFrames = new Set(spread(allProbes.length >= BACKGROUND_FRAMES ? allProbes : samples.map((s) => s.frame), BACKGROUND_FRAMES));
  const cutDone = new Set<number>();
  const typical: [number, number] = [known_.size[0] * size.height, known_.size[1] * size.height];
  const wins = windowSizes(typical, size);
  // Clear of the known characters, the taught and carried boxes and the frame's own candidates: none of them is background.
  const cutBackground = async (frame: Frame, prob: Float32Array, fm: FeatureMap, candidates: Detection[]) => {
    cutDone.add(frame.index);
    const avoid = [...known(frame.index), ...taughtOn(frame.index), ...(carried.get(frame.index) ?? []).map((c) => c.det.box), ...candidates.map((d) => d.box)];
    const cuts = await refineAll(cv, frame, wins.map((w) => backgroundWindow(prob, fm, frame, w, avoid)).filter((b): b is Box => !!b).map((b) => seedFromBox(b, frame.index)));
    await embedDetections(frame, cuts, opts.embed);
    for (const d of cuts) likeness.addBackground(d.embedding!);
  };
  const lookAtBackground = async () => {
    const missing = [...backgroundFrames].filter((f) => !cutDone.has(f));
    if (!missing.length) return;
    // Its own count on the bar: a short clip's background frames are most of its pass.
    let n = 0;
    bar?.set(0, missing.length);
    for await (const frame of decodeSelected(info.path, missing, size, { times, cache: kept })) {
      const { detections, prob, fm } = await lookAt(frame, maps?.get(frame.index));
      if (byShot.has(shotOf.get(frame.index)!) && !probes.has(frame.index)) seen.set(frame.index, detections);
      await cutBackground(frame, prob, fm, detections);
      bar?.set(++n, missing.length);
    }
    for (const f of missing) cutDone.add(f);
  };
  // What the maps found on the background frames no probe reached, in shots still to do: a retry or the scan of a hit
  // shot that comes to one takes them as they are (the same frame gives the same maps and cuts), not cut again; once,
  // so no detection is judged twice.
  const seen = new Map<number, Detection[]>();
  const detectionsOn = async (frame: Frame, made?: FeatureMap) => {
    const got = seen.get(frame.index);
    seen.delete(frame.index);
    return got ?? (await lookAt(frame, made)).detections;
  };
  const lookAt = async (frame: Frame, made?: FeatureMap) => {
    const r = await learned.look(frame, [], frame.index, made);
    for (const [d, l] of r.looks) fromLook.set(d, l);
    for (const [d, whole] of r.pieces) pieceOf.set(d, whole);
    return r;
  };
  // Hers: her taught boxes and the tracks named as she is. Someone else's: the other looks' and other names' tracks.
  const taughtOf = (l: Look) => l.taught.map((id) => known_.taught.get(id)).filter((u): u is Float32Array => !!u);
  // Every named track's looks: a series-map candidate nearest one of someone without a look of her own is not claimed.
  const namedLooks = [...known_.named.values()].flat();
  // Made once per look: every candidate of hers, and every series-map candidate (`claimant`), asks.
  const hersOf = new WeakMap<Look, Float32Array[]>();
  const hers = (look: Look) => {
    let vs = hersOf.get(look);
    if (!vs) hersOf.set(look, (vs = [...taughtOf(look), ...(look.name ? known_.named.get(look.name) ?? [] : [])]));
    return vs;
  };
  // A taught box with no look of its own (she is all the series map knows) stands for her as one would.
  const lookOfSeed = (seed: number | undefined): Look | undefined =>
    seed === undefined ? undefined : lookOf(seed) ?? { name: names.get(seed) ?? null, taught: [seed], w: [], b: 0 };
  // An unnamed look may be anyone, and an unnamed one anyone's: neither counts as someone else.
  const others = (look: Look) => (look.name === null ? [] : [
    ...(model.looks ?? []).filter((l) => l.name !== null && l.name !== look.name).flatMap(taughtOf),
    ...[...known_.named].filter(([n]) => n !== look.name).flatMap(([, vs]) => vs),
  ]);
  /** How far from the nearest known character. */
  const fromKnown = (d: Detection) => likeness.distances(d.embedding!).character;
  /**
   * A frame's candidates embedded and judged: those that look like a character (a taught box always does: it is her),
   * and of the rest those the plain likeness test turned down (`turned`: no look judged them, not a piece of a
   * close-up), for which the kept candidates of other frames of the shot may vouch (`vouchedFor`), then settled.
   */
  const judge = async (frame: Image, f: number, dets: Detection[]): Promise<Judgement> => {
    if (!dets.length) return { f, dets, liked: [], turned: [], kept: [], vouchable: new Set(), apps: new Map() };
    if (dets.some((d) => !d.embedding)) await embedDetections(frame, dets.filter((d) => !d.embedding), opts.embed);
    if (dets.some((d) => !isTaught(d))) await lookAtBackground();
    // Judged by the plain likeness test, no look involved, and not a piece of a close-up: these vouch where kept and
    // may be taken back where turned down. Not a piece: which of a close-up and its pieces stands is decided frame by
    // frame (`dropPieces`), and a piece kept where its close-up lost would be spread to frames where the close-up
    // stood or both were turned down (Sebastian's eye close-up on the Black Butler trailer).
    const vouchable = new Set<Detection>();
    const like = (d: Detection) => {
      // A carried box must look like her: her look's taught boxes, or the one box she was taught by (and her named tracks).
      // A series-map candidate that looks most like a taught character is judged as hers would be.
      const look = fromLook.get(d) ?? lookOfSeed(carriedFrom.get(d)) ?? (model.looks?.length ? claimant(model.looks, hers, d.embedding!, Math.min(fromKnown(d), nearest(namedLooks, d.embedding!))) : undefined);
      if (!look && !pieceOf.has(d)) vouchable.add(d);
      return look ? likeness.acceptsAs(d.embedding!, hers(look), others(look)) : likeness.accepts(d.embedding!);
    };
    const liked = dets.filter((d) => isTaught(d) || like(d));
    report.rejected += dets.length - liked.length;
    const turned = dets.filter((d) => vouchable.has(d) && !liked.includes(d));
    // Whatever may yet be kept, once its shot has vouched and settled, is made an appearance now (its crop cut), so
    // the frame itself is not held until the shot is saved: a long shot would hold every frame of it.
    const apps = new Map<Detection, NewAppearance>();
    const at = { ...frame, index: f, time: times[f] ?? 0 };
    for (const d of [...liked, ...turned]) apps.set(d, await appearance(at, d, shotOf.get(f)!, at.time, sx, opts.cropHeight));
    return { f, dets, liked, turned, kept: settleFrame(liked), vouchable, apps };
  };
  /** A frame's liked candidates settled: a close-up or its pieces, carried boxes, looks and series regions. */
  const settleFrame = (liked: Detection[], forced: ReadonlySet<Detection> = new Set()): Detection[] => {
    // A close-up or its pieces, whichever is more clearly a character than background (a taught box is neither:
    // `withTaught`).
    const judged = dropPieces(liked, (d) => pieceOf.get(d), (d) => likeness.distances(d.embedding!), forced);
    // A carried box, judged as her, settles as a taught box does, unless a candidate of her own map takes its place:
    // her look's, or with no look of hers the series map's (not a taught box's: those stand for themselves).
    const hersToo = (d: Detection, o: Detection) => {
      const own = lookOf(carriedFrom.get(d)!);
      return !isTaught(o) && (own ? fromLook.get(o) === own : !fromLook.has(o));
    };
    const { kept, sure, replaced } = giveWay(judged, (d) => carriedFrom.has(d), hersToo);
    // What took a carried box's place settles as her look's candidate, as the carried box would have.
    const seedOf = (d: Detection) => {
      const was = replaced.get(d);
      return carriedFrom.get(d) ?? (was && carriedFrom.get(was));
    };
    // A taught box, her look or (with none) the box itself: it pushes out what holds her or lies half inside her.
    const lookOfKept = (d: Detection) => fromLook.get(d) ?? lookOfSeed(seedOf(d) ?? taughtFrom.get(d));
    // Whom each should look like: her look's own boxes, or (a series region, a look with none) anyone known.
    const near = (d: Detection) => {
      const look = lookOfKept(d);
      const own = look ? hers(look) : [];
      return own.length ? nearest(own, d.embedding!) : fromKnown(d);
    };
    return settle(kept, lookOfKept, (d) => isTaught(d) || sure.has(d), near);
  };
  /**
   * A shot's judged frames, each frame's turned-down candidates that the shot vouches for taken back and the frame
   * settled again (`vouchedFor`: what the plain test kept on other frames of the shot, a few seconds away at most and
   * at about the same place, vouches for them; pieces of a close-up neither vouch nor are taken back); then her
   * close-up, kept on most frames of the shot where it was liked, stands on the others (`standCloseUps`); then each
   * candidate is told as finally decided.
   */
  const vouch = (shot: Judgement[]) => {
    // A frame's time as the samples recorded it, or its index over the frame rate where none was.
    const timeOf = (f: number) => times[f] ?? f / info.fps;
    const back = vouchedFor(shot.map((j) => ({ frame: j.f, time: timeOf(j.f), kept: j.kept.filter((d) => j.vouchable.has(d)), turned: j.turned })), (v) => likeness.distances(v).background);
    for (const j of shot) {
      const more = back.get(j.f);
      if (more?.length) {
        j.liked = j.dets.filter((d) => j.liked.includes(d) || more.includes(d));
        j.kept = settleFrame(j.liked);
        report.rejected -= more.length;
      }
    }
    // Her close-up, kept on most frames of the shot where it was liked, stands over its pieces on the others.
    const stand = standCloseUps(shot.map((j) => ({ frame: j.f, time: timeOf(j.f), dets: j.dets, liked: j.liked, kept: j.kept })), (d) => pieceOf.get(d), settleFrame);
    for (const j of shot) j.kept = stand.get(j.f) ?? j.kept;
    for (const j of shot) tell(j);
  };
  const tell = (j: Judgement) => {
    if (told) for (const d of j.dets) told(info.path, j.f, d.box.map((v) => v * sx) as Box, j.kept.includes(d));
  };
  const report: RedetectReport = { frames: 0, shots: 0, appearances: 0, rejected: 0 };
  // Frames with candidates, judged; those of shots nobody was found in are dropped once the retries are done.
  const found = new Map<number, Judgement>();
  const candidates = new Map<number, { frame: Image; dets: Detection[] }>();
  const hit = new Set<number>();
  const mark = ws.db.prepare('INSERT OR REPLACE INTO redetected (video_id, shot, model) VALUES (?, ?, ?)');
  bar?.set(0, probes.size);
  for await (const frame of decodeSelected(info.path, [...probes], size, { times, cache: kept })) {
    const { detections, prob, fm } = await lookAt(frame, maps?.get(frame.index));
    if (backgroundFrames.has(frame.index)) await cutBackground(frame, prob, fm, detections);
    const dets = candidatesOn(frame, frame.index, detections);
    report.frames++;
    if (dets.length) candidates.set(frame.index, { frame, dets });
    bar?.set(report.frames, probes.size);
  }
  // Decided once every background cut-out is in.
  for (const [f, got] of candidates) {
    const j = await judge(got.frame, f, got.dets);
    found.set(f, j);
    if (j.kept.length) hit.add(shotOf.get(f)!);
  }
  candidates.clear();
  // A short shot (one probe, in its middle) its probe found nobody in is looked at once more, on its first sampled
  // frame: the middle misses who stands apart only at its start (two walking past each other light one region
  // mid-shot), as the first frame alone misses who is still coming in. Longer shots have probes near both ends.
  const firsts = retryFrames(byShot, hit, allProbes.filter((f) => byShot.has(shotOf.get(f)!)), shotOf).filter((f) => !probes.has(f));
  if (firsts.length) bar?.set(0, firsts.length);
  let retried = 0;
  for await (const frame of decodeSelected(info.path, firsts, size, { times, cache: kept })) {
    const j = await judge(frame, frame.index, candidatesOn(frame, frame.index, await detectionsOn(frame, maps?.get(frame.index))));
    report.frames++;
    if (j.kept.length) {
      found.set(frame.index, j);
      hit.add(shotOf.get(frame.index)!);
      probes.add(frame.index);
    } else tell(j);
    bar?.set(++retried, firsts.length);
  }
  // Shots where nobody new turned up are finished now: what was judged there is told as it was decided.
  for (const [f, j] of [...found]) {
    if (hit.has(shotOf.get(f)!)) continue;
    tell(j);
    found.delete(f);
  }
  ws.db.transaction(() => { for (const shot of byShot.keys()) if (!hit.has(shot)) mark.run(videoId, shot, key); })();
  report.shots = hit.size;
  const frames = [...hit].flatMap((shot) => byShot.get(shot)!.map((s) => s.frame)).sort((a, b) => a - b);
  const rest = frames.filter((f) => !probes.has(f));
  bar?.set(0, frames.length);
  // A shot's frames are judged first, then vouched for and settled together (`vouch`), then saved.
  let current = -1, judged: Judgement[] = [], k = 0;
  const finish = () => {
    if (current < 0) return;
    vouch(judged);
    const apps: NewAppearance[] = [];
    for (const j of judged) for (const d of j.kept) apps.push(j.apps.get(d)!);
    ws.db.transaction(() => {
      saveAppearances(ws, videoId, apps, 2);
      mark.run(videoId, current, key);
    })();
    judged = [];
  };
  // Probe frames that found someone are kept (a few per shot); the other frames of those shots are decoded now.
  const decoded = decodeSelected(info.path, rest, size, { times, cache: kept });
  let next = await decoded.next();
  for (const f of frames) {
    let j: Judgement | undefined;
    if (probes.has(f)) j = found.get(f);
    else {
      while (!next.done && next.value.index < f) next = await decoded.next();
      if (!next.done && next.value.index === f) j = await judge(next.value, f, candidatesOn(next.value, f, await detectionsOn(next.value, maps?.get(f))));
    }
    const shot = shotOf.get(f)!;
    if (shot !== current) {
      finish();
      current = shot;
    }
    if (j?.dets.length) judged.push(j);
    bar?.set(++k, frames.length);
  }
  finish();
  await decoded.return(undefined);
  report.appearances = (ws.db.prepare('SELECT COUNT(*) n FROM appearances WHERE video_id = ? AND pass = 2').get(videoId) as { n: number }).n;
  return report;
}

/**
 * The taught look whose own boxes and named tracks (`hers`) lie nearest a candidate, if none of all the series knows
 * lies nearer (`known`, the distance to the nearest known character): the series map found someone who looks most
 * like her, and her look's test judges it (`Likeness.acceptsAs`: her colours too). Without it a series map trained on
 * a few taught boxes keeps what her own look is refused (the fir beside Cartman, lit by both). The nearest look, not
 * the first within `known`: a long series' known characters are a spread of its rows and may not hold all of hers.
 */
export function claimant<L>(looks: readonly L[], hers: (look: L) => Float32Array[], v: Float32Array, known: number): L | undefined {
  let best: L | undefined, bd = known;
  for (const l of looks) {
    const d = nearest(hers(l), v);
    if (d <= bd) { bd = d; best = l; }
  }
  return best;
}

/**
 * A frame's candidates as the second pass judged them: all of them (`dets`), those the likeness test or a look took
 * (`liked`), those judged by the plain likeness test alone, no look involved, and not pieces of a close-up
 * (`vouchable`), of which those it turned down (`turned`), and what settled (`kept`); `apps`: the appearance each of
 * `liked` and `turned` would be saved as (its crop cut from the frame, which is not kept).
 */
interface Judgement { f: number; dets: Detection[]; liked: Detection[]; turned: Detection[]; kept: Detection[]; vouchable: Set<Detection>; apps: Map<Detection, NewAppearance> }

/** Two candidates on frames of one shot are at the same place when their boxes overlap by this much (IoU). */
export const SAME_PLACE = 0.5;

/**
 * Two close-ups on frames of one shot are the same close-up of her when their boxes overlap by this much (IoU): more
 * than at the same place, as a region of her and the scenery beside her lies at her place too. Session 36, in analysis
 * pixels: the Black Butler trailer's eye close-up 0.81-1.00 between frames, the Frieren edit's 0.83-0.99, and on the
 * vertical clip's wide shot a region of the girl with the window behind her 0.52-0.65 from her close-up that stood.
 */
export const SAME_CLOSE_UP = 0.7;

/**
 * How far apart in time (seconds) a kept candidate may vouch for one turned down: she looks the same and stands in
 * the same place from one moment to the next, not across a long take; and it bounds the likeness work on a long shot
 * to the frames within it (every frame's candidates against every other's would grow with the square of its length).
 */
export const VOUCH_SECONDS = 5;

/**
 * The candidates a shot vouches for, by frame: of each frame's candidates the likeness test turned down (`turned`),
 * those with a candidate it kept on another frame of the shot, at most `window` seconds away (`VOUCH_SECONDS`), at
 * about the same place (`SAME_PLACE`), that the candidate lies clearly nearer to than to the episode's background
 * (`background`: its distance to the nearest cut-out): the likeness test, with what it kept there as the known
 * character (`RATIO`, the same ratio). The series' known rows are seen in other shots, under other light, grading and
 * framing: on the Frieren edit the first pass knows Fern from a pale blue close-up and the warm-lit dance; in the
 * cyan-graded shots her figure and close-ups are kept on some frames (ratio 0.69) and turned down on others
 * (0.91-1.11), where she stands in the same place looking the same (0.07-0.15 from what was kept there). Only candidates the
 * test itself kept vouch (not one a shot vouched for: no chain from frame to frame); one at the same place that lies
 * not clearly nearer what was kept there than the background is not taken back (the scenery she left).
 */
export function vouchedFor<D extends { box: Box; embedding?: Float32Array }>(frames: ReadonlyArray<{ frame: number; time: number; kept: readonly D[]; turned: readonly D[] }>, background: (v: Float32Array) => number, window = VOUCH_SECONDS): Map<number, D[]> {
  const out = new Map<number, D[]>();
  for (const j of frames) {
    if (!j.turned.length) continue;
    const near = frames.filter((o) => o.frame !== j.frame && Math.abs(o.time - j.time) <= window && o.kept.length);
    if (!near.length) continue;
    const back = j.turned.filter((d) => {
      if (!d.embedding) return false;
      const there = near.flatMap((o) => o.kept.filter((k) => k.embedding !== undefined && iou(k.box, d.box) >= SAME_PLACE));
      if (!there.length) return false;
      const limit = RATIO * background(d.embedding);
      return there.some((k) => 1 - dot(k.embedding!, d.embedding!) < limit);
    });
    if (back.length) out.set(j.frame, back);
  }
  return out;
}

/**
 * The close-ups that stand over their pieces on frames where they did not stand, by frame. Which of a close-up and its
 * pieces stands is decided frame by frame by how clearly each looks like a character; on the frames of one close-up
 * shot that comes out either way (the Black Butler trailer's close-up of Sebastian's eyes: whole on some frames, two
 * pieces of his face on the others, session 36), and she is the same close-up throughout. So a close-up the likeness
 * test liked (`liked`; after the shot vouched: `vouchedFor`) but that was not kept stands where a close-up in about
 * the same box (`SAME_CLOSE_UP`) was kept (`kept`, whether it beat pieces or had none left to beat) on at least as
 * many other frames of the shot, at most `window` seconds away (`VOUCH_SECONDS`), as it was liked and not kept on
 * (this one included; ties stand): a vote, so that a blend of two neighbours lit as one region that wins on one
 * frame does not win on every frame around it. Only what the test liked: a close-up it turned down is the shot's to
 * vouch for. Not on a frame that kept a close-up in about the same box already (the series map's and a look's, both
 * lighting her): which of the two stands is the settling's. A close-up counts as one where a piece of it was lit on
 * its frame, liked or not.
 */
export function closeUpsStand<D extends { box: Box }>(frames: ReadonlyArray<{ frame: number; time: number; closeUps: ReadonlySet<D>; liked: readonly D[]; kept: readonly D[] }>, window = VOUCH_SECONDS): Map<number, Set<D>> {
  const stood = frames.flatMap((j) => j.kept.filter((d) => j.closeUps.has(d)).map((d) => ({ j, d })));
  const lost = frames.flatMap((j) => j.liked.filter((d) => j.closeUps.has(d) && !j.kept.includes(d)).map((d) => ({ j, d })));
  // Frames other than `j`'s, near it in time, with one of `list` in about the box of `d` (counted once per frame).
  const frameCount = (list: Array<{ j: (typeof frames)[number]; d: D }>, j: (typeof frames)[number], d: D) =>
    new Set(list.filter((o) => o.j !== j && Math.abs(o.j.time - j.time) <= window && iou(o.d.box, d.box) >= SAME_CLOSE_UP).map((o) => o.j)).size;
  const out = new Map<number, Set<D>>();
  for (const { j, d } of lost) {
    if (j.kept.some((k) => j.closeUps.has(k) && iou(k.box, d.box) >= SAME_CLOSE_UP)) continue;
    if (frameCount(stood, j, d) < 1 + frameCount(lost, j, d)) continue;
    if (!out.has(j.frame)) out.set(j.frame, new Set());
    out.get(j.frame)!.add(d);
  }
  return out;
}

/**
 * A shot's frames settled again with the close-ups that stand where they did not (`closeUpsStand`): the new `kept`
 * by frame, where it changes. A close-up made to stand that the settling then pushes out all the same (a look's or a
 * taught candidate inside it) leaves the frame as it was, not without her and her pieces both. `closeUpOf` gives a
 * piece's close-up (the frame's candidates, liked or not, say which regions are close-ups).
 */
export function standCloseUps<D extends { box: Box }>(frames: ReadonlyArray<{ frame: number; time: number; dets: readonly D[]; liked: D[]; kept: readonly D[] }>, closeUpOf: (d: D) => D | undefined, settle: (liked: D[], forced: ReadonlySet<D>) => D[]): Map<number, D[]> {
  const stand = closeUpsStand(frames.map((j) => ({ ...j, closeUps: new Set(j.dets.map(closeUpOf).filter((c): c is D => !!c)) })));
  const out = new Map<number, D[]>();
  for (const j of frames) {
    const forced = stand.get(j.frame);
    if (!forced) continue;
    const kept = settle(j.liked, forced);
    if ([...forced].every((d) => kept.includes(d))) out.set(j.frame, kept);
  }
  return out;
}

/** First sampled frames of the shots looked at on one probe only that it found nobody in (see `redetectVideo`). */
export function retryFrames(byShot: ReadonlyMap<number, readonly { frame: number }[]>, hit: ReadonlySet<number>, probes: readonly number[], shotOf: ReadonlyMap<number, number>): number[] {
  const count = new Map<number, number>();
  for (const f of probes) count.set(shotOf.get(f)!, (count.get(shotOf.get(f)!) ?? 0) + 1);
  return [...byShot].filter(([shot, list]) => list.length && !hit.has(shot) && count.get(shot) === 1).map(([, list]) => Math.min(...list.map((s) => s.frame))).sort((a, b) => a - b);
}

/** Drop second-pass results made with another model (the series learned something new). */
export function forgetSecondPass(ws: Workspace, videoId: number, key: string): void {
  ws.db.transaction(() => {
    const stale = ws.db.prepare('SELECT COUNT(*) n FROM redetected WHERE video_id = ? AND model != ?').get(videoId, key) as { n: number };
    if (!stale.n) return;
    ws.db.prepare('DELETE FROM appearances WHERE video_id = ? AND pass = 2').run(videoId);
    ws.db.prepare('DELETE FROM redetected WHERE video_id = ?').run(videoId);
  })();
}

export type { NewAppearance };

export interface KnownLooks {
  /** Identity embeddings of the characters the series knows: its first pass, the tracks a person named, its taught boxes. */
  characters: Float32Array[];
  /** Each taught box's embedding, by its id (also among `characters`): a look's candidates are measured against them. */
  taught: Map<number, Float32Array>;
  /** Each taught box refined to her outline on its frame, by id (analysis pixels): where carrying starts (carry.ts). */
  seeds: Map<number, Detection>;
  /** Looks of the tracks a person named, by name (first-pass rows sampled per name, second-pass looks): hers, for a look of that name. */
  named: Map<string, Float32Array[]>;
  /** What a person said is no character (rejected tracks): background wherever it turns up. */
  background: Float32Array[];
  /**
   * A typical character box, its width and height as shares of the frame's height: the size of the background
   * cut-outs and the measure of a sliver. Shares, not pixels: the episodes of a series may come at several sizes.
   */
  size: [number, number];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * A typical character of the series from its boxes, each with the height of
 * the frame it is on: the median width and height, as shares of the frame's
 * height. Episodes of one series may come at several sizes (a 480 and a 640
 * px wide cut of the same show): pixels of one are not pixels of the other.
 */
export function typicalShare(boxes: Array<{ w: number; h: number; frameHeight: number }>): [number, number] {
  return [median(boxes.map((b) => b.w / b.frameHeight)), median(boxes.map((b) => b.h / b.frameHeight))];
}

type Looks = { characters: Float32Array[]; named: Map<string, Float32Array[]>; background: Float32Array[]; sizes: Array<{ w: number; h: number; frameHeight: number }>; key: string; namesKey: string };

/** Looks kept per decided track (evenly spread over its second-pass rows). */
const PER_DECIDED = 64;

const vector = (e: Buffer) => normalize(new Float32Array(e.buffer.slice(e.byteOffset, e.byteOffset + e.byteLength)));

/**
 * Bring `decided_looks` up to date with what a person said: tracks no longer
 * decided lose their looks; a decided track gets its looks from its
 * second-pass rows once, when first decided with such rows, and keeps them
 * (rows redone by a later pass would change what a resumed pass judges by
 * under the same key); a decision that changed kind (named, then rejected, or
 * back) changes the kind of its looks, taken afresh where rows exist. Run
 * before any second pass is forgotten.
 */
function syncDecidedLooks(ws: Workspace): void {
  ensureLabels(ws);
  ws.db.transaction(() => {
    ws.db.prepare('DELETE FROM decided_looks WHERE track NOT IN (SELECT track FROM decisions WHERE rejected = 1 OR name IS NOT NULL)').run();
    const decided = ws.db.prepare('SELECT track, rejected FROM decisions WHERE rejected = 1 OR name IS NOT NULL ORDER BY track').all() as { track: number; rejected: number }[];
    const rows = ws.db.prepare('SELECT embedding FROM appearances WHERE track = ? AND pass = 2 AND embedding IS NOT NULL ORDER BY id');
    const del = ws.db.prepare('DELETE FROM decided_looks WHERE track = ?');
    const ins = ws.db.prepare('INSERT INTO decided_looks (track, kind, embedding) VALUES (?, ?, ?)');
    const have = ws.db.prepare('SELECT kind FROM decided_looks WHERE track = ? LIMIT 1');
    const rekind = ws.db.prepare('UPDATE decided_looks SET kind = ? WHERE track = ?');
    for (const d of decided) {
      const kind = d.rejected ? 'background' : 'character';
      const was = have.get(d.track) as { kind: string } | undefined;
      if (was?.kind === kind) continue;
      const es = rows.all(d.track) as { embedding: Buffer }[];
      if (!es.length) {
        if (was) rekind.run(kind, d.track);
        continue;
      }
      del.run(d.track);
      for (const e of spread(es, PER_DECIDED)) ins.run(d.track, kind, e.embedding);
    }
  })();
}

/** The looks the workspace holds: first-pass rows are characters (unless their track was rejected), decided tracks' looks as decided. */
function storedLooks(ws: Workspace): Looks {
  // Ids and sizes first; only the embeddings picked are read (a long series holds far more rows than it keeps).
  const first = ws.db.prepare(`SELECT a.id, a.w, a.h, v.height fh, d.rejected, d.name FROM appearances a JOIN videos v ON v.id = a.video_id
    LEFT JOIN decisions d ON d.track = a.track WHERE a.pass = 1 AND a.embedding IS NOT NULL ORDER BY a.id`).all() as { id: number; w: number; h: number; fh: number; rejected: number | null; name: string | null }[];
  const embeddingOf = ws.db.prepare('SELECT embedding FROM appearances WHERE id = ?');
  const read = (rows: { id: number }[]) => rows.map((r) => (embeddingOf.get(r.id) as { embedding: Buffer }).embedding);
  const decided = ws.db.prepare('SELECT l.track, l.kind, l.embedding, d.name FROM decided_looks l LEFT JOIN decisions d ON d.track = l.track ORDER BY l.track, l.rowid').all() as { track: number; kind: string; embedding: Buffer; name: string | null }[];
  const kept = first.filter((r) => r.rejected !== 1);
  const characters = [...read(spread(kept, KNOWN_LOOKS)), ...decided.filter((d) => d.kind === 'character').map((d) => d.embedding)];
  const background = [...first.filter((r) => r.rejected === 1), ...decided.filter((d) => d.kind === 'background')];
  // What the second pass decides with: when it changes (a track named or rejected), the second pass is redone.
  // Names too: a taught look's candidates are judged by who is hers and who is someone else.
  const namedRows = first.filter((r) => r.name && r.rejected !== 1);
  const names = namedRows.map((r) => `${r.id}:${r.name}`);
  const key = createHash('sha256').update(JSON.stringify({ PASS_VERSION, BACKGROUND_FRAMES, KNOWN_LOOKS, PER_DECIDED, decided: decided.map((d) => [d.track, d.kind]), rejected: first.length - kept.length })).digest('hex').slice(0, 8);
  const namesKey = createHash('sha256').update(JSON.stringify({ decided: decided.map((d) => d.name), names })).digest('hex').slice(0, 8);
  const look = (b: { id: number } | { embedding: Buffer }) => ('embedding' in b ? b.embedding : read([b])[0]);
  // Tracks a person named, by name (their first-pass rows, evenly spread, and their second-pass looks): a taught
  // look's candidates are measured against hers and against everyone else's.
  const named = new Map<string, Float32Array[]>();
  const byName = new Map<string, { id: number }[]>();
  for (const r of namedRows) byName.set(r.name!, [...(byName.get(r.name!) ?? []), r]);
  for (const [name, rows] of byName) named.set(name, read(spread(rows, PER_DECIDED)).map(vector));
  for (const d of decided) if (d.kind === 'character' && d.name) named.set(d.name, [...(named.get(d.name) ?? []), vector(d.embedding)]);
  return { characters: characters.map(vector), named, background: spread(background, KNOWN_LOOKS).map(look).map(vector), sizes: kept.map((r) => ({ w: r.w, h: r.h, frameHeight: r.fh })), key, namesKey };
}

/**
 * What the series' known characters look like: the stored looks and every
 * taught box, cut out on its frame as the learned pass will cut it out.
 */
async function knownLooks(ws: Workspace, stored: Looks, analysed: Array<Pick<Analysed, 'id' | 'path' | 'width' | 'side'> & { embed: EmbedOptions }>): Promise<KnownLooks> {
  const characters = [...stored.characters];
  const byId = new Map<number, Float32Array>();
  const seeds = new Map<number, Detection>();
  const taught = taughtBoxes(ws);
  const heightOf = ws.db.prepare('SELECT height FROM videos WHERE id = ?');
  const sizes = stored.sizes.length ? stored.sizes : taught.map((t) => ({ w: t.box[2], h: t.box[3], frameHeight: (heightOf.get(t.video) as { height: number }).height }));
  const cv = await opencv();
  for (const v of analysed) {
    const mine = taught.filter((t) => t.video === v.id);
    if (!mine.length) continue;
    let shots;
    try {
      shots = await detectShots(v.path, { workspace: ws });
    } catch (e) {
      // A moved or damaged episode: its taught boxes are left out of the known looks; the rest of the series goes on.
      if (!(e instanceof ToonscopeError)) throw e;
      continue;
    }
    const size = sizeFor(shots.video, v);
    const sx = shots.video.width / size.width;
    for await (const frame of decodeSelected(v.path, [...new Set(mine.map((t) => t.frame))], size, { times: shots.times, cache: keptFrames(ws) })) {
      const on = mine.filter((t) => t.frame === frame.index);
      const dets = on.map((t) => refineInside(cv, frame, t.box.map((x) => x / sx) as Box, frame.index));
      await embedDetections(frame, dets, v.embed);
      dets.forEach((d, k) => { characters.push(d.embedding!); byId.set(on[k].id, d.embedding!); seeds.set(on[k].id, d); });
    }
  }
  return { characters, taught: byId, seeds, named: stored.named, background: stored.background, size: typicalShare(sizes) };
}

export interface LearnPassSummary {
  learn: LearnSummary;
  /** Wall seconds of the whole learned pass (training included). */
  seconds: number;
  videos: Array<{ video: number; path: string; first: number; second: number; shots: number; frames: number; rejected: number }>;
}

/**
 * Detect, learn, detect again, for every analysed episode of the series:
 * train (or reuse) the series detector, run the second pass where it is not
 * done for this model, and re-track what changed.
 */
export async function learnPass(ws: Workspace, opts: LearnOptions = {}): Promise<LearnPassSummary> {
  ensureSchema(ws);
  const t0 = performance.now();
  const learn = await learnSeries(ws, opts);
  const out: LearnPassSummary = { learn, seconds: 0, videos: [] };
  // Pass-2 appearances are embedded in the workspace's recorded identity space (MobileNetV2 or e.g. CCIP), as pass 1 was.
  const space = await identitySpace(ws);
  try {
    const rows = analysedVideos(ws);
    const embedOf = (v: Analysed): EmbedOptions => ({ size: v.embed, identity: space.embedder });
    let looks: KnownLooks | undefined;
    syncDecidedLooks(ws);
    const stored = storedLooks(ws);
    // The second pass is keyed by the model and by what decides its candidates.
    // Names matter only to taught looks (who is hers, who someone else): with none, naming redoes nothing.
    const passKey = `${learn.key}:${stored.key}${learn.model?.looks?.length ? `:${stored.namesKey}` : ''}`;
    for (const r of rows) {
      let report: RedetectReport | undefined;
      let shots;
      try {
        shots = await detectShots(r.path, { workspace: ws });
      } catch (e) {
        // A moved or damaged episode keeps what it has; the rest of the series goes on.
        if (!(e instanceof ToonscopeError)) throw e;
        opts.log?.(`warning: ${r.path}: ${e.problem}; its learned pass is left as it was`);
        continue;
      }
      if (learn.model) {
        forgetSecondPass(ws, r.id, passKey);
        const bar = opts.progress?.(`learned pass ${r.path}`);
        // Made once, and only when some episode still has shots to look at again.
        const pending = ws.db.prepare('SELECT COUNT(*) n FROM redetected WHERE video_id = ? AND model = ?').get(r.id, passKey) as { n: number };
        if (!looks && pending.n < shots.shots.length) looks = await knownLooks(ws, stored, rows.filter((v) => existsSync(v.path)).map((v) => ({ id: v.id, path: v.path, width: v.width, side: v.side, embed: embedOf(v) })));
        report = await redetectVideo(ws, r.id, shots.video, shots.times, learn.model, passKey, { width: r.width, side: r.side, fps: r.fps, every: r.every, embed: embedOf(r) }, looks ?? { characters: [], taught: new Map(), seeds: new Map(), named: new Map(), background: [], size: [0, 0] }, bar, learn.maps?.get(r.id), opts.judged);
        // Its maps are of no more use: free them before the next episode.
        learn.maps?.delete(r.id);
        bar?.done();
      } else ws.db.transaction(() => {
          ws.db.prepare('DELETE FROM appearances WHERE video_id = ? AND pass = 2').run(r.id);
          ws.db.prepare('DELETE FROM redetected WHERE video_id = ?').run(r.id);
        })();
      trackVideo(ws, r.id, shots.shots);
      const count = (pass: number) => (ws.db.prepare('SELECT COUNT(*) n FROM appearances WHERE video_id = ? AND pass = ?').get(r.id, pass) as { n: number }).n;
      out.videos.push({ video: r.id, path: r.path, first: count(1), second: count(2), shots: report?.shots ?? 0, frames: report?.frames ?? 0, rejected: report?.rejected ?? 0 });
    }
  } finally {
    await space.embedder?.dispose();
  }
  delete learn.maps;
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

export interface TeachResult {
  /** False when this exact box was taught before: nothing changes. */
  added: boolean;
  video: number;
  frame: number;
  shot: number;
}

/**
 * A person draws one box around a character on one frame (source pixels,
 * frame 0-based). The box joins what the series detector learns from, the
 * frame becomes a sampled frame of its shot, and the next `analyze` redoes only
 * what that changes: that shot's first pass, the model, the second pass.
 */
export async function teach(ws: Workspace, path: string, frame: number, box: Box, name?: string): Promise<TeachResult> {
  ensureSchema(ws);
  const row = ws.db.prepare('SELECT id, width, height FROM videos WHERE path = ?').get(resolvePath(path)) as { id: number; width: number; height: number } | undefined;
  if (!row) throw new ToonscopeError(path, `not analysed in the workspace ${ws.dir}: run \`toonscope analyze ${path}\` first`);
  const shots = await detectShots(path, { workspace: ws });
  if (!Number.isInteger(frame) || frame < 0 || frame >= shots.frames) throw new ToonscopeError('--frame', `frame ${frame} is not in ${path}: it has frames 0 to ${shots.frames - 1}`);
  const [x, y, w, h] = box;
  const W = shots.video.width, H = shots.video.height;
  if (!box.every(Number.isFinite) || w < 2 || h < 2) throw new ToonscopeError('--box', `the box ${box.join(',')} is empty: give X,Y,W,H with W and H of at least 2 pixels`);
  if (x < 0 || y < 0 || x + w > W || y + h > H) throw new ToonscopeError('--box', `the box ${box.join(',')} is off the frame: ${path} is ${W}x${H} (X+W <= ${W}, Y+H <= ${H})`);
  const shot = shots.shots.find((s) => frame >= s.start && frame <= s.end);
  if (!shot) throw new ToonscopeError('--frame', `frame ${frame} of ${path} is in no shot`);
  const clean = name?.replace(/\s+/g, ' ').trim() || null;
  let added = false;
  ws.db.transaction(() => {
    added = ws.db.prepare('INSERT OR IGNORE INTO taught (video_id, frame, x, y, w, h, name) VALUES (?, ?, ?, ?, ?, ?, ?)').run(row.id, frame, x, y, w, h, clean).changes > 0;
    if (!added && clean) ws.db.prepare('UPDATE taught SET name = ? WHERE video_id = ? AND frame = ? AND x = ? AND y = ? AND w = ? AND h = ?').run(clean, row.id, frame, x, y, w, h);
    ws.db.prepare('INSERT OR IGNORE INTO samples (video_id, frame, shot, time) VALUES (?, ?, ?, ?)').run(row.id, frame, shot.index, shots.times[frame] ?? frame / shots.video.fps);
  })();
  return { added, video: row.id, frame, shot: shot.index };
}

/** A first-pass row in analysis pixels: its box, its face if it has one, and whether it is a body (a face or a mask). */
export interface FirstRow { box: Box; face?: Box; body: boolean }

/**
 * Whether the first pass has her on a frame where a person drew `box` around her: a row whose face lies mostly in her
 * box and whose body overlaps it by a third (IoU >= 0.3, as any learned detection on it), a face found alone lying
 * mostly in it, or a body without a face overlapping it so. A neighbour standing against her overlaps her box but has
 * his face outside it; a child in front of her has her face inside it but covers little of it. Until session 29 any
 * first-pass row overlapping her box by a third was her: a neighbour's row left her without an appearance on the very
 * frame she was taught on, and `nameTaught` gave him her name. A row of hers much smaller than the box drawn (her
 * face and shoulders in a box around her whole figure) is not counted either: her taught box stands beside it.
 */
export function firstPassHas(rows: readonly FirstRow[], box: Box): boolean {
  return rows.some((r) => (r.body ? iou(r.box, box) >= 0.3 && (!r.face || coverage(r.face, box) >= 0.5) : coverage(r.box, box) >= 0.5));
}

/**
 * Whether she was found already where her taught box was carried by flow (`box`, on another sampled frame of its
 * shot), so the carried box is not added there: a first-pass row on her, or a box drawn on hers (IoU >= 0.5; a drawn
 * box that only overlaps hers is someone else's, one child in front of another). A carried box is less exact than a
 * drawn one: the flow moves it but never resizes it, so it lags her when she stands up, drifts sideways, stays small
 * as she walks towards the camera. So a row is on her as before session 30 (overlapping by a third, or half of either
 * inside the other: her upper body, her whole figure grown around the box), unless its face's centre lies off the
 * box by more than a quarter of the face to the side (`FACE_SLACK`), or above or below it by more than the larger of
 * that and 15% of the box's height (`LAG_SLACK`): a neighbour standing against her, his face beside her box (Fern's row against
 * Stark's carried box on the Frieren edit, her face's centre 95 px off his 635 px wide box). Until session 30 his row
 * was her too, and her carried box went on every frame he stood beside her. The slack to the side is the face's, not
 * the box's: a share of a box half the frame wide would take in the face beside it. The stricter test of
 * her taught frame (`firstPassHas`) is not used: a carried box lagging her by a sixth of her height cuts her own face,
 * her row would not count and she would appear twice (two tracks sharing frames cannot both take her name). Where
 * geometry cannot tell (a neighbour half her width away with his face above his middle, a child in front of her, his
 * row inside her box) the row counts as her: a missed appearance, not a second one.
 */
export function carriedFound(rows: readonly FirstRow[], drawn: readonly Box[], box: Box): boolean {
  const faceOn = (f: Box) => {
    const [cx, cy] = [f[0] + f[2] / 2, f[1] + f[3] / 2];
    // Up and down, also a share of the box: she stands up or walks towards the camera inside a box that stays put.
    const [x, y, w, h] = grow(box, f[2] * FACE_SLACK, Math.max(f[3] * FACE_SLACK, box[3] * LAG_SLACK));
    return cx >= x && cx <= x + w && cy >= y && cy <= y + h;
  };
  const on = (r: FirstRow) => (iou(r.box, box) >= 0.3 || coverage(r.box, box) >= 0.5 || coverage(box, r.box) >= 0.5)
    && (!r.face || faceOn(r.face));
  return rows.some(on) || drawn.some((b) => iou(b, box) >= 0.5);
}

/** How far off a carried box a face of hers may lie (its centre), as a share of the face's size (flow lag and drift). */
export const FACE_SLACK = 0.25;
/**
 * And above or below it, as a share of the box's height: a lag of up to 60 px on a 200 px box as she stands up, or a
 * zoom of up to about 1.8x about the box's middle (less with both at once, or zoomed about her feet).
 */
export const LAG_SLACK = 0.15;

/**
 * Names given with taught boxes: the track of the appearance that covers a
 * named taught box is decided with that name (unless a person decided it
 * already), and the classifier spreads it from there like any named track: it
 * can still say "unknown" where it is unsure, and re-clustering cannot undo it.
 */
export function nameTaught(ws: Workspace): number {
  ensureLabels(ws);
  let named = 0;
  const decided = new Set((ws.db.prepare('SELECT track FROM decisions').all() as { track: number }[]).map((r) => r.track));
  for (const t of taughtBoxes(ws)) {
    if (!t.name) continue;
    const apps = ws.db.prepare('SELECT x, y, w, h, track FROM appearances WHERE video_id = ? AND frame = ? AND track IS NOT NULL').all(t.video, t.frame) as { x: number; y: number; w: number; h: number; track: number }[];
    // GrabCut may shrink the taught box to her outline: of the appearances lying at least half inside the box, hers
    // is the one that fills it most (a child in front of her lies inside it too, but fills little of it).
    let best: (typeof apps)[number] | undefined, bv = -1;
    for (const a of apps) {
      const b: Box = [a.x, a.y, a.w, a.h];
      const v = iou(b, t.box);
      if (coverage(b, t.box) >= 0.5 && v > bv) { bv = v; best = a; }
    }
    if (!best || decided.has(best.track)) continue;
    decide(ws, [best.track], { name: t.name, rejected: false });
    decided.add(best.track);
    named++;
  }
  return named;
}
