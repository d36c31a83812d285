// onnxruntime-node, the only file that imports it (on first use: loading it
// costs start-up time a command that runs no net should not pay). Sessions on
// a user's model file (characters/onnx.ts, models/) and on a graph toonscope
// writes itself (the MobileNetV2 backbone, embed/backend.ts) open here.
import { availableParallelism } from 'node:os';
import { ToonscopeError } from './errors.js';
import { decimal } from './decimal.js';

export type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node, loaded on first use. */
export function runtime(): Promise<Ort> {
  return import('onnxruntime-node');
}

/**
 * How many threads the backbone's sessions compute with (a user's own model is given its threads by its caller):
 * TOONSCOPE_ORT_THREADS (a whole number from 1), else every core up to four. Several analyses on one machine (queue
 * workers, other programs) each take that many: set it lower there, as TOONSCOPE_CUT_THREAD=0 turns the GrabCut
 * helper off (docs/scale.md).
 */
export function ortThreads(): number {
  const raw = process.env.TOONSCOPE_ORT_THREADS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = decimal(raw.trim());
    if (!Number.isInteger(n) || n < 1) throw new ToonscopeError(undefined, `TOONSCOPE_ORT_THREADS=${raw}: not a whole number of threads from 1`);
    return n;
  }
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * A session on a model file or on model bytes (throws onnxruntime's own error: callers say which file). `spin`:
 * onnxruntime's default, its threads spin for a while after each run waiting for the next; off where runs come
 * between other work (the backbone between GrabCuts and decoding: spinning burnt some 30 ms of CPU after each run).
 */
export async function session(model: string | Uint8Array, threads = ortThreads(), spin = true): Promise<import('onnxruntime-node').InferenceSession> {
  const ort = await runtime();
  const opts = { intraOpNumThreads: threads, graphOptimizationLevel: 'all' as const, ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }) };
  // Two calls, one per overload: TypeScript picks an overload for a path or for bytes, not for either.
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}
