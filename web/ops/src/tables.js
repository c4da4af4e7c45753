// The dashboard's tables and alert banner. Built with DOM nodes and textContent only: every string shown
// comes from the server, and none of it is ever parsed as HTML.

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value == null) continue;
    if (key === 'class') node.className = value; else node.setAttribute(key, value);
  }
  node.append(...children.flat().filter(c => c != null).map(c => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return node;
}

function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    h('thead', {}, h('tr', {}, headers.map(([label, numeric]) => h('th', { class: numeric ? 'num' : null }, label)))),
    h('tbody', {}, rows));
}

const num = (value, attributes = {}) => h('td', { ...attributes, class: 'num' }, value);

export const percent = (ratio, digits = 2) => (ratio == null ? '–' : `${(ratio * 100).toFixed(digits)}%`);

export function bytes(value) {
  if (value == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = value;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < units.length - 1) { v /= 1024; unit++; }
  return `${unit === 0 ? v : v.toFixed(1)} ${units[unit]}`;
}

export const ms = value => (value == null ? '–' : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);

function pill(text, tone) {
  return h('span', { class: `pill ${tone}` }, text);
}

const CIRCUIT_TONES = { Closed: 'ok', HalfOpen: 'warn', Open: 'bad', Isolated: 'bad' };

export function renderAlerts(container, slo) {
  if (!slo) {
    container.replaceChildren(h('span', { class: 'alert ticket' }, 'SLO status unavailable'));
    return;
  }
  const firing = slo.firing ?? [];
  container.replaceChildren(...(firing.length === 0
    ? [h('span', { class: 'alert none' }, 'No alert firing')]
    : firing.map(a => h('span', { class: `alert ${a.severity === 'page' ? '' : 'ticket'}` },
      `${a.severity.toUpperCase()} ${a.journey} ${a.sli} ${a.alert}: burning ${a.burnRateLong.toFixed(1)}× (long window), ${a.burnRateShort.toFixed(1)}× (short)`))));
}

export function renderSlo(container, slo) {
  if (!slo) {
    container.replaceChildren(h('p', { class: 'error' }, 'The SLO report did not load.'));
    return;
  }
  const windows = [...new Set(slo.journeys.flatMap(j => j.slis.flatMap(s => Object.keys(s.burnRates ?? {}))))];
  const rows = slo.journeys.flatMap(journey => journey.slis.map(sli => {
    const remaining = sli.budgetRemaining;
    const tone = remaining == null ? '' : remaining <= 0 ? 'bad' : remaining < 0.25 ? 'warn' : '';
    const firing = (sli.alerts ?? []).filter(a => a.firing);
    return h('tr', {},
      h('td', {}, journey.journey),
      h('td', {}, sli.sli === 'latency' && sli.thresholdMs != null ? `latency < ${sli.thresholdMs} ms` : sli.sli),
      num(percent(sli.objective, sli.objective >= 0.999 ? 2 : 1)),
      num(sli.requests),
      num(sli.bad),
      h('td', {}, h('div', { class: 'budget' },
        h('div', { class: 'bar' }, h('span', { class: tone, style: `width:${Math.max(0, Math.min(1, remaining ?? 0)) * 100}%` })),
        percent(remaining, 0))),
      windows.map(w => num(sli.burnRates?.[w] == null ? '–' : `${sli.burnRates[w].toFixed(2)}×`)),
      h('td', {}, firing.length ? firing.map(a => pill(a.name, a.severity === 'page' ? 'bad' : 'warn')) : h('span', { class: 'muted' }, 'none')));
  }));
  container.replaceChildren(table(
    [['Journey'], ['SLI'], ['Objective', true], ['Requests', true], ['Bad', true], ['Error budget left'], ...windows.map(w => [`Burn ${w}`, true]), ['Firing']],
    rows, 'No objectives are configured.'));
}

export function renderDatabases(container, dashboard) {
  const rows = dashboard.databases.map(db => h('tr', {},
    h('td', {}, db.name),
    num(db.logicalShards === 0 ? '–' : db.pausedShards > 0 ? `${db.logicalShards} (${db.pausedShards} paused)` : db.logicalShards),
    h('td', {}, db.up ? pill(`up ${ms(db.probeMs)}`, 'ok') : [pill('down', 'bad'), h('div', { class: 'detail' }, db.error)]),
    h('td', {}, db.circuit ? pill(db.circuit, CIRCUIT_TONES[db.circuit] ?? '') : '–'),
    h('td', {}, db.replicas.length === 0
      ? h('span', { class: 'muted' }, 'none')
      : db.replicas.map(r => pill(r.healthy ? `#${r.replica} ${bytes(r.lagBytes)}` : `#${r.replica} down`, r.healthy ? 'ok' : 'bad')))));
  container.replaceChildren(
    table([['Database'], ['Logical shards', true], ['Health'], ['Breaker'], ['Replicas (lag)']], rows, 'No databases.'),
    h('p', { class: 'muted' }, `Shard map version ${dashboard.shardMapVersion}`));
}

export function renderCircuits(container, dashboard) {
  const rows = Object.entries(dashboard.circuits).map(([name, state]) =>
    h('tr', {}, h('td', {}, name), h('td', {}, pill(state, CIRCUIT_TONES[state] ?? ''))));
  container.replaceChildren(table([['Dependency'], ['State']], rows, 'No breakers have been used yet.'));
}

export function renderChaos(container, dashboard) {
  const { enabled, faults, checkoutCrashes } = dashboard.chaos;
  const rows = [
    ...Object.entries(faults).map(([name, f]) => h('tr', {},
      h('td', {}, name),
      h('td', {}, [f.faultRate > 0 ? `${percent(f.faultRate, 0)} fail` : null, f.latencyRate > 0 && f.latencyMs > 0 ? `${percent(f.latencyRate, 0)} +${f.latencyMs} ms` : null]
        .filter(Boolean).join(', ')))),
    ...Object.entries(checkoutCrashes).map(([step, times]) => h('tr', {}, h('td', {}, `checkout after ${step}`), h('td', {}, `next ${times} crash`))),
  ];
  container.replaceChildren(
    h('p', {}, enabled ? pill('chaos enabled', 'warn') : pill('chaos disabled on this instance', 'ok')),
    table([['Target'], ['Fault']], rows, 'Nothing is being injected.'));
}

export function renderEvents(container, dashboard) {
  const m = dashboard.messaging;
  const lagRows = [['outbox → bus', m.lag.publish], ...Object.entries(m.lag.consumers).map(([consumer, lag]) => [consumer, lag])]
    .map(([name, lag]) => h('tr', {}, h('td', {}, name), num(lag.count), num(ms(lag.p50Ms)), num(ms(lag.p99Ms)), num(ms(lag.maxMs))));
  const deferred = Object.entries(m.deferred ?? {}).filter(([, n]) => n > 0);
  container.replaceChildren(
    h('p', {}, m.error
      ? h('span', { class: 'error' }, `Outboxes unreadable: ${m.error}`)
      : [`${m.outboxPending} events waiting in the outboxes`, deferred.length ? `; deferred: ${deferred.map(([c, n]) => `${c} ${n}`).join(', ')}` : '']),
    table([['Lag since start'], ['Events', true], ['p50', true], ['p99', true], ['max', true]], lagRows, 'No events yet.'));
}

const INCIDENT_TONES = { sev1: 'bad', sev2: 'bad', sev3: 'warn' };

/** Active incidents: who owns them, what is failing first (the root-cause hint), and where the runbook is. */
export function renderIncidents(container, incidents) {
  if (!incidents) {
    container.replaceChildren(h('p', { class: 'error' }, 'The incidents did not load.'));
    return;
  }
  const rows = incidents.items.map(i => h('tr', {},
    h('td', {}, `#${i.id}`),
    h('td', {}, pill(i.severity, INCIDENT_TONES[i.severity] ?? 'warn')),
    h('td', {}, i.status),
    h('td', {}, i.component),
    h('td', {}, i.team),
    h('td', {}, i.title),
    h('td', {}, new Date(i.openedAt).toLocaleTimeString()),
    h('td', {}, i.runbook)));
  container.replaceChildren(table(
    [['Incident'], ['Severity'], ['Status'], ['Root cause'], ['Team'], ['What'], ['Opened'], ['Runbook']], rows, 'No incident open'));
}
