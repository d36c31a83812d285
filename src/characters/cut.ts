// One GrabCut (opencv-js) from full-frame starting labels, and the same on a
// helper thread. GrabCut is most of the detector chain's time and the cuts of
// a frame's characters (and of the learned pass's regions) are independent, so
// on two cores or more some of them run on a worker thread while this thread
// runs the others. Results are identical: each cut seeds opencv's RNG itself.
// On by default: on an idle 2-core machine it took the Ren'Py bench clip from
// 0.79x to 0.69-0.72x real time (docs/cast.md, Speed, session 20). On a machine
// whose cores are already busy a helper that gets no core of its own costs more
// than it saves (the same clip at load 5: 86.9 s with it, 76.3 s without), and
// it holds its own opencv-js (50-90 MB): there TOONSCOPE_CUT_THREAD=0 turns it
// off (a worker running as many jobs at once as there are cores does so
// itself). A load average was tried as the switch and dropped: it trails by a
// minute, so back-to-back runs read their predecessors' load. Until the
// helper has loaded its opencv-js (about a second) this thread cuts
// everything rather than wait; a helper that fails is dropped, its cuts made
// here, and `cutThreadFailure` says why (analyze prints it once). This module
// loads no sharp and no tfjs, so the worker stays small.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Image } from '../core/types.js';
import { crop } from '../core/image.js';
import { fromMat, toMat, using, type CV } from '../core/opencv.js';

export const GC_BGD = 0, GC_FGD = 1, GC_PR_BGD = 2, GC_PR_FGD = 3;

/**
 * Run GrabCut from `init` (full-frame GrabCut labels) on the rectangle x0,y0,x1,y1 of `img`; returns a full-size 0/1
 * foreground. A rectangle whose labels leave GrabCut nothing to model one side by (no background pixel, as around
 * a box that fills the frame, or no foreground pixel) is not cut (opencv would throw): its foreground is `init`'s.
 */
export function cut(cv: CV, img: Image, init: Uint8Array, rect: [number, number, number, number], iterations: number): Uint8Array {
  const [x0, y0, x1, y1] = rect;
  const rw = x1 - x0, rh = y1 - y0, W = img.width;
  if (!cuttable(init, rect, W)) return foreground(init, rect, W, img.height);
  const sub: Image = { width: rw, height: rh, channels: 3, data: new Uint8Array(rw * rh * 3) };
  const m = new cv.Mat(rh, rw, cv.CV_8UC1);
  // A Mat's .data is a getter that makes a new view on every read: read it once per loop, not per pixel.
  let md = m.data as Uint8Array;
  for (let y = 0; y < rh; y++) {
    sub.data.set(img.data.subarray(((y + y0) * W + x0) * 3, ((y + y0) * W + x1) * 3), y * rw * 3);
    md.set(init.subarray((y + y0) * W + x0, (y + y0) * W + x1), y * rw);
  }
  const src = toMat(cv, sub);
  const bgd = new cv.Mat(), fgd = new cv.Mat();
  return using([src, m, bgd, fgd], () => {
    // GrabCut seeds its colour models with k-means drawn from OpenCV's global RNG: without a fixed seed per call the
    // result depends on every earlier call, so a resumed run (fewer calls before this one) would draw other masks.
    cv.setRNGSeed(0x7005);
    cv.grabCut(src, m, new cv.Rect(0, 0, rw, rh), bgd, fgd, iterations, cv.GC_INIT_WITH_MASK);
    const fg = new Uint8Array(W * img.height);
    md = m.data as Uint8Array;
    for (let y = 0; y < rh; y++) {
      for (let x = 0; x < rw; x++) {
        const v = md[y * rw + x];
        if (v === GC_FGD || v === GC_PR_FGD) fg[(y + y0) * W + x + x0] = 1;
      }
    }
    return fg;
  });
}

/** Whether the rectangle holds both a pixel GrabCut may model as background and one it may model as foreground. */
export function cuttable(init: Uint8Array, [x0, y0, x1, y1]: [number, number, number, number], W: number): boolean {
  let bgd = false, fgd = false;
  for (let y = y0; y < y1 && !(bgd && fgd); y++) {
    for (let x = x0; x < x1; x++) {
      const v = init[y * W + x];
      if (v === GC_BGD || v === GC_PR_BGD) bgd = true;
      else fgd = true;
      if (bgd && fgd) break;
    }
  }
  return bgd && fgd;
}

/**
 * `cut`, made on the rectangle shrunk to at most `pixels` pixels when it is bigger, its foreground scaled back up.
 * GrabCut's time grows with the pixels it labels, and a big region (a close-up filling a tall frame) needs no more
 * detail than a small one to be told from its background. Sure labels of `init` hold at full size as they would
 * in the cut: sure foreground stays foreground, sure background stays background.
 */
export function cutWithin(cv: CV, img: Image, init: Uint8Array, rect: [number, number, number, number], iterations: number, pixels: number): Uint8Array {
  const [x0, y0, x1, y1] = rect;
  const rw = x1 - x0, rh = y1 - y0, W = img.width;
  if (rw * rh <= pixels) return cut(cv, img, init, rect, iterations);
  const s = Math.sqrt(pixels / (rw * rh));
  const sw = Math.max(8, Math.round(rw * s)), sh = Math.max(8, Math.round(rh * s));
  const sub = crop(img, [x0, y0, rw, rh]);
  const labels = crop({ width: W, height: img.height, channels: 1, data: init }, [x0, y0, rw, rh]);
  const shrink = (im: Image, how: number) => {
    const src = toMat(cv, im), dst = new cv.Mat();
    return using([src, dst], () => {
      cv.resize(src, dst, new cv.Size(sw, sh), 0, 0, how);
      return fromMat(dst);
    });
  };
  // Nearest label by pixel centres, as the image is shrunk (plain INTER_NEAREST reads each block's top-left pixel:
  // the labels would shift against the image and a strip of background at the far edge would be lost).
  const smallInit = shrink(labels, cv.INTER_NEAREST_EXACT).data;
  // A side known only from a strip narrower than half a block is lost in the shrinking: then it is cut at full size.
  if (!cuttable(smallInit, [0, 0, sw, sh], sw) && cuttable(init, rect, W)) return cut(cv, img, init, rect, iterations);
  const small = shrink(sub, cv.INTER_AREA);
  const got = cut(cv, small, smallInit, [0, 0, sw, sh], iterations);
  // Back to full size, smoothly (a blocky outline would show in every crop made from it), then the sure labels.
  const up = toMat(cv, { width: sw, height: sh, channels: 1, data: got.map((v) => v * 255) }), big = new cv.Mat();
  const mask = using([up, big], () => {
    cv.resize(up, big, new cv.Size(rw, rh), 0, 0, cv.INTER_LINEAR);
    return fromMat(big).data;
  });
  const fg = new Uint8Array(W * img.height);
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const i = (y + y0) * W + x + x0, v = init[i];
      fg[i] = v === GC_FGD ? 1 : v === GC_BGD ? 0 : mask[y * rw + x] >= 128 ? 1 : 0;
    }
  }
  return fg;
}

/** `init`'s foreground (sure or probable) inside the rectangle, as a full-size 0/1 mask. */
function foreground(init: Uint8Array, [x0, y0, x1, y1]: [number, number, number, number], W: number, H: number): Uint8Array {
  const fg = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (init[y * W + x] === GC_FGD || init[y * W + x] === GC_PR_FGD) fg[y * W + x] = 1;
  return fg;
}

export interface CutJob {
  init: Uint8Array;
  rect: [number, number, number, number];
  /** Cut at most this many pixels (`cutWithin`); the whole rectangle when absent. */
  pixels?: number;
}

/** One job's cut, wherever it runs. */
export function cutJob(cv: CV, img: Image, j: CutJob, iterations: number): Uint8Array {
  return j.pixels !== undefined ? cutWithin(cv, img, j.init, j.rect, iterations, j.pixels) : cut(cv, img, j.init, j.rect, iterations);
}

/** What the helper thread is sent: one frame and the cuts to make on it. */
export interface CutRequest {
  id: number;
  img: Image;
  jobs: CutJob[];
  iterations: number;
}

export type CutReply = { id: number; fg: Uint8Array[] } | { id: number; error: string };
/** What the helper says once, when its opencv-js is loaded (or could not be). */
export type CutReady = { ready: true } | { ready: false; error: string };

type Helper = { worker: Worker; pending: Map<number, (r: CutReply) => void>; next: number; ready: boolean; lose: (why: string) => void };
/** How long `cutThreadReady` waits for the helper's opencv-js (it loads in about a second). */
const READY_SECONDS = 60;
let helper: Helper | undefined;
/** Why the helper was dropped, once it was. */
let failure: string | undefined;
/** Cuts the helper made (for tests and the bench: that it really took its lane). */
let helped = 0;
/** Settled once the helper is ready or gone. */
let readiness: Promise<boolean> | undefined;

/**
 * Whether GrabCuts may run on a helper thread: two cores or more, unless switched off (TOONSCOPE_CUT_THREAD set to
 * 0, off, false or no).
 */
export function cutThreadWanted(): boolean {
  return !cutThreadOff(process.env.TOONSCOPE_CUT_THREAD) && availableParallelism() >= 2;
}

/** Whether a TOONSCOPE_CUT_THREAD value switches the helper off (unset or empty leaves the default). */
export function cutThreadOff(value: string | undefined): boolean {
  return ['0', 'off', 'false', 'no'].includes((value ?? '').trim().toLowerCase());
}

/** The helper thread as it stands: started (and kept), never started, or dropped after it failed (`cutThreadFailure`). */
export function cutThreadState(): 'on' | 'off' | 'failed' {
  return failure !== undefined ? 'failed' : helper ? 'on' : 'off';
}

/** Why the helper thread was dropped, if it was: one line. */
export function cutThreadFailure(): string | undefined {
  return failure;
}

/** How many cuts the helper thread has made in this process. */
export function cutThreadCuts(): number {
  return helped;
}

/** Starts the helper if wanted and settles when it can take cuts (true) or will not (false: off or failed). */
export async function cutThreadReady(): Promise<boolean> {
  const h = thread();
  if (!h || h.ready) return !!h;
  // Someone waits for it: the thread keeps the process alive until it says, or for a minute at most.
  h.worker.ref();
  const late = setTimeout(() => h.lose(`GrabCut thread did not load opencv-js within ${READY_SECONDS} s`), READY_SECONDS * 1000);
  const ok = await readiness!;
  clearTimeout(late);
  if (helper === h && !h.pending.size) h.worker.unref();
  return ok;
}

/** The helper thread when wanted, started on first use; else undefined. */
function thread(): Helper | undefined {
  if (!cutThreadWanted()) return undefined;
  if (helper || failure !== undefined) return helper;
  let ready: (ok: boolean) => void = () => {};
  readiness = new Promise((resolve) => (ready = resolve));
  try {
    const worker = new Worker(new URL('./cut-worker.js', import.meta.url));
    // A helper that fails is dropped (once): its pending cuts, and every later one, are made on this thread.
    const lose = (why: string) => {
      if (helper !== h) return;
      helper = undefined;
      failure = why;
      ready(false);
      for (const [id, done] of h.pending) done({ id, error: why });
      h.pending.clear();
      void worker.terminate();
    };
    const h: Helper = { worker, pending: new Map(), next: 0, ready: false, lose };
    worker.on('message', (r: CutReply | CutReady) => {
      if ('ready' in r) {
        if (!r.ready) return lose(`GrabCut thread could not load opencv-js: ${r.error}`);
        h.ready = true;
        return ready(true);
      }
      h.pending.get(r.id)?.(r);
      h.pending.delete(r.id);
      if (!h.pending.size) worker.unref();
      // A cut it could not make is made here; a helper that fails at cutting is not asked again.
      if ('error' in r) lose(`GrabCut thread failed: ${r.error}`);
    });
    worker.on('messageerror', (e) => lose(`GrabCut thread sent an unreadable reply: ${e.message}`));
    worker.on('error', (e) => lose(`GrabCut thread failed: ${e.message}`));
    worker.on('exit', (code) => lose(`GrabCut thread stopped (exit code ${code})`));
    worker.unref();
    return (helper = h);
  } catch (e) {
    failure = `GrabCut thread could not start: ${e instanceof Error ? e.message : String(e)}`;
    ready(false);
    return undefined;
  }
}

/** Start the helper thread now, so its opencv-js is loaded by the time a frame has several characters. */
export function warmCutThread(): void {
  thread();
}

/**
 * `cutJob` for each job, as if run one after the other here. With a helper
 * thread, the jobs are split in two lanes of about equal area: the helper
 * runs one while this thread runs the other.
 */
export async function cutAll(cv: CV, img: Image, jobs: CutJob[], iterations: number): Promise<Uint8Array[]> {
  const h = jobs.length > 1 ? thread() : undefined;
  // Still loading its opencv-js (a second or so): this thread cuts everything rather than wait for it.
  if (!h?.ready) return jobs.map((j) => cutJob(cv, img, j, iterations));
  // What a job costs: the pixels it is cut at.
  const area = (j: CutJob) => Math.min((j.rect[2] - j.rect[0]) * (j.rect[3] - j.rect[1]), j.pixels ?? Infinity);
  const order = jobs.map((_, k) => k).sort((a, b) => area(jobs[b]) - area(jobs[a]));
  const lanes: number[][] = [[], []];
  const load = [0, 0];
  // The helper's lane gets the smaller share: sending the frame and waking the thread cost a little.
  for (const k of order) {
    const l = load[0] <= load[1] ? 0 : 1;
    lanes[l].push(k);
    load[l] += area(jobs[k]);
  }
  const [mine, theirs] = lanes;
  const out: Uint8Array[] = new Array(jobs.length);
  const id = h.next++;
  let reply: Promise<CutReply>;
  try {
    h.worker.postMessage({ id, img, jobs: theirs.map((k) => jobs[k]), iterations } satisfies CutRequest);
    reply = new Promise<CutReply>((resolve) => h.pending.set(id, resolve));
    h.worker.ref();
  } catch (e) {
    // Not sent (the frame could not be copied to the thread): its lane is cut here.
    reply = Promise.resolve({ id, error: e instanceof Error ? e.message : String(e) });
  }
  for (const k of mine) out[k] = cutJob(cv, img, jobs[k], iterations);
  const r = await reply;
  if ('fg' in r) {
    theirs.forEach((k, i) => { out[k] = r.fg[i]; });
    helped += theirs.length;
  } else for (const k of theirs) out[k] = cutJob(cv, img, jobs[k], iterations);
  return out;
}
