// Speed of the CAST core on this machine: embedding seconds per crop (224 and
// 160 px inputs), tracking, one training epoch of the projection head on 10k
// triplets, and clustering 1000 tracks. `benchAnalyze()` is picked up by
// bench/run.ts when listed there; `node dist/bench/analyze.js` runs it alone.
import { fileURLToPath } from 'node:url';
import { synthClip, noisyDetections } from '../src/dictionary/synth.js';
import { cropBox, embedCrops, normalize } from '../src/embed/index.js';
import { loadBackbone } from '../src/embed/backend.js';
import { trackShot } from '../src/tracking/index.js';
import { trainHead, agglomerate, rng } from '../src/dictionary/index.js';
import { gauss } from '../src/core/random.js';
import type { Detection, Image } from '../src/core/types.js';

export async function benchAnalyze(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let t = performance.now();
  await loadBackbone();
  out['model load s'] = +((performance.now() - t) / 1000).toFixed(2);
  // 32 character crops from a 720p synthetic clip.
  const clip = synthClip({ width: 1280, height: 720, shots: 4, perShot: [2, 3], seed: 9 });
  const crops: Image[] = [];
  for (let f = 0; crops.length < 32 && f < clip.frames; f += 5) {
    const { image, truth } = clip.render(f);
    for (const tb of truth) crops.push(cropBox(image, tb.box, tb.mask).image);
  }
  for (const size of [224, 160]) {
    await embedCrops(crops.slice(0, 2), { size });
    t = performance.now();
    await embedCrops(crops, { size, batch: 16 });
    out[`embed s/crop @${size}`] = +((performance.now() - t) / 1000 / crops.length).toFixed(3);
  }
  // Tracking: a 40-shot clip's noisy detections with random unit embeddings per identity.
  const big = synthClip({ width: 640, height: 360, shots: 40, perShot: [2, 3], seed: 4 });
  const r = rng(1);
  const idVec = Array.from({ length: 8 }, () => normalize(Float32Array.from({ length: 1332 }, () => gauss(r))));
  let dets = 0, trackMs = 0;
  for (const s of big.shots) {
    const frames: Detection[][] = [];
    for (let f = s.start; f <= s.end; f += 2) {
      const { truth } = big.render(f);
      const ds = noisyDetections(truth, { seed: f });
      ds.forEach((d) => { const id = truth.find((x) => Math.abs(x.box[0] - d.box[0]) < 20)?.identity ?? 0; d.embedding = idVec[id]; });
      frames.push(ds);
      dets += ds.length;
    }
    const t1 = performance.now();
    trackShot(frames);
    trackMs += performance.now() - t1;
  }
  out['track ms/1000 det'] = +((trackMs / dets) * 1000).toFixed(0);
  // Head training: 10k triplets over 2000 items of 1332 dims (the combined vector size).
  const items = Array.from({ length: 2000 }, () => normalize(Float32Array.from({ length: 1332 }, () => gauss(r))));
  const triplets = Int32Array.from({ length: 30000 }, () => Math.floor(r() * 2000));
  const trained = await trainHead({ items, track: [], triplets }, { epochs: 2 });
  out['train s/epoch (10k triplets)'] = +trained.report.secondsPerEpoch.toFixed(2);
  t = performance.now();
  await trained.head.project(items);
  out['project ms/1000'] = +((performance.now() - t) / 2).toFixed(0);
  // Clustering 1000 track vectors.
  const vs = Array.from({ length: 1000 }, (_, i) => normalize(Float32Array.from(idVec[i % 8].subarray(0, 128), (x) => x + gauss(r) * 0.05)));
  t = performance.now();
  agglomerate(vs);
  out['cluster 1000 tracks s'] = +((performance.now() - t) / 1000).toFixed(2);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchAnalyze().then((r) => { console.log('\n# CAST core (2 cores)'); console.table([r]); }).catch((e) => { console.error(`bench failed: ${e.message ?? e}`); process.exitCode = 1; });
}
