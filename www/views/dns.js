// DNS: resolver totals and every cached name (negative answers too) with the time it has left.
import { badge, clear, el, getJson, notice, number, percent, table, tile } from './util.js';

export async function render(section) {
  const d = await getJson('/api/v1/dns?limit=1000');
  if (!d.available) {
    clear(section).append(notice('No DNS information from the proxy.'));
    return;
  }
  const tiles = el('div', { class: 'tiles' },
    tile('Lookups', number(d.cacheHits + d.cacheMisses), `${number(d.queries)} queries sent`),
    tile('Cache hit ratio', percent(d.hitRatio), `${number(d.cacheHits)} hits`),
    tile('Cached names', number(d.cacheSize), `${number(d.negativeEntries)} negative`),
    tile('In flight', number(d.inflight)),
    tile('Failures', number(d.failures), null, d.failures ? 'warn' : null));
  const rows = table([
    { label: 'Name', class: 'mono', render: (e) => e.name },
    { label: 'Answer', render: (e) => badge(e.status, e.negative ? 'red' : 'green') },
    { label: 'Addresses', class: 'mono wrap', render: (e) => e.addresses.join(' ') || '–' },
    { label: 'TTL left', class: 'num', render: (e) => `${number(e.remainingSeconds)} s` },
  ], d.entries, 'The cache is empty.');
  const more = d.totalEntries > d.entries.length
    ? notice(`Showing ${d.entries.length} of ${number(d.totalEntries)} entries.`) : null;
  clear(section).append(tiles, el('h2', {}, 'Cache (every loop has its own)'), rows, more || '');
}
