// The operations dashboard: signs an administrator in, then refreshes every few seconds (the interval is the
// server's OpsDashboard:RefreshInterval) from four admin-only endpoints, without reloading the page.
import { align, byJourneyOrder, History, TimeChart } from './charts.js';
import { renderAlerts, renderChaos, renderCircuits, renderDatabases, renderEvents, renderIncidents, renderSlo, bytes, percent } from './tables.js';

const TOKEN_KEY = 'scaleshop.ops.token';
const SECONDS_PER_MINUTE = 60;

const $ = id => document.getElementById(id);
const chartElement = name => document.querySelector(`[data-chart="${name}"]`);

/** Refused by the server: the session is over (401) or the account is no administrator (403). */
class SignedOut extends Error {}

const state = {
  charts: {},
  refreshCount: 0,
  lastRefresh: null,
  cacheHistory: new History(),
  replicaHistory: new History(),
  previousCache: null,
  timer: null,
};
// What the page is showing, for an operator's console and for the browser test.
window.opsDashboard = state;

async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { ...init, headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...init.headers } });
  if (response.status === 401 || response.status === 403) {
    throw new SignedOut(response.status === 403 ? 'This account is not an administrator.' : 'The session has ended: sign in again.');
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function signIn(event) {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  const response = await fetch('/api/v1/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: $('email').value, password: $('password').value }),
  });
  if (!response.ok) {
    $('sign-in-error').textContent = response.status === 401 || response.status === 400 ? 'Wrong e-mail or password.' : `Sign-in failed (HTTP ${response.status}).`;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, (await response.json()).accessToken);
  $('password').value = '';
  showDashboard();
}

function signOut(message = '') {
  clearTimeout(state.timer);
  sessionStorage.removeItem(TOKEN_KEY);
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('status').textContent = '';
}

function showDashboard() {
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  refresh();
}

function createCharts() {
  const number = v => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2));
  state.charts = {
    throughput: new TimeChart(chartElement('throughput'), { format: number, empty: 'No journey traffic yet' }),
    errors: new TimeChart(chartElement('errors'), { format: v => `${number(v)}%`, empty: 'No journey traffic yet', sparse: true }),
    p50: new TimeChart(chartElement('p50'), { format: number, empty: 'No journey traffic yet', sparse: true }),
    p99: new TimeChart(chartElement('p99'), { format: number, empty: 'No journey traffic yet', sparse: true }),
    cache: new TimeChart(chartElement('cache'), { format: v => `${v.toFixed(0)}%`, min: 0, max: 100, empty: 'Waiting for cache lookups', sparse: true }),
    replicas: new TimeChart(chartElement('replicas'), { format: bytes, empty: 'No replicas (embedded databases)', sparse: true }),
  };
}

/** One chart's series per journey, from /api/ops/journeys. */
function journeySeries(journeys, value) {
  return [...journeys].sort((a, b) => byJourneyOrder(a.journey, b.journey)).map(j => ({
    name: j.journey,
    points: j.points.map(p => ({ t: Date.parse(p.at) / 1000, v: value(p) })),
  }));
}

/** The time span every chart shows: the configured history up to the server's now. */
function spanOf(dashboard) {
  const now = Date.parse(dashboard.generatedAt) / 1000;
  return [now - dashboard.page.journeyWindowMinutes * SECONDS_PER_MINUTE, now];
}

function drawJourneys(report, span) {
  const { journeys } = report;
  state.charts.throughput.update(align(journeySeries(journeys, p => p.requestsPerSecond)), span);
  // A bucket without requests has no error ratio or latency: a gap, not a zero.
  state.charts.errors.update(align(journeySeries(journeys, p => (p.requests > 0 ? p.errorRatio * 100 : null))), span);
  state.charts.p50.update(align(journeySeries(journeys, p => (p.requests > 0 ? p.p50Ms : null))), span);
  state.charts.p99.update(align(journeySeries(journeys, p => (p.requests > 0 ? p.p99Ms : null))), span);
}

/** Cache and replica figures are "as of now": the page keeps their history over the same span as the journeys. */
function drawInstant(dashboard, span) {
  const [oldest, now] = span;
  const cache = dashboard.cache;
  const previous = state.previousCache;
  // The ratio over the last interval, not since start: a drop shows at once instead of being averaged away.
  // Counters that went down mean the instance restarted; start again from its figures.
  if (previous && cache.lookups > previous.lookups) {
    const hits = cache.hits + cache.staleHits - (previous.hits + previous.staleHits);
    state.cacheHistory.add('hit ratio', now, (hits / (cache.lookups - previous.lookups)) * 100);
  }
  state.previousCache = cache;
  state.cacheHistory.trim(oldest);
  state.charts.cache.update(align(state.cacheHistory.toSeries()), span);
  $('cache-summary').textContent = `% of lookups per refresh; ${percent(cache.hitRatio, 1)} of ${cache.lookups} since start`;

  for (const db of dashboard.databases) {
    for (const replica of db.replicas) {
      if (replica.healthy) state.replicaHistory.add(`${db.name} #${replica.replica}`, now, replica.lagBytes);
    }
  }
  state.replicaHistory.trim(oldest);
  state.charts.replicas.update(align(state.replicaHistory.toSeries()), span);
}

async function refresh() {
  clearTimeout(state.timer);
  const errors = [];
  let interval = null;
  try {
    const dashboard = await api('/api/ops/dashboard');
    interval = dashboard.page.refreshSeconds * 1000;
    const [journeys, slo, incidents] = await Promise.allSettled([
      api(`/api/ops/journeys?minutes=${dashboard.page.journeyWindowMinutes}`),
      api('/api/ops/slo'),
      api('/api/ops/incidents'),
    ]);
    for (const failed of [journeys, slo, incidents].filter(r => r.status === 'rejected')) {
      if (failed.reason instanceof SignedOut) throw failed.reason;
      errors.push(failed.reason.message);
    }
    const span = spanOf(dashboard);
    drawInstant(dashboard, span);
    if (journeys.status === 'fulfilled') drawJourneys(journeys.value, span);
    const report = slo.status === 'fulfilled' ? slo.value : null;
    renderAlerts($('alerts'), report);
    renderSlo($('slo'), report);
    renderIncidents($('incidents'), incidents.status === 'fulfilled' ? incidents.value : null);
    renderDatabases($('databases'), dashboard);
    renderCircuits($('circuits'), dashboard);
    renderChaos($('chaos'), dashboard);
    renderEvents($('events'), dashboard);
  } catch (error) {
    if (error instanceof SignedOut) {
      signOut(error.message);
      return;
    }
    errors.push(error.message);
  }

  state.refreshCount++;
  state.lastRefresh = { at: new Date().toISOString(), errors };
  $('status').textContent = errors.length
    ? `Refresh failed at ${new Date().toLocaleTimeString()}: ${errors.join('; ')}`
    : `Updated ${new Date().toLocaleTimeString()}${interval ? `, every ${interval / 1000} s` : ''}`;
  $('status').classList.toggle('failing', errors.length > 0);
  // Keep trying after a failure, at the last interval the server gave (or at once-a-minute pace before it ever answered).
  state.interval = interval ?? state.interval ?? SECONDS_PER_MINUTE * 1000;
  state.timer = setTimeout(refresh, state.interval);
}

createCharts();
$('sign-in-form').addEventListener('submit', event => signIn(event).catch(error => { $('sign-in-error').textContent = error.message; }));
$('sign-out').addEventListener('click', () => signOut());
if (sessionStorage.getItem(TOKEN_KEY)) showDashboard(); else signOut();
