// Contact sheet: one thumbnail per shot (the sample kept from the metrics
// decode nearest its middle frame, thumbs.ts), as a PNG grid and an HTML
// page with times, lengths and transition kinds. Only shots without a kept
// sample (metrics stored by an older version, or detected without
// thumbnails) are decoded again, and only their middle frames.
import { mkdirSync } from 'node:fs';
import { writeFileWhole, writeWhole } from '../core/files.js';
import { join, basename } from 'node:path';
import type { OverlayOptions } from 'sharp';
import { grabFrames } from '../core/video.js';
import { encodeImage, sharpLib } from '../core/image.js';
import { THUMB_WIDTH, type ThumbPicker } from './thumbs.js';
import type { Frame, Shot } from '../core/types.js';
import { clock } from '../core/time.js';
import { esc } from '../core/html.js';

/** Options of `contactSheet`: thumbnail width and columns. */
export interface SheetOptions {
  /** Thumbnail width in pixels. */
  width?: number;
  columns?: number;
  /** Thumbnails kept from the detection decode (ShotResult.thumb). */
  thumb?: ThumbPicker;
}

/** Write `sheet.png`, `sheet.html` and `thumbs/shot-NNN.jpg` into `dir`. Returns the paths. */
export async function contactSheet(video: string, shots: Shot[], dir: string, opts: SheetOptions = {}): Promise<{ png: string; html: string }> {
  const sharp = await sharpLib();
  const width = opts.width ?? THUMB_WIDTH;
  const columns = opts.columns ?? 6;
  mkdirSync(join(dir, 'thumbs'), { recursive: true });
  const mids = shots.map((s) => Math.floor((s.start + s.end) / 2));
  const kept = shots.map((s) => opts.thumb?.(s.start, s.end)?.jpeg);
  const missing = mids.filter((_, k) => !kept[k]);
  const frames = missing.length ? await grabFrames(video, missing, width) : new Map<number, Frame>();
  // Kept samples all come from one decode, so they share a size: used as they are when it is the sheet's.
  const firstKept = kept.find(Boolean);
  const size = firstKept ? await sharp(firstKept).metadata() : frames.values().next().value;
  const tw = width;
  const th = size?.width && size.height ? Math.max(2, Math.round((size.height * width) / size.width)) : Math.round(width * 0.5625);
  const fits = (w?: number, h?: number) => w === tw && h === th;
  const keptFits = fits(size?.width, size?.height);
  const resized = (jpg: Buffer) => sharp(jpg).resize(tw, th, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
  const jpegOf = async (k: number): Promise<Buffer | undefined> => {
    const j = kept[k];
    if (j) return keptFits ? j : resized(j);
    const f = frames.get(mids[k]);
    if (!f) return undefined;
    const jpg = await encodeImage(f, 'jpeg', 85);
    return fits(f.width, f.height) ? jpg : resized(jpg);
  };
  const label = 22;
  const cellW = tw + 8;
  const cellH = th + label + 8;
  const rows = Math.max(1, Math.ceil(shots.length / columns));
  const tiles: OverlayOptions[] = [];
  const cards: string[] = [];
  for (const [k, s] of shots.entries()) {
    const name = `shot-${String(s.index).padStart(3, '0')}.jpg`;
    const x = (k % columns) * cellW + 4;
    const y = Math.floor(k / columns) * cellH + 4;
    const jpg = await jpegOf(k);
    if (jpg) {
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
