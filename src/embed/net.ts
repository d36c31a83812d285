// A Keras convolutional model (nsfwjs's MobileNetV2) run as fused tfjs ops
// instead of through tfjs-layers. Every batch normalisation is folded into
// the convolution before it, once at load:
//   w' = w * g / sqrt(v + eps),  b' = beta - mean * g / sqrt(v + eps)
// (exact up to float rounding), and the ReLU6 after it becomes the fused
// kernel's clamp, so tfjs-wasm runs one kernel where tfjs-layers ran four
// (convolution, batch norm, relu, clip), each a full pass over the tensor. A
// ZeroPadding2D before a 'valid' convolution becomes its explicit padding.
import type * as TF from '@tensorflow/tfjs';
import { tf } from './backend.js';
import type { Graph, Node as OnnxNode } from '../core/onnx-write.js';

interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: Array<Array<[string, number, number, unknown]>>;
}

type Pad = [[number, number], [number, number], [number, number], [number, number]];

type Node =
  | { kind: 'input'; name: string }
  | { kind: 'conv' | 'depthwise'; name: string; input: string; filter: TF.Tensor4D; bias?: TF.Tensor1D; strides: [number, number]; pad: 'same' | 'valid' | Pad; dilations: [number, number]; activation: 'linear' | 'relu6' }
  | { kind: 'pad'; name: string; input: string; pad: Pad }
  | { kind: 'add'; name: string; inputs: string[] }
  | { kind: 'relu'; name: string; input: string; max?: number };

export class FusedNet {
  /** `folded`: layers whose own output no longer exists (a convolution or batch norm whose ReLU6 was fused in), by the layer that now holds it. */
  private constructor(private readonly nodes: Node[], private readonly alias: Map<string, string>, private readonly folded: Map<string, string>) {}

  /**
   * Build from a Keras functional topology's layers (in order) and their
   * weights by name ("<layer>/<weight>"). Only what a MobileNet uses is known
   * (InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization,
   * ReLU, Add); anything else is an error naming the layer.
   */
  static build(layers: KerasLayer[], weights: Record<string, TF.Tensor>): FusedNet {
    const inputsOf = (l: KerasLayer) => (l.inbound_nodes[0] ?? []).map((n) => n[0]);
    const consumers = new Map<string, number>();
    for (const l of layers) for (const i of inputsOf(l)) consumers.set(i, (consumers.get(i) ?? 0) + 1);
    const nodes = new Map<string, Node>();
    // A folded layer's name stands for the node that now computes it.
    const alias = new Map<string, string>();
    const folded = new Map<string, string>();
    const real = (n: string) => alias.get(n) ?? n;
    const w = (layer: string, name: string) => {
      const t = weights[`${layer}/${name}`];
      if (!t) throw new Error(`${layer}: weight ${name} missing`);
      return t;
    };
    for (const l of layers) {
      const c = l.config;
      const ins = inputsOf(l).map(real);
      const prev = ins.length === 1 ? nodes.get(ins[0]) : undefined;
      // Only a node nobody else reads can absorb the layer after it.
      const sole = prev !== undefined && (consumers.get(inputsOf(l)[0]) ?? 0) === 1;
      switch (l.class_name) {
        case 'InputLayer':
          nodes.set(l.name, { kind: 'input', name: l.name });
          break;
        case 'ZeroPadding2D': {
          const [[t, b], [le, r]] = c.padding as [[number, number], [number, number]];
          nodes.set(l.name, { kind: 'pad', name: l.name, input: ins[0], pad: [[0, 0], [t, b], [le, r], [0, 0]] });
          break;
        }
        case 'Conv2D':
        case 'DepthwiseConv2D': {
          const depthwise = l.class_name === 'DepthwiseConv2D';
          if (c.data_format !== 'channels_last' || (c.activation !== 'linear' && c.activation !== undefined)) throw new Error(`${l.name}: unsupported ${l.class_name} settings`);
          if (depthwise && c.depth_multiplier !== undefined && c.depth_multiplier !== 1) throw new Error(`${l.name}: depth multiplier ${c.depth_multiplier} unsupported`);
          let input = ins[0];
          let pad: 'same' | 'valid' | Pad = c.padding as 'same' | 'valid';
          // Zero padding read only by this 'valid' convolution: the convolution pads itself.
          if (pad === 'valid' && sole && prev.kind === 'pad') {
            pad = prev.pad;
            input = prev.input;
            nodes.delete(prev.name);
          }
          nodes.set(l.name, {
            kind: depthwise ? 'depthwise' : 'conv', name: l.name, input,
            filter: tf.keep(w(l.name, depthwise ? 'depthwise_kernel' : 'kernel').clone()) as TF.Tensor4D,
            bias: c.use_bias ? (tf.keep(w(l.name, 'bias').clone()) as TF.Tensor1D) : undefined,
            strides: c.strides as [number, number], pad, dilations: c.dilation_rate as [number, number], activation: 'linear',
          });
          break;
        }
        case 'BatchNormalization': {
          if (!sole || (prev.kind !== 'conv' && prev.kind !== 'depthwise') || prev.activation !== 'linear' || (c.axis !== -1 && c.axis !== 3)) throw new Error(`${l.name}: a batch norm that follows no convolution is unsupported`);
          const eps = c.epsilon as number;
          const read = (n: string) => w(l.name, n).dataSync() as Float32Array;
          const mean = read('moving_mean'), variance = read('moving_variance');
          const gamma = c.scale === false ? undefined : read('gamma'), beta = c.center === false ? undefined : read('beta');
          const n = mean.length;
          const scale = new Float64Array(n), bias = new Float32Array(n);
          const old = prev.bias?.dataSync();
          for (let k = 0; k < n; k++) {
            scale[k] = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps);
            bias[k] = (beta ? beta[k] : 0) + ((old ? old[k] : 0) - mean[k]) * scale[k];
          }
          // Output channels are the kernel's last axis ([h, w, in, out]); a depthwise kernel's are its third ([h, w, c, 1]).
          const f = prev.filter.dataSync() as Float32Array;
          const shape = prev.filter.shape;
          const stride = prev.kind === 'depthwise' ? shape[3] : 1;
          const folded = new Float32Array(f.length);
          for (let i = 0; i < f.length; i++) folded[i] = f[i] * scale[Math.floor(i / stride) % n];
          prev.filter.dispose();
          prev.bias?.dispose();
          prev.filter = tf.keep(tf.tensor4d(folded, shape));
          prev.bias = tf.keep(tf.tensor1d(bias));
          alias.set(l.name, prev.name);
          break;
        }
        case 'ReLU': {
          const max = c.max_value as number | null | undefined;
          if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new Error(`${l.name}: a leaky or thresholded ReLU is unsupported`);
          if (max === 6 && sole && (prev.kind === 'conv' || prev.kind === 'depthwise') && prev.activation === 'linear') {
            prev.activation = 'relu6';
            // The convolution and its batch norm now give the activated output: asking for them would get this layer's.
            for (const [k, v] of alias) if (v === prev.name) folded.set(k, l.name);
            folded.set(prev.name, l.name);
            alias.set(l.name, prev.name);
          } else nodes.set(l.name, { kind: 'relu', name: l.name, input: ins[0], max: max ?? undefined });
          break;
        }
        case 'Add':
          nodes.set(l.name, { kind: 'add', name: l.name, inputs: ins });
          break;
        default:
          throw new Error(`${l.name}: layer ${l.class_name} unsupported`);
      }
    }
    return new FusedNet([...nodes.values()], alias, folded);
  }

  /** The output of layer `out` (a Keras layer name) for a batch [n, h, w, 3]. Call inside tf.tidy. */
  apply(x: TF.Tensor4D, out: string): TF.Tensor4D {
    const target = this.target(out);
    const values = new Map<string, TF.Tensor4D>();
    // Each value is freed once its last reader has run, so a batch holds a few layers' outputs, not all of them.
    const left = new Map<string, number>();
    const readers = (n: Node) => (n.kind === 'input' ? [] : n.kind === 'add' ? n.inputs : [n.input]);
    for (const n of this.nodes) for (const i of readers(n)) left.set(i, (left.get(i) ?? 0) + 1);
    for (const n of this.nodes) {
      let y: TF.Tensor4D;
      switch (n.kind) {
        case 'input': y = x; break;
        case 'pad': y = tf.pad(values.get(n.input)!, n.pad); break;
        case 'add': y = tf.addN(n.inputs.map((i) => values.get(i)!)) as TF.Tensor4D; break;
        case 'relu': {
          const r = tf.relu(values.get(n.input)!);
          y = n.max === undefined ? r : tf.clipByValue(r, 0, n.max);
          break;
        }
        case 'conv':
          y = tf.fused.conv2d({ x: values.get(n.input)!, filter: n.filter, strides: n.strides, pad: n.pad as 'same', dilations: n.dilations, bias: n.bias, activation: n.activation });
          break;
        case 'depthwise':
          y = tf.fused.depthwiseConv2d({ x: values.get(n.input)!, filter: n.filter, strides: n.strides, pad: n.pad as 'same', dilations: n.dilations, bias: n.bias, activation: n.activation });
          break;
      }
      values.set(n.name, y);
      if (n.name === target) return y;
      for (const i of readers(n)) {
        const k = left.get(i)! - 1;
        left.set(i, k);
        if (!k && values.get(i) !== x) { values.get(i)!.dispose(); values.delete(i); }
      }
    }
    throw new Error(`no layer ${out}`);
  }

  /**
   * The same net up to `out` as an ONNX graph (input `x` [N,H,W,3] NHWC, output `y` [N,H',W',C], free sizes), for
   * onnxruntime: the same folded weights, so the same function up to float rounding (backend.ts checks it).
   * TensorFlow's 'same' padding (the extra row or column at the end) is ONNX's SAME_UPPER.
   */
  onnx(out: string): Graph {
    const target = this.target(out);
    const nodes: OnnxNode[] = [];
    const initializers: NonNullable<Graph['initializers']> = [];
    // Scalars made on first use (onnxruntime warns of an initializer nothing reads).
    const scalar = (name: string, v: number) => {
      if (!initializers.some(([n]) => n === name)) initializers.push([name, [], Float32Array.of(v)]);
      return name;
    };
    // A ReLU with a ceiling (ReLU6) is a Clip from zero to it.
    const relu = (x: string, y: string, max: number | undefined): OnnxNode =>
      max === undefined ? { op: 'Relu', inputs: [x], outputs: [y] } : { op: 'Clip', inputs: [x, scalar('zero', 0), scalar(`max${max}`, max)], outputs: [y] };
    for (const n of this.nodes) {
      switch (n.kind) {
        case 'input': nodes.push({ op: 'Transpose', inputs: ['x'], outputs: [n.name], attrs: { perm: [0, 3, 1, 2] } }); break;
        case 'pad': {
          initializers.push([`${n.name}/pads`, [8], BigInt64Array.from([0, 0, n.pad[1][0], n.pad[2][0], 0, 0, n.pad[1][1], n.pad[2][1]].map(BigInt))]);
          nodes.push({ op: 'Pad', inputs: [n.input, `${n.name}/pads`], outputs: [n.name] });
          break;
        }
        case 'add': nodes.push({ op: 'Sum', inputs: n.inputs, outputs: [n.name] }); break;
        case 'relu': nodes.push(relu(n.input, n.name, n.max)); break;
        case 'conv':
        case 'depthwise': {
          // tfjs filters are [kh, kw, in, out] (depthwise: [kh, kw, channels, multiplier]); ONNX's [out, in/group, kh, kw].
          const [kh, kw, ci, co] = n.filter.shape;
          const d = n.filter.dataSync();
          const outs = n.kind === 'conv' ? co : ci * co, per = n.kind === 'conv' ? ci : 1;
          const w = new Float32Array(outs * per * kh * kw);
          for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
            const src = d[((a * kw + b) * ci + c) * co + o];
            if (n.kind === 'conv') w[((o * ci + c) * kh + a) * kw + b] = src;
            else w[((c * co + o) * kh + a) * kw + b] = src;
          }
          initializers.push([`${n.name}/w`, [outs, per, kh, kw], w]);
          const inputs = [n.input, `${n.name}/w`];
          if (n.bias) {
            initializers.push([`${n.name}/b`, [outs], Float32Array.from(n.bias.dataSync())]);
            inputs.push(`${n.name}/b`);
          }
          const pads: NonNullable<OnnxNode['attrs']> = n.pad === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads: n.pad === 'valid' ? [0, 0, 0, 0] : [n.pad[1][0], n.pad[2][0], n.pad[1][1], n.pad[2][1]] };
          const y = n.activation === 'relu6' ? `${n.name}/pre` : n.name;
          nodes.push({ op: 'Conv', inputs, outputs: [y], attrs: { kernel_shape: [kh, kw], strides: n.strides, dilations: n.dilations, group: n.kind === 'conv' ? 1 : ci, ...pads } });
          if (n.activation === 'relu6') nodes.push(relu(y, n.name, 6));
          break;
        }
      }
      if (n.name === target) {
        nodes.push({ op: 'Transpose', inputs: [target], outputs: ['y'], attrs: { perm: [0, 2, 3, 1] } });
        return { inputs: [['x', ['n', 'h', 'w', 3]]], outputs: [['y', ['n', 'rows', 'cols', 'channels']]], nodes, initializers };
      }
    }
    throw new Error(`no layer ${out}`);
  }

  /** The node that computes layer `out` (a folded layer is an error naming the node that holds it). */
  private target(out: string): string {
    const into = this.folded.get(out);
    if (into) throw new Error(`layer ${out} is folded into ${into}: ask for ${into}`);
    const target = this.alias.get(out) ?? out;
    if (!this.nodes.some((n) => n.name === target)) throw new Error(`no layer ${out}`);
    return target;
  }
}
