import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourFeatures, COLOUR_DIM, hsv, cropBox, padSquare, combine, cosine, embedCrops, embedDetections, DEEP_DIM, PAD } from '../src/embed/index.js';
import { synthClip } from '../src/dictionary/synth.js';
import type { Detection, Image } from '../src/core/types.js';

const solid = (w: number, h: number, rgb: [number, number, number]): Image => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, channels: 3, data };
};
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

test('hsv conversion of primaries and greys', () => {
  assert.deepEqual(hsv(255, 0, 0), [0, 1, 1]);
  const [h, s, v] = hsv(0, 0, 255);
  assert.ok(Math.abs(h - 2 / 3) < 1e-9 && s === 1 && v === 1);
  assert.deepEqual(hsv(128, 128, 128).slice(0, 2), [0, 0]);
});

test('colour features count only mask pixels and compare distributions', () => {
  // Left half red, right half blue; the mask keeps the left half only.
  const img = solid(10, 4, [0, 0, 255]);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) img.data.set([255, 0, 0], (y * 10 + x) * 3);
  const mask = new Uint8Array(40);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) mask[y * 10 + x] = 255;
  const red = colourFeatures(solid(3, 3, [255, 0, 0]));
  const blue = colourFeatures(solid(3, 3, [0, 0, 255]));
  const masked = colourFeatures(img, mask);
  const whole = colourFeatures(img);
  assert.equal(red.length, COLOUR_DIM);
  assert.ok(Math.abs(norm(red) - 1) < 1e-6);
  assert.ok(Math.abs(cosine(masked, red) - 1) < 1e-6, 'masked crop is pure red');
  assert.ok(Math.abs(cosine(red, blue)) < 1e-6, 'disjoint colours are orthogonal');
  // Half red, half blue: Bhattacharyya coefficient sqrt(0.5) with each.
  assert.ok(Math.abs(cosine(whole, red) - Math.SQRT1_2) < 1e-6);
  assert.equal(norm(colourFeatures(img, new Uint8Array(40))), 0, 'empty mask gives a zero vector');
});

test('combine weights the cosines of its parts', () => {
  const a1 = Float32Array.from([1, 0, 0]), a2 = Float32Array.from([0, 1]);
  const b1 = Float32Array.from([0, 1, 0]), b2 = Float32Array.from([0, 3]);
  const a = combine([a1, a2], [0.7, 0.3]), b = combine([b1, b2], [0.7, 0.3]);
  assert.ok(Math.abs(norm(a) - 1) < 1e-6);
  assert.ok(Math.abs(cosine(a, b) - 0.3) < 1e-6); // 0.7 * 0 + 0.3 * 1
});

test('crops grey out the background outside the mask and clip to the frame', () => {
  const frame = solid(20, 10, [10, 200, 30]);
  const mask: Image = { width: 4, height: 4, channels: 1, data: new Uint8Array(16) };
  mask.data[5] = 255; // (1,1) inside
  const { image, mask: m } = cropBox(frame, [2, 2, 4, 4], mask);
  assert.equal(image.width, 4);
  assert.deepEqual([...image.data.subarray(15, 18)], [10, 200, 30]);
  assert.deepEqual([...image.data.subarray(0, 3)], [PAD, PAD, PAD]);
  assert.equal(m[5], 255);
  assert.equal(m[0], 0);
  const clipped = cropBox(frame, [15, -3, 10, 8]);
  assert.equal(clipped.image.width, 5);
  assert.equal(clipped.image.height, 5);
  const sq = padSquare(solid(4, 2, [1, 2, 3]));
  assert.equal(sq.width, 4);
  assert.equal(sq.height, 4);
  assert.deepEqual([...sq.data.subarray(0, 3)], [PAD, PAD, PAD]);
});

test('MobileNetV2 embedding: 1280-d unit vectors, deterministic, same figure closer than another figure', async () => {
  const clip = synthClip({ width: 320, height: 180, shots: 3, identities: 5, perShot: [2, 2], seed: 5 });
  // Two frames of the first shot: the same two figures a few frames apart.
  const s = clip.shots[0];
  const f0 = clip.render(s.start), f1 = clip.render(s.start + 6);
  const crops = [...f0.truth, ...f1.truth].map((t, i) => cropBox(i < f0.truth.length ? f0.image : f1.image, t.box, t.mask).image);
  const ids = [...f0.truth, ...f1.truth].map((t) => t.identity);
  const v = await embedCrops(crops);
  assert.equal(v.length, crops.length);
  assert.equal(v[0].length, DEEP_DIM);
  for (const x of v) assert.ok(Math.abs(norm(x) - 1) < 1e-5);
  const again = await embedCrops([crops[0]]);
  assert.ok(cosine(again[0], v[0]) > 0.9999);
  const n0 = f0.truth.length;
  for (let i = 0; i < n0; i++) {
    const same = v.findIndex((_, j) => j >= n0 && ids[j] === ids[i]);
    const other = v.findIndex((_, j) => j >= n0 && ids[j] !== ids[i]);
    if (same < 0 || other < 0) continue;
    assert.ok(cosine(v[i], v[same]) > cosine(v[i], v[other]), `figure ${ids[i]}: same ${cosine(v[i], v[same])} vs other ${cosine(v[i], v[other])}`);
  }
  // embedDetections sets a combined unit vector on every detection.
  const dets: Detection[] = f0.truth.map((t) => ({ frame: t.frame, box: t.box, score: 1, label: 'character', mask: t.mask }));
  await embedDetections(f0.image, dets, { size: 128 });
  for (const d of dets) assert.ok(d.embedding && Math.abs(norm(d.embedding) - 1) < 1e-5 && d.embedding.length === DEEP_DIM + COLOUR_DIM);
});

test('the trimmed backbone equals nsfwjs\'s full MobileNetV2 Flatten output at 224 px', async () => {
  const { createRequire } = await import('node:module');
  const { runBackbone, tf, mobilenetDir } = await import('../src/embed/backend.js');
  const require = createRequire(import.meta.url);
  const dir = mobilenetDir();
  const json = require(`${dir}/model.min.js`);
  const buf = Buffer.from(require(`${dir}/group1-shard1of1.min.js`) as string, 'base64');
  const full = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer }));
  const flat = tf.model({ inputs: full.inputs, outputs: full.getLayer('flatten_1').output as ReturnType<typeof tf.input> });
  const px = Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 13) % 256);
  const [mine] = await runBackbone([px]);
  const ref = (flat.predict(tf.tensor4d(Float32Array.from(px, (v) => v / 255), [1, 224, 224, 3])) as ReturnType<typeof tf.tensor>).dataSync();
  let max = 0;
  for (let i = 0; i < 1280; i++) max = Math.max(max, Math.abs(mine[i] - ref[i]));
  assert.ok(max < 1e-4, `max difference ${max}`);
  full.dispose();
});

test('dense stride-16 features (batch norms folded) equal tfjs-layers\' block_13_expand_relu, cell by cell', async () => {
  const { createRequire } = await import('node:module');
  const backend = await import('../src/embed/backend.js');
  const { denseFeatures, mobilenetDir } = backend;
  const require = createRequire(import.meta.url);
  const dir = mobilenetDir();
  const json = require(`${dir}/model.min.js`);
  const buf = Buffer.from(require(`${dir}/group1-shard1of1.min.js`) as string, 'base64');
  const W = 96, H = 64;
  const px = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 29 + ((i / 301) | 0) * 17) % 256);
  const fm = await denseFeatures(px, W, H);
  assert.deepEqual([fm.cols, fm.rows, fm.dim], [W / 16, H / 16, 576]);
  const tf = backend.tf; // set once the backend is up
  // The reference: nsfwjs's Keras model up to that layer, run by tfjs-layers (its weights are one buffer in manifest order).
  const topo = structuredClone(json.modelTopology);
  const cfg = topo.model_config.config;
  cfg.layers = cfg.layers.slice(0, cfg.layers.findIndex((l: { name: string }) => l.name === 'block_13_expand_relu') + 1);
  cfg.layers[0].config.batch_input_shape = [1, H, W, 3];
  cfg.output_layers = [['block_13_expand_relu', 0, 0]];
  const keep = new Set(cfg.layers.map((l: { name: string }) => l.name));
  const specs = [], parts = [];
  let off = 0;
  for (const w of json.weightsManifest[0].weights) {
    const bytes = w.shape.reduce((a: number, b: number) => a * b, 1) * (w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : 4);
    if (keep.has(w.name.split('/')[0])) { specs.push(w); parts.push(buf.subarray(off, off + bytes)); }
    off += bytes;
  }
  const data = Buffer.concat(parts);
  const full = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topo, weightSpecs: specs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer }));
  const y = full.predict(tf.tensor4d(Float32Array.from(px, (v) => v / 255), [1, H, W, 3])) as ReturnType<typeof tf.tensor>;
  const ref = y.div(y.norm('euclidean', -1, true).add(1e-6)).dataSync();
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(fm.data[i] - ref[i]));
  assert.ok(max < 1e-4, `max difference ${max}`);
  full.dispose();
  // Its batch norm and convolution were folded into it: asking for them is an error, not the activated output.
  await assert.rejects(denseFeatures(px, W, H, 'block_13_expand_BN'), /folded into block_13_expand_relu/);
  await assert.rejects(denseFeatures(px, W, H, 'block_13_expand'), /folded into block_13_expand_relu/);
});

test('the backbone runs on onnxruntime (the same folded weights) and gives what tfjs-wasm gives, at any size', { skip: process.env.TOONSCOPE_NO_ORT || process.env.TOONSCOPE_ORT_THREADS ? 'TOONSCOPE_NO_ORT or TOONSCOPE_ORT_THREADS is set' : false }, async () => {
  const { denseFeatures, runBackbone, backboneRuntime } = await import('../src/embed/backend.js');
  assert.equal(await backboneRuntime(), 'onnxruntime');
  // Sides that are no multiple of 32: the stride-2 layers' explicit pads leave a row or column over at the end.
  const W = 200, H = 120;
  const px = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 7919 + (i >> 7) * 31) % 256);
  const crops = [0, 1].map((j) => Uint8Array.from({ length: 160 * 160 * 3 }, (_, i) => (i * (13 + j) + j * 50) % 256));
  const ort = { fm: await denseFeatures(px, W, H), v: await runBackbone(crops, 160) };
  process.env.TOONSCOPE_NO_ORT = '1';
  try {
    assert.match(await backboneRuntime(), /^tfjs-wasm \(TOONSCOPE_NO_ORT\)/);
    const fm = await denseFeatures(px, W, H);
    const v = await runBackbone(crops, 160);
    assert.deepEqual([ort.fm.rows, ort.fm.cols, ort.fm.dim], [fm.rows, fm.cols, fm.dim]);
    assert.ok(most(ort.fm.data, fm.data) < 1e-4, `dense maps differ by ${most(ort.fm.data, fm.data)}`);
    assert.equal(ort.v.length, 2);
    for (let j = 0; j < 2; j++) assert.ok(most(ort.v[j], v[j]) < 1e-4, `crop ${j}: embeddings differ by ${most(ort.v[j], v[j])}`);
    // Two different crops in one batch stay apart (each image pooled over its own cells).
    assert.ok(most(ort.v[0], ort.v[1]) > 1e-2);
  } finally {
    delete process.env.TOONSCOPE_NO_ORT;
  }
  // A session that cannot be made is an error, not a quiet fall back to tfjs, and is not kept: once the cause is
  // gone, the same layer works.
  process.env.TOONSCOPE_ORT_THREADS = 'many';
  try {
    await assert.rejects(denseFeatures(px, W, H, 'block_12_expand_relu'), /TOONSCOPE_ORT_THREADS=many/);
  } finally {
    delete process.env.TOONSCOPE_ORT_THREADS;
  }
  assert.equal((await denseFeatures(px, W, H, 'block_12_expand_relu')).dim, 576);
});

test('a folded net written as ONNX computes what it computes in tfjs: explicit and "same" paddings at stride 2, ReLU ceilings, sums', async () => {
  const { initBackend } = await import('../src/embed/backend.js');
  await initBackend();
  const { tf } = await import('../src/embed/backend.js');
  const { FusedNet } = await import('../src/embed/net.js');
  const { onnxModel } = await import('../src/core/onnx-write.js');
  const { session, runtime } = await import('../src/core/ort.js');
  const conv = { data_format: 'channels_last', activation: 'linear', dilation_rate: [1, 1] };
  const layer = (name: string, class_name: string, config: Record<string, unknown>, ins: string[] = []) => ({ name, class_name, config, inbound_nodes: ins.length ? [ins.map((i) => [i, 0, 0, {}] as [string, number, number, unknown])] : [] });
  const layers = [
    layer('in', 'InputLayer', {}),
    layer('pad', 'ZeroPadding2D', { padding: [[1, 2], [0, 3]] }, ['in']),
    layer('c', 'Conv2D', { ...conv, padding: 'same', strides: [2, 2], use_bias: true }, ['pad']),
    layer('r', 'ReLU', { max_value: 6 }, ['c']),
    layer('dw', 'DepthwiseConv2D', { ...conv, padding: 'same', strides: [2, 2], use_bias: false, depth_multiplier: 1 }, ['r']),
    layer('bn', 'BatchNormalization', { axis: -1, epsilon: 1e-3 }, ['dw']),
    layer('r2', 'ReLU', { max_value: null }, ['bn']),
    layer('r3', 'ReLU', { max_value: 4 }, ['r2']),
    layer('add', 'Add', {}, ['r2', 'r3']),
    // Padding before a 'valid' convolution becomes the convolution's own pads (top, left, bottom, right).
    layer('pad2', 'ZeroPadding2D', { padding: [[1, 2], [0, 3]] }, ['add']),
    layer('c2', 'Conv2D', { ...conv, padding: 'valid', strides: [2, 2], use_bias: true }, ['pad2']),
  ];
  const wave = (shape: number[], seed: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 12.9898 + seed) * 2), shape);
  const net = FusedNet.build(layers, { 'c/kernel': wave([3, 4, 3, 8], 1), 'c/bias': wave([8], 2), 'dw/depthwise_kernel': wave([3, 3, 8, 1], 3), 'bn/gamma': wave([8], 4), 'bn/beta': wave([8], 5), 'bn/moving_mean': wave([8], 6), 'bn/moving_variance': tf.abs(wave([8], 7)).add(0.1), 'c2/kernel': wave([3, 4, 8, 5], 8), 'c2/bias': wave([5], 9) });
  const { Tensor } = await runtime();
  // Odd and even sides: TensorFlow's 'same' puts the extra row and column of a stride-2 padding at the end (SAME_UPPER).
  for (const [H, W] of [[11, 13], [10, 10], [7, 9]]) {
    for (const out of ['c2', 'add', 'r2', 'r']) {
      const x = Float32Array.from({ length: 2 * H * W * 3 }, (_, i) => Math.cos(i * 0.37));
      const r = await (await session(onnxModel(net.onnx(out)))).run({ x: new Tensor('float32', x, [2, H, W, 3]) });
      const t = tf.tidy(() => net.apply(tf.tensor4d(x, [2, H, W, 3]), out));
      assert.deepEqual([...r.y.dims], t.shape, `${H}x${W} ${out}`);
      const want = await t.data();
      t.dispose();
      assert.ok(most(r.y.data as Float32Array, want) < 1e-4, `${H}x${W} ${out}: differ by ${most(r.y.data as Float32Array, want)}`);
    }
  }
});

function most(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('TOONSCOPE_ORT_THREADS sets onnxruntime\'s threads: a whole number from 1, else a one-line error naming it', async () => {
  const { ortThreads } = await import('../src/core/ort.js');
  const before = process.env.TOONSCOPE_ORT_THREADS;
  try {
    delete process.env.TOONSCOPE_ORT_THREADS;
    assert.ok(ortThreads() >= 1 && ortThreads() <= 4);
    process.env.TOONSCOPE_ORT_THREADS = '3';
    assert.equal(ortThreads(), 3);
    for (const bad of ['0', '1.5', 'two', '-1']) {
      process.env.TOONSCOPE_ORT_THREADS = bad;
      assert.throws(() => ortThreads(), new RegExp(`TOONSCOPE_ORT_THREADS=${bad}: not a whole number`));
    }
  } finally {
    if (before === undefined) delete process.env.TOONSCOPE_ORT_THREADS;
    else process.env.TOONSCOPE_ORT_THREADS = before;
  }
});
