// Programmatic cartoon scenes with exact truth, for tests and the benchmark:
// flat-coloured figures (hair, skin face with eyes, dress, arms, dark outline)
// over a textured background. Nothing here comes from real artwork.
import type { Box, Image } from '../core/types.js';
import { rng } from './truth.js';

export interface Figure {
  /** Face centre x, face top y, face width in pixels. */
  cx: number;
  top: number;
  face: number;
  dress?: [number, number, number];
  hair?: [number, number, number];
}

export interface Scene {
  image: Image;
  /** Full-frame 0/255 masks, one per figure (later figures occlude earlier ones). */
  masks: Image[];
  /** Face boxes (skin ellipse bounds, brow to chin). */
  faces: Box[];
}

type RGB = [number, number, number];

function background(w: number, h: number, seed: number): Image {
  const r = rng(seed);
  const data = new Uint8Array(w * h * 3);
  const horizon = Math.round(h * (0.55 + r() * 0.1));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (y < horizon) data.set([120 + (y * 80) / horizon, 170 + (y * 50) / horizon, 235], o);
      else data.set([90 + ((x * 7 + y * 3) % 23), 150 + ((x * 5 + y * 11) % 29), 80], o);
    }
  }
  // Blobs of random colour: clutter the colour model must cope with.
  for (let k = 0; k < 14; k++) {
    const bx = r() * w, by = r() * h, rad = (0.03 + r() * 0.06) * h;
    const c: RGB = [Math.floor(r() * 255), Math.floor(r() * 255), Math.floor(r() * 255)];
    for (let y = Math.max(0, Math.floor(by - rad)); y < Math.min(h, by + rad); y++) {
      for (let x = Math.max(0, Math.floor(bx - rad)); x < Math.min(w, bx + rad); x++) {
        if ((x - bx) ** 2 + (y - by) ** 2 < rad * rad) data.set(c, (y * w + x) * 3);
      }
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** Draw figures over a seeded background. */
export function drawScene(width: number, height: number, figures: Figure[], seed = 1): Scene {
  const image = background(width, height, seed);
  const masks: Image[] = [];
  const faces: Box[] = [];
  const W = width, H = height;
  for (const f of figures) {
    const s = f.face;
    const fy = f.top + 0.55 * s; // face ellipse centre
    const colour = new Uint8Array(W * H * 3);
    const on = new Uint8Array(W * H);
    const paint = (test: (x: number, y: number) => boolean, c: RGB, x0: number, y0: number, x1: number, y1: number) => {
      for (let y = Math.max(0, Math.floor(y0)); y < Math.min(H, Math.ceil(y1)); y++) {
        for (let x = Math.max(0, Math.floor(x0)); x < Math.min(W, Math.ceil(x1)); x++) {
          if (!test(x, y)) continue;
          on[y * W + x] = 1;
          colour.set(c, (y * W + x) * 3);
        }
      }
    };
    const ell = (cx: number, cy: number, rx: number, ry: number, c: RGB) => paint((x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1, c, cx - rx, cy - ry, cx + rx + 1, cy + ry + 1);
    const dress = f.dress ?? [200, 40, 60];
    const hair = f.hair ?? [70, 40, 30];
    // Back hair, dress (trapezoid), arms, then face and fringe on top.
    paint(() => true, hair, f.cx - 0.75 * s, fy - 0.3 * s, f.cx + 0.75 * s, fy + 1.6 * s);
    const t0 = f.top + 1.15 * s, t1 = f.top + 6.5 * s;
    paint((x, y) => Math.abs(x - f.cx) <= 0.6 * s + ((y - t0) / (t1 - t0)) * 0.7 * s, dress, f.cx - 1.4 * s, t0, f.cx + 1.4 * s, t1);
    paint(() => true, [250, 220, 195], f.cx - 0.95 * s, t0 + 0.2 * s, f.cx - 0.7 * s, t0 + 2.6 * s);
    paint(() => true, [250, 220, 195], f.cx + 0.7 * s, t0 + 0.2 * s, f.cx + 0.95 * s, t0 + 2.6 * s);
    paint(() => true, [250, 220, 195], f.cx - 0.15 * s, fy + 0.45 * s, f.cx + 0.15 * s, t0 + 0.1 * s);
    ell(f.cx, fy - 0.45 * s, 0.7 * s, 0.45 * s, hair);
    ell(f.cx, fy, 0.5 * s, 0.55 * s, [252, 226, 205]);
    ell(f.cx - 0.2 * s, fy, 0.09 * s, 0.14 * s, [40, 60, 160]);
    ell(f.cx + 0.2 * s, fy, 0.09 * s, 0.14 * s, [40, 60, 160]);
    paint(() => true, hair, f.cx - 0.5 * s, fy - 0.55 * s, f.cx + 0.5 * s, fy - 0.35 * s);
    // A dark outline, as cel art has: the outer ring of the silhouette.
    const t = Math.max(1, Math.round(s / 30));
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (!on[i]) continue;
        mask[i] = 255;
        let edge = false;
        for (let d = 1; d <= t && !edge; d++) edge = x < d || y < d || x >= W - d || y >= H - d || !on[i - d] || !on[i + d] || !on[i - d * W] || !on[i + d * W];
        image.data.set(edge && x > 0 && y > 0 && x < W - 1 && y < H - 1 ? [25, 20, 30] : colour.subarray(i * 3, i * 3 + 3), i * 3);
      }
    }
    for (const m of masks) for (let i = 0; i < mask.length; i++) if (mask[i]) m.data[i] = 0;
    masks.push({ width: W, height: H, channels: 1, data: mask });
    faces.push([f.cx - 0.5 * s, fy - 0.55 * s, s, 1.1 * s]);
  }
  return { image, masks, faces };
}
