// In-betweens on several cores. Synthesis is single-threaded JavaScript and
// WebAssembly, so video mode hands motion pairs to worker threads (worker.ts):
// on 2 cores, 2 workers raise throughput about 1.7x. Results are the same
// as on the main thread; the caller keeps them in order.
import { Worker } from 'node:worker_threads';
import { availableParallelism, totalmem } from 'node:os';
import { ToonscopeError } from '../core/errors.js';
import type { Image } from '../core/types.js';
import type { InterpolateOptions } from './interp.js';
import { KERNEL_ANY_PIXELS } from './kernel.js';
import type { Job, Reply } from './worker.js';

/**
 * Memory one in-between synthesis of a width x height pair needs, in bytes. Measured
 * (`--between` of the drawn disc scene, max RSS, 2026-12-02): 1080p 0.50 GB, 4K 1.25 GB, 8K 4.29 GB;
 * about 0.25 GB plus 125 bytes per pixel. With the WebAssembly kernels (kernel.ts; some kernel path runs for frames up
 * to KERNEL_ANY_PIXELS, about 14 million pixels), whose memory only grows, 2026-12-03: 1080p 0.57 GB, 4K 1.69 GB: 180
 * bytes per pixel.
 */
export function pairMemory(width: number, height: number): number {
  const n = width * height;
  return 0.25e9 + (n <= KERNEL_ANY_PIXELS ? 180 : 125) * n;
}

/**
 * Worker threads to use by default: one per core, at most 8, and no more than
 * fit in 70 % of the machine's memory at this frame size (8K on 16 GB: 2).
 * Frames too large for even one is a one-line error naming the size.
 */
export function defaultThreads(width: number, height: number, cores = availableParallelism(), memory = machineMemory()): number {
  checkFits(width, height, undefined, memory);
  return Math.max(1, Math.min(8, cores, Math.floor((0.7 * memory) / pairMemory(width, height))));
}

/** Memory this process may use: the machine's, or a container's (cgroup) limit when lower. */
function machineMemory(): number {
  return Math.min(totalmem(), process.constrainedMemory?.() || Infinity);
}

/** A one-line error (naming `file`) when one in-between of this size would not fit in 90 % of the memory. */
export function checkFits(width: number, height: number, file?: string, memory = machineMemory()): void {
  const need = pairMemory(width, height);
  const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
  if (need > 0.9 * memory) {
    throw new ToonscopeError(file, `frames of ${width}x${height} need about ${gb(need)} to interpolate and this machine has ${gb(memory)}; scale them down first`);
  }
}

/** Shared copies of frames handed to the workers, by the frame's own pixels (they go with the frame). */
const copies = new WeakMap<Uint8Array, Uint8Array>();

/**
 * The frame with its pixels in shared memory, copied once per frame: a video frame goes to the workers up to four
 * times (as either end of two pairs, and for two ease speeds), and a message would copy it twice each time (out of
 * this thread and into the worker). The workers only read their inputs.
 */
function shared(img: Image): Image {
  if (img.data.buffer instanceof SharedArrayBuffer) return img;
  let d = copies.get(img.data);
  if (!d) {
    d = new Uint8Array(new SharedArrayBuffer(img.data.byteLength));
    d.set(img.data);
    copies.set(img.data, d);
  }
  return { ...img, data: d };
}

interface Task {
  job: Job;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

export class InterpolatorPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly waiting: Task[] = [];
  private started = 0;
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new ToonscopeError(undefined, `threads must be a positive integer, got ${size}`);
  }

  /**
   * Start every worker now rather than at its first pair: a worker's start (loading its modules) then overlaps what
   * the caller does before the first pair (the shot detection), and the second pair does not wait for a thread.
   */
  start(): this {
    while (!this.closed && this.started < this.size) this.idle.push(this.spawn());
    return this;
  }

  /** The frames at times `ts` between `a` and `c`, as `interpolateMany` gives them. */
  async interpolate(a: Image, c: Image, ts: number[], opts: InterpolateOptions = {}): Promise<Image[]> {
    const r = await this.run({ id: this.nextId++, a: shared(a), c: shared(c), ts, opts }, false);
    return 'frames' in r ? r.frames : [];
  }

  /**
   * The motion speed from `a` to `c`, as `motionSpeed` gives it. It goes ahead of the syntheses waiting: the caller
   * needs it before it can hand over the next pair, and the flow code it runs is already warm in the workers.
   */
  async speed(a: Image, c: Image): Promise<number> {
    const r = await this.run({ id: this.nextId++, speed: true, a: shared(a), c: shared(c) }, true);
    return 'speed' in r ? r.speed : NaN;
  }

  private run(job: Job, first: boolean): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('interpolator pool is closed'));
    return new Promise((resolve, reject) => {
      const task = { job, resolve, reject };
      if (first) this.waiting.unshift(task);
      else this.waiting.push(task);
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length) {
      let w = this.idle.pop();
      if (!w && this.started < this.size) w = this.spawn();
      if (!w) return;
      const task = this.waiting.shift()!;
      this.busy.set(w, task);
      w.postMessage(task.job);
    }
  }

  private spawn(): Worker {
    this.started++;
    const w = new Worker(new URL('./worker.js', import.meta.url));
    w.on('message', (r: Reply) => {
      const task = this.busy.get(w);
      this.busy.delete(w);
      if (!this.closed) this.idle.push(w);
      if (task) {
        if ('error' in r) task.reject(r.error.problem !== undefined ? new ToonscopeError(r.error.file, r.error.problem) : new Error(r.error.message));
        else task.resolve(r);
      }
      this.pump();
    });
    // A worker that dies (out of memory, a crash in native code), busy or idle, fails its task if it had one;
    // a fresh one takes its place. 'error' is followed by 'exit': only the first counts.
    let lost = false;
    const lose = (e: Error) => {
      if (lost || this.closed) return;
      lost = true;
      const task = this.busy.get(w);
      this.busy.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      this.started--;
      task?.reject(e);
      this.pump();
    };
    w.on('error', lose);
    w.on('exit', (code) => lose(new Error(`interpolation worker stopped (exit code ${code})`)));
    return w;
  }

  /** Stop the workers (pending tasks are rejected). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new Error('interpolator pool closed'));
    const all = [...this.idle, ...this.busy.keys()];
    for (const t of this.busy.values()) t.reject(new Error('interpolator pool closed'));
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }
}
