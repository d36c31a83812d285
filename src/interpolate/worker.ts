// Worker thread entry for the interpolator pool (pool.ts): one in-between
// synthesis, or one ease speed measurement, per message. Errors travel back as data: a ToonscopeError stays one.
import { parentPort } from 'node:worker_threads';
import { ToonscopeError } from '../core/errors.js';
import type { Image } from '../core/types.js';
import { interpolateMany, type InterpolateOptions } from './interp.js';
import { motionSpeed } from './timing.js';

/** In-betweens of a pair at times `ts`, or (`speed`) the motion speed from `a` to `c` (timing.ts). */
export type Job = { id: number; a: Image; c: Image; ts: number[]; opts: InterpolateOptions } | { id: number; speed: true; a: Image; c: Image };

export type Reply = { id: number; frames: Image[] } | { id: number; speed: number } | { id: number; error: { file?: string; problem?: string; message: string } };

parentPort?.on('message', async (job: Job) => {
  try {
    if ('speed' in job) {
      parentPort!.postMessage({ id: job.id, speed: await motionSpeed(job.a, job.c) } satisfies Reply);
      return;
    }
    const frames = await interpolateMany(job.a, job.c, job.ts, job.opts);
    // The in-betweens are this thread's no more: their memory moves to the main thread instead of being copied
    // (only buffers that hold nothing else; a view into a shared or pooled buffer is copied).
    const own = new Set<ArrayBuffer>();
    for (const { data: d } of frames) if (d.buffer instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) own.add(d.buffer);
    parentPort!.postMessage({ id: job.id, frames } satisfies Reply, [...own]);
  } catch (e) {
    const error = e instanceof ToonscopeError ? { file: e.file, problem: e.problem, message: e.message } : { message: (e as Error).stack ?? String(e) };
    parentPort!.postMessage({ id: job.id, error } satisfies Reply);
  }
});
