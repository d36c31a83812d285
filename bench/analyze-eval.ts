// Evaluation of the CAST core (tracking, refinement, dictionary) on truth
// sets: the synthetic cartoon cast (always) and Ren'Py sprites over the games'
// backgrounds (when Debian's renpy-demo / renpy-thequestion are installed).
// Prints tracking MOTA/IDF1 and vanilla vs refined purity/NMI/ARI, and writes
// each dictionary's collages (PNG) to --out.
//   node dist/bench/analyze-eval.js [--set synth|renpy|all] [--out DIR] [--size 224] [--seed N] [--masks on|off] [--cross 0.3]
//     [--cache DIR] (embeddings + tracks are cached there: scoring variants re-run in seconds)
// --masks off gives the detections boxes only, so every crop carries the set
// behind the character (as with a box detector or a poor segmenter).
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthClip } from '../src/dictionary/synth.js';
import { renpyClip } from '../src/dictionary/renpy.js';
import { trackTruthVideo, scoreCast, type CastEvaluation, type TruthVideo, type TrackedTruth } from '../src/dictionary/evaluate.js';
import { collageMembers, writeCollage, type Dictionary } from '../src/dictionary/index.js';
import { cropBox } from '../src/embed/crop.js';
import { RENPY_ROOT } from '../src/characters/truth.js';
import { existsSync } from 'node:fs';
import type { Track } from '../src/core/types.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

async function collages(video: TruthVideo, dict: Dictionary, tracks: Track[], dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const ch of dict.characters) {
    const members = collageMembers(ch, tracks, 12);
    const crops = [];
    for (const d of members) crops.push(cropBox((await video.render(d.frame)).image, d.box).image);
    await writeCollage(join(dir, `character-${ch.id}.png`), crops, { cell: 80 });
  }
}

/** Cache of the slow stage (embedding + tracking) so scoring variants re-run in seconds. Masks are dropped. */
function saveTracked(path: string, tt: TrackedTruth, key: object): void {
  const enc = (v?: Float32Array) => (v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : undefined);
  writeFileSync(path, JSON.stringify({
    key, frames: tt.frames, detections: tt.detections, embedSecondsPerCrop: tt.embedSecondsPerCrop,
    truth: tt.truth.map(({ mask: _m, ...t }) => t),
    tracks: tt.tracks.map((t) => ({ ...t, detections: t.detections.map(({ mask: _m, ...d }) => ({ ...d, embedding: enc(d.embedding) })) })),
  }));
}

function loadTracked(path: string, key: object): TrackedTruth | undefined {
  if (!existsSync(path)) return undefined;
  const j = JSON.parse(readFileSync(path, 'utf8'));
  if (JSON.stringify(j.key) !== JSON.stringify(key)) return undefined;
  const dec = (s?: string) => { if (!s) return undefined; const b = Buffer.from(s, 'base64'); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
  const empty = { width: 0, height: 0, channels: 1 as const, data: new Uint8Array(0) };
  return {
    frames: j.frames, detections: j.detections, embedSecondsPerCrop: j.embedSecondsPerCrop,
    truth: j.truth.map((t: object) => ({ ...t, mask: empty })),
    tracks: j.tracks.map((t: Track) => ({ ...t, detections: t.detections.map((d) => ({ ...d, embedding: dec(d.embedding as unknown as string) })) })),
  };
}

function row(name: string, r: CastEvaluation) {
  const f = (x: number) => +x.toFixed(3);
  return [
    { set: name, embedding: 'vanilla', k: r.vanilla.clusters, identities: r.vanilla.identities, purity: f(r.vanilla.purity), NMI: f(r.vanilla.nmi), ARI: f(r.vanilla.ari), silhouette: f(r.vanilla.silhouette) },
    { set: name, embedding: 'refined', k: r.refined.clusters, identities: r.refined.identities, purity: f(r.refined.purity), NMI: f(r.refined.nmi), ARI: f(r.refined.ari), silhouette: f(r.refined.silhouette) },
  ];
}

async function main() {
  const masks = arg('masks', 'on') !== 'off';
  const set = arg('set', 'all'), out = arg('out', 'tmp/cast-eval'), size = Number(arg('size', '224')), seed = Number(arg('seed', '1'));
  const sets: Array<[string, () => Promise<TruthVideo>]> = [];
  if (set === 'synth' || set === 'all') sets.push(['synthetic', async () => synthClip({ width: 480, height: 270, shots: 30, identities: 8, perShot: [2, 3], seed: 100 + seed })]);
  if ((set === 'renpy' || set === 'all') && existsSync(RENPY_ROOT)) sets.push(['renpy', () => renpyClip({ shots: 24, seed })]);
  const cluster: object[] = [], tracking: object[] = [], timing: object[] = [];
  for (const [base, make] of sets) {
    const name = masks ? base : `${base}-boxes`;
    const video = await make();
    process.stderr.write(`${name}: ${video.frames} frames, ${video.shots.length} shots\n`);
    let last = -1;
    const opts = {
      step: 2, embed: { size }, noise: { masks }, triplets: { seed, crossPositives: Number(arg('cross', '0')) }, head: { seed, epochs: 20 },
      onProgress: (stage: string, d: number, t: number) => { const p = Math.floor((d / t) * 10); if (p !== last) { last = p; process.stderr.write(`  ${stage} ${d}/${t}\n`); } },
    };
    mkdirSync(join(out, name), { recursive: true });
    mkdirSync(arg('cache', 'tmp/cast-eval/cache'), { recursive: true });
    const cache = join(arg('cache', 'tmp/cast-eval/cache'), `${name}-${seed}-${size}.json`), key = { name, seed, size, masks, step: opts.step, frames: video.frames };
    let tt = loadTracked(cache, key);
    if (tt) process.stderr.write(`  embeddings and tracks from ${cache}\n`);
    else { tt = await trackTruthVideo(video, opts); saveTracked(cache, tt, key); }
    const r = await scoreCast(tt, opts);
    cluster.push(...row(name, r));
    const m = r.tracking;
    tracking.push({ set: name, frames: r.frames, detections: r.detections, tracks: r.tracks, MOTA: +m.mota.toFixed(3), IDF1: +m.idf1.toFixed(3), misses: m.misses, FP: m.falsePositives, switches: m.switches });
    timing.push({ set: name, 'embed s/crop': +r.timings.embedSecondsPerCrop.toFixed(3), 'train s/epoch': +r.timings.trainSecondsPerEpoch.toFixed(2), triplets: r.timings.triplets, 'cluster s': +r.timings.clusterSeconds.toFixed(2) });
    await collages(video, r.vanillaDictionary, r.trackList, join(out, name, 'vanilla'));
    const refinedTracks = r.trackList; // same boxes; the refined dictionary refers to the same track ids
    await collages(video, r.refinedDictionary, refinedTracks, join(out, name, 'refined'));
    writeFileSync(join(out, name, 'scores.json'), JSON.stringify({ tracking: m, vanilla: r.vanilla, refined: r.refined, timings: r.timings, curveVanilla: r.vanillaDictionary.curve, curveRefined: r.refinedDictionary.curve }, null, 2));
  }
  if (!existsSync(RENPY_ROOT) && set !== 'synth') console.log(`(Ren'Py art not installed at ${RENPY_ROOT}: apt-get install renpy-demo renpy-thequestion)`);
  console.log('\n# Tracking (truth boxes made noisy as detections, every 2nd frame)');
  console.table(tracking);
  console.log('\n# Character dictionary: vanilla vs refined embeddings (detections labelled by their track\'s cluster)');
  console.table(cluster);
  console.log('\n# Timings');
  console.table(timing);
  console.log(`collages: ${out}/<set>/{vanilla,refined}/character-*.png`);
}

main().catch((e) => { console.error(`analyze-eval failed: ${e.stack ?? e}`); process.exitCode = 1; });
