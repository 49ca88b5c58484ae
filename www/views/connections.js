// Connections: every client connection with its state, oldest first, 100 a page.
import { badge, bytes, clear, duration, el, getJson, number, table } from './util.js';

const PAGE = 100;
let offset = 0;

const STATE_TONES = {
  ReadingHead: 'blue', Filtering: 'purple', Resolving: 'purple', Connecting: 'orange',
  Forwarding: 'orange', Relaying: 'green', Tunnelling: 'green', Responding: 'blue',
  Idle: 'grey', Closing: 'grey', Lingering: 'grey',
};

export async function render(section) {
  const data = await getJson(`/api/v1/connections?offset=${offset}&limit=${PAGE}`);
  if (data.total > 0 && data.offset >= data.total) {
    offset = Math.max(0, data.total - PAGE);
    return render(section);
  }
  const chips = el('div', { class: 'chips' },
    el('span', { class: 'chip chip-total' }, `${number(data.total)} open`),
    Object.entries(data.states).map(([state, n]) =>
      el('span', { class: `chip chip-${STATE_TONES[state] || 'grey'}` }, `${state} ${number(n)}`)));
  const pager = el('div', { class: 'pager' },
    el('button', { type: 'button', disabled: offset === 0,
      onclick: () => { offset = Math.max(0, offset - PAGE); render(section); } }, '‹ Newer'),
    el('span', {}, data.total ? `${data.offset + 1}–${data.offset + data.connections.length} of ${data.total}` : ''),
    el('button', { type: 'button', disabled: data.offset + data.connections.length >= data.total,
      onclick: () => { offset += PAGE; render(section); } }, 'Older ›'));
  const rows = table([
    { label: 'Client', class: 'mono', render: (c) => c.client },
    { label: 'Identity', render: (c) => c.identity || '–' },
    { label: 'State', render: (c) => badge(c.state, STATE_TONES[c.state] || 'grey') },
    { label: 'Request', class: 'target', title: (c) => c.target,
      render: (c) => (c.method ? [el('b', {}, c.method), ' ', c.target] : '–') },
    { label: 'Upstream', class: 'mono', render: (c) => c.upstream || '–' },
    { label: 'In', class: 'num', render: (c) => bytes(c.bytesIn) },
    { label: 'Out', class: 'num', render: (c) => bytes(c.bytesOut) },
    { label: 'Age', class: 'num', render: (c) => duration(c.ageSeconds) },
  ], data.connections, 'No client is connected.');
  rows.id = 'connections-table';
  clear(section).append(el('div', { class: 'toolbar' }, chips, data.total > PAGE ? pager : null), rows);
}
