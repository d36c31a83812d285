// The app's server: only workspace files leave it (traversal attempts of
// every kind fail), bad requests get a 4xx JSON answer, a failing handler a
// 500, and the server keeps serving after each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace } from '../src/core/workspace.js';
import type { VideoInfo } from '../src/core/types.js';
import { startApp, type App } from '../src/app/index.js';
import { tmp } from './fixtures.js';

const SECRET = 'top-secret-outside-the-workspace';
const dir = join(tmp, 'app-server');
const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a4944415478da63600000000200015e2c6b970000000049454e44ae426082', 'hex');
const videoBytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
let ws: Workspace, app: App, port: number;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; text: string }

/** A request sent exactly as written (fetch would normalise `..` and encodings before sending). */
function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { const body = Buffer.concat(chunks); ok({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') }); });
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}
const post = (path: string, body: unknown, type = 'application/json') =>
  raw(path, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function alive() {
  const r = await raw('/api/characters');
  assert.equal(r.status, 200, 'the server still answers');
  assert.deepEqual(JSON.parse(r.text).characters, []);
}

before(async () => {
  mkdirSync(join(dir, 'ws', 'dictionary'), { recursive: true });
  writeFileSync(join(dir, 'secret.png'), SECRET);
  writeFileSync(join(dir, 'ws', 'dictionary', 'a.png'), png);
  mkdirSync(join(dir, 'ws', 'report'));
  writeFileSync(join(dir, 'ws', 'report', 'index.html'), `<script>fetch('/api/merge')</script>${SECRET}`);
  symlinkSync(join(dir, 'secret.png'), join(dir, 'ws', 'dictionary', 'link.png'));
  symlinkSync(dir, join(dir, 'ws', 'up'));
  writeFileSync(join(dir, 'episode.mp4'), videoBytes);
  ws = Workspace.open(join(dir, 'ws'));
  ws.addVideo({ path: join(dir, 'episode.mp4'), width: 32, height: 18, fps: 24, fpsText: '24', frames: 24, duration: 1, codec: 'h264', startTime: 0 } as VideoInfo);
  app = await startApp(ws, { port: 0, log: () => {} });
  port = Number(new URL(app.url).port);
});

after(async () => {
  await app.close();
  ws.close();
});

test('app server: the UI, a workspace image and a video by id are served', async () => {
  const home = await raw('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /<script type="module" src="\/ui\/main.js">/);
  for (const f of ['main.js', 'api.js', 'dictionary.js', 'character.js', 'episode.js', 'player.js', 'teach.js', 'app.css']) {
    const r = await raw(`/ui/${f}`);
    assert.equal(r.status, 200, f);
  }
  assert.match(String((await raw('/ui/main.js')).headers['content-type']), /javascript/);
  const img = await raw('/files/dictionary/a.png');
  assert.equal(img.status, 200);
  assert.equal(img.headers['content-type'], 'image/png');
  assert.deepEqual(img.body, png);
  assert.equal(img.headers['x-content-type-options'], 'nosniff');
  const v = await raw('/api/videos/1');
  assert.equal(v.status, 200);
  assert.deepEqual(v.body, videoBytes);
});

test('app server: HTTP Range on videos (what a <video> needs to seek)', async () => {
  const a = await raw('/api/videos/1', { headers: { range: 'bytes=100-199' } });
  assert.equal(a.status, 206);
  assert.equal(a.headers['content-range'], 'bytes 100-199/1000');
  assert.deepEqual(a.body, videoBytes.subarray(100, 200));
  const open = await raw('/api/videos/1', { headers: { range: 'bytes=990-' } });
  assert.deepEqual(open.body, videoBytes.subarray(990));
  const suffix = await raw('/api/videos/1', { headers: { range: 'bytes=-5' } });
  assert.equal(suffix.headers['content-range'], 'bytes 995-999/1000');
  assert.deepEqual(suffix.body, videoBytes.subarray(995));
  for (const bad of ['bytes=1000-', 'bytes=500-100', 'bytes=-', 'pages=1-2']) {
    const r = await raw('/api/videos/1', { headers: { range: bad } });
    assert.equal(r.status, 416, bad);
    assert.equal(r.headers['content-range'], 'bytes */1000');
  }
  const head = await raw('/api/videos/1', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '1000');
  assert.equal(head.body.length, 0);
  await alive();
});

test('app server: no path traversal (plain, encoded, doubly encoded, backslash, absolute, NUL, symlinks, non-image files)', async () => {
  const attempts = [
    '/files/../secret.png',
    '/files/dictionary/../../secret.png',
    '/files/..%2fsecret.png',
    '/files/%2e%2e/secret.png',
    '/files/%2E%2E%2Fsecret.png',
    '/files/dictionary%2f..%2f..%2fsecret.png',
    '/files/%252e%252e%252fsecret.png',
    '/files/..%5csecret.png',
    '/files/..\\secret.png',
    '/files//etc/passwd',
    '/files/%2fetc%2fpasswd',
    `/files/${encodeURIComponent(join(dir, 'secret.png'))}`,
    '/files/C:%5cWindows%5cwin.ini',
    '/files/dictionary/a.png%00.png',
    '/files/dictionary/a.png%00',
    '/files/dictionary/link.png',
    '/files/up/secret.png',
    '/files/toonscope.db',
    '/files/report/index.html',
    '/files/.',
    '/files/',
    '/files/%',
    '/files/%e0%a4%a',
    '/ui/../secret.png',
    '/ui/%2e%2e/%2e%2e/%2e%2e/package.json',
    '/ui/../../../../../etc/passwd',
    '/api/thumbs/..%2f..%2fsecret.png',
    '/api/videos/..%2fsecret.png',
    '/api/videos/1%2f..',
    '/../../../etc/passwd',
  ];
  for (const path of attempts) {
    const r = await raw(path);
    assert.ok([400, 403, 404].includes(r.status), `${path}: ${r.status}`);
    assert.ok(!r.text.includes(SECRET) && !r.text.includes('root:'), `${path} leaked a file`);
    assert.match(String(r.headers['content-type']), /json/, `${path}: a JSON error`);
  }
  await alive();
});

test('app server: bad requests get one-line JSON errors and the server keeps serving', async () => {
  const cases: Array<[string, Promise<Reply>, number]> = [
    ['unknown route', raw('/api/nope'), 404],
    ['unknown page', raw('/nope.html'), 404],
    ['wrong method', raw('/api/characters', { method: 'DELETE' }), 405],
    ['POST to a file', raw('/files/dictionary/a.png', { method: 'POST' }), 405],
    ['malformed JSON', post('/api/characters/0/name', '{"name": '), 400],
    ['not JSON', post('/api/characters/0/name', 'name=x', 'application/x-www-form-urlencoded'), 415],
    ['JSON array body', post('/api/characters/0/name', '[1]'), 400],
    ['bad id', post('/api/characters/abc/name', { name: 'x' }), 400],
    ['negative id', post('/api/characters/-1/name', { name: 'x' }), 400],
    ['huge id', post('/api/characters/99999999999999999999/name', { name: 'x' }), 400],
    ['missing character', post('/api/characters/7/name', { name: 'x' }), 404],
    ['merge without ids', post('/api/merge', { into: 'a' }), 400],
    ['merge with bad from', post('/api/merge', { into: 1, from: 'x' }), 400],
    ['bad thumbnail id', raw('/api/thumbs/1.5'), 400],
    ['missing thumbnail', raw('/api/thumbs/123456'), 404],
    ['missing episode', raw('/api/episodes/9'), 404],
    ['missing video', raw('/api/videos/9'), 404],
    ['body too large', post('/api/characters/0/name', JSON.stringify({ name: 'x'.repeat(100_000) })), 413],
    ['foreign Host header (DNS rebinding)', raw('/api/characters', { headers: { host: 'evil.example:80' } }), 403],
  ];
  for (const [what, reply, status] of cases) {
    const r = await reply;
    assert.equal(r.status, status, `${what}: ${r.text}`);
    const body = JSON.parse(r.text);
    assert.equal(typeof body.error, 'string', what);
    assert.ok(!body.error.includes('\n') && !/\bat .*\.js:\d+/.test(body.error), `${what}: one line, no stack`);
  }
  await alive();
});

test('app server: a malformed HTTP request and a failing handler do not stop the server', async () => {
  const garbage = await new Promise<string>((ok) => {
    const s = connect(port, '127.0.0.1', () => s.end('GARBAGE \u0001\u0002 nonsense\r\n\r\n'));
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => ok(got));
    s.on('error', () => ok(got));
  });
  assert.match(garbage, /^HTTP\/1\.1 400/);
  await alive();

  const videos = ws.videos;
  ws.videos = () => { throw new Error('disk on fire'); };
  try {
    const r = await raw('/api/episodes');
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.text).error, /internal error: disk on fire/);
  } finally {
    ws.videos = videos;
  }
  const ok = await raw('/api/episodes');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.text).episodes.length, 1);
  await alive();
});

test('toonscope app: prints its URL, serves, stops cleanly on SIGINT; a bad --port is one line', async () => {
  const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
  const bad = spawnSync(process.execPath, [cli, 'app', '--port', 'http', '-w', join(dir, 'cli-ws')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^toonscope: --port must be an integer from 0 to 65535, got "http"\n$/);

  Workspace.open(join(dir, 'cli-ws')).close(); // the app serves an existing workspace only (issue 17.13)
  const child = spawn(process.execPath, [cli, 'app', '--port', '0', '-w', join(dir, 'cli-ws')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out); if (m) ok(m[0]); });
    child.on('exit', (code) => fail(new Error(`exited ${code} before printing a URL: ${out}`)));
  });
  const r = await fetch(`${url}api/characters`);
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).characters, []);
  const code = await new Promise<number | null>((ok) => { child.on('exit', ok); child.kill('SIGINT'); });
  assert.equal(code, 0);
});
