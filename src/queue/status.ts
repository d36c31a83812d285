// `toonscope queue status URL`: what the queue holds (per state), each job
// with its episode, attempts, worker, progress and one-line error, the
// workers connected, and the state of each run's series job.
import { basename } from 'node:path';
import { loadBull, parseRedisUrl, checkRedis, JOBS_QUEUE, seriesQueue } from './connect.js';
import type { EpisodeJob, PartJob } from './jobs.js';

export interface JobLine {
  id: string;
  run: string;
  kind: string;
  video: string;
  /** An interpolate job's part. */
  part?: number;
  state: string;
  attempts: number;
  worker?: string;
  progress?: string;
  error?: string;
}

export interface QueueStatus {
  counts: Record<string, number>;
  jobs: JobLine[];
  workers: string[];
  runs: Array<{ run: string; series: string }>;
}

const STATES = ['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const;

export async function queueStatus(url: string, limit = 200): Promise<QueueStatus> {
  const target = parseRedisUrl(url);
  await checkRedis(target);
  const bull = await loadBull();
  const q = new bull.Queue(JOBS_QUEUE, { connection: target.options });
  q.on('error', () => undefined);
  try {
    const counts = await q.getJobCounts(...STATES);
    const jobs: JobLine[] = [];
    const runs = new Set<string>();
    for (const state of STATES) {
      for (const j of await q.getJobs([state], 0, limit - 1)) {
        if (!j) continue;
        const d = j.data as EpisodeJob | PartJob;
        if (d.kind !== 'interpolate') runs.add(d.run);
        const p = j.progress as { stage?: string; done?: number; total?: number } | number;
        jobs.push({
          id: j.id ?? '?', run: d.run, kind: j.name, video: basename(String(d.source)), part: d.kind === 'interpolate' ? d.part : undefined, state, attempts: j.attemptsMade,
          worker: j.processedBy ?? (typeof p === 'object' ? (p as { worker?: string }).worker : undefined),
          progress: typeof p === 'object' && p.stage && state === 'active' ? `${p.stage} ${p.done ?? 0}/${p.total ?? '?'}` : undefined,
          error: j.failedReason ? j.failedReason.split('\n')[0] : undefined,
        });
      }
    }
    // bullmq names a worker's connection bull:<queue>:w:<worker name>.
    const workers = (await q.getWorkers()).map((w) => String(w.rawname ?? '').split(':w:')[1] ?? String(w.addr ?? '?'));
    const runStates = [];
    for (const run of runs) {
      const sq = new bull.Queue(seriesQueue(run), { connection: target.options });
      sq.on('error', () => undefined);
      runStates.push({ run, series: await sq.getJobState(`${run}-series`) });
      await sq.close();
    }
    return { counts, jobs, workers, runs: runStates };
  } finally {
    await q.close();
  }
}

export function formatStatus(s: QueueStatus): string {
  const lines = [
    `jobs: ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    `workers (${s.workers.length}): ${s.workers.join(', ') || 'none'}`,
    ...s.runs.map((r) => `run ${r.run}: series ${r.series}`),
    ...s.jobs.map((j) => `  ${j.id.padEnd(20)} ${j.kind.padEnd(8)} ${j.state.padEnd(9)} ${j.video}${j.part !== undefined ? ` part ${j.part}` : ''}  attempts ${j.attempts}${j.worker ? `  ${j.worker}` : ''}${j.progress ? `  ${j.progress}` : ''}${j.error ? `  error: ${j.error}` : ''}`),
  ];
  return lines.join('\n');
}
