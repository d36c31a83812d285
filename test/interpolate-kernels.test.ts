// The per-pixel sampling kernel shared by the hot loops (issue 18.3 speed work):
// all channels at once must give exactly what one channel at a time gives, and
// the warp error must equal a plain per-channel reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../src/core/random.js';
import type { Image } from '../src/core/types.js';
import { at3, warpError, type Flow } from '../src/interpolate/raster.js';

function noise(w: number, h: number, seed: number, channels: 1 | 3 = 3): Image {
  const r = rng(seed), data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, channels, data };
}

function plane(img: Image, k: number): Image {
  const data = new Uint8Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i * 3 + k];
  return { width: img.width, height: img.height, channels: 1, data };
}

/** Textbook clamped bilinear sample of channel k, one channel at a time. */
function reference(img: Image, x: number, y: number, k: number): number {
  const w = img.width, h = img.height, c = img.channels, d = img.data;
  x = Math.min(w - 1, Math.max(0, x));
  y = Math.min(h - 1, Math.max(0, y));
  const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1), ax = x - x0, ay = y - y0;
  const top = d[(y0 * w + x0) * c + k] * (1 - ax) + d[(y0 * w + x1) * c + k] * ax;
  const bot = d[(y1 * w + x0) * c + k] * (1 - ax) + d[(y1 * w + x1) * c + k] * ax;
  return top * (1 - ay) + bot * ay;
}

test('at3 gives every channel of the textbook bilinear sample, inside, on and past the border, for 3- and 1-channel images', () => {
  const img = noise(37, 23, 5), planes = [0, 1, 2].map((k) => plane(img, k)), r = rng(9);
  const got = new Float64Array(3), one = new Float64Array(1);
  for (let k = 0; k < 5000; k++) {
    let x = r() * 50 - 6, y = r() * 36 - 6;
    if (k % 7 === 0) x = Math.round(x);
    if (k % 11 === 0) y = k % 2 ? 22 : 0;
    at3(img, x, y, got);
    for (let c = 0; c < 3; c++) {
      assert.equal(got[c], reference(img, x, y, c), `channel ${c} at (${x}, ${y})`);
      at3(planes[c], x, y, one);
      assert.equal(one[0], got[c], `1-channel plane ${c} at (${x}, ${y})`);
    }
  }
  at3(img, -5, 40, got);
  assert.deepEqual([...got], [...img.data.slice(22 * 37 * 3, 22 * 37 * 3 + 3)], 'past the corner: the corner pixel');
});

test('warpError equals the mean per-channel |A - bilinear B| for flows that leave the frame', () => {
  const w = 41, h = 29, a = noise(w, h, 1), b = noise(w, h, 2), r = rng(3);
  const f: Flow = { width: w, height: h, data: new Float32Array(w * h * 2).map(() => r() * 30 - 15) };
  const e = warpError(a, b, f);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += Math.abs(a.data[i * 3 + k] - reference(b, x + f.data[i * 2], y + f.data[i * 2 + 1], k));
      assert.equal(e[i], Math.fround(s / 3), `pixel (${x}, ${y})`);
    }
  }
});

// The WebAssembly SIMD kernels (kernel.wat) against the JavaScript loops they replace, which stay as the reference
// (TOONSCOPE_NO_WASM=1 selects them). The kernels compute in float32 where the JavaScript computes in float64, so
// a byte may round the other way, most often on flat drawn colours whose blend lands exactly on .5 in float64 and
// just off it in float32: the frames must agree to within 2 per byte, with under 2 % of the bytes off at all
// (measured: 0.75 % on the drawn scene here, 0.05 % on two real 720p frames).
import { kernelArena, Arena } from '../src/interpolate/kernel.js';
import { splatBetween } from '../src/interpolate/splat.js';
import { boxBlur, guidedUpsample } from '../src/interpolate/raster.js';
import { bilateralVectors, obmcMix } from '../src/interpolate/obmc.js';
import { flowPair, forwardFlow } from '../src/interpolate/flow.js';
import { withJs } from './fixtures.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';


/** A smooth random flow (sum of a few waves) plus a jump, large enough to push pixels past the border. */
function waveFlow(w: number, h: number, seed: number, amp: number): Flow {
  const r = rng(seed), k = Array.from({ length: 8 }, () => r() * 0.1), d = new Float32Array(w * h * 2);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const jump = x > w / 2 ? amp / 2 : 0;
      d[i * 2] = amp * Math.sin(k[0] * x + k[1] * y) + amp * 0.5 * Math.cos(k[2] * y) + jump;
      d[i * 2 + 1] = amp * Math.cos(k[3] * x - k[4] * y) + amp * 0.3 * Math.sin(k[5] * x) - jump;
    }
  }
  return { width: w, height: h, data: d };
}

function compareBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.equal(got.length, want.length);
  let off = 0, worst = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (d) off++;
    if (d > worst) worst = d;
  }
  assert.ok(worst <= 2, `${what}: a byte differs by ${worst}`);
  assert.ok(off <= got.length * 0.02, `${what}: ${off} of ${got.length} bytes differ`);
}

test('the WebAssembly kernels load on this runtime (Node 20+ has WebAssembly SIMD)', () => {
  assert.ok(kernelArena(), 'kernel.wat compiled and instantiated');
});

test('splatBetween in WebAssembly (pushes, backward sampler, compose) matches the JavaScript reference', () => {
  const w = 173, h = 101;
  for (const [k, t] of [[0, 0.5], [1, 0.25], [2, 0.8]] as const) {
    // Drawn frames and noise frames, smooth flows with a jump, errors over the whole 0..255 range (lean and holes).
    const sc = cartoonScene(w, h, 0.2);
    const a = k === 2 ? noise(w, h, 11) : drawScene(sc, 0), b = k === 2 ? noise(w, h, 12) : drawScene(sc, 1);
    const ab = waveFlow(w, h, 20 + k, 4 + 6 * k), ba = waveFlow(w, h, 30 + k, 4 + 6 * k), r = rng(40 + k);
    const errAb = new Float32Array(w * h).map(() => r() * r() * 120), errBa = new Float32Array(w * h).map(() => r() * r() * 120);
    const opts = k === 1 ? { robust: 0, shrink: 0 } : {};
    const u1 = new Float32Array(w * h), u2 = new Float32Array(w * h);
    const js = withJs(() => splatBetween(a, b, ab, ba, errAb, errBa, t, opts, u1));
    const wasm = splatBetween(a, b, ab, ba, errAb, errBa, t, opts, u2);
    compareBytes(wasm.data, js.data, `case ${k}`);
    let worst = 0;
    for (let i = 0; i < u1.length; i++) worst = Math.max(worst, Math.abs(u1[i] - u2[i]));
    assert.ok(worst < 1e-3, `case ${k}: unsure differs by ${worst}`);
    // The backward sampler alone (backward: 1) exercises its own output path.
    compareBytes(splatBetween(a, b, ab, ba, errAb, errBa, t, { backward: 1 }).data,
      withJs(() => splatBetween(a, b, ab, ba, errAb, errBa, t, { backward: 1 })).data, `case ${k}, backward only`);
  }
});

test('guidedUpsample in WebAssembly matches the JavaScript reference (vectors and errors to float32 precision)', () => {
  const w = 57, h = 33, W = 200, H = 117;
  const small = noise(w, h, 50), big = noise(W, H, 51), flow = waveFlow(w, h, 52, 12), r = rng(53);
  const err = new Float32Array(w * h).map(() => r() * 100);
  const js = withJs(() => guidedUpsample(flow, err, small, big));
  const wasm = guidedUpsample(flow, err, small, big);
  let guided = 0;
  for (let i = 0; i < W * H; i++) {
    for (let c = 0; c < 2; c++) assert.ok(Math.abs(wasm.flow.data[i * 2 + c] - js.flow.data[i * 2 + c]) < 1e-4, `vector at ${i}`);
    assert.ok(Math.abs(wasm.err[i] - js.err[i]) < 1e-3, `error at ${i}`);
    if (err.includes(js.err[i])) guided++;
  }
  assert.ok(guided > W * H * 0.05, `the colour-guided choice was exercised (${guided} pixels)`);
});

test('the block in-between mixed in by WebAssembly (obmcMix) matches obmcBetween and the JavaScript mix', () => {
  const W = 190, H = 107, sc = cartoonScene(W, H, 0.2), a = drawScene(sc, 0), c = drawScene(sc, 1), r = rng(60);
  const step = 8, scale = 0.5, gw = Math.ceil((W * scale) / step) + 1, gh = Math.ceil((H * scale) / step) + 1;
  const grid = { gw, gh, step, v: new Float32Array(gw * gh * 2).map(() => r() * 24 - 12) };
  const mix = new Float32Array(W * H).map(() => (r() < 0.3 ? 0 : r()));
  const base = noise(W, H, 61);
  for (const t of [0.5, 0.3]) {
    const js = { ...base, data: base.data.slice() }, wasm = { ...base, data: base.data.slice() };
    withJs(() => obmcMix(js, a, c, grid, scale, t, mix));
    obmcMix(wasm, a, c, grid, scale, t, mix);
    compareBytes(wasm.data, js.data, `t = ${t}`);
    for (let p = 0; p < W * H; p++) {
      if (mix[p] === 0) for (let k = 0; k < 3; k++) assert.equal(wasm.data[p * 3 + k], base.data[p * 3 + k], 'pixels without mix are untouched');
    }
  }
});

test('forwardFlow (easing speed) gives flowPair\'s forward flow bit for bit', async () => {
  const sc = cartoonScene(224, 126, 0.3), a = drawScene(sc, 0), b = drawScene(sc, 1);
  const full = (await flowPair(a, b)).ab.data, fwd = (await forwardFlow(a, b)).data;
  assert.equal(fwd.length, full.length);
  assert.ok(fwd.some((v) => Math.abs(v) > 1), 'the discs move');
  assert.deepEqual(fwd, full);
});

// The block search's kernel (blockBest) sums in float32 where the JavaScript sums in float64: a near-tie between two
// vectors could go the other way, but on these frames (and on two real 720p pairs, 1881 blocks each) every vector is
// the same.
test('boxBlur in WebAssembly gives the JavaScript values bit for bit, the block search the same vectors', () => {
  const w = 61, h = 37, r = rng(70), src = new Float32Array(w * h).map(() => r() * 255);
  for (const rad of [1, 2, 3, 40]) assert.deepEqual(boxBlur(src, w, h, rad), withJs(() => boxBlur(src, w, h, rad)), `radius ${rad}`);
  const sc = cartoonScene(160, 90, 0.3), a = drawScene(sc, 0), c = drawScene(sc, 1);
  const ab = waveFlow(160, 90, 71, 5), ba = waveFlow(160, 90, 72, 5);
  for (const t of [0.5, 0.3]) {
    const got = bilateralVectors(a, c, ab, ba, t), want = withJs(() => bilateralVectors(a, c, ab, ba, t));
    assert.deepEqual(got.v, want.v, `t = ${t}`);
    assert.ok(got.v.some((x) => Math.abs(x) > 1), 'blocks move');
  }
});

import { localDiff } from '../src/interpolate/still.js';
import { mixOf } from '../src/interpolate/obmc.js';
import { useKernel } from '../src/interpolate/kernel.js';

test('the still difference and the block mix weights in WebAssembly equal the JavaScript loops to the bit', () => {
  const w = 97, h = 61, n = w * h, a = noise(w, h, 51), b = noise(w, h, 52);
  const fast = localDiff(a, b, 2), slow = withJs(() => localDiff(a, b, 2));
  assert.deepEqual(Array.from(fast), Array.from(slow));
  // Weights from their parts, in the arena (mixWeights) and in JavaScript (mixOf), with and without each part.
  const r = rng(53), unsure = new Float32Array(n).map(() => r() * 1.3), torn = new Float32Array(n).map(() => r());
  for (const parts of [{ diff: fast, torn }, { torn }, { diff: fast }, {}]) {
    const want = mixOf({ unsure, ...parts, still: 8, m: 0.5, tw: 0.5 });
    const K = useKernel(24 * n + 4096);
    assert.ok(K);
    try {
      const pu = K.put(unsure), pd = parts.diff ? K.put(parts.diff) : 0, pt = parts.torn ? K.put(parts.torn) : 0, out = K.alloc(4 * n, false);
      K.k.mixWeights(pu, pd, pt, out, n, 8, 0.5, 0.5);
      assert.deepEqual(Array.from(K.f32(out, n)), Array.from(want));
    } finally {
      K.end();
    }
  }
});

test('Arena.put copies a JavaScript array but hands back the offset of a view that lives in an open use', () => {
  const K = useKernel(4096);
  assert.ok(K);
  try {
    const off = K.alloc(64, false), view = K.f32(off, 16);
    assert.equal(K.put(view), off);
    const js = new Float32Array(16).fill(3), copy = K.put(js);
    assert.notEqual(copy, off);
    assert.deepEqual(Array.from(K.f32(copy, 16)), Array.from(js));
  } finally {
    K.end();
  }
});

test('a kernel memory that cannot grow hands the work to the JavaScript loops instead of failing', () => {
  // An engine refusing to grow (out of memory) throws a RangeError from memory.grow.
  const memory = { buffer: new ArrayBuffer(65536), grow: () => { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); } };
  const arena = new Arena({ memory } as unknown as ConstructorParameters<typeof Arena>[0]);
  assert.equal(arena.begin(1 << 20), false, 'no room: the caller takes the JavaScript path');
  assert.equal(arena.begin(1024), true, 'room it already has is still given');
  arena.end();
});
