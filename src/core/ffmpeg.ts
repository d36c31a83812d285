// Locating and running ffmpeg/ffprobe. We use the system build (Debian's
// `ffmpeg` package) rather than an npm-bundled static binary: it is current,
// LGPL/GPL as the distro ships it, and includes ffprobe.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, isAbsolute, resolve } from 'node:path';
import { ToonscopeError } from './errors.js';

const found = new Map<string, string>();

const INSTALL_HINT =
  'install it: `sudo apt-get install ffmpeg` (Debian/Ubuntu), `brew install ffmpeg` (macOS), ' +
  'or set TOONSCOPE_FFMPEG / TOONSCOPE_FFPROBE to the binaries';

/** Path of the ffmpeg or ffprobe binary, or a clear error saying how to install it. */
export function tool(name: 'ffmpeg' | 'ffprobe'): string {
  const cached = found.get(name);
  if (cached) return cached;
  const bin = process.env[`TOONSCOPE_${name.toUpperCase()}`] || name;
  // A PATH lookup, not a trial run: starting ffmpeg just to ask its version costs ~80 ms per tool.
  const dirs = isAbsolute(bin) || bin.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter);
  const path = dirs.map((d) => (d ? join(d, bin) : bin)).find(executable);
  if (!path) throw new ToonscopeError(undefined, `${name} not found${bin === name ? ' on PATH' : ` at ${bin}`}; ${INSTALL_HINT}`);
  found.set(name, path);
  return path;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A user's path as ffmpeg/ffprobe must see it: an explicit local file. Bare, `concat:a|b`, `subfile,,...:x` or
 * `http:...` would be opened as protocols and `-rf.mp4` read as an option; `file:` + the absolute path is
 * only ever that file.
 */
export function local(path: string): string {
  return `file:${resolve(path)}`;
}

/** Run a tool to completion and return stdout; throws with the tool's last stderr line on failure. */
export function run(name: 'ffmpeg' | 'ffprobe', args: string[], file?: string): string {
  const r = spawnSync(tool(name), args, { maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) throw failure(name, r.stderr, r.status ?? r.signal, file);
  return r.stdout;
}

const children = new Set<ChildProcess>();
let reaping = false;

/**
 * Start ffmpeg/ffprobe as a child this process answers for: whatever way the process ends (a finished run, an
 * error, process.exit from a SIGINT/SIGTERM handler), no child is left decoding on its own.
 */
export function spawnTool(name: 'ffmpeg' | 'ffprobe', args: string[], opts: SpawnOptions): ChildProcess {
  const proc = spawn(tool(name), args, opts);
  children.add(proc);
  proc.on('close', () => children.delete(proc));
  proc.on('error', () => children.delete(proc));
  if (!reaping) {
    reaping = true;
    process.on('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  return proc;
}

/** ffmpeg/ffprobe children still running (for tests and the stop handler). */
export function runningTools(): number {
  return children.size;
}

/**
 * `run` without blocking the event loop, for long jobs: a Ctrl-C handler can run meanwhile.
 * A child still running when the process exits is killed with it (spawnTool).
 */
export function runAsync(name: 'ffmpeg' | 'ffprobe', args: string[], file?: string, opts: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawnTool(name, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    // Only the tail matters for the message.
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-8192)));
    proc.on('error', (e) => {
      reject(new ToonscopeError(file, `${name} could not start: ${e.message}`));
    });
    proc.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(failure(name, err, code ?? signal, file));
    });
  });
}

function failure(name: string, stderr: string, status: number | string | null, file?: string): ToonscopeError {
  // ffmpeg prefixes messages with the input path; the error already names the file.
  let why = lastLine(stderr) || (typeof status === 'string' ? `stopped by ${status}` : `exit code ${status}`);
  if (file) why = why.split(`${local(file)}: `).join('').split(`${file}: `).join('');
  return new ToonscopeError(file, `${name} failed: ${why}`);
}

/** One line of ffmpeg's stderr without its `[component @ 0x..]` prefixes (a filter's message may carry two), trimmed. */
export function withoutPrefix(line: string): string {
  return line.replace(/^(\[[^\]]*@ 0x[0-9a-f]+\]\s*)+/, '').trim();
}

/** The most informative line of ffmpeg's stderr (the last non-empty one, without its prefixes). */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map(withoutPrefix).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
