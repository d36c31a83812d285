// The unrolled per-pixel kernels (speed work, issue 18.3) must give exactly
// what the plain per-channel sampling gives: the in-betweens stay byte-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../src/core/random.js';
import type { Image } from '../src/core/types.js';
import { at, at3 } from '../src/interpolate/splat.js';
import { sample, warpError, type Flow } from '../src/interpolate/raster.js';

function noise(w: number, h: number, seed: number): Image {
  const r = rng(seed), data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, channels: 3, data };
}

test('at3 gives the three values of at(), inside, on and past the border', () => {
  const img = noise(37, 23, 5), r = rng(9), got = new Float64Array(3);
  for (let k = 0; k < 5000; k++) {
    // From well outside the frame to well past it, and exact pixel centres and edges now and then.
    let x = r() * 50 - 6, y = r() * 36 - 6;
    if (k % 7 === 0) x = Math.round(x);
    if (k % 11 === 0) y = k % 2 ? 22 : 0;
    at3(img, x, y, got);
    for (let c = 0; c < 3; c++) assert.equal(got[c], at(img, x, y, c), `channel ${c} at (${x}, ${y})`);
  }
});

test('warpError equals the mean per-channel |A - sample(B)| for flows that leave the frame', () => {
  const w = 41, h = 29, a = noise(w, h, 1), b = noise(w, h, 2), r = rng(3);
  const f: Flow = { width: w, height: h, data: new Float32Array(w * h * 2).map(() => r() * 30 - 15) };
  const e = warpError(a, b, f);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += Math.abs(a.data[i * 3 + k] - sample(b, x + f.data[i * 2], y + f.data[i * 2 + 1], k));
      assert.equal(e[i], Math.fround(s / 3), `pixel (${x}, ${y})`);
    }
  }
});
