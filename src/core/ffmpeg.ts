// Locating and running ffmpeg/ffprobe. We use the system build (Debian's
// `ffmpeg` package) rather than an npm-bundled static binary: it is current,
// LGPL/GPL as the distro ships it, and includes ffprobe.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, isAbsolute } from 'node:path';
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

/** Run a tool to completion and return stdout; throws with the tool's last stderr line on failure. */
export function run(name: 'ffmpeg' | 'ffprobe', args: string[], file?: string): string {
  const r = spawnSync(tool(name), args, { maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) {
    // ffmpeg prefixes messages with the input path; the error already names the file.
    const why = (lastLine(r.stderr) || `exit code ${r.status}`).split(`${file}: `).join('');
    throw new ToonscopeError(file, `${name} failed: ${why}`);
  }
  return r.stdout;
}

/** The most informative line of ffmpeg's stderr (the last non-empty one, without the `[component @ 0x..]` prefix). */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
