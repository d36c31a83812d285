#!/usr/bin/env node
// toonscope CLI entry: find the command, parse its options, run it, and turn
// user-caused errors into one line on stderr (stack traces only with --debug).
import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { isToonscopeError } from '../core/errors.js';
import { diskFull, fsError, isDiskFull } from '../core/files.js';
import { opencvError } from '../core/opencv.js';
import type { Workspace } from '../core/workspace.js';
import { progress } from '../core/progress.js';
import { commands } from './commands/index.js';
import { loadCommand, type CommandEntry, type Context } from './command.js';

const GLOBAL = {
  json: { type: 'boolean' },
  workspace: { type: 'string', short: 'w' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  offline: { type: 'boolean' },
} as const;

function find(argv: string[]): { cmd: CommandEntry; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { cmd: byOne, rest: argv.slice(1) } : undefined;
}

/**
 * Global options given before the command (`toonscope --workspace W shots v.mp4`) taken out, to be parsed with the
 * command's own: a shell alias or a script often puts them first.
 */
function leadingGlobals(argv: string[]): { lead: string[]; rest: string[] } {
  // parseArgs' own reading of them (--name=value, -wDIR, -qw DIR, a value missing at the end); loose, since the
  // command's options come after and are checked with it.
  const { tokens } = parseArgs({ args: argv, options: GLOBAL, strict: false, allowPositionals: true, tokens: true });
  let end = 0;
  for (const t of tokens) {
    // --help keeps its place (it answers on its own); an option that is not global ends them, as the command does.
    if (t.kind !== 'option' || t.name === 'help' || !Object.hasOwn(GLOBAL, t.name)) break;
    // A value in the next argument takes that argument too.
    end = t.index + (t.value !== undefined && t.inlineValue === false ? 2 : 1);
  }
  return { lead: argv.slice(0, end), rest: argv.slice(end) };
}

function help(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'toonscope: animation videos and comic pages into character knowledge (CPU-only)',
    '',
    'usage: toonscope <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'global options: --workspace DIR (default ./toonscope-workspace), --json, --quiet, --debug,',
    '  --offline (never touch the network; same as TOONSCOPE_OFFLINE=1)',
    'toonscope help <command> shows a command\'s options.',
  ].join('\n');
}

export async function main(all: string[]): Promise<number> {
  const { lead, rest: argv } = leadingGlobals(all);
  // Options and no command (`toonscope -w DIR`, or a value missing: `toonscope -w`): nothing to run them with.
  if (lead.length && !argv.length) {
    process.stderr.write(`toonscope: no command after ${lead.join(' ')}; run \`toonscope help\`\n`);
    return 2;
  }
  if (!argv.length || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    const sub = argv[0] === 'help' ? find(argv.slice(1)) : undefined;
    const cmd = sub && (await loadCommand(sub.cmd));
    process.stdout.write(`${cmd ? `${cmd.summary}\n\n${cmd.usage}` : help()}\n`);
    return 0;
  }
  if (argv[0] === '--version') {
    process.stdout.write('toonscope 0.1.0\n');
    return 0;
  }
  const hit = find(argv);
  if (!hit && argv[0].startsWith('-')) {
    process.stderr.write(`toonscope: unknown option "${argv[0].split('=')[0]}" before the command; run \`toonscope help\`\n`);
    return 2;
  }
  if (!hit) {
    process.stderr.write(`toonscope: unknown command "${argv.slice(0, 2).join(' ')}"; run \`toonscope help\`\n`);
    return 2;
  }
  const rest = [...lead, ...hit.rest];
  const cmd = await loadCommand(hit.cmd);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...(cmd.options ?? {}) }, allowPositionals: true, strict: true });
  } catch (e) {
    // One line, as every other error: node's own message may run over several.
    process.stderr.write(`toonscope ${cmd.name}: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')} (\`toonscope ${cmd.name} --help\` lists its options)\n`);
    return 2;
  }
  const values = parsed.values as Record<string, any>;
  if (values.help) {
    process.stdout.write(`${cmd.summary}\n\n${cmd.usage}\n`);
    return 0;
  }
  if (values.quiet) process.env.TOONSCOPE_QUIET = '1';
  if (values.offline) process.env.TOONSCOPE_OFFLINE = '1';
  let ws: Workspace | undefined;
  // The workspace module (SQLite) is loaded before the command runs, but opened only when the command asks.
  const { Workspace: WS, DEFAULT_WORKSPACE, openExisting } = await import('../core/workspace.js');
  const ctx: Context = {
    json: Boolean(values.json),
    workspace: (o) => {
      const dir = values.workspace ?? process.env.TOONSCOPE_WORKSPACE ?? DEFAULT_WORKSPACE;
      ws ??= o?.existing ? openExisting(dir) : WS.open(dir);
      if (cmd.writes) ws.claim(cmd.name);
      return ws;
    },
    progress: (label, total) => progress(label, total, { quiet: Boolean(values.quiet) }),
    log: (msg) => {
      if (!values.json && !values.quiet) process.stdout.write(`${msg}\n`);
    },
    result: (data, text) => {
      if (values.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (text !== undefined) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
  // Ctrl-C or a kill stops any command at once: committed work stays in the workspace, the exit hooks kill
  // ffmpeg children (core/ffmpeg.ts) and give the workspace lock back. A command with its own handler
  // (app closes its server, interpolate names its parts folder) is left to it.
  const stop = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    process.stderr.write(`\ntoonscope: stopped (${signal}); finished work is kept: run the same command again to go on\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const code = await cmd.run(parsed.positionals, values, ctx);
    return code ?? 0;
  } catch (caught) {
    let e = opencvError(caught);
    // A full disk (SQLite, fs, libvips) is the user's to fix: name the folder, not the library's detail.
    if (!isToonscopeError(e) && isDiskFull(e)) {
      const path = (e as { path?: string }).path;
      e = diskFull(path ? dirname(path) : ws?.dir ?? process.cwd());
    }
    // A path of the wrong kind (a file where a folder goes, a folder where a file goes): name it, no library detail
    // (with --debug the original error and its stack).
    if (!isToonscopeError(e) && !values.debug) e = fsError(e) ?? e;
    if (isToonscopeError(e) && !values.debug) {
      process.stderr.write(`toonscope: ${e.message}\n`);
      return 1;
    }
    if (values.debug) process.stderr.write(`${(e as Error).stack ?? e}\n`);
    else process.stderr.write(`toonscope: internal error: ${(e as Error).message ?? e} (rerun with --debug for details)\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    ws?.close();
  }
}

// Run when executed directly (not when imported by tests).
const invoked = process.argv[1] ?? '';
if (/cli[\\/]main\.js$/.test(invoked) || /toonscope$/.test(invoked)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
