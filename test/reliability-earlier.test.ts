// Issue 17's cases that already held, kept as regression tests where no other
// test checked them: markup in names and file names stays text (XSS), a
// client that never finishes its request does not block the app, and an
// image that declares a huge size is refused before it is decoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { deflateSync, crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { run } from '../src/core/ffmpeg.js';
import { readImage } from '../src/core/image.js';
import { Workspace } from '../src/core/workspace.js';
import { contactSheet } from '../src/shots/sheet.js';
import { startApp } from '../src/app/index.js';
import { tmp, file } from './fixtures.js';

const dir = join(tmp, 'reliability-earlier');
mkdirSync(dir, { recursive: true });

test('XSS: the app\'s pages build the DOM from text only; a file name with markup is escaped in the contact sheet', async () => {
  const ui = fileURLToPath(new URL('../../src/app/ui/', import.meta.url));
  for (const f of readdirSync(ui).filter((n) => n.endsWith('.js'))) {
    const src = readFileSync(join(ui, f), 'utf8');
    assert.ok(!/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/.test(src), `${f} parses no HTML from data`);
  }
  const video = join(dir, '<img src=x onerror=alert(1)>.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=64x36:r=10', '-frames:v', '4', '-pix_fmt', 'yuv420p', `file:${video}`]);
  const { html } = await contactSheet(video, [{ index: 0, start: 0, end: 3, startTime: 0, endTime: 0.4, in: 'cut', out: 'cut' }], join(dir, 'sheet'));
  const page = readFileSync(html, 'utf8');
  assert.ok(!page.includes('<img src=x'), 'the name is not markup');
  assert.ok(page.includes('&#60;img src=x onerror=alert(1)&#62;'), 'the name is shown as text');
});

test('slow clients: a request that never ends does not block others; the server has header and request timeouts', async () => {
  const ws = Workspace.open(join(dir, 'ws'));
  const app = await startApp(ws, { port: 0, log: () => {} });
  const port = Number(new URL(app.url).port);
  const slow = Array.from({ length: 20 }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(`POST /api/export HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{`);
    return s;
  });
  try {
    const r = await fetch(`${app.url}api/characters`);
    assert.equal(r.status, 200, 'served while 20 clients hang mid-request');
    assert.ok(app.server.headersTimeout > 0 && app.server.headersTimeout <= 60_000, `headersTimeout ${app.server.headersTimeout}`);
    assert.ok(app.server.requestTimeout > 0 && app.server.requestTimeout <= 300_000, `requestTimeout ${app.server.requestTimeout}`);
  } finally {
    for (const s of slow) s.destroy();
    await app.close();
    ws.close();
  }
});

test('big images: a PNG that declares 40000 x 40000 pixels is refused in one line before decoding', async () => {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(40_000, 0);
  ihdr.writeUInt32BE(40_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
  const path = file('bomb.png', png);
  await assert.rejects(readImage(path), (e: Error) => e.message === `${path}: image is too large (over 100 megapixels)`);
});
