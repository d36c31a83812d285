// onnxruntime-node, the only file that imports it (on first use: loading it
// costs start-up time a command that runs no net should not pay). Sessions on
// a user's model file (characters/onnx.ts, models/) and on a graph toonscope
// writes itself (the MobileNetV2 backbone, embed/backend.ts) open here.
import { availableParallelism } from 'node:os';

export type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node, loaded on first use. */
export function runtime(): Promise<Ort> {
  return import('onnxruntime-node');
}

/** How many threads a session computes with: every core, up to four (more gain little on a small net). */
export function ortThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** A session on a model file or on model bytes (throws onnxruntime's own error: callers say which file). */
export async function session(model: string | Uint8Array, threads = ortThreads()): Promise<import('onnxruntime-node').InferenceSession> {
  const ort = await runtime();
  // No spinning: by default onnxruntime's threads spin for a while after each run, waiting for the next, and burn
  // some 30 ms of CPU each time (measured); between runs toonscope's other work (GrabCut, decoding) needs those cores.
  const opts = { intraOpNumThreads: threads, graphOptimizationLevel: 'all' as const, extra: { session: { intra_op: { allow_spinning: '0' } } } };
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}
