// A labelled row of same-size images (blend | minterpolate | toonscope | truth)
// so people can see the difference, written as one PNG.
import { blank, paste, sharpNow } from '../core/image.js';
import type { Image } from '../core/types.js';
import { esc } from '../core/html.js';

export interface Panel {
  label: string;
  image: Image;
}

async function label(text: string, width: number, height: number): Promise<Image> {
  const size = Math.max(10, Math.round(height * 0.6));
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><rect width="${width}" height="${height}" fill="#111"/>` +
    `<text x="6" y="${Math.round(height * 0.75)}" font-family="sans-serif" font-size="${size}" fill="#fff">${esc(text)}</text></svg>`;
  const { data, info } = await sharpNow()(Buffer.from(svg)).flatten({ background: '#111111' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Panels side by side with a caption strip above each; returns the composed image. */
export async function sideBySide(panels: Panel[]): Promise<Image> {
  const w = panels[0].image.width, h = panels[0].image.height;
  const cap = Math.max(16, Math.round(h / 16));
  const gap = 4;
  const out = blank(panels.length * w + (panels.length - 1) * gap, h + cap, [17, 17, 17]);
  for (let k = 0; k < panels.length; k++) {
    const x = k * (w + gap);
    paste(out, await label(panels[k].label, w, cap), x, 0);
    paste(out, panels[k].image, x, cap);
  }
  return out;
}
