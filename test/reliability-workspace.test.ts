// Reliability of the workspace under real processes (issue 17, items 1 and 3): one writer at a time with a
// one-line refusal naming the holder, reads beside a writer, stale-lock takeover after kill -9, and a resumed
// analyze that stores exactly the rows of an uninterrupted one. Every run is a real CLI child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VideoWriter } from '../src/core/video.js';
import { Workspace } from '../src/core/workspace.js';
import { relClip } from './reliability-cli.js';
import { tmp } from './fixtures.js';

const CLI = fileURLToPath(new URL('./reliability-cli.js', import.meta.url));
const video = join(tmp, 'rel-cast.mp4');

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TOONSCOPE_RELIABILITY_CHILD: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<Run>((ok) => child.on('close', (code, signal) => ok({ code, signal, stdout, stderr })));
  return { child, done };
}

const cli = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

// Keyframes every half second inside shots: grabcut runs on several frames of a shot, flow carries in between.
const analyze = (ws: string) => ['analyze', video, '-w', ws, '--detector', 'truthface,grabcut', '--rate', '4', '--width', '320', '--every', '0.5', '--no-refine', '--no-learn', '-q'];

/** Every stored row the analysis made, as text: equal strings mean byte-identical rows (blobs in hex). */
function dump(dir: string): string {
  const ws = Workspace.open(dir);
  try {
    const q = (sql: string) => JSON.stringify(ws.db.prepare(sql).all());
    return [
      q('SELECT id, video_id, frame, shot, time, x, y, w, h, score, face, hex(mask) mask, mask_w, mask_h, hex(crop) crop, hex(embedding) embedding, track, cluster FROM appearances ORDER BY id'),
      q('SELECT video_id, frame, shot, time, done FROM samples ORDER BY video_id, frame'),
      q('SELECT id, medoid, size, tracks, name, status FROM clusters ORDER BY id'),
    ].join('\n');
  } finally {
    ws.close();
  }
}

/** Resolves once the process has stopped itself (state T in /proc). */
async function stopped(pid: number): Promise<void> {
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) T /.test(stat)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let reference: string | undefined;

test('a second writer is refused with one line naming the workspace and the holder; reads work beside the writer', { timeout: 600_000 }, async () => {
  if (!existsSync(video)) {
    const clip = relClip();
    const w = new VideoWriter(video, clip.width, clip.height, clip.fps, { crf: 12 });
    for (let i = 0; i < clip.frames; i++) await w.write(clip.render(i).image);
    await w.close();
  }
  const dir = join(tmp, 'ws-rel-lock');
  // The writer stops itself (SIGSTOP) after its first committed shot: it holds the workspace but no transaction.
  const a = start(analyze(dir), { TOONSCOPE_AFTER_SHOTS: '1:SIGSTOP' });
  await stopped(a.child.pid!);
  const holder = JSON.parse(readFileSync(join(dir, 'toonscope.lock'), 'utf8'));
  assert.equal(holder.pid, a.child.pid);

  const b = await cli(analyze(dir));
  assert.equal(b.code, 1);
  const lines = b.stderr.trim().split('\n');
  assert.equal(lines.length, 1, b.stderr);
  assert.match(lines[0], new RegExp(`^toonscope: .*ws-rel-lock: is in use by another toonscope run: process ${a.child.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT.*\\(analyze\\); wait for it to finish or stop it$`));

  // Reads while the writer holds the workspace.
  const label = await cli(['label', '-w', dir]);
  assert.equal(label.code, 0, label.stderr);
  const exp = await cli(['export', '-w', dir, '--out', join(tmp, 'rel-export')]);
  assert.equal(exp.code, 0, exp.stderr);
  const app = start(['app', '-w', dir, '--port', '0']);
  const url = await new Promise<string>((ok) => app.child.stdout!.on('data', (c: Buffer) => {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(String(c));
    if (m) ok(m[1]);
  }));
  assert.equal((await fetch(url)).status, 200);

  // The writer goes on; the app keeps answering while it runs.
  a.child.kill('SIGCONT');
  assert.equal((await fetch(`${url}api/characters`)).status, 200);
  const ra = await a.done;
  assert.equal(ra.code, 0, ra.stderr);
  app.child.kill('SIGINT');
  await app.done;
  assert.ok(!existsSync(join(dir, 'toonscope.lock')), 'the lock is given back at the end');
  reference = dump(dir);
  assert.match(reference, /"frame":\d+/, 'characters were found and stored');

  // A later run finds everything done and changes nothing.
  const again = await cli(analyze(dir));
  assert.equal(again.code, 0, again.stderr);
  assert.equal(dump(dir), reference);
});

test('two analyze runs started together store the rows of one run', { timeout: 600_000 }, async () => {
  assert.ok(reference, 'needs the first test');
  const dir = join(tmp, 'ws-rel-both');
  const [x, y] = await Promise.all([cli(analyze(dir)), cli(analyze(dir))]);
  assert.ok(x.code === 0 || y.code === 0, `${x.stderr}\n${y.stderr}`);
  for (const r of [x, y]) if (r.code !== 0) assert.match(r.stderr.trim(), /^toonscope: .*ws-rel-both: is in use by another toonscope run: process \d+ on .*\(analyze\); wait for it to finish or stop it$/);
  assert.equal(dump(dir), reference, 'no doubled appearances, tracks or clusters');
});

test('kill -9 in the characters stage: the stale lock is taken over and the resumed run stores byte-identical rows', { timeout: 600_000 }, async () => {
  assert.ok(reference, 'needs the first test');
  const dir = join(tmp, 'ws-rel-resume');
  const killed = await cli(analyze(dir), { TOONSCOPE_AFTER_SHOTS: '2:SIGKILL' });
  assert.equal(killed.signal, 'SIGKILL');
  const ws = Workspace.open(dir);
  const done = ws.db.prepare('SELECT done, COUNT(*) n FROM samples GROUP BY done ORDER BY done').all() as { done: number; n: number }[];
  const stage = ws.db.prepare("SELECT status FROM stages WHERE stage = 'analyze:detect'").get() as { status: string };
  ws.close();
  assert.equal(stage.status, 'running');
  assert.equal(done.length, 2, `killed mid-stage: ${JSON.stringify(done)}`);
  assert.ok(existsSync(join(dir, 'toonscope.lock')), 'kill -9 leaves its lock behind');

  const resumed = await cli(analyze(dir));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(dump(dir), reference);
});
