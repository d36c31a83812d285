// The app's teaching API: POST /api/teach stores one box a person drew on one
// frame (through the library's teach), GET lists an episode's taught boxes and
// its frames' times; bad bodies are one-line 400s naming the field, writes
// from another origin 403, and nothing is stored by a refused request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/core/ffmpeg.js';
import { Workspace } from '../src/core/workspace.js';
import { detectShots } from '../src/shots/detect.js';
import { taughtBoxes } from '../src/analyze/learn.js';
import { startApp, type App } from '../src/app/index.js';
import { tmp } from './fixtures.js';

const dir = join(tmp, 'app-teach');
let ws: Workspace, app: App, port: number, id: number;

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; data: any }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, data: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const teachIt = (body: unknown, headers?: Record<string, string>) => send('POST', '/api/teach', body, headers);

before(async () => {
  mkdirSync(dir, { recursive: true });
  // 48 frames at 24 fps, 160x90; the shot pass registers it in the workspace (as analyze does).
  const video = join(dir, 'ep.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=2', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', video]);
  ws = Workspace.open(join(dir, 'ws'));
  await detectShots(video, { workspace: ws });
  id = ws.videos()[0].id;
  app = await startApp(ws, { port: 0, log: () => {} });
  port = Number(new URL(app.url).port);
});

after(async () => {
  await app.close();
  ws.close();
});

test('app teach: a box is stored once with its name, listed with the frame times', async () => {
  const empty = await send('GET', `/api/teach?video=${id}`);
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.data.taught, []);
  assert.equal(empty.data.times.length, 48, 'one time per frame');
  assert.ok(Math.abs(empty.data.times[12] - 0.5) < 1e-3, `frame 12 is at 0.5 s (got ${empty.data.times[12]})`);
  // Its shots were found but analyze never looked: no list of shots where "nobody was found" (null, not []: an empty
  // list would say someone was found everywhere).
  const page = await send('GET', `/api/episodes/${id}`);
  assert.equal(page.status, 200, JSON.stringify(page.data));
  assert.equal(page.data.unseen, null);

  const r = await teachIt({ video: id, frame: 30, box: [40, 20, 50, 40], name: '  Mika ' }, { origin: `http://127.0.0.1:${port}` });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.added, true);
  assert.equal(r.data.frame, 30);
  assert.equal(typeof r.data.shot, 'number');
  assert.deepEqual(taughtBoxes(ws, id).map((t) => [t.frame, t.box, t.name]), [[30, [40, 20, 50, 40], 'Mika']], 'the database has the box');
  const again = await teachIt({ video: id, frame: 30, box: [40, 20, 50, 40] });
  assert.equal(again.status, 200);
  assert.equal(again.data.added, false, 'the same box twice adds nothing');
  const list = await send('GET', `/api/teach?video=${id}`);
  assert.deepEqual(list.data.taught.map((t: { frame: number; box: number[]; name: string }) => [t.frame, t.box, t.name]), [[30, [40, 20, 50, 40], 'Mika']]);
});

test('app teach: bad bodies are 400s naming the field, other origins 403, unknown episodes 404; nothing is stored', async () => {
  const before = taughtBoxes(ws).length;
  const cases: [unknown, RegExp][] = [
    [{ video: id, frame: 3, box: [5, 5, 0, 10] }, /^body: box\[2\]: expected a number > 0, got 0$/],
    [{ video: id, frame: 3, box: [5, 5, 1, 10] }, /^box: the box 5,5,1,10 is empty/],
    [{ video: id, frame: 3, box: [150, 10, 20, 20] }, /^box: the box 150,10,20,20 is off the frame: .* is 160x90/],
    [{ video: id, frame: 3, box: [5, 5, 10] }, /^body: box: /],
    [{ video: id, frame: 48, box: [5, 5, 10, 10] }, /^frame: frame 48 is not in .*: it has frames 0 to 47$/],
    [{ video: id, frame: -1, box: [5, 5, 10, 10] }, /^body: frame: expected a number >= 0, got -1$/],
    [{ video: id, frame: 1.5, box: [5, 5, 10, 10] }, /^body: frame: expected an integer/],
    [{ video: id, frame: 3, box: [5, 5, 10, 10], colour: 'red' }, /^body: unknown field colour$/],
    [{ frame: 3, box: [5, 5, 10, 10] }, /^body: video: /],
  ];
  for (const [body, want] of cases) {
    const r = await teachIt(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.data.error, want);
    assert.ok(!r.data.error.includes('\n'), 'one line');
  }
  const gone = await teachIt({ video: id + 100, frame: 3, box: [5, 5, 10, 10] });
  assert.equal(gone.status, 404);
  assert.equal((await send('GET', `/api/teach?video=${id + 100}`)).status, 404);
  assert.equal((await send('GET', '/api/teach')).status, 400, 'the episode id is required');
  const foreign = await teachIt({ video: id, frame: 3, box: [5, 5, 10, 10] }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.equal(taughtBoxes(ws).length, before, 'no refused request stored a box');
});
