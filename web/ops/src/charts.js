// Time-series charts on uPlot: one x axis (unix seconds) shared by every series of a chart.

// Fixed colours per journey, the same in every chart, so a line is recognised at a glance (Tableau 10).
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const JOURNEY_ORDER = ['browse', 'search', 'cart', 'checkout', 'recommendations'];
const PLOT_HEIGHT = 170;

export function colourOf(name, index) {
  const known = JOURNEY_ORDER.indexOf(name);
  return PALETTE[(known >= 0 ? known : JOURNEY_ORDER.length + index) % PALETTE.length];
}

/** Journeys in the order the shop's funnel reads (browse first, checkout late), unknown ones after. */
export function byJourneyOrder(a, b) {
  const rank = n => (JOURNEY_ORDER.indexOf(n) + JOURNEY_ORDER.length + 1) % (JOURNEY_ORDER.length + 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/**
 * Aligns series that may have points at different times onto one sorted x axis, with null where a series
 * has no point (drawn as a gap: a missing bucket is not a zero).
 * series: [{ name, points: [{ t (unix seconds), v }] }] → { names, data: [xs, ...ys] }
 */
export function align(series) {
  const xs = [...new Set(series.flatMap(s => s.points.map(p => p.t)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map(s => {
    const y = new Array(xs.length).fill(null);
    for (const p of s.points) y[index.get(p.t)] = p.v;
    return y;
  });
  return { names: series.map(s => s.name), data: [xs, ...ys] };
}

export class TimeChart {
  /** element: the container; format: value → label for axis and legend. */
  /**
   * sparse: the series have values only where there was traffic (latency, error ratio), so lines join across
   * empty buckets and every value is marked, or a lone request's latency would not show at all.
   */
  constructor(element, { format, min = null, max = null, empty = 'No data yet', sparse = false }) {
    this.element = element;
    this.format = format;
    this.sparse = sparse;
    this.range = [min, max];
    this.emptyText = empty;
    this.plot = null;
    this.names = [];
    this.data = [[]];
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(element);
  }

  size() {
    return { width: Math.max(this.element.clientWidth, 100), height: PLOT_HEIGHT };
  }

  /**
   * Replaces what the chart shows over the time window [from, to] (unix seconds): every chart spans the same
   * window, however few points it has. The plot is rebuilt only when the set of series changes.
   */
  update({ names, data }, [from, to]) {
    this.names = names;
    this.data = data;
    this.window = [from, to];
    if (names.length === 0 || data[0].length === 0) {
      this.plot?.destroy();
      this.plot = null;
      this.element.replaceChildren(Object.assign(document.createElement('div'), { className: 'empty', textContent: this.emptyText }));
      return;
    }
    if (this.plot && sameNames(this.plot.series.slice(1).map(s => s.label), names)) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.element.replaceChildren();
    const [min, max] = this.range;
    const value = (_, v) => (v == null ? '–' : this.format(v));
    this.plot = new uPlot({
      ...this.size(),
      scales: { x: { time: true, range: () => this.window }, y: { range: (_, lo, hi) => [min ?? Math.min(0, lo), max ?? (hi > 0 ? hi * 1.1 : 1)] } },
      axes: [{}, { values: (_, ticks) => ticks.map(t => this.format(t)), size: 60 }],
      series: [{}, ...names.map((name, i) => ({
        label: name, stroke: colourOf(name, i), width: 1.5, value, spanGaps: this.sparse, points: this.sparse ? { show: true, size: 4 } : {},
      }))],
      legend: { live: true },
    }, data, this.element);
  }

  /** Points with a value, per series: what the page is drawing (read by the browser test). */
  pointsPerSeries() {
    return this.perSeries(values => values.length);
  }

  /** The largest value drawn, per series (null when it has none). */
  maxPerSeries() {
    return this.perSeries(values => (values.length ? Math.max(...values) : null));
  }

  perSeries(summary) {
    return Object.fromEntries(this.names.map((name, i) => [name, summary(this.data[i + 1].filter(v => v != null))]));
  }
}

function sameNames(a, b) {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** A series kept by the page itself, for figures an endpoint reports only as they are now (cache, replica lag). */
export class History {
  constructor() {
    this.series = new Map();
  }

  add(name, t, v) {
    if (!this.series.has(name)) this.series.set(name, []);
    this.series.get(name).push({ t, v });
  }

  /** Forgets points older than the window the charts show. */
  trim(oldest) {
    for (const [name, points] of this.series) {
      const kept = points.filter(p => p.t >= oldest);
      if (kept.length) this.series.set(name, kept); else this.series.delete(name);
    }
  }

  toSeries() {
    return [...this.series].sort(([a], [b]) => a.localeCompare(b)).map(([name, points]) => ({ name, points }));
  }
}
