// `npm run bench -- queue`: episodes per minute through the job queue with 1
// and 2 `toonscope worker` processes on this machine (a private Debian
// redis-server, a coordinator in this process), next to a local run of the
// same episodes. The 2-worker/1-worker ratio shows how far one machine's
// cores carry a second worker; docs/scale.md does the arithmetic for N machines.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { VideoWriter } from '../src/core/video.js';
import { synthClip } from '../src/dictionary/synth.js';
import { main } from '../src/cli/main.js';
import { localRedis, hasRedisServer } from '../src/queue/local-redis.js';
import { queueStatus } from '../src/queue/status.js';
import { constantModel } from '../test/onnx-fixture.js';

const EPISODES = 4;
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

async function episodes(dir: string): Promise<{ eps: string[]; chain: string }> {
  mkdirSync(dir, { recursive: true });
  const eps: string[] = [];
  for (let k = 0; k < EPISODES; k++) {
    const clip = synthClip({ width: 640, height: 360, shots: 6, shotFrames: [40, 60], identities: 4, perShot: [2, 2], seed: 31 + k });
    const path = join(dir, `ep${k + 1}.mp4`);
    const w = new VideoWriter(path, clip.width, clip.height, clip.fps, { crf: 18 });
    for (let i = 0; i < clip.frames; i++) await w.write(clip.render(i).image);
    await w.close();
    eps.push(path);
  }
  // Two constant 'body' boxes per frame (no learned detector ships): detection, embedding and tracking still run in full.
  const m = 16, out = new Float32Array(6 * m);
  [[45, 80, 50, 70], [115, 80, 50, 70]].forEach((b, j) => [...b, 0.01, 0.9].forEach((v, k) => (out[k * m + j] = v)));
  const model = join(dir, 'bodies.onnx');
  writeFileSync(model, constantModel([1, 3, 160, 160], out, [1, 6, m]));
  return { eps, chain: `yolo=${model}:face:body` };
}

async function timed(f: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const code = await f();
  if (code !== 0) throw new Error('bench run failed');
  return (performance.now() - t0) / 60_000;
}

export async function benchQueue(): Promise<Record<string, number | string>> {
  if (!hasRedisServer()) return { note: 'skipped: needs Debian redis-server (apt-get install redis-server)' };
  const tmp = mkdtempSync(join(tmpdir(), 'toonscope-bench-queue-'));
  const quiet = process.env.TOONSCOPE_QUIET;
  process.env.TOONSCOPE_QUIET = '1';
  const out: Record<string, number | string> = { episodes: EPISODES };
  try {
    const { eps, chain } = await episodes(join(tmp, 'media'));
    const args = ['--detector', chain, '--epochs', '3', '--quiet'];
    const local = await timed(() => main(['analyze', ...eps, '--workspace', join(tmp, 'ws-local'), ...args]));
    out['local eps/min'] = +(EPISODES / local).toFixed(2);
    const redis = await localRedis();
    try {
      for (const n of [1, 2]) {
        const workers: ChildProcess[] = Array.from({ length: n }, (_, i) => spawn(process.execPath, [cli, 'worker', '--queue', redis.url, '--allow', tmp, '--name', `bench${i + 1}`], { stdio: 'ignore', env: { ...process.env, TOONSCOPE_QUIET: '1' } }));
        try {
          // Count from when every worker is connected (process start and model load are not episode work).
          while ((await queueStatus(redis.url)).workers.length < n) await new Promise((r) => setTimeout(r, 200));
          const mins = await timed(() => main(['analyze', ...eps, '--workspace', join(tmp, `ws-q${n}`), '--queue', redis.url, ...args]));
          out[`queue ${n} worker${n > 1 ? 's' : ''} eps/min`] = +(EPISODES / mins).toFixed(2);
        } finally {
          await Promise.all(workers.map((w) => new Promise((r) => { w.once('exit', r); w.kill('SIGTERM'); })));
        }
      }
    } finally {
      redis.stop();
    }
    const one = out['queue 1 worker eps/min'] as number, two = out['queue 2 workers eps/min'] as number;
    out['ratio 2 workers / 1'] = +(two / one).toFixed(2);
    out['ratio 1 worker / local'] = +(one / (out['local eps/min'] as number)).toFixed(2);
  } finally {
    if (quiet === undefined) delete process.env.TOONSCOPE_QUIET;
    else process.env.TOONSCOPE_QUIET = quiet;
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
