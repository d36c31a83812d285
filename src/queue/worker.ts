// `toonscope worker --queue URL`: takes per-episode jobs from Redis and runs
// them with the same library code as the local commands, each in a
// temporary workspace of its own (the coordinator is the only writer of the
// real one). Progress goes to the job (the coordinator and `queue status`
// show it) and to this process's stderr. SIGTERM lets the running job finish
// and then exits; a second SIGTERM (or kill -9) leaves the job to BullMQ's
// stalled-job recovery, which hands it to another worker.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { analyzeVideo } from '../analyze/pipeline.js';
import { detectShots } from '../shots/detect.js';
import { randomUUID } from 'node:crypto';
import { loadBull, parseRedisUrl, checkRedis, openRedis, rowsKey, storeResult, JOBS_QUEUE } from './connect.js';
import { Roots, WorkerError, isFinal, checkJob, fetchSource, type EpisodeJob, type PartJob, type AnalyzeParams, type ShotsParams } from './jobs.js';
import { interpolatePart } from '../interpolate/video.js';
import { PartsWriter } from '../interpolate/parts.js';
import { pack, seatVideo } from './transfer.js';
import { LOCK_MS, STALLED_MS } from './policy.js';

export interface WorkerOptions {
  allow: string[];
  name?: string;
  /** Jobs at once (default 1: one job already uses both cores of a small machine). */
  concurrency?: number;
  /** Lock time in ms: a killed worker's job goes back to the queue after about this long. */
  lockMs?: number;
  log?: (msg: string) => void;
  progress?: (label: string, total?: number) => Progress;
}

export interface RunningWorker {
  name: string;
  /** Stop taking jobs; without force the running job finishes first, with force its lock is dropped and it goes back to the queue. */
  stop(force?: boolean): Promise<void>;
  finished: Promise<{ jobs: number; failed: number }>;
}

export interface EpisodeResult {
  /** Redis key of the packed rows (transfer.ts). */
  rows: string;
  bytes: number;
  worker: string;
  seconds: number;
  summary: Record<string, unknown>;
}

type Report = (p: { stage: string; done: number; total: number }) => void;

/**
 * Run one part of an `interpolate --queue` run in a temporary folder (video.ts interpolatePart, the same settings the
 * coordinator opened its parts with); returns the encoded part and its stats.
 */
export async function runPart(data: PartJob, roots: Roots, report: Report): Promise<{ video: Buffer; frames: number; eased: number; start: number; seconds: number }> {
  const source = roots.check(data.source);
  const p = data.params;
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-part-'));
  const t0 = performance.now();
  // A learned synthesiser is loaded by name from this machine's installed models (toonscope models pull), never from the job.
  const { installedInterpolator } = await import('../models/interpolator.js');
  const learned = p.learned ? await installedInterpolator(p.learned.replace(/^model:/, '')) : undefined;
  try {
    if (p.learned && learned?.name !== p.learned) throw new WorkerError(data.source, `part ${data.part} needs the interpolator ${p.learned}, which this worker has not installed (toonscope models pull)`);
    const file = await fetchSource(source, dir);
    // Part times and cuts come from the coordinator's decode of its file: another file here would give a shifted part.
    if (statSync(file).size !== p.size) throw new WorkerError(data.source, `is ${statSync(file).size} bytes on this worker but ${p.size} on the coordinator: not the same file`);
    const out = join(dir, 'part.mp4');
    let done = 0;
    const stage = `part ${data.part}`;
    report({ stage, done, total: p.partFrames });
    const r = await interpolatePart(file, out, {
      factor: p.factor, crf: p.crf, partFrames: p.partFrames, interp: p.work ? { workSize: p.work } : undefined, ease: p.ease, learned,
      part: data.part, cuts: new Set(p.cuts), starts: data.starts, encoderThreads: p.encoderThreads,
      progress: { tick: () => report({ stage, done: ++done, total: p.partFrames }), set: () => undefined, done: () => undefined },
    });
    const video = readFileSync(PartsWriter.fileIn(out, data.part));
    return { video, frames: r.frames, eased: r.eased, start: r.start, seconds: +((performance.now() - t0) / 1000).toFixed(2) };
  } finally {
    await learned?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run one episode job in a temporary workspace; returns its packed rows. */
export async function runEpisode(data: EpisodeJob, roots: Roots, report: Report): Promise<{ packed: string; seconds: number; summary: Record<string, unknown> }> {
  const source = roots.check(data.source);
  if (data.kind === 'analyze') roots.checkChain((data.params as AnalyzeParams).chain);
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-job-'));
  const t0 = performance.now();
  let ws: Workspace | undefined;
  try {
    const file = await fetchSource(source, dir);
    ws = Workspace.open(join(dir, 'workspace'));
    seatVideo(ws, data.videoId);
    const bar = (stage: string, total = 0): Progress => {
      let done = 0;
      report({ stage, done, total });
      return {
        tick: (n = 1) => report({ stage, done: (done += n), total }),
        set: (d, t) => report({ stage, done: (done = d), total: (total = t ?? total) }),
        done: () => report({ stage, done: total || done, total }),
      };
    };
    let summary: Record<string, unknown>;
    let videoId: number;
    if (data.kind === 'analyze') {
      const p = data.params as AnalyzeParams;
      // No frames kept: the series stages (the learned pass, which would look at them again) run on the coordinator.
      const s = await analyzeVideo(ws, file, { keepFrames: false, chain: p.chain, models: p.models, rate: p.rate, width: p.width, every: p.every, watch: p.watch, progress: (label, total) => bar(label.split(' ')[0], total) });
      videoId = s.videoId;
      // The identity space this worker embedded in: the coordinator refuses to mix spaces in one workspace.
      summary = { shots: s.shots, samples: s.samples, appearances: s.appearances, tracks: s.tracks, identity: s.models.identity };
    } else {
      const p = data.params as ShotsParams;
      const b = bar('shots');
      const r = await detectShots(file, { workspace: ws, detector: p.detector, width: p.width, crop: p.crop, onProgress: (d, t) => b.set(d, t) });
      videoId = ws.addVideo(r.video).id;
      summary = { shots: r.shots.length, frames: r.frames, warnings: r.warnings.slice(0, 3) };
    }
    if (videoId !== data.videoId) throw new Error(`worker workspace gave video id ${videoId}, job wants ${data.videoId}`);
    return { packed: pack(ws, videoId), seconds: +((performance.now() - t0) / 1000).toFixed(2), summary };
  } finally {
    ws?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startWorker(url: string, opts: WorkerOptions): Promise<RunningWorker> {
  const roots = new Roots(opts.allow);
  if (roots.empty) throw new ToonscopeError(undefined, 'worker needs at least one --allow DIR (or --allow https://host/prefix/): jobs may only name files inside them');
  const target = parseRedisUrl(url);
  await checkRedis(target);
  const { Worker, UnrecoverableError } = await loadBull();
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const log = opts.log ?? (() => undefined);
  let jobs = 0, failed = 0;
  const lockMs = opts.lockMs ?? LOCK_MS;
  // As many jobs at once as cores: each already has a core, GrabCut's helper thread (cut.ts) would get none.
  if ((opts.concurrency ?? 1) >= availableParallelism() && !(process.env.TOONSCOPE_CUT_THREAD ?? '').trim()) process.env.TOONSCOPE_CUT_THREAD = '0';
  const redis = await openRedis(target);
  const worker = new Worker(JOBS_QUEUE, async (job) => {
    let data: EpisodeJob | PartJob;
    try {
      data = checkJob(job.data);
    } catch (e) {
      throw new UnrecoverableError((e as Error).message);
    }
    const label = `${job.id} ${basename(data.source)}${data.kind === 'interpolate' ? ` part ${data.part}` : ''} (attempt ${job.attemptsMade + 1})`;
    log(`${name}: ${data.kind} ${label}`);
    let lastStage = '';
    let bar: Progress | undefined;
    let lastSent = 0;
    const report = (p: { stage: string; done: number; total: number }) => {
      if (p.stage !== lastStage) {
        bar?.done();
        bar = opts.progress?.(`${basename(data.source)} ${p.stage}`, p.total);
        lastStage = p.stage;
      }
      bar?.set(p.done, p.total);
      const now = Date.now();
      // At most a few progress writes a second: Redis round trips are not free.
      if (now - lastSent > 300 || p.done === p.total) {
        lastSent = now;
        job.updateProgress({ worker: name, ...p }).catch(() => undefined);
      }
    };
    try {
      // Each completion stores its result under a key of its own: a retried job's second result cannot overwrite or double the first.
      const key = rowsKey(job.id ?? '?', randomUUID());
      if (data.kind === 'interpolate') {
        const r = await runPart(data, roots, report);
        bar?.done();
        await storeResult(redis, job.id ?? '?', key, r.video);
        log(`${name}: done ${job.id} in ${r.seconds} s (${(r.video.length / 1e6).toFixed(2)} MB of video)`);
        return { rows: key, bytes: r.video.length, seconds: r.seconds, summary: { frames: r.frames, eased: r.eased, start: r.start }, worker: name } satisfies EpisodeResult;
      }
      const r = await runEpisode(data, roots, report);
      bar?.done();
      await storeResult(redis, job.id ?? '?', key, r.packed);
      log(`${name}: done ${job.id} in ${r.seconds} s (${(r.packed.length / 1e6).toFixed(2)} MB of rows)`);
      return { rows: key, bytes: r.packed.length, seconds: r.seconds, summary: r.summary, worker: name } satisfies EpisodeResult;
    } catch (e) {
      bar?.done();
      // A failure of the job itself (path outside --allow, a file that does not decode) fails the same way on every
      // worker: no retry. One of this machine (the folder not mounted, a full disk) is retried (jobs.ts isFinal).
      if (isFinal(e)) throw new UnrecoverableError((e as Error).message);
      throw e;
    }
  }, {
    connection: target.options,
    name,
    concurrency: opts.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: Math.min(STALLED_MS, lockMs),
    // A job is handed back after a crash as often as it may be attempted.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('completed', () => void jobs++);
  worker.on('failed', (job, err) => {
    failed++;
    log(`${name}: job ${job?.id} failed: ${err.message}`);
  });
  worker.on('error', (e) => log(`${name}: redis: ${e.message}`));
  const running = worker.run();
  log(`${name}: waiting for jobs on ${target.shown} (allowed: ${opts.allow.join(', ')})`);
  const stop = async (force = false) => {
    log(force ? `${name}: stopping now; the running job goes back to the queue` : `${name}: stopping after the running job (signal again to stop now)`);
    await worker.close(force);
  };
  const finished = running.then(async () => {
    await worker.close();
    redis.disconnect();
    return { jobs, failed };
  });
  return { name, stop, finished };
}
