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
