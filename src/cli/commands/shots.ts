// `toonscope shots VIDEO...`: detect shots, store them in the workspace and
// write CSV / JSON / EDL and a contact sheet (PNG + HTML).
import { mkdirSync } from 'node:fs';
import { writeFileWhole } from '../../core/files.js';
import { join, basename, resolve } from 'node:path';
import { intOption, warnAbout, type Command, type Values } from '../command.js';
import { detectShots, type ShotResult } from '../../shots/detect.js';
import { ensureSchema, loadShots, loadTransitions } from '../../shots/store.js';
import type { VideoInfo } from '../../core/types.js';
import { DETECTORS, DEFAULT_DETECTOR } from '../../shots/registry.js';
import { shotsCsv, shotsJson, shotsEdl } from '../../shots/export.js';
import { clock } from '../../core/time.js';
import { shotsOtio } from '../../shots/otio.js';
import { OUTPUTS_USAGE, OUTPUTS_OPTIONS, outputsOf, expandInputs, writeOutputs } from './shots-outputs.js';
import { ToonscopeError } from '../../core/errors.js';

export const shots: Command = {
  name: 'shots',
  writes: true,
  summary: 'find hard cuts, fades and dissolves; write shot lists (CSV, JSON, EDL, OTIO), a contact sheet, and on request split files, stills and per-frame stats',
  usage: [
    'toonscope shots VIDEO|FOLDER... [--detector NAME] [--out DIR] [--no-sheet] [--crop FILTER]',
    '                [--split [--copy] [--split-name TEMPLATE]] [--images N] [--stats FILE]',
    '',
    '  --detector NAME  one of: ' + Object.keys(DETECTORS).join(', ') + ` (default ${DEFAULT_DETECTOR})`,
    ...Object.entries(DETECTORS).map(([k, d]) => `      ${k.padEnd(13)} ${d.summary}`),
    '  --out DIR        where to write files (default: WORKSPACE/shots/<video name>)',
    '  --no-sheet       skip the contact sheet',
    '  --crop FILTER    ffmpeg crop for multi-panel footage, e.g. crop=iw/3:ih:0:0',
    '  --width N        analysis width in pixels (default 128)',
    ...OUTPUTS_USAGE,
    '  --queue URL      run each video as a job on `toonscope worker`s through Redis (BullMQ); see docs/scale.md',
    '  --video-url BASE workers fetch each video as BASE/<file name> instead of reading its path',
    '',
    'A FOLDER stands for every video inside it (by extension, in name order). Each video gets shots.csv',
    '(PySceneDetect list-scenes columns: 1-based scene and frame numbers, HH:MM:SS.mmm timecodes), shots.json,',
    'shots.edl (CMX3600) and shots.otio (OpenTimelineIO).',
    'Results are stored in the workspace; a re-run reuses the decoded metrics and an interrupted run resumes.',
  ].join('\n'),
  options: {
    detector: { type: 'string', short: 'd' },
    out: { type: 'string', short: 'o' },
    'no-sheet': { type: 'boolean' },
    crop: { type: 'string' },
    width: { type: 'string' },
    ...OUTPUTS_OPTIONS,
    queue: { type: 'string' },
    'video-url': { type: 'string' },
  },
  async run(positionals, values, ctx) {
    if (!positionals.length) throw new ToonscopeError(undefined, 'shots needs at least one video file (toonscope help shots)');
    const detector = (values.detector as string | undefined) ?? DEFAULT_DETECTOR;
    if (!DETECTORS[detector]) throw new ToonscopeError(undefined, `unknown detector "${detector}"; choose one of ${Object.keys(DETECTORS).join(', ')}`);
    const width = intOption(values, 'width', 16, 1920);
    const outputs = outputsOf(values);
    const videos = expandInputs(positionals);
    const ws = ctx.workspace();
    const crop = values.crop as string | undefined;
    const files = (video: string, r: Pick<ShotResult, 'video' | 'shots' | 'transitions'> & { times?: Float64Array; frames?: number; thumb?: ShotResult['thumb'] }) => writeShotFiles(video, r, detector, values, ws.dir, videos.length);
    if (values.queue) {
      // Loaded only here: a local run never loads the queue code or bullmq.
      const { runQueuedCommand } = await import('../../queue/commands.js');
      const q = await runQueuedCommand(ws, values, positionals, {
        kind: 'shots', params: { detector, width, crop }, schema: ensureSchema, log: ctx.log, progress: ctx.progress,
        // The files are written here from the rows the workers sent (the sheet decodes a few frames of the local copy).
        series: async (w) => {
          const out = [];
          for (const v of w.videos()) {
            if (!positionals.some((p) => resolve(p) === v.path) || !w.stage(v.id, `shots:${detector}`, { detector })) continue;
            const r = { video: { path: v.path, fps: v.fps } as VideoInfo, shots: loadShots(w, v.id, detector), transitions: loadTransitions(w, v.id, detector) };
            const f = await files(v.path, r);
            ctx.log(f.text);
            out.push({ video: v.path, shots: r.shots, transitions: r.transitions, files: f.files });
          }
          return out;
        },
      });
      ctx.result({ run: q.run, episodes: q.episodes, results: q.series }, q.text);
      return q.failed ? 1 : 0;
    }
    const results = [];
    for (const video of videos) {
      const bar = ctx.progress(`shots ${basename(video)}`, 0);
      const r = await detectShots(video, { detector, workspace: ws, width, crop, thumbs: !values['no-sheet'], onProgress: (d, t) => bar.set(d, t) });
      bar.set(r.frames, r.frames);
      bar.done();
      const f = await files(video, r);
      Object.assign(f.files, await writeOutputs(video, r, f.dir, outputs, { workspace: ws, width, crop }, ctx, videos.length));
      warnAbout(video, r.warnings);
      results.push({ video, frames: r.frames, fps: r.video.fps, detector, reusedFrames: r.reused, shots: r.shots, transitions: r.transitions, files: f.files, warnings: r.warnings });
      ctx.log(`${video}: ${r.shots.length} shots in ${r.frames} frames (${clock(r.shots.at(-1)?.endTime ?? 0)}), detector ${detector}${r.reused ? `, ${r.reused} frames reused from the workspace` : ''}\n${f.text}`);
    }
    ctx.result(results.length === 1 ? results[0] : results);
  },
};

/** CSV, JSON, EDL and (unless --no-sheet) the contact sheet of one video, and the lines that list them. */
async function writeShotFiles(video: string, r: Pick<ShotResult, 'video' | 'shots' | 'transitions'> & { times?: Float64Array; frames?: number; thumb?: ShotResult['thumb'] }, detector: string, values: Values, wsDir: string, count: number): Promise<{ files: Record<string, string>; text: string; dir: string }> {
  const stem = basename(video).replace(/\.[^.]+$/, '');
  // Several videos with one --out: each gets its own folder, or they would overwrite each other.
  const dir = resolve(values.out ? (count > 1 ? join(values.out as string, stem) : (values.out as string)) : join(wsDir, 'shots', stem));
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = { csv: join(dir, 'shots.csv'), json: join(dir, 'shots.json'), edl: join(dir, 'shots.edl'), otio: join(dir, 'shots.otio') };
  writeFileWhole(files.csv, shotsCsv(r.shots));
  writeFileWhole(files.json, shotsJson(video, r.video.fps, r.shots, r.transitions, detector));
  writeFileWhole(files.edl, shotsEdl(video, r.video.fps, r.shots, r.transitions, basename(video)));
  const frames = r.frames ?? (r.shots.at(-1)?.end ?? -1) + 1;
  writeFileWhole(files.otio, shotsOtio(video, r.video.fps, r.shots, r.transitions, frames, r.video.audio != null));
  // The sheet module loads sharp (~0.4 s): only when a sheet is wanted. Its pictures come from the metrics decode.
  if (!values['no-sheet']) Object.assign(files, await (await import('../../shots/sheet.js')).contactSheet(video, r.shots, dir, { thumb: r.thumb }));
  // Without the decoded frame times (a queued run) a transition's time is its frame over the frame rate.
  const at = (f: number) => r.times?.[Math.min(f, r.times.length - 1)] ?? f / r.video.fps;
  const text = [
    ...r.transitions.map((t) => `  ${t.kind.padEnd(9)} frame ${String(t.frame).padStart(6)}  ${clock(at(t.frame))}${t.start !== t.end ? `  (frames ${t.start}-${t.end})` : ''}`),
    `  wrote ${Object.values(files).join(', ')}`,
  ].join('\n');
  return { files, text, dir };
}
