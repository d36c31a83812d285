// Characters: masks, GrabCut bodies on drawn figures, the backend chain,
// ONNX output decoding, flow propagation, evaluation scoring, COCO and CLI.
// Everything is drawn here; no Ren'Py art or ../shared needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Box, Detection, Image } from '../src/core/types.js';
import { ToonscopeError } from '../src/core/errors.js';
import { writeImage } from '../src/core/image.js';
import { drawScene } from '../src/characters/synthetic.js';
import { boxIoU, cropMask, fromRLE, fullMask, maskArea, maskBox, maskIoU, toRLE } from '../src/characters/masks.js';
import { GrabCutBodies, clipped, window } from '../src/characters/grabcut.js';
import { CascadeFaces, unturn } from '../src/characters/cascade.js';
import { detectCharacters, group } from '../src/characters/pipeline.js';
import { parseChain } from '../src/characters/backends.js';
import { decodeYolo, salientToBodies, OnnxDetector } from '../src/characters/onnx.js';
import { carry, flow, grayOf, link, shrink, Propagator, blank, patchGrid, samePatch, DOUBT_STEPS, type Gone } from '../src/characters/video.js';
import { takeBack } from '../src/analyze/detect.js';
import { opencv, opencvError } from '../src/core/opencv.js';
import { cut, cutAll, cutThreadCuts, cutThreadOff, cutThreadReady, cutThreadState, cutWithin, cuttable, GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD } from '../src/characters/cut.js';
import { refineInside } from '../src/characters/learned.js';
import { evaluate, match, prf, scoreImage } from '../src/characters/evaluate.js';
import { CocoWriter } from '../src/characters/coco.js';
import { overlay } from '../src/characters/overlay.js';
import type { CharacterDetector } from '../src/characters/types.js';
import { main } from '../src/cli/main.js';
import { constantModel } from './onnx-fixture.js';
import { withCutThread, printed } from './fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'toonscope-chars-'));
const faceDets = (boxes: Detection['box'][]): Detection[] => boxes.map((box) => ({ frame: 0, box, score: 0.9, label: 'face' }));
/** A test backend: returns fixed face boxes (stands in for any face detector). */
const fixedFaces = (boxes: Detection['box'][]): CharacterDetector => ({ name: 'fixed', labels: ['face'], detect: async () => faceDets(boxes) });

test('RLE round-trips and follows COCO column-major order', () => {
  const m: Image = { width: 3, height: 2, channels: 1, data: new Uint8Array([0, 255, 255, 0, 0, 255]) };
  const rle = toRLE(m);
  // Columns: (0,0)=0,(0,1)=0 | (1,0)=255,(1,1)=0 | (2,0)=255,(2,1)=255
  assert.deepEqual(rle.counts, [2, 1, 1, 2]);
  assert.deepEqual(rle.size, [2, 3]);
  assert.deepEqual(fromRLE(rle).data, m.data);
  const sc = drawScene(64, 48, [{ cx: 30, top: 4, face: 8 }]);
  assert.deepEqual(fromRLE(toRLE(sc.masks[0])).data, sc.masks[0].data);
});

test('mask box, crop and paste agree; IoUs are right on known shapes', () => {
  const sc = drawScene(80, 60, [{ cx: 40, top: 5, face: 10 }]);
  const box = maskBox(sc.masks[0])!;
  const back = fullMask({ box, mask: cropMask(sc.masks[0], box) }, 80, 60);
  assert.equal(maskIoU(back, sc.masks[0]), 1);
  assert.equal(maskArea(back), maskArea(sc.masks[0]));
  assert.equal(boxIoU([0, 0, 10, 10], [5, 0, 10, 10]), 50 / 150);
  assert.equal(boxIoU([0, 0, 10, 10], [20, 20, 5, 5]), 0);
});

test('GrabCut bodies segment drawn figures from their face boxes', async () => {
  const sc = drawScene(320, 240, [{ cx: 90, top: 40, face: 36 }, { cx: 215, top: 60, face: 30, dress: [40, 90, 200], hair: [230, 200, 60] }], 3);
  const bodies = await new GrabCutBodies().detect(sc.image, faceDets(sc.faces));
  assert.equal(bodies.length, 2);
  bodies.forEach((b, k) => {
    assert.equal(b.label, 'body');
    assert.ok(b.mask && b.mask.width === Math.round(b.box[2]) && b.mask.height === Math.round(b.box[3]), 'mask is box-sized');
    const iou = maskIoU(fullMask(b, 320, 240), sc.masks[k]);
    assert.ok(iou > 0.9, `figure ${k} mask IoU ${iou.toFixed(3)}`);
    assert.ok(boxIoU(b.box, maskBox(sc.masks[k])!) > 0.85);
  });
  // Instances do not share pixels.
  const a = fullMask(bodies[0], 320, 240), b = fullMask(bodies[1], 320, 240);
  for (let i = 0; i < a.data.length; i++) assert.ok(!(a.data[i] && b.data[i]));
  // No faces, no bodies: GrabCut needs seeds.
  assert.deepEqual(await new GrabCutBodies().detect(sc.image, []), []);
});

test('GrabCut: a face box that is only part of a close-up\'s face (an eye) still gets the whole character', async () => {
  // A close-up (a face 100 px wide, the body running off the frame's bottom) whose face was found as one eye.
  const sc = drawScene(320, 240, [{ cx: 160, top: 30, face: 100 }], 3);
  const whole = maskBox(sc.masks[0])!;
  const [body] = await new GrabCutBodies().detect(sc.image, faceDets([[128, 72, 24, 26]]));
  assert.ok(body, 'a body');
  // Before: the body stopped at the window the small box implied (2.4 box widths each side of it), half the figure.
  assert.ok(boxIoU(body.box, whole) > 0.8, `the whole character, not the window around the eye: ${body.box.map(Math.round)} vs ${whole}`);
  // With a small figure standing in front of her chest, both keep their own pixels (the grown cut was split from the
  // small figure's box only).
  const pair = drawScene(320, 240, [{ cx: 160, top: 30, face: 100 }, { cx: 250, top: 150, face: 20, dress: [40, 160, 60], hair: [200, 60, 40] }], 3);
  const both = await new GrabCutBodies().detect(pair.image, faceDets([[128, 72, 24, 26], pair.faces[1]]));
  assert.equal(both.length, 2);
  const [ma, mb] = both.map((d) => fullMask(d, 320, 240));
  let shared = 0;
  for (let i = 0; i < ma.data.length; i++) if (ma.data[i] && mb.data[i]) shared++;
  assert.equal(shared, 0, 'instances share no pixel');
  // A face found whole still gets its body as before (the figures of the test above), and a small figure is left alone.
  const far = drawScene(320, 240, [{ cx: 160, top: 60, face: 24 }], 1);
  const [small] = await new GrabCutBodies().detect(far.image, faceDets(far.faces));
  assert.ok(boxIoU(small.box, maskBox(far.masks[0])!) > 0.85, `${small.box.map(Math.round)}`);
});

test('GrabCut: a cut is clipped by its window when the head runs past it beside the face, not for hair at the top, a leak lower down or the frame edge', () => {
  const W = 200, H = 200;
  const face: Detection['box'] = [90, 60, 20, 20];
  const win = window(face); // x 76..124, y 44..240
  const mask = (fill: (x: number, y: number) => boolean): Image => {
    const m: Image = { width: W, height: H, channels: 1, data: new Uint8Array(W * H) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (fill(x, y)) m.data[y * W + x] = 255;
    return m;
  };
  const inWin = (x: number, y: number) => x >= win[0] && x < win[2] && y >= win[1] && y < win[3];
  assert.equal(clipped(mask((x, y) => inWin(x, y) && y < 150), face, win, W, H), true, 'filling the window beside the face');
  assert.equal(clipped(mask((x, y) => inWin(x, y) && y < 90 && x >= 100), face, win, W, H), true, 'a head running past one side beside the face');
  assert.equal(clipped(mask((x, y) => inWin(x, y) && y < 70 && Math.abs(x - 100) < 15), face, win, W, H), false, 'hair meeting the top for 1.5 face widths');
  assert.equal(clipped(mask((x, y) => inWin(x, y) && y >= 110 && y < 170), face, win, W, H), false, 'a skirt or a leak into the background meeting both sides below the head');
  // The same body against the frame's edge: the frame cut it, not the window.
  const edge: Detection['box'] = [0, 60, 20, 20];
  const w2 = window(edge);
  assert.ok(w2[0] < 0);
  assert.equal(clipped(mask((x, y) => x < 40 && y >= 50 && y < 150), edge, w2, W, H), false, 'cut by the frame on the left, clear of the window on the right');
});

test('GrabCut: a rectangle with nothing to model one side by is not cut (opencv would throw), its seed stands', async () => {
  const cv = await opencv();
  const W = 40, H = 30;
  const img: Image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).map((_, i) => (i * 37) % 251) };
  // Every pixel probable or sure foreground: a box that fills the frame, padded to the frame.
  const all = new Uint8Array(W * H).fill(GC_PR_FGD);
  for (let i = 0; i < 50; i++) all[i * 7] = GC_FGD;
  assert.equal(cuttable(all, [0, 0, W, H], W), false);
  const fg = cut(cv, img, all, [0, 0, W, H], 2);
  assert.equal(fg.reduce((a, v) => a + v, 0), W * H, 'the whole seed is foreground');
  // Outside the rectangle nothing is, even where init said foreground.
  const part = cut(cv, img, all, [5, 5, 20, 15], 2);
  assert.equal(part.reduce((a, v) => a + v, 0), 15 * 10);
  assert.equal(part[0], 0);
  // No foreground at all: nothing comes out.
  assert.equal(cut(cv, img, new Uint8Array(W * H).fill(GC_PR_BGD), [0, 0, W, H], 2).reduce((a, v) => a + v, 0), 0);
  // With both sides present GrabCut runs as before: a red square on blue, seeded by its middle.
  const sq: Image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) };
  const init = new Uint8Array(W * H).fill(GC_PR_BGD);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const on = x >= 10 && x < 30 && y >= 8 && y < 22;
      sq.data.set(on ? [220, 30, 30] : [30, 30, 200], (y * W + x) * 3);
      if (on) init[y * W + x] = x >= 15 && x < 25 && y >= 12 && y < 18 ? GC_FGD : GC_PR_FGD;
    }
  }
  assert.equal(cuttable(init, [0, 0, W, H], W), true);
  const got = cut(cv, sq, init, [0, 0, W, H], 2);
  assert.equal(got.reduce((a, v) => a + v, 0), 20 * 14, 'the square, and only it');
});

test('GrabCut on a big rectangle is made smaller and scaled back: the same figure, sure labels kept', async () => {
  const cv = await opencv();
  // A 300 x 240 frame: a skin-and-red figure (head on a body) on a sky that darkens downwards, seeded in its middle.
  const W = 300, H = 240;
  const img: Image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) };
  const init = new Uint8Array(W * H).fill(GC_BGD);
  const inHead = (x: number, y: number) => (x - 150) ** 2 + (y - 70) ** 2 < 40 ** 2;
  const inBody = (x: number, y: number) => x >= 100 && x < 200 && y >= 105 && y < 230;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const on = inHead(x, y) || inBody(x, y);
      img.data.set(inHead(x, y) ? [240, 200, 170] : on ? [200, 30, 40] : [60, 120, 230 - y / 3], (y * W + x) * 3);
      if (x >= 20 && x < 280 && y >= 10 && y < 235) init[y * W + x] = on ? GC_PR_FGD : GC_PR_BGD;
      if (x >= 140 && x < 160 && y >= 60 && y < 200) init[y * W + x] = GC_FGD;
    }
  }
  // A sure background pixel inside the figure, as a neighbour's cut would leave, and a sure foreground one in the sky
  // (a thin part of her the seed holds): both stay as they are.
  init[150 * W + 110] = GC_BGD;
  for (let y = 27; y < 34; y++) for (let x = 37; x < 45; x++) init[y * W + x] = GC_BGD;
  init[31 * W + 41] = GC_FGD;
  const rect: [number, number, number, number] = [20, 10, 280, 235];
  const full = cut(cv, img, init, rect, 2);
  // Cut at under half the size each way: the outline moves by a pixel or two at most.
  const small = cutWithin(cv, img, init, rect, 2, 120 * 100);
  let both = 0, either = 0;
  for (let i = 0; i < full.length; i++) { both += full[i] & small[i]; either += full[i] | small[i]; }
  assert.ok(both / either > 0.95, `the same figure: IoU ${(both / either).toFixed(3)}`);
  assert.notDeepEqual(small, full, 'cut at the smaller size');
  for (let y = 60; y < 200; y++) for (let x = 140; x < 160; x++) assert.equal(small[y * W + x], 1, 'sure foreground stays');
  assert.equal(small[150 * W + 110], 0, 'sure background stays');
  // (A pixel the shrunk labels do not read: it is kept only by putting the sure labels back.)
  assert.ok(small[31 * W + 41] && !small[31 * W + 38], 'sure foreground stays');
  assert.equal(small[5 * W + 5], 0, 'nothing outside the rectangle');
  // Within the budget it is the plain cut.
  assert.deepEqual(cutWithin(cv, img, init, rect, 2, 260 * 225), full);
  // Background known only in a strip two pixels wide at the rectangle's far edge (a box that nearly fills the frame):
  // the shrunk labels keep it, so the sky is still told from her (losing it, nothing is cut: all of it would be hers).
  const strip = new Uint8Array(W * H).fill(GC_BGD);
  for (let y = 10; y < 235; y++) for (let x = 20; x < 278; x++) strip[y * W + x] = GC_PR_FGD;
  const edge = cutWithin(cv, img, strip, rect, 2, 120 * 100);
  assert.equal(edge[30 * W + 40], 0, 'the sky is background');
  assert.equal(edge[150 * W + 150], 1, 'she is not');
  // One pixel wide: lost in any shrinking, so that rectangle is cut at full size.
  for (let y = 10; y < 235; y++) strip[y * W + 278] = GC_PR_FGD;
  assert.deepEqual(cutWithin(cv, img, strip, rect, 2, 120 * 100), cut(cv, img, strip, rect, 2));
});

test('a box a person drew over the whole frame (an extreme close-up) refines to itself instead of failing', async () => {
  const cv = await opencv();
  const W = 48, H = 27;
  const img: Image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).map((_, i) => (i * 53) % 241) };
  const d = refineInside(cv, img, [0, 0, W, H], 7);
  assert.deepEqual(d.box, [0, 0, W, H]);
  assert.equal(d.frame, 7);
  assert.ok(d.mask && d.mask.data.every((v) => v > 0), 'all of the frame is hers');
});

test('what opencv throws (a bare number) becomes its own message; anything else passes through', async () => {
  const cv = await opencv();
  const m = new cv.Mat(4, 4, cv.CV_8UC3), k = new cv.Mat(4, 4, cv.CV_8UC1), b = new cv.Mat(), f = new cv.Mat();
  k.data.fill(GC_PR_FGD);
  let thrown: unknown;
  try {
    cv.grabCut(m, k, new cv.Rect(0, 0, 4, 4), b, f, 1, cv.GC_INIT_WITH_MASK);
  } catch (e) {
    thrown = e;
  } finally {
    for (const x of [m, k, b, f]) x.delete();
  }
  assert.equal(typeof thrown, 'number', 'opencv-js throws a pointer');
  const e = opencvError(thrown);
  assert.ok(e instanceof Error);
  assert.match(e.message, /^opencv: OpenCV\([\d.]+\) grabcut\.cpp:\d+: .*bgdSamples/, 'its message, the file named without its build path');
  // A check spread over several lines comes out as one.
  let many: unknown;
  const pts = cv.matFromArray(2, 1, cv.CV_32F, [0, 1]), labels = new cv.Mat(), centers = new cv.Mat();
  try {
    cv.kmeans(pts, 5, labels, new cv.TermCriteria(cv.TermCriteria_EPS + cv.TermCriteria_MAX_ITER, 10, 1), 1, cv.KMEANS_PP_CENTERS, centers);
  } catch (err) {
    many = err;
  } finally {
    for (const x of [pts, labels, centers]) x.delete();
  }
  const one = opencvError(many);
  assert.ok(one instanceof Error, `kmeans with more clusters than points throws: ${String(many)}`);
  assert.doesNotMatch(one.message, /\n/);
  assert.match(one.message, /more clusters than elements/);
  const plain = new Error('x');
  assert.equal(opencvError(plain), plain);
  assert.equal(opencvError('text'), 'text');
});

test('a chain with a user backend pairs each face with its body', async () => {
  const sc = drawScene(320, 240, [{ cx: 100, top: 40, face: 34 }, { cx: 230, top: 50, face: 32, dress: [30, 140, 60] }], 5);
  const chars = await detectCharacters(sc.image, [fixedFaces([...sc.faces, [5, 200, 12, 12]]), new GrabCutBodies()]);
  const onFigures = chars.filter((c) => c.body && c.face && sc.faces.some((f) => boxIoU(f, c.face!.box) > 0.9));
  assert.equal(onFigures.length, 2);
  for (const c of onFigures) {
    const k = sc.faces.findIndex((f) => boxIoU(f, c.face!.box) > 0.9);
    assert.ok(k >= 0);
    assert.ok(maskIoU(fullMask(c.body!, 320, 240), sc.masks[k]) > 0.85);
  }
  // The stray face box gets a body of its own or stands alone, never a figure's pixels.
  assert.equal(chars.length, 3);
  const stray = chars.find((c) => c.face && c.face.box[0] === 5)!;
  if (stray.body) for (const m of sc.masks) assert.ok(maskIoU(fullMask(stray.body, 320, 240), m) < 0.05);
  const img = overlay(sc.image, chars);
  assert.notDeepEqual(img.data, sc.image.data);
});

test('group pairs by mask coverage and leaves unmatched faces alone', () => {
  const mask: Image = { width: 10, height: 10, channels: 1, data: new Uint8Array(100).fill(255) };
  const body: Detection = { frame: 0, box: [0, 0, 10, 10], score: 1, label: 'body', mask };
  const chars = group([body, ...faceDets([[2, 2, 4, 4], [50, 50, 4, 4]])]);
  assert.equal(chars.length, 2);
  assert.deepEqual(chars[0].face?.box, [2, 2, 4, 4]);
  assert.equal(chars[1].body, undefined);
});

test('backend specs parse, and bad ones fail with one clear error', async () => {
  assert.deepEqual(parseChain().map((d) => d.name), ['cascade', 'grabcut']);
  assert.deepEqual(parseChain('cascade,salient=/x/isnet.onnx').map((d) => d.name), ['cascade', 'salient:isnet.onnx']);
  assert.deepEqual(parseChain('yolo=/m.onnx:face:body')[0].labels, ['face', 'body']);
  assert.throws(() => parseChain('nope'), ToonscopeError);
  assert.throws(() => parseChain('salient'), ToonscopeError);
  assert.throws(() => parseChain('yolo=/m.onnx:cat'), ToonscopeError);
  const missing = new OnnxDetector('/nonexistent/model.onnx', { kind: 'salient' });
  await assert.rejects(missing.detect(drawScene(16, 16, []).image, []), (e: unknown) => e instanceof ToonscopeError && /model file not found/.test(e.message));
  const notOnnx = join(tmp(), 'junk.onnx');
  writeFileSync(notOnnx, 'not a model');
  await assert.rejects(new OnnxDetector(notOnnx, { kind: 'yolo' }).detect(drawScene(16, 16, []).image, []), (e: unknown) => e instanceof ToonscopeError && /not a loadable ONNX model/.test(e.message));
});

test('the shipped anime-face cascade loads and stays quiet on faceless images', async () => {
  const det = new CascadeFaces();
  const flat = drawScene(320, 180, [], 2).image;
  assert.deepEqual(await det.detect(flat, []), []);
  det.dispose();
  await assert.rejects(new CascadeFaces({ file: '/nonexistent.xml' }).detect(flat, []), ToonscopeError);
});

test('turned cascade passes map their finds back to where they were before the turn', async () => {
  // A bright square at a known place; warpAffine turns it as the cascade's extra passes do, unturn must bring its
  // centre back (a wrong sign or centre would land it tens of pixels away).
  const cv = await opencv();
  const w = 320, h = 180;
  for (const angle of [8, -8, 30]) {
    const src = cv.Mat.zeros(h, w, cv.CV_8UC1);
    cv.rectangle(src, new cv.Point(200, 50), new cv.Point(209, 59), new cv.Scalar(255), -1);
    const rot = cv.getRotationMatrix2D(new cv.Point(w / 2, h / 2), angle, 1);
    const turned = new cv.Mat();
    cv.warpAffine(src, turned, rot, new cv.Size(w, h));
    const m = cv.moments(turned, false);
    const [x, y] = unturn(m.m10 / m.m00, m.m01 / m.m00, angle, w, h);
    assert.ok(Math.abs(x - 204.5) < 1 && Math.abs(y - 54.5) < 1, `angle ${angle}: back at ${x.toFixed(1)}, ${y.toFixed(1)}`);
    for (const mat of [src, rot, turned]) mat.delete();
  }
  assert.deepEqual(unturn(10, 20, 0, w, h), [10, 20]);
});

test('YOLO outputs decode in both layouts with NMS', () => {
  // v8 layout [1, 4+C, N]: 2 classes, 3 real candidates (two overlapping of class 1) and 5 empty ones.
  const n = 8, c = 2;
  const v8 = new Float32Array((4 + c) * n);
  const put = (i: number, vals: number[]) => vals.forEach((v, k) => (v8[k * n + i] = v));
  put(0, [50, 50, 20, 20, 0.1, 0.9]);
  put(1, [52, 50, 20, 20, 0.1, 0.8]);
  put(2, [150, 80, 10, 30, 0.7, 0.2]);
  const d8 = decodeYolo(v8, [1, 4 + c, n], 0.25);
  assert.equal(d8.length, 2);
  assert.deepEqual(d8[0], { box: [40, 40, 20, 20], score: v8[5 * n], cls: 1 });
  assert.equal(d8[1].cls, 0);
  // v5 layout [1, N, 5+C] with objectness; the low one and the empty rows are dropped.
  const v5 = new Float32Array(8 * 7);
  v5.set([10, 10, 4, 4, 0.9, 1, 0, 30, 30, 4, 4, 0.1, 1, 0]);
  const d5 = decodeYolo(v5, [1, 8, 7], 0.25);
  assert.equal(d5.length, 1);
  assert.deepEqual(d5[0].box, [8, 8, 4, 4]);
});

test('a saliency map splits into one body per blob, or per face when faces are known', async () => {
  const S = 32;
  const prob = new Float32Array(S * S);
  for (let y = 8; y < 30; y++) for (let x = 2; x < 10; x++) prob[y * S + x] = 0.95;
  for (let y = 4; y < 30; y++) for (let x = 18; x < 28; x++) prob[y * S + x] = 0.9;
  const frame = drawScene(64, 64, [], 1).image;
  const blobs = await salientToBodies(frame, prob, S, [], 0.5, 0);
  assert.equal(blobs.length, 2);
  const boxes = blobs.map((b) => b.box).sort((p, q) => p[0] - q[0]);
  assert.ok(boxIoU(boxes[0], [4, 16, 16, 44]) > 0.8 && boxIoU(boxes[1], [36, 8, 20, 52]) > 0.8);
  const one = await salientToBodies(frame, prob, S, faceDets([[38, 10, 12, 12]]), 0.5, 0);
  assert.equal(one.length, 1, 'with one face, all salient pixels go to that character');
});

test('optical flow carries masks, boxes and faces with a moving figure; keyframes keep track ids', async () => {
  const cv = await opencv();
  const W = 320, H = 180;
  const f0 = drawScene(W, H, [{ cx: 120, top: 30, face: 24 }], 9);
  const f1 = drawScene(W, H, [{ cx: 132, top: 34, face: 24 }], 9);
  const body: Detection = { frame: 0, box: maskBox(f0.masks[0])!, score: 1, label: 'body', track: 7 };
  body.mask = cropMask(f0.masks[0], body.box);
  const face: Detection = { frame: 0, box: f0.faces[0], score: 1, label: 'face', track: 7 };
  const a = shrink(grayOf(f0.image), 2), b = shrink(grayOf(f1.image), 2);
  const moved = carry([{ body, face }], flow(cv, a, b), a.width, a.height, 2, W, H, 1);
  assert.equal(moved.length, 1);
  const [dx, dy] = [moved[0].body!.box[0] - body.box[0], moved[0].body!.box[1] - body.box[1]];
  assert.ok(Math.abs(dx - 12) <= 3 && Math.abs(dy - 4) <= 3, `moved by ${dx.toFixed(1)}, ${dy.toFixed(1)}`);
  assert.ok(maskIoU(fullMask(moved[0].body!, W, H), f1.masks[0]) > 0.85);
  assert.ok(boxIoU(moved[0].face!.box, f1.faces[0]) > 0.7);
  assert.equal(moved[0].body!.track, 7);
  const fresh = [{ body: { ...body, box: maskBox(f1.masks[0])!, mask: cropMask(f1.masks[0], maskBox(f1.masks[0])!), track: undefined } }];
  let next = 100;
  link(fresh, moved, W, H, () => ++next);
  assert.equal(fresh[0].body.track, 7, 'overlapping keyframe detection inherits the track');
  const far = [{ body: { frame: 2, box: [0, 0, 10, 10] as Detection['box'], score: 1, label: 'body' } as Detection }];
  link(far, moved, W, H, () => ++next);
  assert.equal(far[0].body.track, 101);
});

test('a carried character is on no blank frame: not after a fade to black, and back after a white flash', async () => {
  const cv = await opencv();
  const W = 320, H = 180;
  const scene = drawScene(W, H, [{ cx: 120, top: 30, face: 24 }], 9);
  const box = maskBox(scene.masks[0])!;
  // A chain that finds her on the keyframe only (the first frame): the frames after are carried by flow.
  const once: CharacterDetector = { name: 'once', labels: ['body'], detect: async (_f, _p, i) => (i === 0 ? [{ frame: 0, box, score: 1, label: 'body', mask: cropMask(scene.masks[0], box) }] : []) };
  const run = async (frames: Image[]) => {
    const prop = new Propagator(cv, [once], 60);
    const out: number[] = [];
    for (const [k, img] of frames.entries()) out.push((await prop.step({ ...img, index: k, time: k / 24 }, k === 0)).characters.length);
    return out;
  };
  // The picture fades: the same drawing darker each frame, black from the fourth on.
  const fade = (k: number): Image => ({ ...scene.image, data: scene.image.data.map((v) => Math.round(v * Math.max(0, 1 - k / 3))) });
  assert.deepEqual(await run([0, 1, 2, 3, 4, 5].map(fade)), [1, 1, 1, 0, 0, 0], 'carried while she shows, nobody on the black frames');
  // A one-frame white flash: nobody on it, and she is carried on past it (no keyframe comes for a minute).
  const white: Image = { ...scene.image, data: scene.image.data.map(() => 250) };
  assert.deepEqual(await run([scene.image, scene.image, white, scene.image, scene.image]), [1, 1, 0, 1, 1]);
  // A flash where a keyframe is due is passed over: the keyframe comes on the frame after (a chain that finds her
  // wherever she shows, keyframes every second frame). Run on the flash, it found nobody and lost her until the next.
  const seeing: CharacterDetector = { name: 'seeing', labels: ['body'], detect: async (f) => (blank(f) ? [] : [{ frame: 0, box, score: 1, label: 'body', mask: cropMask(scene.masks[0], box) }]) };
  const prop = new Propagator(cv, [seeing], 2 / 24);
  const seen: number[] = [];
  for (const [k, img] of [scene.image, scene.image, white, scene.image, scene.image].entries()) seen.push((await prop.step({ ...img, index: k, time: k / 24 }, k === 0)).characters.length);
  assert.deepEqual(seen, [1, 1, 0, 1, 1]);
  assert.equal(blank(scene.image), false);
  // A frame three quarters black (a night sky) with part of the picture left is not blank.
  const night: Image = { ...scene.image, data: scene.image.data.map((v, i) => (Math.floor(i / 3) % W < 240 ? 0 : v)) };
  assert.equal(blank(night), false);
  // Asked of a box: the night sky's black part is blank, a box over what is left of the picture is not, and a small
  // figure in a black void (under 5% of the frame) leaves the frame blank but not her box.
  assert.equal(blank(night, 0.95, [0, 0, 200, scene.image.height]), true);
  assert.equal(blank(night, 0.95, [240, 0, W - 240, scene.image.height]), false);
  // A box partly off the frame is judged on what lies inside it; one with nothing inside is no blank box.
  assert.equal(blank(night, 0.95, [-50, -10, 240.5, scene.image.height + 40]), true);
  assert.equal(blank(night, 0.95, [0, 0, 0, 10]), false);
  assert.equal(blank(night, 0.95, [W + 5, 0, 10, 10]), false);
  const void_: Image = { ...scene.image, data: scene.image.data.map((v, i) => { const p = Math.floor(i / 3), x = p % W, y = Math.floor(p / W); return x >= 10 && x < 20 && y >= 10 && y < 20 ? 200 : 0; }) };
  assert.equal(blank(void_), true, 'a figure of 100 pixels in a black frame');
  assert.equal(blank(void_, 0.95, [8, 8, 14, 14]), false, 'her box is not blank');
  assert.equal(blank(void_, 0.95, [30, 30, 40, 40]), true);
  // Black lines on white: the frame counts as blank (black and white together), her box does not (either alone).
  const ink: Image = { ...scene.image, data: scene.image.data.map((_, i) => { const p = Math.floor(i / 3), x = p % W; return x % 4 === 0 ? 0 : 255; }) };
  assert.equal(blank(ink), true);
  assert.equal(blank(ink, 0.95, [0, 0, 40, 40]), false);
});

test('a carried box that shows something else is doubted: back when it shows her again, gone (and taken back) when it does not', async () => {
  const cv = await opencv();
  const W = 320, H = 180;
  const scene = drawScene(W, H, [{ cx: 120, top: 30, face: 24 }], 9);
  // Another shot: other scenery upside down (ground above, sky below: drawn scenes share their layout, and shots that
  // share theirs correlate), nobody where she stood; the shots detector missed the cut (a wipe, a white flash).
  const drawn = drawScene(W, H, [{ cx: 260, top: 60, face: 16, dress: [40, 160, 60] }], 4).image;
  const row = W * 3;
  const other = { image: { ...drawn, data: drawn.data.map((_, i) => drawn.data[(H - 1 - Math.floor(i / row)) * row + (i % row)]) } };
  const box = maskBox(scene.masks[0])!;
  const small = (img: Image) => shrink(grayOf(img), 2);
  // The premise, on the grids the propagator compares: her box shows her again, not the other shot's scenery.
  const her = patchGrid(small(scene.image), box, 2)!;
  assert.equal(samePatch(her, patchGrid(small(scene.image), [box[0] + 2, box[1] + 1, box[2], box[3]], 2)!), true);
  assert.equal(samePatch(her, patchGrid(small(other.image), box, 2)!), false);
  assert.equal(DOUBT_STEPS, 2);
  const once: CharacterDetector = { name: 'once', labels: ['body'], detect: async (_f, _p, i) => (i === 0 ? [{ frame: 0, box, score: 1, label: 'body', mask: cropMask(scene.masks[0], box) }] : []) };
  const run = async (frames: Image[], chain: CharacterDetector[] = [once], every = 60) => {
    const prop = new Propagator(cv, chain, every);
    const shown: number[] = [], tracks: number[][] = [], gone: Gone[][] = [], unsure: boolean[] = [];
    for (const [k, img] of frames.entries()) {
      const r = await prop.step({ ...img, index: k, time: k / 24 }, k === 0);
      shown.push(r.characters.length);
      tracks.push(r.characters.map((c) => c.body!.track!));
      gone.push(r.gone);
      unsure.push(prop.unsure);
    }
    return { shown, tracks, gone, unsure };
  };
  const [S, O] = [scene.image, other.image];
  // Over a missed cut: reported while in doubt (frame 2), gone on the next frame that still does not show her, and
  // what was reported of her (track 1) since frame 2 is to be taken back.
  const missed = await run([S, S, O, O, O]);
  assert.deepEqual(missed.shown, [1, 1, 1, 0, 0]);
  assert.deepEqual(missed.gone, [[], [], [], [{ track: 1, since: 2 }], []]);
  assert.deepEqual(missed.unsure, [false, false, true, false, false]);
  // One frame of something else over her (a smear, a flash of colour): she is back on the frame after, nothing taken
  // back; and a second such frame later is a doubt of its own, not the first one's second step.
  const back = await run([S, S, O, S, O, S]);
  assert.deepEqual(back.shown, [1, 1, 1, 1, 1, 1]);
  assert.ok(back.gone.every((g) => g.length === 0));
  // Her box on scenery while the picture as a whole stays (the flow lagged behind her, or she left it): no doubt, she
  // is carried on (a missed cut changes the whole picture).
  const without = drawScene(W, H, [], 9).image;
  const lagged = await run([S, S, without, without]);
  assert.deepEqual(lagged.shown, [1, 1, 1, 1]);
  assert.deepEqual(lagged.unsure, [false, false, false, false]);
  // A keyframe on a frame she is in doubt: whoever the chain finds there is not linked to her (a new track), and she
  // is taken back from that frame.
  const everywhere: CharacterDetector = { name: 'everywhere', labels: ['body'], detect: async (_f, _p, i) => [{ frame: i ?? 0, box, score: 1, label: 'body', mask: cropMask(scene.masks[0], box) }] };
  const keyed = await run([S, S, O, O], [everywhere], 2 / 24);
  assert.deepEqual(keyed.tracks, [[1], [1], [2], [2]]);
  assert.deepEqual(keyed.gone, [[], [], [{ track: 1, since: 2 }], []]);
});

test('what the propagator takes back goes from the shot: her track, from the frame her doubt began on', () => {
  const app = (frame: number, carried?: number) => ({ frame, carried });
  const apps = [app(1, 1), app(2, 1), app(2, 2), app(3, 1), app(3), app(4, 2)];
  assert.deepEqual(takeBack(apps, [{ track: 1, since: 2 }]), [app(1, 1), app(2, 2), app(3), app(4, 2)]);
  assert.deepEqual(takeBack(apps, []), apps);
  assert.deepEqual(takeBack(apps, [{ track: 1, since: 2 }, { track: 2, since: 4 }]), [app(1, 1), app(2, 2), app(3)]);
});

test('between keyframes the face finders watch for a new face; only a new one is added, and whoever is carried stays', async () => {
  const cv = await opencv();
  const W = 320, H = 180;
  const scene = drawScene(W, H, [{ cx: 80, top: 30, face: 24 }, { cx: 240, top: 30, face: 24 }], 9);
  const boxes = scene.masks.map((m) => maskBox(m)!);
  // The face finder sees the left girl on every frame, the right one only from frame 5 on (she turns to the camera).
  // Between keyframes it takes its quicker look (`glance`) where it has one.
  let looked = 0, glanced = 0, cuts = 0;
  const faces = (i = 0) => scene.faces.filter((_, k) => k === 0 || i >= 5).map((box) => ({ frame: i, box: [...box] as Box, score: 1, label: 'face' as const }));
  const finder: CharacterDetector = { name: 'finder', labels: ['face'], detect: async (_f, _p, i) => (looked++, faces(i)) };
  const quick: CharacterDetector = { ...finder, glance: async (_f, _p, i) => (glanced++, faces(i)) };
  // The body backend cuts one body per face it is given (as GrabCut does from face seeds); `wide` cuts the left
  // girl's body over both girls (one colour model for two touching figures).
  const bodies = (wide = false): CharacterDetector => ({
    name: 'bodies', labels: ['body'],
    detect: async (_f, prior, i) => prior.filter((d) => d.label === 'face').map((d) => {
      cuts++;
      const k = d.box[0] < W / 2 ? 0 : 1;
      const box: Box = wide && k === 0 && prior.length === 1 ? [boxes[0][0], boxes[0][1], boxes[1][0] + boxes[1][2] - boxes[0][0], boxes[0][3]] : boxes[k];
      return { frame: i ?? 0, box, score: 1, label: 'body' as const };
    }),
  });
  const run = async (watch: number, chain: CharacterDetector[] = [finder, bodies()]) => {
    looked = glanced = cuts = 0;
    const prop = new Propagator(cv, chain, 60, watch);
    const out: Array<{ n: number; key: boolean; added: number; tracks: number[]; boxes: Box[] }> = [];
    for (let k = 0; k < 10; k++) {
      const r = await prop.step({ ...scene.image, index: k, time: k / 24 }, k === 0);
      out.push({ n: r.characters.length, key: r.keyframe, added: r.added, tracks: r.characters.map((c) => c.body!.track!), boxes: r.characters.map((c) => c.body!.box) });
    }
    return out;
  };
  const off = await run(0);
  assert.deepEqual(off.map((r) => r.n), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'keyframes alone: the right girl is never found');
  assert.equal(looked, 1);
  const on = await run(2 / 24);
  assert.deepEqual(on.map((r) => r.n), [1, 1, 1, 1, 1, 1, 2, 2, 2, 2], 'found on the first watched frame that shows her face (6)');
  assert.deepEqual(on.map((r) => r.key), [true, false, false, false, false, false, false, false, false, false], 'the whole chain ran on the keyframe only');
  assert.deepEqual(on.map((r) => r.added), [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  assert.equal(looked, 5, 'the finder runs on the keyframe and on every second frame after it');
  assert.equal(cuts, 3, 'the body backend cuts on the keyframe, and once more where a face is new, given every face on the frame');
  assert.equal(on[6].tracks[0], on[0].tracks[0], 'the carried girl keeps her track');
  assert.notEqual(on[6].tracks[1], on[6].tracks[0]);
  assert.ok(boxIoU(on[9].boxes[1], boxes[1]) > 0.8, 'and carried on from there');
  assert.deepEqual(await run(2 / 24, [quick, bodies()]), on);
  assert.deepEqual([looked, glanced], [1, 4], 'the keyframe looks in full, the frames between glance');
  // The keyframe cut the left girl's body over both of them: the right girl's face lies in it, but not on the
  // carried girl's face, so she is someone new all the same, cut apart from the left girl.
  const wide = await run(2 / 24, [finder, bodies(true)]);
  assert.ok(boxIoU(wide[0].boxes[0], boxes[0]) < 0.6, 'the keyframe body is cut too wide');
  assert.deepEqual(wide.map((r) => r.n), on.map((r) => r.n));
  assert.ok(boxIoU(wide[6].boxes[1], boxes[1]) > 0.9);
  assert.ok(boxIoU(wide[6].boxes[0], boxes[0]) > 0.9, 'and the carried girl takes the joint cut\'s body, not the one over both');
  assert.equal(wide[9].tracks[0], wide[0].tracks[0]);
  // The keyframe put her face box a face and more below her face (as flow lagging on flat colours does): the face
  // found on her is still hers.
  const lagging: CharacterDetector = { ...finder, detect: async (f, p, i) => (await finder.detect(f, p, i)).map((d, k) => (k === 0 && !i ? { ...d, box: [d.box[0], d.box[1] + 1.2 * d.box[3], d.box[2], d.box[3]] as Box } : d)) };
  assert.deepEqual((await run(2 / 24, [lagging, bodies()])).map((r) => r.n), on.map((r) => r.n), 'not a second left girl');
  // A body backend that also gives a body of its own, with no face (a person detector's extra find): on a watched
  // frame only the new face's character is added.
  const extra: CharacterDetector = {
    name: 'extra', labels: ['body'],
    detect: async (f, prior, i) => [...(await bodies().detect(f, prior, i)), { frame: i ?? 0, box: [140, 100, 40, 60] as Box, score: 1, label: 'body' as const }],
  };
  const plus = await run(2 / 24, [finder, extra]);
  assert.deepEqual(plus.map((r) => r.n), [2, 2, 2, 2, 2, 2, 3, 3, 3, 3], 'its find on the keyframe stands, none is added on the watched frame');
});

test('a watch with GrabCut: the girl turning to the camera beside a carried one is cut apart from her, as on a keyframe', async () => {
  const cv = await opencv();
  const W = 320, H = 180;
  // Two girls side by side, touching; the face finder sees the right one's face only from frame 3 on.
  const scene = drawScene(W, H, [{ cx: 130, top: 20, face: 24 }, { cx: 170, top: 20, face: 24 }], 3);
  const face = (box: Box, i = 0): Detection => ({ frame: i, box: [...box] as Box, score: 1, label: 'face' });
  const finder: CharacterDetector = { name: 'finder', labels: ['face'], detect: async (_f, _p, i = 0) => scene.faces.filter((_, k) => k === 0 || i >= 3).map((b) => face(b, i)) };
  const prop = new Propagator(cv, [finder, new GrabCutBodies()], 60, 2 / 24);
  let last: Awaited<ReturnType<Propagator['step']>> | undefined;
  for (let k = 0; k < 5; k++) last = await prop.step({ ...scene.image, index: k, time: k / 24 }, k === 0);
  assert.equal(last!.added, 1, 'found on frame 4, the first watch after she turns');
  const masks = last!.characters.map((c) => fullMask(c.body!, W, H));
  const ious = scene.masks.map((m, k) => maskIoU(masks[k], m));
  assert.ok(ious.every((v) => v > 0.8), `each body on its girl: ${ious.map((v) => v.toFixed(2))}`);
  assert.ok(maskIoU(masks[0], masks[1]) < 0.05, 'the two share no pixels');
});

test('scoring: matching, P/R/F1 and misses counting as zero IoU', () => {
  assert.deepEqual(match([[0.9, 0.2], [0.6, 0.7]], 0.5), [[0, 0, 0.9], [1, 1, 0.7]]);
  assert.deepEqual(prf(3, 1, 2), { tp: 3, fp: 1, fn: 2, precision: 0.75, recall: 0.6, f1: (2 * 0.75 * 0.6) / 1.35 });
  const sc = drawScene(100, 80, [{ cx: 30, top: 5, face: 10 }, { cx: 75, top: 8, face: 10 }]);
  const box = maskBox(sc.masks[0])!;
  const chars = [{ body: { frame: 0, box, score: 1, label: 'body', mask: cropMask(sc.masks[0], box) }, face: faceDets([sc.faces[0]])[0] }, { face: faceDets([[80, 60, 5, 5]])[0] }];
  const s = scoreImage('x', 100, 80, chars, sc.masks, sc.faces);
  assert.deepEqual(s.ious, [1, 0]);
  assert.deepEqual([s.body.tp, s.body.fp, s.body.fn], [1, 0, 1]);
  assert.deepEqual([s.face!.tp, s.face!.fp, s.face!.fn], [1, 1, 1]);
});

test('evaluate reads a truth folder and scores a chain (with oracle faces)', async () => {
  const dir = tmp();
  for (let i = 0; i < 2; i++) {
    const sc = drawScene(240, 160, [{ cx: 70, top: 20, face: 22 }, { cx: 170, top: 25, face: 20, dress: [60, 60, 200] }], 11 + i);
    await writeImage(join(dir, `s${i}.png`), sc.image);
    for (const [k, m] of sc.masks.entries()) await writeImage(join(dir, `s${i}.mask-${k + 1}.png`), m);
    writeFileSync(join(dir, `s${i}.json`), JSON.stringify({ faces: sc.faces }));
  }
  const r = await evaluate(dir, [new CascadeFaces(), new GrabCutBodies()], { oracleFaces: true });
  assert.equal(r.images, 2);
  assert.equal(r.instances, 4);
  const ious = r.perImage.flatMap((p) => p.ious);
  assert.ok(Math.abs(r.meanIoU - ious.reduce((x, y) => x + y, 0) / 4) < 1e-9);
  assert.ok(r.meanIoU > 0.75, `mean IoU ${r.meanIoU}`);
  assert.equal(r.body.f1, 1);
  assert.equal(r.face!.f1, 1);
  // Without oracle faces the cascade finds no drawn (non-anime) faces: everything is a miss, honestly scored.
  const none = await evaluate(dir, [new CascadeFaces(), new GrabCutBodies()], { limit: 1 });
  assert.equal(none.meanIoU, 0);
  assert.equal(none.body.recall, 0);
  await assert.rejects(evaluate(join(dir, 'missing'), []), ToonscopeError);
});

test('COCO output holds RLE masks that decode to the detections', () => {
  const sc = drawScene(60, 40, [{ cx: 30, top: 2, face: 6 }]);
  const box = maskBox(sc.masks[0])!;
  const coco = new CocoWriter(['fixed', 'grabcut']);
  coco.add({ file_name: 'a.png', width: 60, height: 40 }, [{ body: { frame: 0, box, score: 0.8, label: 'body', mask: cropMask(sc.masks[0], box) }, face: faceDets([sc.faces[0]])[0] }]);
  const doc = JSON.parse(JSON.stringify(coco.doc));
  assert.equal(doc.images.length, 1);
  assert.deepEqual(doc.annotations.map((a: { category_id: number }) => a.category_id), [1, 2]);
  assert.deepEqual(fromRLE(doc.annotations[0].segmentation).data, sc.masks[0].data);
  assert.equal(doc.annotations[0].area, maskArea(sc.masks[0]));
  assert.equal(doc.annotations[1].character, doc.annotations[0].character);
});

test('CLI: characters writes COCO, masks and overlays; bad input is one clear error', async () => {
  const dir = tmp();
  const ws = join(dir, 'ws');
  const sc = drawScene(200, 150, [{ cx: 100, top: 20, face: 20 }], 4);
  const img = join(dir, 'scene.png');
  await writeImage(img, sc.image);
  const { code, out } = await printed(['characters', img, '-w', ws, '--json', '-q']);
  assert.equal(code, 0);
  const res = JSON.parse(out);
  assert.equal(res[0].kind, 'image');
  const coco = JSON.parse(readFileSync(join(ws, 'characters', 'scene', 'coco.json'), 'utf8'));
  assert.equal(coco.images[0].width, 200);
  assert.deepEqual(coco.categories.map((c: { name: string }) => c.name), ['body', 'face']);
  assert.ok(existsSync(join(ws, 'characters', 'scene', 'overlays', 'image.jpg')));
  const errs: string[] = [];
  const ewrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['characters', join(dir, 'nope.png'), '-w', ws]), 1);
    assert.equal(await main(['characters', img, '-w', ws, '--detectors', 'bogus']), 1);
  } finally {
    process.stderr.write = ewrite;
  }
  assert.match(errs[0], /nope\.png: no such file/);
  assert.match(errs[1], /unknown detector "bogus"/);
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/** Test face finder: the skin-coloured blob's bounds (stands in for the cascade on real anime). */
function skinFaces(onCall: () => void): CharacterDetector {
  return {
    name: 'skin', labels: ['face'],
    detect: async (f, _p, idx = 0) => {
      onCall();
      const m: Image = { width: f.width, height: f.height, channels: 1, data: new Uint8Array(f.width * f.height) };
      for (let i = 0; i < m.data.length; i++) {
        const [r, g, b] = [f.data[i * 3], f.data[i * 3 + 1], f.data[i * 3 + 2]];
        if (r > 235 && g > 205 && g < 240 && b > 180 && b < 225) m.data[i] = 255;
      }
      const y0 = maskBox(m)?.[1] ?? 0;
      for (let i = 0; i < m.data.length; i++) if (Math.floor(i / f.width) > y0 + 30) m.data[i] = 0; // the face, not the arms
      const box = maskBox(m);
      return box ? [{ frame: idx, box, score: 1, label: 'face' }] : [];
    },
  };
}

test('video: keyframes run the chain, other frames are carried by flow', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const { VideoWriter } = await import('../src/core/video.js');
  const { charactersInVideo } = await import('../src/characters/video.js');
  const dir = tmp();
  const file = join(dir, 'walk.mp4');
  const W = 320, H = 180, N = 12;
  const scenes = [...Array(N).keys()].map((i) => drawScene(W, H, [{ cx: 80 + 8 * i, top: 30, face: 24 }], 9));
  const vw = new VideoWriter(file, W, H, 12, { crf: 12 });
  for (const s of scenes) await vw.write(s.image);
  await vw.close();
  let calls = 0;
  const skin = skinFaces(() => calls++);
  const results = [];
  for await (const r of charactersInVideo(file, [skin, new GrabCutBodies()], { fps: 12, every: 0.5, width: W })) results.push(r);
  assert.equal(results.length, N);
  assert.equal(calls, results.filter((r) => r.keyframe).length);
  assert.ok(calls >= 2 && calls < N, `${calls} keyframes`);
  for (const [i, r] of results.entries()) {
    const body = r.characters[0]?.body;
    assert.ok(body, `frame ${i} has a body`);
    const iou = maskIoU(fullMask(body!, W, H), scenes[i].masks[0]);
    assert.ok(iou > 0.8, `frame ${i} (${r.keyframe ? 'key' : 'carried'}) IoU ${iou.toFixed(3)}`);
    assert.equal(body!.track, results[0].characters[0].body!.track, 'one track through the shot');
  }
  mkdirSync(dir, { recursive: true });
  assert.ok(readdirSync(dir).includes('walk.mp4'));
});

test('video: a cut found by the shots detector starts afresh (a keyframe, a new track, no flow across it)', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const { VideoWriter } = await import('../src/core/video.js');
  const { charactersInVideo } = await import('../src/characters/video.js');
  const file = join(tmp(), 'cut.mp4');
  const W = 320, H = 180;
  // 12 frames of one shot, then 12 of another (other background, the figure elsewhere).
  const scenes = [...Array(24).keys()].map((i) => (i < 12 ? drawScene(W, H, [{ cx: 80 + 4 * i, top: 30, face: 24 }], 9) : drawScene(W, H, [{ cx: 230, top: 50, face: 24 }], 3)));
  const vw = new VideoWriter(file, W, H, 12, { crf: 12 });
  for (const s of scenes) await vw.write(s.image);
  await vw.close();
  const results: Awaited<ReturnType<ReturnType<typeof charactersInVideo>['next']>>['value'][] = [];
  for await (const r of charactersInVideo(file, [skinFaces(() => undefined), new GrabCutBodies()], { fps: 12, every: 100, width: W })) results.push(r);
  assert.deepEqual(results.flatMap((r, i) => (r.keyframe ? [i] : [])), [0, 12]);
  const track = (i: number) => results[i].characters[0]?.body?.track;
  assert.equal(track(11), track(0));
  assert.notEqual(track(12), track(11), 'a new track after the cut');
  const iou = maskIoU(fullMask(results[12].characters[0].body!, W, H), scenes[12].masks[0]);
  assert.ok(iou > 0.8, `detected afresh after the cut: IoU ${iou.toFixed(3)}`);
});

test('truth building: seeded RNG repeats, stamping blends colour and returns the alpha >= 128 mask', async () => {
  const { rng, stamp, flip } = await import('../src/characters/truth.js');
  const a = rng(5), b = rng(5), c = rng(6);
  const sa = [a(), a(), a()], sb = [b(), b(), b()];
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, [c(), c(), c()]);
  assert.ok(sa.every((v) => v >= 0 && v < 1));
  const frame: Image = { width: 4, height: 3, channels: 3, data: new Uint8Array(36).fill(100) };
  // 2x1 sprite: one opaque red pixel, one 40%-alpha pixel.
  const sprite: Image = { width: 2, height: 1, channels: 4, data: new Uint8Array([255, 0, 0, 255, 0, 0, 255, 102]) };
  const m = stamp(frame, sprite, 1, 1);
  assert.deepEqual([...m], [0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...frame.data.subarray(15, 21)], [255, 0, 0, 60, 60, 162]);
  assert.deepEqual([...flip(sprite).data], [0, 0, 255, 102, 255, 0, 0, 255]);
  // Clipped at the frame edge without throwing.
  assert.equal([...stamp(frame, sprite, 3, 2)].filter(Boolean).length, 1);
});

test('ONNX backend runs real sessions: YOLO boxes map back through the letterbox, salient maps become masks', async () => {
  const dir = tmp();
  // YOLOv8 layout [1, 4+2, 16]: one 'face' candidate centred at (100,80), 40x40, in the 160x160 letterboxed input.
  const n = 16, yolo = new Float32Array(6 * n);
  [100, 80, 40, 40, 0.9, 0.05].forEach((v, k) => (yolo[k * n] = v));
  const yfile = join(dir, 'yolo.onnx');
  writeFileSync(yfile, constantModel([1, 3, 160, 160], yolo, [1, 6, n]));
  const frame = drawScene(320, 160, [], 1).image; // letterbox: scale 0.5, padded 40 px top and bottom
  const [det] = parseChain(`yolo=${yfile}:face:body`);
  const found = await det.detect(frame, []);
  await det.dispose?.();
  assert.equal(found.length, 1);
  assert.equal(found[0].label, 'face');
  assert.deepEqual(found[0].box.map((v) => Math.round(v)), [160, 40, 80, 80]);
  // Salient [1,1,32,32]: a block in the left half becomes one body mask at frame size.
  const S = 32, sal = new Float32Array(S * S);
  for (let y = 8; y < 24; y++) for (let x = 4; x < 12; x++) sal[y * S + x] = 1;
  const sfile = join(dir, 'sal.onnx');
  writeFileSync(sfile, constantModel([1, 3, S, S], sal, [1, 1, S, S]));
  const [seg] = parseChain(`salient=${sfile}`);
  const bodies = await seg.detect(frame, []);
  await seg.dispose?.();
  assert.equal(bodies.length, 1);
  assert.ok(boxIoU(bodies[0].box, [40, 40, 80, 80]) > 0.85, `box ${bodies[0].box}`);
  assert.ok(bodies[0].mask && maskArea(bodies[0].mask) > 0.85 * 80 * 80);
});

test('eval characters --boxes: hand-drawn boxes on video frames, crop of side-by-side footage, P/R/F1 at IoU 0.5', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const { VideoWriter } = await import('../src/core/video.js');
  const { evaluateBoxes } = await import('../src/characters/boxeval.js');
  const dir = tmp();
  // A side-by-side clip (footage | two copies): the figure sits in the left third.
  const W = 96, H = 60;
  const scenes = [0, 1, 2].map((i) => drawScene(W, H, [{ cx: 30 + 10 * i, top: 8, face: 14 }], 5));
  const vw = new VideoWriter(join(dir, 'side.mp4'), 3 * W, H, 12, { crf: 12 });
  for (const s of scenes) {
    const wide: Image = { width: 3 * W, height: H, channels: 3, data: new Uint8Array(3 * W * H * 3) };
    for (let y = 0; y < H; y++) for (let k = 0; k < 3; k++) wide.data.set(s.image.data.subarray(y * W * 3, (y + 1) * W * 3), (y * 3 * W + k * W) * 3);
    await vw.write(wide);
  }
  await vw.close();
  const face = (i: number) => scenes[i].faces[0];
  const body = (i: number) => maskBox(scenes[i].masks[0])!;
  writeFileSync(join(dir, 'truth.json'), JSON.stringify({ frames: [0, 2].map((i) => ({ video: 'side.mp4', frame: i, crop: 'left-third', characters: [{ face: face(i), body: body(i) }] })) }));
  // Finds frame 0's character exactly and, on frame 2, a face in the wrong place.
  const seen: number[] = [];
  const fixed: CharacterDetector = {
    name: 'fixed', labels: ['face', 'body'],
    detect: async (img, _p, idx = 0) => {
      seen.push(img.width);
      return idx === 0 ? [{ frame: 0, box: face(0), score: 1, label: 'face' }, { frame: 0, box: body(0), score: 1, label: 'body' }] : [{ frame: idx, box: [70, 40, 10, 10], score: 1, label: 'face' }];
    },
  };
  const r = await evaluateBoxes(join(dir, 'truth.json'), dir, [fixed]);
  assert.deepEqual(seen, [W, W], 'the chain sees the left third only');
  assert.equal(r.frames, 2);
  assert.deepEqual([r.face.tp, r.face.fp, r.face.fn], [1, 1, 1]);
  assert.deepEqual([r.body.tp, r.body.fp, r.body.fn], [1, 0, 1]);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ frames: [{ video: 'side.mp4', frame: 99, characters: [] }] }));
  await assert.rejects(evaluateBoxes(join(dir, 'bad.json'), dir, [fixed]), /side\.mp4: frame\(s\) 99 could not be decoded/);
  await assert.rejects(evaluateBoxes(join(dir, 'none.json'), dir, [fixed]), /none\.json: no such file/);
});

// Frame numbers drawn into the picture as 6 black/white squares (bit k at x = 12k), read back from any copy of it.
const CODE = 12;
function stampCode(img: Image, n: number): void {
  for (let k = 0; k < 6; k++) {
    const v = (n >> k) & 1 ? 255 : 0;
    for (let y = 0; y < CODE; y++) for (let x = k * CODE; x < (k + 1) * CODE; x++) for (let c = 0; c < img.channels; c++) img.data[(y * img.width + x) * img.channels + c] = v;
  }
}
function readCode(img: Image): number {
  let n = 0;
  for (let k = 0; k < 6; k++) {
    const i = ((CODE >> 1) * img.width + k * CODE + (CODE >> 1)) * img.channels;
    if (img.data[i] > 127) n |= 1 << k;
  }
  return n;
}

test('video: frame N of the COCO file and overlay N are decoded frame N, on both sides of a cut', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const { VideoWriter } = await import('../src/core/video.js');
  const { Workspace } = await import('../src/core/workspace.js');
  const { runVideo } = await import('../src/characters/run.js');
  const { readImage } = await import('../src/core/image.js');
  const dir = tmp();
  const file = join(dir, 'coded.mp4');
  const W = 320, H = 180;
  // 24 fps; the cut is at frame 25, which the 8 fps analysis (every 3rd frame) does not land on from the start.
  const vw = new VideoWriter(file, W, H, 24, { crf: 10 });
  for (let i = 0; i < 48; i++) {
    const s = i < 25 ? drawScene(W, H, [{ cx: 80 + 2 * i, top: 40, face: 24 }], 9) : drawScene(W, H, [{ cx: 230, top: 60, face: 24 }], 3);
    // The second shot is a night scene: a change the shots detector must call a cut.
    if (i >= 25) for (let k = 0; k < s.image.data.length; k++) s.image.data[k] = s.image.data[k] >> 2;
    stampCode(s.image, i);
    await vw.write(s.image);
  }
  await vw.close();
  // ffmpeg's own decode order agrees with the drawn numbers.
  const png = join(dir, 'f25.png');
  assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'select=eq(n\\,25)', '-frames:v', '1', '-y', png]).status, 0);
  assert.equal(readCode(await readImage(png)), 25);
  // A test backend that reports, as its score, the number drawn in the frame it was given.
  const reader: CharacterDetector = { name: 'reader', labels: ['face'], detect: async (f) => [{ frame: 0, box: [100, 60, 40, 40], score: readCode(f) / 100, label: 'face' }] };
  const ws = Workspace.open(join(dir, 'ws'));
  try {
    const run = await runVideo(ws, file, [reader], { fps: 8, every: 0, width: W, allFrames: true });
    const coco = JSON.parse(readFileSync(run.coco, 'utf8')) as { images: { id: number; frame: number }[]; annotations: { image_id: number; score: number }[] };
    const frames = coco.images.map((i) => i.frame);
    assert.ok(frames.includes(24) && frames.includes(25), `analysed both sides of the cut: ${frames.join(',')}`);
    for (const img of coco.images) {
      const ann = coco.annotations.find((a) => a.image_id === img.id)!;
      assert.equal(Math.round(ann.score * 100), img.frame, `COCO frame ${img.frame} holds the detections of decoded frame ${img.frame}`);
      const over = await readImage(join(run.dir, 'overlays', `${String(img.frame).padStart(6, '0')}.jpg`));
      assert.equal(readCode(over), img.frame, `overlay ${img.frame} shows decoded frame ${img.frame}`);
    }
  } finally {
    ws.close();
  }
});

test('GrabCut on the helper thread gives the same masks as on this one', async () => {
  const cv = await opencv();
  const W = 240, H = 160;
  const { image } = drawScene(W, H, [{ cx: 60, top: 20, face: 22 }, { cx: 170, top: 30, face: 22 }], 4);
  const job = (cx: number): { init: Uint8Array; rect: [number, number, number, number] } => {
    const init = new Uint8Array(W * H).fill(GC_BGD);
    for (let y = 5; y < H; y++) for (let x = cx - 45; x < cx + 45; x++) init[y * W + x] = GC_PR_BGD;
    for (let y = 30; y < 70; y++) for (let x = cx - 6; x < cx + 6; x++) init[y * W + x] = GC_FGD;
    return { init, rect: [cx - 50, 0, cx + 50, H] };
  };
  const jobs = [job(60), job(170), job(115)];
  const two = availableParallelism() >= 2;
  const before = cutThreadCuts();
  // Until the helper has loaded its opencv-js every cut is made here: wait for it, so it takes its lane.
  const together = await withCutThread(async () => {
    assert.equal(await cutThreadReady(), two, 'the helper is ready on two cores');
    return cutAll(cv, image, jobs, 2);
  });
  assert.equal(cutThreadState(), two ? 'on' : 'off');
  assert.equal(cutThreadCuts() > before, two, 'the helper made cuts of its own');
  jobs.forEach((j, k) => {
    const alone = cut(cv, image, j.init, j.rect, 2);
    assert.ok(alone.some((v) => v), `cut ${k} finds a foreground`);
    assert.deepEqual(together[k], alone, `cut ${k}`);
  });
  // A frame that cannot be sent to the thread (here: it carries a function) is cut here, and nothing waits for a reply
  // that never comes (the test would not end).
  const odd = Object.assign({}, image, { note: () => 'not cloneable' });
  const sent = cutThreadCuts();
  const here = await withCutThread(() => cutAll(cv, odd, jobs, 2));
  jobs.forEach((_, k) => assert.deepEqual(here[k], together[k], `unsent cut ${k}`));
  assert.equal(cutThreadCuts(), sent, 'nothing was cut on the helper');
  assert.equal(cutThreadState(), two ? 'on' : 'off', 'and the helper stays for the next frame');
});

test('GrabCut helper thread: TOONSCOPE_CUT_THREAD switches it off with 0, off, false or no', () => {
  for (const v of ['0', 'off', 'FALSE', ' no ']) assert.equal(cutThreadOff(v), true, `"${v}"`);
  for (const v of [undefined, '', '1', 'on', 'yes']) assert.equal(cutThreadOff(v), false, `"${v}"`);
});
