// A character's page: every span (its cluster's tracks and every track
// labelled with its name) on one timeline per episode and as thumbnails;
// clicking one, or j/k, plays it.
import { api, h, time, toast, who, hue } from './api.js';
import { player } from './player.js';

export async function characterPage(id) {
  const { character: c, spans, episodes, names } = await api(`characters/${encodeURIComponent(id)}`);
  const p = player(episodes);
  let at = -1;
  const colour = `hsl(${hue(c.name, c.id, names)} 65% 55%)`;
  p.mark(spans, (s) => s.label ?? (s.cluster === c.id ? who(c) : `#${s.cluster}`));
  const blocks = [], thumbs = [];

  const describe = (s, i) => {
    const ep = episodes.find((e) => e.id === s.video);
    const how = s.rejected ? 'not a character' : s.label ? `${s.label} (${s.source === 'person' ? 'named by you' : `${s.source === 'cluster' ? 'its cluster' : 'classifier'}, ${Math.round(100 * s.confidence)}%`})` : 'unknown';
    return `${i + 1} / ${spans.length} · ${ep?.name ?? s.video} · ${time(s.start)}–${time(s.end)} · ${how}`;
  };
  function go(i) {
    if (!spans.length) return;
    at = (i + spans.length) % spans.length;
    blocks.forEach((b, k) => b.classList.toggle('on', k === at));
    thumbs.forEach((t, k) => t.classList.toggle('on', k === at));
    thumbs[at].scrollIntoView({ block: 'nearest', inline: 'nearest' });
    p.show(spans[at], describe(spans[at], at));
  }

  const form = h('form.name', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      const v = ev.target.elements.name.value.trim();
      if (!v || v === c.name) return;
      try {
        await api(`characters/${c.id}/name`, { name: v });
        toast(`Named #${c.id} "${v}"`);
        dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) { toast(e.message, 'error'); }
    },
  }, h('input', { name: 'name', value: c.name ?? '', placeholder: 'Name this character…', autocomplete: 'off', 'aria-label': 'Name' }), h('button', { type: 'submit' }, 'Save'));

  const perEpisode = episodes.map((e) => {
    const mine = spans.map((s, i) => [s, i]).filter(([s]) => s.video === e.id);
    if (!mine.length) return null;
    const bar = h('div.bar', {}, ...mine.map(([s, i]) => {
      const b = h('button.block', {
        type: 'button', title: describe(s, i), onclick: () => go(i),
        style: { left: `${(100 * s.start) / e.duration}%`, width: `max(4px, ${(100 * (s.end - s.start)) / e.duration}%)`, background: s.cluster === c.id ? colour : 'transparent', borderColor: s.cluster === c.id ? '' : colour },
      });
      blocks[i] = b;
      return b;
    }));
    return h('div.lane', {}, h('a.lane-name', { href: `#/episode/${e.id}`, title: 'Who is on screen in this episode' }, e.name), bar);
  }).filter(Boolean);

  const grid = h('div.thumbs', {}, ...spans.map((s, i) => {
    const other = s.cluster !== c.id;
    const t = h('button.thumb', { type: 'button', onclick: () => go(i), title: describe(s, i) },
      h('img', { src: `/api/thumbs/${s.exemplar}`, alt: '', loading: 'lazy' }),
      h('span', {}, `${episodes.find((e) => e.id === s.video)?.name ?? ''} ${time(s.start)}`),
      other ? h('span.tag', { title: `From cluster #${s.cluster}; the classifier gave it this name` }, `via #${s.cluster}`) 
        : c.name && s.label !== c.name ? h('span.tag', { title: 'The classifier did not give this track the name' }, s.label ?? (s.rejected ? 'rejected' : 'unknown')) : null);
    thumbs[i] = t;
    return t;
  }));

  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest?.('input:not([type=checkbox]), textarea, select')) return;
    const k = { j: 1, ArrowRight: 1, k: -1, ArrowLeft: -1 }[ev.key];
    if (k) { ev.preventDefault(); go(at < 0 && k < 0 ? spans.length - 1 : at + k); }
    else if (ev.key === ' ' && ev.target !== p.video) { ev.preventDefault(); p.video.paused ? p.video.play().catch(() => {}) : p.video.pause(); }
  };
  document.addEventListener('keydown', onKey);

  const el = h('section.character', {},
    h('div.crumbs', {}, h('a', { href: '#/' }, '← Characters')),
    h('div.title', {},
      h('h1', { style: { borderColor: colour } }, who(c)), h(`span.badge.${c.status}`, {}, c.status === 'auto' ? 'unnamed' : c.status === 'named' ? 'named' : 'not a character'),
      h('span.muted', {}, `${c.tracks} tracks in its cluster · ${spans.length} tracks shown`), form),
    h('div.watch', {}, p.el,
      h('div.nav', {},
        h('button', { type: 'button', id: 'prev', onclick: () => go(at - 1), disabled: !spans.length }, '◀ Previous'),
        h('button', { type: 'button', id: 'next', onclick: () => go(at + 1), disabled: !spans.length }, 'Next ▶'),
        h('span.muted', {}, 'or ', h('kbd', {}, 'k'), ' / ', h('kbd', {}, 'j'), ', ', h('kbd', {}, 'space'), ' plays'))),
    h('h2', {}, 'Timeline'), perEpisode.length ? h('div.lanes', {}, ...perEpisode) : h('p.muted', {}, 'No appearances.'),
    h('h2', {}, 'Appearances'), grid);
  return { el, leave: () => { document.removeEventListener('keydown', onKey); p.video.pause(); } };
}
