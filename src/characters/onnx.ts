// Bring-your-own ONNX model (onnxruntime-node through core/ort.ts).
// Two kinds:
//  - 'salient': a salient-object / matting net (e.g. ISNet, U2Net) with one
//    [1,3,S,S] input and a [1,1,S,S] 0..1 output; the mask is split into
//    characters by the faces found earlier, else by connected components.
//  - 'yolo': an object detector exported by Ultralytics (YOLOv5 [1,N,5+C] or
//    YOLOv8+ [1,4+C,N] output), class names given by the user.
// No model ships with toonscope: the user points at a file they obtained.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { runtime, session } from '../core/ort.js';
import { resize } from '../core/image.js';
import type { Box, Detection, Image } from '../core/types.js';
import { splitByFaces } from './grabcut.js';
import { boxIoU, cropMask, maskArea, maskBox } from './masks.js';
import type { CharacterDetector, CharacterLabel } from './types.js';

export interface OnnxOptions {
  kind: 'salient' | 'yolo';
  /** Salient: per-channel mean/std on 0..1 input (default 0.5 / 1, i.e. ISNet's (x-128)/256). */
  mean?: number;
  std?: number;
  /** Salient: foreground threshold on the 0..1 output. */
  threshold?: number;
  /** YOLO: label per class index (default every class is 'body'). */
  classes?: CharacterLabel[];
  /** YOLO: minimum score. */
  minScore?: number;
  threads?: number;
}

export class OnnxDetector implements CharacterDetector {
  readonly name: string;
  readonly labels: readonly CharacterLabel[];
  private session?: any;
  private size = 0;
  constructor(readonly file: string, private readonly opts: OnnxOptions) {
    this.name = `${opts.kind}:${basename(file)}`;
    this.labels = opts.kind === 'salient' ? ['body'] : [...new Set<CharacterLabel>(opts.classes ?? ['body'])];
  }

  private async load(): Promise<any> {
    if (this.session) return this.session;
    this.session = await openSession(this.file, this.opts.threads);
    const meta = this.session.inputMetadata?.[0];
    const dims: unknown[] = meta?.shape ?? [];
    const s = Number(dims[2]);
    this.size = Number.isFinite(s) && s > 0 ? s : this.opts.kind === 'salient' ? 1024 : 640;
    return this.session;
  }

  async detect(frame: Image, prior: Detection[], frameIndex = 0): Promise<Detection[]> {
    const session = await this.load();
    const ort = await runtime();
    const S = this.size;
    if (this.opts.kind === 'salient') {
      const small = await resize(frame, S, S);
      const input = planar(small, this.opts.mean ?? 0.5, this.opts.std ?? 1);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, S, S]) });
      const prob = out[session.outputNames[0]].data as Float32Array;
      return salientToBodies(frame, prob.subarray(0, S * S), S, prior.filter((d) => d.label === 'face'), this.opts.threshold ?? 0.5, frameIndex);
    }
    // YOLO: letterbox into S x S, grey padding as Ultralytics does.
    const scale = Math.min(S / frame.width, S / frame.height);
    const w = Math.round(frame.width * scale), h = Math.round(frame.height * scale);
    const fitted = await resize(frame, w, h);
    const input = new Float32Array(3 * S * S).fill(114 / 255);
    const px = Math.floor((S - w) / 2), py = Math.floor((S - h) / 2);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) input[c * S * S + (y + py) * S + x + px] = fitted.data[(y * w + x) * 3 + c] / 255;
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, S, S]) });
    const t = out[session.outputNames[0]];
    const dets = decodeYolo(t.data as Float32Array, t.dims as number[], this.opts.minScore ?? 0.25);
    return dets.map((d) => ({
      frame: frameIndex,
      box: [(d.box[0] - px) / scale, (d.box[1] - py) / scale, d.box[2] / scale, d.box[3] / scale] as Box,
      score: d.score,
      label: (this.opts.classes ?? [])[d.cls] ?? 'body',
    }));
  }

  async dispose(): Promise<void> {
    await this.session?.release?.();
    this.session = undefined;
  }
}

/** RGB interleaved bytes to planar float, (x/255 - mean) / std. */
export function planar(img: Image, mean: number, std: number): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = (img.data[i * 3 + c] / 255 - mean) / std;
  return out;
}

/** A saliency map (S x S, 0..1) to body detections at frame size: split by faces when there are any, else one body per large component. */
export async function salientToBodies(frame: Image, prob: Float32Array, S: number, faces: Detection[], threshold: number, frameIndex: number): Promise<Detection[]> {
  const map: Image = { width: S, height: S, channels: 1, data: new Uint8Array(S * S) };
  for (let i = 0; i < S * S; i++) map.data[i] = Math.round(Math.max(0, Math.min(1, prob[i])) * 255);
  const big = await resize(map, frame.width, frame.height);
  const fg = new Uint8Array(frame.width * frame.height);
  const t = threshold * 255;
  for (let i = 0; i < fg.length; i++) fg[i] = big.data[i] >= t ? 1 : 0;
  const labels = faces.length ? await splitByFaces(frame, fg, faces.map((f) => f.box)) : components(fg, frame.width, frame.height);
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > n) n = labels[i];
  const out: Detection[] = [];
  for (let k = 1; k <= n; k++) {
    const m: Image = { width: frame.width, height: frame.height, channels: 1, data: new Uint8Array(fg.length) };
    for (let i = 0; i < fg.length; i++) if (labels[i] === k) m.data[i] = 255;
    const box = maskBox(m);
    if (!box || maskArea(m) < 0.003 * fg.length) continue;
    out.push({ frame: frameIndex, box, score: faces[k - 1]?.score ?? 0.5, label: 'body', mask: cropMask(m, box) });
  }
  return out;
}

/** 4-connected components of a 0/1 map, labelled 1..n (largest first is not guaranteed). */
export function components(fg: Uint8Array, w: number, h: number): Uint8Array {
  const labels = new Uint8Array(fg.length);
  let next = 0;
  const stack: number[] = [];
  for (let s = 0; s < fg.length; s++) {
    if (!fg[s] || labels[s]) continue;
    if (next === 255) break;
    labels[s] = ++next;
    stack.push(s);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w, y = (i / w) | 0;
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
        if (j >= 0 && fg[j] && !labels[j]) {
          labels[j] = next;
          stack.push(j);
        }
      }
    }
  }
  return labels;
}

/** Decode a YOLO output tensor to boxes [x,y,w,h] in input pixels, with per-class NMS at IoU 0.5. */
export function decodeYolo(data: Float32Array, dims: number[], minScore: number): Array<{ box: Box; score: number; cls: number }> {
  const found = yoloCandidates(data, dims, minScore);
  found.sort((p, q) => q.score - p.score);
  const kept: typeof found = [];
  for (const d of found) if (!kept.some((k) => k.cls === d.cls && boxIoU(k.box, d.box) > 0.5)) kept.push(d);
  return kept;
}

/**
 * Every row of a YOLO output whose best class score reaches `minScore`, as
 * [x,y,w,h] in input pixels, before any NMS. `layout` says which axis is N when
 * the caller knows it (a registry model); else the longer axis is taken as N.
 */
export function yoloCandidates(data: Float32Array, dims: number[], minScore: number, layout?: 'v5' | 'v8'): Array<{ box: Box; score: number; cls: number }> {
  const [, a, b] = dims;
  // v8+: [1, 4+C, N] (channels first, N large); v5: [1, N, 5+C]. Real exports have N in the thousands, so the longer axis is N.
  const v8 = layout ? layout === 'v8' : a < b;
  const n = v8 ? b : a, stride = v8 ? a : b;
  const get = (i: number, k: number) => (v8 ? data[k * n + i] : data[i * stride + k]);
  const found: Array<{ box: Box; score: number; cls: number }> = [];
  for (let i = 0; i < n; i++) {
    const first = v8 ? 4 : 5;
    const obj = v8 ? 1 : get(i, 4);
    let best = -1, score = 0;
    for (let k = first; k < stride; k++) {
      const s = get(i, k) * obj;
      if (s > score) { score = s; best = k - first; }
    }
    if (score < minScore) continue;
    const cx = get(i, 0), cy = get(i, 1), w = get(i, 2), h = get(i, 3);
    found.push({ box: [cx - w / 2, cy - h / 2, w, h], score, cls: best });
  }
  return found;
}

/** An inference session on `file`; a missing or unloadable file is a one-line ToonscopeError. */
export async function openSession(file: string, threads = 2): Promise<any> {
  if (!existsSync(file)) throw new ToonscopeError(file, 'ONNX model file not found');
  try {
    return await session(file, threads);
  } catch (e) {
    throw new ToonscopeError(file, `not a loadable ONNX model (${String((e as Error).message).split('\n')[0]})`);
  }
}

/** A float32 tensor for `session.run`. */
export async function floatTensor(data: Float32Array, dims: number[]): Promise<unknown> {
  const ort = await runtime();
  return new ort.Tensor('float32', data, dims);
}
