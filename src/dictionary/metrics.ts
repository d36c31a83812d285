// Clustering metrics against true identities (pure functions).
//  purity: each cluster votes for its majority identity; the fraction of items it covers.
//  NMI: mutual information / arithmetic mean of the two entropies (sklearn's default).
//  ARI: Hubert & Arabie's adjusted Rand index (pair counting, chance-corrected).

type Label = number | string;

function table(pred: readonly Label[], truth: readonly Label[]) {
  if (pred.length !== truth.length) throw new Error(`label arrays differ in length (${pred.length} vs ${truth.length})`);
  const P = new Map<Label, number>(), T = new Map<Label, number>();
  for (const p of pred) if (!P.has(p)) P.set(p, P.size);
  for (const t of truth) if (!T.has(t)) T.set(t, T.size);
  const n = new Array(P.size).fill(0).map(() => new Array<number>(T.size).fill(0));
  for (let i = 0; i < pred.length; i++) n[P.get(pred[i])!][T.get(truth[i])!]++;
  const a = n.map((r) => r.reduce((x, y) => x + y, 0));
  const b = new Array<number>(T.size).fill(0);
  for (const r of n) r.forEach((v, j) => { b[j] += v; });
  return { n, a, b, N: pred.length };
}

export function purity(pred: readonly Label[], truth: readonly Label[]): number {
  const { n, N } = table(pred, truth);
  return N ? n.reduce((s, r) => s + Math.max(...r), 0) / N : 0;
}

export function nmi(pred: readonly Label[], truth: readonly Label[]): number {
  const { n, a, b, N } = table(pred, truth);
  if (!N) return 0;
  const H = (xs: number[]) => -xs.reduce((s, x) => (x ? s + (x / N) * Math.log(x / N) : s), 0);
  let mi = 0;
  n.forEach((r, i) => r.forEach((v, j) => { if (v) mi += (v / N) * Math.log((v * N) / (a[i] * b[j])); }));
  const hp = H(a), ht = H(b);
  if (hp === 0 && ht === 0) return 1; // both a single cluster: identical partitions
  return (2 * mi) / (hp + ht);
}

export function ari(pred: readonly Label[], truth: readonly Label[]): number {
  const { n, a, b, N } = table(pred, truth);
  const c2 = (x: number) => (x * (x - 1)) / 2;
  const index = n.reduce((s, r) => s + r.reduce((t, v) => t + c2(v), 0), 0);
  const sa = a.reduce((s, x) => s + c2(x), 0), sb = b.reduce((s, x) => s + c2(x), 0);
  const expected = N > 1 ? (sa * sb) / c2(N) : 0;
  const max = (sa + sb) / 2;
  if (max === expected) return 1; // degenerate (e.g. everything in one cluster on both sides)
  return (index - expected) / (max - expected);
}

export interface ClusterScores { purity: number; nmi: number; ari: number; clusters: number; identities: number }

export function clusterScores(pred: readonly Label[], truth: readonly Label[]): ClusterScores {
  return { purity: purity(pred, truth), nmi: nmi(pred, truth), ari: ari(pred, truth), clusters: new Set(pred).size, identities: new Set(truth).size };
}
