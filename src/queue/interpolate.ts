// The coordinator side of `interpolate --queue`: opens the output's parts
// exactly as a local run does (same settings, same OUT.parts/ folder, so a
// queued run and a local one resume each other's parts), finds the cuts with
// the shots detector, queues one job per unfinished part, drops each part a
// worker sends back into OUT.parts/ (once: a part already there is not
// written again), and joins the parts with the sound and subtitles when all
// are there, as a local run does.
//
// Job ids are a digest of the output and the parts' settings plus the part
// number: the same command run again after a crash finds its jobs. If Redis
// comes back empty, the parts not yet in OUT.parts/ are queued again.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { openVideo, partStarts, shotCuts, type VideoOptions } from '../interpolate/video.js';
import { outputsBefore } from '../interpolate/rate.js';
import type { AudioResult, SubtitleFate } from '../interpolate/parts.js';
import { loadBull, parseRedisUrl, checkRedis, openRedis, dropResults, JOBS_QUEUE } from './connect.js';
import { PROTOCOL, type PartJob, type InterpolateParams } from './jobs.js';
import type { EpisodeResult } from './worker.js';
import { ATTEMPTS, BACKOFF_MS } from './policy.js';
import { firstLine, showWorkers, type CoordinatorOptions } from './coordinator.js';

export interface QueuedInterpolateOptions extends Omit<VideoOptions, 'progress'>, CoordinatorOptions {
  /** Frames a part's worker decodes before the part to learn the drawing on screen (video.ts partStarts). */
  warmup?: number;
}

export interface PartOutcome {
  part: number;
  state: 'done' | 'failed';
  /** 'earlier run': the part was in OUT.parts/ already. */
  worker?: string;
  seconds?: number;
  /** The frame the worker started decoding from (the part's first frame minus its warm-up, or earlier after a long hold). */
  start?: number;
  error?: string;
}

export interface QueuedInterpolateReport {
  run: string;
  input: number;
  output: number;
  fps: string;
  eased: number;
  audio: AudioResult;
  subtitles: SubtitleFate[];
  parts: PartOutcome[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** x264's automatic thread count on this machine (1.5 per core): the parts a local run writes here are encoded with it. */
export const x264Threads = () => Math.floor((availableParallelism() * 3) / 2);

export async function runQueuedInterpolate(input: string, output: string, url: string, opts: QueuedInterpolateOptions): Promise<QueuedInterpolateReport> {
  const target = parseRedisUrl(url);
  await checkRedis(target);
  const bull = await loadBull();
  const log = opts.log ?? (() => undefined);
  const setup = openVideo(input, output, { ...opts, progress: undefined });
  const { parts } = setup;
  const connection = target.options;
  const jobsQueue = new bull.Queue(JOBS_QUEUE, { connection });
  jobsQueue.on('error', () => undefined);
  const redis = await openRedis(target);
  try {
    // Given cuts (the library option) still need the frame times the parts seek by.
    const found = await shotCuts(input, setup.rate, parts, true);
    const times = found.times!;
    const cuts = opts.cuts ? [...opts.cuts].sort((a, b) => a - b) : found.cuts;
    const frames = times.length;
    const count = parts.count(frames);
    const job = parts.job;
    const params: InterpolateParams = {
      factor: job.ratio, crf: job.crf, partFrames: job.partFrames, work: opts.interp?.workSize, ease: opts.ease !== false,
      learned: opts.learned?.name, encoderThreads: x264Threads(), cuts, size: job.size,
    };
    const run = createHash('sha1').update(JSON.stringify([PROTOCOL, 'interpolate', resolve(output), job, params])).digest('hex').slice(0, 12);
    const source = (opts.source ?? ((p: string) => p))(resolve(input));
    const jobId = (k: number) => `${run}-p${k}`;
    const outcomes = new Map<number, PartOutcome>();
    for (let k = 0; k < count; k++) if (parts.hasPart(k)) outcomes.set(k, { part: k, state: 'done', worker: 'earlier run' });
    const add = async (ks: number[]) => {
      await jobsQueue.addBulk(ks.map((k) => ({
        name: 'interpolate',
        data: { v: PROTOCOL, kind: 'interpolate', run, source, part: k, starts: partStarts(k, job.partFrames, times, opts.warmup), params } satisfies PartJob,
        opts: { jobId: jobId(k), attempts: opts.attempts ?? ATTEMPTS, backoff: { type: 'exponential', delay: opts.backoffMs ?? BACKOFF_MS }, removeOnComplete: false, removeOnFail: false },
      })));
    };
    /**
     * Queue every part not yet in OUT.parts/ that Redis does not hold (all on a first run; again after Redis lost them);
     * at the start also the parts that failed in an earlier run: the command was run again on purpose.
     */
    const queueMissing = async (retryFailed: boolean) => {
      const missing: number[] = [];
      for (let k = 0; k < count; k++) {
        if (outcomes.has(k)) continue;
        const state = await jobsQueue.getJobState(jobId(k));
        if (state === 'failed' && !retryFailed) continue;
        if (state === 'failed') await jobsQueue.remove(jobId(k));
        if (state === 'unknown' || state === 'failed') missing.push(k);
      }
      if (missing.length) await add(missing);
      return missing.length;
    };
    const n = await queueMissing(true);
    log(`queue: run ${run}: ${n} of ${count} part(s) of ${basename(input)} queued on ${target.shown}${count - outcomes.size - n ? ` (${count - outcomes.size - n} already queued)` : ''}`);

    /** Drop a completed part into OUT.parts/ (once), or note its failure. */
    const collect = async (k: number): Promise<void> => {
      const state = await jobsQueue.getJobState(jobId(k));
      if (state === 'completed') {
        const j = await bull.Job.fromId<PartJob, EpisodeResult>(jobsQueue, jobId(k));
        const r = j?.returnvalue;
        if (!r) return;
        if (!parts.hasPart(k)) {
          const video = await redis.getBuffer(r.rows);
          if (video === null) {
            // Its file is gone (expired, or Redis lost it): make the part again rather than fail the run.
            log(`queue: part ${k}: its file is no longer in Redis; queued again`);
            await jobsQueue.remove(jobId(k));
            await add([k]);
            return;
          }
          parts.put(k, video, { frames: Number(r.summary.frames), eased: Number(r.summary.eased) });
        }
        // In OUT.parts/: the copy in Redis is no longer needed.
        await dropResults(redis, jobId(k), r.rows);
        outcomes.set(k, { part: k, state: 'done', worker: r.worker, seconds: r.seconds, start: Number(r.summary.start) });
        log(`queue: part ${k} done by ${r.worker} in ${r.seconds} s`);
      } else if (state === 'failed') {
        const j = await bull.Job.fromId(jobsQueue, jobId(k));
        outcomes.set(k, { part: k, state: 'failed', error: firstLine(j?.failedReason) });
        log(`queue: part ${k} failed after ${j?.attemptsMade ?? '?'} attempt(s): ${firstLine(j?.failedReason)}`);
      }
    };

    const overall = opts.progress?.(`interpolate parts of ${basename(input)}`, count);
    const show = new Map<string, string>();
    let offline = false;
    try {
      while (outcomes.size < count) {
        try {
          for (let k = 0; k < count; k++) if (!outcomes.has(k)) await collect(k);
          overall?.set(outcomes.size, count);
          await showWorkers(jobsQueue, run, show, log);
          if (offline) log('queue: Redis is back');
          offline = false;
          const again = await queueMissing(false);
          if (again) log(`queue: Redis came back without ${again} part job(s) (no persistence?): queued again; finished parts are in ${output}.parts/`);
        } catch (e) {
          if (e instanceof ToonscopeError) throw e;
          if (!offline) log(`queue: lost Redis (${(e as Error).message}); waiting for it to come back`);
          offline = true;
        }
        if (outcomes.size < count) await sleep(opts.pollMs ?? 500);
      }
    } finally {
      overall?.done();
    }
    const all = [...outcomes.values()].sort((a, b) => a.part - b.part);
    const failed = all.filter((o) => o.state === 'failed');
    if (failed.length) {
      throw new ToonscopeError(output, `${failed.length} of ${count} part(s) failed (part ${failed[0].part}: ${failed[0].error}); ` +
        `finished parts are kept in ${output}.parts/: run the same command again (toonscope queue status ${target.shown})`);
    }
    const expected = outputsBefore(job.ratio, frames);
    const joined = await parts.finish(expected);
    return { run, input: frames, output: expected, fps: setup.fps, eased: joined.eased, audio: joined.audio, subtitles: joined.subtitles, parts: all };
  } catch (e) {
    await parts.abort();
    throw e;
  } finally {
    await jobsQueue.close();
    redis.disconnect();
  }
}
