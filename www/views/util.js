// Small helpers shared by the views. Everything that comes from the proxy (targets, host names,
// plugin reasons) is untrusted text: it is only ever set with textContent, never as HTML.

export async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// el('td', {class: 'num', title: 'x'}, 'text', childNode, ...)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function bytes(n) {
  if (n === null || n === undefined) return '–';
  let i = 0;
  while (Math.abs(n) >= 1024 && i < UNITS.length - 1) { n /= 1024; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${UNITS[i]}`;
}

export function number(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '–';
  return `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)}%`;
}

export function ms(value) {
  if (value === null || value === undefined) return '–';
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10000 ? 0 : 1)} s`;
  return `${value.toFixed(value >= 10 ? 0 : 1)} ms`;
}

export function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function clock(unixMs) {
  return new Date(unixMs).toLocaleTimeString('en-GB', { hour12: false });
}

// A tile: a big number with a label and an optional line under it.
export function tile(label, value, sub, tone) {
  return el('div', { class: `tile${tone ? ` tone-${tone}` : ''}` },
    el('div', { class: 'tile-label' }, label),
    el('div', { class: 'tile-value' }, value),
    sub ? el('div', { class: 'tile-sub' }, sub) : null);
}

// A table in a horizontally scrolling wrapper (phones), with a message when empty.
export function table(columns, rows, emptyText) {
  const head = el('tr', {}, columns.map((c) => el('th', { class: c.class }, c.label)));
  const body = el('tbody');
  for (const row of rows) {
    body.append(el('tr', { class: row.rowClass },
      columns.map((c) => el('td', { class: c.class, title: c.title ? c.title(row) : null },
        c.render(row)))));
  }
  if (rows.length === 0) {
    body.append(el('tr', {}, el('td', { class: 'empty', colspan: columns.length }, emptyText)));
  }
  return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), body));
}

export function badge(text, tone) {
  return el('span', { class: `badge badge-${tone}` }, text);
}

export function notice(text, tone = 'info') {
  return el('p', { class: `notice notice-${tone}` }, text);
}
