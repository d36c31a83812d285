// Loading opencv-js once (a WASM module that takes ~0.7 s) and moving Images
// in and out of cv.Mat. Every opencv call in toonscope goes
// through here so Mat lifetimes stay visible.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Image } from './types.js';

// opencv-js ships loose typings; a narrow `any` keeps the rest of the code typed by our own interfaces.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CV = any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Mat = any;

let loading: Promise<CV> | undefined;
/** The module once initialised (for `opencvError`, which must answer synchronously). */
let loaded: CV | undefined;

/** The opencv-js module, initialised once per process. */
export function opencv(): Promise<CV> {
  return (loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const mod = require('@techstark/opencv-js');
    if (mod instanceof Promise) return unthen(await mod);
    if (mod.Mat) return unthen(mod);
    await new Promise<void>((resolve) => {
      // Chain, don't replace: another module may be waiting on the same WASM instance.
      // It may also replace ours, so a poll notices initialisation too.
      const prev = mod.onRuntimeInitialized;
      const poll = setInterval(() => {
        if (mod.Mat) done();
      }, 25);
      const done = () => {
        clearInterval(poll);
        resolve();
      };
      mod.onRuntimeInitialized = () => {
        if (typeof prev === 'function') prev();
        done();
      };
    });
    return unthen(mod);
  })());
}

// The emscripten module object is itself a thenable; returning it from an async function would recurse.
function unthen(cv: CV): CV {
  if (typeof cv.then === 'function') delete cv.then;
  return (loaded = cv);
}

/**
 * What an opencv-js call threw, as an Error with opencv's own message: its C++ exceptions arrive as bare numbers
 * (pointers into the WASM heap), which tell a user or a log nothing. Anything else is returned as it is.
 */
export function opencvError(e: unknown): unknown {
  if (typeof e !== 'number' || !loaded?.exceptionFromPtr) return e;
  try {
    const msg: unknown = loaded.exceptionFromPtr(e)?.msg;
    // Not a cv::Exception after all (a number that happens to point into the heap): leave it as it was.
    if (typeof msg !== 'string' || !msg.startsWith('OpenCV(') || msg.includes('\0')) return e;
    // One line: opencv's checks spread their message over several, and name the file by its build path.
    return new Error(`opencv: ${msg.replace(/\s*\n>?\s*/g, ' ').replace(/ \/\S*\/([^/\s]+:\d+:)/, ' $1').trim()}`);
  } catch {
    return e;
  }
}

/** What a caught error says, in words, with opencv-js's bare numbers read as their messages (`opencvError`). */
export function errorText(e: unknown): string {
  const bug = opencvError(e);
  return (bug as Error | undefined)?.message ?? String(bug);
}

/** Copy an Image into a new Mat (CV_8UC1/3/4); the caller deletes it. */
export function toMat(cv: CV, img: Image): Mat {
  const type = img.channels === 1 ? cv.CV_8UC1 : img.channels === 3 ? cv.CV_8UC3 : cv.CV_8UC4;
  const m = new cv.Mat(img.height, img.width, type);
  m.data.set(img.data);
  return m;
}

/** Copy an 8-bit Mat out into an Image. */
export function fromMat(m: Mat): Image {
  const channels = m.channels() as 1 | 3 | 4;
  return { width: m.cols, height: m.rows, channels, data: new Uint8Array(m.data) };
}

const mounted = new Set<string>();

/** Put a file into opencv's in-memory file system (once) and return its path there. */
export function mount(cv: CV, path: string, name: string): string {
  const target = `/${name}`;
  if (!mounted.has(target)) {
    cv.FS_createDataFile('/', name, new Uint8Array(readFileSync(path)), true, false, false);
    mounted.add(target);
  }
  return target;
}

/** Run `fn` with Mats that are always deleted afterwards. */
export function using<T>(mats: Mat[], fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const m of mats) if (m && !m.isDeleted()) m.delete();
  }
}
