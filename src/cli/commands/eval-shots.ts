// `toonscope eval shots --truth FILE...`: precision / recall / F1 of shot
// boundaries against truth files, at several frame tolerances.
import type { Command } from '../command.js';
import { detectShots } from '../../shots/detect.js';
import { loadTruth, score, total, type Score } from '../../shots/eval.js';
import { DEFAULT_DETECTOR, DETECTORS } from '../../shots/registry.js';
import { ToonscopeError } from '../../core/errors.js';
import { basename } from 'node:path';

const pct = (x: number) => (x * 100).toFixed(1).padStart(5);

export const evalShots: Command = {
  name: 'eval shots',
  summary: 'precision / recall / F1 of shot boundaries against truth files (JSON cuts or PySceneDetect CSV)',
  usage: [
    'toonscope eval shots --truth FILE [--truth FILE...] [--video VIDEO] [--detector NAME[,NAME...]] [--tolerance 0,2]',
    '',
    '  --truth FILE     truth JSON ({"cuts": [...], "video": "clip.mp4"}) or PySceneDetect scenes CSV; repeatable',
    '  --video VIDEO    the video (default: named in the truth file, or found beside it)',
    '  --detector LIST  detectors to compare (default anime); "all" runs every one',
    '  --tolerance LIST frame tolerances (default 0,2)',
  ].join('\n'),
  options: {
    truth: { type: 'string', multiple: true, short: 't' },
    video: { type: 'string' },
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
    const truths = files.map((f) => loadTruth(f));
    const ws = ctx.workspace();
    const rows: { truth: string; detector: string; scores: Score[] }[] = [];
    for (const [k, file] of files.entries()) {
      const truth = truths[k];
      const video = (values.video as string | undefined) ?? truth.video;
      if (!video) throw new ToonscopeError(file, 'cannot tell which video this truth belongs to; pass --video');
      for (const detector of detectors) {
        const bar = ctx.progress(`eval ${basename(video)} ${detector}`);
        const r = await detectShots(video, { detector, workspace: ws, crop: truth.crop, onProgress: (d, t) => bar.set(d, t) });
        bar.set(r.frames, r.frames);
        bar.done();
        rows.push({ truth: file, detector, scores: tols.map((t) => score(r.transitions, truth.cuts, t)) });
      }
    }
    const lines: string[] = [];
    lines.push(`${'clip'.padEnd(34)} ${'detector'.padEnd(12)} tol truth  det  TP  FP  FN     P     R    F1  misses / false positives`);
    for (const row of rows) {
      for (const s of row.scores) {
        lines.push(`${basename(row.truth).slice(0, 34).padEnd(34)} ${row.detector.padEnd(12)} ${String(s.tolerance).padStart(3)} ${String(s.truth).padStart(5)} ${String(s.detected).padStart(4)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)} ${pct(s.precision)} ${pct(s.recall)} ${pct(s.f1)}  ${s.misses.length ? `missed ${s.misses.join(' ')}` : ''}${s.falsePositives.length ? ` extra ${s.falsePositives.join(' ')}` : ''}`);
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
