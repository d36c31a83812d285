// Face-body pairing: each face goes with at most one body and vice versa,
// chosen by an optimal assignment on a plausibility score (the face lies
// inside the body box, near its top, and is smaller than it).
import type { Box, Detection } from '../core/types.js';
import { boxArea, intersection } from './geometry.js';
import { assign } from './hungarian.js';

export interface Pair {
  face?: Detection;
  body?: Detection;
  /** Union of the paired boxes (the body box when the face lies inside it). */
  box: Box;
  score: number;
}

const clamp = (v: number) => Math.max(0, Math.min(1, v));

/** How plausible it is that `face` is the face of `body` (0..1). */
export function pairScore(face: Box, body: Box): number {
  const inside = intersection(face, body) / Math.max(1, boxArea(face));
  if (inside < 0.5) return 0;
  const rx = (face[0] + face[2] / 2 - body[0]) / Math.max(1, body[2]);
  const ry = (face[1] + face[3] / 2 - body[1]) / Math.max(1, body[3]);
  // Full marks in the top 40% of the body, none below 75%.
  const top = clamp((0.75 - ry) / 0.35);
  // Faces sit roughly above the body's middle; allow a quarter each side.
  const mid = clamp(1 - Math.max(0, Math.abs(rx - 0.5) - 0.25) * 4);
  // A face as large as its body is more likely a close-up with a wrong body box.
  const size = boxArea(face) <= 0.6 * boxArea(body) ? 1 : 0.3;
  return inside * top * mid * size;
}

function union(a: Box, b: Box): Box {
  const x0 = Math.min(a[0], b[0]), y0 = Math.min(a[1], b[1]);
  const x1 = Math.max(a[0] + a[2], b[0] + b[2]), y1 = Math.max(a[1] + a[3], b[1] + b[3]);
  return [x0, y0, x1 - x0, y1 - y0];
}

/** Pair faces with bodies (detections of one panel); unpaired ones come back alone. */
export function pairFacesBodies(faces: Detection[], bodies: Detection[], minScore = 0.2): Pair[] {
  const score = faces.map((f) => bodies.map((b) => pairScore(f.box, b.box)));
  const match = assign(score.map((row) => row.map((s) => 1 - s)));
  const out: Pair[] = [];
  const usedBody = new Set<number>();
  faces.forEach((f, i) => {
    const j = match[i];
    if (j >= 0 && score[i][j] >= minScore) {
      usedBody.add(j);
      out.push({ face: f, body: bodies[j], box: union(f.box, bodies[j].box), score: score[i][j] });
    } else out.push({ face: f, box: f.box, score: 0 });
  });
  bodies.forEach((b, j) => {
    if (!usedBody.has(j)) out.push({ body: b, box: b.box, score: 0 });
  });
  return out;
}
