// The coordinator side of `analyze --queue` / `shots --queue`: registers the
// episodes in the workspace (in command order, so ids match a local run),
// adds one BullMQ flow per run (a series parent whose children are the
// episodes), writes each finished episode's rows into the workspace as soon
// as it completes, and takes the series job itself when the children are
// done, running the series stages on the workspace it alone writes.
//
// The run id is a digest of the workspace, the command, its parameters and
// the episodes, so re-running the same command after a crash resumes the
// same jobs. If Redis comes back without the run (no persistence), the
// unfinished episodes are queued again: finished ones are already written.
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { probe } from '../core/video.js';
import { ensureSchema as ensureShotsSchema } from '../shots/store.js';
import { loadBull, parseRedisUrl, checkRedis, openRedis, dropResults, JOBS_QUEUE, seriesQueue } from './connect.js';
import { PROTOCOL, type EpisodeJob, type SeriesJob, type AnalyzeParams, type ShotsParams } from './jobs.js';
import { importPayload, imported, wasImported, ensureImportSchema } from './transfer.js';
import type { EpisodeResult } from './worker.js';
import { ATTEMPTS, BACKOFF_MS, LOCK_MS } from './policy.js';
import { adoptSpace } from '../models/identity.js';

/** What every coordinator (episodes, interpolate parts) is told: how workers reach the input, retries, polling, output. */
export interface CoordinatorOptions {
  /** How workers reach a video: default its absolute path (a shared folder); e.g. a URL under `--video-url`. */
  source?: (path: string) => string;
  attempts?: number;
  backoffMs?: number;
  /** Poll interval in ms. */
  pollMs?: number;
  log?: (msg: string) => void;
  progress?: (label: string, total?: number) => Progress;
}

export interface QueueRunOptions<S> extends CoordinatorOptions {
  kind: 'analyze' | 'shots';
  params: AnalyzeParams | ShotsParams;
  /** Make sure the capability's tables exist before rows arrive. */
  schema: (ws: Workspace) => void;
  /** The series stages, run once on the coordinator after the episodes. */
  series: (ws: Workspace) => Promise<S>;
}

export interface EpisodeOutcome {
  video: string;
  videoId: number;
  job: string;
  state: 'done' | 'failed';
  worker?: string;
  seconds?: number;
  summary?: Record<string, unknown>;
  error?: string;
}

export interface QueueRunResult<S> {
  run: string;
  episodes: EpisodeOutcome[];
  series: S;
}

interface Episode {
  path: string;
  videoId: number;
  job: string;
  key: string;
  outcome?: EpisodeOutcome;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runQueued<S>(ws: Workspace, url: string, videos: string[], opts: QueueRunOptions<S>): Promise<QueueRunResult<S>> {
  if (!videos.length) throw new ToonscopeError(undefined, `${opts.kind} --queue needs at least one video file`);
  const target = parseRedisUrl(url);
  await checkRedis(target);
  const bull = await loadBull();
  const log = opts.log ?? (() => undefined);
  // Every per-episode job starts with shots: their tables must be there for the rows to land in.
  ensureShotsSchema(ws);
  opts.schema(ws);
  ensureImportSchema(ws);
  // Register in command order: a local run would give the same ids (and so the same track ids).
  const episodes: Episode[] = [];
  for (const v of videos) {
    const info = probe(v);
    const row = ws.addVideo(info);
    episodes.push({ path: row.path, videoId: row.id, job: '', key: '' });
  }
  const fingerprints = episodes.map((e) => `${e.videoId}:${ws.video(e.videoId)!.fingerprint}`).join(',');
  const run = createHash('sha1').update(JSON.stringify([PROTOCOL, ws.dir, opts.kind, opts.params, fingerprints])).digest('hex').slice(0, 12);
  for (const e of episodes) {
    e.job = `${run}-v${e.videoId}`;
    // An episode written by any earlier run with the same file and parameters is not queued again.
    e.key = createHash('sha1').update(JSON.stringify([PROTOCOL, opts.kind, opts.params, ws.video(e.videoId)!.fingerprint])).digest('hex').slice(0, 16);
  }
  const parentId = `${run}-series`;
  const connection = target.options;
  const jobsQueue = new bull.Queue(JOBS_QUEUE, { connection });
  const parentQueue = new bull.Queue(seriesQueue(run), { connection });
  const flows = new bull.FlowProducer({ connection });
  const redis = await openRedis(target);
  jobsQueue.on('error', () => undefined);
  parentQueue.on('error', () => undefined);
  flows.on('error', () => undefined);
  const attempts = opts.attempts ?? ATTEMPTS;

  const done = () => episodes.filter((e) => e.outcome).length;
  const isImported = () => {
    const have = imported(ws);
    return (e: Episode) => have.has(e.key);
  };

  /** Add the run's flow with the episodes not yet written (all of them on a first run). */
  const addFlow = async () => {
    const written = isImported();
    const children = episodes.filter((e) => !written(e) && !e.outcome).map((e) => ({
      name: opts.kind,
      queueName: JOBS_QUEUE,
      data: { v: PROTOCOL, kind: opts.kind, run, videoId: e.videoId, source: (opts.source ?? ((p: string) => p))(e.path), params: opts.params } satisfies EpisodeJob,
      opts: { jobId: e.job, attempts, backoff: { type: 'exponential', delay: opts.backoffMs ?? BACKOFF_MS }, ignoreDependencyOnFailure: true, removeOnComplete: false, removeOnFail: false },
    }));
    for (const e of episodes) if (written(e) && !e.outcome) e.outcome = { video: e.path, videoId: e.videoId, job: e.job, state: 'done', summary: { reused: true } };
    await flows.add({
      name: 'series',
      queueName: seriesQueue(run),
      data: { v: PROTOCOL, kind: 'series', run, episodes: episodes.length } satisfies SeriesJob,
      opts: { jobId: parentId },
      children,
    });
    return children.length;
  };

  const prior = await parentQueue.getJobState(parentId);
  if (prior === 'completed' || prior === 'failed') await parentQueue.remove(parentId, { removeChildren: true });
  if (prior === 'unknown' || prior === 'completed' || prior === 'failed') {
    const n = await addFlow();
    log(`queue: run ${run}: ${n} of ${episodes.length} episode(s) queued on ${target.shown}`);
  } else log(`queue: run ${run} is already queued (${prior}): resuming`);

  /** Write a completed episode into the workspace (once per job execution). */
  const collect = async (e: Episode): Promise<void> => {
    const state = await jobsQueue.getJobState(e.job);
    if (state === 'completed') {
      const job = await bull.Job.fromId<EpisodeJob, EpisodeResult>(jobsQueue, e.job);
      if (!job?.returnvalue) return;
      const r = job.returnvalue;
      const jobKey = `${e.job}@${job.timestamp}`;
      let note = ' (already written)';
      if (!wasImported(ws, jobKey)) {
        const packed = await redis.get(r.rows);
        if (packed === null) {
          e.outcome = { video: e.path, videoId: e.videoId, job: e.job, state: 'failed', error: `its rows are no longer in Redis (${r.rows} expired?); run the command again` };
          log(`queue: ${basename(e.path)}: ${e.outcome.error}`);
          return;
        }
        const space = r.summary.identity as string | undefined;
        try {
          // Rows embedded in another identity space than the workspace's would mix spaces in one series.
          if (space) adoptSpace(ws, space);
        } catch (err) {
          if (!(err instanceof ToonscopeError)) throw err;
          e.outcome = { video: e.path, videoId: e.videoId, job: e.job, state: 'failed', error: err.problem };
          log(`queue: ${basename(e.path)}: ${err.problem}`);
          await dropResults(redis, e.job, r.rows);
          return;
        }
        note = `, ${importPayload(ws, jobKey, e.key, packed).rows} rows written`;
        // Written: the copy in Redis is no longer needed (Redis memory stays at the episodes in flight).
        await dropResults(redis, e.job, r.rows);
      }
      e.outcome = { video: e.path, videoId: e.videoId, job: e.job, state: 'done', worker: r.worker, seconds: r.seconds, summary: r.summary };
      log(`queue: ${basename(e.path)} done by ${r.worker} in ${r.seconds} s${note}`);
    } else if (state === 'failed') {
      const job = await bull.Job.fromId(jobsQueue, e.job);
      e.outcome = { video: e.path, videoId: e.videoId, job: e.job, state: 'failed', error: firstLine(job?.failedReason) };
      log(`queue: ${basename(e.path)} failed after ${job?.attemptsMade ?? '?'} attempt(s): ${e.outcome.error}`);
    }
  };

  // The poll loop and the series job both collect: one sweep at a time, so an episode is reported once.
  let sweeping: Promise<void> | undefined;
  const sweep = () => (sweeping ??= (async () => {
    try {
      for (const e of episodes) if (!e.outcome) await collect(e);
    } finally {
      sweeping = undefined;
    }
  })());

  let seriesResult: S | undefined;
  let seriesError: string | undefined;
  // The series job, taken only here. A long lock: the series stages may keep the event loop busy for a while. If this
  // coordinator dies during them, the same command run again takes the job back once the lock has run out.
  const seriesWorker = new bull.Worker(seriesQueue(run), async (job) => {
    // A sweep already under way may have looked at the last episode before it finished: sweep again.
    for (let i = 0; i < 3 && episodes.some((e) => !e.outcome); i++) await sweep();
    const missing = episodes.filter((e) => !e.outcome);
    if (missing.length) throw new Error(`episodes without a result: ${missing.map((e) => basename(e.path)).join(', ')}`);
    log(`queue: series stages on ${episodes.filter((e) => e.outcome?.state === 'done').length} of ${episodes.length} episode(s)`);
    seriesResult = await opts.series(ws);
    await job.updateProgress({ worker: 'coordinator', stage: 'series', done: 1, total: 1 });
    return { episodes: episodes.length, failed: episodes.filter((e) => e.outcome?.state === 'failed').length };
  }, { connection, concurrency: 1, lockDuration: Math.max(LOCK_MS, 600_000), maxStalledCount: 1 });
  seriesWorker.on('error', () => undefined);
  seriesWorker.on('failed', (_j, err) => (seriesError = err.message));

  const overall = opts.progress?.(`${opts.kind} episodes`, episodes.length);
  const show = new Map<string, string>();
  let offline = false;
  try {
    for (;;) {
      try {
        await sweep();
        overall?.set(done(), episodes.length);
        await showWorkers(jobsQueue, run, show, log);
        const state = await parentQueue.getJobState(parentId);
        if (offline) log('queue: Redis is back');
        offline = false;
        if (state === 'completed' && seriesResult !== undefined) break;
        if (state === 'failed' || seriesError) throw new ToonscopeError(undefined, `series stages failed: ${seriesError ?? 'see queue status'}`);
        if (state === 'unknown') {
          const n = await addFlow();
          log(`queue: Redis came back without run ${run} (no persistence?): ${n} unfinished episode(s) queued again; finished ones are in the workspace`);
        }
      } catch (e) {
        if (e instanceof ToonscopeError) throw e;
        if (!offline) log(`queue: lost Redis (${(e as Error).message}); waiting for it to come back`);
        offline = true;
      }
      await sleep(opts.pollMs ?? 500);
    }
  } finally {
    overall?.done();
    await seriesWorker.close(true);
    await Promise.all([jobsQueue.close(), parentQueue.close(), flows.close()]);
    redis.disconnect();
  }
  return { run, episodes: episodes.map((e) => e.outcome!), series: seriesResult as S };
}

export const firstLine = (s: string | undefined) => (s ?? 'unknown error').split('\n')[0].slice(0, 300);

/** One line per worker whose job moved on (per-worker progress on the coordinator). */
export async function showWorkers(q: { getJobs(types: ['active'], start: number, end: number): Promise<Array<{ data: unknown; progress: unknown }>> }, run: string, shown: Map<string, string>, log: (m: string) => void): Promise<void> {
  const active = await q.getJobs(['active'], 0, 200);
  for (const j of active) {
    const d = j.data as EpisodeJob;
    if (d?.run !== run) continue;
    const p = j.progress as { worker?: string; stage?: string; done?: number; total?: number } | number;
    if (typeof p !== 'object' || !p.worker) continue;
    const pct = p.total ? Math.floor((10 * (p.done ?? 0)) / p.total) * 10 : 0;
    // An interpolate job's stage names its part.
    const line = `${basename(resolve(d.source))} ${p.stage} ${pct}%`;
    if (shown.get(p.worker) === line) continue;
    shown.set(p.worker, line);
    log(`  ${p.worker}: ${line}`);
  }
}
