// `toonscope interpolate`: in-betweens for a video (-x N) or one image pair (--between).
import { extname } from 'node:path';
import { ToonscopeError } from '../../core/errors.js';
import { readImage, writeImage } from '../../core/image.js';
import { probe } from '../../core/video.js';
import { intOption, warnAbout, type Command, type Context, type Values } from '../command.js';
import { interpolate, type Synthesizer } from '../../interpolate/interp.js';
import { factorFor, interpolateVideo } from '../../interpolate/video.js';
import { toRatio } from '../../interpolate/rate.js';
import { checkFits } from '../../interpolate/pool.js';
import { easeTimes, motionSpeed } from '../../interpolate/timing.js';
import type { SubtitleFate } from '../../interpolate/parts.js';
import { installedInterpolator } from '../../models/interpolator.js';

export const interpolateCommand: Command = {
  name: 'interpolate',
  summary: 'Synthesize in-between frames of animation (held drawings and cuts are never interpolated across)',
  usage: [
    'toonscope interpolate IN.mp4 -x N OUT.mp4        N times the frame rate (default 2), audio kept',
    'toonscope interpolate IN.mp4 --fps RATE OUT.mp4  to a frame rate (60, 59.94, 60000/1001): in-betweens at the times that rate needs',
    '               resumable: finished parts wait in OUT.mp4.parts/ until the whole video is joined; run the same command again after a stop',
    'toonscope interpolate --between A.png B.png [--t T] OUT.png   the frame at time T (default 0.5) between A and B',
    '  --before P.png --after N.png   with --between: the drawings before A and after B (evenly timed),',
    '               so the in-between can follow the ease of the move (video mode reads the neighbours itself)',
    '  --no-ease    space in-betweens evenly, whatever the neighbouring drawings show',
    '  --work PX    long side of the working resolution for flow (default 448)',
    '  --threads N  video mode: worker threads synthesising in-betweens (default: one per core)',
    '  --models M   learned interpolator: auto (default: the installed one, e.g. toonscope models pull rife), none, or a name;',
    '               it synthesises motion pairs only: held drawings and cuts are still repeated, never interpolated across',
    '  --crf N      video mode: x264 quality, 0 (lossless) to 51 (default 18)',
    '  --part-frames N  video mode: input frames per resumable part (default 240); a stop loses at most the part in progress',
    '  --queue URL  video mode: each part is a job for `toonscope worker`s through Redis (BullMQ); this machine finds the',
    '               cuts, collects the parts into OUT.mp4.parts/ and joins them: the same file a local run writes',
    '  --video-url BASE  with --queue: workers download the input from BASE/<file name> instead of a shared folder',
  ].join('\n'),
  options: {
    x: { type: 'string', short: 'x' },
    fps: { type: 'string' },
    between: { type: 'boolean' },
    t: { type: 'string' },
    work: { type: 'string' },
    before: { type: 'string' },
    after: { type: 'string' },
    'no-ease': { type: 'boolean' },
    threads: { type: 'string' },
    crf: { type: 'string' },
    'part-frames': { type: 'string' },
    models: { type: 'string' },
    queue: { type: 'string' },
    'video-url': { type: 'string' },
  },
  async run(pos, values, ctx) {
    const work = intOption(values, 'work', 32);
    // An installed learned interpolator (toonscope models) synthesises motion pairs; holds and cuts stay as they are.
    const learned = await installedInterpolator(values.models as string | undefined);
    try {
      await run(pos, values, ctx, work, learned);
    } finally {
      await learned?.dispose();
    }
  },
};

async function run(pos: string[], values: Values, ctx: Context, work: number | undefined, learned: Synthesizer | undefined): Promise<void> {
  {
    if (values.between) {
      for (const o of ['x', 'fps', 'threads', 'crf', 'part-frames'] as const) {
        if (values[o] !== undefined) throw new ToonscopeError(undefined, `${o === 'x' ? '-x' : `--${o}`} only applies to video mode, not with --between`);
      }
      if (pos.length !== 3) throw new ToonscopeError(undefined, 'usage: toonscope interpolate --between A.png B.png [--t T] OUT.png');
      const t = values.t === undefined ? 0.5 : Number(values.t);
      if (!(t > 0 && t < 1)) throw new ToonscopeError(undefined, `--t must be strictly between 0 and 1, got ${values.t}`);
      const [a, b, out] = pos;
      const A = await readImage(a), B = await readImage(b);
      if (A.width !== B.width || A.height !== B.height) throw new ToonscopeError(b, `is ${B.width}x${B.height} but ${a} is ${A.width}x${A.height}; frames must match`);
      const side = async (f: unknown) => {
        if (f === undefined) return undefined;
        const img = await readImage(String(f));
        if (img.width !== A.width || img.height !== A.height) throw new ToonscopeError(String(f), `is ${img.width}x${img.height} but ${a} is ${A.width}x${A.height}; frames must match`);
        return img;
      };
      if ((values.before === undefined) !== (values.after === undefined)) throw new ToonscopeError(undefined, '--before and --after go together: the ease is read from the drawings on both sides');
      const P = await side(values.before), N = await side(values.after);
      checkFits(A.width, A.height, a);
      const t0 = performance.now();
      const speeds = P && N && !values['no-ease'] ? { prev: await motionSpeed(P, A), cur: await motionSpeed(A, B), next: await motionSpeed(B, N) } : undefined;
      const position = speeds ? easeTimes([t], speeds)[0] : t;
      const mid = learned ? await learned.between(A, B, position) : await interpolate(A, B, t, { workSize: work, speeds });
      await writeImage(out, mid);
      const eased = position !== t ? `; the move eases, so it sits at ${position.toFixed(2)} of the way` : '';
      ctx.result({ output: out, t, position, width: A.width, height: A.height, seconds: (performance.now() - t0) / 1000 }, `wrote ${out} (t=${t}, ${A.width}x${A.height}${eased})`);
      return;
    }
    if (values.t !== undefined) throw new ToonscopeError(undefined, '--t only applies with --between');
    const threads = intOption(values, 'threads', 1, 64);
    const crf = intOption(values, 'crf', 0, 51);
    const partFrames = intOption(values, 'part-frames', 1);
    if (values.before !== undefined || values.after !== undefined) throw new ToonscopeError(undefined, '--before and --after only apply with --between (video mode reads the neighbours itself)');
    if (pos.length !== 2) throw new ToonscopeError(undefined, 'usage: toonscope interpolate IN.mp4 -x N OUT.mp4 (or --fps RATE)');
    if (values.x !== undefined && values.fps !== undefined) throw new ToonscopeError(undefined, 'give -x N or --fps RATE, not both');
    const [input, output] = pos;
    const info = probe(input);
    const factor = values.fps !== undefined ? factorFor(input, String(values.fps)) : toRatio(intOption(values, 'x', 2, 16, 2)!);
    if (values.queue) {
      // Loaded only here: a local run never loads the queue code or bullmq.
      const { runQueuedInterpolate } = await import('../../queue/interpolate.js');
      const { videoSource } = await import('../../queue/commands.js');
      const r = await runQueuedInterpolate(input, output, values.queue as string, {
        factor, crf, partFrames, interp: { workSize: work }, ease: !values['no-ease'], learned, source: videoSource(values), log: ctx.log, progress: ctx.progress,
      });
      const by = new Map<string, number>();
      for (const p of r.parts) by.set(p.worker ?? '?', (by.get(p.worker ?? '?') ?? 0) + 1);
      ctx.result({ file: output, ...r }, `wrote ${output}: ${r.output} frames at ${r.fps} fps from ${r.input}; ${r.parts.length} part(s) (${[...by].map(([w, n]) => `${n} by ${w}`).join(', ')}), ` +
        `${r.eased} pairs following an ease; audio ${r.audio}${subtitleSummary(r.subtitles, extname(output))} (queue run ${r.run})`);
      return;
    }
    if (values['video-url'] !== undefined) throw new ToonscopeError(undefined, '--video-url only applies with --queue');
    const progress = ctx.progress(values.fps !== undefined ? `interpolating to ${values.fps} fps` : `interpolating x${factor.num}`, info.frames ?? 0);
    // Ctrl-C loses at most the part in progress: say so, and how to go on.
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`\nstopped (${signal}); finished parts are kept in ${output}.parts/: run the same command to resume\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let r;
    try {
      r = await interpolateVideo(input, output, { factor, threads, crf, partFrames, interp: { workSize: work }, ease: !values['no-ease'], progress, learned });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    progress.done();
    // On stderr as `toonscope shots` and `analyze` say them: a truncated input gives a short output.
    warnAbout(input, r.warnings);
    const resumed = r.resumed ? `; resumed with ${r.resumed} finished part(s) of an earlier run` : r.restarted ? '; earlier parts were for other settings and were redone' : '';
    ctx.result({ file: output, ...r }, `wrote ${output}: ${r.output} frames at ${r.fps} fps from ${r.input}; ` +
      `${r.pairs.motion} pairs interpolated (${r.eased} following an ease), ${r.pairs.held} held drawings and ${r.pairs.cut} cuts repeated; audio ${r.audio === 'dropped' ? 'dropped (ffmpeg could neither copy nor re-encode it)' : r.audio}` +
      `${subtitleSummary(r.subtitles, extname(output))}${resumed}`);
  }
}

/** '; subtitles 1 copied, 1 as mov_text, 1 dropped (why)' for the per-stream fates, or nothing when there were none. */
function subtitleSummary(fates: SubtitleFate[], ext: string): string {
  if (!fates.length) return '';
  const n = (f: SubtitleFate) => fates.filter((x) => x === f).length;
  const why = /^\.mkv$/i.test(ext) ? 'ffmpeg could not carry them' : `${ext} cannot hold them: write .mkv to keep them`;
  const said = [n('copied') && `${n('copied')} copied`, n('mov_text') && `${n('mov_text')} as mov_text`, n('ass') && `${n('ass')} as ASS`, n('dropped') && `${n('dropped')} dropped (${why})`];
  return `; subtitles ${said.filter(Boolean).join(', ')}`;
}
