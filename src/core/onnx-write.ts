// ONNX models written byte by byte: a minimal protobuf encoder for the few
// ModelProto fields a plain graph needs (nodes, attributes, initializers,
// inputs and outputs, metadata). toonscope writes its MobileNetV2 backbone
// (embed/net.ts) with it for onnxruntime, and the tests their small generated
// models. Field numbers are those of onnx/onnx.proto (ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto).

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function cat(parts: Field[]): Field {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const int = (field: number, n: number | bigint): Field => Uint8Array.from([...varint(field << 3), ...varint(n)]);
const bytes = (field: number, b: Field): Field => cat([Uint8Array.from([...varint((field << 3) | 2), ...varint(b.length)]), b]);
const str = (field: number, s: string): Field => bytes(field, new TextEncoder().encode(s));
const msg = (field: number, parts: Field[]): Field => bytes(field, cat(parts));
const f32 = (field: number, x: number): Field => {
  const b = new Uint8Array(5);
  b[0] = (field << 3) | 5;
  new DataView(b.buffer).setFloat32(1, x, true);
  return b;
};

const FLOAT = 1;
const INT64 = 7;

/** A dimension: a number, or a name for a free (dynamic) axis. */
export type Dim = number | string;

function valueInfo(field: number, name: string, dims: Dim[], elem = FLOAT): Field {
  const shape = dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, elem), msg(2, shape)])])]);
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Field {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return cat([...dims.map((d) => int(1, d)), int(2, data instanceof Float32Array ? FLOAT : INT64), str(8, name), bytes(9, raw)]);
}

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  /**
   * Attributes: numbers become ints (floats only if not integral: an attribute that must be a float with a whole value
   * cannot be written), number[] ints, strings strings, tensors given as {dims, data}.
   */
  attrs?: Record<string, number | number[] | string | { dims: number[]; data: Float32Array | BigInt64Array }>;
}

function attribute(name: string, v: NonNullable<Node['attrs']>[string]): Field {
  if (typeof v === 'number') return Number.isInteger(v) ? cat([str(1, name), int(3, v), int(20, 2)]) : cat([str(1, name), f32(2, v), int(20, 1)]);
  if (Array.isArray(v)) return cat([str(1, name), ...v.map((x) => int(8, x)), int(20, 7)]);
  if (typeof v === 'string') return cat([str(1, name), str(4, v), int(20, 3)]);
  return cat([str(1, name), msg(5, [tensor('', v.dims, v.data)]), int(20, 4)]);
}

export interface Graph {
  inputs: Array<[string, Dim[]]>;
  outputs: Array<[string, Dim[]]>;
  nodes: Node[];
  initializers?: Array<[string, number[], Float32Array | BigInt64Array]>;
  /** ModelProto.metadata_props, e.g. Ultralytics' imgsz and names. */
  metadata?: Record<string, string>;
}

/** Serialise a graph to ONNX bytes (IR 8, default opset 13). */
export function onnxModel(g: Graph, name = 'toonscope'): Uint8Array {
  const nodes = g.nodes.map((n, i) => msg(1, [
    ...n.inputs.map((x) => str(1, x)),
    ...n.outputs.map((x) => str(2, x)),
    str(3, `n${i}`),
    str(4, n.op),
    ...Object.entries(n.attrs ?? {}).map(([k, v]) => msg(5, [attribute(k, v)])),
  ]));
  const graph = msg(7, [
    ...nodes,
    str(2, name),
    ...(g.initializers ?? []).map(([name, dims, data]) => msg(5, [tensor(name, dims, data)])),
    ...g.inputs.map(([n, d]) => valueInfo(11, n, d)),
    ...g.outputs.map(([n, d]) => valueInfo(12, n, d)),
  ]);
  const meta = Object.entries(g.metadata ?? {}).map(([k, v]) => msg(14, [str(1, k), str(2, v)]));
  return cat([int(1, 8), str(2, 'toonscope'), graph, msg(8, [str(1, ''), int(2, 13)]), ...meta]);
}
