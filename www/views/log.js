// Log: the last warnings and errors (and the proxy's lifecycle lines), newest first.
import { badge, clear, clock, el, getJson, table } from './util.js';

let everything = false;
const TONES = { info: 'blue', warning: 'orange', error: 'red', critical: 'red' };

export async function render(section) {
  const data = await getJson(`/api/v1/log?level=${everything ? 'info' : 'warning'}`);
  const toggle = el('label', { class: 'switch' },
    el('input', { type: 'checkbox', checked: everything,
      onchange: (ev) => { everything = ev.target.checked; render(section); } }),
    ' include lifecycle lines (start, reload)');
  const rows = data.records.slice().reverse();
  clear(section).append(
    el('div', { class: 'toolbar' }, toggle,
      el('span', { class: 'hint' }, `keeps the last ${data.capacity} lines`)),
    table([
      { label: 'Time', class: 'mono nowrap', title: (r) => new Date(r.time).toISOString(), render: (r) => clock(r.time) },
      { label: 'Level', render: (r) => badge(r.level, TONES[r.level] || 'grey') },
      { label: 'Module', class: 'mono', render: (r) => r.logger },
      { label: 'Message', class: 'mono wrap', render: (r) => r.message },
    ], rows, 'Nothing to report: no warning or error since the start.'));
}
