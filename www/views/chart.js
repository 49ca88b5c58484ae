// A small time-series line chart on a canvas: a fixed window (the last 5 minutes) sliding with
// the clock, several series with a legend, gaps where a value is missing (null), a y axis that
// rounds to a readable maximum. Our own code: no chart library to vendor.

const WINDOW_MS = 5 * 60 * 1000;
const PAD = { right: 10, top: 24, bottom: 20 };

// A maximum whose quarters are round numbers (the grid has 4 steps).
function niceMax(value, integer) {
  if (integer) value = Math.max(value, 4);
  if (!(value > 0)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 4, 8, 10]) if (value <= step * exp) return step * exp;
  return 10 * exp;
}

export class Chart {
  // series: [{label, color, value: point => number|null}], format: number => axis text,
  // fixedMax: a y maximum that never changes (ratios), integer: counts (ticks stay whole),
  // emptyText: shown when no series has data.
  constructor(canvas, { series, format, fixedMax, integer, emptyText }) {
    this.integer = integer;
    this.canvas = canvas;
    this.series = series;
    this.format = format;
    this.fixedMax = fixedMax;
    this.emptyText = emptyText || 'no data yet';
    this.points = [];
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(canvas);
  }

  setPoints(points) {
    this.points = points;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const ink = style.getPropertyValue('--chart-ink').trim() || '#667';
    const grid = style.getPropertyValue('--chart-grid').trim() || '#e5e7ef';
    g.font = '11px system-ui, sans-serif';

    const now = this.points.length ? this.points[this.points.length - 1].t : Date.now();

    let max = 0;
    let hasData = false;
    for (const p of this.points) {
      for (const s of this.series) {
        const v = s.value(p);
        if (v === null || v === undefined) continue;
        hasData = true;
        if (v > max) max = v;
      }
    }
    max = this.fixedMax || niceMax(max, this.integer);
    // The left margin fits the widest axis label.
    let labelWidth = 0;
    for (let i = 0; i <= 4; i++) labelWidth = Math.max(labelWidth, g.measureText(this.format((max * i) / 4)).width);
    const x0 = Math.ceil(labelWidth) + 12;
    const x1 = width - PAD.right;
    const y0 = height - PAD.bottom;
    const y1 = PAD.top;
    const xOf = (t) => x0 + ((t - (now - WINDOW_MS)) / WINDOW_MS) * (x1 - x0);
    const yOf = (v) => y0 - (v / max) * (y0 - y1);

    // Grid and axis labels.
    g.strokeStyle = grid;
    g.fillStyle = ink;
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      const y = Math.round(yOf(v)) + 0.5;
      g.beginPath();
      g.moveTo(x0, y);
      g.lineTo(x1, y);
      g.stroke();
      g.fillText(this.format(v), x0 - 6, y);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let m = 5; m >= 0; m--) {
      const x = xOf(now - m * 60000);
      g.fillText(m ? `-${m}m` : 'now', Math.min(Math.max(x, x0 + 10), x1 - 12), y0 + 5);
    }

    // Legend, top left.
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    let lx = x0;
    for (const s of this.series) {
      g.fillStyle = s.color;
      g.fillRect(lx, 8, 10, 3);
      g.fillStyle = ink;
      g.fillText(s.label, lx + 14, 10);
      lx += g.measureText(s.label).width + 30;
    }

    if (!hasData) {
      g.textAlign = 'center';
      g.fillStyle = ink;
      g.fillText(this.emptyText, (x0 + x1) / 2, (y0 + y1) / 2);
    }

    // Series: a line with a light fill under it; null breaks the line.
    g.save();
    g.beginPath();
    g.rect(x0, y1 - 2, x1 - x0, y0 - y1 + 2);
    g.clip();
    for (const s of this.series) {
      let run = [];
      const flush = () => {
        if (run.length === 0) return;
        g.beginPath();
        run.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.strokeStyle = s.color;
        g.lineWidth = 1.75;
        g.lineJoin = 'round';
        g.stroke();
        g.lineTo(run[run.length - 1][0], y0);
        g.lineTo(run[0][0], y0);
        g.closePath();
        g.globalAlpha = 0.12;
        g.fillStyle = s.color;
        g.fill();
        g.globalAlpha = 1;
        run = [];
      };
      for (const p of this.points) {
        const v = s.value(p);
        if (v === null || v === undefined) flush();
        else run.push([xOf(p.t), yOf(Math.min(v, max))]);
      }
      flush();
    }
    g.restore();

    // For tests and curious operators: how many points and the latest value of the first series.
    canvas.dataset.points = String(this.points.length);
    const last = this.points.length ? this.series[0].value(this.points[this.points.length - 1]) : null;
    canvas.dataset.last = last === null || last === undefined ? '' : String(last);
  }
}
