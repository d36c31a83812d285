// The WebAssembly SIMD kernels of the in-between synthesis (kernel.wat): the
// splatting and the backward sampler, the splat's per-pixel compose, the flow
// upsampling, the block in-between's mix and search, warp errors and box blurs,
// and Farneback's polynomial expansion and iterations (farneback.ts, in a second instance: ownKernel).
// One instance, hence one memory, per thread (each worker thread loads this
// module anew). A step's arrays live in that memory, laid out by a bump
// allocator per use (uses nest), so nothing big is allocated per frame on the
// JavaScript heap; the memory only grows.
import { KERNEL_WASM } from './kernel-wasm.js';
import { reserve, wasmModule } from '../core/wasm.js';

export interface Exports {
  memory: WebAssembly.Memory;
  zero(off: number, len: number): void;
  splatPush(src: number, flow: number, err: number, zs: number, rgbw: number, cov: number, aerr: number, w: number, h: number,
    s: number, tw: number, alpha: number, depth: number, cap: number, gx: number, gy: number, ya: number, yb: number): void;
  backPush(flow: number, zs: number, vec: number, wt: number, vis: number, w: number, h: number, s: number, fromA: number, ya: number, yb: number): void;
  backNormalize(vec: number, wt: number, ok: number, n: number): void;
  backSample(a: number, b: number, vec: number, vis: number, out: number, w: number, h: number, t: number, ya: number, yb: number): void;
  compose(a: number, b: number, fab: number, fba: number, ra: number, rb: number, covA: number, covB: number, errA: number, errB: number,
    beta: number, back: number, out: number, unsure: number, w: number, h: number, t: number, hole: number, e0: number, e1: number,
    both: number, bw: number, rw: number, lk: number, ya: number, yb: number): void;
  upsample(lo: number, small: number, big: number, w: number, W: number, H: number, tx0: number, tx1: number, tax: number,
    ty0: number, ty1: number, tay: number, sx: number, sy: number, edge: number, flow: number, err: number, ya: number, yb: number): void;
  obmcMix(a: number, c: number, vg: number, gw: number, scale: number, t: number, col0: number, colW: number, rowG0: number, rowW: number,
    mix: number, out: number, w: number, h: number, ya: number, yb: number): void;
  warpError(a: number, b: number, flow: number, out: number, w: number, h: number, ya: number, yb: number): void;
  boxBlur(src: number, tmp: number, acc: number, out: number, w: number, h: number, r: number): void;
  blockSad(la: number, lc: number, w: number, pa: number, pc: number, S: number, fax: number, fay: number, fcx: number, fcy: number): number;
  blockBest(la: number, lc: number, pw: number, ph: number, cx: number, cy: number, S: number, t: number, cand: number, nc: number,
    mx: number, my: number, lam: number, R: number, out: number): number;
  disagree(ra: number, rb: number, out: number, n: number): void;
  capDiv(p: number, n: number, s: number): void;
  absDiff3(a: number, b: number, out: number, n: number): void;
  mixWeights(un: number, diff: number, torn: number, out: number, n: number, still: number, m: number, tw: number): void;
  fbBlur(src: number, tmp: number, row: number, out: number, w: number, h: number, tab: number, ksize: number): void;
  fbPoly(src: number, dst: number, rows: number, tab: number, w: number, h: number, n: number, ps: number,
    ig11: number, ig03: number, ig33: number, ig55: number, ya: number, yb: number): void;
  fbMatrices(r0: number, r1: number, flow: number, m: number, w: number, h: number, ya: number, yb: number): void;
  fbSolveInit(m: number, vs: number, w: number, h: number, r: number): void;
  fbSolveRows(m: number, flow: number, vs: number, w: number, h: number, bs: number, ya: number, yb: number): void;
}

/** Largest memory the arena takes (wasm32 addresses 4 GB; larger frames use the JavaScript loops). */
const LIMIT = 2 ** 31;

/**
 * Largest frame (pixels) whose synthesis runs in the kernels: the synthesis's use (interp.ts: its full-resolution
 * flows, errors and weights, and the splat's use inside it) takes about 200 bytes per pixel.
 */
export const KERNEL_MAX_PIXELS = Math.floor((LIMIT - 65536) / 200);

/**
 * Largest frame (pixels) any kernel path still takes: above KERNEL_MAX_PIXELS the synthesis's own use is refused,
 * but the splat alone (about 140 bytes per pixel and its blur) still runs in the kernels up to this size.
 */
export const KERNEL_ANY_PIXELS = Math.floor((LIMIT - 65536) / 153);

let arena: Arena | null | undefined;
let own: Exports | null | undefined;

/**
 * A second instance of the kernels with a memory of its own (one per thread), for data that lives across many
 * kernel calls and other steps in between, as Farneback's pyramids and expansions over the runs of a pair
 * (farneback.ts), so the arena's nested uses never see it. Null as for `useKernel`.
 */
export function ownKernel(): Exports | null {
  if (process.env.TOONSCOPE_NO_WASM === '1') return null;
  if (own === undefined) {
    try {
      const mod = wasmModule(KERNEL_WASM);
      own = mod ? (new WebAssembly.Instance(mod).exports as unknown as Exports) : null;
    } catch {
      own = null;
    }
  }
  return own;
}

/** This thread's arena, or null when this runtime lacks WebAssembly SIMD (the JavaScript loops are used then). */
export function kernelArena(): Arena | null {
  if (arena === undefined) {
    try {
      const mod = wasmModule(KERNEL_WASM);
      arena = mod ? new Arena(new WebAssembly.Instance(mod).exports as unknown as Exports) : null;
    } catch {
      arena = null;
    }
  }
  return arena;
}

/**
 * This thread's arena with room for `bytes` more bytes, or null (then the caller runs its JavaScript loops): without
 * WebAssembly SIMD, past the 2 GB the arena may take, with TOONSCOPE_NO_WASM=1 (to compare old and new), or when a
 * nested use finds too little room. Every non-null result must be handed back with `end()` (try/finally).
 */
export function useKernel(bytes: number): Arena | null {
  if (process.env.TOONSCOPE_NO_WASM === '1' || bytes > LIMIT) return null;
  const k = kernelArena();
  return k && k.begin(bytes) ? k : null;
}

/** `f` on the arena with room for `bytes` bytes, then the room is handed back; undefined when useKernel gives none. */
export function withKernel<T>(bytes: number, f: (k: Arena) => T): T | undefined {
  const k = useKernel(bytes);
  if (!k) return undefined;
  try {
    return f(k);
  } finally {
    k.end();
  }
}

/** Rows per kernel call (see kernel.wat: V8 optimises a kernel between calls, not during one). */
const BAND = 16;

/** `f` on consecutive bands of rows [y0, y1) that cover 0..h. */
export function bands(h: number, f: (y0: number, y1: number) => void): void {
  for (let y = 0; y < h; y += BAND) f(y, Math.min(h, y + BAND));
}

export class Arena {
  private top = 16;
  /** The top before each use that has not ended: uses nest (a kernel path may call a helper that uses the arena too). */
  private marks: number[] = [];
  constructor(readonly k: Exports) {}

  /**
   * Start a use with room for `bytes` bytes. The outermost use starts at the bottom and may grow the memory; a nested
   * one goes above its caller's arrays and never grows it (that would detach the caller's views): false if no room.
   */
  begin(bytes: number): boolean {
    const need = bytes + 64;
    if (this.marks.length) {
      if (this.top + need > this.k.memory.buffer.byteLength) return false;
    } else {
      this.top = 16;
      try {
        reserve(this.k.memory, need);
      } catch (e) {
        // The engine could not grow the memory (the machine's or the 4 GB address limit): the JavaScript loops take it.
        if (e instanceof RangeError) return false;
        throw e;
      }
    }
    this.marks.push(this.top);
    return true;
  }

  /** End the latest use: its arrays are free again. */
  end(): void {
    this.top = this.marks.pop() ?? 16;
  }

  /** Room for `bytes` bytes (16-byte aligned, zeroed when `zero`), as a byte offset. */
  alloc(bytes: number, zero = true): number {
    const off = this.top;
    this.top = off + Math.ceil((bytes + 8) / 16) * 16; // +8: pixels are read and written as 4 bytes
    if (this.top > this.k.memory.buffer.byteLength) throw new Error('interpolate kernel: arena overflow');
    if (zero) this.k.zero(off, bytes);
    return off;
  }

  /**
   * Copy `data` in; its offset. An array that already lives in this memory (a view of a caller's use that is still
   * open, as interp.ts keeps its full-resolution planes) is not copied: its own offset is returned, and kernels
   * only read what they are handed this way.
   */
  put(data: Uint8Array | Float32Array | Int32Array): number {
    if (data.buffer === this.k.memory.buffer && data.byteOffset + data.byteLength <= this.top) return data.byteOffset;
    const off = this.alloc(data.byteLength, false);
    new Uint8Array(this.k.memory.buffer, off, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return off;
  }

  f32(off: number, len: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, off, len);
  }

  u8(off: number, len: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, off, len);
  }
}
