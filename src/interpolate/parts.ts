// Resumable video output. An episode takes hours to in-between, so the output
// is written in parts of a fixed number of input frames, each its own encoded
// file, marked done only once complete (OUT.parts/part-NNNNN.mp4 + .json).
// A killed run replays the cheap pair classification from the start and
// synthesises only the unfinished parts; the last step joins the parts
// without re-encoding and carries the input's audio over.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { lastLine, tool } from '../core/ffmpeg.js';
import type { Image } from '../core/types.js';
import { VideoWriter } from '../core/video.js';

/** What the parts were made from: any difference makes them stale. */
export interface PartsJob {
  input: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  fps: string;
  factor: number;
  /** Input frames per part. */
  partFrames: number;
  /** x264 constant rate factor of the parts (0 = lossless). */
  crf: number;
  /** Settings that change the frames (work size, easing). */
  settings: Record<string, unknown>;
}

interface PartStats {
  frames: number;
  /** In-betweens that followed an ease. */
  eased: number;
}

/** Containers that take H.264 video and the common audio codecs. */
const CONTAINERS = /\.(mp4|m4v|mkv|mov)$/i;

export type AudioResult = 'copied' | 're-encoded (aac)' | 'none';

export class PartsWriter {
  /** Parts finished by an earlier run. */
  readonly resumed: number;
  /** True when earlier parts were for another input or other settings and were removed. */
  readonly restarted: boolean;
  /** Extra job data kept with the parts (e.g. the cuts, so a resumed run need not detect them again). */
  readonly extra: Record<string, unknown> | undefined;
  private readonly done = new Set<number>();
  private current: { part: number; writer: VideoWriter; stats: PartStats } | undefined;

  private constructor(readonly output: string, readonly dir: string, readonly job: PartsJob) {
    const saved = readJson(join(dir, 'job.json')) as { job?: PartsJob; extra?: Record<string, unknown> } | undefined;
    this.restarted = saved !== undefined && JSON.stringify(saved.job) !== JSON.stringify(job);
    if (this.restarted || !saved) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ job }));
    } else {
      this.extra = saved.extra;
      for (const f of readdirSync(dir)) {
        const m = /^part-(\d+)\.json$/.exec(f);
        if (m && existsSync(join(dir, `part-${m[1]}.mp4`))) this.done.add(Number(m[1]));
      }
    }
    this.resumed = this.done.size;
  }

  /** Open (or resume) the parts of `output`, kept in `output`.parts beside it. */
  static open(output: string, job: Omit<PartsJob, 'size' | 'mtimeMs' | 'input'> & { input: string }): PartsWriter {
    // Checked before hours of work, not when the parts are joined.
    if (!CONTAINERS.test(output)) throw new ToonscopeError(output, `cannot write this kind of video; use .mp4, .m4v, .mkv or .mov`);
    if (!existsSync(dirname(resolve(output)))) throw new ToonscopeError(output, `cannot write: folder ${dirname(output)} does not exist`);
    if (resolve(output) === resolve(job.input)) throw new ToonscopeError(output, 'is the input video; write the result to another file');
    const st = statSync(job.input);
    const dir = `${output}.parts`;
    try {
      if (!existsSync(dir)) mkdirSync(dir);
    } catch (e) {
      throw new ToonscopeError(output, `cannot create the folder for its parts (${dir}): ${(e as Error).message.split('\n')[0]}`);
    }
    return new PartsWriter(output, dir, { ...job, input: resolve(job.input), size: st.size, mtimeMs: st.mtimeMs });
  }

  /** Keep job data with the parts (replaced on a restart). */
  remember(extra: Record<string, unknown>): void {
    writeFileSync(join(this.dir, 'job.json'), JSON.stringify({ job: this.job, extra }));
  }

  /** Whether the output frames of input frame `index` are already in a finished part. */
  has(index: number): boolean {
    return this.done.has(this.partOf(index));
  }

  private partOf(index: number): number {
    return Math.floor(index / this.job.partFrames);
  }

  private name(part: number): string {
    return join(this.dir, `part-${String(part).padStart(5, '0')}`);
  }

  /** Append an output frame belonging to input frame `index` (in stream order). */
  async write(img: Image, index: number, eased: boolean): Promise<void> {
    const part = this.partOf(index);
    if (this.current && this.current.part !== part) await this.closePart();
    if (!this.current) {
      // Written under a temporary name: a part is done only once renamed and its stats saved.
      const writer = new VideoWriter(`${this.name(part)}.tmp.mp4`, this.job.width, this.job.height, this.job.fps, { crf: this.job.crf });
      this.current = { part, writer, stats: { frames: 0, eased: 0 } };
    }
    await this.current.writer.write(img);
    this.current.stats.frames++;
    if (eased) this.current.stats.eased++;
    // Every input frame gives `factor` output frames: a full part is saved at once, not when the next one starts
    // (which may wait for frames still to be decoded).
    if (this.current.stats.frames === this.job.partFrames * this.job.factor) await this.closePart();
  }

  private async closePart(): Promise<void> {
    const cur = this.current!;
    this.current = undefined;
    await cur.writer.close();
    renameSync(`${this.name(cur.part)}.tmp.mp4`, `${this.name(cur.part)}.mp4`);
    writeFileSync(`${this.name(cur.part)}.json`, JSON.stringify(cur.stats));
    this.done.add(cur.part);
  }

  /** Stop writing after an error; the parts already finished stay for the next run. */
  async abort(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    await cur?.writer.close().catch(() => undefined);
  }

  /**
   * Join all parts into the output with the input's audio, then remove the
   * parts; `expected` is the number of output frames. Returns the in-betweens that followed an ease over all parts and
   * what happened to the audio.
   */
  async finish(expected: number): Promise<{ eased: number; audio: AudioResult }> {
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
      // Only possible if the parts folder was tampered with: redo everything rather than join a wrong video.
      rmSync(this.dir, { recursive: true, force: true });
      throw new ToonscopeError(this.output, `its parts hold ${frames} frames but the video needs ${expected}; the parts were removed, run again`);
    }
    const list = join(this.dir, 'parts.txt');
    writeFileSync(list, parts.map((p) => `file '${basename(this.name(p))}.mp4'\n`).join(''));
    const joined = join(this.dir, `joined${extname(this.output) || '.mp4'}`);
    const hasAudio = audioStreams(this.job.input) > 0;
    const join_ = (audio: string[]) =>
      spawnSync(tool('ffmpeg'), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list,
        '-i', this.job.input, '-map', '0:v', '-map', '1:a?', '-c:v', 'copy', ...audio, joined], { encoding: 'utf8', maxBuffer: 1 << 26 });
    let audio: AudioResult = hasAudio ? 'copied' : 'none';
    let r = join_(['-c:a', 'copy']);
    // Some audio codecs cannot go into some containers (PCM into mp4): re-encode them.
    if (r.status !== 0 && hasAudio) {
      audio = 're-encoded (aac)';
      r = join_(['-c:a', 'aac', '-b:a', '192k']);
    }
    if (r.status !== 0) throw new ToonscopeError(this.output, `ffmpeg could not join the finished parts (kept in ${this.dir}): ${lastLine(r.stderr ?? '')}`);
    renameSync(joined, this.output);
    rmSync(this.dir, { recursive: true, force: true });
    return { eased, audio };
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function audioStreams(path: string): number {
  const r = spawnSync(tool('ffprobe'), ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=index', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim()).length : 0;
}
