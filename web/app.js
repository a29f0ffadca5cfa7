/* vigil's dashboard: a small single-page app over vigil web's JSON API.
 * Views: the alert inbox (with the timeline and top talkers), the live
 * tail, events (flows, DNS, TLS, HTTP, ... with search), the VMs, one VM,
 * one event.  Every list is one page from the server; nothing loads more
 * than it shows.  Text from records is only ever set as text, never as
 * HTML. */
'use strict';

const $main = document.getElementById('main');

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

async function api(path, body) {
  const opt = body ? { method: 'POST', headers: { 'Content-Type': 'application/json' },
                       body: JSON.stringify(body) } : {};
  const r = await fetch(path, opt);
  const j = await r.json().catch(() => ({ error: 'not JSON' }));
  if (!r.ok && !j.error) j.error = r.statusText;
  return j;
}

function when(us) {
  if (!us) return '';
  const d = new Date(us / 1000);
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

function sev(n) { return h('span', { class: 'sev sev' + (n >= 1 && n <= 3 ? n : 0), title: 'severity ' + (n || '-') }); }

function did(action) {
  return action === 'blocked' ? h('span', { class: 'tag blocked' }, 'blocked')
                              : h('span', { class: 'tag seen' }, action || 'seen');
}

function vmLink(vm) { return vm ? h('a', { href: '#/vm/' + encodeURIComponent(vm) }, vm) : ''; }

function msg(text, err) { return h('div', { class: 'msg' + (err ? ' err' : ''), role: 'status' }, text); }

function params() {
  const [path, qs] = location.hash.slice(1).split('?');
  return { path: path || '/inbox', q: new URLSearchParams(qs || '') };
}

function go(path, q) {
  const s = q ? new URLSearchParams(Object.entries(q).filter(([, v]) => v !== '' && v != null)).toString() : '';
  location.hash = path + (s ? '?' + s : '');
}

/* ---- the inbox ---- */

let chart = null;

async function timeline(box) {
  const t = await api('/api/timeline?minutes=60');
  if (t.error) return;
  const mins = [], s = [[], [], [], []];
  for (let m = t.start; m <= t.end; m++) { mins.push(m * 60); s.forEach(a => a.push(0)); }
  for (const p of t.points) {
    const i = p.minute - t.start;
    if (i >= 0 && i < mins.length) s[p.severity >= 1 && p.severity <= 3 ? p.severity : 0][i] += p.alerts;
  }
  const cols = ['#c62828', '#ef6c00', '#f9a825', '#90a4ae'];
  const names = ['severity 1', 'severity 2', 'severity 3', 'other'];
  // stacked: each series the sum of those below it
  const stacked = [s[0].slice(), [], [], []];
  for (let k = 1; k < 4; k++) stacked[k] = s[k].map((v, i) => v + stacked[k - 1][i]);
  // the biggest sum first, so each lower band is drawn over it
  const order = [3, 2, 1, 0];
  const opts = {
    width: Math.max(300, box.clientWidth - 20), height: 180,
    scales: { x: { time: true } },
    series: [{}].concat(order.map(k => ({ label: names[k], stroke: cols[k], fill: cols[k] + '55', width: 1 }))),
    axes: [{}, { label: 'alerts / minute' }],
  };
  if (chart) chart.destroy();
  box.replaceChildren();
  chart = new uPlot(opts, [mins].concat(order.map(k => stacked[k])), box);
  return t.talkers;
}

async function inbox() {
  const { q } = params();
  const state = q.get('state') || 'new';
  const offset = +(q.get('offset') || 0);
  const chartBox = h('div', { class: 'card', id: 'timeline' });
  const talkers = h('tbody');
  const body = h('tbody');
  const tabs = h('span', { class: 'tabs' }, ['new', 'ack', 'escalated', 'archived', 'all'].map(s =>
    h('button', { class: s === state ? 'on' : '', onclick: () => go('/inbox', { state: s }) },
      { new: 'Inbox', ack: 'Acknowledged', escalated: 'Escalated', archived: 'Archived', all: 'All' }[s])));
  const info = h('span', { class: 'muted', id: 'inbox-count' });
  $main.replaceChildren(
    h('div', { class: 'grid' },
      h('div', {}, h('h2', {}, 'Alerts per minute (the hour up to the newest alert)'), chartBox),
      h('div', {}, h('h2', {}, 'Top talkers (flows)'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'who'), h('th', {}, 'flows'))), talkers))),
    h('h2', {}, 'Alerts by signature and VM'),
    h('div', { class: 'bar' }, tabs, h('span', { class: 'grow' }), info),
    h('table', { id: 'groups' }, h('thead', {}, h('tr', {}, ['', 'alerts', 'signature', 'VM', 'blocked', 'last seen', 'state', ''].map(x => h('th', {}, x)))), body),
    h('div', { class: 'bar' },
      offset > 0 ? h('button', { onclick: () => go('/inbox', { state, offset: Math.max(0, offset - 50) }) }, 'Newer') : null,
      h('button', { id: 'older', onclick: () => go('/inbox', { state, offset: offset + 50 }) }, 'Older')));
  const g = await api('/api/alerts?limit=50&state=' + state + '&offset=' + offset);
  if (g.error) { $main.append(msg(g.error, true)); return; }
  info.textContent = `${g.groups_total} groups, ${g.alerts_total} alerts`;
  if (g.groups.length < 50) document.getElementById('older').remove();
  for (const r of g.groups) {
    const set = async (body2) => {
      const res = await api('/api/group', Object.assign({ gid: r.gid, sid: r.sid, vm: r.vm }, body2));
      if (res.error) alert(res.error); else route();
    };
    body.append(h('tr', { class: 'click', 'data-sid': r.sid, 'data-vm': r.vm },
      h('td', {}, sev(r.severity)),
      h('td', { class: 'num' }, r.count),
      /* gid 5 and 6: the host IDS's rules and file integrity (the store's HOST_GID) */
      h('td', {}, h('a', { href: '#/events?type=' + ({ 5: 'hids', 6: 'fim' }[r.gid] || 'alert') + '&sid=' + r.sid + (r.vm ? '&vm=' + encodeURIComponent(r.vm) : '') }, r.signature || ('sid ' + r.sid))),
      h('td', {}, vmLink(r.vm) || h('span', { class: 'muted' }, '-')),
      h('td', { class: 'num' }, r.blocked),
      h('td', {}, when(r.last)),
      h('td', {}, h('span', { class: 'tag state-' + r.state }, r.state), r.escalated ? h('span', { class: 'tag escalated' }, 'escalated') : '',
        r.note ? h('div', { class: 'muted' }, r.note) : ''),
      h('td', {},
        r.state !== 'ack' ? h('button', { onclick: () => set({ state: 'ack' }) }, 'Ack') : null,
        r.state !== 'archived' ? h('button', { onclick: () => set({ state: 'archived' }) }, 'Archive') : h('button', { onclick: () => set({ state: 'new' }) }, 'Restore'),
        h('button', { onclick: () => set({ escalated: !r.escalated }) }, r.escalated ? 'De-escalate' : 'Escalate'),
        h('button', { onclick: () => { const n = prompt('Note', r.note || ''); if (n !== null) set({ note: n }); } }, 'Note'))));
  }
  if (!g.groups.length) body.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'Nothing here.')));
  const tk = await timeline(chartBox);
  for (const t of tk || []) talkers.append(h('tr', {}, h('td', {}, t.talker), h('td', { class: 'num' }, t.flows)));
}

/* ---- events ---- */

function eventRow(e) {
  const what = e.type === 'alert' ? [sev(e.severity), e.signature, ' ', did(e.action)]
             : (e.type === 'hids' || e.type === 'fim') && e.sid ? [sev(e.severity), e.signature, e.type === 'fim' ? ' ' + (e.name || '') : '']
             : [e.name || '', e.url ? ' ' + e.url : ''];
  return h('tr', { class: 'click', onclick: () => go('/event/' + e.id) },
    h('td', {}, when(e.ts)), h('td', {}, e.type),
    h('td', {}, vmLink(e.src_vm), e.src_vm ? ' ' : '', h('span', { class: 'muted' }, (e.src_ip || '') + (e.src_port ? ':' + e.src_port : ''))),
    h('td', {}, vmLink(e.dest_vm), e.dest_vm ? ' ' : '', h('span', { class: 'muted' }, (e.dest_ip || '') + (e.dest_port ? ':' + e.dest_port : ''))),
    h('td', {}, e.proto || ''), h('td', {}, e.app_proto || ''), h('td', { class: 'what' }, what));
}

async function events() {
  const { q } = params();
  const f = Object.fromEntries(['type', 'q', 'vm', 'sid', 'flow_id', 'before'].map(k => [k, q.get(k) || '']));
  const type = h('select', { name: 'type' }, ['', 'alert', 'flow', 'dns', 'tls', 'http', 'ssh', 'quic', 'anomaly', 'drop', 'control', 'hids', 'fim', 'stats'].map(t =>
    h('option', { value: t, selected: t === f.type }, t || 'all types')));
  const search = h('input', { name: 'q', placeholder: 'search names and URLs', value: f.q, size: 30 });
  const vm = h('input', { name: 'vm', placeholder: 'VM', value: f.vm, size: 12 });
  const body = h('tbody');
  const form = h('form', { class: 'bar', onsubmit: ev => { ev.preventDefault(); go('/events', { type: type.value, q: search.value, vm: vm.value, sid: f.sid }); } },
    type, search, vm, h('button', { class: 'primary', type: 'submit' }, 'Search'),
    f.sid ? h('span', { class: 'tag' }, 'signature ' + f.sid) : null);
  $main.replaceChildren(h('h2', {}, 'Events'), form,
    h('table', { id: 'events' }, h('thead', {}, h('tr', {}, ['time', 'type', 'source', 'destination', 'proto', 'app', ''].map(x => h('th', {}, x)))), body));
  const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  const r = await api('/api/events?limit=50&' + qs);
  if (r.error) { $main.append(msg(r.error, true)); return; }
  for (const e of r.events) body.append(eventRow(e));
  if (!r.events.length) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No events.')));
  if (r.next) $main.append(h('div', { class: 'bar' }, h('button', { onclick: () => go('/events', Object.assign({}, f, { before: r.next })) }, 'Older')));
}

async function action(body, out) {
  const r = await api('/api/action', body);
  const m = r.return === 'OK' ? msg(typeof r.message === 'string' ? r.message : (r.message.result + ': ' + body.action + ' ' + (body.target || body.sid) + (body.vm ? ' for ' + body.vm : '')))
                              : msg(r.error || r.message || 'failed', true);
  out.replaceChildren(m);
  return m;
}

async function eventPage(id) {
  const r = await api('/api/event?id=' + encodeURIComponent(id));
  const e = r.event;
  if (!e) { $main.replaceChildren(msg('No such event (it may have been removed by retention).', true)); return; }
  const out = h('div');
  const ruleBox = h('pre', { id: 'rule' }, '');
  const fired = e.record && e.record.alert && typeof e.record.alert.rule === 'string' ? e.record.alert.rule : null;
  if (fired) ruleBox.textContent = fired + '\n\n(the rule as it fired: the alert record carries it)';
  else if (e.type === 'alert' && e.sid) api('/api/rule?sid=' + e.sid + '&gid=' + (e.gid || 1)).then(r => {
    ruleBox.textContent = r.rule ? r.rule + '\n\n(' + r.file + ', as it is now; outputs.eve.types.alert-rule puts the rule as it fired in the record)' : (e.gid === 7 ? 'vigil\'s own policy finding: no rule (docs/policy.md)' : 'The rule is not in the rule files vigil web knows (rule-files).');
  });
  const vm = e.src_vm || e.dest_vm;
  const dest = e.name || e.dest_ip;
  const acts = h('div', { class: 'bar' });
  if (e.type === 'alert' && e.sid) {
    if (vm) acts.append(h('button', { onclick: () => action({ action: 'suppress', gid: e.gid || 1, sid: e.sid, vm }, out) }, `Suppress ${e.gid || 1}:${e.sid} for ${vm}`));
    acts.append(h('button', { onclick: () => action({ action: 'suppress', gid: e.gid || 1, sid: e.sid }, out) }, 'Suppress for all'));
  }
  if (vm && dest) {
    acts.append(h('button', { onclick: () => action({ action: 'allow', vm, target: dest }, out) }, `Allow ${dest} for ${vm}`));
    acts.append(h('button', { onclick: () => action({ action: 'block', vm, target: dest }, out) }, `Block ${dest} for ${vm}`));
  }
  $main.replaceChildren(h('div', {},
    h('h2', {}, e.type === 'alert' ? e.signature : e.type + ' ' + (e.name || '')),
    h('div', { class: 'bar' }, 'Pivot:',
      vm ? h('a', { href: '#/vm/' + encodeURIComponent(vm) }, 'this VM') : null,
      e.name ? h('a', { href: '#/events?q=' + encodeURIComponent(e.name) }, 'this destination') : null,
      e.sid ? h('a', { href: '#/events?type=alert&sid=' + e.sid }, 'this signature') : null,
      e.flow_id ? h('a', { href: '#/events?flow_id=' + e.flow_id }, 'this flow') : null),
    acts, out,
    e.type === 'alert' ? [h('h2', {}, 'Rule'), ruleBox] : null,
    e.record && (e.record.payload_printable || e.record.payload) ? [h('h2', {}, 'Payload'),
      h('pre', { id: 'payload' }, e.record.payload_printable || e.record.payload)] : null,
    h('h2', {}, 'Record'), h('pre', { id: 'record' }, JSON.stringify(e.record, null, 2)),
    h('h2', {}, 'The same flow'),
    h('table', {}, h('tbody', {}, (r.flow || []).map(eventRow)))));
}

/* ---- VMs ---- */

async function vms() {
  const r = await api('/api/vms');
  const body = h('tbody');
  $main.replaceChildren(h('h2', {}, 'VMs with alerts'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'VM'), h('th', {}, 'alerts'), h('th', {}, 'last'))), body));
  for (const v of r.vms || []) body.append(h('tr', {}, h('td', {}, vmLink(v.vm)), h('td', { class: 'num' }, v.alerts), h('td', {}, when(v.last))));
}

async function vmPage(name, note) {
  const [r, pol] = await Promise.all([api('/api/vm?name=' + encodeURIComponent(name)), api('/api/policy?name=' + encodeURIComponent(name))]);
  const out = h('div', {}, note || '');
  const target = h('input', { placeholder: 'example.org, *.example.org or an address', size: 34, id: 'target' });
  const p = pol && pol.return === 'OK' ? pol.message.vm : null;
  $main.replaceChildren(
    h('h2', {}, 'VM ' + name),
    p ? h('div', { class: 'card', id: 'policy' },
      h('div', {}, h('b', {}, 'addresses '), p.addresses.join(', ') || '-', '   ', h('b', {}, 'policy '), p.policy),
      h('div', {}, h('b', {}, 'allow '), p.allow.join(', ') || '-'),
      h('div', {}, h('b', {}, 'deny '), p.deny.join(', ') || '-'),
      p.vpn.length ? h('div', {}, h('b', {}, 'VPN only: '), p.vpn.join(', ')) : null,
      p.suppressed.length ? h('div', {}, h('b', {}, 'suppressed '), p.suppressed.join(', ')) : null)
      : h('div', { class: 'muted' }, 'The sensor\'s control socket does not answer: its policy for this VM is not shown.'),
    h('div', { class: 'bar' }, target,
      h('button', { id: 'allow', onclick: () => action({ action: 'allow', vm: name, target: target.value }, out).then(m => vmPage(name, m)) }, 'Allow for ' + name),
      h('button', { id: 'block', onclick: () => action({ action: 'block', vm: name, target: target.value }, out).then(m => vmPage(name, m)) }, 'Block for ' + name)),
    out,
    h('h2', {}, 'Its alerts'),
    h('table', { id: 'vm-alerts' }, h('thead', {}, h('tr', {}, ['', 'alerts', 'signature', 'blocked', 'last seen', 'state'].map(x => h('th', {}, x)))),
      h('tbody', {}, (r.alerts || []).map(a => h('tr', {}, h('td', {}, sev(a.severity)), h('td', { class: 'num' }, a.count),
        h('td', {}, h('a', { href: '#/events?type=alert&sid=' + a.sid + '&vm=' + encodeURIComponent(name) }, a.signature)), h('td', { class: 'num' }, a.blocked), h('td', {}, when(a.last)), h('td', {}, a.state))))),
    h('h2', {}, 'Policy violations'),
    h('table', {}, h('tbody', {}, (r.violations || []).map(eventRow))),
    h('h2', {}, 'Where it went (names and addresses, first seen)'),
    h('table', { id: 'vm-dest' }, h('thead', {}, h('tr', {}, ['destination', 'first seen', 'last seen', 'records'].map(x => h('th', {}, x)))),
      h('tbody', {}, (r.destinations || []).map(d => h('tr', {}, h('td', {}, h('a', { href: '#/events?vm=' + encodeURIComponent(name) + '&q=' + encodeURIComponent(d.destination || '') }, d.destination)), h('td', {}, when(d.first_seen)), h('td', {}, when(d.last_seen)), h('td', { class: 'num' }, d.records))))),
    h('h2', {}, 'Its records'),
    h('div', { class: 'bar' }, (r.types || []).map(t => h('a', { href: '#/events?vm=' + encodeURIComponent(name) + '&type=' + t }, t))));
}

/* ---- live ---- */

let live = null;

function liveView() {
  let paused = false, last = 0, held = 0;
  const body = h('tbody');
  const state = h('span', { class: 'muted', id: 'live-state' }, 'connecting');
  const btn = h('button', { id: 'pause', onclick: () => {
    paused = !paused;
    btn.textContent = paused ? 'Resume' : 'Pause';
    if (paused) { live.close(); state.textContent = 'paused'; }
    else connect();
  } }, 'Pause');
  $main.replaceChildren(h('h2', {}, 'Live: alerts, drops and policy as they are stored'),
    h('div', { class: 'bar' }, btn, state),
    h('table', { id: 'live' }, h('thead', {}, h('tr', {}, ['time', 'type', 'source', 'destination', 'proto', 'app', ''].map(x => h('th', {}, x)))), body));
  function connect() {
    live = new EventSource('/api/live' + (last ? '?after=' + last : ''));
    live.onopen = () => { state.textContent = 'live'; };
    live.onerror = () => { state.textContent = 'reconnecting'; };
    live.onmessage = m => {
      const e = JSON.parse(m.data);
      last = e.id;
      const row = eventRow(e);
      row.classList.add('live-row');
      body.prepend(row);
      while (body.children.length > 200) body.lastChild.remove();
      held++;
    };
  }
  connect();
}

/* ---- routing ---- */

async function summary() {
  const s = await api('/api/summary');
  if (!s.error) document.getElementById('summary').textContent =
    `${s.new_alerts} new alerts in ${s.new_groups} groups · ${s.events} records · newest ${when(s.newest)}`;
}

async function route() {
  if (live) { live.close(); live = null; }
  const { path } = params();
  const top = path.split('/')[1];
  document.querySelectorAll('[data-nav]').forEach(a => a.classList.toggle('on', a.dataset.nav === top || (top === 'vm' && a.dataset.nav === 'vms')));
  summary();
  if (top === 'live') return liveView();
  if (top === 'events') return events();
  if (top === 'vms') return vms();
  if (top === 'vm') return vmPage(decodeURIComponent(path.split('/')[2] || ''));
  if (top === 'event') return eventPage(path.split('/')[2]);
  return inbox();
}

window.addEventListener('hashchange', route);
route();
