// Worker thread entry for the interpolator pool (pool.ts): one in-between
// synthesis per message. Errors travel back as data: a ToonscopeError stays one.
import { parentPort } from 'node:worker_threads';
import { ToonscopeError } from '../core/errors.js';
import type { Image } from '../core/types.js';
import { interpolateMany, type InterpolateOptions } from './interp.js';

export interface Job {
  id: number;
  a: Image;
  c: Image;
  ts: number[];
  opts: InterpolateOptions;
}

export type Reply = { id: number; frames: Image[] } | { id: number; error: { file?: string; problem?: string; message: string } };

parentPort?.on('message', async (job: Job) => {
  try {
    const frames = await interpolateMany(job.a, job.c, job.ts, job.opts);
    parentPort!.postMessage({ id: job.id, frames } satisfies Reply);
  } catch (e) {
    const error = e instanceof ToonscopeError ? { file: e.file, problem: e.problem, message: e.message } : { message: (e as Error).stack ?? String(e) };
    parentPort!.postMessage({ id: job.id, error } satisfies Reply);
  }
});
