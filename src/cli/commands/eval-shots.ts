// `toonscope eval shots --truth FILE...`: precision / recall / F1 of shot
// boundaries against truth files, at several frame tolerances. The appearance
// truth (eval/characters/appearances.truth.json) counts too: every clip's
// shots, its videos looked up in --data folders.
import type { Command } from '../command.js';
import { detectShots } from '../../shots/detect.js';
import { loadTruth, score, total, type Score, type Truth } from '../../shots/eval.js';
import { readAppearanceTruth } from '../../analyze/eval-appearances.js';
import { DEFAULT_DETECTOR, DETECTORS } from '../../shots/registry.js';
import { ToonscopeError } from '../../core/errors.js';
import { basename, join, resolve } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';

const pct = (x: number) => (x * 100).toFixed(1).padStart(5);

export const evalShots: Command = {
  name: 'eval shots',
  summary: 'precision / recall / F1 of shot boundaries against truth files (JSON cuts or PySceneDetect CSV)',
  usage: [
    'toonscope eval shots --truth FILE [--truth FILE...] [--video VIDEO] [--data DIR...] [--detector NAME[,NAME...]] [--tolerance 0,2]',
    '',
    '  --truth FILE     truth JSON ({"cuts": [...], "video": "clip.mp4"}) or PySceneDetect scenes CSV; repeatable;',
    '                   or an appearance truth ({"clips": [...]}, eval/characters/appearances.truth.json): each clip\'s shots',
    '  --data DIR       where an appearance truth\'s clips are (repeatable; missing clips are skipped and said so;',
    '                   cuts truths name their video or lie beside it)',
    '  --video VIDEO    the video (default: named in the truth file, or found beside it)',
    '  --detector LIST  detectors to compare (default anime); "all" runs every one',
    '  --tolerance LIST frame tolerances (default 0,2)',
  ].join('\n'),
  options: {
    truth: { type: 'string', multiple: true, short: 't' },
    video: { type: 'string' },
    data: { type: 'string', multiple: true },
    detector: { type: 'string', short: 'd' },
    tolerance: { type: 'string' },
  },
  async run(_pos, values, ctx) {
    const files = (values.truth as string[] | undefined) ?? [];
    if (!files.length) throw new ToonscopeError(undefined, 'eval shots needs --truth FILE');
    const dets = ((values.detector as string | undefined) ?? DEFAULT_DETECTOR).split(',');
    const detectors = dets[0] === 'all' ? Object.keys(DETECTORS) : dets;
    for (const d of detectors) if (!DETECTORS[d]) throw new ToonscopeError(undefined, `unknown detector "${d}"`);
    const tols = ((values.tolerance as string | undefined) ?? '0,2').split(',').map(Number);
    if (tols.some((t) => !(t >= 0))) throw new ToonscopeError(undefined, '--tolerance must be a list of non-negative frame counts');
    // Every truth file is checked before anything runs or a workspace is made.
    const data = (values.data as string[] | undefined) ?? [];
    const kinds = files.map((f) => ({ file: f, clips: appearanceTruth(f) }));
    if (values.video && kinds.some((k) => k.clips)) throw new ToonscopeError(undefined, '--video names the video of a cuts truth; an appearance truth names its clips (find them with --data)');
    const truths = kinds.flatMap((k) => truthsIn(k.file, k.clips, data, ctx.log));
    const ws = ctx.workspace();
    const rows: { truth: string; detector: string; scores: Score[] }[] = [];
    for (const { name, truth } of truths) {
      const video = (values.video as string | undefined) ?? truth.video;
      if (!video) throw new ToonscopeError(truth.file, 'cannot tell which video this truth belongs to; pass --video');
      for (const detector of detectors) {
        const bar = ctx.progress(`eval ${basename(video)} ${detector}`);
        const r = await detectShots(video, { detector, workspace: ws, crop: truth.crop, onProgress: (d, t) => bar.set(d, t) });
        bar.set(r.frames, r.frames);
        bar.done();
        rows.push({ truth: name, detector, scores: tols.map((t) => score(r.transitions, truth.cuts, t)) });
      }
    }
    const lines: string[] = [];
    lines.push(`${'clip'.padEnd(34)} ${'detector'.padEnd(12)} tol truth  det  TP  FP  FN     P     R    F1  misses / false positives`);
    for (const row of rows) {
      for (const s of row.scores) {
        lines.push(`${row.truth.slice(0, 34).padEnd(34)} ${row.detector.padEnd(12)} ${String(s.tolerance).padStart(3)} ${String(s.truth).padStart(5)} ${String(s.detected).padStart(4)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)} ${pct(s.precision)} ${pct(s.recall)} ${pct(s.f1)}  ${s.misses.length ? `missed ${s.misses.join(' ')}` : ''}${s.falsePositives.length ? ` extra ${s.falsePositives.join(' ')}` : ''}`);
      }
    }
    const totals = detectors.flatMap((d) => tols.map((t) => ({ detector: d, ...total(rows.filter((r) => r.detector === d).map((r) => r.scores.find((s) => s.tolerance === t)!)) })));
    if (rows.length > detectors.length) {
      for (const s of totals) {
        lines.push(`${'TOTAL'.padEnd(34)} ${s.detector.padEnd(12)} ${String(s.tolerance).padStart(3)} ${String(s.truth).padStart(5)} ${String(s.detected).padStart(4)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)} ${pct(s.precision)} ${pct(s.recall)} ${pct(s.f1)}`);
      }
    }
    ctx.result({ rows, totals }, lines.join('\n'));
  },
};

/**
 * The truths a file holds: one (cuts JSON or scenes CSV), or, an appearance truth (`clips`), one per clip whose shots
 * are drawn (a shot's first frame, after the first, is a boundary), each clip found in a --data folder.
 */
function truthsIn(file: string, clips: boolean, data: string[], log: (s: string) => void): Array<{ name: string; truth: Truth }> {
  if (!clips) return [{ name: basename(file), truth: loadTruth(file) }];
  if (!data.length) throw new ToonscopeError(file, 'an appearance truth: give the folder holding its clips with --data DIR');
  const drawn = readAppearanceTruth(file).filter((c) => c.shots?.length);
  if (!drawn.length) throw new ToonscopeError(file, 'no clip in it has its shots drawn ("shots": [[first, last], ...])');
  const out: Array<{ name: string; truth: Truth }> = [];
  for (const clip of drawn) {
    const dir = data.find((d) => existsSync(join(d, clip.video)));
    if (!dir) {
      log(`${clip.video}: not in ${data.join(', ')}; skipped`);
      continue;
    }
    const cuts = clip.shots!.slice(1).map(([start]) => start);
    out.push({ name: clip.video, truth: { file, video: resolve(dir, clip.video), cuts, crop: clip.crop === 'left-third' ? 'crop=iw/3:ih:0:0' : undefined } });
  }
  if (!out.length) throw new ToonscopeError(file, `none of its clips is in ${data.join(', ')}`);
  return out;
}

/** A JSON file holding `clips`: the appearance truth (anything else, folders and unreadable files too, is `loadTruth`'s to judge). */
function appearanceTruth(file: string): boolean {
  if (!file.endsWith('.json') || !existsSync(file) || !statSync(file).isFile()) return false;
  try {
    return Array.isArray((JSON.parse(readFileSync(file, 'utf8')) as { clips?: unknown }).clips);
  } catch {
    return false;
  }
}
