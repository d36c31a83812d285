import { test } from 'node:test';
import assert from 'node:assert/strict';
import { purity, nmi, ari, agglomerate, silhouette, cosineDistances, sampleTriplets, hasTriplets, coOccurring, trainHead, Head, buildDictionary, SAME_CHARACTER, colourVector, colourView, refineTracks, collage, collageMembers, clusterScores, detectionLabels, rng } from '../src/dictionary/index.js';
import { gauss } from '../src/core/random.js';
import { normalize } from '../src/embed/vector.js';
import { COLOUR_DIM, DEEP_DIM } from '../src/embed/index.js';
import { synthClip } from '../src/dictionary/synth.js';
import { evaluateCast } from '../src/dictionary/evaluate.js';
import type { Detection, Image, Track } from '../src/core/types.js';
import { storedEmbedding } from './fixtures.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('purity, NMI and ARI on hand-computed examples', () => {
  const p = [0, 0, 0, 1, 1, 1], t = ['a', 'a', 'b', 'b', 'c', 'c'];
  close(purity(p, t), 4 / 6);
  // MI = (2/3) ln 2, H(p) = ln 2, H(t) = ln 3: NMI = 2 MI / (H(p) + H(t)).
  close(nmi(p, t), ((4 / 3) * Math.LN2) / (Math.LN2 + Math.log(3)));
  close(nmi([0, 0, 1, 1], [5, 5, 7, 7]), 1);
  close(ari([0, 0, 1, 1], [5, 5, 7, 7]), 1);
  // Crossed 2x2: index 0, expected (2*2)/6, max 2 -> ARI = -0.5 (sklearn agrees).
  close(ari([0, 0, 1, 1], [0, 1, 0, 1]), -0.5);
  close(nmi([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  // Every item its own cluster: purity 1 but ARI 0 against two classes of two.
  close(purity([0, 1, 2, 3], [0, 0, 1, 1]), 1);
  close(ari([0, 1, 2, 3], [0, 0, 1, 1]), 0);
  assert.throws(() => purity([0], [0, 1]));
});

function blobs(centres: number, per: number, d: number, spread: number, seed: number) {
  const r = rng(seed);
  const cs = Array.from({ length: centres }, () => normalize(Float32Array.from({ length: d }, () => gauss(r))));
  const vs: Float32Array[] = [], labels: number[] = [];
  cs.forEach((c, k) => { for (let i = 0; i < per; i++) { vs.push(normalize(Float32Array.from(c, (x) => x + gauss(r) * spread))); labels.push(k); } });
  return { vs, labels };
}

test('agglomerative clustering picks the number of blobs by silhouette', () => {
  for (const k of [2, 3, 5]) {
    const { vs, labels } = blobs(k, 8, 16, 0.08, k);
    const c = agglomerate(vs);
    assert.equal(c.k, k);
    close(ari(c.labels, labels), 1);
    assert.ok(c.silhouette > 0.5);
    close(c.silhouette, silhouette(c.labels, cosineDistances(vs)));
  }
});

test('a small, loose group between two tight groups stays a character of its own', () => {
  // Unit vectors on a circle: ten tracks at 0-9 degrees, ten at 120-129, three at 40, 46 and 52.
  const at = (deg: number) => Float32Array.from([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);
  const loose = [...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ...[120, 121, 122, 123, 124, 125, 126, 127, 128, 129], 40, 46, 52].map(at);
  const l = agglomerate(loose);
  assert.equal(l.k, 3, `clusters: ${l.labels.join('')}`);
  assert.ok(l.labels[20] === l.labels[22] && l.labels[20] !== l.labels[0] && l.labels[20] !== l.labels[10]);
});

test('cannot-link keeps co-occurring items apart; a fixed cut stops merging', () => {
  const { vs } = blobs(2, 5, 8, 0.05, 9);
  // Items 0 and 1 are in the same blob but declared different.
  const c = agglomerate(vs, { cannotLink: [[0, 1]] });
  assert.notEqual(c.labels[0], c.labels[1]);
  const none = agglomerate(vs, { cut: 1e-9 });
  assert.equal(none.k, vs.length);
  const all = agglomerate(vs, { cut: 10 });
  assert.equal(all.k, 1);
});

test('must-link joins items of different blobs in every partition the search considers; a must-link against a cannot-link loses', () => {
  const { vs, labels } = blobs(3, 6, 16, 0.05, 4);
  const a = labels.indexOf(0), b = labels.indexOf(1), c2 = labels.indexOf(2);
  const c = agglomerate(vs, { mustLink: [[a, b]] });
  assert.equal(c.labels[a], c.labels[b], 'forced together');
  // Only the two forced items moved: the rest of blob 0 and blob 1 stay in their own clusters.
  const rest0 = labels.map((l, i) => (l === 0 && i !== a ? c.labels[i] : -1)).filter((x) => x >= 0);
  assert.ok(rest0.every((x) => x === rest0[0]));
  assert.notEqual(c.labels[c2], c.labels[a]);
  const conflict = agglomerate(vs, { mustLink: [[a, b]], cannotLink: [[a, b]] });
  assert.notEqual(conflict.labels[a], conflict.labels[b], 'cannot-link wins');
  // Chains are transitive: a-b and b-c2 put all three together.
  const chain = agglomerate(vs, { mustLink: [[a, b], [b, c2]] });
  assert.equal(chain.labels[a], chain.labels[c2]);
});

function track(id: number, shot: number, frames: number[], vec: (f: number) => Float32Array): Track {
  return { id, shot, detections: frames.map((f) => ({ frame: f, box: [0, 0, 1, 1], score: 1, label: 'c', embedding: vec(f) } as Detection)) };
}

test('triplets: there are some exactly when a track of two appearances shares a frame with another track', () => {
  const v = (k: number) => () => { const x = new Float32Array(4); x[k] = 1; return x; };
  const sets: Array<[string, Track[], boolean]> = [
    // Two one-frame tracks on one frame (someone at the frame's edge beside someone seen once): they share a frame,
    // but neither has an anchor and a positive.
    ['two one-frame tracks', [track(1, 0, [5], v(0)), track(2, 0, [5], v(1))], false],
    ['a long track beside a one-frame one', [track(1, 0, [4, 5, 6], v(0)), track(2, 0, [5], v(1))], true],
    ['two long tracks, never on one frame', [track(1, 0, [1, 2], v(0)), track(2, 0, [3, 4], v(1))], false],
    ['on one frame, in two shots', [track(1, 0, [1, 2], v(0)), track(2, 1, [1, 2], v(1))], false],
  ];
  const bare = track(3, 0, [5], v(2));
  bare.detections.forEach((d) => delete d.embedding);
  sets.push(['beside a track with no embedding', [track(1, 0, [4, 5], v(0)), bare], false]);
  for (const [what, tracks, some] of sets) {
    assert.equal(hasTriplets(tracks), some, what);
    assert.equal(sampleTriplets(tracks, { perTrack: 4 }).triplets.length > 0, some, `${what}: as sampleTriplets finds`);
  }
});

test('triplets: anchor and positive from one track, negative from a co-occurring one', () => {
  const v = (k: number) => () => { const x = new Float32Array(4); x[k] = 1; return x; };
  const tracks = [
    track(1, 0, [0, 1, 2, 3], v(0)),
    track(2, 0, [2, 3, 4], v(1)),
    track(3, 0, [10, 11], v(2)), // alone: no negatives, never an anchor
    track(4, 1, [0, 1], v(3)), // same frame numbers but another shot: does not co-occur with 1
  ];
  const co = coOccurring(tracks);
  assert.deepEqual([...co.get(1)!], [2]);
  assert.equal(co.get(3)!.size, 0);
  assert.equal(co.get(4)!.size, 0);
  // Series mode: the same shot number and frames in two videos only co-occur within one video's scope.
  const a = track(1_000_001, 0, [0, 1], v(0)), b = track(2_000_001, 0, [0, 1], v(1));
  assert.equal(coOccurring([a, b]).get(a.id)!.size, 1);
  assert.equal(coOccurring([a, b], (t) => Math.floor(t.id / 1e6)).get(a.id)!.size, 0);
  const s = sampleTriplets(tracks, { perTrack: 10 });
  assert.equal(s.triplets.length / 3, 20);
  for (let i = 0; i < s.triplets.length; i += 3) {
    const [a, p, n] = [s.triplets[i], s.triplets[i + 1], s.triplets[i + 2]];
    assert.equal(s.track[a], s.track[p]);
    assert.notEqual(a, p);
    assert.ok(co.get(s.track[a])!.has(s.track[n]));
  }
});

test('cross-shot positives come from mutual nearest neighbour tracks of other shots only', () => {
  const v = (x: number[]) => () => normalize(Float32Array.from(x));
  const tracks = [
    track(1, 0, [0, 1, 2], v([1, 0, 0, 0])), track(2, 0, [0, 1, 2], v([0, 1, 0, 0])),
    track(3, 1, [5, 6, 7], v([0.95, 0.05, 0, 0])), track(4, 1, [5, 6, 7], v([0, 0, 1, 0])),
  ];
  const s = sampleTriplets(tracks, { perTrack: 50, crossPositives: 1, crossMin: 0.8 });
  const pairs = new Set<string>();
  for (let i = 0; i < s.triplets.length; i += 3) pairs.add(`${s.track[s.triplets[i]]}-${s.track[s.triplets[i + 1]]}`);
  // 1 and 3 are mutual neighbours across shots; 2 and 4 are not similar enough.
  assert.ok(pairs.has('1-3') && pairs.has('3-1'));
  assert.ok(!pairs.has('1-1') && !pairs.has('3-3'), 'all positives of 1 and 3 come from the mate');
  assert.ok(pairs.has('2-2') && pairs.has('4-4') && !pairs.has('2-4') && !pairs.has('4-2'));
  const none = sampleTriplets(tracks, { perTrack: 20 });
  for (let i = 0; i < none.triplets.length; i += 3) assert.equal(none.track[none.triplets[i]], none.track[none.triplets[i + 1]]);
});

test('hard negatives are the co-occurring crops most similar to the anchor', () => {
  const anchorTrack = track(1, 0, [0, 1], () => Float32Array.from([1, 0, 0]));
  // Track 2 has one crop close to the anchor (frame 0) and one far (frame 1).
  const other = track(2, 0, [0, 1], (f) => normalize(f === 0 ? Float32Array.from([0.9, 0.1, 0]) : Float32Array.from([0, 0, 1])));
  const shareHard = (hard: number) => {
    const s = sampleTriplets([anchorTrack, other], { perTrack: 200, hard, candidates: 8, seed: 5 });
    let close = 0, n = 0;
    for (let i = 0; i < s.triplets.length; i += 3) if (s.track[s.triplets[i]] === 1) { n++; if (s.items[s.triplets[i + 2]][0] > 0.5) close++; }
    return close / n;
  };
  // Random negatives hit the close crop half the time; mined ones almost always (miss chance 2^-8 each).
  assert.ok(Math.abs(shareHard(0) - 0.5) < 0.12, String(shareHard(0)));
  assert.ok(shareHard(1) > 0.97, String(shareHard(1)));
});

/**
 * Tracks whose vectors mix a weak identity signal with a strong per-shot
 * nuisance (like lighting or set colour): vanilla clustering groups by shot,
 * while triplets (negatives from the same shot share the nuisance) teach the
 * head to drop it.
 */
function nuisanceSet(seed: number) {
  const r = rng(seed), d = 24;
  const rand = () => normalize(Float32Array.from({ length: d }, () => gauss(r)));
  const ident = Array.from({ length: 3 }, rand), shots = Array.from({ length: 8 }, rand);
  const tracks: Track[] = [], truth = new Map<number, number>();
  let id = 1;
  shots.forEach((nuis, s) => {
    const who = [0, 1, 2].sort(() => r() - 0.5).slice(0, 2);
    for (const k of who) {
      const tid = id++;
      truth.set(tid, k);
      tracks.push(track(tid, s, Array.from({ length: 8 }, (_, f) => f), () => normalize(Float32Array.from({ length: d }, (_, j) => 0.35 * ident[k][j] + nuis[j] + 0.05 * gauss(r)))));
    }
  });
  return { tracks, truth };
}

test('the trained head removes a nuisance that fools vanilla clustering (and serialises)', async () => {
  const { tracks, truth } = nuisanceSet(12);
  const gold = tracks.flatMap((t) => t.detections.map(() => truth.get(t.id)!));
  const vanilla = buildDictionary(tracks);
  const v = clusterScores(detectionLabels(tracks, vanilla), gold);
  const losses: number[] = [];
  const ref = await refineTracks(tracks, { triplets: { perTrack: 60 }, head: { epochs: 25, hidden: 64, out: 32, learningRate: 3e-3, onEpoch: (_, l) => losses.push(l) } });
  const refined = buildDictionary(ref.tracks);
  const f = clusterScores(detectionLabels(ref.tracks, refined), gold);
  assert.ok(losses.at(-1)! < losses[0] * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.ok(f.ari > v.ari + 0.3, `ARI vanilla ${v.ari} refined ${f.ari}`);
  assert.ok(f.ari > 0.8 && f.purity > 0.9, JSON.stringify(f));
  // Round trip through JSON gives the same projection.
  const copy = Head.fromJSON(JSON.parse(JSON.stringify(ref.head)));
  const x = tracks[0].detections[0].embedding!;
  const [a] = await ref.head.project([x]), [b] = await copy.project([x]);
  assert.equal(a.length, 32);
  for (let i = 0; i < a.length; i++) close(a[i], b[i], 1e-6);
});

test('dictionary exemplars are medoids and collages lay crops out in a grid', async () => {
  const { vs } = blobs(2, 6, 8, 0.05, 3);
  const tracks = vs.map((v, i) => track(i + 1, i, [0], () => v));
  const dict = buildDictionary(tracks);
  assert.equal(dict.k, 2);
  for (const ch of dict.characters) {
    const own = tracks.filter((t) => ch.tracks.includes(t.id)).map((t) => t.detections[0]);
    const sum = (d: Detection) => own.reduce((s, o) => s + d.embedding!.reduce((a, x, i) => a + x * o.embedding![i], 0), 0);
    assert.equal(sum(ch.exemplar), Math.max(...own.map(sum)));
    const members = collageMembers(ch, tracks, 4);
    assert.equal(members[0], ch.exemplar);
    assert.equal(members.length, Math.min(4, own.length));
  }
  const crop = (c: number): Image => ({ width: 10, height: 20, channels: 3, data: new Uint8Array(600).fill(c) });
  const img = await collage([crop(50), crop(100), crop(150)], { cell: 32, cols: 2, gap: 4 });
  assert.equal(img.width, 2 * 36 + 4);
  assert.equal(img.height, 2 * 36 + 4);
  // The exemplar has a highlight frame around it.
  assert.deepEqual([...img.data.subarray((2 * img.width + 2) * 3, (2 * img.width + 2) * 3 + 3)], [255, 200, 0]);
});

test('the fixed cut: two tracks are two characters when far apart (the silhouette cannot say so), one when near; with a second view both views must agree', () => {
  // Unit vectors at a chosen cosine distance from [1, 0].
  const at = (d: number) => () => Float32Array.of(1 - d, Math.sqrt(1 - (1 - d) ** 2));
  const far = [track(1, 0, [0], at(0)), track(2, 1, [0], at(0.3))];
  const near = [track(1, 0, [0], at(0)), track(2, 1, [0], at(0.05))];
  // (The silhouette makes these one character whatever their distance: two items leave it nothing to compare.)
  assert.equal(buildDictionary(far, { cut: SAME_CHARACTER }).k, 2);
  assert.equal(buildDictionary(near, { cut: SAME_CHARACTER }).k, 1);
  const view = (d: number) => new Map([[1, at(0)()], [2, at(d)()]]);
  assert.equal(buildDictionary(near, { cut: SAME_CHARACTER, also: view(0.3) }).k, 2, 'the second view tells them apart');
  assert.equal(buildDictionary(far, { cut: SAME_CHARACTER, also: view(0.05) }).k, 2, 'the first view tells them apart');
  assert.equal(buildDictionary(near, { cut: SAME_CHARACTER, also: view(0.05) }).k, 1);
  // The second view is looked up by track id: listed in another order, with a track left out (no embedding).
  const same = [track(5, 0, [0], at(0)), { id: 7, shot: 1, detections: [] } as Track, track(3, 2, [0], at(0.02)), track(9, 3, [0], at(0.04))];
  const second = new Map([[9, at(0.3)()], [3, at(0.01)()], [5, at(0)()]]);
  const d = buildDictionary(same, { cut: SAME_CHARACTER, also: second });
  assert.equal(d.k, 2);
  assert.equal(d.trackCharacter.get(5), d.trackCharacter.get(3));
  assert.notEqual(d.trackCharacter.get(5), d.trackCharacter.get(9));
  assert.equal(d.trackCharacter.has(7), false);
  assert.throws(() => buildDictionary(same, { cut: SAME_CHARACTER, also: new Map([[5, at(0)()]]) }), /track 3 has no vector/);
});

test('the colour view: two tracks the deep part puts together are two characters when their colours differ', () => {
  // Embeddings laid out as analyze stores them (deep, then colour bins lit).
  const deep = (k: number) => { const v = new Float32Array(DEEP_DIM).fill(1); v[k] = 1.5; return v; };
  const emb = (d: Float32Array, bins: number[]) => () => storedEmbedding(d, bins);
  // Same deep look (0.0002 apart); colours half shared (0.5 apart: a brown-haired boy, a blonde girl, both in uniform).
  const boy = track(1, 0, [0, 1], emb(deep(0), [0, 1, 2, 3]));
  const girl = track(2, 1, [0, 1], emb(deep(1), [2, 3, 4, 5]));
  const girlAgain = track(3, 2, [0], emb(deep(2), [2, 3, 4, 5, 6]));
  // The combined vector alone: 0.5 apart in colour is 0.15 in the mix, under the cut: one character.
  assert.equal(buildDictionary([boy, girl, girlAgain], { cut: SAME_CHARACTER }).k, 1);
  const d = buildDictionary([boy, girl, girlAgain], { cut: SAME_CHARACTER, also: colourView([boy, girl, girlAgain]) });
  assert.equal(d.k, 2);
  assert.notEqual(d.trackCharacter.get(1), d.trackCharacter.get(2));
  assert.equal(d.trackCharacter.get(2), d.trackCharacter.get(3), 'her colours agree (one bin more): one character');
  // The view is the colour part alone, normalised: the deep part does not reach it.
  const c = colourVector(boy);
  assert.equal(c.length, COLOUR_DIM);
  assert.ok([0, 1, 2, 3].every((k) => Math.abs(c[k] - 0.5) < 1e-6) && c[4] === 0);
  // Alongside another view (the unrefined vectors when refined ones are clustered): every view must agree.
  const far = new Map([[1, Float32Array.of(1, 0)], [2, Float32Array.of(0, 1)], [3, Float32Array.of(0, 1)]]);
  assert.equal(buildDictionary([boy, girl, girlAgain], { cut: SAME_CHARACTER, also: [colourView([boy, girl, girlAgain]), far] }).k, 2);
  // A view with a cut of its own is measured against it: 0.3 apart merges under a view cut of 0.4, not under 0.2.
  const near3 = new Map([[1, Float32Array.of(1, 0)], [2, Float32Array.of(0.7, Math.sqrt(1 - 0.49))]]);
  const pair = [boy, track(2, 1, [0], emb(deep(1), [0, 1, 2, 3]))];
  assert.equal(buildDictionary(pair, { cut: SAME_CHARACTER, also: { vectors: near3, cut: 0.4 } }).k, 1);
  assert.equal(buildDictionary(pair, { cut: SAME_CHARACTER, also: { vectors: near3, cut: 0.2 } }).k, 2);
  assert.equal(buildDictionary(pair, { cut: SAME_CHARACTER, also: near3 }).k, 2, 'no cut of its own: the dictionary\'s');
  const girls = [girl, girlAgain];
  assert.equal(buildDictionary(girls, { cut: SAME_CHARACTER, also: [colourView(girls), new Map([[2, Float32Array.of(1, 0)], [3, Float32Array.of(0, 1)]])] }).k, 2, 'the second view splits her');
});

test('trainHead refuses an empty triplet set', async () => {
  await assert.rejects(() => trainHead({ items: [], track: [], triplets: new Int32Array(0) }));
});

test('full chain on a small synthetic clip: tracking, refinement, dictionary', async () => {
  const clip = synthClip({ width: 256, height: 144, shots: 6, shotFrames: [18, 24], identities: 4, perShot: [2, 3], seed: 21 });
  const r = await evaluateCast(clip, { step: 3, embed: { size: 96 }, head: { epochs: 8 } });
  assert.ok(r.tracking.mota > 0.8, `MOTA ${r.tracking.mota}`);
  assert.ok(r.tracking.idf1 > 0.8, `IDF1 ${r.tracking.idf1}`);
  // No track spans two shots.
  for (const t of r.trackList) {
    const s = clip.shots[t.shot];
    assert.ok(t.detections.every((d) => d.frame >= s.start && d.frame <= s.end));
  }
  assert.ok(r.vanilla.purity > 0.7, JSON.stringify(r.vanilla));
  // Refinement must not make the dictionary clearly worse.
  assert.ok(r.refined.nmi >= r.vanilla.nmi - 0.1, `NMI vanilla ${r.vanilla.nmi} refined ${r.refined.nmi}`);
  assert.ok(r.refinedDictionary.k >= 2);
});
