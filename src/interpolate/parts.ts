// Resumable video output. An episode takes hours to in-between, so the output
// is written in parts of a fixed number of input frames, each its own encoded
// file, marked done only once complete (OUT.parts/part-NNNNN.mp4 + .json).
// A killed run replays the cheap pair classification from the start and
// synthesises only the unfinished parts; the last step joins the parts
// without re-encoding and carries the input's audio over.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { local, runAsync } from '../core/ffmpeg.js';
import type { Image } from '../core/types.js';
import { probe, VideoWriter } from '../core/video.js';
import { acquire, release } from '../core/lock.js';
import { outputsBefore } from './rate.js';
import type { Ratio } from '../core/rate.js';

/** What the parts were made from: any difference makes them stale. */
export interface PartsJob {
  input: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  fps: string;
  /** Output frames per input frame. */
  ratio: Ratio;
  /** Input frames per part. */
  partFrames: number;
  /** x264 constant rate factor of the parts (0 = lossless). */
  crf: number;
  /** Settings that change the frames (work size, easing), with their defaults filled in. */
  settings: Record<string, unknown>;
}

export interface PartStats {
  frames: number;
  /** Motion pairs whose in-betweens followed an ease. */
  eased: number;
}

/** Containers that take H.264 video and the common audio codecs. */
const CONTAINERS = /\.(mp4|m4v|mkv|mov)$/i;

/** What happened to the input's audio streams (all are kept): 'dropped' when ffmpeg could neither copy nor re-encode them. */
export type AudioResult = 'copied' | 're-encoded (aac)' | 'none' | 'dropped';

/**
 * How one input subtitle stream went into the output: copied as it is, converted to text the container takes
 * (mov_text into mp4 and mov; ASS into mkv for mp4's own text subtitles), or dropped.
 */
export type SubtitleFate = 'copied' | 'mov_text' | 'ass' | 'dropped';

/** Subtitle codecs that are pictures: ffmpeg cannot turn them into text, and only some containers take them (DVD into mp4). */
const PICTURES = new Set(['dvd_subtitle', 'hdmv_pgs_subtitle', 'dvb_subtitle', 'xsub', 'dvb_teletext', 'arib_caption']);
/** Text subtitle codecs mkv cannot hold as they are: converted to ASS. */
const NOT_IN_MKV = new Set(['mov_text', 'eia_608']);

export class PartsWriter {
  /** Parts finished by an earlier run. */
  readonly resumed: number;
  /** True when earlier parts were for another input or other settings and were removed. */
  readonly restarted: boolean;
  /** Extra job data kept with the parts (e.g. the cuts, so a resumed run need not detect them again). */
  private kept: Record<string, unknown> | undefined;
  private readonly done = new Set<number>();
  private current: { part: number; writer: VideoWriter; stats: PartStats } | undefined;
  private lastEased = -1;

  private constructor(readonly output: string, readonly dir: string, readonly job: PartsJob, private readonly encoderThreads?: number) {
    const saved = readJson(join(dir, 'job.json')) as { job?: PartsJob; extra?: Record<string, unknown> } | undefined;
    this.restarted = saved !== undefined && canonical(saved.job) !== canonical(job);
    if (this.restarted || !saved) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ job }));
    } else {
      this.kept = saved.extra;
      for (const f of readdirSync(dir)) {
        const m = /^part-(\d+)\.json$/.exec(f);
        if (m && existsSync(join(dir, `part-${m[1]}.mp4`))) this.done.add(Number(m[1]));
      }
    }
    this.resumed = this.done.size;
  }

  /** Open (or resume) the parts of `output`, kept in `output`.parts beside it. */
  static open(output: string, job: Omit<PartsJob, 'size' | 'mtimeMs'>, encoderThreads?: number): PartsWriter {
    // Checked before hours of work, not when the parts are joined.
    if (!CONTAINERS.test(output)) throw new ToonscopeError(output, `cannot write this kind of video; use .mp4, .m4v, .mkv or .mov`);
    if (!existsSync(dirname(resolve(output)))) throw new ToonscopeError(output, `cannot write: folder ${dirname(output)} does not exist`);
    if (existsSync(output) && statSync(output).isDirectory()) throw new ToonscopeError(output, 'is a folder; give the path of the video to write');
    if (resolve(output) === resolve(job.input)) throw new ToonscopeError(output, 'is the input video; write the result to another file');
    const st = statSync(job.input);
    const dir = `${output}.parts`;
    // Two runs writing one output would remove each other's parts folder mid-write: the second is refused at once.
    acquire(`${output}.lock`, output, 'interpolate', 'is being written by another toonscope interpolate');
    try {
      if (!existsSync(dir)) mkdirSync(dir);
      return new PartsWriter(output, dir, { ...job, input: resolve(job.input), size: st.size, mtimeMs: st.mtimeMs }, encoderThreads);
    } catch (e) {
      release(`${output}.lock`);
      if (e instanceof ToonscopeError) throw e;
      throw new ToonscopeError(output, `cannot create the folder for its parts (${dir}): ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Keep job data with the parts (replaced on a restart). */
  remember(extra: Record<string, unknown>): void {
    writeFileSync(join(this.dir, 'job.json'), JSON.stringify({ job: this.job, extra }));
    this.kept = extra;
  }

  /** Job data kept with the parts by `remember`, in this run or an earlier one. */
  get extra(): Record<string, unknown> | undefined {
    return this.kept;
  }

  /** Whether the output frames of input frame `index` are already in a finished part. */
  has(index: number): boolean {
    return this.done.has(this.partOf(index));
  }

  private partOf(index: number): number {
    return Math.floor(index / this.job.partFrames);
  }

  private name(part: number): string {
    return partName(this.dir, part);
  }

  /** Append an output frame belonging to input frame `index` (in stream order). */
  async write(img: Image, index: number, eased: boolean): Promise<void> {
    const part = this.partOf(index);
    if (this.current && this.current.part !== part) await this.closePart();
    if (!this.current) {
      // Written under a temporary name: a part is done only once renamed and its stats saved.
      const writer = new VideoWriter(`${this.name(part)}.tmp.mp4`, this.job.width, this.job.height, this.job.fps, { crf: this.job.crf, threads: this.encoderThreads });
      this.current = { part, writer, stats: { frames: 0, eased: 0 } };
    }
    await this.current.writer.write(img);
    this.current.stats.frames++;
    // A pair's in-betweens are all eased or none: count the pair once.
    if (eased && this.lastEased !== index) this.current.stats.eased++;
    if (eased) this.lastEased = index;
    // A full part is saved at once, not when the next one starts (which may wait for frames still to be decoded).
    const { ratio, partFrames } = this.job;
    if (this.current.stats.frames === outputsBefore(ratio, (part + 1) * partFrames) - outputsBefore(ratio, part * partFrames)) await this.closePart();
  }

  private async closePart(): Promise<void> {
    const cur = this.current!;
    this.current = undefined;
    await cur.writer.close();
    renameSync(`${this.name(cur.part)}.tmp.mp4`, `${this.name(cur.part)}.mp4`);
    writeFileSync(`${this.name(cur.part)}.json`, JSON.stringify(cur.stats));
    this.done.add(cur.part);
  }

  /** The finished file of part `part` of `output` (in OUTPUT.parts/), without opening the parts. */
  static fileIn(output: string, part: number): string {
    return `${partName(`${output}.parts`, part)}.mp4`;
  }

  /** Number of parts of a video of `frames` input frames. */
  count(frames: number): number {
    return Math.ceil(frames / this.job.partFrames);
  }

  /** Finish the part being written (a one-part run) and stop, keeping the parts; returns that part's stats. */
  async close(part: number): Promise<PartStats> {
    if (this.current) await this.closePart();
    release(`${this.output}.lock`);
    if (!this.done.has(part)) throw new ToonscopeError(this.output, `part ${part} got no frames`);
    return readJson(`${this.name(part)}.json`) as PartStats;
  }

  /** Add a part made elsewhere (a queue worker): its file and stats, done only once both are in place. */
  put(part: number, video: Buffer, stats: PartStats): void {
    writeFileSync(`${this.name(part)}.tmp.mp4`, video);
    renameSync(`${this.name(part)}.tmp.mp4`, `${this.name(part)}.mp4`);
    writeFileSync(`${this.name(part)}.json`, JSON.stringify(stats));
    this.done.add(part);
  }

  /** Whether part `part` is finished. */
  hasPart(part: number): boolean {
    return this.done.has(part);
  }

  /** Stop writing after an error; the parts already finished stay for the next run (with none, the folder goes). */
  async abort(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    await cur?.writer.close().catch(() => undefined);
    if (cur) rmSync(`${this.name(cur.part)}.tmp.mp4`, { force: true });
    // Kept while it holds work: finished parts, or the cuts of a long shot detection.
    if (!this.done.size && !this.kept) rmSync(this.dir, { recursive: true, force: true });
    release(`${this.output}.lock`);
  }

  /**
   * Join all parts into the output with the input's audio, then remove the
   * parts; `expected` is the number of output frames. Returns the motion pairs that followed an ease over all parts and
   * what happened to the audio.
   */
  async finish(expected: number): Promise<{ eased: number; audio: AudioResult; subtitles: SubtitleFate[] }> {
    if (this.current) await this.closePart();
    const parts = [...this.done].sort((p, q) => p - q);
    if (!parts.length) {
      rmSync(this.dir, { recursive: true, force: true });
      throw new ToonscopeError(this.job.input, 'has no frames to interpolate');
    }
    let eased = 0, frames = 0;
    for (const p of parts) {
      const s = readJson(`${this.name(p)}.json`) as PartStats;
      eased += s.eased;
      frames += s.frames;
    }
    if (frames !== expected) {
      // The input decoded to another length than when the parts were made (or the folder was edited): join nothing, keep everything.
      throw new ToonscopeError(this.output, `its finished parts hold ${frames} frames but this run of ${this.job.input} gives ${expected}; ` +
        `nothing was joined (parts kept in ${this.dir}; remove that folder to start over)`);
    }
    // Run inside the parts folder with relative names: ffmpeg reads '#' and '?' in a concat list's own path as URL syntax.
    writeFileSync(join(this.dir, 'parts.txt'), parts.map((p) => `file '${basename(this.name(p))}.mp4'\n`).join(''));
    const joined = `joined${extname(this.output) || '.mp4'}`;
    const { audio: codec, subtitles: subs } = probe(this.job.input);
    // Some audio codecs cannot go into some containers (PCM into mp4): re-encode them. Audio ffmpeg cannot even decode
    // is dropped rather than block the video; any other failure keeps the parts and says why.
    const tries: [AudioResult, string[]][] = codec
      ? [['copied', ['-map', '1:a', '-c:a', 'copy']], ['re-encoded (aac)', ['-map', '1:a', '-c:a', 'aac', '-b:a', '192k']], ['dropped', []]]
      : [['none', []]];
    let error: unknown;
    for (const [audio, args] of tries) {
      if (audio === 'dropped' && (await decodes(this.job.input))) break;
      try {
        // Async, so Ctrl-C stops the join at once and the parts stay.
        await runAsync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', 'parts.txt',
          '-i', local(this.job.input), '-map', '0:v', ...args, '-c:v', 'copy', local(join(this.dir, joined))], this.output, { cwd: this.dir });
      } catch (e) {
        error = e;
        continue;
      }
      const subtitles = subs.length ? await this.addSubtitles(joined, subs) : [];
      renameSync(join(this.dir, joined), this.output);
      rmSync(this.dir, { recursive: true, force: true });
      release(`${this.output}.lock`);
      return { eased, audio, subtitles };
    }
    const why = error instanceof ToonscopeError ? error.problem : String(error);
    throw new ToonscopeError(this.output, `could not join the finished parts (kept in ${this.dir}): ${why}`);
  }

  /**
   * Mux the input's subtitle streams into the joined file (a stream copy, seconds even for an episode): mkv takes
   * them as they are, with the fonts of styled (ASS) subtitles; mp4 and mov take text as mov_text and, where they
   * can, pictures as they are. A stream the container (or ffmpeg) cannot take is dropped and reported, never a
   * reason to lose the others or the video.
   */
  private async addSubtitles(joined: string, codecs: string[]): Promise<SubtitleFate[]> {
    const mkv = /\.mkv$/i.test(joined);
    const want: SubtitleFate[] = codecs.map((c) => (mkv ? (NOT_IN_MKV.has(c) ? 'ass' : 'copied') : PICTURES.has(c) ? 'copied' : 'mov_text'));
    const args = (ks: number[]) => [...ks.flatMap((k) => ['-map', `1:s:${k}`]), ...(mkv ? ['-map', '1:t?'] : []), '-c', 'copy',
      ...ks.flatMap((k, j) => (want[k] === 'copied' ? [] : [`-c:s:${j}`, want[k]]))];
    const mux = async (ks: number[], to: string, video = true) => {
      try {
        await runAsync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', local(join(this.dir, joined)), '-i', local(this.job.input),
          ...(video ? ['-map', '0'] : []), ...args(ks), local(join(this.dir, to))], this.output, { cwd: this.dir });
        return true;
      } catch {
        return false;
      }
    };
    const all = codecs.map((_, k) => k);
    const withSubs = `subs-${joined}`;
    let kept = all;
    if (!(await mux(all, withSubs))) {
      // One stream that cannot go in must not cost the others: find those that go in on their own.
      kept = [];
      for (const k of all) if (await mux([k], `sub-${k}-${joined}`, false)) kept.push(k);
      if (!kept.length || !(await mux(kept, withSubs))) kept = [];
    }
    if (kept.length) renameSync(join(this.dir, withSubs), join(this.dir, joined));
    return want.map((f, k) => (kept.includes(k) ? f : 'dropped'));
  }
}

/** A part's files without their extension: OUTPUT.parts/part-NNNNN. */
const partName = (dir: string, part: number) => join(dir, `part-${String(part).padStart(5, '0')}`);

/** Whether ffmpeg can decode the file's audio from start to end. */
async function decodes(input: string): Promise<boolean> {
  try {
    await runAsync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-xerror', '-i', local(input), '-map', '0:a', '-f', 'null', '-'], input);
    return true;
  } catch {
    return false;
  }
}

/** JSON with object keys sorted, so the same job compares equal however its objects were built. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
