// The WebAssembly SIMD kernels ship as base64 modules (made by scripts/*-kernel.sh)
// and are compiled once per thread, whichever capability asks first.
const compiled = new Map<string, WebAssembly.Module | null>();

/** The compiled module, or null when this runtime lacks WebAssembly SIMD (callers then use their plain loops). */
export function wasmModule(base64: string): WebAssembly.Module | null {
  let m = compiled.get(base64);
  if (m === undefined) {
    try {
      m = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    } catch {
      m = null;
    }
    compiled.set(base64, m);
  }
  return m;
}

/** Grow a kernel's memory, in whole 64 KiB pages, until it holds at least `bytes` (a RangeError when it cannot). */
export function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}
