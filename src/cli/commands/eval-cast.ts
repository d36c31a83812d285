// `toonscope make-truth cast`, `toonscope eval tracks`, `toonscope eval clusters`.
import { intOption, numOption, type Command, type Context, type Values } from '../command.js';
import { makeCastTruth, loadCastTruth } from '../../analyze/truth.js';
import { evalTracks, evalClusters } from '../../analyze/evaluate.js';
import { ToonscopeError } from '../../core/errors.js';
import type { AnalyzeOptions } from '../../analyze/pipeline.js';

const f3 = (x: number) => x.toFixed(3);

function analyzeOpts(values: Values, ctx: Context): AnalyzeOptions {
  return {
    chain: values.detector as string | undefined,
    // Learned models (toonscope models): auto (installed ones), none, or names; the figures then say which ran.
    models: values.models as string | undefined,
    rate: numOption(values, 'rate', 0.05, 60),
    progress: ctx.progress,
    log: ctx.log,
  };
}

const common = {
  truth: { type: 'string', multiple: true, short: 't' },
  detector: { type: 'string', short: 'd' },
  models: { type: 'string' },
  rate: { type: 'string' },
} as const;

export const makeTruthCast: Command = {
  name: 'make-truth cast',
  summary: 'render a video with known characters (boxes, identities, tracks, cuts) for eval tracks / clusters',
  usage: [
    'toonscope make-truth cast --out DIR [--source renpy|synthetic] [--shots 12] [--seed 1] [--size 1280x720]',
    '',
    '  renpy: Debian\'s Ren\'Py sprites over the games\' backgrounds (sudo apt-get install renpy-demo renpy-thequestion)',
    '  synthetic: drawn flat-colour figures (always available; the default face detector does not see them)',
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, source: { type: 'string' }, shots: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' } },
  async run(_p, values, ctx) {
    const out = values.out as string | undefined;
    if (!out) throw new ToonscopeError(undefined, 'make-truth cast needs --out DIR');
    const source = (values.source as string | undefined) ?? 'renpy';
    if (source !== 'renpy' && source !== 'synthetic') throw new ToonscopeError(undefined, '--source must be renpy or synthetic');
    const size = (values.size as string | undefined) ?? '1280x720';
    const m = /^(\d{2,5})x(\d{2,5})$/.exec(size);
    // Even sizes from 64x64 up: the H.264 writer needs even sides, the figures need room.
    const ok = (n: number) => n >= 64 && n <= 8192 && n % 2 === 0;
    if (!m || !ok(+m[1]) || !ok(+m[2])) throw new ToonscopeError(undefined, `--size must be WIDTHxHEIGHT, even numbers from 64 to 8192, got ${JSON.stringify(size)}`);
    const [width, height] = [Number(m[1]), Number(m[2])];
    const bar = ctx.progress('render');
    const t = await makeCastTruth(out, { source, width, height, shots: intOption(values, 'shots', 1, 1000), seed: intOption(values, 'seed', 0), progress: bar });
    bar.done();
    ctx.result(t, `wrote ${out}/cast.mp4 (${t.frames} frames, ${t.cuts.length + 1} shots, ${t.identities.length} identities, ${t.boxes.length} boxes) and ${out}/cast.truth.json`);
  },
};

export const evalTracksCmd: Command = {
  name: 'eval tracks',
  summary: 'MOTA and IDF1 of analyze\'s tracks against cast truth files (on the sampled frames)',
  usage: 'toonscope eval tracks --truth DIR/cast.truth.json [--truth ...] [--detector CHAIN] [--models auto|none|NAMES] [--rate N]',
  options: common,
  async run(_p, values, ctx) {
    const files = (values.truth as string[] | undefined) ?? [];
    if (!files.length) throw new ToonscopeError(undefined, 'eval tracks needs --truth FILE');
    for (const f of files) loadCastTruth(f); // every file checked before a workspace is made or a video analysed
    const ws = ctx.workspace();
    const rows = [];
    for (const f of files) rows.push(await evalTracks(ws, f, analyzeOpts(values, ctx)));
    const lines = ['truth                                    frames  boxes   MOTA   IDF1  misses  FP  switches'];
    for (const r of rows) lines.push(`${r.truth.slice(-40).padEnd(40)} ${String(r.sampledFrames).padStart(6)} ${String(r.truthBoxes).padStart(6)} ${f3(r.mot.mota).padStart(6)} ${f3(r.mot.idf1).padStart(6)} ${String(r.mot.misses).padStart(7)} ${String(r.mot.falsePositives).padStart(3)} ${String(r.mot.switches).padStart(9)}`);
    ctx.result(rows, lines.join('\n'));
  },
};

export const evalClustersCmd: Command = {
  name: 'eval clusters',
  summary: 'purity, NMI and ARI of the character dictionary against cast truth files, vanilla vs refined',
  usage: 'toonscope eval clusters --truth FILE [--truth ...] [--detector CHAIN] [--models auto|none|NAMES] [--rate N] [--epochs N]\n\nAll truth videos form one series (one dictionary), as with analyze.',
  options: { ...common, epochs: { type: 'string' } },
  async run(_p, values, ctx) {
    const files = (values.truth as string[] | undefined) ?? [];
    if (!files.length) throw new ToonscopeError(undefined, 'eval clusters needs --truth FILE');
    for (const f of files) loadCastTruth(f); // every file checked before a workspace is made or a video analysed
    const ws = ctx.workspace();
    const r = await evalClusters(ws, files, { ...analyzeOpts(values, ctx), epochs: intOption(values, 'epochs', 1, 1000) });
    const row = (name: string, s: typeof r.vanilla) => `${name.padEnd(8)} ${f3(s.purity).padStart(7)} ${f3(s.nmi).padStart(6)} ${f3(s.ari).padStart(6)} ${String(s.clusters).padStart(9)} ${String(s.identities).padStart(11)}`;
    const lines = [
      `${r.matched} of ${r.appearances} appearances matched a truth character (IoU >= 0.5) and are scored`,
      'space     purity    NMI    ARI  clusters  identities',
      row('vanilla', r.vanilla),
      row('refined', r.refined),
      r.series.training ? `refinement: ${r.series.training.triplets} triplets, ${r.series.training.epochs} epochs, ${r.series.training.secondsPerEpoch.toFixed(2)} s/epoch` : `refinement: ${r.series.note ?? 'stored head reused'}`,
    ];
    ctx.result(r, lines.join('\n'));
  },
};
