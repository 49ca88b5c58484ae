// Overview: the numbers an operator looks at first, and the 5-minute graphs. The history comes
// from /api/v1/history (the server samples every second), so the graphs are full on first load.
import { Chart } from './chart.js';
import { bytes, clear, duration, getJson, ms, number, percent, tile } from './util.js';

const HISTORY = 300;

export class Overview {
  constructor() {
    this.points = [];
    this.since = 0;
    const rate = (v) => number(v, v < 10 ? 1 : 0);
    this.charts = [
      new Chart(document.getElementById('chart-requests'), {
        format: rate,
        series: [
          { label: 'requests', color: '#3563e9', value: (p) => p.requestsPerSec },
          { label: 'errors', color: '#e5484d', value: (p) => p.errorsPerSec },
        ],
      }),
      new Chart(document.getElementById('chart-connections'), {
        format: (v) => number(v),
        integer: true,
        series: [
          { label: 'open', color: '#12a594', value: (p) => p.connections },
          { label: 'tunnels', color: '#8e4ec6', value: (p) => p.tunnels },
        ],
      }),
      new Chart(document.getElementById('chart-bytes'), {
        format: (v) => `${bytes(v)}/s`,
        series: [
          { label: 'to clients', color: '#3563e9', value: (p) => p.bytesToClientsPerSec },
          { label: 'from clients', color: '#f76b15', value: (p) => p.bytesFromClientsPerSec },
        ],
      }),
      new Chart(document.getElementById('chart-dns'), {
        format: (v) => `${Math.round(v * 100)}%`,
        fixedMax: 1,
        emptyText: 'no DNS lookups yet',
        series: [{ label: 'hit ratio', color: '#12a594', value: (p) => p.dnsHitRatio }],
      }),
      new Chart(document.getElementById('chart-workers'), {
        format: (v) => number(v),
        integer: true,
        emptyText: 'no worker pool',
        series: [
          { label: 'threads', color: '#3563e9', value: (p) => p.workers },
          { label: 'queued', color: '#f76b15', value: (p) => p.workerQueue },
        ],
      }),
      new Chart(document.getElementById('chart-queue-wait'), {
        format: (v) => ms(v),
        emptyText: 'no worker pool',
        series: [{ label: 'p90 wait', color: '#8e4ec6', value: (p) => p.queueWaitP90Ms }],
      }),
    ];
  }

  // Called every second, whatever tab is shown, so the graphs never have holes.
  async tick() {
    const history = await getJson(`/api/v1/history?since=${this.since}`);
    if (history.points.length) {
      this.points = this.points.concat(history.points).slice(-HISTORY);
      this.since = this.points[this.points.length - 1].t;
    }
    this.workersAvailable = history.workersAvailable;
    for (const chart of this.charts) chart.setPoints(this.points);
  }

  renderStats(stats) {
    const tiles = clear(document.getElementById('overview-tiles'));
    const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
    const dns = stats.dns;
    const fb = stats.latency.firstByte;
    tiles.append(
      tile('Requests / s', number(stats.requests.perSecond, 1),
        `${number(stats.requests.total)} since start`),
      tile('Open connections', number(stats.connections.active),
        `${number(stats.tunnels.active)} tunnels · ${number(stats.upstream.pooled)} pooled upstream`),
      tile('Throughput', `${bytes(stats.bytes.toClientsPerSecond)}/s`,
        `${bytes(stats.bytes.fromClientsPerSecond)}/s from clients`),
      dns && dns.cacheHits + dns.cacheMisses > 0
        ? tile('DNS hit ratio', percent(dns.hitRatio),
          `${number(dns.cacheSize)} cached · ${number(dns.inflight)} in flight`)
        : tile('DNS hit ratio', '–', 'no name looked up yet'),
      tile('Time to first byte', ms(fb.p50Ms), `p99 ${ms(fb.p99Ms)} · ${number(fb.count)} measured`),
      tile('Errors', number(errors),
        `${number(stats.responses['5xx'])} 5xx · ${number(stats.responses['4xx'])} 4xx`,
        errors ? 'warn' : null),
    );
    return duration(stats.uptimeSeconds);
  }
}
