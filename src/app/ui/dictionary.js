// The dictionary page: one row per cluster (its collage), named from the
// keyboard; merge, split, "not a character" and undo act on the workspace at once.
import { api, h, toast, showSummary, who } from './api.js';

const FILTERS = { all: 'All', auto: 'To name', named: 'Named', rejected: 'Not a character' };
const STATUS = { auto: 'unnamed', named: 'named', rejected: 'not a character' };

export async function dictionaryPage() {
  let { characters, summary } = await api('characters');
  let filter = sessionStorage.getItem('filter') ?? 'all';
  let picked = []; // merge selection, in click order: the first one is kept
  let version = Date.now(); // collages are rewritten by merges and splits
  let busy = false;
  const list = h('div.cards');
  const bar = h('div.toolbar');
  const names = h('datalist', { id: 'names' });
  const el = h('section.dictionary', {}, bar, names, list,
    h('p.keys', {}, 'Keys: ', kbd('j'), '/', kbd('k'), ' move · ', kbd('Enter'), ' name (Enter saves and moves on, Esc cancels) · ', kbd('x'), ' select for merge · ',
      kbd('m'), ' merge selected · ', kbd('s'), ' split · ', kbd('r'), ' not a character / undo · ', kbd('o'), ' open appearances'));

  const cardOf = (id) => list.querySelector(`[data-id="${id}"]`);
  const current = () => document.activeElement?.closest?.('.card');

  async function act(label, path, body, focusId) {
    if (busy) return;
    busy = true;
    el.classList.add('busy');
    try {
      const r = await api(path, body);
      characters = r.characters;
      summary = r.summary;
      version = Date.now();
      picked = picked.filter((id) => characters.some((c) => c.id === id));
      render(focusId);
      showSummary(summary);
      toast(`${label}: ${summary.labelled} of ${summary.tracks} tracks named, ${summary.unknown} unknown`);
      return r;
    } catch (e) {
      toast(`${label} failed: ${e.message}`, 'error');
    } finally {
      busy = false;
      el.classList.remove('busy');
    }
  }

  const merge = () => {
    if (picked.length < 2) return toast('Select two or more characters to merge (x or the checkbox)', 'error');
    const [into, ...from] = picked;
    picked = [];
    return act(`Merged ${from.map((id) => `#${id}`).join(', ')} into #${into}`, 'merge', { into, from }, into);
  };

  function renderBar() {
    const counts = { all: characters.length, auto: 0, named: 0, rejected: 0 };
    for (const c of characters) counts[c.status]++;
    const into = characters.find((c) => c.id === picked[0]);
    bar.replaceChildren(
      h('div.filters', { role: 'tablist' }, ...Object.entries(FILTERS).map(([k, v]) => h('button', {
        type: 'button', role: 'tab', className: filter === k ? 'on' : '', 'aria-selected': String(filter === k),
        onclick: () => { filter = k; sessionStorage.setItem('filter', k); render(); },
      }, `${v} `, h('span.n', {}, counts[k])))),
      h('div.merge', {},
        picked.length ? h('span.muted', {}, `${picked.length} selected${picked.length > 1 ? `, kept: ${who(into)}` : ''}`) : h('span.muted', {}, 'Select characters to merge them'),
        h('button', { type: 'button', id: 'merge', disabled: picked.length < 2, onclick: merge }, `Merge${picked.length > 1 ? ` ${picked.length}` : ''}`),
        picked.length ? h('button.link', { type: 'button', onclick: () => { picked = []; render(); } }, 'Clear') : null));
  }

  function card(c) {
    const sel = picked.includes(c.id);
    const input = h('input', { name: 'name', value: c.name ?? '', placeholder: c.status === 'rejected' ? 'Not a character (type a name to undo)' : 'Name this character…', autocomplete: 'off', list: 'names', 'aria-label': `Name of character ${c.id}` });
    const save = (ev) => {
      ev.preventDefault();
      const v = input.value.trim();
      const next = nextId(c.id);
      if (!v) return c.status === 'named' ? act(`Forgot the name of #${c.id}`, `characters/${c.id}/reset`, {}, c.id) : focusName(next);
      if (v === c.name) return focusName(next);
      return act(`Named #${c.id} "${v}"`, `characters/${c.id}/name`, { name: v }, next).then((r) => r && focusName(next));
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { input.value = c.name ?? ''; cardOf(c.id)?.focus(); }
    });
    const canSplit = c.tracks >= 2;
    return h(`article.card.${c.status}${sel ? '.picked' : ''}`, { 'data-id': c.id, tabIndex: -1 },
      h('label.pick', { title: 'Select for merge (x)' }, h('input', { type: 'checkbox', checked: sel, onchange: () => toggle(c.id), 'aria-label': `Select character ${c.id} for merge` })),
      h('a.shot', { href: `#/character/${c.id}`, title: 'Open appearances (o)' }, c.collage
        ? h('img', { src: `/files/${c.collage.split('/').map(encodeURIComponent).join('/')}?v=${version}`, alt: `collage of character ${c.id}`, loading: 'lazy' })
        : c.exemplar !== null ? h('img', { src: `/api/thumbs/${c.exemplar}`, alt: `character ${c.id}` }) : h('span.muted', {}, 'no picture')),
      h('div.side', {},
        h('div.head', {}, h('span.id', {}, `#${c.id}`), h(`span.badge.${c.status}`, {}, STATUS[c.status]),
          h('span.counts', {}, `${c.tracks} track${c.tracks === 1 ? '' : 's'} · ${c.appearances} appearances${c.name ? ` · name on ${c.labelled} tracks` : ''}`)),
        h('form.name', { onsubmit: save }, input, h('button', { type: 'submit' }, 'Save')),
        h('div.actions', {},
          h('a.button', { href: `#/character/${c.id}` }, 'Appearances'),
          h('button', { type: 'button', disabled: !canSplit, title: canSplit ? 'Split in two; both parts come back unnamed (s)' : 'One track: nothing to split', onclick: () => split(c) }, 'Split'),
          c.status === 'auto'
            ? h('button.warn', { type: 'button', title: 'False detections, props, crowds (r)', onclick: () => reject(c) }, 'Not a character')
            : h('button', { type: 'button', title: 'Forget the name or the rejection (r)', onclick: () => reset(c) }, c.status === 'named' ? 'Forget name' : 'Undo: is a character'))));
  }

  const split = (c) => c.tracks >= 2 && act(`Split #${c.id}`, `characters/${c.id}/split`, {}, c.id);
  const reject = (c) => act(`#${c.id} is not a character`, `characters/${c.id}/reject`, {}, nextId(c.id));
  const reset = (c) => act(`#${c.id} back to unnamed`, `characters/${c.id}/reset`, {}, c.id);
  function toggle(id) {
    picked = picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id];
    render(id);
  }
  // Biggest first: the main cast is named in the first minutes.
  const shown = () => characters.filter((c) => filter === 'all' || c.status === filter).sort((a, b) => b.appearances - a.appearances || a.id - b.id);
  /** Where the focus goes after an edit: the next unnamed row below, else the next row. */
  function nextId(id) {
    const s = shown();
    const i = s.findIndex((c) => c.id === id);
    return (s.slice(i + 1).find((c) => c.status === 'auto') ?? s[i + 1] ?? s[i - 1] ?? s[i])?.id;
  }
  function focusName(id) {
    const input = id === undefined ? null : cardOf(id)?.querySelector('input[name=name]');
    if (input) { input.focus(); input.select(); input.scrollIntoView({ block: 'nearest' }); }
  }

  function render(focusId) {
    const keep = focusId ?? current()?.dataset.id;
    renderBar();
    names.replaceChildren(...summary.names.map((n) => h('option', { value: n })));
    const s = shown();
    list.replaceChildren(...(s.length ? s.map(card) : [h('div.empty', {}, characters.length
      ? `No character in "${FILTERS[filter]}".`
      : h('span', {}, 'The dictionary is empty: run ', h('code', {}, 'toonscope analyze VIDEO'), ' on the episodes of a series, then reload.'))]));
    if (keep !== undefined) cardOf(keep)?.focus({ preventScroll: false });
  }

  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest?.('input:not([type=checkbox]), textarea, select')) return;
    const cards = [...list.querySelectorAll('.card')];
    const cur = current();
    const i = cur ? cards.indexOf(cur) : -1;
    const c = cur && characters.find((x) => String(x.id) === cur.dataset.id);
    const move = (d) => { const t = cards[Math.max(0, Math.min(cards.length - 1, i + d))]; t?.focus(); t?.scrollIntoView({ block: 'nearest' }); };
    const keys = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(i < 0 ? 1 : -1),
      Enter: () => c && focusName(c.id), n: () => c && focusName(c.id),
      x: () => c && toggle(c.id), m: merge, s: () => c && split(c), o: () => c && (location.hash = `#/character/${c.id}`),
      r: () => c && (c.status === 'auto' ? reject(c) : reset(c)),
    };
    if (!keys[ev.key]) return;
    ev.preventDefault();
    keys[ev.key]();
  };
  document.addEventListener('keydown', onKey);
  render();
  return {
    el,
    ready: () => (list.querySelector('.card.auto') ?? list.querySelector('.card'))?.focus(),
    leave: () => document.removeEventListener('keydown', onKey),
  };
}

const kbd = (k) => h('kbd', {}, k);
