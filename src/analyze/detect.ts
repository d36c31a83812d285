// Stage 3 of analyze: characters and their vanilla embeddings on the sampled
// frames. The expensive chain runs on keyframes only (each shot's first
// analysed frame, then every `every` seconds); in between, characters are
// carried by optical flow at `fps` analysed frames per second (as
// `toonscope characters` does on video). A shot's results are committed
// together, so a killed run redoes at most the shot in flight.
import { encodeImage, resize } from '../core/image.js';
import { analysisSize, decodeSelected, fitSize } from '../core/video.js';
import type { Workspace } from '../core/workspace.js';
import type { Box, Detection, Frame, Image, Shot, VideoInfo } from '../core/types.js';
import type { Progress } from '../core/progress.js';
import type { CharacterDetector } from '../characters/types.js';
import { Propagator, type Gone } from '../characters/video.js';
import { opencv } from '../core/opencv.js';
import { embedDetections, cropBox, type EmbedOptions } from '../embed/index.js';
import { pendingSamples, saveShot, resetShot, startedShots, type NewAppearance } from './store.js';
import { probesOf, type Sample } from './sample.js';
import type { FrameCache } from '../core/frame-cache.js';

export interface DetectStageOptions {
  /** Analysis size for detection (pixels): the frame's width, or its height when taller than wide (`analysisSize`). */
  width?: number;
  /**
   * How `width` applies: 'longer' side (every first pass since portrait frames were sized so), else the width, as a
   * first pass stored before looked at portrait frames; later passes look at the size their episode's first pass did.
   */
  side?: 'longer' | 'width';
  /** Frames per second followed by optical flow between keyframes. */
  fps?: number;
  /** Seconds between keyframes inside a shot. */
  every?: number;
  /** Seconds between looks for a new face between keyframes (0: none; `Propagator`). */
  watch?: number;
  embed?: EmbedOptions;
  /** Height of the stored crop thumbnails (for collages and the app). */
  cropHeight?: number;
  /** Where to keep the sampled frames for the learned pass (analyze/kept.ts); none: nothing kept. */
  frames?: FrameCache;
}

/** The size frames are analysed at: `width` on the longer side, or as wide as `width` for a first pass stored before. */
export function sizeFor(info: Pick<VideoInfo, 'width' | 'height'>, opts: Pick<DetectStageOptions, 'width' | 'side'>): { width: number; height: number } {
  return (opts.side === 'width' ? fitSize : analysisSize)(info, opts.width ?? 640);
}

/** The detection that stands for a character: its body, or its face when no body was found. */
function unit(c: { body?: Detection; face?: Detection }): Detection | undefined {
  return c.body ?? c.face;
}

async function thumb(frame: Image, d: Detection, height: number): Promise<Buffer> {
  const c = cropBox(frame, d.box, d.mask).image;
  const h = Math.min(height, c.height);
  const w = Math.max(1, Math.round((c.width * h) / c.height));
  return encodeImage(await resize(c, w, h), 'jpeg', 85);
}

/**
 * Where a detection pass keeps its work: which sampled frames are still to do,
 * which shots were partly done (redone whole), and how a finished shot is saved
 * (atomically with its "done" mark). The first pass works on the samples table;
 * the learned second pass on its own table (learn.ts).
 */
export interface ShotStore {
  pending(): Sample[];
  started(): Set<number>;
  reset(shot: number): void;
  save(shot: number, apps: NewAppearance[]): void;
}

export function firstPass(ws: Workspace, videoId: number): ShotStore {
  return {
    pending: () => pendingSamples(ws, videoId),
    started: () => startedShots(ws, videoId),
    reset: (shot) => resetShot(ws, videoId, shot),
    save: (shot, apps) => saveShot(ws, videoId, shot, apps),
  };
}

/** An embedded detection as a stored appearance: boxes in source-video pixels (x `sx`), masks at analysis size. */
export async function appearance(frame: Frame, d: Detection, shot: number, time: number, sx: number, cropHeight = 128, face?: Box): Promise<NewAppearance> {
  return {
    frame: frame.index,
    shot,
    time,
    box: d.box.map((v) => v * sx) as Box,
    score: d.score,
    face: face?.map((v) => v * sx) as Box | undefined,
    mask: d.mask,
    crop: await thumb(frame, d, cropHeight),
    embedding: d.embedding!,
  };
}

export interface DetectStageReport {
  frames: number;
  keyframes: number;
  /** Seconds in the detector chain (keyframes), flow carrying (with the watches between keyframes), and embedding. */
  chainSeconds: number;
  carrySeconds: number;
  embedSeconds: number;
  /** Sampled frames that could not be decoded (their samples stay undone). */
  missing: number[];
}

/**
 * A shot's appearances less those of characters the propagator took back: her track (`carried`, the propagator's own
 * id, not the tracking stage's), from the frame her doubt began on.
 */
export function takeBack<A extends { frame: number; carried?: number }>(apps: A[], gone: readonly Gone[]): A[] {
  return apps.filter((a) => !gone.some((g) => a.carried === g.track && a.frame >= g.since));
}

export async function detectStage(ws: Workspace, videoId: number, info: VideoInfo, times: ArrayLike<number>, shots: Shot[], chain: CharacterDetector[], opts: DetectStageOptions = {}, bar?: Progress, store: ShotStore = firstPass(ws, videoId)): Promise<DetectStageReport> {
  const report: DetectStageReport = { frames: 0, keyframes: 0, chainSeconds: 0, carrySeconds: 0, embedSeconds: 0, missing: [] };
  // A shot with both finished and pending samples was cut short (or gained a taught frame): it is redone whole, so
  // reset it before reading what is pending, or its reset samples would be left for no run to do.
  const started = store.started();
  for (const shot of new Set(store.pending().map((s) => s.shot))) if (started.has(shot)) store.reset(shot);
  const pending = store.pending();
  const byShot = new Map<number, number[]>();
  for (const s of pending) {
    if (!byShot.has(s.shot)) byShot.set(s.shot, []);
    byShot.get(s.shot)!.push(s.frame);
  }
  const size = sizeFor(info, opts);
  const sx = info.width / size.width;
  const step = Math.max(1, Math.round(info.fps / (opts.fps ?? 8)));
  const cv = await opencv();
  let done = 0;
  const total = pending.length;
  bar?.set(0, total);
  // One decode pass over every pending shot's frames; a shot's results are saved when the next shot begins.
  const frameShot = new Map<number, Shot>();
  const wanted = new Set<number>();
  for (const shot of shots) {
    const samples = byShot.get(shot.index);
    if (!samples) continue;
    for (const f of samples) {
      wanted.add(f);
      frameShot.set(f, shot);
    }
    for (let f = shot.start; f <= Math.max(...samples); f += step) if (!frameShot.has(f)) frameShot.set(f, shot);
  }
  let current: Shot | undefined;
  let prop: Propagator | undefined;
  // Each with the propagator's track (`carried`), to take back what it reports gone.
  let apps: Array<NewAppearance & { carried?: number }> = [];
  // Test hook, TOONSCOPE_AFTER_SHOTS=K:SIGNAL (e.g. 2:SIGKILL, 1:SIGSTOP): the process signals itself once K shots
  // are committed, outside any transaction, so kill/resume and lock tests stop at a known point instead of racing a timer.
  const [afterShots, hookSignal] = (process.env.TOONSCOPE_AFTER_SHOTS ?? '').split(':');
  let saved = 0;
  const finish = () => {
    if (current) store.save(current.index, apps);
    if (current && ++saved === Number(afterShots)) process.kill(process.pid, (hookSignal || 'SIGKILL') as NodeJS.Signals);
    apps = [];
  };
  const decoded = { missing: [] as number[] };
  // The sampled frames are kept for the learned pass, which looks at them again (analyze/kept.ts); where they do
  // not all fit in what is left (a long episode, or episodes before it), its probe frames, which it looks at in every
  // shot and learns from first.
  const probes = new Set(probesOf(pending, opts.every ?? 4));
  const keepAll = pending.length * size.width * size.height * 3 <= (opts.frames?.room ?? 0);
  for await (const frame of decodeSelected(info.path, [...frameShot.keys()], size, { times, report: decoded, cache: opts.frames, keep: (f) => (keepAll ? wanted : probes).has(f) })) {
    const shot = frameShot.get(frame.index)!;
    const cut = shot !== current;
    if (cut) {
      finish();
      current = shot;
      prop = new Propagator(cv, chain, opts.every ?? 2, opts.watch ?? 0);
    }
    let t = performance.now();
    const { characters, keyframe, gone } = await prop!.step(frame, cut);
    // Someone reported while in doubt and now gone (a box the flow held over a cut the shots detector missed): what was
    // reported of her since her doubt began is taken back.
    apps = takeBack(apps, gone);
    const dt = (performance.now() - t) / 1000;
    if (keyframe) {
      report.keyframes++;
      report.chainSeconds += dt;
    } else report.carrySeconds += dt;
    if (!wanted.has(frame.index)) continue;
    const chars = characters.filter((c) => unit(c));
    // Copies: the propagator keeps carrying the originals.
    const dets = chars.map((c) => ({ ...unit(c)! }));
    t = performance.now();
    await embedDetections(frame, dets, opts.embed);
    report.embedSeconds += (performance.now() - t) / 1000;
    for (const [k, d] of dets.entries()) {
      const face = chars[k].face && chars[k].body ? chars[k].face!.box : undefined;
      apps.push({ ...(await appearance(frame, d, shot.index, times[frame.index] ?? frame.time, sx, opts.cropHeight, face)), carried: d.track });
    }
    bar?.set(++done, total);
  }
  finish();
  report.frames = done;
  report.missing = decoded.missing.filter((f) => wanted.has(f));
  return report;
}
