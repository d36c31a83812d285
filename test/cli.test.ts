import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../src/cli/commands/index.js';
import { loadCommand } from '../src/cli/command.js';
import { sampleClip } from './fixtures.js';

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

test('every listed command loads from its module under the same name and summary', async () => {
  assert.equal(new Set(commands.map((c) => c.name)).size, commands.length, 'names are unique');
  for (const entry of commands) {
    const cmd = await loadCommand(entry);
    assert.equal(cmd.name, entry.name);
    assert.equal(cmd.summary, entry.summary, `summary of ${entry.name} in commands/index.ts matches its module`);
  }
});

test('--help and help COMMAND load no model runtime nor sharp', () => {
  // Module loads are visible in the CJS cache: tfjs, onnxruntime, opencv-js and sharp are CommonJS packages.
  const heavy = /node_modules[\\/](sharp|@tensorflow|onnxruntime-node|@techstark|nsfwjs)[\\/]/;
  for (const args of [['--help'], ['help', 'shots'], ['help', 'analyze']]) {
    const code = `const { main } = await import(${JSON.stringify(mainJs)});
      await main(${JSON.stringify(args)});
      const { createRequire } = await import('node:module');
      process.stderr.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const loaded = (JSON.parse(r.stderr) as string[]).filter((p) => heavy.test(p));
    assert.deepEqual(loaded, [], `${args.join(' ')} loaded ${loaded.join(', ')}`);
    assert.match(r.stdout, args[0] === '--help' ? /usage: toonscope <command>/ : new RegExp(`toonscope ${args[1]}`));
  }
});

test('a bad option is one line naming the command and the option, exit code 2', () => {
  for (const args of [['label', 'teach', 'x.mp4', '--frame', '-1', '--box', '1,1,5,5'], ['shots', 'x.mp4', '--no-such-option']]) {
    const r = spawnSync(process.execPath, [mainJs, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], new RegExp(`^toonscope ${args[0]}.*(--frame|--no-such-option)`));
  }
});

test('out-of-range options and a folder for a page are one-line errors naming them, before any work', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'toonscope-cli-'));
  try {
    for (const [args, want] of [
      [['comics', 'page.png', '--ink', '999'], /--ink must be a number from 0 to 255, got "999"/],
      [['comics', tmp, '--out', join(tmp, 'o')], /: is a folder, expected an image file/],
      [['characters', 'make-truth', '--out', join(tmp, 'mt'), '--count', '0'], /--count must be an integer from 1 to 100000/],
      [['characters', 'x.png', '--seg-width', '1000000'], /--seg-width must be an integer from 32 to 4096/],
      [['eval', 'panels', '--truth', 't.json', '--identity-threshold', 'abc'], /--identity-threshold must be a number from 0 to 3, got "abc"/],
      [['analyze', 'x.mp4', '--watch=-1'], /--watch must be a number from 0 to 3600, got "-1"/],
      [['characters', 'x.mp4', '--watch', 'soon'], /--watch must be a number from 0 to 3600, got "soon"/],
    ] as const) {
      const r = spawnSync(process.execPath, [mainJs, ...args, '-w', join(tmp, 'ws')], { encoding: 'utf8' });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, want);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('global options before the command are taken as the command\'s; an unknown one there is one line', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'toonscope-cli-'));
  try {
    const r = spawnSync(process.execPath, [mainJs, '--json', 'models', 'list'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotThrow(() => JSON.parse(r.stdout), `--json before the command: ${r.stdout}`);
    // label refuses a workspace that does not exist, naming it: the one given before the command.
    const w = spawnSync(process.execPath, [mainJs, '-w', join(tmp, 'ws'), 'label'], { encoding: 'utf8' });
    assert.equal(w.status, 1, w.stderr);
    assert.ok(w.stderr.includes(`${join(tmp, 'ws')}: no such workspace`), w.stderr);
    // Options and no command, or an option's value missing: nothing to run (it printed the help before).
    for (const args of [['-w'], ['-w', join(tmp, 'ws')], ['--json']]) {
      const none = spawnSync(process.execPath, [mainJs, ...args], { encoding: 'utf8' });
      assert.equal(none.status, 2, args.join(' '));
      assert.match(none.stderr, /^toonscope: no command after/);
    }
    // Read as parseArgs reads them after the command: grouped (-qw DIR), attached (-wDIR), and its errors (--json=1).
    for (const args of [['-qw', join(tmp, 'ws2'), 'label'], [`-w${join(tmp, 'ws2')}`, 'label']]) {
      const g = spawnSync(process.execPath, [mainJs, ...args], { encoding: 'utf8' });
      assert.ok(g.stderr.includes(`${join(tmp, 'ws2')}: no such workspace`), `${args.join(' ')}: ${g.stderr}`);
    }
    const arg = spawnSync(process.execPath, [mainJs, '--json=1', 'label'], { encoding: 'utf8' });
    assert.match(arg.stderr, /^toonscope label: Option '--json' does not take an argument/);
    const bad = spawnSync(process.execPath, [mainJs, '--bogus', 'label'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /unknown option "--bogus" before the command/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a crop filter ffmpeg refuses is one line naming the filter, not the video', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'toonscope-cli-'));
  try {
    for (const crop of ['crop=zz', 'crop=iw*3:ih']) {
      const r = spawnSync(process.execPath, [mainJs, 'shots', sampleClip().path, '--crop', crop, '-w', join(tmp, 'ws'), '--out', join(tmp, 'o')], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      // ffmpeg's reason, not only that it stopped.
      assert.match(r.stderr, new RegExp(`crop filter "${crop.replace(/[*]/g, '\\*')}" is refused by ffmpeg: (?!Error while processing|Error reinitializing|exit code)\\S`));
      assert.doesNotMatch(r.stderr, /sample\.mp4/);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
