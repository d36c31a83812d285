// `npm run bench`: speed of every capability on 2 CPU cores. Shot detection
// runs side by side with PySceneDetect (bench/shots.ts). Capability benches
// (bench/<name>.ts exporting bench<Name>()) are picked up when present.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchShots } from './shots.js';
import { makeCastTruth } from '../src/analyze/truth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { Workspace } from '../src/core/workspace.js';
import { probe } from '../src/core/video.js';
import { backboneRuntime } from '../src/embed/backend.js';
import { errorText } from '../src/core/opencv.js';
import { cutThreadCuts, cutThreadFailure, cutThreadState, cutThreadWanted } from '../src/characters/cut.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Wall time of `analyze` (default settings) on a 720p clip with known characters, per minute of video. */
async function benchAnalyzePipeline(tmp: string) {
  const renpy = existsSync('/usr/share/games/renpy');
  process.stderr.write(`bench: rendering a 720p ${renpy ? "Ren'Py" : 'synthetic'} cast clip\n`);
  const truth = await makeCastTruth(join(tmp, 'cast'), { source: renpy ? 'renpy' : 'synthetic', shots: 36, seed: 5 });
  const ws = Workspace.open(join(tmp, 'cast-ws'));
  // CPU seconds of this process (every thread: the GrabCut helper too; ffmpeg runs in child processes and is not
  // counted): on a shared machine the wall time depends on the load, the CPU time much less.
  const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await analyzeVideo(ws, join(tmp, 'cast', 'cast.mp4'));
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const series = await analyzeSeries(ws);
  const t2 = performance.now();
  const c2 = process.cpuUsage(c0);
  ws.close();
  const minutes = truth.frames / truth.fps / 60;
  const wall = (t2 - t0) / 1000;
  const cpu = process.cpuUsage();
  return {
    clip: `${renpy ? 'renpy' : 'synthetic'} ${truth.width}x${truth.height}, ${(minutes * 60).toFixed(1)} s, ${truth.cuts.length + 1} shots`,
    'analyze s': +wall.toFixed(1),
    's per minute of video': +(wall / minutes).toFixed(1),
    'x real time': +(wall / (minutes * 60)).toFixed(2),
    ...Object.fromEntries(Object.entries(v.seconds).map(([k, x]) => [k === 'keyframes' ? 'keyframes (count)' : `${k} s`, x])),
    'series s (learned pass + refine + cluster + collages)': +((t2 - t1) / 1000).toFixed(1),
    'learned pass s': +(series.learned?.seconds ?? 0).toFixed(1),
    'analyze cpu s (this process, all threads)': +cpuSeconds(c2).toFixed(1),
    backbone: await backboneRuntime(),
    'GrabCut helper thread': { on: `on (${cutThreadCuts()} cuts so far)`, failed: `failed: ${cutThreadFailure()}`, off: `off (${cutThreadWanted() ? 'never needed' : 'TOONSCOPE_CUT_THREAD off or one core'})` }[cutThreadState()],
    'per-video stages cpu s': +cpuSeconds(c1).toFixed(1),
    'series stages cpu s': +(cpuSeconds(c2) - cpuSeconds(c1)).toFixed(1),
    'cpu s (user + system, whole process so far)': +((cpu.user + cpu.system) / 1e6).toFixed(1),
    'appearances (count)': v.appearances,
    'tracks (count)': v.tracks,
    'dictionary entries': series.characters.length,
  };
}

async function main(tmp: string) {
  // Named real clips are checked before anything runs: a wrong path fails at once.
  const videos = realVideos();
  // `npm run bench -- PART` runs one part only: shots, or one capability bench.
  const only = process.argv[2];
  // interpolate-video is the last step of interpolate alone, so the full run skips it.
  const parts = [['interpolate', 'benchInterpolate'], ['interpolate-video', 'benchInterpolateVideo'], ['characters', 'benchCharacters'], ['analyze', 'benchAnalyze'], ['comics', 'benchComics'], ['queue', 'benchQueue']] as const;
  if (only && only !== 'shots' && only !== 'pipeline' && !parts.some(([p]) => p === only)) {
    throw new Error(`unknown bench part "${only}" (known: shots, pipeline, ${parts.map(([p]) => p).join(', ')})`);
  }
  if (only === 'pipeline') return pipeline(tmp, videos);
  if (only && only !== 'shots') return capabilities(parts.filter(([p]) => p === only));
  // Shot detection side by side with PySceneDetect (bench/shots.ts); `npm run bench -- shots FILTER` picks clips by name.
  await benchShots(tmp, only === 'shots' ? process.argv[3] : undefined);
  if (only === 'shots') return;
  await pipeline(tmp, videos);
  await capabilities(parts.filter(([p]) => p !== 'interpolate-video'));
}

/**
 * Real clips to time `analyze` on (TOONSCOPE_BENCH_VIDEOS: video files and folders of them, separated by ':'). Real
 * episodes have close-ups and crowds the Ren'Py clip has not; they never ship, so none are timed unless named.
 * Checked before anything runs: a wrong path fails at once, in one line.
 */
function realVideos(): string[] {
  const named = process.env.TOONSCOPE_BENCH_VIDEOS?.split(':').filter(Boolean) ?? [];
  return named.flatMap((p) => {
    if (!existsSync(p)) throw new Error(`TOONSCOPE_BENCH_VIDEOS: ${p}: no such file or folder`);
    if (!statSync(p).isDirectory()) return [p];
    const found = readdirSync(p).filter((f) => /\.(mp4|mkv|webm|mov)$/i.test(f)).sort().map((f) => join(p, f));
    if (!found.length) throw new Error(`TOONSCOPE_BENCH_VIDEOS: ${p}: no video files in this folder`);
    return found;
  });
}

/** `analyze` on each real clip, one workspace each (removed after it), default settings; a clip that fails says why in its row. */
async function benchAnalyzeReal(tmp: string, videos: string[]) {
  const rows: object[] = [];
  for (const [k, path] of videos.entries()) {
    process.stderr.write(`bench: analyze ${basename(path)} (${k + 1}/${videos.length})\n`);
    const dir = join(tmp, `real-${k}`);
    let ws: Workspace | undefined;
    try {
      ws = Workspace.open(dir);
      const info = probe(path);
      const t0 = performance.now();
      const v = await analyzeVideo(ws, path);
      const series = await analyzeSeries(ws);
      const wall = (performance.now() - t0) / 1000;
      rows.push({
        clip: basename(path),
        size: `${info.width}x${info.height}`,
        's of video': +info.duration.toFixed(1),
        'analyze s': +wall.toFixed(1),
        'x real time': +(wall / info.duration).toFixed(2),
        'learned pass s': +(series.learned?.seconds ?? 0).toFixed(1),
        appearances: v.appearances,
      });
    } catch (e) {
      // opencv-js throws bare numbers: `errorText` reads them.
      rows.push({ clip: basename(path), failed: errorText(e).split('\n')[0] });
    } finally {
      ws?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** `analyze` end to end (`npm run bench -- pipeline` runs it alone). */
async function pipeline(tmp: string, videos: string[]) {
  console.log('\n# analyze (shots + characters + embeddings + tracks + learned pass + refinement + dictionary), default settings');
  const rssBefore = process.resourceUsage().maxRSS / 1024;
  const a = await benchAnalyzePipeline(tmp);
  for (const [k, v] of Object.entries(a)) console.log(`${k.padEnd(40)} ${v}`);
  const rssAfter = process.resourceUsage().maxRSS / 1024;
  console.log(`peak memory (Node process, max RSS, after analyze): ${rssAfter.toFixed(0)} MB${rssAfter > rssBefore ? '' : ' (not above the earlier peak)'}`);
  if (!videos.length) return console.log('(no real clips: TOONSCOPE_BENCH_VIDEOS=FILE_OR_FOLDER[:...] times analyze on real footage too)');
  console.log('\n# analyze on real footage, one workspace per clip, default settings');
  console.table(await benchAnalyzeReal(tmp, videos));
  console.log(`peak memory (Node process, max RSS, after all): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

/** Capability benches, when their modules exist. */
async function capabilities(list: readonly (readonly [string, string])[]) {
  for (const [name, fn] of list) {
    const p = join(here, `${name}.js`);
    if (!existsSync(p)) continue;
    const mod = await import(pathToFileURL(p).href);
    if (typeof mod[fn] !== 'function') continue;
    console.log(`\n# ${name}`);
    // One row, or a table of rows (comics: one per page).
    const res = await mod[fn]();
    console.table(Array.isArray(res) ? res : [res]);
  }
}

async function run() {
  const tmp = mkdtempSync(join(tmpdir(), 'toonscope-bench-'));
  try {
    await main(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

run().catch((e) => {
  console.error(`bench failed: ${e.message ?? e}`);
  process.exitCode = 1;
});
