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
