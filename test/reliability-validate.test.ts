// Issue 17: every truth file and app request body is checked against a
// schema and a bad one is answered in one line naming the file and the field
// (12); commands that only read a workspace refuse a folder that is not one
// instead of creating it (13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { run } from '../src/core/ffmpeg.js';
import { isToonscopeError } from '../src/core/errors.js';
import { Workspace } from '../src/core/workspace.js';
import { loadCastTruth } from '../src/analyze/truth.js';
import { loadTruth as loadShotTruth } from '../src/shots/eval.js';
import { readBoxTruth } from '../src/characters/boxeval.js';
import { readTruthDir } from '../src/characters/evaluate.js';
import { loadTruth as loadPanelTruth } from '../src/comics/evaluate.js';
import { readTruth as readInterpTruth } from '../src/interpolate/truth.js';
import { ensureSchema } from '../src/label/store.js';
import { startApp } from '../src/app/index.js';
import { main } from '../src/cli/main.js';
import { tmp } from './fixtures.js';

const dir = join(tmp, 'reliability-validate');
mkdirSync(dir, { recursive: true });
const put = (name: string, content: unknown) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

/** The loader throws a ToonscopeError whose one line is `FILE: <want>`. */
function refuses(load: () => unknown, file: string, want: RegExp): void {
  let err: unknown;
  try {
    load();
  } catch (e) {
    err = e;
  }
  assert.ok(isToonscopeError(err), `${file}: expected a ToonscopeError, got ${err === undefined ? 'no error' : String(err)}`);
  const msg = (err as Error).message;
  assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  assert.ok(msg.startsWith(`${file}: `), `names the file: ${msg}`);
  assert.match(msg.slice(file.length + 2), want);
}

const cast = { video: 'cast.mp4', fps: 24, frames: 10, width: 64, height: 48, cuts: [5], identities: ['a', 'b'], boxes: [{ frame: 1, identity: 0, instance: 0, box: [1, 2, 10, 10] }], source: 'synthetic' };

test('17.12 cast truth (eval tracks, eval clusters, eval labels): null, wrong types, NaN, negative or huge frames, fps 0', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', 'null', /^expected an object, got null \(a cast truth file/],
    ['box x negative', { ...cast, boxes: [{ ...cast.boxes[0], box: [-4, 2, 10, 10] }] }, /^boxes\[0\]\.box\[0\]: expected a number >= 0, got -4/],
    ['box null', { ...cast, boxes: [{ ...cast.boxes[0], box: null }] }, /^boxes\[0\]\.box: expected a list, got null/],
    ['frame as text', { ...cast, boxes: [cast.boxes[0], { ...cast.boxes[0], frame: '3' }] }, /^boxes\[1\]\.frame: expected an integer, got "3"/],
    ['frame negative', { ...cast, boxes: [{ ...cast.boxes[0], frame: -1 }] }, /^boxes\[0\]\.frame: expected a number >= 0, got -1/],
    ['frame huge', { ...cast, frames: undefined, boxes: [{ ...cast.boxes[0], frame: 1e15 }] }, /^boxes\[0\]\.frame: expected a number <= 10000000/],
    ['frame past the clip', { ...cast, boxes: [{ ...cast.boxes[0], frame: 10 }] }, /^boxes\[0\]\.frame: expected a frame < "frames" \(10\), got 10/],
    ['fps 0', { ...cast, fps: 0 }, /^fps: expected a number > 0, got 0/],
    ['identity out of range', { ...cast, boxes: [{ ...cast.boxes[0], identity: 2 }] }, /^boxes\[0\]\.identity: expected an index into "identities" \(< 2\), got 2/],
    ['no boxes', { ...cast, boxes: undefined }, /^boxes: expected a list, got nothing/],
  ];
  for (const [what, content] of cases) {
    const f = put(`cast-${what.replace(/ /g, '-')}.truth.json`, content);
    refuses(() => loadCastTruth(f), f, cases.find((c) => c[0] === what)![2]);
  }
  // NaN cannot be written in JSON: a file with it is not JSON, said as such.
  const nan = put('cast-nan.truth.json', '{"video": "cast.mp4", "fps": NaN}');
  refuses(() => loadCastTruth(nan), nan, /^not valid JSON/);
  const ok = loadCastTruth(put('cast-ok.truth.json', cast));
  assert.equal(ok.boxes.length, 1);
});

test('17.12 shots, characters, comics and interpolate truth files: the field is named', () => {
  const shotJson = put('shots/a.truth.json', { cuts: [3, null] });
  refuses(() => loadShotTruth(shotJson), shotJson, /^cuts\[1\]: expected an integer, got null/);
  const shotNeg = put('shots/b.truth.json', { cuts: [-5] });
  refuses(() => loadShotTruth(shotNeg), shotNeg, /^cuts\[0\]: expected a number >= 0, got -5/);
  const shotNull = put('shots/c.truth.json', 'null');
  refuses(() => loadShotTruth(shotNull), shotNull, /^expected an object, got null/);
  const csv = put('shots/d_scenes.csv', 'scene,timecode,frame,time (ms)\n0,00:00:00.0,0,0\n1,00:00:01.0,abc,1000\n');
  refuses(() => loadShotTruth(csv), csv, /^line 3, column "frame": expected an integer, got "abc"/);
  const csvNeg = put('shots/e_scenes.csv', 'scene,timecode,frame,time (ms)\n0,00:00:00.0,0,0\n1,00:00:01.0,-24,1000\n');
  refuses(() => loadShotTruth(csvNeg), csvNeg, /^line 3, column "frame": expected a number >= 0, got -24/);

  const boxes = put('chars/boxes.truth.json', { frames: [{ video: 'a.mp4', frame: 3, characters: [{ face: [1, 2, 3] }] }] });
  refuses(() => readBoxTruth(boxes), boxes, /^frames\[0\]\.characters\[0\]\.face: expected at least 4 items/);
  const crop = put('chars/crop.truth.json', { frames: [{ video: 'a.mp4', frame: 3, crop: 'right-half', characters: [] }] });
  refuses(() => readBoxTruth(crop), crop, /^frames\[0\]\.crop: /);
  assert.equal(readBoxTruth(put('chars/ok.truth.json', { frames: [{ video: 'a.mp4', frame: 3, crop: null, characters: [{ body: [0, 0, 5, 5] }] }] })).frames[0].crop, undefined);
  put('chars/dir/x.png', 'not read here');
  put('chars/dir/x.mask-0.png', 'not read here');
  const meta = put('chars/dir/x.json', { faces: [[1, 2, 'x', 4]] });
  refuses(() => readTruthDir(join(dir, 'chars/dir')), meta, /^faces\[0\]\[2\]: expected a number, got "x"/);

  const panels = put('comics/p.truth.json', { pages: [{ image: 'a.png', panels: [[0, 0, 10, 10], [0, 0, 0, 10]] }] });
  refuses(() => loadPanelTruth(panels), panels, /^pages\[0\]\.panels\[1\]\[2\]: expected a number > 0, got 0/);
  const who = put('comics/c.truth.json', { pages: [{ image: 'a.png', panels: [[0, 0, 10, 10]], characters: [{ panel: 3, identity: 'x', box: [1, 1, 2, 2] }] }] });
  refuses(() => loadPanelTruth(who), who, /^pages\[0\]\.characters\[0\]\.panel: expected an index into "panels" \(< 1\), got 3/);
  const noImage = put('comics/n.truth.json', { pages: [{ image: null, panels: null }] });
  refuses(() => loadPanelTruth(noImage), noImage, /^pages\[0\]\.image: expected a string, got null/);

  const video = join(dir, 'interp', 'clip.mp4');
  mkdirSync(join(dir, 'interp'), { recursive: true });
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=32x32:r=10', '-frames:v', '6', '-pix_fmt', 'yuv420p', video]);
  const order = put('interp/a.truth.json', { video: 'clip.mp4', interpolation_triplets: [[1, 2, 3], [3, 2, 1]] });
  refuses(() => readInterpTruth(order), order, /^interpolation_triplets\[1\]: expected three increasing frame indices/);
  const late = put('interp/b.truth.json', { video: 'clip.mp4', interpolation_triplets: [[1, 2, 3], [3, 4, 60]] });
  refuses(() => readInterpTruth(late), late, /^interpolation_triplets\[1\]: frame 60 is past the end of clip\.mp4 \(6 frames\)/);
  const novideo = put('interp/c.truth.json', { video: 7 });
  refuses(() => readInterpTruth(novideo), novideo, /^video: expected a string, got 7/);
  assert.deepEqual(readInterpTruth(put('interp/ok.truth.json', { video: 'clip.mp4', fps: '10', interpolation_triplets: [[1, 2, 3]] })).triplets, [[1, 2, 3]]);
});

/** Run the CLI in-process; returns its exit code and what it wrote on stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('17.12 the CLI answers a null truth file and a bad --size with one line, not "internal error"', async () => {
  const f = put('cli/null.truth.json', 'null');
  const r = await cli(['eval', 'tracks', '--truth', f, '-w', join(dir, 'cli', 'ws'), '-q']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `toonscope: ${f}: expected an object, got null (a cast truth file: make one with \`toonscope make-truth cast\`)\n`);
  assert.ok(!existsSync(join(dir, 'cli', 'ws')), 'checked before a workspace is made');
  for (const size of ['abc', '0x0', '65x64', '100000x2']) {
    const m = await cli(['make-truth', 'cast', '--out', join(dir, 'cli', 'cast'), '--size', size, '-q']);
    assert.equal(m.code, 1, size);
    assert.equal(m.stderr, `toonscope: --size must be WIDTHxHEIGHT, even numbers from 64 to 8192, got "${size}"\n`);
  }
});

test('17.12 app request bodies: one-line 400 naming the field', async () => {
  const ws = Workspace.open(join(dir, 'app-ws'));
  ensureSchema(ws);
  ws.db.prepare("INSERT INTO clusters (id, medoid, size, tracks, status) VALUES (1, NULL, 0, 0, 'auto')").run();
  const app = await startApp(ws, { port: 0, log: () => {} });
  const port = Number(new URL(app.url).port);
  const post = (path: string, body: string) => new Promise<{ status: number; error: string }>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => ok({ status: res.statusCode!, error: JSON.parse(text).error }));
    });
    req.on('error', fail);
    req.end(body);
  });
  const cases: Array<[string, string, RegExp]> = [
    ['/api/characters/1/name', '{"name": 5}', /^body: name: expected a string, got 5$/],
    ['/api/characters/1/name', '{"name": null}', /^body: name: expected a string, got null$/],
    ['/api/characters/1/name', '{}', /^body: name: expected a string, got nothing$/],
    ['/api/characters/1/name', '{"name": "x", "nmae": "y"}', /^body: unknown field nmae$/],
    ['/api/characters/1/name', 'null', /^body: expected an object, got null$/],
    ['/api/characters/1/name', '{"name": "A --> B"}', /cannot contain "-->"/],
    ['/api/merge', '{"into": -1, "from": [1]}', /^body: into: expected a number >= 0, got -1$/],
    ['/api/merge', '{"into": 1, "from": [1.5]}', /^body: from\[0\]: expected an integer, got 1\.5$/],
    ['/api/merge', '{"into": 1, "from": []}', /^body: from: expected at least 1 item/],
    ['/api/characters/1/reject', '{"force": true}', /^body: unknown field force$/],
  ];
  try {
    for (const [path, body, want] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, `${path} ${body}: ${r.error}`);
      assert.match(r.error, want, `${path} ${body}`);
    }
  } finally {
    await app.close();
    ws.close();
  }
});

test('17.13 label, export and app refuse a folder that is not a workspace and create nothing; analyze-made ones open', async () => {
  const missing = join(dir, 'no-such-ws');
  const plain = join(dir, 'plain-folder');
  mkdirSync(plain, { recursive: true });
  for (const args of [['label'], ['label', 'name', '0', 'Ann'], ['label', 'reject', '0'], ['export', '--out', join(dir, 'exp')]]) {
    for (const w of [missing, plain]) {
      const r = await cli([...args, '-w', w, '-q']);
      assert.equal(r.code, 1, `${args.join(' ')} -w ${w}`);
      assert.match(r.stderr, w === missing ? /^toonscope: \S+no-such-ws: no such workspace; check --workspace/ : /^toonscope: \S+plain-folder: not a toonscope workspace/);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
  }
  assert.ok(!existsSync(missing) && !existsSync(join(plain, 'toonscope.db')) && !existsSync(join(dir, 'exp')), 'nothing created');
  // The app would otherwise serve an empty workspace until stopped: it must exit at once.
  const app = spawnSync(process.execPath, [join(process.cwd(), 'dist', 'src', 'cli', 'main.js'), 'app', '--port', '0', '-w', missing], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(app.status, 1, app.stderr);
  assert.match(app.stderr, /^toonscope: \S+no-such-ws: no such workspace/);
  assert.ok(!existsSync(missing));
  // A workspace made by a writing command (analyze, shots create it) opens for the readers.
  Workspace.open(join(dir, 'made')).close();
  assert.equal((await cli(['label', '-w', join(dir, 'made'), '-q'])).code, 0);
});
