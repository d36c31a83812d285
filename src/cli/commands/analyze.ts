// `toonscope analyze VIDEO...`: the CAST pipeline into the workspace.
import { resolve } from 'node:path';
import { intOption, numOption, shellWord, warnAbout, workspaceFlag, type Command } from '../command.js';
import { analyzeVideo, type VideoSummary } from '../../analyze/pipeline.js';
import { analyzeSeries, type SeriesSummary } from '../../analyze/series.js';
import { ensureSchema } from '../../analyze/store.js';
import { unseenShots } from '../../label/unseen.js';
import { loadShots } from '../../shots/store.js';
import type { Workspace } from '../../core/workspace.js';
import { writeReport } from '../../analyze/report.js';
import { DEFAULT_CHAIN } from '../../characters/backends.js';
import { ToonscopeError } from '../../core/errors.js';
import { cutThreadFailure, cutThreadState } from '../../characters/cut.js';

export const analyze: Command = {
  name: 'analyze',
  writes: true,
  summary: 'shots, characters, tracks, self-supervised refinement and the character dictionary (resumable)',
  usage: [
    'toonscope analyze VIDEO [VIDEO...] [--rate N] [--detector CHAIN] [--no-refine] [--epochs N]',
    '',
    '  Several videos of one series share one refined model and one dictionary (all videos in the workspace).',
    '  --rate N          sampled frames per second of video (default 2)',
    `  --detector CHAIN  character detector chain (default ${DEFAULT_CHAIN}, with installed learned detectors in front; see toonscope help characters)`,
    '  --models LIST     learned models: auto (default: installed ones), none (built-in only), or names; the identity',
    '                    embedding (MobileNetV2 or CCIP) is fixed per workspace so a series never mixes spaces',
    '  --width N         detection size in pixels: the frame width, its height if taller than wide (default 480)',
    '  --every S         seconds between keyframes inside a shot (default 4; optical flow carries characters in between)',
    '  --watch S         seconds between quick looks for a new face between keyframes (default 0.5; 0: none)',
    '  --no-refine       cluster the vanilla embeddings',
    '  --no-learn        skip the learned pass (a per-series detector trained on what the first pass found and on',
    '                    taught boxes, looking for characters nobody found yet: see toonscope label teach)',
    '  --epochs N        training epochs of the projection head',
    '  --queue URL       run the episodes as jobs on `toonscope worker`s through Redis (BullMQ); the series',
    '                    stages run here once they are done (docs/scale.md)',
    '  --video-url BASE  workers fetch each video as BASE/<file name> instead of reading its path (shared folder)',
    '',
    'Writes WORKSPACE/report/index.html and WORKSPACE/dictionary/character-NNN.png. Killed runs resume.',
  ].join('\n'),
  options: {
    rate: { type: 'string' },
    detector: { type: 'string', short: 'd' },
    models: { type: 'string' },
    width: { type: 'string' },
    every: { type: 'string' },
    watch: { type: 'string' },
    'no-refine': { type: 'boolean' },
    'no-learn': { type: 'boolean' },
    epochs: { type: 'string' },
    queue: { type: 'string' },
    'video-url': { type: 'string' },
  },
  async run(positionals, values, ctx) {
    if (!positionals.length) throw new ToonscopeError(undefined, 'analyze needs at least one video file');
    const rate = numOption(values, 'rate', 0.05, 60);
    const width = intOption(values, 'width', 64, 3840);
    const epochs = intOption(values, 'epochs', 1, 1000);
    const every = numOption(values, 'every', 0.1, 3600);
    const watch = numOption(values, 'watch', 0, 3600);
    const ws = ctx.workspace();
    const chain = values.detector as string | undefined;
    const seriesStages = async () => ({ series: await analyzeSeries(ws, { refine: !values['no-refine'], learn: !values['no-learn'], epochs, log: ctx.log, progress: ctx.progress }), report: await writeReport(ws) });
    if (values.queue) {
      // Loaded only here: a local run never loads the queue code or bullmq.
      const { runQueuedCommand } = await import('../../queue/commands.js');
      const r = await runQueuedCommand(ws, values, positionals, { kind: 'analyze', params: { chain, models: values.models as string | undefined, rate, width, every, watch }, schema: ensureSchema, series: seriesStages, log: ctx.log, progress: ctx.progress });
      const teach = teachHints(ws, r.episodes.filter((e) => e.state === 'done').map((e) => ({ path: positionals.find((p) => resolve(p) === e.video) ?? e.video, videoId: e.videoId })));
      ctx.result({ run: r.run, episodes: r.episodes, ...r.series, teach }, [r.text, ...seriesLines(r.series.series, r.series.report), ...teach].join('\n'));
      return r.failed ? 1 : 0;
    }
    const videos: VideoSummary[] = [];
    for (const v of positionals) {
      const s = await analyzeVideo(ws, v, { chain, models: values.models as string | undefined, rate, width, every, watch, progress: ctx.progress, log: ctx.log });
      videos.push(s);
      // On stderr as `toonscope shots` says them, so a damaged file is noticed whichever command read it first.
      warnAbout(v, s.warnings);
      ctx.log(`${v}: ${s.shots} shots, ${s.samples} sampled frames, ${s.appearances} character appearances, ${s.tracks} tracks (detectors ${s.models.chain}; identity ${s.models.identity})${s.skipped.length ? ` (already done: ${s.skipped.join(', ')})` : ''}`);
    }
    const { series, report } = await seriesStages();
    // Results do not depend on it, the time does: say once why it stopped helping.
    if (cutThreadState() === 'failed') process.stderr.write(`toonscope: note: ${cutThreadFailure()}; GrabCut ran on the main thread instead (same results, slower)\n`);
    const teach = teachHints(ws, videos.map((s, k) => ({ path: positionals[k], videoId: s.videoId })));
    ctx.result({ videos, series, report, teach }, [...seriesLines(series, report), ...teach].join('\n'));
  },
};

/**
 * Where to teach, per analysed video with shots where nobody was found (`label unseen`): a character nobody found is
 * most likely there. `path` as the user typed it, so the command printed can be pasted.
 */
export function teachHints(ws: Workspace, videos: Array<{ path: string; videoId: number }>): string[] {
  // A video given twice is one video.
  const once = [...new Map(videos.map((v) => [v.videoId, v])).values()];
  return once.flatMap(({ path, videoId }) => {
    const n = unseenShots(ws, videoId)?.length ?? 0;
    return n ? [`${path}: nobody found in ${n} of ${loadShots(ws, videoId).length} shots: toonscope label unseen ${shellWord(path)}${workspaceFlag(ws)} lists them, with a frame to teach on`] : [];
  });
}

function seriesLines(series: SeriesSummary, report: string): string[] {
  const l = series.learned;
  return [
    ...(l ? [
      l.learn.model
        ? `learned pass: a series detector ${l.learn.reused ? 'reused' : 'trained'} on ${l.learn.frames} frames (${l.learn.model.trained.positive} character cells, ${l.learn.model.trained.negative} background cells)`
        : `learned pass: skipped (${l.learn.note})`,
      ...l.videos.map((v) => `  ${v.path}: ${v.first} appearances found by the detector chain, ${v.second} more by the learned detector (${v.shots} shots${v.rejected ? `; ${v.rejected} candidates turned down: more like background than like a known character, or like someone else than the look that found them` : ''})`),
    ] : []),
    `dictionary: ${series.characters.length} characters from ${series.tracks} tracks (${series.appearances} appearances), silhouette ${series.silhouette.toFixed(3)}`,
    series.training ? `refined: ${series.training.triplets} triplets, ${series.training.epochs} epochs, ${series.training.secondsPerEpoch.toFixed(2)} s/epoch, final loss ${series.training.finalLoss.toFixed(4)}` : `not refined: ${series.note ?? 'reused the stored head'}`,
    ...series.characters.map((c) => `  character ${c.id}: ${c.appearances} appearances in ${c.tracks} tracks, cohesion ${c.cohesion.toFixed(3)}  ${c.collage}`),
    series.labels?.decided
      ? `labels: ${series.labels.labelled} of ${series.labels.tracks} tracks named (${series.labels.decided} by you, the rest by the classifier), ${series.labels.unknown} unknown; names kept on ${series.restored} clusters`
      : 'name the characters: toonscope app (or toonscope label name ID NAME)',
    `report: ${report}`,
  ];
}
