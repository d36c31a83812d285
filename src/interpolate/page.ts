// The eval as a page people can read: the per-clip table, then every triplet
// with its scores, where toonscope put it, and its side-by-side image.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { esc } from '../core/html.js';
import { METHODS, type EvalReport, type Method, type Score } from './eval.js';

const db = (s?: Score) => (s ? `${s.psnr.toFixed(2)}` : '–');
const gain = (m: Partial<Record<Method, Score>>) => {
  if (!m.toonscope || !m.minterpolate) return '<td>–</td>';
  const g = m.toonscope.psnr - m.minterpolate.psnr;
  return `<td class="${g >= 0 ? 'up' : 'down'}">${g >= 0 ? '+' : ''}${g.toFixed(2)}</td>`;
};

/** Write `index.html` (and `report.json`) into `dir`; `command` is the command line that produced the report. */
export function writeEvalPage(report: EvalReport, dir: string, command: string): string {
  const ms = METHODS.filter((m) => report.tripletAverage[m]);
  const head = `<tr><th>clip</th><th>n</th>${ms.map((m) => `<th>${m} PSNR (dB)</th><th>${m} SSIM</th><th>${m} specks</th>`).join('')}${ms.includes('minterpolate') ? '<th>gain vs minterpolate (dB)</th>' : ''}</tr>`;
  const row = (name: string, n: number, m: Partial<Record<Method, Score>>, cls = '') =>
    `<tr class="${cls}"><td>${esc(name)}</td><td>${n}</td>${ms.map((k) => `<td>${db(m[k])}</td><td>${m[k] ? m[k]!.ssim.toFixed(4) : '–'}</td><td>${m[k] ? m[k]!.specks.toFixed(2) : '–'}</td>`).join('')}${gain(m)}</tr>`;
  const summary = [
    ...report.clips.map((c) => row(c.clip, c.triplets.length, c.mean)),
    row('average over clips', report.scoredClips, report.perClipAverage, 'avg'),
    row('average over triplets', report.triplets, report.tripletAverage, 'avg'),
  ].join('\n');
  const clips = report.clips.map((c) => {
    const rows = c.triplets.map((t) => {
      const eased = t.position !== undefined && t.position !== t.t;
      const img = t.sideBySide ? `<a href="${esc(basename(t.sideBySide))}"><img loading="lazy" src="${esc(basename(t.sideBySide))}" alt="side by side"></a>` : '';
      return `<tr><td>${t.triplet.join(' · ')}</td>${ms.map((k) => `<td>${db(t.scores[k])}</td>`).join('')}${gain(t.scores)}` +
        `<td>${eased ? `<b>${t.position!.toFixed(2)}</b> (eased)` : (t.position ?? t.t).toFixed(2)}</td><td>${t.seconds.toFixed(2)}</td><td>${img}</td></tr>`;
    }).join('\n');
    return `<h2>${esc(c.clip)}</h2><p class="src">${esc(c.source)} · ${c.size[0]}×${c.size[1]}</p>
<table><tr><th>frames a · b · c</th>${ms.map((m) => `<th>${m}</th>`).join('')}${ms.includes('minterpolate') ? '<th>gain</th>' : ''}<th>position</th><th>s</th><th>blend | minterpolate | toonscope | truth</th></tr>
${rows}</table>`;
  }).join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>toonscope eval interpolate</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:middle;white-space:nowrap}td:first-child,th:first-child{text-align:left}
tr.avg{font-weight:bold;background:#f4f4f4}.up{color:#070}.down{color:#a00}img{max-width:720px;display:block}.src,code{color:#555}
</style></head><body>
<h1>In-between quality (against the true in-between b of each triplet a · b · c)</h1>
<p>PSNR in dB and SSIM on luma: higher is better. Specks: isolated wrong pixels per 10,000 (over 30 luma from their 3x3 median where the truth is smooth), the dots and torn strips of torn flow: lower is better. Command: <code>${esc(command)}</code></p>
<table>${head}
${summary}</table>
${clips}
</body></html>`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 1));
  return path;
}
