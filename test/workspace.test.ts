import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Workspace } from '../src/core/workspace.js';
import { probe } from '../src/core/video.js';
import { sampleClip, tmp } from './fixtures.js';

test('schemas apply once per version and survive reopening', () => {
  const dir = join(tmp, 'ws-schema');
  let ws = Workspace.open(dir);
  ws.schema('demo', 1, 'CREATE TABLE demo (x INTEGER)');
  ws.schema('demo', 1, 'CREATE TABLE demo (x INTEGER)'); // would fail if applied twice
  ws.db.prepare('INSERT INTO demo VALUES (1)').run();
  ws.close();
  ws = Workspace.open(dir);
  ws.schema('demo', 2, 'ALTER TABLE demo ADD COLUMN y TEXT');
  assert.deepEqual(ws.db.prepare('SELECT * FROM demo').all(), [{ x: 1, y: null }]);
  ws.close();
});

test('videos are registered once and stages remember params', () => {
  const ws = Workspace.open(join(tmp, 'ws-videos'));
  const info = probe(sampleClip().path);
  const a = ws.addVideo(info);
  const b = ws.addVideo(info);
  assert.equal(a.id, b.id);
  assert.equal(ws.videos().length, 1);
  ws.setStage(a.id, 'demo', { k: 1 }, 'done', { n: 3 });
  assert.deepEqual(ws.stage(a.id, 'demo', { k: 1 }), { status: 'done', result: { n: 3 } });
  assert.equal(ws.stage(a.id, 'demo', { k: 2 }), undefined, 'other params: not done');
  ws.close();
});
