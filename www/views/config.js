// Config: every conf.d line and --set override with the file:line it came from; a value that a
// later entry replaces is struck through.
import { clear, el, getJson, table } from './util.js';

let filter = '';

export async function render(section) {
  const c = await getJson('/api/v1/config');
  const input = el('input', { type: 'search', placeholder: 'Filter (section, key, value, file)',
    value: filter, 'aria-label': 'Filter the configuration' });
  const body = el('div');
  const draw = () => {
    const needle = filter.toLowerCase();
    const rows = c.entries.filter((e) => !needle ||
      `${e.section} ${e.key} ${e.value} ${e.file}`.toLowerCase().includes(needle))
      .map((e) => ({ ...e, rowClass: e.overridden ? 'overridden' : null }));
    clear(body).append(table([
      { label: 'Section', class: 'mono', render: (e) => `[${e.section}]` },
      { label: 'Key', class: 'mono', render: (e) => e.key },
      { label: 'Value', class: 'mono wrap', render: (e) => e.value === '' ? el('i', {}, 'empty') : e.value },
      { label: 'From', class: 'mono source', render: (e) => `${e.file}:${e.line}` },
    ], rows, 'Nothing matches.'));
  };
  input.addEventListener('input', () => { filter = input.value; draw(); });
  draw();
  // The hash of conf.d's files (before --set): instances sharing one conf.d show the same one.
  const hash = c.conf_hash || '';
  clear(section).append(el('div', { class: 'toolbar' }, input,
    el('span', { class: 'hint' }, 'Later entries win; struck-through values are overridden.'),
    el('span', { class: 'hint mono', title: `SHA-256 of conf.d's files, before --set: ${hash}` },
      `conf.d ${hash.slice(0, 12)}`)), body);
}
