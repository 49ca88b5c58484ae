// The interface's entry point: tabs (one view module each, chosen by the URL's #hash), a 1 s
// heartbeat that feeds the overview graphs whatever tab is shown, and the reload action.
import { Overview } from './views/overview.js';
import * as connections from './views/connections.js';
import * as plugins from './views/plugins.js';
import * as dns from './views/dns.js';
import * as workers from './views/workers.js';
import * as config from './views/config.js';
import * as log from './views/log.js';
import { getJson } from './views/util.js';

const VIEWS = { connections, plugins, dns, workers, config, log };
// Tables refresh less often than the graphs: reading them is what the operator does.
const VIEW_REFRESH_MS = { connections: 2000, plugins: 5000, dns: 5000, workers: 2000, log: 5000 };

const overview = new Overview();
let current = 'overview';
let lastViewRender = 0;
let busy = false;

function setStatus(ok, text) {
  document.getElementById('status-dot').className = `dot ${ok ? 'dot-ok' : 'dot-bad'}`;
  document.getElementById('status-text').textContent = text;
}

let toastTimer = 0;
function toast(text, tone = 'info') {
  const node = document.getElementById('toast');
  node.textContent = text;
  node.className = `toast toast-${tone}`;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
}

async function renderView(force) {
  if (current === 'overview') return;
  const every = VIEW_REFRESH_MS[current];
  if (!force && (!every || Date.now() - lastViewRender < every)) return;
  // A user typing in a filter box keeps their focus: config only renders on tab change.
  lastViewRender = Date.now();
  await VIEWS[current].render(document.getElementById(`view-${current}`));
}

function showTab(name) {
  if (name !== 'overview' && !VIEWS[name]) name = 'overview';
  current = name;
  for (const link of document.querySelectorAll('#tabs a')) {
    const active = link.dataset.tab === name;
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.id !== `view-${name}`;
  }
  renderView(true).catch((e) => toast(e.message, 'error'));
  // Graphs measured while hidden have no size: draw them again now.
  if (name === 'overview') for (const chart of overview.charts) chart.draw();
}

async function tick() {
  if (busy) return; // a slow answer never piles up requests
  busy = true;
  try {
    const [stats] = await Promise.all([getJson('/api/v1/stats'), overview.tick()]);
    document.getElementById('version').textContent = `v${stats.version}`;
    const uptime = overview.renderStats(stats);
    setStatus(!stats.draining, stats.draining ? 'draining' :
      `up ${uptime} · ${stats.loops} loop${stats.loops === 1 ? '' : 's'}`);
    await renderView(false);
  } catch (e) {
    setStatus(false, 'proxy unreachable');
  } finally {
    busy = false;
  }
}

// The proxy logs "reload.done" or "reload.rejected" (lifecycle lines are kept in the log).
async function waitForReload(sinceMs) {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const data = await getJson('/api/v1/log?level=info');
    const line = data.records.find((r) => r.time >= sinceMs - 1000 &&
      /^reload\.(done|rejected)/.test(r.message));
    if (line) return line.message;
  }
  return null;
}

async function reload() {
  const button = document.getElementById('reload-button');
  button.disabled = true;
  const started = Date.now();
  try {
    // The custom header is what a cross-site form or script cannot send.
    const response = await fetch('/api/v1/reload', {
      method: 'POST',
      headers: { 'X-ExaProxy-CSRF': '1' },
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    toast('Reload requested…');
    const outcome = await waitForReload(body.time || started);
    if (outcome === null) toast('Reload requested; see the Log tab for the outcome.');
    else if (outcome.startsWith('reload.done')) toast('Configuration reloaded.', 'ok');
    else toast('Reload rejected: the configuration has errors (see the Log tab).', 'error');
  } catch (e) {
    toast(`Reload failed: ${e.message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

document.getElementById('reload-button').addEventListener('click', reload);
window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
showTab(location.hash.slice(1) || 'overview');
tick();
setInterval(tick, 1000);
