// Carapace dashboard page. Plain JavaScript, no build step. Every value from the server is inserted as text
// (textContent, createTextNode, SVG attributes): messages and context data come from devices and are attacker-influenced.
'use strict';

const PANELS = ['overview', 'stream', 'timeline', 'device'];
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
const PALETTE = ['#1a5fb4', '#c62828', '#2e7d32', '#e08a00', '#6a1b9a', '#00838f', '#5d4037', '#ad1457', '#455a64', '#827717'];

const state = { layout: null, source: null, maxId: 0, oldestId: null, device: null, timers: {} };

function $(id) {
  return document.getElementById(id);
}

/** An element with text children only (strings become text nodes, never markup). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'class') {
      node.className = value;
    } else if (name.startsWith('data-')) {
      node.setAttribute(name, String(value));
    } else {
      node[name] = value;
    }
  }
  for (const child of children) {
    if (child === null || child === undefined) {
      continue;
    }
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

function showError(message) {
  const e = $('error');
  e.textContent = message;
  e.hidden = !message;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ headers: { 'Accept': 'application/json' } }, options || {}));
  if (response.status === 401) {
    window.location.assign('/login');
    throw new Error('log in first');
  }
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.error ? body.error.message : 'HTTP ' + response.status);
  }
  return body;
}

function debounce(name, millis, fn) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(fn, millis);
}

function localTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

// ------------------------------------------------------------------------------------------------ layout

function applyLayout(layout) {
  state.layout = layout;
  const main = $('panels');
  for (const p of layout.panels) {
    const section = main.querySelector('[data-panel="' + p.id + '"]');
    main.appendChild(section);
    section.hidden = !p.visible;
  }
  renderLayoutEditor();
}

function renderLayoutEditor() {
  const list = $('layout-panels');
  clear(list);
  state.layout.panels.forEach((p, i) => {
    const box = el('input', { type: 'checkbox', checked: p.visible, 'data-panel': p.id });
    box.addEventListener('change', () => {
      p.visible = box.checked;
      applyLayout(state.layout);
    });
    const up = el('button', { type: 'button', disabled: i === 0, title: 'move up' }, '\u2191');
    up.addEventListener('click', () => move(i, -1));
    const down = el('button', { type: 'button', disabled: i === state.layout.panels.length - 1, title: 'move down' }, '\u2193');
    down.addEventListener('click', () => move(i, 1));
    list.appendChild(el('li', {}, el('label', {}, box, ' ' + p.id), ' ', up, down));
  });
  $('layout-minutes').value = state.layout.timelineMinutes;
}

function move(i, delta) {
  const panels = state.layout.panels;
  const [p] = panels.splice(i, 1);
  panels.splice(i + delta, 0, p);
  applyLayout(state.layout);
}

async function saveLayout() {
  state.layout.timelineMinutes = parseInt($('layout-minutes').value, 10) || 60;
  try {
    const saved = await api('/api/v1/layout', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(state.layout)
    });
    applyLayout(saved.layout);
    $('layout-status').textContent = 'saved for ' + saved.user;
    loadTimeline();
  } catch (e) {
    $('layout-status').textContent = e.message;
  }
}

// ------------------------------------------------------------------------------------------------ overview

async function loadOverview() {
  try {
    const o = await api('/api/v1/overview');
    const body = $('devices').querySelector('tbody');
    clear(body);
    for (const d of o.devices) {
      const name = el('button', { type: 'button', class: 'link' }, d.device);
      name.addEventListener('click', () => selectDevice(d.device));
      const last = d.lastEvent
        ? el('span', {}, el('span', { class: 'sev ' + d.lastEvent.severity }, d.lastEvent.type), ' ', el('span', { class: 'meta' },
          localTime(d.lastEvent.time)))
        : el('span', { class: 'meta' }, 'no verified events');
      const row = el('tr', { 'data-device': d.device, class: d.device === state.device ? 'selected' : '' },
        el('td', {}, name),
        el('td', {}, el('span', { class: 'state ' + d.state }, d.state)),
        el('td', {}, last));
      for (const s of SEVERITIES) {
        row.appendChild(el('td', { class: 'num sev-count', 'data-severity': s }, d.severity[s]));
      }
      row.appendChild(el('td', { class: 'num', title: JSON.stringify(d.rejected) }, d.rejectedTotal));
      row.appendChild(el('td', { class: 'num' }, d.duplicates));
      row.appendChild(el('td', { class: 'num' }, d.missing));
      body.appendChild(row);
    }
    const online = o.devices.filter((d) => d.state === 'online').length;
    $('overview-summary').textContent = o.devices.length + ' devices, ' + online + ' online, ' + o.storedEvents
      + ' events stored' + (o.truncated ? ' (list truncated)' : '');
    showError('');
  } catch (e) {
    showError('overview: ' + e.message);
  }
}

// ------------------------------------------------------------------------------------------------ stream

function filterParams() {
  const p = new URLSearchParams();
  for (const name of ['device', 'type', 'severity']) {
    const v = $('filter-' + name).value.trim();
    if (v) {
      p.set(name, v);
    }
  }
  for (const name of ['from', 'to']) {
    const v = $('filter-' + name).value;
    if (v) {
      p.set(name, new Date(v).toISOString());
    }
  }
  return p;
}

function renderEvent(e, fresh) {
  const context = el('dl', { class: 'context' });
  for (const [key, value] of Object.entries(e.context || {})) {
    context.appendChild(el('dt', {}, key));
    context.appendChild(el('dd', {}, typeof value === 'string' ? value : JSON.stringify(value)));
  }
  const flags = [];
  if (e.count > 1) {
    flags.push('\u00d7' + e.count);
  }
  if (e.late) {
    flags.push('late');
  }
  if (e.truncated) {
    flags.push('truncated');
  }
  return el('li', { 'data-id': e.id, 'data-device': e.device, 'data-type': e.type, 'data-severity': e.severity, class: fresh ? 'fresh' : '' },
    el('div', {},
      el('span', { class: 'sev ' + e.severity }, e.severity), ' ',
      el('strong', { class: 'type' }, e.type), ' ',
      el('span', { class: 'device' }, e.device), ' ',
      el('span', { class: 'meta' }, '#' + e.seq + ' \u00b7 ' + localTime(e.time) + ' \u00b7 ' + e.category + ' \u00b7 ' + e.sensor
        + (flags.length ? ' \u00b7 ' + flags.join(' ') : ''))),
    el('div', { class: 'message' }, e.message),
    context);
}

async function loadEvents() {
  if (state.source) {
    state.source.close();
    state.source = null;
  }
  const list = $('events');
  clear(list);
  state.maxId = 0;
  const params = filterParams();
  params.set('limit', '100');
  try {
    const page = await api('/api/v1/events?' + params);
    for (const e of page.events) {
      list.appendChild(renderEvent(e, false));
      state.maxId = Math.max(state.maxId, e.id);
    }
    state.oldestId = page.events.length ? page.events[page.events.length - 1].id : null;
    $('events-more').hidden = !page.next;
    showError('');
  } catch (e) {
    showError('events: ' + e.message);
    return;
  }
  openStream();
}

async function loadOlder() {
  const params = filterParams();
  params.set('limit', '100');
  params.set('before', String(state.oldestId));
  const page = await api('/api/v1/events?' + params);
  for (const e of page.events) {
    $('events').appendChild(renderEvent(e, false));
  }
  state.oldestId = page.events.length ? page.events[page.events.length - 1].id : state.oldestId;
  $('events-more').hidden = !page.next;
}

function openStream() {
  const params = filterParams();
  params.set('after', String(state.maxId));
  const source = new EventSource('/api/v1/stream?' + params);
  state.source = source;
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => setLive(false));
  source.addEventListener('overflow', () => loadEvents());
  source.addEventListener('security-event', (message) => {
    const e = JSON.parse(message.data);
    if (e.id <= state.maxId) {
      return;
    }
    state.maxId = e.id;
    const list = $('events');
    list.insertBefore(renderEvent(e, true), list.firstChild);
    while (list.children.length > 500) {
      list.removeChild(list.lastChild);
    }
    debounce('overview', 300, loadOverview);
    debounce('timeline', 1000, loadTimeline);
    if (e.device === state.device) {
      debounce('device', 300, () => selectDevice(state.device));
    }
  });
}

function setLive(on) {
  const live = $('live');
  live.textContent = on ? 'live' : 'reconnecting';
  live.className = 'live ' + (on ? 'on' : 'off');
}

// ------------------------------------------------------------------------------------------------ timeline

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

async function loadTimeline() {
  const minutes = state.layout ? state.layout.timelineMinutes : 60;
  const to = Date.now();
  const from = to - minutes * 60000;
  const bucket = Math.max(1, Math.round(minutes * 60 / 60));
  let t;
  try {
    t = await api('/api/v1/timeline?from=' + from + '&to=' + to + '&bucket=' + bucket);
  } catch (e) {
    showError('timeline: ' + e.message);
    return;
  }
  $('timeline-range').textContent = 'last ' + minutes + ' min, per ' + t.bucketSeconds + ' s';
  const width = 640;
  const height = 200;
  const left = 36;
  const bottom = 20;
  const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: '100%', role: 'img', 'aria-label': 'event counts per type' });
  const types = Object.keys(t.series).sort();
  let max = 1;
  for (const type of types) {
    for (const [, count] of t.series[type]) {
      max = Math.max(max, count);
    }
  }
  const x = (ms) => left + (ms - from) / (to - from) * (width - left - 4);
  const y = (n) => height - bottom - n / max * (height - bottom - 8);
  chart.appendChild(svg('line', { x1: left, y1: y(0), x2: width - 4, y2: y(0), stroke: '#999' }));
  chart.appendChild(svg('text', { x: 2, y: y(max) + 4 }, String(max)));
  chart.appendChild(svg('text', { x: 2, y: y(0) }, '0'));
  chart.appendChild(svg('text', { x: left, y: height - 4 }, new Date(from).toLocaleTimeString()));
  chart.appendChild(svg('text', { x: width - 60, y: height - 4 }, new Date(to).toLocaleTimeString()));
  const legend = $('timeline-legend');
  clear(legend);
  types.forEach((type, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = t.series[type].map(([at, count]) => x(Date.parse(at) + t.bucketSeconds * 500) + ',' + y(count));
    const group = svg('g', { 'data-type': type });
    group.appendChild(svg('polyline', { points: points.join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
    for (const [at, count] of t.series[type]) {
      const dot = svg('circle', { cx: x(Date.parse(at) + t.bucketSeconds * 500), cy: y(count), r: 3, fill: color });
      dot.appendChild(svg('title', {}, type + ': ' + count + ' at ' + localTime(at)));
      group.appendChild(dot);
    }
    chart.appendChild(group);
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = color;
    const total = t.series[type].reduce((sum, [, count]) => sum + count, 0);
    legend.appendChild(el('li', { 'data-type': type }, swatch, type + ' (' + total + ')'));
  });
  const box = $('timeline');
  clear(box);
  box.appendChild(chart);
}

// ------------------------------------------------------------------------------------------------ device

async function selectDevice(id) {
  state.device = id;
  for (const row of $('devices').querySelectorAll('tbody tr')) {
    row.className = row.getAttribute('data-device') === id ? 'selected' : '';
  }
  let d;
  try {
    d = await api('/api/v1/devices/' + encodeURIComponent(id) + '?limit=50');
  } catch (e) {
    showError('device: ' + e.message);
    return;
  }
  $('device-name').textContent = d.device;
  $('device-hint').hidden = true;
  const facts = $('device-status');
  clear(facts);
  const add = (name, value) => {
    facts.appendChild(el('dt', {}, name));
    facts.appendChild(el('dd', {}, value === null || value === undefined ? '\u2014' : String(value)));
  };
  add('status', d.state + (d.statusReason ? ' (' + d.statusReason + ')' : ''));
  add('status time', localTime(d.statusTime));
  add('boot', d.boot);
  add('events by severity', SEVERITIES.map((s) => s + ' ' + d.severity[s]).join(', '));
  add('rejected', Object.entries(d.rejected).map(([k, v]) => k + ' ' + v).join(', ') || '0');
  add('duplicates', d.duplicates);
  add('missing (gaps)', d.missing);
  const list = $('device-events');
  clear(list);
  for (const e of d.events) {
    list.appendChild(renderEvent(e, false));
  }
}

// ------------------------------------------------------------------------------------------------ start

async function start() {
  $('customize').addEventListener('click', () => {
    $('layout-editor').hidden = !$('layout-editor').hidden;
  });
  $('layout-save').addEventListener('click', saveLayout);
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    loadEvents();
  });
  $('filter-clear').addEventListener('click', () => {
    $('filters').reset();
    loadEvents();
  });
  $('events-more').addEventListener('click', loadOlder);
  $('logout').addEventListener('click', async () => {
    await api('/api/v1/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    window.location.assign('/login');
  });
  try {
    const session = await api('/api/v1/session');
    $('user').textContent = session.user || '';
    $('logout').hidden = !session.loginRequired;
    const layout = await api('/api/v1/layout');
    applyLayout(layout.layout);
  } catch (e) {
    showError(e.message);
    applyLayout({ v: 1, panels: PANELS.map((id) => ({ id: id, visible: true })), timelineMinutes: 60 });
  }
  await loadOverview();
  await loadEvents();
  await loadTimeline();
  setInterval(loadOverview, 5000);
  setInterval(loadTimeline, 30000);
  // when the page became usable (overview, stream and timeline drawn), for tests and bench/dashboard.sh
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', 'true');
}

document.addEventListener('DOMContentLoaded', start);
