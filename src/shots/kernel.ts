// The SIMD (WebAssembly) kernel of the shot metrics: past frames live in the
// kernel's memory as a ring, so each frame is copied in once; the
// every-other-pixel sums and the per-frame measures (luma, histogram, dark and
// light pixels, thumbnail and block sums, edge map) run on 16 bytes at a time.
// Every sum is an exact integer, so the values equal metrics.ts's JS loops.
import { reserve, wasmModule } from '../core/wasm.js';
import { KERNEL_WASM } from './kernel-wasm.js';

const module = () => wasmModule(KERNEL_WASM);

/** Per-frame grid tables (metrics.ts Layout): each row's thumbnail and block band, each column's thumbnail and block cell. */
export interface GridTables {
  thumbRow: Uint8Array;
  blockRow: Uint8Array;
  thumbCol: Uint8Array;
  blockCol: Uint8Array;
}

type Fn6 = (a: number, b: number, c: number, d: number, e: number, f: number) => void;

export class Kernel {
  private mem: WebAssembly.Memory;
  private bytes: Uint8Array;
  private run: (c: number, p2: number, p3: number, p4: number, p5: number, p6: number, p12: number, p24: number, len: number, out: number) => void;
  private pixelsFn: Fn6;
  private edgesFn: Fn6;
  private gridFn: (c: number, p: number, hasPrev: number, w3: number, h: number, rowT: number, rowB: number, cellT: number, cellB: number, colT: number, colB: number, thumb: number, block: number) => void;
  /** Slot size: frame bytes padded to the kernel's 48-byte step (the zero padding adds nothing). */
  private slot: number;
  private out: number;
  private at: Record<'sums' | 'idx' | 'counts' | 'thumb' | 'block' | 'colT' | 'colB' | 'cellT' | 'cellB' | 'rowT' | 'rowB' | 'luma' | 'edge0' | 'edge1', number>;
  /** Views of the per-frame results (the memory does not grow after construction). */
  readonly counts: Int32Array;
  readonly thumbSum: Int32Array;
  readonly blockSum: Int32Array;
  /** Sum of luma and of luma^2 (f64), then dark pixels, light pixels, edge pixels changed, edge pixels in either map (i32). */
  private sums: Float64Array;
  private counted: Int32Array;

  private constructor(inst: WebAssembly.Instance, readonly width: number, readonly height: number, readonly slots: number, grid: GridTables) {
    this.mem = inst.exports.memory as WebAssembly.Memory;
    this.run = inst.exports.halfPass as Kernel['run'];
    this.pixelsFn = inst.exports.pixels as Fn6;
    this.edgesFn = inst.exports.edges as Fn6;
    this.gridFn = inst.exports.grid as Kernel['gridFn'];
    const px = width * height;
    const w3 = 3 * width;
    const pad = Math.ceil(w3 / 16) * 16;
    this.slot = Math.ceil((px * 3) / 48) * 48;
    this.out = this.slot * slots;
    // Every region 16-byte aligned, with room for a vector read past its end (rows are read in whole vectors).
    let next = this.out + 64;
    const take = (bytes: number) => {
      const a = next;
      next = Math.ceil((next + bytes + 32) / 16) * 16;
      return a;
    };
    this.at = {
      sums: take(32), idx: take(16), counts: take(256), thumb: take(3072), block: take(256),
      colT: take(4 * pad), colB: take(4 * pad), cellT: take(2 * pad), cellB: take(pad), rowT: take(height + 1), rowB: take(height + 1),
      luma: take(px), edge0: take(px), edge1: take(px),
    };
    reserve(this.mem, next);
    this.bytes = new Uint8Array(this.mem.buffer);
    const buf = this.mem.buffer;
    this.counts = new Int32Array(buf, this.at.counts, 64);
    this.thumbSum = new Int32Array(buf, this.at.thumb, 768);
    this.blockSum = new Int32Array(buf, this.at.block, 64);
    this.sums = new Float64Array(buf, this.at.sums, 2);
    this.counted = new Int32Array(buf, this.at.sums + 16, 4);
    const cellT = new Uint16Array(buf, this.at.cellT, w3);
    for (let j = 0; j < w3; j++) {
      cellT[j] = grid.thumbCol[Math.floor(j / 3)] * 3 + (j % 3);
      this.bytes[this.at.cellB + j] = grid.blockCol[Math.floor(j / 3)];
    }
    this.bytes.set(grid.thumbRow, this.at.rowT);
    this.bytes.set(grid.blockRow, this.at.rowB);
  }

  /**
   * A kernel for frames of `width` x `height` RGB pixels with a ring of `slots` frames, or null without SIMD or for
   * huge frames (i32 sums).
   */
  static create(width: number, height: number, slots: number, grid: GridTables): Kernel | null {
    const m = module();
    if (!m || width * height * 3 > 1 << 21) return null;
    return new Kernel(new WebAssembly.Instance(m), width, height, slots, grid);
  }

  private slotOf(n: number): number {
    return (n % this.slots) * this.slot;
  }

  /** Store frame number `n` in its ring slot. */
  put(n: number, data: Uint8Array): void {
    this.bytes.set(data, this.slotOf(n));
  }

  /**
   * The per-frame measures of stored frame `n` (its predecessor stored too when `hasPrev`): fills `counts`,
   * `thumbSum`, `blockSum` (with `hasPrev`) and returns [sum of luma, sum of luma^2, dark pixels, light pixels,
   * edge pixels changed, edge pixels in either map].
   */
  measure(n: number, hasPrev: boolean): [number, number, number, number, number, number] {
    const a = this.at;
    const { width: w, height: h } = this;
    this.pixelsFn(this.slotOf(n), w * h, a.luma, a.counts, a.idx, a.sums);
    this.gridFn(this.slotOf(n), hasPrev ? this.slotOf(n - 1) : 0, hasPrev ? 1 : 0, 3 * w, h, a.rowT, a.rowB, a.cellT, a.cellB, a.colT, a.colB, a.thumb, a.block);
    // The edge maps alternate: frame n writes one and compares with the other (frame n-1's; zeros at first).
    const [cur, prev] = n % 2 ? [a.edge1, a.edge0] : [a.edge0, a.edge1];
    this.edgesFn(a.luma, cur, prev, w, h, a.sums + 24);
    const c = this.counted;
    return [this.sums[0], this.sums[1], c[0], c[1], c[2], c[3]];
  }

  /**
   * Sums over the even pixels of frame `n` (stored, as are frames n-24..n-1):
   * |c - p| at lags 2, 3, 4, 5, 6, 12, 24 and |2 mid - a - c| for (mid, a) at lags (3, 6), (6, 12), (12, 24),
   * in the order diff2..diff5, span3, span6, span12, blend3, blend6, blend12.
   */
  halfPass(n: number): Int32Array {
    const k = this.slots;
    const z = this.slot;
    // Explicit arguments: a spread call goes through V8's slow generic JS-to-wasm wrapper.
    this.run(n % k * z, (n - 2) % k * z, (n - 3) % k * z, (n - 4) % k * z, (n - 5) % k * z, (n - 6) % k * z, (n - 12) % k * z, (n - 24) % k * z, z, this.out);
    return new Int32Array(this.mem.buffer, this.out, 10);
  }
}
