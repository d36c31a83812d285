// `npm run bench`: speed of every capability on 2 CPU cores. Shot detection
// runs on a 720p clip next to plain ffmpeg decoding of the same clip (same
// run, so machine load affects both), plus peak memory. Capability benches
// (bench/<name>.ts exporting bench<Name>()) are picked up when present.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { detectShots } from '../src/shots/detect.js';
import { probe } from '../src/core/video.js';
import { tool } from '../src/core/ffmpeg.js';
import { makeSample } from '../src/sample/synth.js';
import { makeCastTruth } from '../src/analyze/truth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { Workspace } from '../src/core/workspace.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, '..', '..', '..', 'shared', 'data');

function peakChildKb(res: ReturnType<typeof spawnSync>): number {
  // GNU time prints "%M" (max RSS KB) on the last stderr line.
  const m = /(\d+)\s*$/.exec(String(res.stderr).trim());
  return m ? Number(m[1]) : NaN;
}

/** Plain decode of the whole clip by ffmpeg (no scaling, no output): the floor any analysis pays. */
function plainDecode(path: string): { seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(tool('ffmpeg'), ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'null', '-'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${path}`);
  return { seconds: (performance.now() - t0) / 1000 };
}

/**
 * CPU seconds of [this process, its finished children] (Linux /proc), or NaN.
 * Unlike wall time this barely depends on what else the machine runs, so the
 * CPU ratio is the steadier figure on a shared machine.
 */
function cpuSeconds(): [number, number] {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number);
    return [(f[11] + f[12]) / 100, (f[13] + f[14]) / 100];
  } catch {
    return [NaN, NaN];
  }
}

/** Rounds of (plain decode, shot detection) per clip: the machine is shared, so report the best and the median. */
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function benchShots(path: string) {
  const info = probe(path);
  const fps: number[] = [];
  const plainFps: number[] = [];
  const ratio: number[] = [];
  const cpuRatio: number[] = [];
  const cpu: [number, number, number][] = [];
  const seqFps: number[] = [];
  let frames = 0;
  let shots = 0;
  for (let k = 0; k < ROUNDS; k++) {
    const c0 = cpuSeconds();
    const plain = plainDecode(path);
    const c1 = cpuSeconds();
    const t0 = performance.now();
    const r = await detectShots(path);
    const seconds = (performance.now() - t0) / 1000;
    const c2 = cpuSeconds();
    const plainCpu = c1[1] - c0[1];
    cpu.push([plainCpu, c2[0] - c1[0], c2[1] - c1[1]]);
    cpuRatio.push(plainCpu / (c2[0] - c1[0] + c2[1] - c1[1]));
    frames = r.frames;
    shots = r.shots.length;
    fps.push(frames / seconds);
    plainFps.push(frames / plain.seconds);
    ratio.push(fps[k] / plainFps[k]);
    // The same job with one (frame-threaded) decoder instead of keyframe segments in parallel.
    const t1 = performance.now();
    await detectShots(path, { workers: 1 });
    seqFps.push(frames / ((performance.now() - t1) / 1000));
  }
  const best = Math.max(...fps);
  return {
    clip: basename(path),
    size: `${info.width}x${info.height}`,
    frames,
    'video fps': +info.fps.toFixed(3),
    'shots fps best/median': `${best.toFixed(0)} / ${median(fps).toFixed(0)}`,
    'plain decode fps best/median': `${Math.max(...plainFps).toFixed(0)} / ${median(plainFps).toFixed(0)}`,
    'shots / decode (same round) best/median': `${Math.max(...ratio).toFixed(2)} / ${median(ratio).toFixed(2)}`,
    'x real time best/median': `${(best / info.fps).toFixed(1)} / ${(median(fps) / info.fps).toFixed(1)}`,
    'one decoder: shots fps best/median': `${Math.max(...seqFps).toFixed(0)} / ${median(seqFps).toFixed(0)}`,
    'CPU plain / shots median': +median(cpuRatio).toFixed(2),
    'CPU s plain | shots Node + ffmpeg (median round)': (([p, n, f]) => `${p.toFixed(2)} | ${n.toFixed(2)} + ${f.toFixed(2)}`)(cpu[cpuRatio.indexOf(median(cpuRatio))]),
    shots,
  };
}

/** Wall time of `analyze` (default settings) on a 720p clip with known characters, per minute of video. */
async function benchAnalyzePipeline(tmp: string) {
  const renpy = existsSync('/usr/share/games/renpy');
  process.stderr.write(`bench: rendering a 720p ${renpy ? "Ren'Py" : 'synthetic'} cast clip\n`);
  const truth = await makeCastTruth(join(tmp, 'cast'), { source: renpy ? 'renpy' : 'synthetic', shots: 36, seed: 5 });
  const ws = Workspace.open(join(tmp, 'cast-ws'));
  const t0 = performance.now();
  const v = await analyzeVideo(ws, join(tmp, 'cast', 'cast.mp4'));
  const t1 = performance.now();
  const series = await analyzeSeries(ws);
  const t2 = performance.now();
  ws.close();
  const minutes = truth.frames / truth.fps / 60;
  const wall = (t2 - t0) / 1000;
  return {
    clip: `${renpy ? 'renpy' : 'synthetic'} ${truth.width}x${truth.height}, ${(minutes * 60).toFixed(1)} s, ${truth.cuts.length + 1} shots`,
    'analyze s': +wall.toFixed(1),
    's per minute of video': +(wall / minutes).toFixed(1),
    'x real time': +(wall / (minutes * 60)).toFixed(2),
    ...Object.fromEntries(Object.entries(v.seconds).map(([k, x]) => [k === 'keyframes' ? 'keyframes (count)' : `${k} s`, x])),
    'series s (refine + cluster + collages)': +((t2 - t1) / 1000).toFixed(1),
    'appearances (count)': v.appearances,
    'tracks (count)': v.tracks,
    'dictionary entries': series.characters.length,
  };
}

async function main(tmp: string) {
  // `npm run bench -- PART` runs one part only: shots, or one capability bench.
  const only = process.argv[2];
  const parts = [['interpolate', 'benchInterpolate'], ['characters', 'benchCharacters'], ['analyze', 'benchAnalyze'], ['queue', 'benchQueue']] as const;
  if (only && only !== 'shots' && !parts.some(([p]) => p === only)) {
    throw new Error(`unknown bench part "${only}" (known: shots, ${parts.map(([p]) => p).join(', ')})`);
  }
  if (only && only !== 'shots') return capabilities(parts.filter(([p]) => p === only));
  const results: Record<string, unknown>[] = [];
  const clips: string[] = [];
  const real = join(shared, '..', 'data', 'scenedetect', 'testvideo.mp4');
  if (existsSync(real)) {
    clips.push(real);
    // Episode-shaped: two minutes with x264's default GOPs (keyframes every few seconds), as episodes are encoded.
    // Made in the temp folder from the real clip and deleted with it; nothing is kept.
    const long = join(tmp, 'testvideo-x5.mp4');
    process.stderr.write('bench: re-encoding testvideo.mp4 five times over (2 min, x264 defaults)\n');
    spawnSync(tool('ffmpeg'), ['-v', 'error', '-nostdin', '-stream_loop', '4', '-i', real, '-an', '-c:v', 'libx264', '-crf', '20', long], { stdio: 'ignore' });
    if (existsSync(long)) clips.push(long);
  }
  const synth = join(tmp, 'synthetic-720p.mp4');
  makeSample(synth, { width: 1280, height: 720 });
  clips.push(synth);
  process.stderr.write(`bench: shot detection on ${clips.map((c) => basename(c)).join(', ')}\n`);
  for (const c of clips) results.push(await benchShots(c));
  console.log('\n# Shot detection (720p, this machine, 2 cores)');
  console.table(results);
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`peak memory (Node process, max RSS): ${rss.toFixed(0)} MB`);
  // ffmpeg's own memory, for the record: one shots-style decode of the first clip under GNU time, if available.
  const gtime = spawnSync('/usr/bin/time', ['-f', '%M', tool('ffmpeg'), '-v', 'error', '-nostdin', '-skip_loop_filter', 'all', '-i', clips[0], '-vf', 'scale=128:72:flags=area', '-f', 'null', '-'], { encoding: 'utf8' });
  if (gtime.status === 0) console.log(`peak memory (ffmpeg decoder child, max RSS): ${(peakChildKb(gtime) / 1024).toFixed(0)} MB`);
  if (only === 'shots') return;
  console.log('\n# analyze (shots + characters + embeddings + tracks + refinement + dictionary), default settings');
  const rssBefore = process.resourceUsage().maxRSS / 1024;
  const a = await benchAnalyzePipeline(tmp);
  for (const [k, v] of Object.entries(a)) console.log(`${k.padEnd(40)} ${v}`);
  const rssAfter = process.resourceUsage().maxRSS / 1024;
  console.log(`peak memory (Node process, max RSS, after analyze): ${rssAfter.toFixed(0)} MB${rssAfter > rssBefore ? '' : ' (not above the shots peak)'}`);


  await capabilities(parts);
}

/** Capability benches, when their modules exist. */
async function capabilities(list: readonly (readonly [string, string])[]) {
  for (const [name, fn] of list) {
    const p = join(here, `${name}.js`);
    if (!existsSync(p)) continue;
    const mod = await import(pathToFileURL(p).href);
    if (typeof mod[fn] !== 'function') continue;
    console.log(`\n# ${name}`);
    console.table([await mod[fn]()]);
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
