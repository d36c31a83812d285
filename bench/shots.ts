// `npm run bench -- shots [FILTER]`: `toonscope shots` as a user runs it (the
// CLI, default outputs: lists and contact sheet, fresh workspace) side by side
// with PySceneDetect `detect-adaptive list-scenes`, in alternating rounds on
// the same clips (toonscope, peer, toonscope, peer...), so machine load hits
// both alike. Prints best and median fps per side and their ratio, the
// start-up of both (`--help`, a 10-frame clip) and the load (`uptime`).
//
// Clips: ../shared/data (scenedetect/*.mp4, anime/*.mp4) plus 2-minute 720p
// and 1080p clips looped from testvideo.mp4, made once into
// $TMPDIR/toonscope-bench-clips (never into the repo). Without ../shared, a
// synthetic 720p clip looped to 2 minutes. Without the peer, toonscope alone.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { probe } from '../src/core/video.js';
import { tool } from '../src/core/ffmpeg.js';
import { makeSample } from '../src/sample/synth.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const cli = join(here, '..', 'src', 'cli', 'main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** ../shared next to the checkout (or next to the main checkout, for a worktree under ../wt), or $TOONSCOPE_SHARED. */
export function sharedDir(): string | undefined {
  // When set, the variable alone decides (TOONSCOPE_SHARED=none: bench as a clean clone without ../shared would).
  const env = process.env.TOONSCOPE_SHARED;
  const c = env !== undefined ? [env] : [join(repo, '..', 'shared'), join(repo, '..', '..', 'shared')];
  return c.find((d) => existsSync(join(d, 'data')));
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (xs: number[], d = 0) => `${Math.max(...xs).toFixed(d)} / ${median(xs).toFixed(d)}`;
export const load = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim().replace(/^.*load/, 'load');

interface Peer {
  run(args: string[]): { seconds: number; ok: boolean };
}

/** PySceneDetect from ../shared/peers on Debian's python3 (its README), if it imports. */
function peer(shared: string | undefined): Peer | string {
  const src = shared && join(shared, 'peers', 'PySceneDetect');
  if (!src || !existsSync(src)) return 'PySceneDetect not found (../shared/peers/PySceneDetect)';
  const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const env = { ...process.env, PYTHONPATH: src };
  const check = spawnSync(py, ['-c', 'import cv2, scenedetect'], { env, encoding: 'utf8' });
  if (check.status !== 0) return `PySceneDetect does not import on ${py} (apt-get install python3-opencv python3-numpy python3-click python3-platformdirs python3-tqdm): ${check.stderr.trim().split('\n').pop()}`;
  return {
    run(args) {
      const t0 = performance.now();
      const r = spawnSync(py, ['-m', 'scenedetect', ...args], { env, stdio: 'ignore' });
      return { seconds: (performance.now() - t0) / 1000, ok: r.status === 0 };
    },
  };
}

function toonscope(args: string[]): { seconds: number; ok: boolean } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'ignore' });
  return { seconds: (performance.now() - t0) / 1000, ok: r.status === 0 };
}

/** A clip made once from real footage (or the synthetic sample) and kept in the temp folder for later runs. */
function made(name: string, make: (out: string) => void): string | undefined {
  const dir = join(tmpdir(), 'toonscope-bench-clips');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, name);
  if (existsSync(out)) return out;
  process.stderr.write(`bench: making ${out} (once)\n`);
  const part = join(dir, `part-${name}`);
  make(part);
  if (!existsSync(part)) return undefined;
  renameSync(part, out);
  return out;
}

function loop(src: string, times: number, scale?: string): (out: string) => void {
  return (out) => {
    spawnSync(tool('ffmpeg'), ['-v', 'error', '-nostdin', '-y', '-stream_loop', String(times - 1), '-i', src, '-an',
      ...(scale ? ['-vf', `scale=${scale}`] : []), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-f', 'mp4', out], { stdio: 'ignore' });
  };
}

function clipList(shared: string | undefined, work: string, filter?: string): { clips: string[]; note: string } {
  // The filter applies before clips are made: a run for one clip makes no other.
  const want = (name: string) => !filter || name.includes(filter);
  const clips: string[] = [];
  let note: string;
  if (shared) {
    for (const sub of ['scenedetect', 'anime']) {
      const d = join(shared, 'data', sub);
      if (existsSync(d)) clips.push(...readdirSync(d).filter((f) => f.endsWith('.mp4') && want(f)).sort().map((f) => join(d, f)));
    }
    const real = join(shared, 'data', 'scenedetect', 'testvideo.mp4');
    if (existsSync(real)) {
      for (const [name, scale] of [['testvideo-x5-720p.mp4', undefined], ['testvideo-x5-1080p.mp4', '1920:1080']] as const) {
        const c = want(name) ? made(name, loop(real, 5, scale)) : undefined;
        if (c) clips.push(c);
      }
    }
    note = `clips from ${join(shared, 'data')} and 2-minute loops of testvideo.mp4 in ${join(tmpdir(), 'toonscope-bench-clips')}`;
  } else {
    const synth = join(work, 'synthetic-720p.mp4');
    makeSample(synth, { width: 1280, height: 720 });
    if (want('synthetic-720p.mp4')) clips.push(synth);
    const long = want('synthetic-x12-720p.mp4') ? made('synthetic-x12-720p.mp4', loop(synth, 12)) : undefined;
    if (long) clips.push(long);
    note = '../shared is missing: a synthetic 720p clip (10 s) and its 2-minute loop only';
  }
  return { clips, note };
}

export async function benchShots(work: string, filter?: string): Promise<void> {
  const shared = sharedDir();
  const p = peer(shared);
  const { clips: chosen, note } = clipList(shared, work, filter);
  console.log(`\n# toonscope shots (CLI, default outputs incl. contact sheet) vs PySceneDetect detect-adaptive list-scenes`);
  console.log(`${note}; ${ROUNDS} alternating rounds per clip; fps = frames / wall time of the whole command`);
  if (typeof p === 'string') console.log(`peer missing: ${p}; toonscope alone`);
  console.log(`before: ${load()}`);

  // Start-up: the same call on both sides.
  const ten = join(work, 'ten-frames.mp4');
  const tenSrc = chosen[0];
  if (!tenSrc) throw new Error(`no clip matches "${filter}"`);
  spawnSync(tool('ffmpeg'), ['-v', 'error', '-nostdin', '-y', '-i', tenSrc, '-frames:v', '10', '-an', '-c:v', 'libx264', '-preset', 'veryfast', ten], { stdio: 'ignore' });
  const startRows: Record<string, unknown>[] = [];
  const startup: [string, string[], string[]][] = [
    ['--help', ['--help'], ['--help']],
    [`shots on a 10-frame clip (${basename(tenSrc)})`, ['shots', ten, '-q'], ['-q', '-i', ten]],
  ];
  for (const [what, toonArgs, peerArgs] of startup) {
    const t: number[] = [], q: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      const ws = join(work, `ws-start-${k}`), out = join(work, `out-start-${k}`);
      const shotsArgs = toonArgs[0] === 'shots' ? ['--workspace', ws, '--out', out] : [];
      t.push(toonscope([...toonArgs, ...shotsArgs]).seconds);
      if (typeof p !== 'string') q.push(p.run(peerArgs[0] === '-q' ? [...peerArgs, '-o', join(work, `peer-start-${k}`), 'detect-adaptive', 'list-scenes'] : peerArgs).seconds);
    }
    startRows.push({
      call: what,
      'toonscope s best/median': `${Math.min(...t).toFixed(2)} / ${median(t).toFixed(2)}`,
      ...(q.length ? { 'PySceneDetect s best/median': `${Math.min(...q).toFixed(2)} / ${median(q).toFixed(2)}`, 'toonscope / peer wall, median': +(median(t) / median(q)).toFixed(2) } : {}),
    });
  }
  console.log('\n## start-up (wall seconds; lower is better)');
  console.table(startRows);

  const rows: Record<string, unknown>[] = [];
  for (const clip of chosen) {
    const info = probe(clip);
    const frames = info.frames ?? Math.round(info.duration * info.fps);
    const t: number[] = [], q: number[] = [], r: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      const ws = join(work, `ws-${k}`), out = join(work, `out-${k}`), pout = join(work, `peer-${k}`);
      const a = toonscope(['shots', clip, '--workspace', ws, '--out', out, '--quiet']);
      if (!a.ok) throw new Error(`toonscope shots failed on ${clip}`);
      t.push(frames / a.seconds);
      if (typeof p !== 'string') {
        const b = p.run(['-q', '-i', clip, '-o', pout, 'detect-adaptive', 'list-scenes']);
        if (!b.ok) throw new Error(`PySceneDetect failed on ${clip}`);
        q.push(frames / b.seconds);
        r.push(t[k] / q[k]);
      }
      for (const d of [ws, out, pout]) rmSync(d, { recursive: true, force: true });
    }
    rows.push({
      clip: basename(clip),
      size: `${info.width}x${info.height}`,
      seconds: +info.duration.toFixed(1),
      frames,
      'toonscope fps best/median': fmt(t),
      ...(q.length ? {
        'peer fps best/median': fmt(q),
        'ratio best/median': `${(Math.max(...t) / Math.max(...q)).toFixed(2)} / ${(median(t) / median(q)).toFixed(2)}`,
        'same-round ratio min/median': `${Math.min(...r).toFixed(2)} / ${median(r).toFixed(2)}`,
      } : {}),
    });
  }
  console.log('\n## shot detection (fps of the whole command; ratio = toonscope fps / PySceneDetect fps)');
  console.table(rows);
  console.log(`after: ${load()}`);
}
