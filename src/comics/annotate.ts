// The annotated page people look at: panel outlines with their reading-order
// numbers, and character boxes coloured by identity. Drawn as an SVG overlay
// composited by sharp; numbers are seven-segment paths so no font is needed.
import type { Box, Image } from '../core/types.js';
import { sharpNow, toChannels } from '../core/image.js';
import type { Point } from './geometry.js';

export interface Mark {
  box: Box;
  /** Identity number: the same number gets the same colour on every page. */
  identity: number;
  /** Drawn thinner and dashed for faces, solid for bodies. */
  kind: 'face' | 'body';
}

export interface PanelMark {
  index: number;
  polygon: Point[];
  framed: boolean;
}

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#800000', '#808000', '#000075', '#bfef45', '#fabed4', '#ffe119', '#dcbeff'];

export function identityColour(id: number): string {
  return PALETTE[((id % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

// Segments a..g of a seven-segment digit in a 0..1 x 0..2 cell.
const SEG: Record<string, [number, number, number, number]> = {
  a: [0, 0, 1, 0], b: [1, 0, 1, 1], c: [1, 1, 1, 2], d: [0, 2, 1, 2], e: [0, 1, 0, 2], f: [0, 0, 0, 1], g: [0, 1, 1, 1],
};
const DIGITS = ['abcdef', 'bc', 'abdeg', 'abcdg', 'bcfg', 'acdfg', 'acdefg', 'abc', 'abcdefg', 'abcdfg'];

/** SVG path data for a number drawn with seven-segment strokes, `h` pixels tall, top-left at (x, y). */
export function numberPath(n: number, x: number, y: number, h: number): { d: string; width: number } {
  const s = h / 2;
  const gap = s * 0.6;
  let d = '';
  let cx = x;
  for (const ch of String(n)) {
    for (const seg of DIGITS[Number(ch)] ?? '') {
      const [x0, y0, x1, y1] = SEG[seg];
      d += `M${(cx + x0 * s).toFixed(1)} ${(y + y0 * s).toFixed(1)}L${(cx + x1 * s).toFixed(1)} ${(y + y1 * s).toFixed(1)}`;
    }
    cx += s + gap;
  }
  return { d, width: cx - x - gap };
}

export function overlaySvg(width: number, height: number, panels: PanelMark[], marks: Mark[] = []): string {
  const long = Math.max(width, height);
  const stroke = Math.max(2, Math.round(long / 300));
  const digitH = Math.max(12, Math.round(long / 40));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`];
  for (const p of panels) {
    const pts = p.polygon.map(([x, y]) => `${x + 0.5},${y + 0.5}`).join(' ');
    parts.push(`<polygon points="${pts}" fill="none" stroke="#0050ff" stroke-opacity="0.85" stroke-width="${stroke}"${p.framed ? '' : ` stroke-dasharray="${stroke * 4} ${stroke * 3}"`}/>`);
  }
  for (const m of marks) {
    const c = identityColour(m.identity);
    const w = m.kind === 'face' ? Math.max(1, stroke - 1) : stroke;
    parts.push(`<rect x="${m.box[0]}" y="${m.box[1]}" width="${m.box[2]}" height="${m.box[3]}" fill="${c}" fill-opacity="0.12" stroke="${c}" stroke-width="${w}"${m.kind === 'face' ? ` stroke-dasharray="${w * 3} ${w * 2}"` : ''}/>`);
    if (m.kind === 'body') {
      const h = Math.round(digitH * 0.6);
      const num = numberPath(m.identity, m.box[0] + stroke + 3, m.box[1] + stroke + 3, h);
      parts.push(`<rect x="${m.box[0]}" y="${m.box[1]}" width="${num.width + 2 * stroke + 6}" height="${h + 2 * stroke + 6}" fill="${c}"/>`);
      parts.push(`<path d="${num.d}" stroke="white" stroke-width="${Math.max(2, h / 6)}" stroke-linecap="round" fill="none"/>`);
    }
  }
  for (const p of panels) {
    // Order badge at the panel's top-left corner (reading order starts at 1 for people).
    const [x, y] = p.polygon.reduce((a, q) => (q[0] + q[1] < a[0] + a[1] ? q : a), p.polygon[0]);
    const num = numberPath(p.index + 1, 0, 0, digitH);
    const pad = Math.round(digitH * 0.35);
    const bx = Math.min(width - num.width - 2 * pad, x + stroke * 2), by = Math.min(height - digitH - 2 * pad, y + stroke * 2);
    parts.push(`<rect x="${bx}" y="${by}" rx="${pad}" width="${num.width + 2 * pad}" height="${digitH + 2 * pad}" fill="#0050ff" fill-opacity="0.9"/>`);
    const shifted = numberPath(p.index + 1, bx + pad, by + pad, digitH);
    parts.push(`<path d="${shifted.d}" stroke="white" stroke-width="${Math.max(2, digitH / 7)}" stroke-linecap="round" stroke-linejoin="round" fill="none"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The page with panels (and optional character marks) drawn on it, as an RGB Image. */
export async function annotate(page: Image, panels: PanelMark[], marks: Mark[] = []): Promise<Image> {
  const img = toChannels(page, 3);
  const svg = overlaySvg(img.width, img.height, panels, marks);
  const base = sharpNow()(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: img.channels } });
  const { data, info } = await base.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
