// Benchmark: seconds per 1280x720 frame for character detection (anime-face
// cascade) + segmentation (GrabCut, 3 characters), and the per-frame cost of
// carrying masks by optical flow between keyframes. Drawn frames, so it runs
// anywhere; the cascade finds no anime faces in them, so segmentation is
// seeded with the drawn face boxes (the cascade still scans the whole frame).
import { drawScene } from '../src/characters/synthetic.js';
import { CascadeFaces } from '../src/characters/cascade.js';
import { GrabCutBodies } from '../src/characters/grabcut.js';
import { opencv } from '../src/core/opencv.js';
import { carry, flow, grayOf, shrink } from '../src/characters/video.js';
import { resize } from '../src/core/image.js';
import type { Detection } from '../src/core/types.js';

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function time(fn: () => Promise<unknown>, runs = 3): Promise<number> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

export async function benchCharacters(): Promise<Record<string, number | string>> {
  const t0 = performance.now();
  await opencv();
  const load = (performance.now() - t0) / 1000;
  const figs = [{ cx: 250, top: 120, face: 80 }, { cx: 640, top: 90, face: 90, dress: [40, 90, 200] as [number, number, number] }, { cx: 1010, top: 140, face: 75, hair: [230, 200, 60] as [number, number, number] }];
  const sc = drawScene(1280, 720, figs, 3);
  const faces: Detection[] = sc.faces.map((box) => ({ frame: 0, box, score: 1, label: 'face' }));
  const cascade = new CascadeFaces();
  const grabcut = new GrabCutBodies();
  const face = await time(() => cascade.detect(sc.image, []));
  const seg = await time(() => grabcut.detect(sc.image, faces));
  const bodies = await grabcut.detect(sc.image, faces);
  // Video path: analysis at 640x360, flow at 320x180 between consecutive frames.
  const next = drawScene(1280, 720, figs.map((f) => ({ ...f, cx: f.cx + 10 })), 3);
  const [a, b] = await Promise.all([resize(sc.image, 640, 360), resize(next.image, 640, 360)]);
  const ga = shrink(grayOf(a), 2), gb = shrink(grayOf(b), 2);
  const cv = await opencv();
  const small = bodies.map((d) => ({ body: { ...d, box: d.box.map((v) => v / 2) as Detection['box'], mask: undefined } }));
  const carryS = await time(async () => carry(small, flow(cv, ga, gb), ga.width, ga.height, 2, 640, 360, 1), 5);
  const keyFace = await time(() => cascade.detect(a, []));
  const keySeg = await time(() => grabcut.detect(a, faces.map((f) => ({ ...f, box: f.box.map((v) => v / 2) as Detection['box'] }))));
  cascade.dispose();
  // Default video settings: 8 analysed frames/s, a keyframe every 2 s (cuts add more).
  const perMin = 30 * (keyFace + keySeg) + (480 - 30) * carryS;
  return {
    characters_detect_segment_720p_s: +(face + seg).toFixed(3),
    characters_face_cascade_720p_s: +face.toFixed(3),
    characters_grabcut_3chars_720p_s: +seg.toFixed(3),
    characters_flow_carry_frame_s: +carryS.toFixed(4),
    characters_video_s_per_min_estimate: +perMin.toFixed(1),
    characters_opencv_load_s: +load.toFixed(3),
  };
}
