// Small vector helpers shared by embedding, tracking and the dictionary.

/** L2-normalise in place (a zero vector stays zero); returns the same array. */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= k;
  }
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/** Cosine similarity (0 when either vector is zero). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { s += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return na && nb ? s / Math.sqrt(na * nb) : 0;
}

/**
 * Concatenate L2-normalised parts with weights so that the cosine of two
 * combined vectors is the weighted mean of the parts' cosines:
 * out = [sqrt(w1) a/|a|, sqrt(w2) b/|b|, ...] with the weights summing to 1.
 */
export function combine(parts: Float32Array[], weights: number[]): Float32Array {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  parts.forEach((p, i) => {
    const q = normalize(Float32Array.from(p));
    const k = Math.sqrt(weights[i] / total);
    for (let j = 0; j < q.length; j++) out[o + j] = q[j] * k;
    o += q.length;
  });
  return normalize(out);
}

/** Element-wise mean of vectors, L2-normalised (a track's appearance). */
export function meanVector(vs: Float32Array[]): Float32Array {
  const out = new Float32Array(vs[0]?.length ?? 0);
  for (const v of vs) for (let i = 0; i < out.length; i++) out[i] += v[i];
  return normalize(out);
}
