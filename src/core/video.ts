// Video input/output through ffmpeg subprocesses. ffmpeg does the decode and
// the downscale (much faster than doing it in JS); frames stream into Node as
// raw RGB. Frame indices count decoded frames with `-fps_mode passthrough`
// (no duplication or dropping), and every frame's presentation time comes
// from ffmpeg's showinfo filter, so VFR clips get exact timestamps.
import type { Readable, Writable } from 'node:stream';
import { spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { statSync, openSync, readSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ToonscopeError } from './errors.js';
import { run, lastLine, spawnTool, local, tool, withoutPrefix } from './ffmpeg.js';
import { parseFps } from './rate.js';
import type { FrameCache } from './frame-cache.js';
import type { Frame, Image, VideoInfo } from './types.js';

/** Check a path is a non-empty readable file before handing it to ffmpeg. */
export function checkFile(path: string): number {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ToonscopeError(path, 'is a directory, expected a video file');
    size = st.size;
  } catch (e) {
    if (e instanceof ToonscopeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToonscopeError(path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(e)})`);
  }
  if (size === 0) throw new ToonscopeError(path, 'file is empty (0 bytes)');
  try {
    const fd = openSync(path, 'r');
    readSync(fd, Buffer.alloc(1), 0, 1, 0);
    closeSync(fd);
  } catch (e) {
    throw new ToonscopeError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return size;
}

const probed = new Map<string, { key: string; info: VideoInfo }>();

/** Probe a video: size, frame rate, duration, frame count. Clear errors for non-video input. Cached while the file is unchanged. */
export function probe(path: string): VideoInfo {
  checkFile(path);
  const st = statSync(path);
  const key = `${st.size}:${st.mtimeMs}`;
  // By absolute path: the same file named relatively and absolutely (interpolate's parts keep the absolute one) is
  // probed once, each caller getting its own name back.
  const abs = resolve(path);
  const hit = probed.get(abs);
  if (hit?.key === key) return { ...hit.info, path };
  const info = probeFile(path);
  probed.set(abs, { key, info });
  return { ...info };
}

function probeFile(path: string): VideoInfo {
  let json: any;
  try {
    json = JSON.parse(
      run('ffprobe', ['-v', 'error', '-show_entries',
        'stream=codec_type,codec_name,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration,start_time:stream_tags=rotate:stream_side_data=rotation:format=duration,start_time,format_name',
        '-of', 'json', local(path)], path),
    );
  } catch (e) {
    if (e instanceof ToonscopeError && e.file !== undefined) {
      const why = e.problem.replace(/^ffprobe failed: /, '');
      throw new ToonscopeError(path, `not a readable video (${why})`);
    }
    throw e;
  }
  const streams: any[] = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video');
  if (!v) throw new ToonscopeError(path, `no video stream (format: ${json.format?.format_name ?? 'unknown'}); expected a video file`);
  // Still images come through image2/png_pipe demuxers: accept only real video.
  const fmt: string = json.format?.format_name ?? '';
  if (/(^|,)(image2|png_pipe|jpeg_pipe|webp_pipe|bmp_pipe|gif)($|,)/.test(fmt) && !(Number(v.nb_frames) > 1)) {
    throw new ToonscopeError(path, `is a still image (${fmt}), expected a video`);
  }
  // Phone videos store the picture as shot plus a rotation; ffmpeg turns decoded frames upright, so every size
  // toonscope uses (scaling, boxes, outputs) is the displayed one, sides swapped for a quarter turn.
  const rotation = rotationOf(v);
  const turned = Math.abs(rotation) % 180 === 90;
  const width = Number(turned ? v.height : v.width), height = Number(turned ? v.width : v.height);
  // A frame under 2 pixels a side has no size to scale to (the fitted width rounds to 0, and a 0-byte frame
  // never finishes reading): refuse it here, once, for every command.
  if (!(width >= MIN_SIDE && height >= MIN_SIDE)) {
    throw new ToonscopeError(path, `is ${width || '?'}x${height || '?'} pixels: too small to analyse (each side needs at least ${MIN_SIDE} pixels)`);
  }
  const rate = parseFps(v.r_frame_rate) ?? parseFps(v.avg_frame_rate) ?? null;
  const fps = rate ? rate.num / rate.den : NaN;
  const duration = Number(v.duration ?? json.format?.duration) || 0;
  const nb = Number(v.nb_frames);
  return {
    path,
    width,
    height,
    rotation,
    fps: Number.isFinite(fps) && fps > 0 ? fps : 25,
    fpsText: v.r_frame_rate ?? String(fps),
    frames: Number.isFinite(nb) && nb > 0 ? nb : duration && fps ? Math.round(duration * fps) : null,
    duration,
    codec: v.codec_name ?? 'unknown',
    startTime: Number(v.start_time ?? json.format?.start_time) || 0,
    rate,
    audio: codecs(streams, 'audio')[0] ?? null,
    subtitles: codecs(streams, 'subtitle'),
  };
}

/** The stream's display rotation in degrees (side data, or the older `rotate` tag), normalised to -180..180; 0 when none. */
function rotationOf(v: { side_data_list?: { rotation?: number | string }[]; tags?: { rotate?: string } }): number {
  const side = v.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const r = Number(side ?? v.tags?.rotate ?? 0);
  if (!Number.isFinite(r)) return 0;
  const n = ((Math.round(r) % 360) + 360) % 360;
  return n > 180 ? n - 360 : n;
}

/** The codecs of the streams of one type, in order; 'unknown' for one ffprobe cannot name. */
function codecs(streams: { codec_type?: string; codec_name?: string }[], type: string): string[] {
  return streams.filter((s) => s.codec_type === type).map((s) => s.codec_name ?? 'unknown');
}

/** The smallest video side toonscope analyses (pixels). */
export const MIN_SIDE = 2;

/**
 * The size `analyze` looks at a frame in: `width` on its longer side. A landscape frame is `width` wide, as with
 * `fitSize`; a portrait one (a phone-shaped clip) `width` tall, so it has the pixels of a landscape frame of its
 * shape and its characters the size they would have there, not twice as many pixels for the detectors to go over.
 */
export function analysisSize(info: Pick<VideoInfo, 'width' | 'height'>, width: number): { width: number; height: number } {
  return fitSize(info, info.height > info.width ? Math.round((width * info.width) / info.height) : width);
}

/** Output size for an analysis decode: fit `width` keeping the aspect ratio, even sides of at least 2 pixels. */
export function fitSize(info: Pick<VideoInfo, 'width' | 'height'>, width: number): { width: number; height: number } {
  const w = Math.max(2, Math.min(width, info.width) & ~1);
  const h = Math.max(2, Math.round((info.height * w) / info.width / 2) * 2);
  return { width: w, height: h };
}

export interface DecodeOptions {
  /** Output width (ffmpeg scales); default: source size. */
  width?: number;
  height?: number;
  /** 1 = gray, 3 = RGB (default). */
  channels?: 1 | 3;
  /** Start decoding at this frame index (needs `times` of earlier frames: it seeks by timestamp). */
  fromFrame?: number;
  /** Presentation time of frames `fromFrame - 1` and `fromFrame`, used to seek exactly between them. */
  seekBetween?: [number, number];
  /** Start at this presentation time (seconds): frames before it are not output. */
  seek?: number;
  /** ffmpeg decoder threads (fast mode's default: one per core). */
  threads?: number;
  /** Decode only these many frames. */
  maxFrames?: number;
  /** Trade a little accuracy for speed (skip the in-loop deblocking filter); fine for analysis. */
  fast?: boolean;
  /** Extra filters appended before scaling (e.g. a crop). */
  filter?: string;
  /** No output is not an error (a select filter that matched nothing). */
  mayBeEmpty?: boolean;
  /** JPEG thumbnails of every `every`-th frame from the same decode (a second ffmpeg output; `frames` is untouched). */
  thumbs?: ThumbOptions;
  /**
   * Frames in SharedArrayBuffer memory, assembled there from the pipe (the copy a frame needs anyway), so that worker
   * threads can read them without a copy per message.
   */
  shared?: boolean;
}

export interface ThumbOptions {
  every: number;
  /** Thumbnail width; the height keeps the decode's aspect. */
  width: number;
  /** Called with the frame index (as in the yielded frames) and its JPEG, in order, as they arrive. */
  onThumb: (index: number, jpeg: Buffer) => void;
}

/**
 * The downscale. Area averaging over the full-size frame costs about a
 * quarter of an h264 decode; in fast mode, a large reduction first takes
 * the bilinear fast path to twice the target size (2 taps per output pixel,
 * cheap), then area-averages 2x2 (the shot metrics' values move by a few
 * levels, detections on the evaluation clips do not: docs/shots.md).
 */
function scaler(width: number, height: number, fast?: boolean): string[] {
  const area = `scale=${width}:${height}:flags=area`;
  if (!fast) return [area];
  // Sizes as expressions of the filter's input: a crop before it changes the size.
  const half = (n: string, target: number) => `'if(gte(${n}\\,${4 * target})\\,${2 * target}\\,${n})'`;
  return [`scale=w=${half('iw', width)}:h=${half('ih', height)}:flags=fast_bilinear`, area];
}

/**
 * The decode's filters and outputs. With thumbnails, the graph splits after
 * the cheap first downscale (the analysis branch is byte-identical to the
 * unsplit chain); the thumbnail branch selects every n-th frame before
 * scaling and ffmpeg encodes it as MJPEG on fd 3, so a contact sheet costs
 * no second decode and Node never sees large frames.
 */
function graph(width: number, height: number, opts: DecodeOptions): string[] {
  const stages = [opts.filter, ...scaler(width, height, opts.fast)].filter(Boolean) as string[];
  const pixFmt = ['-pix_fmt', opts.channels === 1 ? 'gray' : 'rgb24'];
  const frames = opts.maxFrames ? ['-frames:v', String(opts.maxFrames)] : [];
  if (!opts.thumbs) return ['-fps_mode', 'passthrough', '-vf', [...stages, 'showinfo=checksum=0'].join(','), ...pixFmt, ...frames, '-f', 'rawvideo', 'pipe:1'];
  const t = opts.thumbs;
  const th = Math.max(2, Math.round((height * t.width) / width / 2) * 2);
  const shared = stages.slice(0, -1);
  const fc = `[0:v:0]${[...shared, 'split=2'].join(',')}[a][b];[a]${stages.at(-1)},showinfo=checksum=0[main];`
    + `[b]select='not(mod(n\\,${t.every}))',scale=${t.width}:${th}:flags=area[thumb]`;
  return ['-filter_complex', fc,
    '-map', '[main]', '-fps_mode', 'passthrough', ...pixFmt, ...frames, '-f', 'rawvideo', 'pipe:1',
    '-map', '[thumb]', '-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', '5', '-threads', '1', '-f', 'image2pipe', 'pipe:3'];
}

/**
 * Cut a stream of concatenated JPEGs into images: header segments are
 * skipped by their lengths, then the entropy-coded data runs to the first
 * marker that is not a stuffed 0xFF00 or a restart marker (the EOI).
 */
export function jpegSplitter(onImage: (jpeg: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const end = jpegEnd(buf);
      if (end < 0) break;
      onImage(Buffer.from(buf.subarray(0, end)));
      buf = buf.subarray(end);
    }
    if (buf.length) buf = Buffer.from(buf);
  };
}

/** Length of the complete JPEG at the start of `b`, or -1 while it is incomplete. */
function jpegEnd(b: Buffer): number {
  if (b.length < 4) return -1;
  let i = 2; // after SOI
  for (;;) {
    if (i + 4 > b.length) return -1;
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    i += 2 + len;
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
  }
  for (; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const m = b[i + 1];
    if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) continue;
    return m === 0xd9 ? i + 2 : -1;
  }
  return -1;
}

/** A decoding problem ffmpeg reported while frames kept coming (e.g. a truncated file). */
export interface DecodeReport {
  frames: number;
  warnings: string[];
  /** ffmpeg ended with an error after frames had come (not when the consumer stopped early). */
  failed?: boolean;
}

/**
 * A readable's chunks, taken synchronously when some are queued (its async
 * iterator costs a few promises per chunk, and shot detection reads one
 * chunk per frame). The stream pauses while `limit` bytes wait, so a slow
 * consumer does not buffer the whole video.
 */
function chunks(stream: Readable, limit: number): { take(): Buffer | undefined; wait(): Promise<Buffer | undefined> } {
  const queue: Buffer[] = [];
  let head = 0;
  let queued = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stream.on('data', (c: Buffer) => {
    queue.push(c);
    queued += c.length;
    if (queued >= limit) stream.pause();
    signal();
  });
  for (const ev of ['end', 'close', 'error']) stream.on(ev, () => { ended = true; signal(); });
  const take = () => {
    if (head >= queue.length) return undefined;
    const c = queue[head];
    queue[head++] = undefined as unknown as Buffer;
    if (head > 64) {
      queue.splice(0, head);
      head = 0;
    }
    queued -= c.length;
    if (queued < limit && stream.isPaused()) stream.resume();
    return c;
  };
  const wait = async () => {
    while (head >= queue.length && !ended) await new Promise<void>((r) => (wake = r));
    return take();
  };
  return { take, wait };
}

/** `chunks` joined into one buffer of `bytes` bytes in shared memory. */
function joinShared(chunks: Buffer[], bytes: number): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(bytes));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Stream decoded frames. Throws a ToonscopeError naming the file when nothing
 * decodes; a partly damaged file yields what decodes and records warnings in `report`.
 */
export async function* decode(path: string, opts: DecodeOptions = {}, report?: DecodeReport): AsyncGenerator<Frame> {
  const info = probe(path);
  const channels = opts.channels ?? 3;
  const width = opts.width ?? info.width;
  const height = opts.height ?? Math.round((info.height * width) / info.width);
  const frameBytes = width * height * channels;
  // Each turn of the read loop below consumes a frame's bytes: a frame of 0 bytes would yield empty frames forever.
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new ToonscopeError(path, `cannot decode to ${width}x${height} pixels (source ${info.width}x${info.height})`);
  }
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  // Fast mode also leaves a core's share for the Node side: ffmpeg's default is cores + 1 frame threads.
  // Its filters run on small frames: slice threads (a pool per scale filter, one per core by default) cost more
  // in wake-ups than they save (2-minute 720p decode: 13 threads, ~0.7 CPU s more, the same bytes out).
  if (opts.fast) args.push('-skip_loop_filter', 'all', '-filter_threads', '1', '-filter_complex_threads', '1');
  if (opts.threads || opts.fast) args.push('-threads', String(opts.threads ?? availableParallelism()));
  const seek = opts.seekBetween ? (opts.seekBetween[0] + opts.seekBetween[1]) / 2 : opts.seek;
  if (seek !== undefined) args.push('-ss', String(Math.max(0, seek - info.startTime)));
  args.push('-i', local(path));
  if (!opts.thumbs) args.push('-map', '0:v:0');
  args.push('-an', '-sn', '-dn', '-copyts');
  // showinfo gives each frame's exact time; its checksums are not needed.
  args.push(...graph(width, height, opts));

  const proc = spawnTool('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', opts.thumbs ? 'pipe' : 'ignore'] }) as ChildProcessByStdio<null, Readable, Readable>;
  if (opts.thumbs) {
    const t = opts.thumbs;
    const first = opts.fromFrame ?? 0;
    let k = 0;
    const split = jpegSplitter((jpeg) => t.onThumb(first + t.every * k++, jpeg));
    const out = proc.stdio[3] as Readable;
    out.on('data', split);
    out.on('error', () => undefined);
  }
  const times: number[] = [];
  // The time base of showinfo's input link, from its "config in" line (printed before any frame).
  let base: [number, number] | undefined;
  const errors: string[] = [];
  // Live: a consumer can tell damage from other surprises (a gap in the times) while frames still come.
  if (report) report.warnings = errors;
  let errTail = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => {
    const lines = (errTail + chunk).split('\n');
    errTail = lines.pop() ?? '';
    for (const line of lines) {
      // Keyed by showinfo's own frame number, so a line we cannot read shifts nothing.
      const m = /Parsed_showinfo.*?\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+)/.exec(line);
      const tb = m ? undefined : /Parsed_showinfo.*?config in time_base:\s*(\d+)\/(\d+)/.exec(line);
      if (tb) {
        if (Number(tb[1]) > 0 && Number(tb[2]) > 0) base = [Number(tb[1]), Number(tb[2])];
      } else if (m) {
        // pts_time is printed with six significant digits: past 1000 s that is 10 ms, more than a quarter of a
        // 59.94 fps frame, and frames selected by time went missing. The integer pts in the link's time base is exact.
        const pts = Number(m[2]);
        const t = base && Number.isSafeInteger(pts) ? (pts * base[0]) / base[1] : Number(m[3]);
        times[Number(m[1])] = Number.isFinite(t) ? t : NaN;
        wake();
      } else if (/error|invalid|corrupt|truncat|missing|partial file/i.test(line) && !/^\s*(Stream|Input|Output|Metadata)/.test(line)) {
        if (errors.length < 20) errors.push(withoutPrefix(line));
      }
    }
  });
  let closed = false;
  let stderrEnded = false;
  const exited = new Promise<number>((resolve) => proc.on('close', (code) => {
    closed = true;
    wake();
    resolve(code ?? 1);
  }));
  proc.on('error', () => undefined);
  proc.stderr.on('end', () => {
    stderrEnded = true;
    wake();
  });
  // Frames (stdout) and their times (stderr) arrive on separate pipes: wait for the time.
  let waiter: (() => void) | undefined;
  function wake() {
    const w = waiter;
    waiter = undefined;
    w?.();
  }
  const timeOf = async (n: number): Promise<number | undefined> => {
    while (times[n] === undefined && !closed && !stderrEnded) await new Promise<void>((r) => (waiter = r));
    return Number.isNaN(times[n]) ? undefined : times[n];
  };

  const first = opts.fromFrame ?? 0;
  let finished = false;
  let n = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const fallbackDt = 1 / info.fps;
  const src = chunks(proc.stdout, Math.max(4 * frameBytes, 1 << 20));
  try {
    for (;;) {
      const chunk = src.take() ?? (await src.wait());
      if (!chunk) break;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < frameBytes) continue;
      let buf = opts.shared ? joinShared(pending, pendingBytes) : pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      let off = 0;
      while (buf.length - off >= frameBytes) {
        // A view, not a copy: Node gives every pipe read memory of its own (no two chunks share an ArrayBuffer), and a
        // small frame usually is one whole chunk (ffmpeg writes a frame at a time). Saves an allocation and a copy per
        // frame, and most of the garbage collection of a shot-detection decode.
        const data = new Uint8Array(buf.buffer, buf.byteOffset + off, frameBytes);
        off += frameBytes;
        // Usually the time is already parsed: skip the await (a microtask per frame).
        const known = times[n];
        const t = known === undefined ? await timeOf(n) : Number.isNaN(known) ? undefined : known;
        const time = t ?? (n > 0 && Number.isFinite(times[n - 1]) ? times[n - 1] + fallbackDt : n * fallbackDt);
        yield { index: first + n, time, width, height, channels, data };
        n++;
      }
      buf = buf.subarray(off);
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
    }
    finished = true;
  } finally {
    // Only a consumer that stopped early leaves ffmpeg running; a finished one may still be exiting cleanly.
    if (!finished && proc.exitCode === null) proc.kill('SIGKILL');
  }
  const code = await exited;
  if (errTail) errors.push(errTail.trim());
  if (report) {
    report.frames = n;
    report.warnings = errors;
    report.failed = finished && code !== 0;
  }
  if (n === 0 && seek === undefined && !(opts.mayBeEmpty && code === 0)) {
    const why = errors[errors.length - 1] || (code !== 0 ? `ffmpeg exit code ${code}` : 'the stream has no frames');
    throw new ToonscopeError(path, `no frame could be decoded (${why})`);
  }
}

/**
 * A filter of the user's (`shots --crop`) tried on one blank frame of the video's size before any decoding: ffmpeg
 * refusing it would otherwise read as the video not decoding. Throws a one-line error naming the filter.
 */
export function checkFilter(filter: string, info: Pick<VideoInfo, 'width' | 'height'>): void {
  // The blank frame made inside the graph: a source filter needs only libavfilter, where `-f lavfi` needs libavdevice.
  const graph = `color=c=black:s=${info.width}x${info.height}:r=1:d=1,${filter},scale=16:16`;
  const r = spawnSync(tool('ffmpeg'), ['-hide_banner', '-nostdin', '-v', 'error', '-filter_complex', graph, '-frames:v', '1', '-f', 'null', '-'], { encoding: 'utf8' });
  if (r.status === 0) return;
  // ffmpeg itself failing is not the filter's fault.
  if (r.error) throw new ToonscopeError(undefined, `ffmpeg could not start to try crop filter "${filter}": ${r.error.message}`);
  if (r.status === null) throw new ToonscopeError(undefined, `ffmpeg was stopped by ${r.signal} while trying crop filter "${filter}"`);
  // ffmpeg's first complaint says what is wrong ("Error when evaluating the expression 'zz'"); its last, only that it stopped.
  const why = (r.stderr ?? '').split('\n').map(withoutPrefix).find(Boolean) ?? `exit code ${r.status}`;
  throw new ToonscopeError(undefined, `crop filter "${filter}" is refused by ffmpeg: ${why}`);
}

/**
 * Presentation times of the video's keyframes, in order (a demux-only pass:
 * no decoding). Asynchronous, so decoding can start meanwhile; a file ffprobe
 * cannot list gives no keyframes.
 */
export function keyframeTimes(path: string): Promise<number[]> {
  return new Promise((resolve) => {
    const proc = spawnTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', local(path)], { stdio: ['ignore', 'pipe', 'ignore'] }) as ChildProcessByStdio<null, Readable, null>;
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (c: string) => (out += c));
    proc.on('error', () => resolve([]));
    proc.on('close', () => {
      const times: number[] = [];
      for (const line of out.split('\n')) {
        const [t, flags] = line.split(',');
        if (flags?.includes('K') && t !== 'N/A' && Number.isFinite(Number(t))) times.push(Number(t));
      }
      resolve(times.sort((a, b) => a - b));
    });
  });
}

/**
 * `t1+t2+...` as a balanced tree: ffmpeg's expression parser refuses a flat
 * sum of more than 100 terms, a balanced one only nests log2(n) deep.
 */
export function anyOf(terms: string[]): string {
  let t = terms;
  while (t.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < t.length; i += 2) next.push(i + 1 < t.length ? `(${t[i]}+${t[i + 1]})` : t[i]);
    t = next;
  }
  return t[0] ?? '0';
}

/** How `decodeSelected` finds its frames, and what it keeps of them. */
export interface SelectOptions {
  /** Every frame's time (e.g. from shot detection): each chunk seeks, then selects by time. */
  times?: ArrayLike<number>;
  /** Filled with the asked frames that could not be delivered. */
  report?: { missing: number[] };
  /** Frames kept by earlier calls come from here, and what is decoded is kept here: those `keep` passes, else all. */
  cache?: FrameCache;
  keep?: (index: number) => boolean;
}

/**
 * Stream only the frames at `indices` (decode order), in increasing order.
 * ffmpeg decodes but scales and sends only the chosen frames. Given every
 * frame's time (`times`, e.g. from shot detection), each chunk of the list
 * seeks to a second before its first frame and selects frames by timestamp,
 * which stays exact whatever the container's start offsets. Frames in `cache`
 * come from memory, and ffmpeg decodes only the others.
 */
export async function* decodeSelected(path: string, indices: number[], size: { width: number; height: number }, opts: SelectOptions = {}): AsyncGenerator<Frame> {
  const { times, report, cache, keep } = opts;
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (!sorted.length) return;
  const key = cache?.key(path, size, times);
  const hits = key === undefined ? [] : sorted.filter((i) => cache!.has(key, i));
  const rest = hits.length ? sorted.filter((i) => !cache!.has(key, i)) : sorted;
  // Frames that could not be selected (a damaged stretch, a seek that fell short) are listed, not silently dropped.
  const got = new Set<number>();
  let h = 0;
  try {
    if (rest.length) {
      for await (const f of selected(path, rest, size, times)) {
        // Kept frames before this one first: the stream stays in increasing order.
        while (h < hits.length && hits[h] < f.index) {
          got.add(hits[h]);
          yield cache!.get(key, hits[h++])!;
        }
        if (cache && (!keep || keep(f.index))) cache.put(key, f);
        got.add(f.index);
        yield f;
      }
    }
    while (h < hits.length) {
      got.add(hits[h]);
      yield cache!.get(key, hits[h++])!;
    }
  } finally {
    if (report) report.missing = sorted.filter((i) => !got.has(i));
  }
}

/**
 * Whether a recorded frame time is the decoded frame's: within `tol`, or equal to the decoded time printed to six
 * significant digits, which is what versions before exact times recorded (showinfo's pts_time; 5 ms off past 1000 s,
 * more than a 59.94 fps frame's quarter), so workspaces they made still resume and select their frames.
 */
export function sameTime(recorded: number, decoded: number, tol: number): boolean {
  return Math.abs(recorded - decoded) <= tol || recorded === Number(decoded.toPrecision(6));
}

async function* selected(path: string, sorted: number[], size: { width: number; height: number }, times?: ArrayLike<number>): AsyncGenerator<Frame> {
  if (!times) {
    const sel = anyOf(sorted.map((i) => `eq(n\\,${i})`));
    let k = 0;
    for await (const f of decode(path, { ...size, filter: `select='${sel}'`, maxFrames: sorted.length, mayBeEmpty: true })) {
      f.index = sorted[k++];
      yield f;
      if (k >= sorted.length) break;
    }
    return;
  }
  const info = probe(path);
  const eps = 0.25 / info.fps;
  // The select expression is evaluated per frame: keep it short.
  const CHUNK = 100;
  // Both sides of the select's test as ffmpeg reads them (six decimals).
  const E = Number(eps.toFixed(6));
  // A decoded frame is the recorded one when their times agree this closely (or the recorded time is its old printout).
  const tol = Math.min(eps / 2, 1e-3);
  for (let c = 0; c < sorted.length; c += CHUNK) {
    const part = sorted.slice(c, c + CHUNK);
    const wanted = new Set(part);
    const at = part.map((i) => Number(times[i].toFixed(6)));
    const sel = anyOf(at.map((t) => `lt(abs(t-${t.toFixed(6)})\\,${eps.toFixed(6)})`));
    // Every frame the select passes, in order: the asked ones and their neighbours within eps (a duplicated timestamp,
    // a 120 fps stretch in a clip said to be 24 fps). The m-th frame out is the m-th of this list, so frames sharing a
    // time are told apart by their order, and the decode stops after as many frames as the list holds.
    const passes = new Set<number>();
    part.forEach((i, k) => {
      for (let j = i; j >= 0 && Math.abs(times[j] - at[k]) < E; j--) passes.add(j);
      for (let j = i + 1; j < times.length && Math.abs(times[j] - at[k]) < E; j++) passes.add(j);
    });
    const list = [...passes].sort((a, b) => a - b);
    const from = Math.max(0, at[0] - 1);
    const opts: DecodeOptions = { ...size, filter: `select='${sel}'`, maxFrames: list.length };
    if (from > 0) opts.seekBetween = [from, from];
    let m = 0, delivered = 0;
    for await (const f of decode(path, opts)) {
      // Listed frames the decode did not give (a damaged stretch, a recorded time it does not reproduce) are passed over.
      while (m < list.length && times[list[m]] < f.time - tol && !sameTime(times[list[m]], f.time, tol)) m++;
      if (m >= list.length) break;
      // A frame the list does not expect here is not one of ours.
      if (!sameTime(times[list[m]], f.time, tol)) continue;
      const j = list[m++];
      if (!wanted.has(j)) continue;
      f.index = j;
      yield f;
      if (++delivered >= part.length) break;
    }
  }
}

/** Decode a few frames by index into a map (for thumbnails of short lists). */
export async function grabFrames(path: string, indices: number[], width?: number): Promise<Map<number, Frame>> {
  const info = probe(path);
  const size = width ? fitSize(info, width) : { width: info.width, height: info.height };
  const out = new Map<number, Frame>();
  for await (const f of decodeSelected(path, indices, size)) out.set(f.index, f);
  return out;
}

/** Write frames to a video file through ffmpeg (H.264 when available, yuv420p for players). */
export class VideoWriter {
  private proc: ChildProcessByStdio<Writable, null, Readable>;
  private done: Promise<number>;
  private stderr = '';
  constructor(readonly path: string, readonly width: number, readonly height: number, fps: number | string, opts: { crf?: number; codec?: string; threads?: number } = {}) {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24',
      '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      '-c:v', opts.codec ?? 'libx264', '-pix_fmt', 'yuv420p', '-crf', String(opts.crf ?? 18),
      // The encoder's own threads (default: x264's automatic 1.5 per core); its output bytes depend on them.
      ...(opts.threads ? ['-threads', String(opts.threads)] : []), local(path)];
    this.proc = spawnTool('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] }) as ChildProcessByStdio<Writable, null, Readable>;
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (c: string) => (this.stderr += c));
    this.done = new Promise((resolve) => this.proc.on('close', (c) => resolve(c ?? 1)));
  }
  /** Append one RGB frame (waits when ffmpeg's input pipe is full). */
  async write(img: Image): Promise<void> {
    if (img.width !== this.width || img.height !== this.height || img.channels !== 3) {
      throw new ToonscopeError(this.path, `frame is ${img.width}x${img.height}x${img.channels}, writer expects ${this.width}x${this.height}x3`);
    }
    if (!this.proc.stdin.write(img.data)) await new Promise((r) => this.proc.stdin.once('drain', r));
  }
  async close(): Promise<void> {
    this.proc.stdin.end();
    const code = await this.done;
    if (code !== 0) throw new ToonscopeError(this.path, `ffmpeg could not write the video: ${lastLine(this.stderr)}`);
  }
}
