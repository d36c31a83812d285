// Running the registry's models the way their reference implementations do
// (see each entry's `reference`): the YOLO detectors as deepghs/imgutils feeds
// and decodes them, CCIP as imgutils/metrics/ccip.py, RIFE as Practical-RIFE's
// inference_video.py. Sessions come from src/characters/onnx.ts (through
// src/core/ort.ts, the only file importing onnxruntime-node).
import { readFileSync } from 'node:fs';
import { floatTensor, openSession, yoloCandidates } from '../characters/onnx.js';
import type { CharacterDetector, CharacterLabel } from '../characters/types.js';
import { ToonscopeError } from '../core/errors.js';
import { resize } from '../core/image.js';
import type { Box, Detection, Image } from '../core/types.js';
import type { DetectorSpec, EmbedderSpec, InterpolatorSpec, ModelEntry } from './registry.js';

/** Python's round(): halves go to the even neighbour (numpy .round() in imgutils' _xy_postprocess). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Model input size for a W x H picture (imgutils `_image_preprocess`); `imgsz` is the model's own (width, height) metadata. */
export function detectSize(width: number, height: number, spec: DetectorSpec, imgsz?: [number, number]): [number, number] {
  if (spec.input.resize === 'stretch') return imgsz ?? [spec.input.max, spec.input.max];
  let w = width, h = height;
  const r = spec.input.max / Math.max(w, h);
  if (r < 1) { w *= r; h *= r; }
  return [Math.ceil(w / 32) * 32, Math.ceil(h / 32) * 32];
}

function varint(b: Uint8Array, at: { i: number }): number {
  let n = 0, mul = 1;
  for (;;) {
    if (at.i >= b.length) throw new ToonscopeError(undefined, 'truncated ONNX file');
    const x = b[at.i++];
    n += (x & 0x7f) * mul;
    if (!(x & 0x80)) return n;
    mul *= 128;
  }
}

/**
 * ModelProto.metadata_props (field 14) of ONNX bytes, found by skipping the
 * other top-level fields (the graph is one length-delimited field). Ultralytics
 * exports keep `imgsz` and `names` there; imgutils reads `imgsz` the same way.
 */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = new TextDecoder();
  const at = { i: 0 };
  while (at.i < bytes.length) {
    const key = varint(bytes, at), wire = key % 8, field = Math.floor(key / 8);
    if (wire === 0) varint(bytes, at);
    else if (wire === 1) at.i += 8;
    else if (wire === 5) at.i += 4;
    else if (wire === 2) {
      const len = varint(bytes, at), end = at.i + len;
      if (field === 14) {
        let k = '', v = '';
        const inner = { i: at.i };
        while (inner.i < end) {
          const kk = varint(bytes, inner), l = varint(bytes, inner);
          const s = dec.decode(bytes.subarray(inner.i, inner.i + l));
          if (kk === (1 << 3 | 2)) k = s;
          else if (kk === (2 << 3 | 2)) v = s;
          inner.i += l;
        }
        out[k] = v;
      }
      at.i = end;
    } else throw new ToonscopeError(undefined, `not an ONNX file (protobuf wire type ${wire})`);
  }
  return out;
}

/** The (width, height) an Ultralytics export was made for, from its `imgsz` metadata ("[640, 640]"), as imgutils reads it. */
export function metadataSize(meta: Record<string, string>): [number, number] | undefined {
  try {
    const v = JSON.parse(meta.imgsz ?? 'null') as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0)) return [v[0], v[1]];
  } catch {
    // malformed metadata: use the registry's size
  }
  return undefined;
}

/** IoU with the +1 pixel area convention of imgutils `_yolo_nms`, on [x0,y0,x1,y1]. */
function iouPlus1(a: number[], b: number[]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + 1);
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + 1);
  const inter = w * h;
  const area = (q: number[]) => (q[2] - q[0] + 1) * (q[3] - q[1] + 1);
  return inter / (area(a) + area(b) - inter);
}

export interface Decoded {
  /** [x0, y0, x1, y1] in picture pixels, integers, clipped (imgutils' output form). */
  xyxy: [number, number, number, number];
  label: string;
  score: number;
}

/**
 * Decode a [1, 4+C, N] YOLOv8 output as imgutils does: keep rows whose best
 * class score is > confidence, class-agnostic NMS (IoU <= spec.iou kept),
 * scale from the model size back to the picture, clip, round.
 */
export function decodeDetections(data: Float32Array, dims: number[], spec: DetectorSpec, picture: [number, number], input: [number, number]): Decoded[] {
  if (dims.length !== 3 || dims[1] !== 4 + spec.labels.length) throw new ToonscopeError(undefined, `detector output has shape [${dims.join(',')}], expected [1,${4 + spec.labels.length},N]`);
  const rows = yoloCandidates(data, dims, 0, 'v8').filter((r) => r.score > spec.confidence);
  const boxes = rows.map((r) => [r.box[0], r.box[1], r.box[0] + r.box[2], r.box[1] + r.box[3]]);
  const order = rows.map((_, i) => i).sort((i, j) => rows[j].score - rows[i].score);
  const keep: number[] = [];
  for (const i of order) if (keep.every((k) => iouPlus1(boxes[k], boxes[i]) <= spec.iou)) keep.push(i);
  const [W, H] = picture, [w, h] = input;
  const px = (x: number) => roundHalfEven(Math.min(W, Math.max(0, (x / w) * W)));
  const py = (y: number) => roundHalfEven(Math.min(H, Math.max(0, (y / h) * H)));
  return keep.map((i) => ({ xyxy: [px(boxes[i][0]), py(boxes[i][1]), px(boxes[i][2]), py(boxes[i][3])], label: spec.labels[rows[i].cls] ?? spec.labels[0], score: rows[i].score }));
}

/** RGB interleaved bytes to planar float x/255 (imgutils `rgb_encode`, Practical-RIFE's `/ 255.`). */
function planar01(img: Image, into?: Float32Array, stride?: [number, number]): Float32Array {
  const [W, H] = stride ?? [img.width, img.height];
  const out = into ?? new Float32Array(3 * W * H);
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    const s = (y * img.width + x) * img.channels;
    for (let c = 0; c < 3; c++) out[c * W * H + y * W + x] = img.data[s + c] / 255;
  }
  return out;
}

const LABEL: Record<string, CharacterLabel> = { face: 'face', head: 'face', person: 'body' };

/** What every registry model runner shares: its entry's spec of one kind, a session opened on first use, release. */
abstract class ModelRunner<S extends ModelEntry['spec']> {
  protected session?: any;
  protected readonly spec: S;
  constructor(readonly entry: ModelEntry, readonly file: string, kind: S['kind'], what: string, private readonly threads = 2) {
    if (entry.spec.kind !== kind) throw new ToonscopeError(file, `${entry.name} is not ${what}`);
    this.spec = entry.spec as S;
  }

  protected async open(): Promise<any> {
    this.session ??= await openSession(this.file, this.threads);
    return this.session;
  }

  /** The named output, else the first (an export that renamed it). */
  protected output(out: Record<string, { data: unknown; dims: readonly number[] }>, name: string): { data: Float32Array; dims: number[] } {
    const t = out[name] ?? out[this.session.outputNames[0]];
    return { data: t.data as Float32Array, dims: [...t.dims] };
  }

  async dispose(): Promise<void> {
    await this.session?.release?.();
    this.session = undefined;
  }
}

/** A registry YOLO model as a chain backend: boxes only (no masks), labelled face (face/head models) or body (person). */
export class ModelDetector extends ModelRunner<DetectorSpec> implements CharacterDetector {
  readonly name: string;
  readonly labels: readonly CharacterLabel[];
  /** The model's own input size from its metadata (null: none recorded). */
  private imgsz?: [number, number] | null;
  constructor(entry: ModelEntry, file: string, threads = 2) {
    super(entry, file, 'yolo', 'a detector', threads);
    this.name = `model:${entry.name}`;
    this.labels = [...new Set(this.spec.labels.map((l) => LABEL[l] ?? 'body'))];
  }

  async detect(frame: Image, _prior: Detection[], frameIndex = 0): Promise<Detection[]> {
    const session = await this.open();
    if (this.imgsz === undefined) this.imgsz = metadataSize(onnxMetadata(readFileSync(this.file))) ?? null;
    const [w, h] = detectSize(frame.width, frame.height, this.spec, this.imgsz ?? undefined);
    const small = await resize(frame, w, h, 'cubic');
    const t = this.output(await session.run({ [this.spec.input.name]: await floatTensor(planar01(small), [1, 3, h, w]) }), this.spec.output.name);
    return decodeDetections(t.data, t.dims, this.spec, [frame.width, frame.height], [w, h])
      .filter((d) => d.xyxy[2] > d.xyxy[0] && d.xyxy[3] > d.xyxy[1])
      .map((d) => ({ frame: frameIndex, box: [d.xyxy[0], d.xyxy[1], d.xyxy[2] - d.xyxy[0], d.xyxy[3] - d.xyxy[1]] as Box, score: d.score, label: LABEL[d.label] ?? 'body' }));
  }

}

/** CCIP features of RGB crops: BILINEAR resize to 384 (a stretch, as imgutils), /255, CLIP mean/std; one vector per crop, L2-normalised. */
export class ModelEmbedder extends ModelRunner<EmbedderSpec> {
  constructor(entry: ModelEntry, file: string, threads = 2) {
    super(entry, file, 'ccip', 'an embedding model', threads);
  }

  /** Input tensor data for crops (exported for tests of the preprocessing). */
  async input(crops: Image[]): Promise<Float32Array> {
    const S = this.spec.input.size, n = S * S;
    const buf = new Float32Array(crops.length * 3 * n);
    for (let i = 0; i < crops.length; i++) {
      const small = await resize(crops[i], S, S, 'linear');
      const x = planar01(small);
      for (let c = 0; c < 3; c++) for (let k = 0; k < n; k++) buf[i * 3 * n + c * n + k] = (x[c * n + k] - this.spec.input.mean[c]) / this.spec.input.std[c];
    }
    return buf;
  }

  async embed(crops: Image[], batch = 8): Promise<Float32Array[]> {
    const session = await this.open();
    const S = this.spec.input.size;
    const res: Float32Array[] = [];
    for (let i = 0; i < crops.length; i += batch) {
      const part = crops.slice(i, i + batch);
      const t = this.output(await session.run({ [this.spec.input.name]: await floatTensor(await this.input(part), [part.length, 3, S, S]) }), this.spec.output.name);
      const d = t.data.length / part.length;
      for (let j = 0; j < part.length; j++) {
        const v = t.data.slice(j * d, (j + 1) * d);
        let s = 0;
        for (const x of v) s += x * x;
        const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        for (let k = 0; k < d; k++) v[k] *= inv;
        res.push(v);
      }
    }
    return res;
  }

}

/** RIFE in-between: RGB /255, zero-pad right/bottom to a multiple of `pad`, run, crop back, x255. */
export class ModelInterpolator extends ModelRunner<InterpolatorSpec> {
  constructor(entry: ModelEntry, file: string, threads = 2) {
    super(entry, file, 'rife', 'an interpolation model', threads);
  }

  async between(a: Image, b: Image, t: number): Promise<Image> {
    if (a.width !== b.width || a.height !== b.height) throw new ToonscopeError(undefined, 'interpolated frames differ in size');
    const session = await this.open();
    const p = this.spec.input.pad;
    const W = Math.ceil(a.width / p) * p, H = Math.ceil(a.height / p) * p;
    const [n0, n1, nt] = this.spec.input.names;
    // Some exports take the timestep as [1] (this entry), others as a [1,1,H,W] plane: follow the model's declared rank.
    const meta = (session.inputMetadata as Array<{ name: string; shape?: unknown[] }> | undefined)?.find((m) => m.name === nt);
    const plane = (meta?.shape?.length ?? 1) === 4;
    const time = plane ? new Float32Array(W * H).fill(t) : new Float32Array([t]);
    const out = await session.run({
      [n0]: await floatTensor(planar01(a, new Float32Array(3 * W * H), [W, H]), [1, 3, H, W]),
      [n1]: await floatTensor(planar01(b, new Float32Array(3 * W * H), [W, H]), [1, 3, H, W]),
      [nt]: await floatTensor(time, plane ? [1, 1, H, W] : [1]),
    });
    const o = this.output(out, this.spec.output.name).data;
    const img: Image = { width: a.width, height: a.height, channels: 3, data: new Uint8Array(a.width * a.height * 3) };
    for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) for (let c = 0; c < 3; c++) {
      img.data[(y * a.width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(o[c * W * H + y * W + x] * 255)));
    }
    return img;
  }

}
