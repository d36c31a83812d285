// Our Farneback (farneback.ts) against the OpenCV one it reproduces (opencv-js, still a dependency for other
// modules): the same flows to float rounding, for the settings flow.ts uses, plain and from an initial flow, in
// WebAssembly and in the JavaScript loops; and sharing a pair's expansions across runs changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opencv } from '../src/core/opencv.js';
import { rng } from '../src/core/random.js';
import { FarnebackPair, type FarnebackOptions } from '../src/interpolate/farneback.js';
import { ownKernel } from '../src/interpolate/kernel.js';
import { luma8, type Flow } from '../src/interpolate/raster.js';
import { withJs } from './fixtures.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';


/** Two drawn frames with moving discs, and a little noise so that flat areas are not exactly flat. */
function frames(w: number, h: number): [Uint8Array, Uint8Array] {
  const sc = cartoonScene(w, h, 0.05), r = rng(4);
  return [drawScene(sc, 0), drawScene(sc, 1)].map((img) => luma8(img).map((v) => Math.min(255, Math.max(0, v + Math.floor(r() * 5) - 2)))) as [Uint8Array, Uint8Array];
}

function meanEpe(p: Float32Array, q: Float32Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i += 2) s += Math.hypot(p[i] - q[i], p[i + 1] - q[i + 1]);
  return s / (p.length / 2);
}

const RUNS: { name: string; o: Omit<FarnebackOptions, 'init'>; init: boolean }[] = [
  { name: 'plain, wide window', o: { levels: 5, winSize: 15, iterations: 3, polyN: 7, polySigma: 1.5 }, init: false },
  { name: 'plain, small window', o: { levels: 5, winSize: 9, iterations: 3, polyN: 5, polySigma: 1.2 }, init: false },
  { name: 'from an initial flow', o: { levels: 3, winSize: 15, iterations: 3, polyN: 5, polySigma: 1.2 }, init: true },
];

test('FarnebackPair gives cv.calcOpticalFlowFarneback\'s flows (WebAssembly and JavaScript, both directions)', async () => {
  const cv = await opencv();
  // 300x170: the pyramid's sizes are not all even (75x42 at the coarsest level), and the initial flow is area-averaged
  // by a factor that is not a whole number at every level.
  const w = 300, h = 170, [a, b] = frames(w, h), r = rng(8);
  const init: Flow = { width: w, height: h, data: new Float32Array(w * h * 2).map((_, i) => (i % 2 ? -1.5 : 3) + r() * 0.5) };
  const ref = (from: 0 | 1, o: Omit<FarnebackOptions, 'init'>, withInit: boolean): Float32Array => {
    const m0 = new cv.Mat(h, w, cv.CV_8UC1), m1 = new cv.Mat(h, w, cv.CV_8UC1), f = new cv.Mat(h, w, cv.CV_32FC2);
    try {
      m0.data.set(from ? b : a);
      m1.data.set(from ? a : b);
      if (withInit) f.data32F.set(init.data);
      cv.calcOpticalFlowFarneback(m0, m1, f, 0.5, o.levels, o.winSize, o.iterations, o.polyN, o.polySigma, withInit ? cv.OPTFLOW_USE_INITIAL_FLOW : 0);
      return new Float32Array(f.data32F);
    } finally {
      m0.delete();
      m1.delete();
      f.delete();
    }
  };
  for (const label of ['WebAssembly', 'JavaScript']) {
    const run = label === 'JavaScript' ? withJs : <T>(f: () => T): T => f();
    const pair = run(() => new FarnebackPair(a, b, w, h));
    for (const { name, o, init: withInit } of RUNS) {
      for (const from of [0, 1] as const) {
        const want = ref(from, o, withInit);
        const got = run(() => pair.flow(from, { ...o, init: withInit ? init : undefined })).data;
        let moving = 0;
        for (let i = 0; i < want.length; i += 2) if (Math.hypot(want[i], want[i + 1]) > 1) moving++;
        assert.ok(moving > 200, `${name}: the discs move (${moving} pixels over 1 px)`);
        const e = meanEpe(got, want);
        assert.ok(e < 1e-3, `${label}, ${name}, from ${from}: mean end-point difference ${e} px`);
      }
    }
  }
});

/** Smooth waves, the second frame shifted by (1, 0.5) px: texture everywhere, however small the frame. */
function waves(w: number, h: number): [Uint8Array, Uint8Array] {
  const f = (x: number, y: number) => Math.round(128 + 60 * Math.sin(0.9 * x + 0.3 * y) + 40 * Math.cos(0.5 * y - 0.7 * x));
  const a = new Uint8Array(w * h), b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    a[y * w + x] = f(x, y);
    b[y * w + x] = f(x - 1, y - 0.5);
  }
  return [a, b];
}

test('frames with a side under 10 px: damped near the border only where OpenCV damps them (its unsigned test)', async () => {
  const cv = await opencv();
  for (const [w, h] of [[8, 8], [40, 9], [9, 40], [4, 40]]) {
    const [a, b] = waves(w, h);
    for (const { name, o } of RUNS.filter((r) => !r.init)) {
      const m0 = new cv.Mat(h, w, cv.CV_8UC1), m1 = new cv.Mat(h, w, cv.CV_8UC1), f = new cv.Mat(h, w, cv.CV_32FC2);
      let want: Float32Array;
      try {
        m0.data.set(a);
        m1.data.set(b);
        cv.calcOpticalFlowFarneback(m0, m1, f, 0.5, o.levels, o.winSize, o.iterations, o.polyN, o.polySigma, 0);
        want = new Float32Array(f.data32F);
      } finally {
        m0.delete();
        m1.delete();
        f.delete();
      }
      let big = 0;
      for (let i = 0; i < want.length; i += 2) if (Math.hypot(want[i], want[i + 1]) > 0.3) big++;
      assert.ok(big > (w * h) / 4, `${w}x${h}, ${name}: OpenCV's flow is not near zero (${big} pixels over 0.3 px)`);
      for (const label of ['WebAssembly', 'JavaScript']) {
        const run = label === 'JavaScript' ? withJs : <T>(g: () => T): T => g();
        const got = run(() => new FarnebackPair(a, b, w, h).flow(0, o)).data;
        const e = meanEpe(got, want);
        assert.ok(e < 1e-3, `${label}, ${w}x${h}, ${name}: mean end-point difference ${e} px`);
      }
    }
  }
});

test('a pair\'s shared expansions give each run exactly what a fresh pair gives, back to back and when pairs alternate', () => {
  // Two pairs of different frames and sizes: the second takes the kernel memory over between the first's runs.
  const sizes = [[160, 96], [120, 72]] as const;
  for (const label of ['WebAssembly', 'JavaScript']) {
    const run = label === 'JavaScript' ? withJs : <T>(f: () => T): T => f();
    const pairs = sizes.map(([w, h]) => {
      const [a, b] = frames(w, h);
      const fresh = () => run(() => new FarnebackPair(a, b, w, h));
      const first = fresh().flow(0, RUNS[0].o);
      const jobs = RUNS.flatMap(({ o, init }) => ([0, 1] as const).map((from) => ({ from, opts: { ...o, init: init ? first : undefined } })));
      // Each run's result from a pair of its own, computed before any sharing.
      const want = jobs.map(({ from, opts }) => fresh().flow(from, opts).data);
      return { shared: fresh(), jobs, want, name: `${w}x${h}` };
    });
    const check = (p: (typeof pairs)[number], j: number, when: string) =>
      assert.deepEqual(run(() => p.shared.flow(p.jobs[j].from, p.jobs[j].opts)).data, p.want[j], `${label}, ${p.name}, run ${j}, ${when}`);
    const [p, q] = pairs;
    for (let j = 0; j < p.jobs.length; j++) check(p, j, 'back to back');
    for (let j = 0; j < p.jobs.length; j++) {
      check(q, j, 'alternating');
      check(p, j, 'alternating');
    }
  }
});

test('a pair whose kernel memory cannot grow goes on in the JavaScript loops', (t) => {
  const k = ownKernel();
  if (!k) return t.skip('no WebAssembly SIMD');
  const w = 640, h = 360, [a, b] = frames(w, h), o = RUNS[0].o;
  const want = [0, 1].map((from) => withJs(() => new FarnebackPair(a, b, w, h).flow(from as 0 | 1, o)).data);
  // This pair needs more than the memory the tests above left (its four finest expansions alone take 80 bytes a pixel).
  assert.ok(k.memory.buffer.byteLength < w * h * 80, `kernel memory already ${k.memory.buffer.byteLength} bytes`);
  let calls = 0;
  const mem = k.memory as { grow(pages: number): number };
  mem.grow = () => {
    calls++;
    throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
  };
  try {
    const pair = new FarnebackPair(a, b, w, h);
    for (const from of [0, 1] as const) assert.deepEqual(pair.flow(from, o).data, want[from], `from ${from}`);
  } finally {
    delete (mem as { grow?: unknown }).grow;
  }
  assert.ok(calls > 0, 'the memory was asked to grow');
  // The kernels work again for the next pair.
  const small = frames(160, 96);
  assert.ok(new FarnebackPair(small[0], small[1], 160, 96).flow(0, o).data.some((v) => Math.abs(v) > 1));
});
