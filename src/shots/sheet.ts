// Contact sheet: one thumbnail per shot (its middle frame), as a PNG grid and
// an HTML page with times, lengths and transition kinds.
import { mkdirSync } from 'node:fs';
import { writeFileWhole, writeWhole } from '../core/files.js';
import { join, basename } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { grabFrames } from '../core/video.js';
import { encodeImage } from '../core/image.js';
import type { Shot } from '../core/types.js';
import { clock } from './export.js';
import { esc } from '../core/html.js';

export interface SheetOptions {
  /** Thumbnail width in pixels. */
  width?: number;
  columns?: number;
}

/** Write `sheet.png`, `sheet.html` and `thumbs/shot-NNN.jpg` into `dir`. Returns the paths. */
export async function contactSheet(video: string, shots: Shot[], dir: string, opts: SheetOptions = {}): Promise<{ png: string; html: string }> {
  const width = opts.width ?? 240;
  const columns = opts.columns ?? 6;
  mkdirSync(join(dir, 'thumbs'), { recursive: true });
  const mids = shots.map((s) => Math.floor((s.start + s.end) / 2));
  const frames = await grabFrames(video, mids, width);
  const first = frames.values().next().value;
  const tw = first?.width ?? width;
  const th = first?.height ?? Math.round(width * 0.5625);
  const label = 22;
  const cellW = tw + 8;
  const cellH = th + label + 8;
  const rows = Math.max(1, Math.ceil(shots.length / columns));
  const tiles: OverlayOptions[] = [];
  const cards: string[] = [];
  for (const [k, s] of shots.entries()) {
    const f = frames.get(mids[k]);
    const name = `shot-${String(s.index).padStart(3, '0')}.jpg`;
    const x = (k % columns) * cellW + 4;
    const y = Math.floor(k / columns) * cellH + 4;
    if (f) {
      const jpg = await encodeImage(f, 'jpeg', 85);
      writeFileWhole(join(dir, 'thumbs', name), jpg);
      tiles.push({ input: jpg, left: x, top: y });
    }
    const text = `#${s.index}  ${clock(s.startTime).slice(3)}  ${s.end - s.start + 1}f`;
    const svg = `<svg width="${tw}" height="${label}" xmlns="http://www.w3.org/2000/svg"><text x="2" y="16" font-family="sans-serif" font-size="13" fill="#eee">${esc(text)}</text></svg>`;
    tiles.push({ input: Buffer.from(svg), left: x, top: y + th + 2 });
    cards.push(`<figure><img src="thumbs/${name}" width="${tw}" height="${th}" alt="shot ${s.index}"><figcaption><b>#${s.index}</b> ${esc(clock(s.startTime))} &ndash; ${esc(clock(s.endTime))}<br>frames ${s.start}&ndash;${s.end} (${s.end - s.start + 1})<br><span class="edge">${esc(s.in)} &rarr; ${esc(s.out)}</span></figcaption></figure>`);
  }
  const png = join(dir, 'sheet.png');
  await writeWhole(png, (tmp) => sharp({ create: { width: columns * cellW, height: rows * cellH, channels: 3, background: '#202020' } }).composite(tiles).png().toFile(tmp));
  const html = join(dir, 'sheet.html');
  writeFileWhole(html, `<!doctype html><meta charset="utf-8"><title>${esc(basename(video))}: ${shots.length} shots</title>
<style>body{font:14px system-ui,sans-serif;background:#181818;color:#ddd;margin:16px}figure{display:inline-block;margin:6px;vertical-align:top;background:#262626;padding:6px;border-radius:4px}figcaption{margin-top:4px;line-height:1.4}.edge{color:#9ab}</style>
<h1>${esc(basename(video))}</h1><p>${shots.length} shots &middot; made by toonscope</p>
${cards.join('\n')}
`);
  return { png, html };
}
