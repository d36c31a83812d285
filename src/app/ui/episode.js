// Episodes: the list, and one episode's "who is on screen when": one lane per
// character over the episode's duration, a playhead that follows the video,
// and a lane of the shots where nobody was found (where to teach someone).
import { api, h, time, hue } from './api.js';
import { player, axis } from './player.js';
import { teacher } from './teach.js';

export async function episodesPage() {
  const { episodes } = await api('episodes');
  const rows = episodes.map((e) => h('tr', {},
    h('td', {}, h('a', { href: `#/episode/${e.id}` }, e.name)), h('td.num', {}, time(e.duration)), h('td.num', {}, `${e.width}×${e.height}`), h('td.num', {}, e.fps.toFixed(2)),
    h('td.path', { title: e.path }, e.path)));
  return {
    el: h('section.episodes', {}, h('h1', {}, 'Episodes'), episodes.length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Episode'), h('th', {}, 'Duration'), h('th', {}, 'Size'), h('th', {}, 'fps'), h('th', {}, 'File'))), h('tbody', {}, ...rows))
      : h('div.empty', {}, 'No episode analysed yet: run ', h('code', {}, 'toonscope analyze VIDEO'), '.')),
  };
}

export async function episodePage(id) {
  const { episode: e, spans, characters, unseen } = await api(`episodes/${encodeURIComponent(id)}`);
  const p = player([e]);
  const teach = await teacher(e, p);
  const names = [...new Set(characters.flatMap((c) => (c.name ? [c.name] : [])))].sort();
  const byName = new Map(characters.filter((c) => c.name).map((c) => [c.name, c]));
  // Lanes: named characters (by label), then unnamed clusters, then "not a character".
  const lanes = new Map();
  for (const s of spans) {
    const key = s.label ? `n:${s.label}` : s.rejected ? 'r' : `c:${s.cluster}`;
    if (!lanes.has(key)) lanes.set(key, { key, spans: [], name: s.label ?? (s.rejected ? 'not a character' : `#${s.cluster} (unnamed)`),
      href: s.label ? (byName.get(s.label) ? `#/character/${byName.get(s.label).id}` : null) : s.cluster !== null && !s.rejected ? `#/character/${s.cluster}` : null });
    lanes.get(key).spans.push(s);
  }
  const order = (k) => (k.startsWith('n:') ? 0 : k.startsWith('c:') ? 1 : 2);
  const sorted = [...lanes.values()].sort((a, b) => order(a.key) - order(b.key) || a.name.localeCompare(b.name, undefined, { numeric: true }));
  const pct = (t) => `${(100 * t) / e.duration}%`;
  const playhead = h('div.playhead');
  const now = h('div.now', {}, 'On screen: —');

  const rows = sorted.map((l) => {
    const col = l.key === 'r' ? 'hsl(0 0% 60%)' : `hsl(${hue(l.key.startsWith('n:') ? l.name : null, l.spans[0].cluster, names)} 65% ${l.key.startsWith('n:') ? 55 : 75}%)`;
    for (const s of l.spans) { s.colour = col; s.lane = l.name; }
    const bar = h('div.bar', {
      title: 'Click to play from here',
      onclick: (ev) => { if (ev.target === bar) { const r = bar.getBoundingClientRect(); p.video.currentTime = ((ev.clientX - r.left) / r.width) * e.duration; p.video.play().catch(() => {}); } },
    }, ...l.spans.map((s) => h('button.block', {
      type: 'button', style: { left: pct(s.start), width: `max(3px, ${pct(s.end - s.start)})`, background: col },
      title: `${l.name} ${time(s.start)}–${time(s.end)}${s.source !== 'person' && s.label ? ` (${s.source === 'cluster' ? 'its cluster' : 'classifier'} ${Math.round(100 * s.confidence)}%)` : ''}`,
      onclick: () => p.show(s, `${l.name} · ${time(s.start)}–${time(s.end)}`),
    })));
    return h(`div.lane${l.key.startsWith('n:') ? '' : '.dim'}`, { 'data-lane': l.name },
      l.href ? h('a.lane-name', { href: l.href }, l.name) : h('span.lane-name', {}, l.name), bar);
  });

  // Shots where nobody was found: a click pauses on the frame to look at and opens the teach panel there.
  // null: the episode's analysis is not complete (never analysed, or one under way): nobody has looked yet.
  const nobody = unseen?.length ? h('div.lane.dim.unseen', {},
    h('span.lane-name', { title: 'Shots where toonscope found no character' }, 'Nobody found'),
    h('div.bar', {}, ...unseen.map((u) => h('button.block.unseen', {
      type: 'button', 'data-shot': u.shot, style: { left: pct(u.start), width: `max(3px, ${pct(u.end - u.start)})` },
      title: `Nobody found ${time(u.start)}–${time(u.end)}: teach a character here`,
      onclick: () => { p.caption.textContent = `Nobody found · ${time(u.start)}–${time(u.end)} · frame ${u.look}`; teach.at(u.look); },
    })))) : null;

  const tick = () => {
    const t = p.video.currentTime;
    playhead.style.left = pct(t);
    const on = sorted.filter((l) => l.key !== 'r' && l.spans.some((s) => s.start <= t && t < s.end)).map((l) => l.name);
    now.textContent = `${time(t)} · On screen: ${on.length ? on.join(', ') : '—'}`;
  };
  p.mark(spans.filter((s) => !s.rejected), (s) => s.lane);
  p.video.addEventListener('timeupdate', tick);
  p.video.addEventListener('seeked', tick);
  p.video.addEventListener('pause', tick);
  p.load(e.id).then(tick);

  const el = h('section.episode', {},
    h('div.crumbs', {}, h('a', { href: '#/episodes' }, '← Episodes')),
    h('div.title', {}, h('h1', {}, e.name), h('span.muted', {}, `${time(e.duration)} · ${e.width}×${e.height} · ${spans.length} tracks, ${sorted.length} lanes`)),
    h('div.watch', {}, p.el, h('div.side', {}, now, teach.button, teach.panel, teach.note)),
    spans.length || nobody
      ? h('div.lanes.timeline', {}, h('div.lane.axis-row', {}, h('span.lane-name', {}, ''), axis(e.duration)), ...rows, nobody, h('div.overlay', {}, playhead))
      : unseen ? h('p.muted', {}, 'No tracks in this episode.') : null,
    unseen ? null : h('p.muted.unanalysed', {}, 'Not analysed yet, or an analysis is under way: where nobody was found shows once ', h('code', {}, 'toonscope analyze'), ' has finished.'));
  return { el, leave: () => p.video.pause() };
}
