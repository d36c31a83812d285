// Panel extraction on programmatically drawn pages: framed, slanted, frameless,
// dark gutters, insets; reading order LTR and RTL; evaluation matching; CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blank, writeImage } from '../src/core/image.js';
import type { Box, Image } from '../src/core/types.js';
import { findPanels, extractPanels, readingOrder, scorePage, annotate, iou, type Point } from '../src/comics/index.js';
import { fillPolygon, strokePolygon } from '../src/comics/raster.js';
import { assign } from '../src/comics/hungarian.js';
import { main } from '../src/cli/main.js';

type RGB = [number, number, number];
const BLACK: RGB = [0, 0, 0];

// Deterministic pseudo-random numbers so drawings are the same every run.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const rect = (x: number, y: number, w: number, h: number): Point[] => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];

// Ink inside an area: "text lines" of small blocks and a stick-figure-like blob.
function scribble(img: Image, box: Box, r: () => number, colour: RGB = BLACK): void {
  const [x, y, w, h] = box;
  for (let line = 0; line < 3; line++) {
    let cx = x + 0.1 * w;
    const cy = y + 0.1 * h + line * 0.1 * h;
    while (cx < x + 0.8 * w) {
      const lw = 4 + r() * 10;
      fillPolygon(img, rect(Math.round(cx), Math.round(cy), Math.round(lw), Math.round(0.05 * h)), colour);
      cx += lw + 4;
    }
  }
  const fx = x + (0.3 + r() * 0.4) * w, fy = y + 0.55 * h;
  fillPolygon(img, rect(Math.round(fx - 0.08 * w), Math.round(fy), Math.round(0.16 * w), Math.round(0.08 * h)), colour);
  strokePolygon(img, [[fx, fy + 0.08 * h], [fx, fy + 0.3 * h]], 3, colour);
}

const bboxOf = (poly: Point[]): Box => {
  const xs = poly.map((p) => p[0]), ys = poly.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
};

// A page with two framed rows, a row of two panels split by a slanted gutter, and a wide bottom panel.
function framedPage(gutter: RGB = [255, 255, 255], frame: RGB = BLACK, fill?: RGB) {
  const img = blank(600, 820, gutter);
  const r = rng(7);
  const polys: Point[][] = [
    rect(30, 30, 250, 220), rect(310, 30, 260, 220),
    [[30, 280], [340, 280], [280, 520], [30, 520]],
    [[370, 280], [570, 280], [570, 520], [310, 520]],
    rect(30, 550, 540, 240),
  ];
  for (const p of polys) {
    if (fill) fillPolygon(img, p, fill);
    strokePolygon(img, p, 4, frame);
    // Keep the drawing inside the panel, slanted edges included.
    const [x, y, w, h] = bboxOf(p);
    scribble(img, [x + 0.2 * w, y, 0.6 * w, h], r);
  }
  return { img, polys, boxes: polys.map(bboxOf) };
}

function matchAll(found: Box[], truth: Box[], min: number): number[] {
  const m = assign(truth.map((t) => found.map((f) => 1 - iou(t, f))));
  truth.forEach((t, i) => assert.ok(m[i] >= 0 && iou(t, found[m[i]]) >= min, `truth ${i} [${t}] best ${m[i] >= 0 ? `[${found[m[i]]}] IoU ${iou(t, found[m[i]]).toFixed(3)}` : 'none'}`));
  return m;
}

test('framed and slanted panels are found with their reading order (LTR and RTL)', () => {
  const { img, polys, boxes } = framedPage();
  const ltr = findPanels(img);
  assert.equal(ltr.panels.length, 5);
  const m = matchAll(ltr.panels.map((p) => p.box), boxes, 0.9);
  assert.deepEqual(m, [0, 1, 2, 3, 4], 'LTR order: row by row, left to right');
  assert.ok(ltr.panels.every((p) => p.framed));
  // The slanted panels come out as quads with corners near the drawn ones.
  for (const k of [2, 3]) {
    const poly = ltr.panels[m[k]].polygon;
    assert.equal(poly.length, 4, `panel ${k} polygon ${JSON.stringify(poly)}`);
    for (const [x, y] of polys[k]) assert.ok(poly.some(([a, b]) => Math.hypot(a - x, b - y) < 6), `corner ${x},${y} of panel ${k}`);
  }
  const rtl = findPanels(img, { rtl: true });
  assert.deepEqual(matchAll(rtl.panels.map((p) => p.box), boxes, 0.9), [1, 0, 3, 2, 4], 'RTL order: right panel of each row first');
});

test('gutters of any colour: dark gutters with filled panels, coloured gutters', () => {
  const dark = framedPage([0, 0, 0], [0, 0, 0], [250, 230, 200]);
  const d = findPanels(dark.img);
  assert.deepEqual(d.gutter, [0, 0, 0]);
  assert.deepEqual(matchAll(d.panels.map((p) => p.box), dark.boxes, 0.9), [0, 1, 2, 3, 4]);
  const blue = framedPage([40, 60, 160], BLACK, [255, 255, 255]);
  const b = findPanels(blue.img);
  assert.deepEqual(b.gutter, [40, 60, 160]);
  assert.equal(b.panels.length, 5);
  matchAll(b.panels.map((p) => p.box), blue.boxes, 0.9);
});

test('frameless panels separated by whitespace, in order both ways', () => {
  const img = blank(640, 480, [255, 255, 255]);
  const r = rng(3);
  const areas: Box[] = [[20, 20, 280, 200], [340, 20, 280, 200], [20, 260, 600, 200]];
  for (const a of areas) scribble(img, a, r);
  const res = findPanels(img);
  assert.equal(res.panels.length, 3, JSON.stringify(res.panels.map((p) => p.box)));
  assert.ok(res.panels.every((p) => !p.framed));
  // Each found panel holds its drawing (the box is the ink extent inside the area).
  const m = matchAll(res.panels.map((p) => p.box), areas, 0.45);
  assert.deepEqual(m, [0, 1, 2]);
  res.panels.forEach((p) => {
    const a = areas[m.indexOf(p.index)];
    assert.ok(p.box[0] >= a[0] && p.box[1] >= a[1] && p.box[0] + p.box[2] <= a[0] + a[2] && p.box[1] + p.box[3] <= a[1] + a[3]);
  });
  assert.deepEqual(matchAll(findPanels(img, { rtl: true }).panels.map((p) => p.box), areas, 0.45), [1, 0, 2]);
});

test('a frameless panel between framed ones takes the row height; a small inset frame is not a panel', () => {
  const img = blank(900, 300, [255, 255, 255]);
  const r = rng(11);
  const left = rect(10, 10, 280, 280), right = rect(610, 10, 280, 280);
  for (const p of [left, right]) { strokePolygon(img, p, 3, BLACK); scribble(img, bboxOf(p), r); }
  scribble(img, [320, 40, 260, 120], r);
  // A framed "screen" in the frameless panel, with loose ink around it.
  strokePolygon(img, rect(380, 190, 90, 70), 3, BLACK);
  fillPolygon(img, rect(480, 200, 60, 12), BLACK);
  fillPolygon(img, rect(330, 240, 40, 12), BLACK);
  const res = findPanels(img);
  assert.equal(res.panels.length, 3, JSON.stringify(res.panels));
  const [a, b, c] = res.panels;
  assert.ok(a.framed && !b.framed && c.framed);
  assert.ok(b.box[1] <= 12 && b.box[1] + b.box[3] >= 288, `frameless panel spans the row: ${b.box}`);
  assert.ok(b.box[0] > 290 && b.box[0] + b.box[2] < 610);
});

test('panels sharing border lines, and neighbours joined by a balloon across the gutter, are split', () => {
  // A 2x3 grid drawn with shared single lines (no gutters).
  const grid = blank(600, 600, [255, 255, 255]);
  const r = rng(5);
  strokePolygon(grid, rect(30, 30, 540, 540), 4, BLACK);
  strokePolygon(grid, [[300, 30], [300, 570]], 4, BLACK);
  strokePolygon(grid, [[30, 210], [570, 210]], 4, BLACK);
  strokePolygon(grid, [[30, 390], [570, 390]], 4, BLACK);
  const cells: Box[] = [];
  for (const y of [30, 210, 390]) for (const x of [30, 300]) { cells.push([x, y, 270, 180]); scribble(grid, [x + 40, y + 20, 190, 140], r); }
  const g = findPanels(grid);
  assert.deepEqual(matchAll(g.panels.map((p) => p.box), cells, 0.9), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(matchAll(findPanels(grid, { rtl: true }).panels.map((p) => p.box), cells, 0.9), [1, 0, 3, 2, 5, 4]);
  // Two framed panels whose gutter is crossed by a speech balloon touching both frames.
  const img = blank(640, 300, [255, 255, 255]);
  const a = rect(20, 20, 280, 260), b = rect(340, 20, 280, 260);
  for (const p of [a, b]) { strokePolygon(img, p, 3, BLACK); scribble(img, bboxOf(p), r); }
  strokePolygon(img, rect(250, 40, 140, 40), 3, BLACK);
  const j = findPanels(img);
  assert.deepEqual(matchAll(j.panels.map((p) => p.box), [bboxOf(a), bboxOf(b)], 0.9), [0, 1]);
});

test('reading order on box layouts', () => {
  // Kumiko's simple.png layout: two rows, then a column of two beside a tall panel.
  const boxes: Box[] = [[36, 696, 328, 188], [336, 56, 468, 248], [396, 696, 408, 468], [36, 56, 268, 248], [36, 916, 328, 248], [36, 336, 768, 328]];
  assert.deepEqual(readingOrder(boxes), [3, 1, 5, 0, 4, 2]);
  assert.deepEqual(readingOrder(boxes, true), [1, 3, 5, 2, 0, 4]);
  assert.deepEqual(readingOrder([]), []);
});

test('scorePage matches one to one and counts precision/recall at IoU thresholds', () => {
  const truth: Box[] = [[0, 0, 100, 100], [200, 0, 100, 100], [0, 200, 100, 100]];
  const found: Box[] = [[0, 0, 100, 95], [205, 0, 100, 100], [500, 500, 10, 10], [0, 0, 100, 100]];
  const s = scorePage(found, truth);
  assert.equal(s.at['0.5'].tp, 2);
  assert.equal(s.at['0.5'].recall, 2 / 3);
  assert.equal(s.at['0.5'].precision, 2 / 4);
  assert.equal(s.at['0.9'].tp, 2);
  assert.equal(s.ious[0], 1, 'the exact box wins the assignment over the near one');
  assert.equal(s.ious[2], 0);
  assert.equal(s.orderOk, false, 'the exact match of truth panel 1 comes after the match of truth panel 2');
  assert.equal(scorePage([found[3], found[1]], truth).orderOk, true);
  assert.equal(scorePage([found[1], found[3]], truth).orderOk, false, 'second truth panel found before the first');
});

test('annotated page has panel outlines; large pages are processed scaled with full-size coordinates', async () => {
  const { img, boxes } = framedPage();
  const res = await extractPanels(img, { maxSide: 400 });
  matchAll(res.panels.map((p) => p.box), boxes, 0.85);
  const out = await annotate(img, res.panels);
  assert.equal(out.width, img.width);
  assert.equal(out.channels, 3);
  // Outline colour (blue) along the left edge of panel 1, none in the gutter far from panels.
  const blueAt = (x: number, y: number) => { const o = (y * out.width + x) * 3; return out.data[o + 2] > 180 && out.data[o] < 80; };
  let hits = 0;
  for (let y = 100; y < 240; y++) for (let x = 26; x <= 36; x++) if (blueAt(x, y)) { hits++; break; }
  assert.ok(hits > 100, `outline hits ${hits}`);
  assert.ok(!blueAt(295, 400) && !blueAt(5, 400));
});

test('CLI: eval panels and comics write results; bad truth gives a one-line error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comics-'));
  const { img, boxes } = framedPage();
  await writeImage(join(dir, 'page.png'), img);
  writeFileSync(join(dir, 'truth.json'), JSON.stringify({ pages: [{ image: 'page.png', panels: boxes }] }));
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  (process.stdout as any).write = (s: string) => { text += s; return true; };
  let code: number, code2: number;
  try {
    code = await main(['eval', 'panels', '--truth', join(dir, 'truth.json'), '--json', '--quiet']);
    code2 = await main(['comics', join(dir, 'page.png'), '--rtl', '--out', join(dir, 'out'), '--no-characters', '--quiet']);
  } finally {
    (process.stdout as any).write = write;
  }
  assert.equal(code, 0);
  const doc = JSON.parse(text.slice(0, text.indexOf('\n}\n') + 2));
  assert.equal(doc.total.recall09, 1);
  assert.equal(doc.total.precision09, 1);
  assert.equal(code2, 0);
  const json = JSON.parse(readFileSync(join(dir, 'out', 'comics.json'), 'utf8'));
  assert.equal(json.pages[0].panels.length, 5);
  assert.equal(json.rtl, true);
  assert.ok(existsSync(join(dir, 'out', 'page.comics.png')));
  writeFileSync(join(dir, 'bad.json'), '{"pages": [{"image": 3}]}');
  const err = process.stderr.write.bind(process.stderr);
  let msg = '';
  (process.stderr as any).write = (s: string) => { msg += s; return true; };
  try {
    assert.equal(await main(['eval', 'panels', '--truth', join(dir, 'bad.json')]), 1);
  } finally {
    (process.stderr as any).write = err;
  }
  assert.match(msg, /bad\.json: pages\[0\]\.image: expected a string, got 3/);
  assert.equal(msg.trim().split('\n').length, 1);
});
