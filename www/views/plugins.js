// Plugins: what the chain runs, in order, and why a plugin was refused.
import { badge, clear, el, getJson, notice, number, table } from './util.js';

const TONES = { loaded: 'green', refused: 'red', configured: 'grey' };

function status(p) {
  if (p.status === null || p.status === undefined || p.status === '') return null;
  const text = typeof p.status === 'string' ? p.status : JSON.stringify(p.status, null, 2);
  return el('details', {}, el('summary', {}, 'status'), el('pre', {}, text));
}

function counters(p) {
  const entries = Object.entries(p.counters || {}).filter(([, v]) => v !== 0);
  if (entries.length === 0) return '–';
  return el('span', { class: 'kv' }, entries.map(([k, v]) => el('span', {}, `${k} ${number(v)}`)));
}

export async function render(section) {
  const data = await getJson('/api/v1/plugins');
  const parts = [];
  if (!data.runtime) {
    parts.push(notice('No plugin runtime in this build: the list shows the plugins conf.d enables, ' +
      'which it would load.'));
  }
  const rows = table([
    { label: 'Plugin', render: (p) => [el('b', {}, p.name), p.description ? el('div', { class: 'sub' }, p.description) : null] },
    { label: 'State', render: (p) => badge(p.state, TONES[p.state] || 'grey') },
    { label: 'Version', render: (p) => [p.version || '–', p.change && p.change !== 'kept' ? el('div', { class: 'sub' }, p.change) : null] },
    { label: 'Required', render: (p) => (p.required === false ? 'no (skipped if refused)' : 'yes') },
    { label: 'Vendor', render: (p) => p.vendor || '–' },
    { label: 'ABI', render: (p) => p.abi || '–' },
    { label: 'File', class: 'mono target', title: (p) => p.file, render: (p) => p.file },
    { label: 'Counters', render: counters },
    { label: 'Reason / status', class: 'wrap', render: (p) => [p.reason ? el('div', { class: 'reason' }, p.reason) : null, status(p)] },
  ], data.plugins, 'No plugin is enabled in conf.d.');
  rows.id = 'plugins-table';
  for (const [i, p] of data.plugins.entries()) {
    rows.querySelectorAll('tbody tr')[i].classList.add(`state-${p.state}`);
  }
  parts.push(rows);
  clear(section).append(...parts);
}
