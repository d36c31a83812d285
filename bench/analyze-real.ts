// Sanity check of the CAST core on the real clips in ../shared/data/anime
// (copyrighted, never shipped; no identity truth). Characters come from the
// characters capability's default chain; every 3rd frame is embedded, tracked
// per shot (cuts from the clips' truth files), and all clips are clustered
// together as a "series". Without identity truth the check is: clusters
// should not mix clips from different shows (purity / NMI against the clip),
// and crops of one track should be closer than crops of different clips.
//   node dist/bench/analyze-real.js [--step 3] [--width 640] [--out tmp/cast-real]
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '../src/core/video.js';
import { parseChain } from '../src/characters/backends.js';
import { detectCharacters } from '../src/characters/pipeline.js';
import { embedDetections, cropBox, cosine } from '../src/embed/index.js';
import { trackShot } from '../src/tracking/index.js';
import { buildDictionary, refineTracks, clusterScores, collageMembers, writeCollage } from '../src/dictionary/index.js';
import type { Detection, Image, Track } from '../src/core/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, '..', '..', '..', 'shared', 'data', 'anime');
const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : d; };

async function main() {
  if (!existsSync(data)) { console.log(`no evaluation clips at ${data}`); return; }
  const step = Number(arg('step', '3')), out = arg('out', 'tmp/cast-real');
  mkdirSync(out, { recursive: true });
  const clips = ['onepiece_demo', 'konobi_s01e007__000282', 'konobi_s01e012__000339', 'sakura_quest_s01e003__000082'];
  const chain = parseChain();
  const tracks: Track[] = [];
  const frames = new Map<string, Image>();
  const rows: object[] = [];
  let nextId = 1;
  for (let c = 0; c < clips.length; c++) {
    const name = clips[c];
    const truth = JSON.parse(readFileSync(join(data, `${name}.truth.json`), 'utf8'));
    const cuts: number[] = (truth.cuts ?? []).map(Number);
    const filter = /side by side|three panels/.test(truth.layout ?? '') ? 'crop=iw/3:ih:0:0' : undefined;
    const byShot = new Map<number, Detection[][]>();
    let n = 0, t0 = performance.now(), embedMs = 0;
    for await (const f of decode(join(data, `${name}.mp4`), { width: Number(arg('width', '640')), filter })) {
      if (f.index % step) continue;
      const chars = await detectCharacters(f, chain, f.index);
      const dets = chars.map((ch) => ch.body ?? ch.face!).filter(Boolean).map((d) => ({ ...d, frame: f.index, score: Math.max(d.score, 0.6) }));
      const e0 = performance.now();
      await embedDetections(f, dets);
      embedMs += performance.now() - e0;
      n += dets.length;
      const shot = cuts.filter((x) => x <= f.index).length;
      if (!byShot.has(shot)) byShot.set(shot, []);
      byShot.get(shot)!.push(dets);
      frames.set(`${c}:${f.index}`, { width: f.width, height: f.height, channels: 3, data: f.data });
    }
    const mine: Track[] = [];
    for (const [shot, perFrame] of byShot) {
      const ts = trackShot(perFrame, { shot: c * 1000 + shot, firstId: nextId });
      for (const t of ts) nextId = Math.max(nextId, t.id + 1);
      mine.push(...ts);
    }
    tracks.push(...mine);
    const within: number[] = [];
    for (const t of mine) for (let i = 1; i < t.detections.length; i++) within.push(cosine(t.detections[i - 1].embedding!, t.detections[i].embedding!));
    rows.push({ clip: name, 'frames used': [...byShot.values()].reduce((s, x) => s + x.length, 0), detections: n, tracks: mine.length,
      'cos within track (consecutive)': within.length ? +(within.reduce((a, b) => a + b, 0) / within.length).toFixed(3) : NaN,
      'embed s/crop': n ? +(embedMs / 1000 / n).toFixed(3) : NaN, 'total s': +((performance.now() - t0) / 1000).toFixed(1) });
  }
  for (const d of chain) await d.dispose?.();
  // Cosine between clips: mean over pairs of track means from different clips.
  const clipOf = (t: Track) => Math.floor(t.shot / 1000);
  const labelClip = tracks.flatMap((t) => t.detections.map(() => clipOf(t)));
  const scope = (t: Track) => clipOf(t);
  const vanilla = buildDictionary(tracks, { scope });
  const res: object[] = [];
  const score = (name: string, dict: typeof vanilla, ts: Track[]) => {
    const pred = ts.flatMap((t) => t.detections.map(() => dict.trackCharacter.get(t.id) ?? -1));
    const s = clusterScores(pred, labelClip);
    res.push({ embedding: name, k: dict.k, 'purity vs clip': +s.purity.toFixed(3), 'NMI vs clip': +s.nmi.toFixed(3), silhouette: +dict.silhouette.toFixed(3) });
  };
  score('vanilla', vanilla, tracks);
  let refined: Awaited<ReturnType<typeof refineTracks>> | undefined;
  try {
    refined = await refineTracks(tracks, { triplets: { scope }, head: { epochs: 20 } });
    score('refined', buildDictionary(refined.tracks, { scope }), refined.tracks);
  } catch (e) {
    res.push({ embedding: 'refined', note: `not trained: ${(e as Error).message}` });
  }
  for (const ch of vanilla.characters.slice(0, 12)) {
    const crops = collageMembers(ch, tracks, 12).map((d) => {
      const t = tracks.find((x) => x.detections.includes(d)) ?? tracks.find((x) => x.id === d.track)!;
      return cropBox(frames.get(`${clipOf(t)}:${d.frame}`)!, d.box).image;
    });
    await writeCollage(join(out, `vanilla-character-${ch.id}.png`), crops, { cell: 80 });
  }
  console.log('\n# Real clips (no identity truth): detections, tracks, embedding');
  console.table(rows);
  console.log('\n# All clips clustered together: do clusters stay within one show?');
  console.table(res);
  if (refined) console.log(`refinement: ${refined.report.triplets} triplets from ${refined.report.usableTracks} tracks, ${refined.report.secondsPerEpoch.toFixed(2)} s/epoch`);
  console.log(`collages: ${out}/vanilla-character-*.png (${basename(out)})`);
}

main().catch((e) => { console.error(`analyze-real failed: ${e.stack ?? e}`); process.exitCode = 1; });
