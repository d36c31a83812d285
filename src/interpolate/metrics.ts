// Image quality against a truth frame: PSNR over RGB, SSIM on luma
// (Gaussian window, sigma 1.5, the usual constants of Wang et al. 2004), and
// specks: the isolated wrong pixels torn flow leaves, which PSNR barely sees.
import { ToonscopeError } from '../core/errors.js';
import { toChannels } from '../core/image.js';
import type { Image } from '../core/types.js';

function same(a: Image, b: Image): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new ToonscopeError(undefined, `cannot compare ${a.width}x${a.height} with ${b.width}x${b.height}`);
  }
}

/** Peak signal-to-noise ratio in dB over the RGB channels (capped at 100 for identical images). */
export function psnr(a: Image, b: Image): number {
  same(a, b);
  const A = toChannels(a, 3).data, B = toChannels(b, 3).data;
  let se = 0;
  for (let i = 0; i < A.length; i++) {
    const d = A[i] - B[i];
    se += d * d;
  }
  const mse = se / A.length;
  return mse === 0 ? 100 : 10 * Math.log10((255 * 255) / mse);
}

function gaussBlur(src: Float32Array, w: number, h: number): Float32Array {
  const r = 5, sigma = 1.5;
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) acc += k[j + r] * src[y * w + Math.min(w - 1, Math.max(0, x + j))];
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) acc += k[j + r] * tmp[Math.min(h - 1, Math.max(0, y + j)) * w + x];
      out[y * w + x] = acc;
    }
  }
  return out;
}

/** Mean structural similarity on luma (1 = identical). */
export function ssim(a: Image, b: Image): number {
  same(a, b);
  const w = a.width, h = a.height, n = w * h;
  const A = toChannels(a, 1).data, B = toChannels(b, 1).data;
  const x = new Float32Array(n), y = new Float32Array(n), xx = new Float32Array(n), yy = new Float32Array(n), xy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = A[i]; y[i] = B[i];
    xx[i] = A[i] * A[i]; yy[i] = B[i] * B[i]; xy[i] = A[i] * B[i];
  }
  const mx = gaussBlur(x, w, h), my = gaussBlur(y, w, h);
  const sxx = gaussBlur(xx, w, h), syy = gaussBlur(yy, w, h), sxy = gaussBlur(xy, w, h);
  const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return sum / n;
}

/**
 * Specks per 10,000 pixels: pixels over 30 (luma) away from the median of their 3x3 neighbourhood where the
 * truth's pixel is within 10 of its own, i.e. isolated dots and torn strips the truth does not have.
 */
export function specks(a: Image, truth: Image): number {
  same(a, truth);
  const w = a.width, h = a.height, A = toChannels(a, 1).data, T = toChannels(truth, 1).data, v = new Uint8Array(9);
  const med = (d: Uint8Array, x: number, y: number) => {
    let k = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) v[k++] = d[(y + dy) * w + x + dx];
    return v.sort()[4];
  };
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      if (Math.abs(A[y * w + x] - med(A, x, y)) > 30 && Math.abs(T[y * w + x] - med(T, x, y)) <= 10) n++;
    }
  }
  return (n * 1e4) / (w * h);
}
