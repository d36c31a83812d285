// Hash routing between the three pages, the header summary and the export button.
import { api, h, toast, showSummary } from './api.js';
import { dictionaryPage } from './dictionary.js';
import { characterPage } from './character.js';
import { episodePage, episodesPage } from './episode.js';

const view = document.getElementById('view');
let leave = () => {};

async function route() {
  leave();
  leave = () => {};
  const [, page, id] = location.hash.split('/');
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('on', a.dataset.nav === (page === 'episode' || page === 'episodes' ? 'episodes' : 'characters')));
  try {
    const r = page === 'character' ? await characterPage(id) : page === 'episode' ? await episodePage(id) : page === 'episodes' ? await episodesPage() : await dictionaryPage();
    view.replaceChildren(r.el);
    leave = r.leave ?? leave;
    r.ready?.();
  } catch (e) {
    view.replaceChildren(h('div.empty', {}, h('h2', {}, 'Cannot show this page'), h('p', {}, e.message), h('a', { href: '#/' }, 'Back to the characters')));
  }
  api('characters').then((s) => showSummary(s.summary)).catch(() => {});
}

document.getElementById('export').addEventListener('click', async (ev) => {
  const b = ev.currentTarget;
  b.disabled = true;
  try {
    const { result } = await api('export', {});
    toast([`Exported ${result.files.length} files: `, ...result.files.filter((f) => !f.includes('/clips/')).map((f) => h('a', { href: `/files/${f.split('/').map(encodeURIComponent).join('/')}`, target: '_blank' }, f.replace(/^export\//, ''))), ' (clip lists in export/clips)'], 'info', 10000);
  } catch (e) {
    toast(`Export failed: ${e.message}`, 'error');
  } finally {
    b.disabled = false;
  }
});

addEventListener('hashchange', route);
route();
