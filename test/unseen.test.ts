// Where nobody was found: `unseen` lists the shots of an analysed video with no
// character standing (nobody tracked, or only tracks rejected as "not a
// character" by a person or by the classifier), each with a frame to look at
// inside it, matched to the shots by frame; it refuses a video whose analysis is
// not complete and leaves out a shot with a frame not looked at yet.
// `toonscope label unseen` prints them with the teach command to paste, and
// refuses a video not analysed, naming it as typed; `analyze --json`'s teach
// field names each video with such shots, as typed. Each test has a workspace of
// its own.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Workspace } from '../src/core/workspace.js';
import { ToonscopeError } from '../src/core/errors.js';
import type { Detection, Image } from '../src/core/types.js';
import type { CharacterDetector } from '../src/characters/types.js';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { teach } from '../src/analyze/learn.js';
import { resetShot } from '../src/analyze/store.js';
import { detectShots } from '../src/shots/detect.js';
import { loadShots, loadTransitions, saveResult } from '../src/shots/store.js';
import { unseen, unseenShots, spans, rejectCharacter } from '../src/label/index.js';
import { teachHints } from '../src/cli/commands/analyze.js';
import { shellWord } from '../src/cli/command.js';
import { registerDetector } from '../src/characters/backends.js';
import { tmp, writeSynthClip, TruthBodies, printed } from './fixtures.js';

/** The truth detector, blind in one shot: there the chain finds nobody. */
class BlindIn implements CharacterDetector {
  readonly name = 'truth';
  readonly labels = ['body'] as const;
  private readonly truth: TruthBodies;
  constructor(clip: SynthClip, private readonly shot: { start: number; end: number }) { this.truth = new TruthBodies(clip); }
  async detect(frame: Image, prior: Detection[], i = 0): Promise<Detection[]> {
    return i >= this.shot.start && i <= this.shot.end ? [] : this.truth.detect(frame, prior, i);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const mainJs = join(here, '..', 'src', 'cli', 'main.js');
// One figure per shot; with seed 7 shot 0 has identity 0, shot 1 identity 1, shot 2 identity 2 and shot 3 identity 1.
const clip = synthClip({ shots: 4, shotFrames: [24, 30], identities: 3, perShot: [1, 1], seed: 7 });
const video = join(tmp, 'unseen-ep.mp4');
// A second episode in a folder with a space, its name with a quote: nobody is found in its shot 0.
const clip2 = synthClip({ shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 1], seed: 3 });
const video2 = join(tmp, 'my eps', "it's ep 2.mp4");
const other = join(tmp, 'unseen-other.mp4');
// A 4:3 episode (told apart from `clip` by its frames' shape): someone is found in each of its shots.
const seenClip = synthClip({ width: 320, height: 240, shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 1], seed: 3 });
const seen = join(tmp, 'unseen-seen.mp4');
/** The app's m:ss.s (src/app/ui/api.js, a browser module without DOM use at load). */
let time: (s: number) => string;

before(async () => {
  mkdirSync(dirname(video2), { recursive: true });
  await writeSynthClip(video, clip);
  await writeSynthClip(video2, clip2);
  await writeSynthClip(other, synthClip({ shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 1], seed: 3 }));
  await writeSynthClip(seen, seenClip);
  ({ time } = await import(pathToFileURL(join(here, '..', '..', 'src', 'app', 'ui', 'api.js')).href));
});

/** A workspace of its own with `video` analysed (nobody found in shot 1) and the series' labels. */
async function analysed(name: string): Promise<{ ws: Workspace; id: number }> {
  const ws = Workspace.open(join(tmp, name));
  await analyzeVideo(ws, video, { chain: [new BlindIn(clip, clip.shots[1])], rate: 6, width: clip.width });
  await analyzeSeries(ws, { epochs: 5, learn: false });
  return { ws, id: ws.videos().find((v) => v.path === video)!.id };
}

const notAnalysed = (path: string) => (e: unknown) => e instanceof ToonscopeError && e.file === path && /not analysed/.test(e.problem);

test('unseen: shots with nobody, or only tracks rejected by a person or by the classifier, in time order with a frame to look at inside', async () => {
  const { ws, id } = await analysed('unseen-1');
  try {
    const who = (shot: number) => spans(ws, { video: id }).filter((s) => s.shot === shot && !s.rejected);
    assert.equal(who(1).length, 0, 'the chain found nobody in shot 1');
    for (const s of [0, 2, 3]) assert.ok(who(s).length > 0, `someone was found in shot ${s}`);
    assert.deepEqual(unseen(ws, id).map((u) => u.shot), [1], 'only the empty shot before anything is rejected');

    // A person says shot 2's character is not a character: shot 2 has nobody standing now, shots 0 and 3 keep theirs.
    const [track] = spans(ws, { video: id }).filter((s) => s.shot === 2);
    await rejectCharacter(ws, track.cluster!);
    assert.deepEqual(who(2), [], 'every track of shot 2 is rejected');
    assert.ok(who(0).length > 0 && who(3).length > 0, 'the other shots keep a character (another cluster)');
    assert.deepEqual(unseen(ws, id).map((u) => u.shot), [1, 2], 'the empty shot and the rejected one, by time');

    // The classifier (no person) says shot 3's tracks are not a character: nobody stands there either.
    const three = [...new Set(spans(ws, { video: id }).filter((s) => s.shot === 3).map((s) => s.track))];
    assert.ok(three.length > 0);
    const decided = ws.db.prepare(`SELECT COUNT(*) n FROM decisions WHERE track IN (${three.join(',')})`).get() as { n: number };
    assert.equal(decided.n, 0, 'no person decided them');
    ws.db.prepare(`UPDATE labels SET name = NULL, rejected = 1, source = 'auto', confidence = 0.9 WHERE track IN (${three.join(',')})`).run();
    assert.deepEqual(who(3), [], "shot 3's tracks are rejected by the classifier");
    const list = unseen(ws, id);
    assert.deepEqual(list.map((u) => u.shot), [1, 2, 3], 'a rejection by the classifier counts as one by a person');

    const shots = loadShots(ws, id);
    for (const u of list) {
      const s = shots[u.shot];
      assert.deepEqual([u.start, u.end, u.firstFrame, u.lastFrame], [s.startTime, s.endTime, s.start, s.end], `shot ${u.shot}'s times and frames`);
      assert.ok(u.look >= s.start && u.look <= s.end, `frame ${u.look} lies in shot ${u.shot} (${s.start}-${s.end})`);
      // The middle of the frames analyze sampled there (the frames it looked at and found nobody on).
      const sampled = (ws.db.prepare('SELECT frame FROM samples WHERE video_id = ? AND frame BETWEEN ? AND ? ORDER BY frame').all(id, s.start, s.end) as { frame: number }[]).map((r) => r.frame);
      assert.ok(sampled.length >= 3, `shot ${u.shot} has sampled frames`);
      assert.equal(u.look, sampled[sampled.length >> 1], `shot ${u.shot} is looked at on its middle sampled frame`);
    }
    assert.throws(() => unseen(ws, id + 100), (e: unknown) => e instanceof ToonscopeError && /no video/.test(e.message));
    // A video whose shots were found but that analyze never looked at: nobody looked, which is not "nobody found".
    await detectShots(other, { workspace: ws });
    const shotsOnly = ws.videos().find((v) => v.id !== id)!;
    assert.equal(unseenShots(ws, shotsOnly.id), null);
    assert.throws(() => unseen(ws, shotsOnly.id), notAnalysed(shotsOnly.path));
  } finally {
    ws.close();
  }
});

test('unseen: nothing while an analysis is under way or was killed; a shot with a frame not looked at yet is left out', async () => {
  const { ws, id } = await analysed('unseen-2');
  try {
    assert.deepEqual(unseenShots(ws, id)?.map((u) => u.shot), [1]);
    const detect = ws.db.prepare("SELECT params FROM stages WHERE video_id = ? AND stage = 'analyze:detect'").get(id) as { params: string };
    const setDetect = (status: 'running' | 'done') => ws.setStage(id, 'analyze:detect', JSON.parse(detect.params), status);
    // A re-analysis killed after it reset shot 0 (as after a teach there) and before it looked again: the tracks
    // stage still says done, of rows that are gone.
    resetShot(ws, id, 0);
    setDetect('running');
    assert.equal((ws.db.prepare("SELECT status FROM stages WHERE video_id = ? AND stage = 'analyze:tracks'").get(id) as { status: string }).status, 'done');
    assert.equal(unseenShots(ws, id), null, 'no list: shot 0 was not looked at again yet');
    assert.throws(() => unseen(ws, id), notAnalysed(video));
    // Another chain or width: every appearance deleted and every sample pending, the tracks stage untouched.
    ws.db.prepare('DELETE FROM appearances WHERE video_id = ?').run(id);
    ws.db.prepare('UPDATE samples SET done = 0 WHERE video_id = ?').run(id);
    assert.equal(unseenShots(ws, id), null);
  } finally {
    ws.close();
  }

  // A frame taught in the empty shot since the last analyze: that shot waits for the next one, the rest stands.
  const fresh = await analysed('unseen-2b');
  try {
    const s1 = clip.shots[1];
    const r = await teach(fresh.ws, video, s1.start + 3, [10, 10, 40, 60]);
    assert.equal(r.shot, 1);
    assert.equal((fresh.ws.db.prepare('SELECT done FROM samples WHERE video_id = ? AND frame = ?').get(fresh.id, s1.start + 3) as { done: number }).done, 0, 'a sample not looked at yet');
    assert.deepEqual(unseen(fresh.ws, fresh.id), [], 'shot 1 is left out until analyze has looked at its taught frame');
  } finally {
    fresh.ws.close();
  }
});

test('unseen: appearances and samples are matched to the current shots by frame, not by the shot numbers analyze stored', async () => {
  const { ws, id } = await analysed('unseen-3');
  try {
    // `toonscope shots` redone (another width, a crop): shot 0 (frames 0-23) is now three shots, 0-11, 12-21 and
    // 22-23, so every later shot's number moves up by 2. Frames 22-23 hold no sampled frame.
    const old = loadShots(ws, id);
    assert.deepEqual([old[0].start, old[0].end, old[1].start, old[1].end], [0, 23, 24, 49]);
    const at = (f: number) => f / clip.fps;
    const cut = (a: number, b: number, index: number) => ({ ...old[0], index, start: a, end: b, startTime: at(a), endTime: at(b + 1) });
    const shots = [cut(0, 11, 0), cut(12, 21, 1), cut(22, 23, 2), ...old.slice(1).map((s) => ({ ...s, index: s.index + 2 }))];
    saveResult(ws, id, 'anime', loadTransitions(ws, id), shots);
    assert.deepEqual(loadShots(ws, id).map((s) => [s.start, s.end]), shots.map((s) => [s.start, s.end]));
    const sampled = (a: number, b: number) => (ws.db.prepare('SELECT frame FROM samples WHERE video_id = ? AND frame BETWEEN ? AND ? ORDER BY frame').all(id, a, b) as { frame: number }[]).map((r) => r.frame);
    assert.deepEqual(sampled(22, 23), [], 'no sampled frame in 22-23');
    const list = unseen(ws, id);
    // The empty shot (frames 24-49, now shot 3) on its middle sampled frame; 22-23, where no tracked row lies, on its
    // middle frame. The halves of old shot 0 keep the character tracked there.
    const s3 = sampled(24, 49);
    assert.deepEqual(list, [
      { shot: 2, start: at(22), end: at(24), firstFrame: 22, lastFrame: 23, look: 22 },
      { shot: 3, start: old[1].startTime, end: old[1].endTime, firstFrame: 24, lastFrame: 49, look: s3[s3.length >> 1] },
    ]);
  } finally {
    ws.close();
  }
});

test('app time and label unseen clock: m:ss.s rounded first', () => {
  assert.equal(time(59.97), '1:00.0');
  assert.equal(time(119.96), '2:00.0');
  assert.equal(time(61.25), '1:01.3');
  assert.equal(time(12.083), '0:12.1');
  assert.equal(time(0), '0:00.0');
});

test('label unseen: one line per shot of that video and the teach command to paste; --json; a video not analysed is a one-line error naming it as typed', async () => {
  const ws = Workspace.open(join(tmp, 'unseen-cli'));
  let id: number, id2: number;
  try {
    await analyzeVideo(ws, video, { chain: [new BlindIn(clip, clip.shots[1])], rate: 6, width: clip.width });
    await analyzeVideo(ws, video2, { chain: [new BlindIn(clip2, clip2.shots[0])], rate: 6, width: clip2.width });
    await analyzeSeries(ws, { epochs: 5, learn: false });
    await detectShots(other, { workspace: ws }); // in the workspace, never analysed
    id = ws.videos().find((v) => v.path === video)!.id;
    id2 = ws.videos().find((v) => v.path === video2)!.id;
  } finally {
    ws.close();
  }
  const read = Workspace.open(join(tmp, 'unseen-cli'));
  const [list, list2] = [unseen(read, id), unseen(read, id2)];
  read.close();
  assert.deepEqual([list.map((u) => u.shot), list2.map((u) => u.shot)], [[1], [0]], 'each episode has its own empty shot');
  // The real CLI in a process of its own: its stdout is its own (the test runner talks over this one's).
  const cli = (file: string, ...more: string[]) => spawnSync(process.execPath, [mainJs, 'label', 'unseen', file, '--workspace', join(tmp, 'unseen-cli'), ...more], { encoding: 'utf8', cwd: tmp });
  /** The words a shell makes of a command line (what pasting it runs). */
  const argv = (line: string) => {
    const r = spawnSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trimEnd().split('\n');
  };
  const lines = (l: typeof list) => l.map((u) => `shot ${u.shot}  ${time(u.start)}-${time(u.end)}  frames ${u.firstFrame}-${u.lastFrame}  look at frame ${u.look}`);

  // The workspace is not the one a pasted command would open by default: the hints name it.
  const W = join(tmp, 'unseen-cli');
  const ok = cli(video);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(ok.stdout.trimEnd().split('\n'), [...lines(list), `to teach one: toonscope label teach ${video} -w ${shellWord(W)} --frame ${list[0].look} --box X,Y,W,H --name NAME`]);
  // Seed 7's shot 1 is frames 24-49 at 24 fps: 1.0 s to 50/24 = 2.083 s.
  assert.deepEqual([clip.shots[1].start, clip.shots[1].end, clip.fps], [24, 49, 24]);
  assert.match(ok.stdout, /^shot 1 {2}0:01\.0-0:02\.1 {2}frames 24-49 {2}look at frame \d+\n/, 'times as m:ss.s');

  // The second episode: its own shots only; the path in the hint is one shell word.
  const ok2 = cli(video2);
  assert.equal(ok2.status, 0, ok2.stderr);
  const out2 = ok2.stdout.trimEnd().split('\n');
  assert.deepEqual(out2.slice(0, -1), lines(list2));
  const hint = out2.at(-1)!.replace(/^to teach one: /, '');
  assert.deepEqual(argv(hint), ['toonscope', 'label', 'teach', video2, '-w', W, '--frame', String(list2[0].look), '--box', 'X,Y,W,H', '--name', 'NAME'], 'the pasted hint parses as the path, one argument');

  const json = cli(video2, '--json');
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), { video: video2, unseen: list2 });

  // Not in the workspace, and in it but never analysed (typed relative to the working folder): the same line, the
  // file named as typed and the hint's path one shell word.
  for (const file of ['no such.mp4', 'unseen-other.mp4']) {
    const r = cli(file);
    assert.equal(r.status, 1, file);
    assert.equal(r.stdout, '');
    const m = /^toonscope: (.*?): not analysed in the workspace .*: run `(toonscope analyze .*)` first\n$/.exec(r.stderr);
    assert.ok(m, `one line: ${r.stderr}`);
    assert.equal(m[1], file, 'the file as typed');
    assert.deepEqual(argv(m[2]), ['toonscope', 'analyze', file, '-w', W]);
  }
});

test('analyze ends with where to teach: per video, how many shots have nobody, and the command that lists them', async () => {
  const { ws, id } = await analysed('unseen-hints');
  try {
    // A workspace other than the default names itself in the command; a video given twice is one line.
    const lines = teachHints(ws, [{ path: 'unseen-ep.mp4', videoId: id }, { path: 'unseen-ep.mp4', videoId: id }]);
    assert.deepEqual(lines, [`unseen-ep.mp4: nobody found in 1 of 4 shots: toonscope label unseen unseen-ep.mp4 -w ${shellWord(ws.dir)} lists them, with a frame to teach on`]);
    const was = process.env.TOONSCOPE_WORKSPACE;
    process.env.TOONSCOPE_WORKSPACE = ws.dir;
    try {
      assert.match(teachHints(ws, [{ path: 'unseen-ep.mp4', videoId: id }])[0], / label unseen unseen-ep\.mp4 lists/, 'the default here: no -w');
      process.env.TOONSCOPE_WORKSPACE = relative(process.cwd(), ws.dir);
      assert.match(teachHints(ws, [{ path: 'unseen-ep.mp4', videoId: id }])[0], / label unseen unseen-ep\.mp4 lists/, 'named relative to here: no -w');
    } finally {
      if (was === undefined) delete process.env.TOONSCOPE_WORKSPACE; else process.env.TOONSCOPE_WORKSPACE = was;
    }
    // The path as typed, one shell word; nothing said of a video where someone was found in every shot.
    assert.match(teachHints(ws, [{ path: "my eps/it's 1.mp4", videoId: id }])[0], / label unseen 'my eps\/it'\\''s 1\.mp4' -w /);
    ws.db.prepare("DELETE FROM shots WHERE video_id = ?").run(id);
    assert.deepEqual(teachHints(ws, [{ path: 'unseen-ep.mp4', videoId: id }]), [], 'no shots listed: no hint');
  } finally {
    ws.close();
  }
});

test('analyze --json: its teach field names, as typed, each video with shots where nobody was found, and no other', async () => {
  // `--detector blind`: the truth of `clip` (blind in its shot 1) on 320x180 frames, of `seenClip` on 320x240 ones.
  registerDetector('blind', () => {
    const [a, b] = [new BlindIn(clip, clip.shots[1]), new TruthBodies(seenClip)];
    return { name: 'truth', labels: ['body'], detect: (frame, prior, i) => (frame.height === seenClip.height ? b : a).detect(frame, prior, i) };
  });
  const W = join(tmp, 'unseen-json');
  // The video with an empty shot typed relative to here, the other one absolute.
  const typed = relative(process.cwd(), video);
  const r = await printed(['analyze', typed, seen, '-w', W, '--detector', 'blind', '--rate', '6', '--width', String(clip.width), '--epochs', '5', '--no-learn', '--json', '-q']);
  assert.equal(r.code, 0);
  const out = JSON.parse(r.out) as { videos: Array<{ videoId: number; shots: number }>; teach: string[] };
  assert.deepEqual(out.videos.map((v) => v.shots), [4, 2], 'both episodes analysed, their cuts found');
  const ws = Workspace.open(W);
  try {
    const [id, idSeen] = out.videos.map((v) => v.videoId);
    assert.deepEqual([unseen(ws, id).map((u) => u.shot), unseen(ws, idSeen)], [[1], []], 'nobody found in shot 1 of the first, someone in every shot of the other');
  } finally {
    ws.close();
  }
  assert.deepEqual(out.teach, [`${typed}: nobody found in 1 of 4 shots: toonscope label unseen ${shellWord(typed)} -w ${shellWord(W)} lists them, with a frame to teach on`]);
});
