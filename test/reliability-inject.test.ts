// Issue 17, injection through names and file names: CSV formulas (4), WebVTT
// cues (5), ffconcat directives (6), ffmpeg protocols and options in file
// names (7), and cross-site writes to the app (8). The exports are made from
// names stored in the workspace as they are (the naming checks are tested
// too), so they hold for names saved before those checks existed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { run } from '../src/core/ffmpeg.js';
import { probe, decode, keyframeTimes, VideoWriter } from '../src/core/video.js';
import { Workspace } from '../src/core/workspace.js';
import type { VideoInfo } from '../src/core/types.js';
import { ensureSchema } from '../src/label/store.js';
import { exportLabels, nameCharacter } from '../src/label/index.js';
import { shotsCsv, shotsEdl } from '../src/shots/export.js';
import { startApp, type App } from '../src/app/index.js';
import { tmp } from './fixtures.js';

const dir = join(tmp, 'reliability-inject');
const NAMES = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTab', '\rCR', '<b>Bold</b> & co', 'A --> B', 'Line\nbreak', 'Plain'];
const EVIL = join(dir, "ep\nfile 'other.mp4'\ninpoint 99\nx.mp4");

/** A tiny real video (so ffmpeg can read the exported clip lists). */
function clip(path: string, size = '32x32', frames = 5): string {
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=${size}:r=10`, '-frames:v', String(frames), '-pix_fmt', 'yuv420p', `file:${path}`]);
  return path;
}

/** RFC 4180 CSV: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

let ws: Workspace;
const out = join(dir, 'export');
const warnings: string[] = [];

before(async () => {
  mkdirSync(dir, { recursive: true });
  const ep1 = clip(join(dir, 'ep1.mp4'), '32x32', 20);
  clip(EVIL, '32x32', 20);
  ws = Workspace.open(join(dir, 'ws'));
  ensureSchema(ws);
  const info = (path: string) => ({ path, width: 32, height: 32, fps: 10, fpsText: '10', frames: 20, duration: 2, codec: 'h264', startTime: 0 }) as VideoInfo;
  const videos = [ws.addVideo(info(ep1)).id, ws.addVideo(info(EVIL)).id];
  // Names stored as they are (as a workspace from before the naming checks would hold them): one track each, in both episodes.
  const app = ws.db.prepare('INSERT INTO appearances (video_id, frame, shot, time, x, y, w, h, score, track, cluster) VALUES (?, ?, 0, ?, 1, 2, 8, 8, 0.9, ?, 1)');
  const label = ws.db.prepare("INSERT INTO labels (track, name, rejected, confidence, source) VALUES (?, ?, 0, 0.9, 'person')");
  let track = 0;
  for (const v of videos) {
    NAMES.forEach((name, k) => {
      track++;
      // Staggered: every name has a cue of its own and overlaps the next one.
      for (const f of [k, k + 2]) app.run(v, f, f / 10, track);
      label.run(track, name);
    });
  }
  ws.db.prepare("INSERT INTO clusters (id, medoid, size, tracks, status) VALUES (1, NULL, 1, 1, 'auto')").run();
  await exportLabels(ws, out, { warn: (m) => warnings.push(m) });
});

after(() => ws.close());

test('17.4 CSV exports: every text cell a spreadsheet would run as a formula is quoted and starts with \'; JSON keeps the real names', () => {
  for (const f of ['labels.csv', 'boxes.csv', ...readdirSync(join(out, 'clips')).filter((n) => n.endsWith('.csv')).map((n) => `clips/${n}`)]) {
    const rows = parseCsv(readFileSync(join(out, f), 'utf8'));
    for (const r of rows) for (const cell of r) {
      // Numbers are data (a negative coordinate is not a formula); any other cell must not start like one.
      if (!/^-?\d+(\.\d+)?$/.test(cell)) assert.ok(!/^[=+\-@\t\r]/.test(cell), `${f}: cell ${JSON.stringify(cell)} would run as a formula`);
    }
  }
  const labels = parseCsv(readFileSync(join(out, 'labels.csv'), 'utf8'));
  const col = labels[0].indexOf('character');
  const names = new Set(labels.slice(1).map((r) => r[col]));
  for (const n of NAMES) assert.ok(names.has(/^[=+\-@\t\r]/.test(n) ? `'${n}` : n), `labels.csv keeps ${JSON.stringify(n)} readable`);
  const raw = readFileSync(join(out, 'labels.csv'), 'utf8');
  assert.ok(raw.includes('"\'=HYPERLINK(""http://evil.example"",""x"")"'), 'quoted as OWASP says: "\'=..."');
  const json = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
  assert.deepEqual(json.characters, [...NAMES].sort(), 'the JSON keeps every name exactly');
  // The shot list goes through the same cells (and its EDL cannot take a line break from a file name).
  assert.equal(shotsCsv([{ index: 0, start: 0, end: 9, startTime: 0, endTime: 1, in: 'cut', out: 'cut' } as never]).split('\n')[1], '1,1,00:00:00.000,0.000,10,00:00:01.000,1.000,10,00:00:01.000,1.000,cut,cut');
  const edl = shotsEdl('/x/a\n* INJECTED.mp4', 24, [{ index: 0, start: 0, end: 9, startTime: 0, endTime: 1, in: 'cut', out: 'cut' } as never], []);
  assert.ok(!edl.split('\n').some((l) => l.startsWith('* INJECTED')), 'no EDL line injected');
});

test('17.5 WebVTT: names are escaped, cannot end a cue or the timing line; naming refuses --> and line breaks', async () => {
  const vtts = readdirSync(out).filter((f) => f.endsWith('.vtt'));
  assert.equal(vtts.length, 2);
  for (const f of vtts) {
    const text = readFileSync(join(out, f), 'utf8');
    const blocks = text.trim().split(/\n\n+/);
    assert.equal(blocks[0], 'WEBVTT');
    const cues = blocks.slice(1);
    // One name per cue start (staggered), each cue = a timing line and one payload line.
    assert.ok(cues.length >= NAMES.length, `${f}: ${cues.length} cues`);
    for (const c of cues) {
      const [timing, ...payload] = c.split('\n');
      assert.match(timing, /^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$/, `${f}: timing line`);
      assert.equal(payload.length, 1, `${f}: one payload line: ${JSON.stringify(c)}`);
      assert.ok(!payload[0].includes('-->') && !/[<>]/.test(payload[0]), `${f}: payload ${JSON.stringify(payload[0])}`);
      assert.ok(!/&(?!amp;|lt;|gt;)/.test(payload[0]), `${f}: a bare & in ${JSON.stringify(payload[0])}`);
    }
    for (const want of ['&lt;b&gt;Bold&lt;/b&gt; &amp; co', 'A --&gt; B', 'Line break']) assert.ok(text.includes(want), `${f} has ${want}`);
  }
  await assert.rejects(nameCharacter(ws, 1, 'A --> B'), /^ToonscopeError: a character name cannot contain "-->"/);
  await assert.rejects(nameCharacter(ws, 1, 'Line\nbreak'), /one line/);
  await assert.rejects(nameCharacter(ws, 1, 'Line\r\nbreak'), /one line/);
});

test('17.6 ffconcat: a path with a line break injects nothing (left out, with a warning); the lists play in ffmpeg', () => {
  const lists = readdirSync(join(out, 'clips')).filter((f) => f.endsWith('.ffconcat'));
  assert.equal(lists.length, NAMES.length);
  for (const f of lists) {
    const lines = readFileSync(join(out, 'clips', f), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'ffconcat version 1.0');
    for (const l of lines.slice(1)) {
      const m = /^file '((?:[^']|'\\'')*)'$/.exec(l);
      if (m) {
        const path = m[1].replace(/'\\''/g, "'");
        assert.ok(path.startsWith('file:/') && existsSync(path.slice(5)), `${f}: names an existing file: ${l}`);
      } else assert.match(l, /^(inpoint|outpoint) \d+(\.\d+)?$/, `${f}: only file/inpoint/outpoint lines`);
    }
    assert.ok(lines.some((l) => l.includes('ep1.mp4')), `${f} keeps the ordinary episode`);
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /line break in its path cannot go into an ffconcat list/);
  // ffmpeg reads the list (file: paths need -safe 0, as the export's header says).
  const plain = join(out, 'clips', lists.find((f) => f.startsWith('Plain'))!);
  const frames = run('ffprobe', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', plain, '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0']);
  assert.ok(Number(frames.trim()) > 0, `ffmpeg read ${frames.trim()} packets from the clip list`);
});

test('17.7 ffmpeg and ffprobe open concat:, subfile and -dash names as the files they name', async () => {
  const d = join(dir, 'names');
  mkdirSync(d, { recursive: true });
  clip(join(d, 'a.mp4'), '32x32', 5);
  const real = clip(join(d, 'real.mp4'), '48x32', 3);
  const tricky = ['concat:a.mp4|a.mp4', 'subfile,,start,0,end,100000,,:a.mp4', '-rf.mp4'];
  for (const t of tricky) copyFileSync(real, join(d, t));
  const cwd = process.cwd();
  process.chdir(d); // relative names, as a user types them
  try {
    for (const t of tricky) {
      const info = probe(t);
      assert.equal(info.width, 48, `${t}: probed the file itself`);
      let n = 0;
      for await (const f of decode(t)) { assert.equal(f.width, 48); n++; }
      assert.equal(n, 3, `${t}: decoded the file itself`);
      assert.ok((await keyframeTimes(t)).length >= 1, `${t}: keyframes listed`);
    }
    const w = new VideoWriter('-out.mp4', 32, 32, 10);
    await w.write({ width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3) });
    await w.close();
    assert.ok(existsSync(join(d, '-out.mp4')), 'the writer wrote the file named -out.mp4');
  } finally {
    process.chdir(cwd);
  }
});

test('17.8 app: writes from another origin get 403, the app\'s own pages and tools without Origin pass', async () => {
  const w = Workspace.open(join(dir, 'app-ws'));
  const app: App = await startApp(w, { port: 0, log: () => {} });
  const port = Number(new URL(app.url).port);
  const post = (headers: Record<string, string>) => new Promise<number>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/export', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => { res.resume(); res.on('end', () => ok(res.statusCode!)); });
    req.on('error', fail);
    req.end('{}');
  });
  try {
    for (const h of <Record<string, string>[]>[{ origin: 'http://evil.example' }, { origin: 'null' }, { origin: `http://127.0.0.1:${port + 1}` }, { origin: `https://127.0.0.1:${port}` }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
      assert.equal(await post(h), 403, JSON.stringify(h));
    }
    assert.ok(!existsSync(join(w.dir, 'export')), 'no refused write did anything');
    for (const h of <Record<string, string>[]>[{ origin: `http://127.0.0.1:${port}` }, { origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' }, {}]) {
      assert.equal(await post(h), 200, JSON.stringify(h));
    }
  } finally {
    await app.close();
    w.close();
  }
});
