// Agglomerative average-linkage clustering on cosine distance with
// cannot-link constraints (two clusters holding a forbidden pair never merge),
// and the number of clusters chosen by the mean silhouette (Rousseeuw 1987)
// of the resulting partitions, computed on the original distances.
// Cost: O(n^2) memory, ~O(n^2) per run of merges with cached row minima.

export interface ClusterOptions {
  /** Pairs of item indices that must end in different clusters. */
  cannotLink?: ReadonlyArray<readonly [number, number]>;
  /** Pairs of item indices that must end in the same cluster (merged first; a pair that breaks a cannot-link is ignored). */
  mustLink?: ReadonlyArray<readonly [number, number]>;
  /** Fixed distance cut instead of the silhouette choice: merge while the linkage distance is below it. */
  cut?: number;
  /** Largest number of clusters the silhouette search considers. Default 60. */
  maxClusters?: number;
}

export interface Clustering {
  /** Cluster of each item, 0..k-1, numbered by decreasing size. */
  labels: number[];
  k: number;
  /** Mean silhouette of the chosen partition (0 when k is 1 or n). */
  silhouette: number;
  /** Linkage distance of the last merge performed. */
  height: number;
  /** Silhouette for every k examined. */
  curve: Array<{ k: number; silhouette: number }>;
}

/** 1 - cosine between unit vectors, as a dense n x n matrix. */
export function cosineDistances(vs: readonly Float32Array[]): Float32Array {
  const n = vs.length, D = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      const a = vs[i], b = vs[j];
      for (let k = 0; k < a.length; k++) s += a[k] * b[k];
      D[i * n + j] = D[j * n + i] = Math.max(0, 1 - s);
    }
  }
  return D;
}

/** Mean silhouette of a labelling over a distance matrix; singletons score 0. */
export function silhouette(labels: readonly number[], D: Float32Array): number {
  const n = labels.length;
  const k = Math.max(...labels) + 1;
  if (k < 2 || k >= n) return 0;
  const size = new Array<number>(k).fill(0);
  for (const l of labels) size[l]++;
  const sum = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sum.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sum[labels[j]] += D[i * n + j];
    const li = labels[i];
    if (size[li] < 2) continue;
    const a = sum[li] / (size[li] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== li && size[c]) b = Math.min(b, sum[c] / size[c]);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

/** Cluster unit vectors (or a precomputed distance matrix). */
export function agglomerate(input: readonly Float32Array[] | { distances: Float32Array; n: number }, opts: ClusterOptions = {}): Clustering {
  const n = Array.isArray(input) ? input.length : (input as { n: number }).n;
  const D0 = Array.isArray(input) ? cosineDistances(input) : (input as { distances: Float32Array }).distances;
  if (n === 0) return { labels: [], k: 0, silhouette: 0, height: 0, curve: [] };
  if (n === 1) return { labels: [0], k: 1, silhouette: 0, height: 0, curve: [] };
  const D = Float64Array.from(D0);
  const CL = new Uint8Array(n * n);
  for (const [a, b] of opts.cannotLink ?? []) if (a !== b) { CL[a * n + b] = 1; CL[b * n + a] = 1; }
  const size = new Int32Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const rowMin = new Float64Array(n), rowArg = new Int32Array(n);
  const scan = (i: number) => {
    let m = Infinity, a = -1;
    for (let j = 0; j < n; j++) {
      if (j === i || !active[j] || CL[i * n + j]) continue;
      if (D[i * n + j] < m) { m = D[i * n + j]; a = j; }
    }
    rowMin[i] = m; rowArg[i] = a;
  };
  const merges: Array<[number, number, number]> = [];
  // Lance-Williams update for average linkage; j is absorbed into i.
  const absorb = (i: number, j: number, height: number) => {
    merges.push([i, j, height]);
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === i || k === j) continue;
      const d = (size[i] * D[i * n + k] + size[j] * D[j * n + k]) / (size[i] + size[j]);
      D[i * n + k] = D[k * n + i] = d;
      if (CL[j * n + k]) CL[i * n + k] = CL[k * n + i] = 1;
    }
    size[i] += size[j];
    active[j] = 0;
  };
  // Must-links first, at height 0: every partition the search considers keeps them.
  const into = Int32Array.from({ length: n }, (_, x) => x);
  const root = (x: number): number => { while (into[x] !== x) x = into[x] = into[into[x]]; return x; };
  for (const [a, b] of opts.mustLink ?? []) {
    const i = root(a), j = root(b);
    if (i === j || CL[i * n + j]) continue;
    absorb(i, j, 0);
    into[j] = i;
  }
  const forced = merges.length;
  for (let i = 0; i < n; i++) if (active[i]) scan(i);
  for (;;) {
    let best = Infinity, i = -1;
    for (let r = 0; r < n; r++) if (active[r] && rowMin[r] < best) { best = rowMin[r]; i = r; }
    if (i < 0 || (opts.cut !== undefined && best >= opts.cut)) break;
    const j = rowArg[i];
    absorb(i, j, best);
    scan(i);
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === i) continue;
      if (rowArg[k] === i || rowArg[k] === j) scan(k);
      else if (!CL[k * n + i] && D[k * n + i] < rowMin[k]) { rowMin[k] = D[k * n + i]; rowArg[k] = i; }
    }
  }
  // Replay the merges with union-find to get the partition after any number of them.
  const labelsAfter = (m: number): number[] => {
    const parent = Int32Array.from({ length: n }, (_, x) => x);
    const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
    for (let t = 0; t < m; t++) parent[find(merges[t][1])] = find(merges[t][0]);
    return relabel(Array.from({ length: n }, (_, x) => find(x)));
  };
  if (opts.cut !== undefined) {
    const labels = labelsAfter(merges.length);
    const k = Math.max(...labels) + 1;
    return { labels, k, silhouette: silhouette(labels, D0), height: merges.at(-1)?.[2] ?? 0, curve: [] };
  }
  const kMin = n - merges.length;
  const kMax = Math.min(n - 1, n - forced, opts.maxClusters ?? 60);
  const curve: Array<{ k: number; silhouette: number }> = [];
  let bestK = kMin, bestS = -Infinity, bestLabels = labelsAfter(merges.length);
  for (let k = Math.max(2, kMin); k <= kMax; k++) {
    const labels = labelsAfter(n - k);
    const s = silhouette(labels, D0);
    curve.push({ k, silhouette: s });
    if (s > bestS) { bestS = s; bestK = k; bestLabels = labels; }
  }
  return { labels: bestLabels, k: bestK, silhouette: Math.max(0, bestS), height: merges[n - bestK - 1]?.[2] ?? 0, curve };
}

/** Renumber cluster roots 0..k-1 by decreasing size (ties by first appearance). */
function relabel(roots: number[]): number[] {
  const count = new Map<number, number>(), first = new Map<number, number>();
  roots.forEach((r, i) => { count.set(r, (count.get(r) ?? 0) + 1); if (!first.has(r)) first.set(r, i); });
  const order = [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)! || first.get(a)! - first.get(b)!);
  const id = new Map(order.map((r, i) => [r, i]));
  return roots.map((r) => id.get(r)!);
}
