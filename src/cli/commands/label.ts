// `toonscope label ...`: name, merge, split and reject dictionary clusters
// from the shell (the app does the same with clicks); `toonscope export`;
// `toonscope eval labels`.
import { resolve } from 'node:path';
import { intOption, numOption, shellWord as word, workspaceFlag, type Command, type Context } from '../command.js';
import { decimal } from '../../core/decimal.js';
import type { Workspace } from '../../core/workspace.js';
import { teach } from '../../analyze/learn.js';
import { ToonscopeError } from '../../core/errors.js';
import { loadCastTruth } from '../../analyze/truth.js';
import { listCharacters, nameCharacter, mergeCharacters, splitCharacter, rejectCharacter, resetCharacter, relabel, exportLabels, evalLabels, unseenShots, type LabelSummary, type LabelScore } from '../../label/index.js';

function id(s: string | undefined, what = 'character id'): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n) || n < 0) throw new ToonscopeError(undefined, `expected a ${what}, got ${JSON.stringify(s ?? '')} (see \`toonscope label\`)`);
  return n;
}

function table(ws: Workspace): string {
  const cs = listCharacters(ws);
  if (!cs.length) return 'no characters in the dictionary yet: run `toonscope analyze VIDEO` first';
  return [
    '  id  status    name                  tracks  appearances  labelled  collage',
    ...cs.map((c) => `${String(c.id).padStart(4)}  ${c.status.padEnd(8)}  ${(c.name ?? '-').slice(0, 20).padEnd(20)}  ${String(c.tracks).padStart(6)}  ${String(c.appearances).padStart(11)}  ${String(c.labelled).padStart(8)}  ${c.collage ?? ''}`),
  ].join('\n');
}

const summaryLine = (s: LabelSummary) => `labels: ${s.tracks} tracks, ${s.labelled} named (${s.decided} by a person), ${s.unknown} unknown, ${s.rejected} not a character`;

function done(ctx: Context, ws: Workspace, s: LabelSummary, extra = {}): void {
  ctx.result({ ...s, ...extra, characters: listCharacters(ws) }, `${summaryLine(s)}\n${table(ws)}`);
}

export const labelList: Command = {
  name: 'label',
  summary: 'list the character dictionary with names and labels (relabels every track)',
  usage: [
    'toonscope label                       list clusters, names, label counts',
    'toonscope label name ID NAME          name a cluster; every track is relabelled',
    'toonscope label merge INTO ID...      merge clusters into INTO',
    'toonscope label split ID              split a cluster in two',
    'toonscope label reject ID             mark a cluster as not a character',
    'toonscope label reset ID              forget the name or rejection',
    'toonscope label unseen VIDEO          shots where nobody was found, with a frame to teach on',
    'toonscope label teach VIDEO --frame N --box X,Y,W,H [--name NAME]   teach a character nobody found',
    'toonscope export --out DIR            JSON, CSV, WebVTT and clip lists of the labels',
  ].join('\n'),
  async run(_p, _v, ctx) {
    const ws = ctx.workspace({ existing: true });
    done(ctx, ws, await relabel(ws));
  },
};

/** A dictionary edit from the shell: parse ids, act, print the relabelled dictionary. */
function edit(name: string, summary: string, usage: string, act: (ws: Workspace, p: string[]) => Promise<LabelSummary & { ids?: number[] }>): Command {
  return {
    name, summary, usage,
    async run(p, _v, ctx) {
      const ws = ctx.workspace({ existing: true });
      const r = await act(ws, p);
      done(ctx, ws, r, r.ids ? { ids: r.ids } : {});
    },
  };
}

const need = (p: string[], n: number, example: string) => {
  if (p.length < n) throw new ToonscopeError(undefined, `expected ${example}`);
};

export const labelName = edit('label name', 'name a dictionary cluster (all its tracks; the classifier labels the rest)', 'toonscope label name ID NAME...',
  (ws, p) => (need(p, 2, 'an id and a name: toonscope label name 3 Eileen'), nameCharacter(ws, id(p[0]), p.slice(1).join(' '))));
export const labelMerge = edit('label merge', 'merge dictionary clusters into the first one', 'toonscope label merge INTO ID [ID...]',
  (ws, p) => (need(p, 2, 'at least two ids: toonscope label merge 1 4'), mergeCharacters(ws, id(p[0]), p.slice(1).map((x) => id(x)))));
export const labelSplit = edit('label split', 'split a dictionary cluster in two (both parts come back unnamed)', 'toonscope label split ID',
  (ws, p) => splitCharacter(ws, id(p[0])));
export const labelReject = edit('label reject', 'mark a dictionary cluster as not a character', 'toonscope label reject ID',
  (ws, p) => rejectCharacter(ws, id(p[0])));
export const labelReset = edit('label reset', 'forget a cluster\'s name or rejection', 'toonscope label reset ID',
  (ws, p) => resetCharacter(ws, id(p[0])));

/** X,Y,W,H in the video's own pixels. */
function boxOption(v: unknown): [number, number, number, number] {
  const parts = typeof v === 'string' ? v.split(',').map((p) => p.trim()) : [];
  const nums = parts.map((p) => decimal(p, true));
  if (parts.length !== 4 || !nums.every(Number.isFinite)) throw new ToonscopeError('--box', `expected X,Y,W,H in the video's pixels, got ${JSON.stringify(v ?? '')}`);
  return nums as [number, number, number, number];
}

export const labelTeach: Command = {
  name: 'label teach',
  summary: 'teach a character nobody found: one box on one frame; the next analyze finds her in every episode',
  usage: [
    'toonscope label teach VIDEO --frame N --box X,Y,W,H [--name NAME]',
    '',
    '  --frame N        0-based frame of VIDEO (decode order)',
    "  --box X,Y,W,H    a box around the whole character, in the video's own pixels",
    '  --name NAME      her name: the cluster she lands in is named (earlier names are kept)',
    '  Then run `toonscope analyze VIDEO...` again: it redoes only what the new box changes.',
  ].join('\n'),
  options: { frame: { type: 'string' }, box: { type: 'string' }, name: { type: 'string' } },
  async run(p, values, ctx) {
    if (p.length !== 1) throw new ToonscopeError(undefined, 'label teach needs one VIDEO: toonscope label teach ep01.mp4 --frame 120 --box 300,80,200,420');
    if (values.frame === undefined) throw new ToonscopeError('--frame', 'label teach needs --frame N (0-based)');
    if (values.box === undefined) throw new ToonscopeError('--box', 'label teach needs --box X,Y,W,H');
    const frame = intOption(values, 'frame', 0, Number.MAX_SAFE_INTEGER)!;
    const ws = ctx.workspace();
    const r = await teach(ws, p[0], frame, boxOption(values.box), values.name as string | undefined);
    ctx.result(r, r.added
      ? `taught: ${p[0]} frame ${r.frame} (shot ${r.shot})${values.name ? ` as ${values.name}` : ''}; run \`toonscope analyze\` on the series to find her everywhere`
      : `already taught: ${p[0]} frame ${r.frame} with that box; ${values.name ? `its name is now ${values.name}` : 'nothing changes'}`);
  },
};

/** m:ss.s, as the app's timeline shows times (`time()` in src/app/ui/api.js): rounded first, so 59.97 s is 1:00.0, not 0:60.0. */
function clock(t: number): string {
  const d = Math.round(t * 10) / 10, m = Math.floor(d / 60);
  return `${m}:${(d - m * 60).toFixed(1).padStart(4, '0')}`;
}

export const labelUnseen: Command = {
  name: 'label unseen',
  summary: 'shots of a video where nobody was found (or only what is not a character): where to teach one',
  usage: [
    'toonscope label unseen VIDEO',
    '',
    '  One line per shot with no character standing: its times, frames and the frame to look at',
    '  (its middle sampled frame); then the `label teach` command to paste with that frame.',
  ].join('\n'),
  async run(p, _v, ctx) {
    if (p.length !== 1) throw new ToonscopeError(undefined, 'label unseen needs one VIDEO: toonscope label unseen ep01.mp4');
    const ws = ctx.workspace({ existing: true });
    const v = ws.videos().find((x) => x.path === resolve(p[0]));
    // Not in the workspace, or its shots found but its analysis not complete: the same line, naming the file as typed.
    const shots = v && unseenShots(ws, v.id);
    if (!v || !shots) throw new ToonscopeError(p[0], `not analysed in the workspace ${ws.dir}: run \`toonscope analyze ${word(p[0])}${workspaceFlag(ws)}\` first`);
    const lines = shots.map((u) => `shot ${u.shot}  ${clock(u.start)}-${clock(u.end)}  frames ${u.firstFrame}-${u.lastFrame}  look at frame ${u.look}`);
    ctx.result({ video: v.path, unseen: shots }, shots.length
      ? [...lines, `to teach one: toonscope label teach ${word(p[0])}${workspaceFlag(ws)} --frame ${shots[0].look} --box X,Y,W,H --name NAME`].join('\n')
      : `${p[0]}: someone was found in every shot`);
  },
};

export const exportCmd: Command = {
  name: 'export',
  summary: 'labelled appearances as JSON/CSV, a WebVTT "who is on screen" track per episode, clip lists per character',
  usage: [
    'toonscope export --out DIR [--gap S]',
    '',
    '  labels.json, labels.csv (one row per track), boxes.csv (one row per sampled appearance),',
    '  EPISODE.vtt, clips/NAME.csv and clips/NAME.ffconcat (ffmpeg -f concat -safe 0 -i clips/NAME.ffconcat -c copy NAME.mp4)',
    '  --gap S   appearances of one character less than S seconds apart form one cue / clip (default 1)',
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, gap: { type: 'string' } },
  async run(_p, values, ctx) {
    const out = values.out as string | undefined;
    if (!out) throw new ToonscopeError(undefined, 'export needs --out DIR');
    const gap = numOption(values, 'gap', 0, 3600);
    const ws = ctx.workspace({ existing: true });
    await relabel(ws);
    const files = await exportLabels(ws, out, { gap, warn: (m) => process.stderr.write(`toonscope: warning: ${m}\n`) });
    ctx.result({ files }, `wrote ${files.length} files to ${out}:\n${files.map((f) => `  ${f}`).join('\n')}`);
  },
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const scoreLine = (name: string, s: LabelScore) =>
  `${name.padEnd(16)} ${String(s.scored).padStart(6)} ${pct(s.accuracy).padStart(8)} ${pct(s.scored ? s.wrong / s.scored : 0).padStart(7)} ${pct(s.scored ? s.unknown / s.scored : 0).padStart(8)} ${pct(s.scored ? s.rejected / s.scored : 0).padStart(9)}`;

export const evalLabelsCmd: Command = {
  name: 'eval labels',
  summary: 'share of appearances labelled correctly after naming each cluster once (cast truth files)',
  usage: [
    'toonscope eval labels --truth FILE [--truth ...] [--holdout] [--unnamed NAME] [--detector CHAIN] [--rate N] [--epochs N]',
    '',
    '  A simulated person names every cluster once with the identity most of its appearances have',
    '  (or rejects it when most match no truth character); then every appearance is scored.',
    '  --holdout  the last truth video is analysed after the naming (a new episode labelled automatically)',
    '  --unnamed NAME  the person never names that identity: its appearances should stay unknown',
    '  Use a fresh --workspace: the truth videos form one series.',
  ].join('\n'),
  options: { truth: { type: 'string', multiple: true, short: 't' }, holdout: { type: 'boolean' }, unnamed: { type: 'string' }, detector: { type: 'string', short: 'd' }, rate: { type: 'string' }, epochs: { type: 'string' } },
  async run(_p, values, ctx) {
    const files = (values.truth as string[] | undefined) ?? [];
    if (!files.length) throw new ToonscopeError(undefined, 'eval labels needs --truth FILE');
    if (values.holdout && files.length < 2) throw new ToonscopeError(undefined, '--holdout needs at least two --truth files');
    for (const f of files) loadCastTruth(f); // every file checked before a workspace is made or a video analysed
    const ws = ctx.workspace();
    const r = await evalLabels(ws, files, {
      chain: values.detector as string | undefined, rate: numOption(values, 'rate', 0.05, 60), epochs: intOption(values, 'epochs', 1, 1000),
      holdout: !!values.holdout, unnamed: values.unnamed as string | undefined, progress: ctx.progress, log: ctx.log,
    });
    const lines = [
      `simulated person: ${r.named} clusters named, ${r.rejected} rejected (one action each)`,
      'episodes         scored  correct   wrong  unknown  rejected',
      scoreLine(r.new_episode ? 'named episodes' : 'all episodes', r.named_episodes),
      ...(r.new_episode ? [scoreLine('new episode', r.new_episode)] : []),
      ...(r.unnamed ? [scoreLine(`unnamed ${r.unnamed.identity}`.slice(0, 16), r.unnamed), `(for ${r.unnamed.identity}, nobody named: "wrong" = forced into another name, "unknown" is the right answer)`] : []),
    ];
    ctx.result(r, lines.join('\n'));
  },
};

export const labelCommands: Command[] = [labelList, labelName, labelMerge, labelSplit, labelReject, labelReset, labelUnseen, labelTeach, exportCmd, evalLabelsCmd];
