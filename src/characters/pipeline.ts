// Runs a chain of backends on one frame and groups their detections into
// characters: each body with the face that lies on it.
import type { Detection, Image } from '../core/types.js';
import type { Character, CharacterDetector } from './types.js';

/** Run `chain` in order (each backend sees the detections so far) and pair faces with bodies. */
export async function detectCharacters(frame: Image, chain: CharacterDetector[], frameIndex = 0): Promise<Character[]> {
  const all: Detection[] = [];
  for (const d of chain) all.push(...(await d.detect(frame, all, frameIndex)));
  return group(all);
}

/** How much of a face box lies on a body's mask (or box when it has no mask), 0..1. */
export function cover(face: Detection, body: Detection): number {
  const [fx, fy, fw, fh] = face.box.map(Math.round);
  const [bx, by, bw, bh] = body.box.map(Math.round);
  let on = 0, n = 0;
  const step = Math.max(1, Math.floor(Math.min(fw, fh) / 12));
  for (let y = fy; y < fy + fh; y += step) {
    for (let x = fx; x < fx + fw; x += step) {
      n++;
      const mx = x - bx, my = y - by;
      if (mx < 0 || my < 0 || mx >= bw || my >= bh) continue;
      if (!body.mask || body.mask.data[my * body.mask.width + mx]) on++;
    }
  }
  return n ? on / n : 0;
}

/** Pair each face with the body it covers most (at least 30%); unpaired faces become face-only characters. */
export function group(all: Detection[]): Character[] {
  const bodies = all.filter((d) => d.label === 'body');
  const faces = all.filter((d) => d.label === 'face');
  const chars: Character[] = bodies.map((body) => ({ body }));
  const pairs: Array<[number, number, number]> = [];
  faces.forEach((f, i) => bodies.forEach((b, j) => pairs.push([cover(f, b), i, j])));
  pairs.sort((a, b) => b[0] - a[0]);
  const used = new Set<number>();
  for (const [c, i, j] of pairs) {
    if (c < 0.3 || used.has(i) || chars[j].face) continue;
    chars[j].face = faces[i];
    used.add(i);
  }
  faces.forEach((f, i) => {
    if (!used.has(i)) chars.push({ face: f });
  });
  return chars;
}
