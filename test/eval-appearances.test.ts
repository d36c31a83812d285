// `eval appearances` on a drawn clip whose truth is known exactly: a chain that
// finds only some identities must score as such (recall per character, false
// appearances, pictures), teaching must put one box on each missed character,
// and a bad truth file is a one-line error naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { checkTargets, evalAppearances, formatCauses, formatRuns, formatSizes, judgedByShot, missCause, readAppearanceTruth, sizeOf, type RunScore, type TruthClip } from '../src/analyze/eval-appearances.js';
import { ToonscopeError } from '../src/core/errors.js';
import { tmp, writeSynthClip, TruthBodies } from './fixtures.js';

const clip: SynthClip = synthClip({ shots: 2, shotFrames: [24, 30], identities: 2, perShot: [2, 2], seed: 3 });
const name = 'evalapp.mp4';

/** Truth on every 6th frame: every character more than half visible; `partialId` marked as a sliver. */
function truthFile(partialId?: number): string {
  const frames: TruthClip['frames'] = [];
  for (let f = 0; f < clip.frames; f += 6) {
    frames.push({
      frame: f,
      characters: clip.render(f).truth.filter((t) => t.visible > 0.5).map((t) => ({ name: `c${t.identity}`, body: t.box.map(Math.round) as [number, number, number, number], ...(t.identity === partialId ? { partial: true } : {}) })),
    });
  }
  const file = join(tmp, `evalapp-${partialId ?? 'all'}.truth.json`);
  writeFileSync(file, JSON.stringify({ about: 'test', clips: [{ video: name, series: 'drawn', frames }] }));
  return file;
}

test('eval appearances: recall per character, false appearances and pictures; teaching covers each missed character', async () => {
  await writeSynthClip(join(tmp, name), clip);
  const ids = new Set(Array.from({ length: clip.frames }, (_, f) => clip.render(f).truth.map((t) => t.identity)).flat());
  assert.equal(ids.size, 2, 'the clip has two identities');
  const out = join(tmp, 'evalapp-out');
  // The chain reports identity 0 exactly and never identity 1; the learned pass is off, so what is scored is the chain.
  const res = await evalAppearances(truthFile(), { data: [tmp], out, teach: true, chain: [new TruthBodies(clip, { keep: (id) => id === 0 })], rate: 4, width: clip.width, epochs: 2, learn: false });
  const [zero, taught] = res.runs;
  const c0 = zero.characters.find((c) => c.name === 'c0')!, c1 = zero.characters.find((c) => c.name === 'c1')!;
  assert.ok(c0.truth > 0 && c1.truth > 0, 'both characters have truth boxes');
  assert.ok(c0.recall >= 0.9, `the found character is found: ${c0.found} of ${c0.truth}`);
  assert.equal(c0.byChain, true);
  assert.equal(c1.found, 0, 'the character the chain never reports is not found');
  assert.equal(zero.clips[0].falsePositives, 0, 'exact boxes are no false appearances');
  assert.equal(zero.clips[0].precision, 1);
  assert.ok(existsSync(zero.clips[0].picture) && existsSync(res.report), 'a picture per clip and an HTML report');
  // Recall per figure size: every drawn character here is over half the frame's height, so all of the clip's boxes,
  // found or not, are counted in the last size and none in the others.
  const heights = readAppearanceTruth(truthFile()).flatMap((c) => c.frames.flatMap((f) => f.characters.map((ch) => sizeOf(ch.body[3], clip.height))));
  assert.ok(heights.length && heights.every((k) => k === 2), 'the fixture draws large figures only');
  assert.deepEqual(zero.clips[0].bySize, [{ upTo: 0.25, truth: 0, found: 0 }, { upTo: 0.5, truth: 0, found: 0 }, { upTo: null, truth: zero.clips[0].truth, found: zero.clips[0].found }]);
  // Why misses were missed is what the learned pass saw: with it off, nothing is said.
  assert.equal(zero.clips[0].missedBy, undefined);
  assert.doesNotMatch(formatRuns(res.runs), /misses by cause/);
  assert.ok(existsSync(join(out, 'report.json')));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).map((r: { targets: { checked: unknown[] } }) => r.targets.checked.length), [1, 2], 'report.json checks c0 with zero clicks, both taught');
  assert.equal(res.targets[0].met, 1, 'the found character meets the zero-click target');
  // One taught box, on the missed character only; her taught box is not scored.
  assert.deepEqual(taught.taught.map((t) => t.name), ['c1']);
  const t1 = taught.characters.find((c) => c.name === 'c1')!;
  assert.equal(t1.truth, c1.truth - 1, 'the taught box itself is not scored');
  assert.deepEqual(taught.clips[0].bySize.map((b) => [b.truth, b.found]), [[0, 0], [0, 0], [taught.clips[0].truth, taught.clips[0].found]], 'nor is it counted by size');
  // A sliver at the edge is not counted either way: marking identity 1 partial leaves only identity 0 scored.
  const part = await evalAppearances(truthFile(1), { data: [tmp], out: join(tmp, 'evalapp-partial'), chain: [new TruthBodies(clip, { keep: () => true })], rate: 4, width: clip.width, epochs: 2, learn: false });
  assert.deepEqual(part.runs[0].characters.map((c) => c.name), ['c0']);
  assert.equal(part.runs[0].clips[0].falsePositives, 0, 'found boxes on the partial character are not false');
});

test('eval appearances: --teach-partial also teaches a character found under the target, on a view zero clicks missed', async () => {
  await writeSynthClip(join(tmp, name), clip);
  // The chain finds identity 0 in the first shot only and identity 1 nowhere.
  const cut = clip.shots[1].start;
  const chain = () => [new TruthBodies(clip, { keep: (id, f) => id === 0 && f < cut })];
  const opts = { data: [tmp], rate: 4, width: clip.width, epochs: 2, learn: false };
  const res = await evalAppearances(truthFile(), { ...opts, chain: chain(), out: join(tmp, 'evalapp-part'), teach: true, teachPartial: true });
  const [zero, taught] = res.runs;
  const c0 = zero.characters.find((c) => c.name === 'c0')!;
  assert.ok(c0.found > 0 && c0.recall < 0.9, `identity 0 is found, under the target: ${c0.found} of ${c0.truth}`);
  assert.equal(taught.partial, true);
  assert.deepEqual(taught.taught.map((t) => t.name).sort(), ['c0', 'c1'], 'both are taught: the one never found and the one under the target');
  const t0 = taught.taught.find((t) => t.name === 'c0')!;
  assert.ok(t0.frame >= cut, `her box is on a view zero clicks missed (the second shot), not on frame ${t0.frame}`);
  // Of her missed views, the largest (the taught box is that view cut to the frame).
  const views = readAppearanceTruth(truthFile())[0].frames.flatMap((f) => f.characters.filter((c) => c.name === 'c0').map((c) => ({ frame: f.frame, body: c.body })));
  const largest = views.filter((v) => v.frame >= cut).reduce((a, v) => (v.body[2] * v.body[3] > a.body[2] * a.body[3] ? v : a));
  assert.equal(t0.frame, largest.frame);
  assert.ok(views.some((v) => v.frame < cut && v.body[2] * v.body[3] > largest.body[2] * largest.body[3]), 'a found view is larger: the rule, not the largest view overall, put it there');
  assert.match(formatRuns(res.runs), /taught \(every character never found or found under the recall target\)/);
  // Plain --teach teaches only the character never found.
  const plain = await evalAppearances(truthFile(), { ...opts, chain: chain(), out: join(tmp, 'evalapp-plain'), teach: true });
  assert.deepEqual(plain.runs[1].taught.map((t) => t.name), ['c1']);
  assert.equal(plain.runs[1].partial, undefined);
  assert.match(formatRuns(plain.runs), /taught \(every character never found\)/);
});

test('eval appearances: with the learned pass, each zero-click miss has a cause from what it judged', async () => {
  await writeSynthClip(join(tmp, name), clip);
  // At half the source's width, so boxes told in the video's pixels are scaled back from the analysis size.
  const res = await evalAppearances(truthFile(), { data: [tmp], out: join(tmp, 'evalapp-learn'), chain: [new TruthBodies(clip, { keep: (id) => id === 0 })], rate: 4, width: Math.round(clip.width / 2), epochs: 2, teach: true });
  const [zero, taught] = res.runs.map((r) => r.clips[0]);
  const missed = zero.truth - zero.found;
  assert.ok(missed > 0, 'the chain misses identity 1 and the learned pass not all of her');
  const by = zero.missedBy!;
  assert.equal(by.noMap, 0, 'a series map was learnt from identity 0');
  assert.equal(by.shotTurnedDown + by.noCandidate + by.elsewhere + by.turnedDown, missed, 'every miss has one cause');
  assert.ok(by.shotTurnedDown + by.noCandidate < missed, `the learned pass judged candidates on some missed frames: ${JSON.stringify(by)}`);
  assert.match(formatRuns(res.runs), /misses by cause \(as the learned pass saw them\): no series map 0,/);
  assert.equal(taught?.missedBy, undefined, 'the taught run looks again only where its boxes change something: no causes');
});

test('eval appearances: a miss is put down to what the learned pass judged on her frame', () => {
  const her = { name: 'a', body: [100, 50, 80, 200] as [number, number, number, number] };
  const onHer = { box: [104, 52, 78, 196] as [number, number, number, number], kept: false };
  const beside = { box: [300, 50, 80, 200] as [number, number, number, number], kept: false };
  assert.equal(missCause(her, [onHer, beside], false), 'noMap', 'no series map: nothing else to say');
  assert.equal(missCause(her, [], true), 'noCandidate');
  // Nothing on her frame: her shot's candidates say whether the map lit nothing there or the likeness test refused it.
  assert.equal(missCause(her, [], true, [beside, onHer]), 'shotTurnedDown', 'all in her shot turned down: the shot is not looked at further');
  assert.equal(missCause(her, [], true, [beside, { ...onHer, kept: true }]), 'noCandidate', 'her shot kept someone: her frame was looked at, and not lit');
  assert.equal(missCause(her, [beside], true, [beside, onHer]), 'elsewhere', 'her frame had candidates: they speak');
  // Her shot's candidates: every judged frame's, gathered by the shot it is in (a frame of no known shot left out).
  const shots = judgedByShot(new Map([[10, [onHer]], [12, [beside]], [30, [{ ...beside, kept: true }]], [99, [onHer]]]), new Map([[10, 1], [11, 1], [12, 1], [30, 2]]));
  assert.deepEqual([...shots.keys()], [1, 2]);
  assert.deepEqual(shots.get(1), [onHer, beside]);
  assert.equal(missCause(her, [], true, shots.get(1)), 'shotTurnedDown', 'frame 11 of shot 1: nothing on it, both judged in its shot turned down');
  assert.equal(missCause(her, [], true, shots.get(2)), 'noCandidate');
  assert.equal(missCause(her, [beside], true), 'elsewhere');
  assert.equal(missCause(her, [beside, onHer], true), 'turnedDown');
  // Kept on her yet a miss (the box went to someone else in the matching): not turned down.
  assert.equal(missCause(her, [{ ...onHer, kept: true }], true), 'elsewhere');
  // Half her box is not her: a candidate overlapping her at IoU under 0.5 is elsewhere.
  assert.equal(missCause(her, [{ box: [140, 50, 80, 200], kept: false }], true), 'elsewhere');
  const clip = (missedBy?: { noMap: number; shotTurnedDown: number; noCandidate: number; elsewhere: number; turnedDown: number }) => ({ video: 'v', series: 's', truth: 9, found: 2, appearances: 2, falsePositives: 0, precision: 1, picture: '', falseByPass: [0, 0] as [number, number], bySize: [], ...(missedBy ? { missedBy } : {}) });
  assert.equal(formatCauses([clip()]), '', 'a run without causes prints none');
  assert.equal(formatCauses([clip({ noMap: 1, shotTurnedDown: 2, noCandidate: 2, elsewhere: 3, turnedDown: 1 }), clip(), clip({ noMap: 0, shotTurnedDown: 0, noCandidate: 1, elsewhere: 0, turnedDown: 0 })]),
    'misses by cause (as the learned pass saw them): no series map 1, none on her frame and all in her shot turned down 2, no candidate on her frame 3, candidates only elsewhere on it 3, one on her turned down 1');
});

test('eval appearances: each run checked against its target, per character', () => {
  const ch = (series: string, name: string, recall: number, byChain: boolean, purity = 1, own = true) => ({ series, name, truth: 10, found: Math.round(recall * 10), recall, cluster: 0, purity, own, byChain });
  const clip = (series: string, found: number, appearances: number) => ({ video: `${series}.mp4`, series, truth: 10, found, appearances, falsePositives: appearances - found, precision: found / appearances, picture: '', falseByPass: [0, appearances - found] as [number, number], bySize: [{ upTo: 0.25, truth: 4, found: 1 }, { upTo: 0.5, truth: 0, found: 0 }, { upTo: null, truth: 6, found: Math.min(6, found) }] });
  const zero: RunScore = { mode: 'zero clicks', taught: [], characters: [ch('a', 'met', 0.8, true), ch('a', 'low', 0.7, true), ch('a', 'never', 0, false), ch('b', 'noisy', 1, true)], clips: [clip('a', 15, 15), clip('b', 9, 10)] };
  const z = checkTargets(zero);
  assert.deepEqual(z.checked.map((c) => c.name), ['met', 'low', 'noisy'], 'zero clicks covers the characters the chain found once');
  assert.equal(z.met, 1);
  assert.match(z.checked[1].misses.join(), /recall 70\.0%/);
  assert.match(z.checked[2].misses.join(), /series precision 90\.0%/);
  const taught: RunScore = { ...zero, mode: 'taught', characters: [ch('a', 'met', 0.9, false), ch('a', 'mixed', 1, true, 0.9), ch('a', 'shared', 1, true, 1, false), ch('a', 'low', 0.85, true)] };
  const t = checkTargets(taught);
  assert.equal(t.checked.length, 4, 'taught covers every character');
  assert.deepEqual(t.checked.map((c) => c.misses.length), [0, 1, 1, 1]);
  assert.match(t.checked[1].misses.join(), /purity 90\.0%/);
  assert.match(t.checked[2].misses.join(), /no cluster of her own/);
  assert.match(checkTargets({ ...taught, clips: [clip('a', 9, 10), clip('b', 9, 10)] }).checked[0].misses.join(), /series precision 90\.0%/, 'taught: precision too');
  assert.match(formatRuns([{ ...zero, characters: [ch('a', 'never', 0, false)] }]), /nobody to check/);
  // Recall per figure size, over all clips of the run: 1 + 1 of 8 small ones, none of the middle size, 6 + 6 of 12 large.
  assert.equal(formatSizes(zero.clips), "recall by figure height (share of the frame's): under 1/4: 2 of 8 (25.0%); 1/4 to 1/2: 0 of 0; 1/2 and over: 12 of 12 (100.0%)");
  assert.match(formatRuns([zero]), /under 1\/4: 2 of 8/);
  assert.deepEqual([sizeOf(179, 720), sizeOf(180, 720), sizeOf(359, 720), sizeOf(360, 720), sizeOf(720, 720)], [0, 1, 1, 2, 2], 'a quarter and a half of the height start the next size');
  assert.match(formatRuns([zero, taught]), /met for 1 of 3[\s\S]*missed: a low: recall 70\.0% < 80\.0%[\s\S]*met for 1 of 4/);
});

test('eval appearances: a bad truth file is a one-line error naming the field', () => {
  const bad = join(tmp, 'evalapp-bad.truth.json');
  const doc = JSON.parse(readFileSync(truthFile(), 'utf8'));
  doc.clips[0].frames[0].characters.push({ name: 'x', body: [1, 2, 0, 4] });
  writeFileSync(bad, JSON.stringify(doc));
  assert.throws(() => readAppearanceTruth(bad), (e: unknown) => e instanceof ToonscopeError && /clips\[0\]\.frames\[0\]\.characters\[\d+\]\.body/.test(e.message) && !e.message.includes('\n'));
  writeFileSync(bad, '{"clips": [');
  assert.throws(() => readAppearanceTruth(bad), (e: unknown) => e instanceof ToonscopeError && /not readable JSON/.test(e.message));
});
