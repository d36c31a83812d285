// The SIMD (WebAssembly) kernel of the shot metrics: past frames live in the
// kernel's memory as a ring, so each frame is copied in once and the
// every-other-pixel sums run on 16 bytes at a time (~4x the fused JS loop).
import { reserve, wasmModule } from '../core/wasm.js';
import { KERNEL_WASM } from './kernel-wasm.js';

const module = () => wasmModule(KERNEL_WASM);

export class Kernel {
  private mem: WebAssembly.Memory;
  private bytes: Uint8Array;
  private run: (c: number, p2: number, p3: number, p4: number, p5: number, p6: number, p12: number, p24: number, len: number, out: number) => void;
  /** Slot size: frame bytes padded to the kernel's 48-byte step (the zero padding adds nothing). */
  private slot: number;
  private out: number;

  private constructor(inst: WebAssembly.Instance, readonly frameBytes: number, readonly slots: number) {
    this.mem = inst.exports.memory as WebAssembly.Memory;
    this.run = inst.exports.halfPass as Kernel['run'];
    this.slot = Math.ceil(frameBytes / 48) * 48;
    this.out = this.slot * slots;
    const need = this.out + 64;
    reserve(this.mem, need);
    this.bytes = new Uint8Array(this.mem.buffer);
  }

  /** A kernel for frames of `frameBytes` RGB bytes with a ring of `slots` frames, or null without SIMD or for huge frames (i32 sums). */
  static create(frameBytes: number, slots: number): Kernel | null {
    const m = module();
    if (!m || frameBytes > 1 << 21) return null;
    return new Kernel(new WebAssembly.Instance(m), frameBytes, slots);
  }

  /** Store frame number `n` in its ring slot. */
  put(n: number, data: Uint8Array): void {
    this.bytes.set(data, (n % this.slots) * this.slot);
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
