// The shape every CLI command has. Commands are thin: parse, call the
// library, print. Names may have two words ("eval shots").
import type { ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_WORKSPACE, type Workspace } from '../core/workspace.js';
import type { Progress } from '../core/progress.js';
import { ToonscopeError } from '../core/errors.js';
import { decimal } from '../core/decimal.js';

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Context {
  /** --json was given: print one JSON document on stdout and nothing else there. */
  json: boolean;
  /** Open the workspace named by --workspace (default ./toonscope-workspace); `existing`: refuse one that does not exist yet. */
  workspace(opts?: { existing?: boolean }): Workspace;
  progress(label: string, total?: number): Progress;
  /** Human-readable output (suppressed under --json). */
  log(msg: string): void;
  /** Print the command's result (JSON under --json, else the given text). */
  result(data: unknown, text?: string): void;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) and option help shown by `toonscope help NAME`. */
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Long jobs that write the workspace: they claim it, so a second one fails at once instead of doubling rows. */
  writes?: boolean;
  /** Return a process exit code (default 0). */
  run(positionals: string[], values: Values, ctx: Context): Promise<number | void>;
}

/** A command as the CLI lists it before loading it: its module is imported only when the command runs (commands/index.ts). */
export interface CommandEntry {
  name: string;
  summary: string;
  /** Module (relative to commands/) exporting the Command, alone or in an array. */
  file: string;
}

/** Import an entry's module and find its command by name. */
export async function loadCommand(entry: CommandEntry): Promise<Command> {
  const mod = (await import(new URL(`./commands/${entry.file.replace(/^\.\//, '')}`, import.meta.url).href)) as Record<string, unknown>;
  for (const v of Object.values(mod)) {
    for (const c of Array.isArray(v) ? v : [v]) {
      if (c && typeof c === 'object' && (c as Command).name === entry.name && typeof (c as Command).run === 'function') return c as Command;
    }
  }
  throw new Error(`command "${entry.name}" not found in ${entry.file}`);
}

/** An integer option from `min` to `max` (`fallback` when absent); anything else is a one-line error naming the option. */
export function intOption(values: Values, name: string, min: number, max = Infinity, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  // Digits only: Number() would also take '1e1', '0x10' and ' 5'.
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    const range = max === Infinity ? (min === 1 ? 'a positive integer' : `an integer >= ${min}`) : `an integer from ${min} to ${max}`;
    throw new ToonscopeError(undefined, `${name.length === 1 ? '-' : '--'}${name} must be ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** What reading a file found wrong without stopping, on stderr: its first three warnings, a line each, naming it. */
export function warnAbout(file: string, warnings: readonly string[]): void {
  for (const w of warnings.slice(0, 3)) process.stderr.write(`toonscope: warning: ${file}: ${w}\n`);
}

/** A number option (decimals allowed) from `min` to `max` (`fallback` when absent); anything else is a one-line error naming the option. */
export function numOption(values: Values, name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = decimal(raw);
  if (!(n >= min && n <= max)) throw new ToonscopeError(undefined, `--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A path as one shell word, so a command printed as a hint can be pasted as it is. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** ` -w DIR` when a command printed as a hint must name the workspace (not the one it would open by default here). */
export function workspaceFlag(ws: Workspace): string {
  return resolve(ws.dir) === resolve(process.env.TOONSCOPE_WORKSPACE ?? DEFAULT_WORKSPACE) ? '' : ` -w ${shellWord(ws.dir)}`;
}
