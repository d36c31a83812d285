// Where nobody was found: `unseen` lists the shots of an analysed video with no
// character standing (nobody detected, or only a track rejected as "not a
// character"), each with a frame to look at inside it; `toonscope label unseen`
// prints them with the teach command to paste, and refuses a video not analysed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Workspace } from '../src/core/workspace.js';
import { ToonscopeError } from '../src/core/errors.js';
import type { Detection, Image } from '../src/core/types.js';
import type { CharacterDetector } from '../src/characters/types.js';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { detectShots } from '../src/shots/detect.js';
import { loadShots } from '../src/shots/store.js';
import { unseen, spans, rejectCharacter } from '../src/label/index.js';
import { tmp, writeSynthClip, TruthBodies } from './fixtures.js';

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

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const dir = join(tmp, 'unseen');
// One figure per shot; with seed 7 shot 0 has identity 0, shot 1 identity 1, shot 2 identity 2 and shot 3 identity 1.
const clip = synthClip({ shots: 4, shotFrames: [24, 30], identities: 3, perShot: [1, 1], seed: 7 });
const video = join(tmp, 'unseen-ep.mp4');
const other = join(tmp, 'unseen-other.mp4');
let ws: Workspace, id: number;

before(async () => {
  await writeSynthClip(video, clip);
  await writeSynthClip(other, synthClip({ shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 1], seed: 3 }));
  ws = Workspace.open(dir);
  await analyzeVideo(ws, video, { chain: [new BlindIn(clip, clip.shots[1])], rate: 6, width: clip.width });
  await analyzeSeries(ws, { epochs: 5, learn: false });
  id = ws.videos()[0].id;
  await detectShots(other, { workspace: ws }); // in the workspace, never analysed
});

after(() => ws.close());

test('unseen: shots with nobody, or only a rejected track, are listed in time order with a frame to look at inside', async () => {
  const who = (shot: number) => spans(ws, { video: id }).filter((s) => s.shot === shot && !s.rejected);
  assert.equal(who(1).length, 0, 'the chain found nobody in shot 1');
  for (const s of [0, 2, 3]) assert.ok(who(s).length > 0, `someone was found in shot ${s}`);
  assert.deepEqual(unseen(ws, id).map((u) => u.shot), [1], 'only the empty shot before anything is rejected');

  // A person says shot 2's character is not a character: shot 2 has nobody standing now, shots 0 and 3 keep theirs.
  const [track] = spans(ws, { video: id }).filter((s) => s.shot === 2);
  await rejectCharacter(ws, track.cluster!);
  assert.deepEqual(who(2), [], 'every track of shot 2 is rejected');
  assert.ok(who(0).length > 0 && who(3).length > 0, 'the other shots keep a character (another cluster)');
  const list = unseen(ws, id);
  assert.deepEqual(list.map((u) => u.shot), [1, 2], 'the empty shot and the rejected one, by time');

  const shots = loadShots(ws, id);
  for (const u of list) {
    const s = shots[u.shot];
    assert.deepEqual([u.start, u.end, u.firstFrame, u.lastFrame], [s.startTime, s.endTime, s.start, s.end], `shot ${u.shot}'s times and frames`);
    assert.ok(u.look >= s.start && u.look <= s.end, `frame ${u.look} lies in shot ${u.shot} (${s.start}-${s.end})`);
    // The middle of the frames analyze sampled there (the frames it looked at and found nobody on).
    const sampled = (ws.db.prepare('SELECT frame FROM samples WHERE video_id = ? AND shot = ? ORDER BY frame').all(id, u.shot) as { frame: number }[]).map((r) => r.frame);
    assert.ok(sampled.length >= 3, `shot ${u.shot} has sampled frames`);
    assert.equal(u.look, sampled[sampled.length >> 1], `shot ${u.shot} is looked at on its middle sampled frame`);
  }
  assert.throws(() => unseen(ws, id + 100), (e: unknown) => e instanceof ToonscopeError && /no video/.test(e.message));
  // A video whose shots were found but that analyze never looked at: nobody looked, which is not "nobody found".
  const shotsOnly = ws.videos().find((v) => v.id !== id)!;
  assert.throws(() => unseen(ws, shotsOnly.id), (e: unknown) => e instanceof ToonscopeError && e.file === shotsOnly.path && /not analysed/.test(e.problem));
});

test('label unseen: one line per shot and the teach command to paste; a video not analysed is a one-line error naming it', async () => {
  // The real CLI in a process of its own: its stdout is its own (the test runner talks over this one's).
  const cli = (file: string) => spawnSync(process.execPath, [mainJs, 'label', 'unseen', file, '--workspace', dir], { encoding: 'utf8' });
  const ok = cli(video);
  const unknown = cli(join(tmp, 'no-such.mp4'));
  const shotsOnly = cli(other);
  assert.equal(ok.status, 0, ok.stderr);
  const list = unseen(ws, id);
  assert.ok(list.length >= 1, 'the first test left shots with nobody');
  const clock = (t: number) => `${Math.floor(t / 60)}:${(t % 60).toFixed(1).padStart(4, '0')}`;
  const want = [
    ...list.map((u) => `shot ${u.shot}  ${clock(u.start)}-${clock(u.end)}  frames ${u.firstFrame}-${u.lastFrame}  look at frame ${u.look}`),
    `to teach one: toonscope label teach ${video} --frame ${list[0].look} --box X,Y,W,H --name NAME`,
  ];
  assert.deepEqual(ok.stdout.trimEnd().split('\n'), want);
  // Seed 7's shot 1 is frames 24-49 at 24 fps: 1.0 s to 50/24 = 2.083 s.
  assert.deepEqual([clip.shots[1].start, clip.shots[1].end, clip.fps], [24, 49, 24]);
  assert.match(ok.stdout, /^shot 1 {2}0:01\.0-0:02\.1 {2}frames 24-49 {2}look at frame \d+\n/, 'times as m:ss.s');
  for (const [r, file] of [[unknown, join(tmp, 'no-such.mp4')], [shotsOnly, other]] as const) {
    assert.equal(r.status, 1, file);
    assert.equal(r.stdout, '');
    const quoted = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(r.stderr, new RegExp(`^toonscope: ${quoted}: not analysed in the workspace .*: run \`toonscope analyze ${quoted}\` first\n$`), 'one line naming the file');
  }
});
