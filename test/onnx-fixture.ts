// A minimal ONNX writer (protobuf by hand): one Constant node whose output is
// the model's output, so the ONNX backend's real runtime path runs without any model file.
function pb(field: number, wire: number, body: number[] | Uint8Array): number[] {
  const key = varint((field << 3) | wire);
  return wire === 2 ? [...key, ...varint(body.length), ...body] : [...key, ...body];
}
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return out;
}
const str = (field: number, s: string) => pb(field, 2, [...Buffer.from(s)]);
function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => pb(1, 2, pb(1, 0, varint(d))));
  return [...str(1, name), ...pb(2, 2, pb(1, 2, [...pb(1, 0, varint(1)), ...pb(2, 2, shape)]))];
}
export function constantModel(inputDims: number[], out: Float32Array, outDims: number[]): Uint8Array {
  const tensor = [...outDims.flatMap((d) => pb(1, 0, varint(d))), ...pb(2, 0, varint(1)), ...pb(9, 2, new Uint8Array(out.buffer))];
  const attr = [...str(1, 'value'), ...pb(5, 2, tensor), ...pb(20, 0, varint(4))];
  const node = [...str(2, 'out'), ...str(4, 'Constant'), ...pb(5, 2, attr)];
  const graph = [...pb(1, 2, node), ...str(2, 'g'), ...pb(11, 2, valueInfo('images', inputDims)), ...pb(12, 2, valueInfo('out', outDims))];
  return new Uint8Array([...pb(1, 0, varint(8)), ...pb(7, 2, graph), ...pb(8, 2, [...str(1, ''), ...pb(2, 0, varint(13))])]);
}
