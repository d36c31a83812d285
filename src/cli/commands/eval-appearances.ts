// `toonscope eval appearances --truth FILE --data DIR`: appearance recall,
// precision and cluster purity of analyze on real footage, with zero clicks
// and (--teach) after one taught box per missed character (--teach-partial:
// also per character found under the taught recall target).
import { intOption, numOption, type Command } from '../command.js';
import { ToonscopeError } from '../../core/errors.js';
import { evalAppearances, formatRuns } from '../../analyze/eval-appearances.js';

export const evalAppearancesCmd: Command = {
  name: 'eval appearances',
  summary: 'does analyze find every character of real footage, each in a cluster of her own (hand-drawn truth)',
  usage: [
    'toonscope eval appearances --truth FILE --data DIR [--data DIR...] --out DIR [--teach | --teach-partial] [--no-learn]',
    '',
    '  FILE: boxes drawn on several frames of every shot, e.g. eval/characters/appearances.truth.json;',
    '  clips are looked up by name in each --data folder (missing ones are skipped and said so).',
    '  Per series a fresh workspace under --out: analyze with zero clicks, score; with --teach, one box',
    '  (on her clearest view: her largest truth box) for every character zero clicks never found, analyze again, score.',
    '  --teach-partial: as --teach, and one box also for every character zero clicks found under the taught recall',
    '  target (90%), on her clearest view zero clicks missed: what a person would teach on seeing her missed there.',
    '  Per character: recall of her truth boxes (IoU >= 0.5 with the body or the face; a taught box itself is',
    '  not scored), the cluster most of them land in and its purity; per clip: precision (found appearances',
    '  on truth frames that match a truth box). Everything is measured on the truth frames only.',
    '  Zero clicks also says why each miss was missed, as the learned pass saw her frame: no series map (the',
    '  detector chain found nobody in the series, or nothing to train on), no candidate on her frame, candidates',
    '  only elsewhere on it, or one on her that the likeness test or the settling turned down (not said for the',
    '  taught run, which looks again only where its boxes change something, nor with --no-learn).',
    '  Writes --out/index.html (pictures: truth cyan, detector chain green, learned pass red) and report.json.',
    '  --no-learn: the detector chain alone (analyze --no-learn), to see what the learned pass adds.',
  ].join('\n'),
  options: { truth: { type: 'string', short: 't' }, data: { type: 'string', multiple: true }, out: { type: 'string', short: 'o' }, teach: { type: 'boolean' }, 'teach-partial': { type: 'boolean' }, 'no-learn': { type: 'boolean' }, rate: { type: 'string' }, epochs: { type: 'string' } },
  async run(_p, values, ctx) {
    const truth = values.truth as string | undefined;
    const data = (values.data as string[] | undefined) ?? [];
    const out = values.out as string | undefined;
    if (!truth) throw new ToonscopeError(undefined, 'eval appearances needs --truth FILE');
    if (!data.length) throw new ToonscopeError(undefined, 'eval appearances needs --data DIR (the folder holding the clips)');
    if (!out) throw new ToonscopeError(undefined, 'eval appearances needs --out DIR');
    // Taught boxes act through the learned pass: without it a taught run would only repeat zero clicks.
    const teach = !!values.teach || !!values['teach-partial'];
    if (teach && values['no-learn']) throw new ToonscopeError('--no-learn', `taught boxes are learned by the learned pass: ${values['teach-partial'] ? '--teach-partial' : '--teach'} needs it (drop --no-learn)`);
    const r = await evalAppearances(truth, { data, out, teach, teachPartial: !!values['teach-partial'], learn: !values['no-learn'], rate: numOption(values, 'rate', 0.05, 60), epochs: intOption(values, 'epochs', 1, 1000), progress: ctx.progress, log: ctx.log });
    ctx.result(r, `${formatRuns(r.runs)}\nreport: ${r.report}`);
  },
};
