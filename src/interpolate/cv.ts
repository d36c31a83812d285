// opencv-js (a WASM module, ~0.7 s to initialise) loaded once per process.
// Only the dense flow uses it; everything else here is plain typed arrays.
import { createRequire } from 'node:module';

// opencv-js ships loose typings; a narrow `any` keeps our own interfaces typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CV = any;

let loading: Promise<CV> | undefined;

/** The opencv-js module, initialised once. */
export function opencv(): Promise<CV> {
  return (loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const mod = require('@techstark/opencv-js');
    if (mod instanceof Promise) return unthen(await mod);
    if (mod.Mat) return unthen(mod);
    await new Promise<void>((resolve) => {
      mod.onRuntimeInitialized = () => resolve();
    });
    return unthen(mod);
  })());
}

// The emscripten module is itself a thenable; returning it from an async function would recurse.
function unthen(cv: CV): CV {
  if (typeof cv.then === 'function') delete cv.then;
  return cv;
}
