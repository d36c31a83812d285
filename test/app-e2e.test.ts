// End to end: a real workspace (two analysed episodes of drawn characters),
// the app, and Debian's chromium driven by playwright-core. A person names a
// cluster, jumps through its appearances, teaches a box, merges, rejects and splits; the
// page and the database must both show the new labels. Then a "Nobody found" block opens the
// teach panel on a frame of its shot.
// Skips when chromium is missing, except under .ci/run (TOONSCOPE_E2E=1), where that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type Page } from 'playwright-core';
import { listCharacters, spans, unseen } from '../src/label/index.js';
import { taughtBoxes } from '../src/analyze/learn.js';
import { startApp } from '../src/app/index.js';
import { castWorkspace } from './app-fixture.js';
import { tmp, writeSynthClip } from './fixtures.js';
import { synthClip } from '../src/dictionary/synth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { loadShots } from '../src/shots/store.js';
import { detectShots } from '../src/shots/detect.js';

const browser = process.env.TOONSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.TOONSCOPE_E2E === '1';
const missing = !existsSync(browser);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Names on the dictionary page, as the person sees them. */
const shown = (page: Page) => page.$$eval('.card', (cs) => cs.map((c) => [Number((c as HTMLElement).dataset.id), (c.querySelector('input[name=name]') as HTMLInputElement).value, c.querySelector('.badge')!.textContent]));

test('app e2e: name, jump through appearances, teach a box, merge, reject and split, teach where nobody was found in headless chromium', {
  skip: missing && !required ? `chromium not found at ${browser} (apt-get install chromium; .ci/run installs it and sets TOONSCOPE_E2E=1)` : false,
}, async () => {
  assert.ok(!missing, `TOONSCOPE_E2E=1 but chromium is missing at ${browser}`);
  const dir = join(tmp, 'app-e2e');
  mkdirSync(dir, { recursive: true });
  const { ws } = await castWorkspace(dir);
  // A third episode, analysed by a chain that finds nobody: no tracks, every shot a shot where nobody was found.
  const emptyClip = synthClip({ shots: 2, shotFrames: [24, 30], identities: 1, perShot: [1, 1], seed: 5 });
  const emptyVideo = join(dir, 'ep3.mp4');
  await writeSynthClip(emptyVideo, emptyClip);
  await analyzeVideo(ws, emptyVideo, { chain: [{ name: 'none', labels: ['body'], detect: async () => [] }], rate: 6, width: emptyClip.width });
  const empty = ws.videos().find((v) => v.path === emptyVideo)!.id;
  // And a fourth whose shots were found but that analyze never looked at.
  const unlookedVideo = join(dir, 'ep4.mp4');
  await writeSynthClip(unlookedVideo, emptyClip);
  await detectShots(unlookedVideo, { workspace: ws });
  const unlooked = ws.videos().find((v) => v.path === unlookedVideo)!.id;
  const app = await startApp(ws, { port: 0 });
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'toonscope-chromium-')), {
    executablePath: browser, headless: true, args: ARGS, viewport: { width: 1280, height: 860 },
  });
  const errors: string[] = [];
  const shots = process.env.TOONSCOPE_SHOTS;
  const snap = async (page: Page, name: string) => { if (shots) await page.screenshot({ path: join(shots, `app-${name}.png`), fullPage: true }); };
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const before = listCharacters(ws);
    assert.ok(before.length >= 3, `the fixture gives at least 3 clusters (got ${before.length})`);
    const [a, b, c] = before.map((x) => x.id);
    const card = (id: number) => `.card[data-id="${id}"]`;

    await page.goto(app.url);
    await page.waitForSelector('.card');
    const biggest = [...before].sort((x, y) => y.appearances - x.appearances || x.id - y.id).map((x) => x.id);
    assert.deepEqual((await shown(page)).map((r) => r[0]), biggest, 'one card per cluster, biggest first');
    assert.ok((await shown(page)).every((r) => r[1] === '' && r[2] === 'unnamed'));
    await snap(page, 'dictionary');

    // Name A from the keyboard: Enter saves and moves to the next card's name field.
    await page.focus(`${card(a)} input[name=name]`);
    await page.keyboard.type('Akane');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${card(a)}.named`);
    assert.equal(await page.inputValue(`${card(a)} input[name=name]`), 'Akane');
    const next = (await shown(page)).map((r) => r[0]);
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.card')?.getAttribute('data-id')), String(next[next.indexOf(a) + 1] ?? next[next.indexOf(a) - 1]), 'focus moved on to the next card');
    await page.waitForFunction(() => /[1-9]\d* named/.test(document.getElementById('summary')!.textContent ?? ''));
    assert.equal(listCharacters(ws).find((x) => x.id === a)!.name, 'Akane', 'the database has the name');
    const ownA = spans(ws, { cluster: a });
    assert.ok(ownA.every((s) => s.label === 'Akane' && s.source === 'person'), 'every track of the named cluster is labelled');
    const bBefore = spans(ws, { cluster: b });
    assert.ok(bBefore.every((s) => s.label !== 'Akane'), 'another identity is not forced into the name');

    // Export: the files land in the workspace and the toast links to them.
    await page.click('#export');
    await page.waitForSelector('#toast a');
    const link = await page.getAttribute('#toast a[href$="labels.csv"]', 'href');
    assert.equal(link, '/files/export/labels.csv');
    const csv = await (await fetch(new URL(link!, app.url))).text();
    assert.ok(csv.split('\n').some((l) => l.includes(',Akane,')), 'the exported CSV has the name');

    // The character page: next / j jump the video to each span's start.
    await page.click(`${card(a)} a.button`);
    await page.waitForSelector('#next');
    const all = spans(ws, { cluster: a });
    for (const [i, go] of [[0, () => page.click('#next')], [1, () => page.keyboard.press('j')]] as const) {
      await go();
      const want = all[i].start;
      await page.waitForFunction((t) => { const v = document.querySelector('video')!; return v.readyState >= 1 && Math.abs(v.currentTime - t) < 0.1; }, want);
      assert.match(await page.textContent('.caption') ?? '', new RegExp(`^${i + 1} / ${all.length} .*Akane`));
      assert.equal(await page.$$eval('.thumb.on', (t) => t.length), 1);
      await page.waitForFunction(() => [...document.querySelectorAll('.boxes .box')].some((b) => b.textContent === 'Akane'), undefined, { timeout: 5000 });
    }
    assert.equal(await page.$$eval('.thumb', (t) => t.length), all.length, 'one thumbnail per span');
    await snap(page, 'character');

    // The episode page: one lane per label, as the database says.
    const ep = all[0].video;
    await page.goto(`${app.url}#/episode/${ep}`);
    await page.waitForSelector('.lane[data-lane]');
    const lanes = async () => (await page.$$eval('.lane[data-lane]', (ls) => ls.map((l) => (l as HTMLElement).dataset.lane!))).sort();
    const expectLanes = () => [...new Set(spans(ws, { video: ep }).map((s) => s.label ?? (s.rejected ? 'not a character' : `#${s.cluster} (unnamed)`)))].sort();
    assert.deepEqual(await lanes(), expectLanes());
    assert.ok((await lanes()).includes('Akane'));
    await page.click('.lane[data-lane="Akane"] .block');
    await page.waitForFunction(() => /On screen: .*Akane/.test(document.querySelector('.now')!.textContent ?? ''));
    await snap(page, 'episode');

    // Teach: pause on a frame, drag one box around a character, name her, save.
    const info = ws.video(ep)!;
    // In shot 0, where others stand too: a shot with a frame taught since the last analyze is not one where "nobody was
    // found" (it is looked at again first), and the "Nobody found" part below needs the shot where only C stands.
    const f = 20;
    // Late in frame f's interval (floor, not round), and a taller element so the picture is letterboxed.
    await page.evaluate(([f, fps]) => { const v = document.querySelector('video')!; v.pause(); v.style.height = `${v.clientHeight + 80}px`; v.currentTime = (f + 0.9) / fps; }, [f, info.fps]);
    await page.waitForFunction((t) => { const v = document.querySelector('video')!; return !v.seeking && Math.abs(v.currentTime - t) < 1e-3; }, (f + 0.9) / info.fps);
    await page.click('#teach');
    assert.equal(await page.textContent('#teach-frame'), String(f), 'the frame on screen');
    await page.waitForFunction((t) => Math.abs(document.querySelector('video')!.currentTime - t) < 1e-3, (f + 0.5) / info.fps); // snapped to its middle
    // The test maps video pixels to the screen itself: the picture is letterboxed inside the element (object-fit: contain).
    const geo = await page.evaluate(() => { const v = document.querySelector('video')!; const r = v.getBoundingClientRect(); return { left: r.left, top: r.top, cw: v.clientWidth, ch: v.clientHeight, vw: v.videoWidth, vh: v.videoHeight }; });
    const k = Math.min(geo.cw / geo.vw, geo.ch / geo.vh);
    const scale = (geo.vw * k) / info.width;
    const screen = (x: number, y: number) => [geo.left + (geo.cw - geo.vw * k) / 2 + x * scale, geo.top + (geo.ch - geo.vh * k) / 2 + y * scale] as const;
    const want = [Math.round(info.width * 0.3), Math.round(info.height * 0.2), Math.round(info.width * 0.25), Math.round(info.height * 0.5)];
    assert.ok(await page.isDisabled('#teach-save'), 'nothing to save before a box is drawn');
    await page.mouse.move(...screen(want[0], want[1]));
    await page.mouse.down();
    await page.mouse.move(...screen(want[0] + want[2], want[1] + want[3]), { steps: 6 });
    await page.mouse.up();
    await page.fill('input[name=teach-name]', 'Hana');
    assert.ok((geo.ch - geo.vh * k) / 2 > 10, 'the picture is letterboxed');
    await snap(page, 'teach');
    await page.click('#teach-save');
    await page.waitForSelector('.teach-note code');
    assert.match(await page.textContent('#toast') ?? '', new RegExp(`Taught frame ${f}: run toonscope analyze`));
    const taught = taughtBoxes(ws, ep);
    assert.equal(taught.length, 1, 'one taught box in the database');
    assert.equal(taught[0].frame, f);
    assert.equal(taught[0].name, 'Hana');
    const slack = 1 / scale + 1; // a screen pixel in video pixels, plus rounding
    assert.ok(taught[0].box.every((v, i) => Math.abs(v - want[i]) <= slack), `taught box ${taught[0].box} is the dragged ${want} (±${slack.toFixed(1)} px)`);
    // The taught box is drawn on its frame: paint on the canvas along its top edge.
    const painted = await page.evaluate(([x, y, w]) => {
      const c = document.querySelector('canvas.teach') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(Math.round(x), Math.round(y), Math.max(1, Math.round(w)), 1).data;
      return px.some((v, i) => i % 4 === 3 && v > 0);
    }, [screen(want[0], want[1])[0] - geo.left, screen(want[0], want[1])[1] - geo.top, want[2] * scale]);
    assert.ok(painted, 'the taught box is drawn over the video');

    // Merge B into A: select A (click) then B (x), the first selected is kept; press Merge.
    await page.goto(app.url);
    await page.waitForSelector(card(b));
    assert.ok(await page.isDisabled('#merge'), 'merge is disabled until two are selected');
    await page.check(`${card(a)} .pick input`);
    assert.ok(await page.isDisabled('#merge'), 'still disabled with one selected');
    await page.focus(card(b));
    await page.keyboard.press('x'); // the keyboard selects too
    await page.waitForSelector(`${card(b)}.picked`);
    assert.ok(await page.isChecked(`${card(b)} .pick input`));
    await page.click('#merge');
    await page.waitForSelector(card(b), { state: 'detached' });
    const merged = listCharacters(ws);
    assert.ok(!merged.some((x) => x.id === b), 'B is gone from the database');
    assert.equal(merged.find((x) => x.id === a)!.tracks, before[0].tracks + before[1].tracks);
    const bNow = spans(ws).filter((s) => bBefore.some((o) => o.track === s.track));
    assert.ok(bNow.length === bBefore.length && bNow.every((s) => s.label === 'Akane'), "B's tracks are now labelled Akane");
    assert.match(await page.textContent(`${card(a)} .counts`) ?? '', new RegExp(`^${before[0].tracks + before[1].tracks} tracks`));
    await page.goto(`${app.url}#/episode/${ep}`);
    await page.waitForSelector('.lane[data-lane]');
    assert.deepEqual(await lanes(), expectLanes(), 'the episode lanes follow the merge');

    // "Not a character" on C, with the keyboard: focus its card, press r.
    await page.goto(app.url);
    await page.waitForSelector(card(c));
    await page.focus(card(c));
    await page.keyboard.press('r');
    await page.waitForSelector(`${card(c)}.rejected`);
    assert.equal(listCharacters(ws).find((x) => x.id === c)!.status, 'rejected');
    assert.ok(spans(ws, { cluster: c }).every((s) => s.rejected && s.label === null));

    // Split A: both parts come back unnamed.
    await page.click(`${card(a)} button:has-text("Split")`);
    await page.waitForFunction((n) => document.querySelectorAll('.card').length === n, merged.length + 1);
    const after = listCharacters(ws);
    assert.equal(after.length, merged.length + 1);
    assert.ok(after.filter((x) => x.id !== c).every((x) => x.status === 'auto' && x.name === null), 'split parts are unnamed');
    assert.ok((await shown(page)).filter((r) => r[0] !== c).every((r) => r[1] === '' && r[2] === 'unnamed'), 'and the page shows it');
    await snap(page, 'dictionary-after');

    // Nobody found: with C rejected, shots of the episode where only C stood have no character standing.
    const none = unseen(ws, ep);
    assert.ok(none.length > 0, 'rejecting C left a shot of the episode with nobody standing');
    const standing = new Set(spans(ws, { video: ep }).filter((s) => !s.rejected).map((s) => s.shot));
    assert.ok(none.every((u) => !standing.has(u.shot)), 'nobody stands in a shot listed');
    await page.goto(`${app.url}#/episode/${ep}`);
    await page.waitForSelector('.lane.unseen .block');
    assert.deepEqual(await lanes(), expectLanes(), 'the lanes of characters are as they were');
    const blocks = await page.$$eval('.lane.unseen .block', (bs) => bs.map((b) => [Number((b as HTMLElement).dataset.shot), b.getAttribute('title'), getComputedStyle(b).backgroundImage]));
    assert.deepEqual(blocks.map((b) => b[0]), none.map((u) => u.shot), 'one block per shot where nobody was found');
    assert.match(String(blocks[0][1]), /^Nobody found \d+:\d\d\.\d–\d+:\d\d\.\d: teach a character here$/);
    assert.match(String(blocks[0][2]), /repeating-linear-gradient/, 'hatched, not a character colour');
    // A click pauses the video on the shot's frame to look at, with the teach panel open on it.
    const u = none.at(-1)!;
    await page.waitForFunction(() => document.querySelector('video')!.readyState >= 1);
    await page.click(`.lane.unseen .block[data-shot="${u.shot}"]`);
    await page.waitForSelector('.teach-panel:not([hidden])');
    const frameShown = Number(await page.textContent('#teach-frame'));
    assert.ok(frameShown >= u.firstFrame && frameShown <= u.lastFrame, `the teach panel's frame ${frameShown} lies in shot ${u.shot} (${u.firstFrame}-${u.lastFrame})`);
    assert.equal(frameShown, u.look, 'the frame to look at');
    await page.waitForFunction(([a, b]) => { const v = document.querySelector('video')!; return v.paused && !v.seeking && v.currentTime >= a && v.currentTime < b; }, [u.start, u.end]);
    assert.ok(await page.isDisabled('#teach'), 'teaching is on');
    await snap(page, 'nobody-found');

    // An analysed episode with no tracks: the timeline has the "Nobody found" lane only, one block per shot.
    assert.equal(spans(ws, { video: empty }).length, 0);
    const opened = (name: string) => page.waitForFunction((n) => document.querySelector('section.episode h1')?.textContent === n, name);
    await page.goto(`${app.url}#/episode/${empty}`);
    await opened('ep3.mp4'); // not the previous episode's page, which has the same lanes
    await page.waitForSelector('.lanes.timeline .lane.unseen .block');
    assert.deepEqual(await page.$$eval('.lanes.timeline .lane:not(.axis-row)', (ls) => ls.map((l) => l.className)), ['lane dim unseen'], 'no lane but "Nobody found"');
    assert.deepEqual(await page.$$eval('.lane.unseen .block', (bs) => bs.map((b) => Number((b as HTMLElement).dataset.shot))), loadShots(ws, empty).map((s) => s.index));
    assert.doesNotMatch(await page.textContent('section.episode') ?? '', /No tracks|Not analysed/);

    // Not analysed: no timeline and no "Nobody found", but a note saying so (not "No tracks").
    await page.goto(`${app.url}#/episode/${unlooked}`);
    await opened('ep4.mp4');
    await page.waitForSelector('p.unanalysed');
    assert.match(await page.textContent('p.unanalysed') ?? '', /^Not analysed yet, or an analysis is under way/);
    assert.equal(await page.$$eval('.lanes.timeline, .lane.unseen', (ls) => ls.length), 0);
    assert.doesNotMatch(await page.textContent('section.episode') ?? '', /No tracks/);
    assert.deepEqual(errors, [], 'no script errors, failed loads or CSP violations in the page');
  } finally {
    await ctx.close();
    await app.close();
    ws.close();
  }
});
