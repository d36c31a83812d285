// Face-body pairing and identity grouping on synthetic data: characters drawn
// as coloured figures in panels, found by a small injected blob detector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blank } from '../src/core/image.js';
import type { Box, Detection, Image } from '../src/core/types.js';
import { analyzeComics, cluster, colourHistogram, histDistance, pairFacesBodies, pairScore } from '../src/comics/index.js';
import { features, foregroundMask } from '../src/comics/identity.js';
import { fillPolygon, strokePolygon, newMask } from '../src/comics/raster.js';
import { label } from '../src/comics/components.js';
import type { Point } from '../src/comics/geometry.js';
import { scoreDetected } from '../src/comics/evaluate.js';

type RGB = [number, number, number];
const rect = (x: number, y: number, w: number, h: number): Point[] => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
const det = (label: string, box: Box, score = 0.9): Detection => ({ frame: 0, box, score, label });

test('pairScore prefers a face at the top of its body', () => {
  const body: Box = [100, 100, 60, 160];
  assert.ok(pairScore([115, 105, 30, 30], body) > 0.8);
  assert.ok(pairScore([115, 220, 30, 30], body) < 0.1, 'face at the feet');
  assert.equal(pairScore([300, 105, 30, 30], body), 0, 'face outside');
});

test('pairFacesBodies pairs crossing candidates one to one and leaves strays alone', () => {
  const bodies = [det('body', [0, 0, 60, 160]), det('body', [50, 0, 60, 160])];
  // Face B overlaps both bodies' tops but is centred over body 1.
  const faces = [det('face', [10, 5, 30, 30]), det('face', [62, 5, 30, 30]), det('face', [400, 400, 20, 20])];
  const pairs = pairFacesBodies(faces, bodies);
  assert.equal(pairs.length, 3);
  assert.equal(pairs[0].body, bodies[0]);
  assert.equal(pairs[1].body, bodies[1]);
  assert.equal(pairs[2].body, undefined);
  assert.deepEqual(pairs[0].box, [0, 0, 60, 160]);
  // A body with no face comes back alone.
  const solo = pairFacesBodies([], bodies);
  assert.equal(solo.length, 2);
  assert.ok(solo.every((p) => p.body && !p.face));
});

test('cluster respects cannot-links and the threshold', () => {
  // Items 0,1,2 close together; 3,4 close together; 0 and 1 are in the same panel.
  const pts = [0, 0.05, 0.1, 1, 1.05];
  const d = pts.map((a) => pts.map((b) => Math.abs(a - b)));
  const ids = cluster(d, (i, j) => (i === 0 && j === 1) || (i === 1 && j === 0), 0.3);
  assert.notEqual(ids[0], ids[1]);
  assert.equal(ids[3], ids[4]);
  assert.notEqual(ids[2], ids[3]);
  assert.deepEqual(cluster(d, () => false, 0.3), [0, 0, 0, 1, 1]);
  assert.deepEqual(cluster(d, () => false, 0.01), [0, 1, 2, 3, 4]);
});

test('colour histograms tell shirts apart and ignore masked-out pixels', () => {
  const img = blank(40, 20, [220, 30, 30]);
  fillPolygon(img, rect(20, 0, 20, 20), [30, 30, 220]);
  const red = colourHistogram(img, [0, 0, 20, 20]);
  const blue = colourHistogram(img, [20, 0, 20, 20]);
  assert.ok(histDistance(red, blue) > 0.9);
  assert.ok(histDistance(red, colourHistogram(img, [2, 2, 10, 10])) < 0.01);
  // A mask selecting only the left half of a mixed box gives the red histogram.
  const mask: Image = { width: 40, height: 20, channels: 1, data: new Uint8Array(800) };
  for (let y = 0; y < 20; y++) mask.data.fill(255, y * 40, y * 40 + 20);
  assert.ok(histDistance(red, colourHistogram(img, [0, 0, 40, 20], mask)) < 0.01);
});

// A character: hair + face on top of a body of the shirt colour.
function drawCharacter(img: Image, x: number, y: number, s: number, hair: RGB, shirt: RGB): void {
  fillPolygon(img, rect(x, y + 10 * s, 30 * s, 60 * s), shirt);
  fillPolygon(img, rect(x + 7 * s, y, 16 * s, 6 * s), hair);
  fillPolygon(img, rect(x + 7 * s, y + 5 * s, 16 * s, 12 * s), [250, 210, 170]);
}

// The injected detector: every non-white blob is a body; its top quarter is the face.
async function blobDetector(img: Image): Promise<Detection[]> {
  const m = newMask(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    const o = i * 3;
    // Panel frames are black; characters are coloured.
    const max = Math.max(img.data[o], img.data[o + 1], img.data[o + 2]);
    const min = Math.min(img.data[o], img.data[o + 1], img.data[o + 2]);
    if (max - min > 60) m.data[i] = 1;
  }
  const out: Detection[] = [];
  for (const c of label(m).components) {
    if (c.area < 200) continue;
    const w = c.x1 - c.x0 + 1, h = c.y1 - c.y0 + 1;
    out.push(det('body', [c.x0, c.y0, w, h]));
    out.push(det('face', [c.x0 + w * 0.2, c.y0, w * 0.6, h * 0.25], 0.8));
  }
  return out;
}

test('without an instance mask, the colours around the box are left out of its histogram', () => {
  // The same red-shirted character on a sky-blue and on a grass-green panel.
  const sky = blank(200, 200, [120, 190, 240]);
  const grass = blank(200, 200, [90, 200, 80]);
  for (const img of [sky, grass]) drawCharacter(img, 60, 40, 2, [240, 200, 40], [200, 30, 30]);
  // A loose detector box: plenty of background inside it.
  const box: Box = [45, 30, 90, 160];
  const m = foregroundMask(sky, box);
  assert.equal(m.data[0], 0, 'sky in the corner is background');
  assert.equal(m.data[100 * 90 + 45], 255, 'shirt is foreground');
  const body = (img: Image) => features(img, { body: det('body', box) }).body!;
  assert.ok(histDistance(body(sky), body(grass)) < 0.05, `same character, different backgrounds: ${histDistance(body(sky), body(grass))}`);
  // Without the mask the backgrounds would dominate the difference.
  assert.ok(histDistance(colourHistogram(sky, box), colourHistogram(grass, box)) > 0.1);
});

test('analyzeComics groups the same character across panels and pages, apart within a panel', async () => {
  const A: [RGB, RGB] = [[240, 200, 40], [200, 30, 30]]; // blond, red shirt
  const B: [RGB, RGB] = [[40, 40, 40], [40, 90, 220]]; // black hair, blue shirt
  const C: [RGB, RGB] = [[200, 60, 20], [40, 160, 60]]; // red hair, green shirt
  const page = (cast: { who: [RGB, RGB]; x: number; s: number }[][]) => {
    const img = blank(900, 300, [255, 255, 255]);
    cast.forEach((chars, k) => {
      const px = 10 + k * 300;
      strokePolygon(img, rect(px, 10, 280, 280), 3, [0, 0, 0]);
      for (const c of chars) drawCharacter(img, px + c.x, 60, c.s, c.who[0], c.who[1]);
    });
    return img;
  };
  const p1 = page([[{ who: A, x: 30, s: 2 }, { who: B, x: 160, s: 2 }], [{ who: B, x: 40, s: 3 }], [{ who: A, x: 150, s: 2 }, { who: C, x: 30, s: 2 }]]);
  const p2 = page([[{ who: C, x: 100, s: 3 }], [{ who: A, x: 20, s: 2 }, { who: B, x: 120, s: 2 }], [{ who: A, x: 60, s: 1 }]]);
  const res = await analyzeComics([{ name: 'p1', image: p1 }, { name: 'p2', image: p2 }], { detect: blobDetector });
  assert.equal(res.pages[0].panels.length, 3);
  const chars = res.pages.flatMap((p) => p.characters);
  assert.equal(chars.length, 9);
  assert.ok(chars.every((c) => c.face && c.body), 'each face paired with its body');
  // Who is who, from the shirt colour at the body centre.
  const truth = (pg: Image, b: Box) => {
    const o = (Math.round(b[1] + b[3] * 0.6) * pg.width + Math.round(b[0] + b[2] / 2)) * 3;
    return pg.data[o] > 150 ? 'A' : pg.data[o + 2] > 150 ? 'B' : 'C';
  };
  const byId = new Map<number, Set<string>>();
  res.pages.forEach((p, k) => p.characters.forEach((c) => {
    const t = truth(k ? p2 : p1, c.body!.box);
    byId.set(c.identity, (byId.get(c.identity) ?? new Set()).add(t));
  }));
  assert.equal(res.identities, 3, JSON.stringify([...byId].map(([k, v]) => [k, [...v]])));
  for (const who of byId.values()) assert.equal(who.size, 1);
});

test('two look-alikes in one panel get different identities (cannot-link)', async () => {
  const img = blank(600, 300, [255, 255, 255]);
  const twin: [RGB, RGB] = [[240, 200, 40], [200, 30, 30]];
  strokePolygon(img, rect(10, 10, 280, 280), 3, [0, 0, 0]);
  strokePolygon(img, rect(310, 10, 280, 280), 3, [0, 0, 0]);
  drawCharacter(img, 40, 60, 2, ...twin);
  drawCharacter(img, 160, 60, 2, ...twin);
  drawCharacter(img, 380, 60, 2, ...twin);
  const res = await analyzeComics([{ name: 'twins', image: img }], { detect: blobDetector });
  const [a, b, c] = res.pages[0].characters;
  assert.equal(res.pages[0].characters.length, 3);
  assert.notEqual(a.identity, b.identity);
  assert.ok(c.identity === a.identity || c.identity === b.identity, 'the one in panel 2 joins one of them');
});

test('detected characters: one-to-one matches at IoU 0.5 per page, identities scored on the matched ones', () => {
  const truth = [
    { box: [0, 0, 100, 200] as Box, identity: 'girl' },
    { box: [300, 0, 100, 200] as Box, identity: 'kid' },
    { box: [600, 0, 100, 200] as Box, identity: 'girl' },
  ];
  const s = scoreDetected([{
    truth,
    found: [
      { box: [5, 5, 100, 200], identity: 1 }, // girl
      { box: [290, 0, 110, 200], identity: 2 }, // kid
      { box: [605, 0, 90, 190], identity: 2 }, // girl, grouped with the kid: wrong
      { box: [900, 0, 50, 50], identity: 3 }, // nothing there
    ],
  }]);
  assert.equal(s.tp, 3);
  assert.equal(s.found, 4);
  assert.equal(s.precision, 0.75);
  assert.equal(s.recall, 1);
  // Pairs among the 3 matched: (girl, girl) is true but split; (kid, girl#2) is false but merged.
  assert.equal(s.identities.pairPrecision, 0);
  assert.equal(s.identities.pairRecall, 0);
  // A found box that overlaps a true one too little is no match.
  assert.equal(scoreDetected([{ truth, found: [{ box: [60, 100, 100, 200], identity: 1 }] }]).tp, 0);
});

test('scoreDetected scores faces apart and checks each found face sits on the true face', () => {
  const truth = [
    { box: [0, 0, 100, 200] as Box, identity: 'a', face: [30, 0, 40, 40] as Box },
    { box: [300, 0, 100, 200] as Box, identity: 'b', face: [330, 0, 40, 40] as Box },
  ];
  const s = scoreDetected([{
    truth,
    found: [
      { box: [0, 0, 100, 200], identity: 1, face: { box: [30, 2, 40, 40] } }, // right face
      { box: [300, 0, 100, 200], identity: 2, face: { box: [330, 150, 40, 40] } }, // face at the feet
    ],
  }]);
  assert.deepEqual(s.faces, { truth: 2, found: 2, tp: 1 });
  assert.deepEqual(s.pairing, { total: 2, ok: 1 });
});
