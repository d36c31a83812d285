// The ink-figure detector on a drawn page: stick figures (line art), filled
// figures, a speech balloon with text rows and loose caption text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blank } from '../src/core/image.js';
import type { Box, Image } from '../src/core/types.js';
import { analyzeComics } from '../src/comics/index.js';
import { dilate, findFigures } from '../src/comics/figures.js';
import { components } from '../src/comics/components.js';
import { distance, features } from '../src/comics/identity.js';
import { fillPolygon, strokePolygon } from '../src/comics/raster.js';
import type { Point } from '../src/comics/geometry.js';

type RGB = [number, number, number];
const K: RGB = [20, 20, 20];
const rect = (x: number, y: number, w: number, h: number): Point[] => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
const line = (img: Image, a: Point, b: Point, t = 3) => strokePolygon(img, [a, b], t, K);
const circle = (cx: number, cy: number, r: number): Point[] => Array.from({ length: 24 }, (_, i) => [cx + r * Math.cos((i * Math.PI) / 12), cy + r * Math.sin((i * Math.PI) / 12)] as Point);

/** A stick figure standing at (x, y) = top of the head; 120 px tall. Returns its box. */
function stick(img: Image, x: number, y: number): Box {
  strokePolygon(img, circle(x, y + 14, 14), 3, K);
  line(img, [x, y + 28], [x, y + 80]);
  line(img, [x, y + 40], [x - 25, y + 65]);
  line(img, [x, y + 40], [x + 25, y + 65]);
  line(img, [x, y + 80], [x - 20, y + 120]);
  line(img, [x, y + 80], [x + 20, y + 120]);
  return [x - 26, y - 1, 52, 123];
}

/** Filled figure: round head over a coloured body. */
function filled(img: Image, x: number, y: number, col: RGB): Box {
  fillPolygon(img, circle(x, y + 18, 18), [240, 200, 170]);
  fillPolygon(img, rect(x - 25, y + 36, 50, 70), col);
  fillPolygon(img, rect(x - 20, y + 106, 14, 30), [40, 40, 120]);
  fillPolygon(img, rect(x + 6, y + 106, 14, 30), [40, 40, 120]);
  return [x - 25, y, 50, 136];
}

/** Rows of glyph-sized blobs, like lettering. */
function text(img: Image, x: number, y: number, rows: number, cols: number) {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) fillPolygon(img, rect(x + c * 11, y + r * 16, 7, 10), K);
}

function page() {
  const img = blank(640, 300, [255, 255, 255]);
  const truth: Box[] = [];
  // Panel 1: line art, two stick figures and a caption.
  strokePolygon(img, rect(20, 20, 290, 260), 4, K);
  text(img, 40, 40, 2, 12);
  truth.push(stick(img, 90, 130), stick(img, 220, 130));
  // Panel 2: coloured background, two filled figures and a speech balloon.
  fillPolygon(img, rect(330, 20, 290, 260), [150, 200, 240]);
  strokePolygon(img, rect(330, 20, 290, 260), 4, K);
  fillPolygon(img, circle(470, 70, 1).map(([x, y]) => [470 + (x - 470) * 90, 70 + (y - 70) * 35] as Point), [255, 255, 255]);
  strokePolygon(img, circle(470, 70, 1).map(([x, y]) => [470 + (x - 470) * 90, 70 + (y - 70) * 35] as Point), 3, K);
  text(img, 415, 55, 2, 10);
  truth.push(filled(img, 410, 125, [220, 60, 60]), filled(img, 540, 125, [60, 170, 60]));
  return { img, truth };
}

const iou = (a: Box, b: Box) => {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]), h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? (w * h) / (a[2] * a[3] + b[2] * b[3] - w * h) : 0;
};

test('findFigures finds stick and filled figures, not text or balloons', async () => {
  const { img, truth } = page();
  const res = await analyzeComics([{ name: 'p', image: img }], { detect: async (i) => findFigures(i) });
  const chars = res.pages[0].characters;
  assert.equal(res.pages[0].panels.length, 2);
  assert.equal(chars.length, 4, `found ${JSON.stringify(chars.map((c) => c.body?.box))}`);
  for (const t of truth) {
    const best = Math.max(...chars.map((c) => (c.body ? iou(c.body.box, t) : 0)));
    assert.ok(best >= 0.7, `figure ${t} best IoU ${best.toFixed(2)}`);
  }
  // Every figure has a face at its top, paired with it.
  for (const c of chars) {
    assert.ok(c.face && c.body, 'face paired with body');
    assert.ok(c.face.box[1] - c.body.box[1] < 0.2 * c.body.box[3], 'face at the top');
  }
  // The two stick figures look alike; the filled ones differ in colour: the filled ones are two identities.
  const p2 = chars.filter((c) => c.panel === 1);
  assert.notEqual(p2[0].identity, p2[1].identity);
});

test('findFigures finds nothing on a panel of text alone', () => {
  const img = blank(300, 200, [255, 255, 255]);
  text(img, 30, 40, 5, 20);
  assert.equal(findFigures(img).filter((d) => d.label === 'body').length, 0);
});

test('line art: round empty heads anchor figures; tails, lettering holes and a lone ball are not characters', () => {
  const img = blank(420, 320, [255, 255, 255]);
  // Lettering across the top of the panel, inside the ring the background colour is read from: black strokes
  // there must not be taken for background (that would erase the drawing).
  for (let r = 0; r < 2; r++) for (let c = 0; c < 36; c++) strokePolygon(img, rect(14 + c * 11, 12 + r * 16, 6, 10), 2, K);
  // Handwritten words whose round letters touch: holes as round and empty as a head's.
  for (let i = 0; i < 8; i++) strokePolygon(img, circle(60 + i * 17, 75, 9), 3, K);
  // A ball: a round outline with nothing under it.
  strokePolygon(img, circle(370, 120, 13), 3, K);
  const truth = [stick(img, 120, 170), stick(img, 260, 170)];
  // Balloon tails from the lettering down to the heads.
  line(img, [150, 100], [125, 168], 2);
  line(img, [230, 100], [255, 168], 2);
  const found = findFigures(img);
  const bodies = found.filter((d) => d.label === 'body'), faces = found.filter((d) => d.label === 'face');
  assert.equal(bodies.length, 2, `bodies ${JSON.stringify(bodies.map((b) => b.box))}`);
  for (const t of truth) {
    assert.ok(Math.max(...bodies.map((b) => iou(b.box, t))) >= 0.75, `figure ${t}: ${JSON.stringify(bodies.map((b) => b.box))}`);
    const head: Box = [t[0] + 26 - 15, t[1], 31, 31];
    const f = faces.find((d) => iou(d.box, head) >= 0.6);
    assert.ok(f && f.score >= 0.6, `head of ${t} found as a face: ${JSON.stringify(faces.map((d) => d.box))}`);
  }
});

/** A stick figure of height 120 * s at (x, y) = top of the head; `top` draws on the head: hair (a solid cap over
 * the top 30% of the circle) or a hat (a block and brim above it). Returns the head box. */
function person(img: Image, x: number, y: number, s: number, top: 'bald' | 'hair' | 'hat'): Box {
  const r = 14 * s, t = Math.max(2, Math.round(3 * s)), cy = y + r;
  strokePolygon(img, circle(x, cy, r), t, K);
  line(img, [x, y + 2 * r], [x, y + 80 * s], t);
  line(img, [x, y + 40 * s], [x - 25 * s, y + 65 * s], t);
  line(img, [x, y + 40 * s], [x + 25 * s, y + 65 * s], t);
  line(img, [x, y + 80 * s], [x - 20 * s, y + 120 * s], t);
  line(img, [x, y + 80 * s], [x + 20 * s, y + 120 * s], t);
  if (top === 'hair') {
    const cap = circle(x, cy, r).filter(([, py]) => py <= cy - 0.4 * r);
    fillPolygon(img, [[x - Math.sqrt(1 - 0.16) * r, cy - 0.4 * r], ...cap.sort((a, b) => a[0] - b[0]), [x + Math.sqrt(1 - 0.16) * r, cy - 0.4 * r]], K);
    return [x - r, y, 2 * r, 2 * r];
  }
  if (top === 'hat') {
    fillPolygon(img, rect(x - 0.7 * r, y - 0.8 * r, 1.4 * r, 0.9 * r), K);
    line(img, [x - 1.1 * r, y + 0.1 * r], [x + 1.1 * r, y + 0.1 * r], t);
    return [x - 1.1 * r, y - 0.8 * r, 2.2 * r, 2.8 * r];
  }
  return [x - r, y, 2 * r, 2 * r];
}

test('line art: the face box takes in hair and a hat on the head, not a balloon tail touching it', () => {
  const img = blank(460, 260, [255, 255, 255]);
  const heads = [person(img, 80, 70, 1, 'bald'), person(img, 210, 70, 1, 'hair'), person(img, 340, 70, 1, 'hat')];
  line(img, [60, 10], [78, 69], 2); // a tail ending on the bald head's top
  const faces = findFigures(img).filter((d) => d.label === 'face');
  assert.equal(faces.length, 3, JSON.stringify(faces.map((f) => f.box)));
  for (const h of heads) {
    const f = faces.find((d) => iou(d.box, h) >= 0.6);
    assert.ok(f, `head ${h}: faces ${JSON.stringify(faces.map((d) => d.box))}`);
    assert.ok(Math.abs(f.box[1] - h[1]) <= 4, `face top ${f.box[1]} vs head top ${h[1]}`);
  }
});

test('identity: bald and long-haired stick figures stay apart across panels and sizes (the ink is black on both)', async () => {
  const img = blank(760, 330, [255, 255, 255]);
  strokePolygon(img, rect(20, 20, 300, 290), 4, K);
  strokePolygon(img, rect(340, 20, 400, 290), 4, K);
  person(img, 100, 110, 1, 'bald');
  person(img, 230, 110, 1, 'hair');
  person(img, 450, 70, 1.6, 'bald'); // bigger
  person(img, 620, 70, 1.6, 'hair');
  const res = await analyzeComics([{ name: 'p', image: img }], { detect: async (i) => findFigures(i) });
  const chars = res.pages[0].characters;
  assert.equal(chars.length, 4, JSON.stringify(chars.map((c) => c.body?.box)));
  const at = (x: number) => chars.find((c) => c.box[0] <= x && x <= c.box[0] + c.box[2])!;
  assert.equal(at(100).identity, at(450).identity, 'bald in both panels');
  assert.equal(at(230).identity, at(620).identity, 'hair in both panels');
  assert.notEqual(at(100).identity, at(230).identity);
  // Not by a hair's breadth of anti-aliasing: the head's solid share sets them clearly apart.
  const det = (box: Box, label: string) => ({ frame: 0, box, score: 1, label });
  const f = (x: number) => { const c = at(x); return features(img, { face: det(c.face!.box, 'face'), body: det(c.body!.box, 'body') }); };
  assert.ok(distance(f(100), f(620)) > distance(f(100), f(450)) + 0.05, `bald-hair ${distance(f(100), f(620)).toFixed(3)} vs bald-bald ${distance(f(100), f(450)).toFixed(3)}`);
});

test('a speech balloon is erased by its shape: a head just below its corner keeps its top', () => {
  const img = blank(400, 300, [150, 200, 240]);
  const ell = circle(200, 70, 1).map(([x, y]) => [200 + (x - 200) * 110, 70 + (y - 70) * 40] as Point);
  fillPolygon(img, ell, [255, 255, 255]);
  strokePolygon(img, ell, 3, K);
  text(img, 130, 55, 2, 12);
  // The head's top is inside the balloon's box (x 90-310, y 30-110), beside the ellipse.
  const truth = filled(img, 110, 95, [220, 60, 60]);
  const bodies = findFigures(img).filter((d) => d.label === 'body');
  const best = bodies.reduce((a, b) => (iou(b.box, truth) > iou(a.box, truth) ? b : a), bodies[0]);
  assert.ok(best && iou(best.box, truth) >= 0.8, `figure ${truth}: ${JSON.stringify(bodies.map((b) => b.box))}`);
  assert.ok(Math.abs(best.box[1] - truth[1]) <= 3, `figure top ${best.box[1]} vs ${truth[1]}`);
});

test('filled art: a figure touching a tree by a thin strand is cut from it; its own neck is not cut', () => {
  const img = blank(460, 320, [160, 210, 240]);
  const truth = filled(img, 130, 120, [220, 60, 60]);
  // A tree: a green canopy on a brown trunk, and a strand of the figure's hair reaching into the canopy.
  fillPolygon(img, rect(292, 150, 16, 120), [120, 80, 40]);
  fillPolygon(img, circle(300, 110, 1).map(([x, y]) => [300 + (x - 300) * 60, 110 + (y - 110) * 60] as Point), [60, 170, 60]);
  line(img, [145, 126], [245, 110], 3);
  // A figure whose big head (too big to pass for a stray part) sits on a thin neck, which eroding also cuts.
  fillPolygon(img, circle(50, 148, 28), [240, 200, 170]);
  fillPolygon(img, rect(47, 174, 6, 14), [240, 200, 170]);
  fillPolygon(img, rect(25, 186, 50, 90), [60, 60, 200]);
  const necked: Box = [22, 120, 56, 156];
  const bodies = findFigures(img).filter((d) => d.label === 'body');
  const best = Math.max(...bodies.map((b) => iou(b.box, truth)));
  assert.ok(best >= 0.6, `figure ${truth}: ${JSON.stringify(bodies.map((b) => b.box))}`);
  // A head over its body is one figure, not two pieces.
  assert.ok(bodies.some((b) => iou(b.box, necked) >= 0.8), `necked ${necked}: ${JSON.stringify(bodies.map((b) => b.box))}`);
});

test('filled art: the face guess is the ink above the neck, without arms spread at shoulder height', () => {
  const img = blank(300, 320, [150, 200, 240]);
  // Five heads tall: head, neck, torso with arms spread at shoulder height, legs.
  fillPolygon(img, circle(150, 80, 20), [240, 200, 170]);
  fillPolygon(img, rect(146, 99, 8, 6), [240, 200, 170]);
  fillPolygon(img, rect(125, 104, 50, 70), [220, 60, 60]);
  fillPolygon(img, rect(60, 106, 180, 9), [220, 60, 60]);
  fillPolygon(img, rect(128, 174, 16, 86), [40, 40, 120]);
  fillPolygon(img, rect(156, 174, 16, 86), [40, 40, 120]);
  const faces = findFigures(img).filter((d) => d.label === 'face');
  const headBox: Box = [130, 60, 41, 41];
  assert.ok(faces.some((f) => iou(f.box, headBox) >= 0.5), `head ${headBox}: ${JSON.stringify(faces.map((f) => f.box))}`);
});

/** Reference labelling, pixel by pixel (flood fill from each unlabelled pixel in raster order). */
function floodLabels(data: Uint8Array, w: number, h: number, ink: boolean, eight: boolean) {
  const labels = new Int32Array(w * h);
  const comps: { label: number; x0: number; y0: number; x1: number; y1: number; area: number }[] = [];
  const steps = eight ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]] : [[0, -1], [-1, 0], [1, 0], [0, 1]];
  for (let s = 0; s < w * h; s++) {
    if (Boolean(data[s]) !== ink || labels[s]) continue;
    const c = { label: comps.length + 1, x0: w, y0: h, x1: -1, y1: -1, area: 0 };
    comps.push(c);
    labels[s] = c.label;
    const stack = [s];
    while (stack.length) {
      const i = stack.pop()!, x = i % w, y = (i - x) / w;
      c.area++; c.x0 = Math.min(c.x0, x); c.x1 = Math.max(c.x1, x); c.y0 = Math.min(c.y0, y); c.y1 = Math.max(c.y1, y);
      for (const [dx, dy] of steps) {
        const nx = x + dx, ny = y + dy, j = ny * w + nx;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h || labels[j] || Boolean(data[j]) !== ink) continue;
        labels[j] = c.label;
        stack.push(j);
      }
    }
  }
  return { labels, comps };
}

test('run labelling numbers components, boxes and areas exactly as a pixel flood fill (8-connected ink, 4-connected paper)', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const [w, h, density] of [[37, 23, 0.3], [64, 48, 0.5], [50, 50, 0.7], [1, 9, 0.5], [9, 1, 0.5]] as const) {
    const data = new Uint8Array(w * h).map(() => (rand() < density ? (rand() < 0.5 ? 1 : 255) : 0));
    for (const [ink, eight] of [[true, true], [false, false], [true, false], [false, true]]) {
      const got = components({ width: w, height: h, data }, ink, eight), want = floodLabels(data, w, h, ink, eight);
      assert.deepEqual([...got.labels], [...want.labels], `${w}x${h} ink=${ink} eight=${eight}`);
      assert.deepEqual(got.components, want.comps, `${w}x${h} ink=${ink} eight=${eight}`);
    }
    assert.ok(components({ width: w, height: h, data }, true, true).components.length > 0);
  }
});

test('dilation by row runs and column counts sets exactly the pixels within r (square window) of some ink', () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const [w, h, density, r] of [[40, 30, 0.02, 3], [33, 47, 0.1, 1], [20, 20, 0.01, 7], [5, 50, 0.05, 2], [25, 3, 0.1, 4]] as const) {
    const data = new Uint8Array(w * h).map(() => (rand() < density ? 1 : 0));
    const got = dilate({ width: w, height: h, data }, r);
    const want = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
        const nx = x + dx, ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h && data[ny * w + nx]) want[y * w + x] = 1;
      }
    }
    assert.deepEqual([...got.data], [...want], `${w}x${h} r=${r}`);
    assert.ok(want.some((v) => v) && want.some((v) => !v), `${w}x${h}: the case tests something`);
  }
});
