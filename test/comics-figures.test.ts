// The ink-figure detector on a drawn page: stick figures (line art), filled
// figures, a speech balloon with text rows and loose caption text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blank } from '../src/core/image.js';
import type { Box, Image } from '../src/core/types.js';
import { analyzeComics } from '../src/comics/index.js';
import { findFigures } from '../src/comics/figures.js';
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
