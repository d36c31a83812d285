// What a job carries: names and numbers only, never code. A worker checks
// every path or URL a job names against the roots it was started with
// (--allow DIR or --allow https://host/prefix/) before touching it, and
// fails the job with one line otherwise (no retry: it would fail again).
import { realpathSync, existsSync, createWriteStream } from 'node:fs';
import { isAbsolute, resolve, sep, join, extname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToonscopeError } from '../core/errors.js';
import type { Ratio } from '../core/rate.js';
import type { PartStart } from '../interpolate/video.js';

/** Bumped when job data or transfer payloads change shape: a worker refuses jobs of another version. */
export const PROTOCOL = 3;

export interface AnalyzeParams {
  chain?: string;
  /** --models as given (auto, none, names): each worker picks from its own installed models as a local run would. */
  models?: string;
  rate?: number;
  width?: number;
  every?: number;
  /** Seconds between looks for a new face between keyframes (0: none). */
  watch?: number;
}

export interface ShotsParams {
  detector: string;
  width?: number;
  crop?: string;
}

export interface EpisodeJob {
  v: number;
  kind: 'analyze' | 'shots';
  run: string;
  /** The video's id in the coordinator's workspace: the worker gives it the same id, so track ids match a local run. */
  videoId: number;
  /** Absolute path on the shared file system, or an http(s) URL. */
  source: string;
  params: AnalyzeParams | ShotsParams;
}

/** What every part of one `interpolate --queue` run shares: the settings that change the frames, and the shots' cuts. */
export interface InterpolateParams {
  factor: Ratio;
  crf: number;
  partFrames: number;
  /** Working resolution of the flow (interpolate --work). */
  work?: number;
  ease: boolean;
  /** The learned synthesiser's name (model:NAME) when the coordinator used one; the worker must have it installed. */
  learned?: string;
  /** x264 threads: the coordinator's automatic count, so every part's bytes are those a local run writes. */
  encoderThreads: number;
  /** Frames that start a shot (the coordinator's shot detection over the whole video). */
  cuts: number[];
  /** The input's size in bytes on the coordinator: a worker whose file differs (another version at the same path) refuses the part. */
  size: number;
}

/** One part of one video to interpolate (video.ts interpolatePart). */
export interface PartJob {
  v: number;
  kind: 'interpolate';
  run: string;
  source: string;
  part: number;
  /** Where the worker may start decoding, nearest first, ending at frame 0. */
  starts: PartStart[];
  params: InterpolateParams;
}

/** The parent job of a run: its children are the episodes; only the coordinator takes it. */
export interface SeriesJob {
  v: number;
  kind: 'series';
  run: string;
  episodes: number;
}

export type JobData = EpisodeJob | PartJob | SeriesJob;

/**
 * A failure of this worker's machine, not of the job (the shared folder not mounted here, a model not installed
 * here): retried with backoff like a crash, so another worker may take it, instead of failing the job at once.
 */
export class WorkerError extends ToonscopeError {}

/**
 * Whether a job's failure is final: a ToonscopeError about the job or its input (outside --allow, malformed, a video
 * that does not decode, a bad option) fails the same way on every worker and every attempt, so it fails at once with
 * its one line; anything else (a crash, a download that failed, a full disk or another WorkerError) is retried.
 */
export function isFinal(e: unknown): boolean {
  if (!(e instanceof ToonscopeError) || e instanceof WorkerError) return false;
  return !/the disk is full/.test(e.problem);
}

export class Roots {
  private dirs: string[] = [];
  private urls: string[] = [];

  constructor(allow: string[]) {
    for (const a of allow) {
      if (/^https?:\/\//.test(a)) this.urls.push(a.endsWith('/') ? a : `${a}/`);
      else {
        if (!existsSync(a)) throw new ToonscopeError(a, '--allow: no such folder');
        this.dirs.push(realpathSync(resolve(a)));
      }
    }
  }

  get empty(): boolean {
    return !this.dirs.length && !this.urls.length;
  }

  /** The path or URL if it lies inside an allowed root; otherwise a one-line error naming it. */
  check(what: string): string {
    if (/^https?:\/\//.test(what)) {
      if (this.urls.some((u) => what.startsWith(u)) && !/\/\.\.?(\/|$)/.test(new URL(what).pathname)) return what;
      throw new ToonscopeError(what, 'URL is outside the roots this worker allows (--allow)');
    }
    if (!isAbsolute(what)) throw new ToonscopeError(what, 'job names a relative path; jobs carry absolute paths only');
    // Symlinks are followed before the check, so a link cannot lead out of a root.
    let real: string;
    try {
      real = realpathSync(what);
    } catch {
      real = resolve(what);
    }
    if (this.dirs.some((d) => real === d || real.startsWith(d.endsWith(sep) ? d : d + sep))) {
      if (!existsSync(real)) throw new WorkerError(what, 'no such file on this worker (is the shared folder mounted at the same path?)');
      return real;
    }
    throw new ToonscopeError(what, 'path is outside the roots this worker allows (--allow)');
  }

  /** Check every file a detector chain names (cascade=FILE, salient=FILE, yolo=FILE:labels). */
  checkChain(spec: string | undefined): void {
    for (const part of (spec ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      this.check(part.slice(eq + 1).split(':')[0]);
    }
  }
}

/** A local file for the job's source: the shared path itself, or an http(s) download into `dir`. */
export async function fetchSource(source: string, dir: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) return source;
  const file = join(dir, `video${extname(new URL(source).pathname) || '.mp4'}`);
  // Plain errors, not ToonscopeError: a download can fail for a moment, so the job is retried (with backoff).
  let res: Response;
  try {
    res = await fetch(source);
  } catch (e) {
    throw new Error(`${source}: cannot download (${(e as Error).message})`);
  }
  if (!res.ok || !res.body) throw new Error(`${source}: cannot download (HTTP ${res.status})`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  return file;
}

const num = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v > 0);

const whole = (v: unknown, min = 0) => Number.isSafeInteger(v) && (v as number) >= min;

/** Shape check of job data from Redis (anyone who can write to Redis can add jobs). */
export function checkJob(data: unknown): EpisodeJob | PartJob {
  const d = data as EpisodeJob;
  if (!d || typeof d !== 'object') throw new ToonscopeError(undefined, 'job has no data');
  if (d.v !== PROTOCOL) throw new ToonscopeError(undefined, `job is of protocol ${d.v}, this worker speaks ${PROTOCOL} (run the same toonscope version everywhere)`);
  if ((d.kind as string) === 'interpolate') return checkPartJob(data as PartJob);
  if (d.kind !== 'analyze' && d.kind !== 'shots') throw new ToonscopeError(undefined, `unknown job kind "${String(d.kind)}"`);
  if (typeof d.source !== 'string' || typeof d.run !== 'string' || !Number.isSafeInteger(d.videoId) || d.videoId < 1) throw new ToonscopeError(undefined, 'job lacks source, run or videoId');
  const p = (d.params ?? {}) as Record<string, unknown>;
  for (const k of ['rate', 'width', 'every']) if (!num(p[k])) throw new ToonscopeError(undefined, `job parameter ${k} is not a positive number`);
  if (p.watch !== undefined && !(typeof p.watch === 'number' && Number.isFinite(p.watch) && p.watch >= 0)) throw new ToonscopeError(undefined, 'job parameter watch is not a number of seconds');
  for (const k of ['chain', 'models', 'detector', 'crop']) if (p[k] !== undefined && typeof p[k] !== 'string') throw new ToonscopeError(undefined, `job parameter ${k} is not text`);
  // A crop is handed to ffmpeg as a filter: only a plain crop=W:H:X:Y expression, so no filter can open files.
  if (p.crop !== undefined && !/^crop=[\w:*/+\-.()]+$/.test(p.crop as string)) throw new ToonscopeError(undefined, `job crop "${String(p.crop)}" is not a plain crop=W:H:X:Y filter`);
  return d;
}

function checkPartJob(d: PartJob): PartJob {
  if (typeof d.source !== 'string' || typeof d.run !== 'string' || !whole(d.part)) throw new ToonscopeError(undefined, 'part job lacks source, run or part');
  const p = (d.params ?? {}) as InterpolateParams;
  const ratio = p.factor as Ratio | undefined;
  if (!ratio || !whole(ratio.num, 1) || !whole(ratio.den, 1)) throw new ToonscopeError(undefined, 'part job has no factor');
  if (!whole(p.crf) || !whole(p.size, 1) || !whole(p.partFrames, 1) || !whole(p.encoderThreads, 1) || (p.work !== undefined && !whole(p.work, 1))) throw new ToonscopeError(undefined, 'part job parameters crf, partFrames, encoderThreads, work must be whole numbers');
  if (typeof p.ease !== 'boolean' || (p.learned !== undefined && !/^model:[\w.-]+$/.test(p.learned))) throw new ToonscopeError(undefined, 'part job parameters ease or learned are malformed');
  if (!Array.isArray(p.cuts) || !p.cuts.every((c) => whole(c, 1))) throw new ToonscopeError(undefined, 'part job cuts are not frame numbers');
  const starts = d.starts;
  const time = (t: unknown) => typeof t === 'number' && Number.isFinite(t);
  if (!Array.isArray(starts) || !starts.length || starts.at(-1)!.frame !== 0 ||
    !starts.every((s) => whole(s?.frame) && (s.between === undefined || (Array.isArray(s.between) && s.between.length === 2 && s.between.every(time))))) {
    throw new ToonscopeError(undefined, 'part job starts are malformed (frame numbers with two times each, ending at frame 0)');
  }
  return d;
}
