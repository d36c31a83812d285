// The analyze report: one HTML page over the workspace with, per episode, a
// strip of its shots (middle-frame thumbnails) marked with the characters in
// each shot, and the character dictionary as collages.
import { writeFileWhole } from '../core/files.js';
import { basename, join, relative, dirname } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { loadShots } from '../shots/store.js';
import { contactSheet } from '../shots/sheet.js';
import { clock } from '../core/time.js';
import { esc } from '../core/html.js';
import { ensureSchema } from './store.js';


/** A stable, distinct colour per character id. */
export function colour(id: number): string {
  return `hsl(${(id * 137.508) % 360} 70% 55%)`;
}

export async function writeReport(ws: Workspace, detector = 'anime'): Promise<string> {
  ensureSchema(ws);
  const out = ws.file('report', 'index.html');
  const dir = dirname(out);
  const clusters = ws.db.prepare('SELECT id, size, tracks, name FROM clusters ORDER BY id').all() as { id: number; size: number; tracks: number; name: string | null }[];
  const sections: string[] = [];
  for (const v of ws.videos()) {
    const shots = loadShots(ws, v.id, detector);
    if (!shots.length) continue;
    const stem = `${v.id}-${basename(v.path).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_')}`;
    await contactSheet(v.path, shots, join(dir, stem), { width: 160 });
    const perShot = new Map<number, number[]>();
    for (const r of ws.db.prepare('SELECT shot, cluster, COUNT(*) n FROM appearances WHERE video_id = ? AND cluster IS NOT NULL GROUP BY shot, cluster ORDER BY shot, n DESC').all(v.id) as { shot: number; cluster: number }[]) {
      if (!perShot.has(r.shot)) perShot.set(r.shot, []);
      perShot.get(r.shot)!.push(r.cluster);
    }
    const cards = shots.map((s) => {
      const chips = (perShot.get(s.index) ?? []).map((c) => `<span class="chip" style="background:${colour(c)}">${c}</span>`).join('');
      return `<figure><img src="${stem}/thumbs/shot-${String(s.index).padStart(3, '0')}.jpg" alt="shot ${s.index}"><figcaption>#${s.index} ${esc(clock(s.startTime).slice(3))}<br>${chips || '<span class="none">no character</span>'}</figcaption></figure>`;
    });
    sections.push(`<h2>${esc(basename(v.path))}</h2><p>${shots.length} shots</p><div class="strip">${cards.join('')}</div>`);
  }
  const dict = clusters.map((c) => {
    const img = relative(dir, ws.file('dictionary', `character-${String(c.id).padStart(3, '0')}.png`));
    return `<div class="char"><h3><span class="chip" style="background:${colour(c.id)}">${c.id}</span> ${esc(c.name ?? `character ${c.id}`)}</h3><p>${c.size} appearances in ${c.tracks} tracks</p><img src="${esc(img)}" alt="character ${c.id}"></div>`;
  });
  writeFileWhole(out, `<!doctype html><meta charset="utf-8"><title>toonscope report</title>
<style>body{font:14px system-ui,sans-serif;background:#181818;color:#ddd;margin:16px}.strip{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0;background:#262626;padding:4px;border-radius:4px}figure img{display:block;width:160px}.chip{display:inline-block;min-width:1.4em;text-align:center;border-radius:8px;color:#111;font-weight:600;margin:2px 2px 0 0;padding:0 4px}.none{color:#777}.char{display:inline-block;vertical-align:top;margin:8px;background:#222;padding:8px;border-radius:6px}.char img{max-width:620px}</style>
<h1>toonscope report</h1>
<h2>Character dictionary</h2>${dict.join('') || '<p>No characters yet.</p>'}
${sections.join('\n')}
`);
  return out;
}
