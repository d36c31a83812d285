// Tiny ONNX models (src/core/onnx-write.ts writes them), so the model tests
// run with no Python and no download. Each builder makes a graph with a
// registry entry's exact input and output names and layout.
import { onnxModel as write, type Graph, type Node } from '../src/core/onnx-write.js';

export type { Dim, Graph, Node } from '../src/core/onnx-write.js';

/** A test model's bytes. */
export function onnxModel(g: Graph): Uint8Array {
  return write(g, 'toonscope_test');
}

const cst = (name: string, dims: number[], data: Float32Array): Node => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: { dims, data } } });

/**
 * A YOLOv8-layout detector (imgutils / Ultralytics export): input `images`
 * [1,3,H,W], output `output0` [1, 4+C, N] holding the given rows whatever the
 * picture (cx, cy, w, h in input pixels, then one score per class). The input
 * still flows through the graph (scaled by 0) so the declared shape is used.
 */
export function yoloModel(rows: number[][], classes = 1, metadata?: Record<string, string>): Uint8Array {
  const n = rows.length, c = 4 + classes;
  const data = new Float32Array(c * n);
  rows.forEach((r, i) => r.forEach((v, k) => { data[k * n + i] = v; }));
  return onnxModel({
    metadata,
    inputs: [['images', [1, 3, 'height', 'width']]],
    outputs: [['output0', [1, c, n]]],
    nodes: [
      cst('boxes', [1, c, n], data),
      { op: 'ReduceMean', inputs: ['images'], outputs: ['m'], attrs: { keepdims: 0 } },
      cst('zero', [], new Float32Array([0])),
      { op: 'Mul', inputs: ['m', 'zero'], outputs: ['z'] },
      { op: 'Add', inputs: ['boxes', 'z'], outputs: ['output0'] },
    ],
  });
}

/**
 * A CCIP-layout feature extractor: input `input` [N,3,384,384], output
 * `output` [N,768]. The feature is the image's mean colour per channel spread
 * over 768 dims by a fixed matrix, so equal colours give equal features and
 * different colours different ones.
 */
export function ccipModel(dim = 768): Uint8Array {
  const w = new Float32Array(3 * dim);
  for (let k = 0; k < dim; k++) w[(k % 3) * dim + k] = 1;
  return onnxModel({
    inputs: [['input', ['batch', 3, 384, 384]]],
    outputs: [['output', ['batch', dim]]],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      cst('w', [3, dim], w),
      { op: 'MatMul', inputs: ['f', 'w'], outputs: ['output'] },
    ],
  });
}

/**
 * A RIFE-layout interpolator (Practical-RIFE ONNX export): inputs `img0`,
 * `img1` [1,3,H,W] RGB 0..1 and `timestep` [1]; output `output` [1,3,H,W].
 * This one blends: output = img0 + t (img1 - img0).
 */
export function rifeModel(): Uint8Array {
  return onnxModel({
    inputs: [['img0', [1, 3, 'h', 'w']], ['img1', [1, 3, 'h', 'w']], ['timestep', [1]]],
    outputs: [['output', [1, 3, 'h', 'w']]],
    nodes: [
      { op: 'Sub', inputs: ['img1', 'img0'], outputs: ['d'] },
      { op: 'Mul', inputs: ['d', 'timestep'], outputs: ['td'] },
      { op: 'Add', inputs: ['img0', 'td'], outputs: ['output'] },
    ],
  });
}
