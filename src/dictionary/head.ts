// The refinement: a small MLP projection head (D -> hidden -> out, ReLU, L2-
// normalised output) trained on CPU with a triplet margin loss on cosine
// distance, d(u, v) = 1 - u.v for unit vectors:
//   L = mean(max(0, d(a, p) - d(a, n) + margin)).
// Runs under tfjs's wasm backend (embed/backend.ts, whose BatchMatMul fix
// makes the transposed products of the gradients fast). Weights serialise to
// JSON so a resumed run reuses a trained head.
import type * as TF from '@tensorflow/tfjs';
import { tf, initBackend } from '../embed/backend.js';
import { gauss, rng } from '../core/random.js';
import type { TripletSet } from './triplets.js';

export interface HeadOptions {
  hidden?: number;
  out?: number;
  /** Triplet margin on cosine distance. Default 0.2. */
  margin?: number;
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  /**
   * Stop once an epoch leaves fewer than this share of triplets violating the
   * margin: the loss's gradient is then (nearly) zero and further epochs only
   * spend time. Default 0.001; 0 trains all `epochs`.
   */
  stopActive?: number;
  /** Called after each epoch with its mean loss and the share of triplets still violating the margin. */
  onEpoch?: (epoch: number, loss: number, active: number, seconds: number) => void;
}

export interface HeadWeights {
  inDim: number;
  hidden: number;
  out: number;
  /** Row-major float32 arrays as base64. */
  w1: string; b1: string; w2: string; b2: string;
}

export interface TrainReport {
  epochs: number;
  triplets: number;
  losses: number[];
  secondsPerEpoch: number;
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function unb64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export class Head {
  constructor(readonly weights: HeadWeights) {}

  /** Project vectors (length inDim) to the refined, L2-normalised space (batched matrix products under tfjs-wasm). */
  async project(vectors: readonly Float32Array[], batch = 1024): Promise<Float32Array[]> {
    await initBackend();
    const { inDim, hidden, out } = this.weights;
    for (const v of vectors) if (v.length !== inDim) throw new Error(`head expects ${inDim}-d vectors, got ${v.length}`);
    const w = tf.tidy(() => [
      tf.tensor2d(unb64(this.weights.w1), [inDim, hidden]), tf.tensor1d(unb64(this.weights.b1)),
      tf.tensor2d(unb64(this.weights.w2), [hidden, out]), tf.tensor1d(unb64(this.weights.b2)),
    ]);
    const res: Float32Array[] = [];
    for (let s = 0; s < vectors.length; s += batch) {
      const part = vectors.slice(s, s + batch);
      const y = tf.tidy(() => forward(tf.tensor2d(concat(part, inDim), [part.length, inDim]), w[0], w[1], w[2], w[3]));
      const data = (await y.data()) as Float32Array;
      y.dispose();
      for (let i = 0; i < part.length; i++) res.push(data.slice(i * out, (i + 1) * out));
    }
    w.forEach((t) => t.dispose());
    return res;
  }

  toJSON(): HeadWeights {
    return this.weights;
  }

  static fromJSON(w: HeadWeights): Head {
    return new Head(w);
  }
}

/** Train a projection head on triplets. Deterministic for a seed (up to float summation order). */
export async function trainHead(set: TripletSet, opts: HeadOptions = {}): Promise<{ head: Head; report: TrainReport }> {
  await initBackend();
  const inDim = set.items[0]?.length ?? 0;
  const hidden = opts.hidden ?? 256, outDim = opts.out ?? 128, margin = opts.margin ?? 0.2;
  const epochs = opts.epochs ?? 20, batch = opts.batch ?? 256;
  const n = set.triplets.length / 3;
  if (!inDim || !n) throw new Error('no triplets to train on (tracks need co-occurring characters)');
  const r = rng(opts.seed ?? 1);
  // He initialisation.
  const init = (rows: number, cols: number) => Float32Array.from({ length: rows * cols }, () => gauss(r) * Math.sqrt(2 / rows));
  const w1 = tf.variable(tf.tensor2d(init(inDim, hidden), [inDim, hidden]));
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = tf.variable(tf.tensor2d(init(hidden, outDim), [hidden, outDim]));
  const b2 = tf.variable(tf.zeros([outDim]));
  const X = tf.tensor2d(concat(set.items, inDim), [set.items.length, inDim]);
  const optimizer = tf.train.adam(opts.learningRate ?? 1e-3);
  const f = (x: TF.Tensor2D) => forward(x, w1, b1, w2, b2);
  const losses: number[] = [];
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    const te = performance.now();
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    // Per-batch losses stay on the backend and are read once per epoch (a read is a sync point).
    const parts: TF.Tensor[] = [];
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      // A batch's triplets share items (a series has few appearances): each distinct item goes through the head once,
      // and the triplets pick their rows with one-hot products (whose gradient is a product too; tfjs-wasm has no
      // kernel for gather's gradient). Same loss and gradients as projecting anchor, positive and negative apart.
      const slot = new Map<number, number>();
      const pick = (item: number) => { let j = slot.get(item); if (j === undefined) slot.set(item, (j = slot.size)); return j; };
      const ia = new Int32Array(m), ip = new Int32Array(m), ineg = new Int32Array(m);
      for (let k = 0; k < m; k++) { const t = order[s + k]; ia[k] = pick(set.triplets[t * 3]); ip[k] = pick(set.triplets[t * 3 + 1]); ineg[k] = pick(set.triplets[t * 3 + 2]); }
      const items = Int32Array.from(slot.keys());
      const res = tf.tidy(() => {
        const x = tf.gather(X, items);
        const one = (i: Int32Array) => tf.oneHot(tf.tensor1d(i, 'int32'), items.length).toFloat() as TF.Tensor2D;
        const ha = one(ia), hp = one(ip), hn = one(ineg);
        let stats: TF.Tensor | undefined;
        optimizer.minimize(() => {
          const fx = f(x);
          const fa = ha.matMul(fx), fp = hp.matMul(fx), fn = hn.matMul(fx);
          const dap = tf.sub(1, fa.mul(fp).sum(1)), dan = tf.sub(1, fa.mul(fn).sum(1));
          const l = tf.relu(dap.sub(dan).add(margin));
          stats = tf.keep(tf.stack([l.sum(), l.greater(0).sum().toFloat()]));
          return l.mean() as TF.Scalar;
        });
        return stats!;
      });
      parts.push(res);
    }
    const totals = tf.tidy(() => tf.addN(parts));
    const [sum, active] = Array.from(await totals.data());
    totals.dispose();
    parts.forEach((t) => t.dispose());
    losses.push(sum / n);
    opts.onEpoch?.(e, sum / n, active / n, (performance.now() - te) / 1000);
    if (active / n < (opts.stopActive ?? 0.001)) break;
  }
  const secondsPerEpoch = (performance.now() - t0) / 1000 / losses.length;
  const weights: HeadWeights = {
    inDim, hidden, out: outDim,
    w1: b64(w1.dataSync() as Float32Array), b1: b64(b1.dataSync() as Float32Array),
    w2: b64(w2.dataSync() as Float32Array), b2: b64(b2.dataSync() as Float32Array),
  };
  for (const t of [w1, b1, w2, b2, X]) t.dispose();
  optimizer.dispose();
  return { head: new Head(weights), report: { epochs: losses.length, triplets: n, losses, secondsPerEpoch } };
}

/** relu(x W1 + b1) W2 + b2, rows L2-normalised. */
function forward(x: TF.Tensor2D, w1: TF.Tensor, b1: TF.Tensor, w2: TF.Tensor, b2: TF.Tensor): TF.Tensor2D {
  const y = tf.relu(x.matMul(w1 as TF.Tensor2D).add(b1)).matMul(w2 as TF.Tensor2D).add(b2);
  return y.div(y.norm('euclidean', 1, true).add(1e-8)) as TF.Tensor2D;
}

function concat(vs: readonly Float32Array[], d: number): Float32Array {
  const out = new Float32Array(vs.length * d);
  vs.forEach((v, i) => out.set(v.subarray(0, d), i * d));
  return out;
}
