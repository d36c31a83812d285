// The only file that loads tfjs (on first use). It loads nsfwjs's MobileNetV2 (Keras layers
// model, weights shipped as a base64 string inside a CommonJS `.min.js` shard)
// straight from node_modules under the wasm backend: nsfwjs's own load() goes
// through a slow generic path (10-97 s), reading the two files takes ~0.4 s.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { ToonscopeError } from '../core/errors.js';
import { FusedNet } from './net.js';
import { onnxModel } from '../core/onnx-write.js';
import { runtime, session } from '../core/ort.js';
import type { InferenceSession } from 'onnxruntime-node';

/**
 * tfjs, once initBackend() has run. Imported on first use, not with this
 * module: loading tfjs costs about 1.7 s, which every CLI command paid at
 * start-up while only analyze's embeddings and the dictionary head need it.
 */
export let tf: typeof TF;
const require = createRequire(import.meta.url);

let ready: Promise<void> | undefined;

/** Select the wasm backend once (falls back to tfjs's cpu backend only if wasm cannot start). */
export function initBackend(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      tf = await import('@tensorflow/tfjs');
      const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
      const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      setWasmPaths(wasmDir + '/');
      // tfjs prints a "hi there" banner about tfjs-node: silence it.
      tf.env().set('IS_NODE', true);
      const ok = await tf.setBackend('wasm').catch(() => false);
      if (!ok) await tf.setBackend('cpu');
      await tf.ready();
      fixMatMul();
    })();
  }
  return ready;
}

/**
 * tfjs-wasm's matMul with transposeA/transposeB is 15-20x slower than
 * transposing first; gradients of dense layers use exactly those. Wrap the
 * kernel so it transposes explicitly and calls the plain kernel.
 */
let matMulFixed = false;
function fixMatMul(): void {
  if (matMulFixed || tf.getBackend() !== 'wasm') return;
  const k = tf.getKernel('BatchMatMul', 'wasm');
  if (!k) return;
  const plain = k.kernelFunc;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!attrs.transposeA && !attrs.transposeB) return plain(args);
      const backend = args.backend as TF.KernelBackend;
      const inputs = args.inputs as { a: TF.TensorInfo; b: TF.TensorInfo };
      const tmp: TF.TensorInfo[] = [];
      const tr = (x: TF.TensorInfo): TF.TensorInfo => {
        const perm = x.shape.map((_, i) => i);
        const n = perm.length;
        [perm[n - 1], perm[n - 2]] = [perm[n - 2], perm[n - 1]];
        const t = tf.getKernel('Transpose', 'wasm')!.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TF.TensorInfo;
        tmp.push(t);
        return t;
      };
      const a = attrs.transposeA ? tr(inputs.a) : inputs.a;
      const b = attrs.transposeB ? tr(inputs.b) : inputs.b;
      const out = plain({ ...args, inputs: { a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      for (const t of tmp) backend.disposeData(t.dataId);
      return out;
    },
  });
  matMulFixed = true;
}

/** Where nsfwjs keeps its MobileNetV2 files. */
export function mobilenetDir(): string {
  // The package's exports map hides package.json: climb from its CommonJS entry (dist/cjs/index.js).
  const dist = dirname(dirname(require.resolve('nsfwjs')));
  return join(dist, 'models', 'mobilenet_v2');
}

interface KerasLayer { name: string; class_name: string; config: { batch_input_shape?: Array<number | null> } }
interface KerasTopology { model_config: { config: { layers: KerasLayer[]; output_layers: unknown[] } } }

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: TF.io.WeightsManifestEntry[] }>;
}

let cached: Promise<FusedNet> | undefined;

/**
 * nsfwjs's MobileNetV2 up to its last 1280-channel feature map, as fused ops
 * with its batch norms folded into the convolutions (net.ts). Loaded once per process.
 */
export function loadBackbone(): Promise<FusedNet> {
  if (!cached) {
    cached = (async () => {
      await initBackend();
      const dir = mobilenetDir();
      const modelFile = join(dir, 'model.min.js');
      if (!existsSync(modelFile)) throw new ToonscopeError(modelFile, 'MobileNetV2 model not found (is the nsfwjs package installed? run `npm ci`)');
      const json = require(modelFile) as ModelJson;
      const buffers: Buffer[] = [];
      const specs: TF.io.WeightsManifestEntry[] = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) buffers.push(Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64'));
        specs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      // Keep the graph up to the last ReLU and free the input size; the caller averages over space
      // (a global pool), so any side works. At 224 this equals nsfwjs's
      // 7x7 AveragePooling + Flatten (its classifier head is dropped; its weights are ignored).
      const topo = structuredClone(json.modelTopology) as KerasTopology;
      const cfg = topo.model_config.config;
      const end = cfg.layers.findIndex((l) => l.name === 'out_relu');
      if (end < 0) throw new ToonscopeError(modelFile, 'unexpected MobileNetV2 layout (no out_relu layer)');
      cfg.layers = cfg.layers.slice(0, end + 1);
      cfg.layers[0].config.batch_input_shape = [null, null, null, 3];
      cfg.output_layers = [['out_relu', 0, 0]];
      const keep = new Set(cfg.layers.map((l) => l.name));
      // Weight data is one buffer in manifest order: drop the head's specs and bytes together.
      const kept: TF.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (const w of specs) {
        const bytes = w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : 4);
        if (keep.has(w.name.split('/')[0])) { kept.push(w); parts.push(all.subarray(offset, offset + bytes)); }
        offset += bytes;
      }
      const data = Buffer.concat(parts);
      const weights = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer, kept);
      try {
        return FusedNet.build(cfg.layers as Parameters<typeof FusedNet.build>[0], weights);
      } catch (e) {
        throw new ToonscopeError(modelFile, `unexpected MobileNetV2 layout (${(e as Error).message})`);
      } finally {
        for (const t of Object.values(weights)) t.dispose();
      }
    })();
  }
  return cached;
}

/**
 * The backbone up to a layer as an onnxruntime session (`FusedNet.onnx`: the same folded weights), made once per
 * layer; null where onnxruntime-node cannot be loaded (then tfjs-wasm runs it, and this says so once).
 * onnxruntime computes it on every core with native SIMD: the learned pass's dense maps in a quarter of tfjs-wasm's
 * time, crops' embeddings in a sixth (tfjs-wasm runs one thread in Node). TOONSCOPE_NO_ORT=1 keeps tfjs-wasm (to
 * compare the two, or for numbers equal across machines of other CPU types: onnxruntime picks its kernels by CPU).
 */
const sessions = new Map<string, Promise<InferenceSession | null>>();
let ortMissing: string | undefined;

/** Whether TOONSCOPE_NO_ORT asks for tfjs-wasm (1, on, true or yes). */
function noOrt(): boolean {
  return ['1', 'on', 'true', 'yes'].includes((process.env.TOONSCOPE_NO_ORT ?? '').trim().toLowerCase());
}

async function backboneSession(layer: string): Promise<InferenceSession | null> {
  if (noOrt()) return null;
  let s = sessions.get(layer);
  if (!s) {
    s = (async () => {
      // Only a runtime that cannot load falls back; a graph or session that fails is an error like any other.
      const ort = await runtime().catch((e: unknown) => {
        if (ortMissing === undefined) {
          ortMissing = String((e as Error).message).split('\n')[0];
          if (process.env.TOONSCOPE_QUIET !== '1') process.stderr.write(`note: onnxruntime-node could not be loaded (${ortMissing}); the backbone runs on tfjs-wasm, about four times slower (said once)\n`);
        }
        return null;
      });
      return ort && session(onnxModel((await loadBackbone()).onnx(layer), 'mobilenet_v2'), undefined, false);
    })();
    // A session that failed is not kept: the next call tries again (and fails the same way, or not).
    s.catch(() => sessions.delete(layer));
    sessions.set(layer, s);
  }
  return s;
}

/** What computes the backbone: onnxruntime, or tfjs-wasm and why (asked for, or onnxruntime-node could not load). */
export async function backboneRuntime(): Promise<string> {
  if (await backboneSession('out_relu')) return 'onnxruntime';
  return `tfjs-wasm (${noOrt() ? 'TOONSCOPE_NO_ORT' : `onnxruntime-node: ${ortMissing}`})`;
}

/** The backbone's `layer` on NHWC images scaled to 0..1: its output, [n, rows, cols, channels] flat (either way loads the backbone). */
async function forward(buf: Float32Array, dims: [number, number, number, number], layer: string): Promise<{ data: Float32Array; dims: number[] }> {
  const s = await backboneSession(layer);
  if (s) {
    const { Tensor } = await runtime();
    const r = await s.run({ x: new Tensor('float32', buf, dims) });
    return { data: r.y.data as Float32Array, dims: [...r.y.dims] };
  }
  const model = await loadBackbone();
  const out = tf.tidy(() => model.apply(tf.tensor4d(buf, dims), layer));
  const data = (await out.data()) as Float32Array;
  const shape = out.shape;
  out.dispose();
  return { data, dims: shape };
}

/**
 * Run the backbone on `n` RGB images already resized to size x size
 * (interleaved, 0..255) and pool globally. Returns n 1280-d vectors.
 * Preprocessing is nsfwjs's own (its training): x / 255, no mean subtraction.
 */
export async function runBackbone(pixels: Uint8Array[], size = 224): Promise<Float32Array[]> {
  const n = pixels.length;
  if (!n) return [];
  const buf = new Float32Array(n * size * size * 3);
  for (let i = 0; i < n; i++) {
    const p = pixels[i];
    const o = i * size * size * 3;
    for (let k = 0; k < p.length; k++) buf[o + k] = p[k] / 255;
  }
  const { data, dims } = await forward(buf, [n, size, size, 3], 'out_relu');
  const cells = dims[1] * dims[2], d = dims[3];
  return Array.from({ length: n }, (_, i) => {
    const sum = new Float64Array(d);
    for (let c = 0; c < cells; c++) {
      const o = (i * cells + c) * d;
      for (let k = 0; k < d; k++) sum[k] += data[o + k];
    }
    return Float32Array.from(sum, (v) => v / cells);
  });
}

export type { FeatureMap } from '../core/types.js';
import type { FeatureMap } from '../core/types.js';

/**
 * Dense features of one RGB image (interleaved, 0..255, sides multiples of
 * the stride), each cell L2-normalised so that cells compare by direction
 * (lighting changes scale activations).
 */
export async function denseFeatures(pixels: Uint8Array, width: number, height: number, layer = 'block_13_expand_relu', stride = 16): Promise<FeatureMap> {
  const buf = new Float32Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) buf[k] = pixels[k] / 255;
  const { data, dims } = await forward(buf, [1, height, width, 3], layer);
  const [, rows, cols, dim] = dims;
  for (let c = 0; c < rows * cols; c++) {
    let ss = 0;
    for (let k = c * dim; k < (c + 1) * dim; k++) ss += data[k] * data[k];
    const n = Math.sqrt(ss) + 1e-6;
    for (let k = c * dim; k < (c + 1) * dim; k++) data[k] /= n;
  }
  return { cols, rows, dim, stride, data, layer };
}
