// Programmatic flat-colour cartoon frames with a known exact in-between:
// outlined discs and a rounded box moving linearly over a flat two-tone
// background. Used by tests and the benchmark (no copyrighted material needed).
import type { Image } from '../core/types.js';

export interface Shape {
  /** Centre at t = 0 and t = 1. */
  from: [number, number];
  to: [number, number];
  radius: number;
  fill: [number, number, number];
}

export interface Scene {
  width: number;
  height: number;
  background: [number, number, number];
  /** Second background colour below the horizon (a flat floor). */
  floor: [number, number, number];
  shapes: Shape[];
  /** Outline width in pixels. */
  line: number;
}

/** A default scene scaled to the image size: two discs moving in opposite directions. */
export function cartoonScene(width: number, height: number, motion = 0.06): Scene {
  const s = Math.min(width, height);
  const d = motion * width;
  return {
    width,
    height,
    background: [120, 180, 230],
    floor: [110, 170, 90],
    line: Math.max(2, Math.round(s / 120)),
    shapes: [
      { from: [0.35 * width - d / 2, 0.5 * height], to: [0.35 * width + d / 2, 0.5 * height], radius: 0.16 * s, fill: [235, 90, 60] },
      { from: [0.7 * width + d / 2, 0.45 * height + d / 4], to: [0.7 * width - d / 2, 0.45 * height - d / 4], radius: 0.1 * s, fill: [250, 215, 70] },
    ],
  };
}

/** Render the scene at time t in [0, 1] (anti-aliased edges by 4x4 supersampling at shape borders). */
export function drawScene(sc: Scene, t: number): Image {
  const { width: w, height: h } = sc;
  const data = new Uint8Array(w * h * 3);
  const centres = sc.shapes.map((s) => [s.from[0] + (s.to[0] - s.from[0]) * t, s.from[1] + (s.to[1] - s.from[1]) * t]);
  const colourAt = (x: number, y: number): [number, number, number] => {
    // Later shapes are in front.
    for (let k = sc.shapes.length - 1; k >= 0; k--) {
      const s = sc.shapes[k];
      const r = Math.hypot(x - centres[k][0], y - centres[k][1]);
      if (r <= s.radius) return r >= s.radius - sc.line ? [20, 20, 25] : s.fill;
    }
    return y < h * 0.62 ? sc.background : sc.floor;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const c0 = colourAt(x + 0.5, y + 0.5);
      // Supersample only near an edge (where the corners disagree).
      const c1 = colourAt(x, y), c2 = colourAt(x + 1, y + 1);
      if (c0 === c1 && c0 === c2) {
        data[o] = c0[0]; data[o + 1] = c0[1]; data[o + 2] = c0[2];
        continue;
      }
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < 4; j++) {
        for (let i = 0; i < 4; i++) {
          const c = colourAt(x + (i + 0.5) / 4, y + (j + 0.5) / 4);
          r += c[0]; g += c[1]; b += c[2];
        }
      }
      data[o] = Math.round(r / 16); data[o + 1] = Math.round(g / 16); data[o + 2] = Math.round(b / 16);
    }
  }
  return { width: w, height: h, channels: 3, data };
}
