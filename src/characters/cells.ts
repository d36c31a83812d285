// The learned detector's training cells in WebAssembly memory: copied in once
// per fit, then every pass of the descent is two SIMD products (cells.wat):
// scores (each cell with the weights) and the gradient (the cells weighted by
// their errors). Scores sum in float32 lanes, the gradient in float64 ones,
// so results match plain float64 loops up to float rounding, several times faster.
import { reserve, wasmModule } from '../core/wasm.js';
import { CELLS_WASM } from './cells-wasm.js';

const module = () => wasmModule(CELLS_WASM);

type Kernel = (x: number, n: number, dim: number, v: number, out: number) => void;

export class CellMatrix {
  readonly n: number;
  private readonly x: Float32Array;
  private readonly w: Float32Array;
  private readonly z: Float32Array;
  private readonly e: Float64Array;
  private readonly g: Float64Array;
  private readonly kernel?: { scores: Kernel; gradient: Kernel; at: { x: number; w: number; z: number; e: number; g: number } };
  /** True when the products run in the WebAssembly SIMD kernel (dims that are a multiple of 4, where SIMD exists). */
  get simd(): boolean {
    return !!this.kernel;
  }

  /** The cells `idx` of each map (rows of `dim` floats in `data`), in order. */
  constructor(maps: Array<{ data: Float32Array; idx: Int32Array }>, readonly dim: number) {
    const n = maps.reduce((a, m) => a + m.idx.length, 0);
    this.n = n;
    const m = dim % 4 === 0 ? module() : null;
    const pad = (v: number) => Math.ceil(v / 4) * 4;
    if (m) {
      // Byte offsets of cells, weights, scores (float32), errors and gradient (float64); each part 16-byte aligned.
      const at = { x: 0, w: n * dim * 4, z: 0, e: 0, g: 0 };
      at.z = at.w + dim * 4;
      at.e = at.z + pad(n) * 4;
      at.g = at.e + pad(n) * 8;
      const bytes = at.g + dim * 8;
      const inst = new WebAssembly.Instance(m);
      const mem = inst.exports.memory as WebAssembly.Memory;
      reserve(mem, bytes);
      this.x = new Float32Array(mem.buffer, at.x, n * dim);
      this.w = new Float32Array(mem.buffer, at.w, dim);
      this.z = new Float32Array(mem.buffer, at.z, n);
      this.e = new Float64Array(mem.buffer, at.e, n);
      this.g = new Float64Array(mem.buffer, at.g, dim);
      this.kernel = { scores: inst.exports.scores as Kernel, gradient: inst.exports.gradient as Kernel, at };
    } else {
      this.x = new Float32Array(n * dim);
      this.w = new Float32Array(dim);
      this.z = new Float32Array(n);
      this.e = new Float64Array(n);
      this.g = new Float64Array(dim);
    }
    let o = 0;
    for (const { data, idx } of maps) for (const i of idx) { this.x.set(data.subarray(i * dim, (i + 1) * dim), o); o += dim; }
  }

  /** Each cell's sum w . x (without bias). The array is reused by the next call. */
  scores(w: ArrayLike<number>): Float32Array {
    const { n, dim } = this;
    this.w.set(w);
    if (this.kernel) {
      const { at } = this.kernel;
      this.kernel.scores(at.x, n, dim, at.w, at.z);
      return this.z;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0, o = i * dim; k < dim; k++) s += this.w[k] * this.x[o + k];
      this.z[i] = s;
    }
    return this.z;
  }

  /** The errors array to fill (one per cell) before `gradient`. */
  get errors(): Float64Array {
    return this.e;
  }

  /** sum_i errors[i] x_i. The array is reused by the next call. */
  gradient(): Float64Array {
    const { n, dim } = this;
    if (this.kernel) {
      const { at } = this.kernel;
      this.kernel.gradient(at.x, n, dim, at.e, at.g);
      return this.g;
    }
    this.g.fill(0);
    for (let i = 0; i < n; i++) for (let k = 0, o = i * dim, e = this.e[i]; k < dim; k++) this.g[k] += e * this.x[o + k];
    return this.g;
  }
}
