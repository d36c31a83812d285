import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progress } from '../src/core/progress.js';

/** A non-terminal stream (a log file, a pipe): progress is written a line per tenth. */
function log(): { stream: NodeJS.WriteStream; lines: () => string[] } {
  let text = '';
  const w = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stream: w as unknown as NodeJS.WriteStream, lines: () => text.split('\n').filter(Boolean) };
}

test('progress in a log: a line per tenth, and a second count on the same bar is reported from its start', () => {
  const out = log();
  const bar = progress('pass', 4, { stream: out.stream, quiet: false });
  for (let k = 1; k <= 4; k++) bar.set(k, 4);
  // The same bar goes on with a new phase of 10 (a stage of several): its tenths are written too.
  for (let k = 0; k <= 10; k++) bar.set(k, 10);
  bar.done();
  const lines = out.lines();
  assert.deepEqual(lines.slice(0, 4).map((l) => l.split(' ')[1]), ['1/4', '2/4', '3/4', '4/4']);
  const second = lines.filter((l) => / \d+\/10 /.test(l)).map((l) => l.split(' ')[1]);
  assert.deepEqual(second.slice(0, 11), ['0/10', '1/10', '2/10', '3/10', '4/10', '5/10', '6/10', '7/10', '8/10', '9/10', '10/10']);
});

test('progress in a log: a total that grows with the count (an estimate that fell short) is not a line per step', () => {
  for (const estimate of [1000, 0]) {
    const out = log();
    const bar = progress('shots', estimate, { stream: out.stream, quiet: false });
    for (let k = 1; k <= 1100; k++) bar.set(k, Math.max(estimate, k));
    bar.done();
    assert.ok(out.lines().length <= 13, `estimate ${estimate}: ${out.lines().length} lines`);
  }
});
