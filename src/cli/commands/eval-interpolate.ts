// `toonscope eval interpolate`: in-between quality against truth triplets
// (truth files and/or synfig renders), toonscope vs blend vs minterpolate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToonscopeError } from '../../core/errors.js';
import { intOption, type Command } from '../command.js';
import { evaluate, formatReport, synfigSource, videoSource, type EvalSource } from '../../interpolate/eval.js';
import { deriveTriplets, readTruth, spread, truthFiles } from '../../interpolate/truth.js';
import { renderSynfig, synfigTriplets } from '../../interpolate/synfig.js';
import { MINTERPOLATE_RECIPE } from '../../interpolate/minterp.js';
import { writeEvalPage } from '../../interpolate/page.js';
import { installedInterpolator } from '../../models/interpolator.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

export const evalInterpolate: Command = {
  name: 'eval interpolate',
  summary: 'PSNR/SSIM of in-betweens vs truth: toonscope, blend, ffmpeg minterpolate',
  usage: [
    'toonscope eval interpolate --truth FILE|DIR [--truth ...] [--synfig FILE.sif ...] [--out DIR] [--max N]',
    '  --truth FILE|DIR     *.truth.json files (or folders of them); triplets [a,b,c] from `interpolation_triplets`,',
    '                       or derived from held drawings when the file has none',
    '  --synfig FILE.sif    render with synfig at 48 fps (odd frames are the truth); needs `apt-get install synfig`',
    '  --seconds S          synfig: seconds to render (default 4)',
    '  --factor F           in-betweens at 1/F .. (F-1)/F instead of halfway (2 to 4, default 2): synfig renders at 24F fps,',
    '                       truth files get triplets from runs of F+1 evenly spaced drawings',
    '  --out DIR            index.html (tables, every triplet), report.json and side-by-side PNGs',
    '                       (blend | minterpolate | toonscope | truth) (default interpolate-eval)',
    '  --max N              at most N triplets per clip, spread evenly (default 12)',
    '  --shows N            side-by-side images per clip (default 2)',
    '  --no-minterpolate    skip the ffmpeg baseline (faster)',
    '  --no-context         toonscope sees only a and c (by default it also sees the input frames before a and after c,',
    '                       as in video mode, and follows an ease they show)',
    '  --models M           also score a learned interpolator: auto (default: the installed one), none, or a name',
    `minterpolate baseline: ${MINTERPOLATE_RECIPE}`,
  ].join('\n'),
  options: {
    truth: { type: 'string', multiple: true },
    synfig: { type: 'string', multiple: true },
    seconds: { type: 'string' },
    out: { type: 'string' },
    max: { type: 'string' },
    shows: { type: 'string' },
    factor: { type: 'string' },
    'no-minterpolate': { type: 'boolean' },
    'no-context': { type: 'boolean' },
    models: { type: 'string' },
  },
  async run(_pos, values, ctx) {
    const truths = list(values.truth);
    const sifs = list(values.synfig);
    if (!truths.length && !sifs.length) throw new ToonscopeError(undefined, 'give --truth FILE|DIR and/or --synfig FILE.sif');
    const max = intOption(values, 'max', 1, Infinity, 12)!;
    const seconds = values.seconds === undefined ? 4 : Number(values.seconds);
    if (!(seconds > 0)) throw new ToonscopeError(undefined, `--seconds must be positive, got ${values.seconds}`);
    const factor = intOption(values, 'factor', 2, 4, 2)!;
    const shows = intOption(values, 'shows', 0, Infinity, 2)!;
    const outDir = String(values.out ?? 'interpolate-eval');
    const sources: EvalSource[] = [];
    for (const f of truthFiles(truths)) {
      const clip = await deriveTriplets(readTruth(f), max, factor);
      sources.push(videoSource({ ...clip, triplets: spread(clip.triplets, max) }));
    }
    const tmp: string[] = [];
    // An installed learned interpolator (toonscope models) is scored too, as 'learned' (--models none: not).
    const learned = await installedInterpolator(values.models as string | undefined);
    try {
      for (const sif of sifs) {
        const dir = mkdtempSync(join(tmpdir(), 'toonscope-synfig-'));
        tmp.push(dir);
        const p = ctx.progress(`rendering ${sif} at ${24 * factor} fps`);
        const frames = renderSynfig(sif, dir, seconds, factor);
        p.done(`${frames.length} frames`);
        sources.push(synfigSource(await synfigTriplets(sif, frames, max, factor)));
      }
      const total = sources.reduce((n, s) => n + s.triplets.length, 0);
      if (!total) throw new ToonscopeError(undefined, 'no triplets to evaluate');
      const progress = ctx.progress('interpolating triplets', total);
      const report = await evaluate(sources, { outDir, sideBySide: shows, minterpolate: !values['no-minterpolate'], context: !values['no-context'], progress, learned });
      progress.done();
      const times = report.clips.flatMap((c) => c.triplets.map((t) => t.seconds));
      const eased = report.clips.flatMap((c) => c.triplets.filter((t) => t.position !== undefined && t.position !== t.t).map((t) => `${c.clip} ${t.triplet.join('-')} at ${t.position!.toFixed(2)}`));
      const text = `${formatReport(report)}\n\ntoonscope: ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)} s per in-between on average` +
        `\n${eased.length} of ${total} in-betweens followed an ease of the neighbouring drawings${eased.length ? `: ${eased.join(', ')}` : ''}` +
        `\nside-by-side images (blend | minterpolate | toonscope | truth) in ${outDir}/`;
      const page = writeEvalPage(report, outDir, `toonscope ${process.argv.slice(2).join(' ')}`);
      ctx.result({ ...report, outDir, page }, `${text}\nreport: ${page}`);
    } finally {
      for (const d of tmp) rmSync(d, { recursive: true, force: true });
      await learned?.dispose();
    }
  },
};
