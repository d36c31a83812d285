// The known downloadable models, one typed table. Each entry pins its file to a
// commit, records the sha256 and size its Git LFS pointer publishes (read from
// the Hugging Face commit or blob page named in `source`), its licence, and how
// its reference implementation feeds and reads it, so the runtime in
// src/models/runtime.ts can match that implementation exactly.
// Where no sha256 could be read from a public page, `sha256` is null and
// `verified` false: the file is then checked against the hash recorded at its
// first download (trust on first use), and every command says so. Never invent
// a checksum here.

export type ModelTask = 'face' | 'head' | 'person' | 'identity' | 'interpolation';

/** How a detector's picture is sized before the model (both follow deepghs/imgutils). */
export type DetectResize =
  /** imgutils/detect/_yolo.py `_image_preprocess`: shrink so the long side <= max (never enlarge), then round each side UP to a multiple of 32 (a slight stretch, no letterbox). */
  | 'fit32'
  /** imgutils/generic/yolo.py `_image_preprocess(allow_dynamic=False)`: stretch to exactly the model's `imgsz` metadata (width, height), else max x max. */
  | 'stretch';

export interface DetectorSpec {
  kind: 'yolo';
  input: { name: 'images'; layout: 'NCHW'; channels: 'RGB'; scale: '1/255'; resize: DetectResize; max: number; resample: 'bicubic' };
  /** Ultralytics v8 head without NMS: [1, 4+C, N], rows cx, cy, w, h (input pixels), then C class scores. */
  output: { name: 'output0'; layout: '[1,4+C,N] cxcywh+scores' };
  labels: string[];
  /** imgutils defaults for this model family. */
  confidence: number;
  /** Class-agnostic NMS IoU, imgutils `_yolo_nms` (areas with the +1 pixel convention). */
  iou: number;
}

export interface EmbedderSpec {
  kind: 'ccip';
  input: { name: 'input'; layout: 'NCHW'; channels: 'RGB'; size: number; resample: 'bilinear'; scale: '1/255'; mean: [number, number, number]; std: [number, number, number] };
  output: { name: 'output'; layout: '[N,D]'; dim: number };
}

export interface InterpolatorSpec {
  kind: 'rife';
  input: { names: ['img0', 'img1', 'timestep']; layout: 'NCHW'; channels: 'RGB'; scale: '1/255'; pad: number; padMode: 'zero, right and bottom' };
  output: { name: 'output'; layout: '[1,3,H,W] 0..1' };
}

export interface ModelEntry {
  name: string;
  task: ModelTask;
  summary: string;
  /** The exact file, pinned to a commit (or, when no commit id could be read, said so in `revisionNote`). */
  url: string;
  revisionNote?: string;
  sha256: string | null;
  size: number | null;
  /** true when sha256 and size come from a published LFS pointer. */
  verified: boolean;
  /** Page the sha256/size were read from. */
  source: string;
  licence: { name: string; url: string; /** Use-restricted (e.g. OpenRAIL): printed and accepted once before the first download. */ restricted: boolean };
  /** The figure the model card publishes (not measured here). */
  card: { metric: string; value: number | null; url: string; note?: string };
  /** Reference implementation whose preprocessing/decoding this entry follows. */
  reference: string;
  spec: DetectorSpec | EmbedderSpec | InterpolatorSpec;
}

const imgutilsOldYolo = 'deepghs/imgutils imgutils/detect/_yolo.py @45872eb (fit32 resize, rgb_encode, _yolo_nms, _xy_postprocess clip)';
const imgutilsGenericYolo = 'deepghs/imgutils imgutils/generic/yolo.py @0789886 (YOLOModel.predict: imgsz from the model metadata else 640, _image_preprocess allow_dynamic=False, rgb_encode, _nms_postprocess, _yolo_nms)';

const yolo = (resize: DetectResize, max: number, labels: string[], confidence: number, iou: number): DetectorSpec => ({
  kind: 'yolo',
  input: { name: 'images', layout: 'NCHW', channels: 'RGB', scale: '1/255', resize, max, resample: 'bicubic' },
  output: { name: 'output0', layout: '[1,4+C,N] cxcywh+scores' },
  labels,
  confidence,
  iou,
});

export const REGISTRY: readonly ModelEntry[] = [
  {
    name: 'anime-face',
    task: 'face',
    summary: 'YOLOv8n anime face detector (deepghs face_detect_v1.4_n)',
    url: 'https://huggingface.co/deepghs/anime_face_detection/resolve/5cd298c0307a890c4762d50dcbfd7e62702c7476/face_detect_v1.4_n/model.onnx',
    sha256: 'fd860b650a4377046842c3cd80d01b0b408bdfbdb4acee5759630f82c6ef04a9',
    size: 12102558,
    verified: true,
    source: 'https://huggingface.co/deepghs/anime_face_detection/commit/5cd298c0307a890c4762d50dcbfd7e62702c7476',
    licence: { name: 'MIT', url: 'https://huggingface.co/deepghs/anime_face_detection', restricted: false },
    card: { metric: 'F1', value: 0.94, url: 'https://huggingface.co/deepghs/anime_face_detection', note: 'at threshold 0.278' },
    reference: `${imgutilsGenericYolo}; imgutils/detect/face.py @7918644 detect_faces(conf 0.25, iou 0.7)`,
    spec: yolo('stretch', 640, ['face'], 0.25, 0.7),
  },
  {
    name: 'anime-face-s',
    task: 'face',
    summary: 'YOLOv8s anime face detector (deepghs face_detect_v1.4_s), larger and slightly better per its card',
    url: 'https://huggingface.co/deepghs/anime_face_detection/resolve/2f9ecf137de0b62f318f7a8dc4d817b9c2d63ae3/face_detect_v1.4_s/model.onnx',
    sha256: null,
    size: null,
    verified: false,
    source: 'https://huggingface.co/deepghs/anime_face_detection/tree/2f9ecf137de0b62f318f7a8dc4d817b9c2d63ae3 (commit found; its LFS pointer sha256 was not readable from here)',
    licence: { name: 'MIT', url: 'https://huggingface.co/deepghs/anime_face_detection', restricted: false },
    card: { metric: 'F1', value: 0.95, url: 'https://huggingface.co/deepghs/anime_face_detection', note: 'at threshold 0.307' },
    reference: `${imgutilsGenericYolo}; imgutils/detect/face.py @7918644 detect_faces(level='s', version='v1.4', conf 0.25, iou 0.7)`,
    spec: yolo('stretch', 640, ['face'], 0.25, 0.7),
  },
  {
    name: 'anime-head',
    task: 'head',
    summary: 'YOLOv8s anime head detector (deepghs head_detect_v1.2_s)',
    url: 'https://huggingface.co/deepghs/anime_head_detection/resolve/b17d7c12014d43524d1f53a55edc0f979388b829/head_detect_v1.2_s/model.onnx',
    sha256: '5997c2cf7d3846e8b4f7377d1e1056cadce6d520d0590f566d3a47a9a9d9a9c6',
    size: 44585386,
    verified: true,
    source: 'https://huggingface.co/deepghs/anime_head_detection/commit/b17d7c12014d43524d1f53a55edc0f979388b829',
    licence: { name: 'MIT', url: 'https://huggingface.co/deepghs/anime_head_detection', restricted: false },
    card: { metric: 'F1', value: 0.94, url: 'https://huggingface.co/deepghs/anime_head_detection/blob/1635fcb6e129b84777d4e17bfdafca3ddbda46c8/README.md', note: 'at threshold 0.415; mAP50 0.971' },
    reference: `${imgutilsGenericYolo}; imgutils/detect/head.py @4967a9b detect_heads(conf 0.4, iou 0.7)`,
    spec: yolo('stretch', 640, ['head'], 0.4, 0.7),
  },
  {
    name: 'anime-person',
    task: 'person',
    summary: 'YOLOv8s anime full-body detector (deepghs imgutils-models person_detect_best_s)',
    url: 'https://huggingface.co/deepghs/imgutils-models/resolve/c99b661f615ee78b41722ea9f2b43841a49ae914/person_detect/person_detect_best_s.onnx',
    sha256: '8a1f5e2131f0cbc83e2f533598531708a6f466e49a81260a07eed045756ac913',
    size: 44584384,
    verified: true,
    source: 'https://huggingface.co/deepghs/imgutils-models/commit/c99b661f615ee78b41722ea9f2b43841a49ae914',
    licence: { name: 'MIT', url: 'https://huggingface.co/deepghs/imgutils-models', restricted: false },
    card: { metric: 'F1', value: null, url: 'https://huggingface.co/deepghs/anime_person_detection', note: 'no card figure for this exact file; the sibling person_detect_v1.3_s card says F1 0.86, v0_m 0.85' },
    // This file predates the per-task repositories; imgutils ran it with the old dynamic-size path.
    reference: `${imgutilsOldYolo}; imgutils/detect/person.py @0fa10d8 detect_person(max_infer_size=1216, conf 0.3, iou 0.5)`,
    spec: yolo('fit32', 1216, ['person'], 0.3, 0.5),
  },
  {
    name: 'anime-person-v1.3',
    task: 'person',
    summary: 'YOLOv8s anime full-body detector (deepghs person_detect_v1.3_s)',
    url: 'https://huggingface.co/deepghs/anime_person_detection/resolve/c263c8e2ecd9d541f60b64117e110b3a43f26fab/person_detect_v1.3_s/model.onnx',
    sha256: null,
    size: null,
    verified: false,
    source: 'https://huggingface.co/deepghs/anime_person_detection/tree/c263c8e2ecd9d541f60b64117e110b3a43f26fab/person_detect_v1.3_s (commit found; LFS sha256 not readable from here)',
    licence: { name: 'MIT', url: 'https://huggingface.co/deepghs/anime_person_detection', restricted: false },
    card: { metric: 'F1', value: 0.86, url: 'https://huggingface.co/deepghs/anime_person_detection/blob/e39c744c22432ad01f91dd254fe2b02c8d878b8c/README.md', note: 'at threshold 0.324' },
    reference: `${imgutilsGenericYolo}; imgutils/detect/person.py @15afb33 detect_person(conf 0.3, iou 0.5)`,
    spec: yolo('stretch', 640, ['person'], 0.3, 0.5),
  },
  {
    name: 'ccip',
    task: 'identity',
    summary: 'CCIP character-identity embedding (deepghs ccip-caformer-5_fp32, feature part)',
    url: 'https://huggingface.co/deepghs/imgutils-models/resolve/d200d3606ad4ffd2f5b86b66a6fe99503a88390d/ccip/ccip-caformer-5_fp32_feat.onnx',
    sha256: '885f91acf5e77907c023b798d9250dfd11cf9b8960a5bd5af338d7160a9309ea',
    size: 150248245,
    verified: true,
    source: 'https://huggingface.co/deepghs/imgutils-models/commit/d200d3606ad4ffd2f5b86b66a6fe99503a88390d',
    // The same weights are published in deepghs/ccip_onnx under OpenRAIL while imgutils-models says MIT;
    // toonscope takes the stricter one and asks before the first download.
    licence: { name: 'OpenRAIL (deepghs/ccip_onnx card; the imgutils-models card says MIT)', url: 'https://huggingface.co/deepghs/ccip_onnx', restricted: true },
    card: { metric: 'F1', value: 0.94, url: 'https://huggingface.co/deepghs/ccip_onnx', note: 'figure as quoted in issue 19 from the deepghs card; not re-read here' },
    reference: 'deepghs/imgutils imgutils/metrics/ccip.py @09ddd40 (_preprocess_image: BILINEAR resize to 384, /255, CLIP mean/std; run([output], {input}))',
    spec: {
      kind: 'ccip',
      input: { name: 'input', layout: 'NCHW', channels: 'RGB', size: 384, resample: 'bilinear', scale: '1/255', mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
      output: { name: 'output', layout: '[N,D]', dim: 768 },
    },
  },
  {
    name: 'rife',
    task: 'interpolation',
    summary: 'RIFE v4.9 frame interpolator, ONNX export (ensemble, scale 1)',
    url: 'https://huggingface.co/yuvraj108c/rife-onnx/resolve/main/rife49_ensemble_True_scale_1_sim.onnx',
    revisionNote: 'not pinned: only the short id 64de726 of the repository head was readable, and no LFS sha256; the first download records its hash',
    sha256: null,
    size: null,
    verified: false,
    source: 'https://huggingface.co/yuvraj108c/rife-onnx/tree/main',
    licence: { name: 'MIT (hzwer/Practical-RIFE code and weights)', url: 'https://github.com/hzwer/Practical-RIFE', restricted: false },
    card: { metric: 'PSNR', value: null, url: 'https://github.com/hzwer/Practical-RIFE', note: 'no figure on the export card' },
    reference: 'hzwer/Practical-RIFE inference_video.py (RGB, /255, pad right/bottom with zeros to a multiple of max(128, 128/scale), crop back, x255); ONNX input names per the edgetools/rife card (img0, img1, timestep [1])',
    spec: {
      kind: 'rife',
      input: { names: ['img0', 'img1', 'timestep'], layout: 'NCHW', channels: 'RGB', scale: '1/255', pad: 128, padMode: 'zero, right and bottom' },
      output: { name: 'output', layout: '[1,3,H,W] 0..1' },
    },
  },
];

/** The entry called `name` (undefined if unknown). */
export function findModel(name: string, registry: readonly ModelEntry[] = REGISTRY): ModelEntry | undefined {
  return registry.find((m) => m.name === name);
}
