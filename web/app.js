// SPDX-License-Identifier: MIT
// NetScope dashboard. Reads the REST API once, then follows the live stream (server-sent
// events: summary and new time-series points every second, alerts as they happen) and polls
// the flow table and packet inspector. Everything from the capture (addresses, packet bytes,
// interface names, alert fields) goes into the page through textContent only: a packet that
// carries HTML or script shows up as text.
'use strict';

(function () {
	const WINDOW_S = 300;
	const POLL_MS = 2000;
	const params = new URLSearchParams(window.location.search);
	const token = params.get('token') || '';

	const state = {
		summary: null,
		series: { t: [], pps: [], bps: [] },
		chart: null,
		flows: [],
		flowSort: 'bytes',
		flowAsc: false,
		flowServerSort: 'bytes',
		packets: [],
		packetsSampled: -1,
		selected: null,
		alertIds: new Set(),
		connected: false,
		finished: false,
	};

	// ---- helpers ----

	function $(id) {
		return document.getElementById(id);
	}

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = String(text);
		return e;
	}

	function setText(id, text) {
		$(id).textContent = text === undefined || text === null ? '' : String(text);
	}

	function clear(node) {
		while (node.firstChild) node.removeChild(node.firstChild);
	}

	function apiUrl(path) {
		if (!token) return path;
		return path + (path.indexOf('?') >= 0 ? '&' : '?') + 'token=' + encodeURIComponent(token);
	}

	async function api(path) {
		const headers = token ? { Authorization: 'Bearer ' + token } : {};
		const res = await fetch(path, { headers: headers, cache: 'no-store' });
		if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
		return res.json();
	}

	const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

	function si(v, unit, base) {
		base = base || 1000;
		if (v === null || v === undefined || !isFinite(v)) return '-';
		let i = 0;
		let x = Math.abs(v);
		while (x >= base && i < SI.length - 1) {
			x /= base;
			i++;
		}
		const digits = i === 0 ? (Number.isInteger(v) ? 0 : 1) : x < 10 ? 2 : x < 100 ? 1 : 0;
		const sign = v < 0 ? '-' : '';
		return sign + x.toFixed(digits) + (unit || i ? ' ' : '') + SI[i] + (unit || '');
	}

	function fmtCount(v) {
		return v < 10000 ? String(v) : si(v, '');
	}

	function fmtBytes(v) {
		return si(v, 'B');
	}

	function fmtBits(v) {
		return si(v, 'bit/s');
	}

	function fmtPps(v) {
		return si(v, 'pkt/s');
	}

	function fmtUs(us) {
		if (us === null || us === undefined) return '-';
		if (us < 1000) return us + ' µs';
		if (us < 1000000) return (us / 1000).toFixed(us < 10000 ? 2 : 1) + ' ms';
		return (us / 1e6).toFixed(2) + ' s';
	}

	function fmtDuration(s) {
		if (s === null || s === undefined || !isFinite(s)) return '-';
		if (s < 1) return (s * 1000).toFixed(0) + ' ms';
		if (s < 60) return s.toFixed(1) + ' s';
		const m = Math.floor(s / 60);
		if (m < 60) return m + 'm ' + Math.floor(s % 60) + 's';
		return Math.floor(m / 60) + 'h ' + (m % 60) + 'm';
	}

	function timeOf(iso) {
		// "2026-11-26T15:46:02.123456Z" -> "15:46:02.123456"
		if (typeof iso !== 'string') return '-';
		const t = iso.indexOf('T');
		return t >= 0 ? iso.slice(t + 1).replace('Z', '') : iso;
	}

	// unix seconds -> "HH:MM:SS" (UTC)
	function hms(t) {
		return new Date(t * 1000).toISOString().slice(11, 19);
	}

	function endpoint(ip, port, proto) {
		const host = typeof ip === 'string' && ip.indexOf(':') >= 0 ? '[' + ip + ']' : String(ip);
		return port && proto !== 'icmp' && proto !== 'icmpv6' ? host + ':' + port : host;
	}

	// ---- connection state ----

	function setConn(ok, note) {
		state.connected = ok;
		const pill = $('state');
		if (!ok) {
			pill.className = 'pill pill-down';
			pill.textContent = 'disconnected';
		} else if (state.summary) {
			const st = state.summary.state;
			pill.className = 'pill ' + (st === 'finished' ? 'pill-finished' : 'pill-running');
			pill.textContent = st;
		}
		setText('conn-note', note || '');
	}

	// ---- summary ----

	function renderSummary(s) {
		state.summary = s;
		state.finished = s.state === 'finished';
		setConn(true, state.finished ? 'capture finished; showing its final state' : 'live');
		setText('version', s.version);
		setText('backend', s.backend || '-');
		setText('workers', s.workers);
		setText('uptime', fmtDuration(s.uptime_s));
		setText('capture-ts', s.ts ? s.ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
		const t = s.totals;
		setText('c-packets', fmtCount(t.packets));
		setText('c-packets-sub', 'IPv4 ' + fmtCount(t.protocols.ipv4) + ' · IPv6 ' +
			fmtCount(t.protocols.ipv6) + ' · TCP ' + fmtCount(t.protocols.tcp) + ' · UDP ' +
			fmtCount(t.protocols.udp));
		setText('c-bytes', fmtBytes(t.bytes));
		setText('c-bytes-sub', t.packets ? 'avg ' + Math.round(t.bytes / t.packets) + ' B/packet' : '');
		setText('c-pps', fmtPps(s.rates.pps));
		setText('c-pps-sub', 'average ' + fmtPps(s.rates.avg_pps));
		setText('c-bps', fmtBits(s.rates.bps));
		setText('c-bps-sub', 'average ' + fmtBits(s.rates.avg_bps));
		setText('c-flows', fmtCount(s.flows.active));
		setText('c-flows-sub', s.flows.capacity
			? 'of ' + fmtCount(s.flows.capacity) + ' (' + (s.flows.occupancy * 100).toFixed(1) + '%)'
			: '');
		setText('c-drops', fmtCount(s.drops.total));
		$('card-drops').classList.toggle('alarm', s.drops.total > 0);
		const list = $('c-drops-list');
		clear(list);
		for (const k of Object.keys(s.drops)) {
			if (k === 'total' || !s.drops[k]) continue;
			list.appendChild(el('li', null, k.replace(/_/g, ' ') + ': ' + fmtCount(s.drops[k])));
		}
		if (!list.firstChild) list.appendChild(el('li', null, 'none'));
		setText('c-problems', fmtCount(t.truncated + t.malformed));
		setText('c-problems-sub', 'truncated ' + fmtCount(t.truncated) + ' · malformed ' +
			fmtCount(t.malformed) + ' · not decoded ' + fmtCount(t.unsupported));
		setText('c-alerts', fmtCount(s.alerts));
	}

	async function loadInterfaces() {
		try {
			const r = await api('/api/interfaces');
			const names = r.interfaces.map(function (i) {
				return i.kind + ' ' + i.name + ' (' + i.linktype + ')';
			});
			setText('source', names.join(', ') || '-');
		} catch (e) {
			// shown again on the next summary
		}
	}

	// ---- chart ----

	function chartSize() {
		const w = $('chart').clientWidth || 800;
		return { width: Math.max(320, w), height: 260 };
	}

	function makeChart() {
		const opts = Object.assign(chartSize(), {
			cursor: { drag: { x: false, y: false } },
			scales: { x: { time: true }, pps: { auto: true }, bps: { auto: true } },
			series: [
				{ label: 'time (UTC)', value: function (u, v) { return v === null ? '-' : hms(v); } },
				{ label: 'packets/s', scale: 'pps', stroke: '#1f6feb', width: 1.5,
					fill: 'rgba(31,111,235,0.08)', value: function (u, v) { return v === null ? '-' : fmtPps(v); } },
				{ label: 'bits/s', scale: 'bps', stroke: '#d9480f', width: 1.5,
					value: function (u, v) { return v === null ? '-' : fmtBits(v); } },
			],
			axes: [
				// whole seconds only, labelled in UTC like every other time on the page
				{ space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
					values: function (u, vals) { return vals.map(hms); } },
				{ scale: 'pps', label: 'packets/s', size: 70,
					values: function (u, vals) { return vals.map(function (v) { return si(v, ''); }); } },
				{ scale: 'bps', label: 'bits/s', side: 1, size: 70, grid: { show: false },
					values: function (u, vals) { return vals.map(function (v) { return si(v, ''); }); } },
			],
		});
		state.chart = new uPlot(opts, [[], [], []], $('chart'));
		window.addEventListener('resize', function () {
			state.chart.setSize(chartSize());
		});
	}

	function mergeSeries(ts) {
		const s = state.series;
		const last = s.t.length ? s.t[s.t.length - 1] : -Infinity;
		for (let i = 0; i < ts.t.length; i++) {
			if (ts.t[i] <= last) continue;
			s.t.push(ts.t[i]);
			s.pps.push(ts.pps[i]);
			s.bps.push(ts.bps[i]);
		}
		// keep the last WINDOW_S seconds of capture time
		if (s.t.length) {
			const from = s.t[s.t.length - 1] - WINDOW_S;
			let cut = 0;
			while (cut < s.t.length && s.t[cut] <= from) cut++;
			if (cut) {
				s.t.splice(0, cut);
				s.pps.splice(0, cut);
				s.bps.splice(0, cut);
			}
		}
		if (state.chart) {
			state.chart.setData([s.t, s.pps, s.bps]);
			const c = $('chart');
			c.dataset.points = String(s.t.length);
			c.dataset.lastT = s.t.length ? String(s.t[s.t.length - 1]) : '';
		}
	}

	// ---- flows ----

	function flowRow(f) {
		const tcp = f.tcp || null;
		const rtt = tcp ? (tcp.rtt_handshake_us !== null && tcp.rtt_handshake_us !== undefined
			? tcp.rtt_handshake_us : tcp.rtt_avg_us) : null;
		const first = Date.parse(f.first_seen);
		const lastSeen = Date.parse(f.last_seen);
		return {
			raw: f,
			proto: f.proto,
			client: endpoint(f.src_ip, f.src_port, f.proto),
			server: endpoint(f.dst_ip, f.dst_port, f.proto),
			packets: f.pkts_toserver + f.pkts_toclient,
			bytes: f.bytes_toserver + f.bytes_toclient,
			rtt: rtt === undefined ? null : rtt,
			retrans: tcp ? tcp.retrans_toserver + tcp.retrans_toclient : null,
			state: tcp ? (tcp.conn_state || tcp.tcp_state) : (f.end_reason || ''),
			duration: isFinite(first) && isFinite(lastSeen) ? (lastSeen - first) / 1000 : null,
		};
	}

	function renderFlows() {
		const body = $('flows').tBodies[0];
		const key = state.flowSort;
		const rows = state.flows.map(flowRow);
		rows.sort(function (a, b) {
			let x = a[key];
			let y = b[key];
			if (x === null || x === undefined) x = state.flowAsc ? Infinity : -Infinity;
			if (y === null || y === undefined) y = state.flowAsc ? Infinity : -Infinity;
			const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
			return state.flowAsc ? c : -c;
		});
		clear(body);
		for (const r of rows) {
			const tr = el('tr');
			tr.appendChild(el('td', null, r.proto));
			tr.appendChild(el('td', 'addr', r.client));
			tr.appendChild(el('td', 'addr', r.server));
			tr.appendChild(el('td', 'num', fmtCount(r.packets)));
			tr.appendChild(el('td', 'num', fmtBytes(r.bytes)));
			tr.appendChild(el('td', 'num', r.rtt === null ? '-' : fmtUs(r.rtt)));
			tr.appendChild(el('td', 'num' + (r.retrans ? ' warnnum' : ''),
				r.retrans === null ? '-' : fmtCount(r.retrans)));
			tr.appendChild(el('td', null, r.state));
			tr.appendChild(el('td', 'num', fmtDuration(r.duration)));
			tr.title = 'flow ' + r.raw.flow_id;
			body.appendChild(tr);
		}
		$('flows-empty').classList.toggle('hidden', rows.length > 0);
		for (const th of $('flows').tHead.rows[0].cells) {
			th.classList.toggle('sorted', th.dataset.key === key);
			th.classList.toggle('asc', th.dataset.key === key && state.flowAsc);
		}
	}

	async function loadFlows() {
		const r = await api('/api/flows?top=50&sort=' + encodeURIComponent(state.flowServerSort));
		state.flows = r.flows;
		setText('flows-note', r.flows.length + ' of ' + fmtCount(r.active) + ' active, ranked by ' + r.sort);
		renderFlows();
	}

	function onFlowHeader(ev) {
		const th = ev.target.closest('th');
		if (!th) return;
		const key = th.dataset.key;
		if (key === state.flowSort) {
			state.flowAsc = !state.flowAsc;
		} else {
			state.flowSort = key;
			state.flowAsc = key === 'proto' || key === 'client' || key === 'server' || key === 'state';
		}
		if (th.dataset.server && th.dataset.server !== state.flowServerSort) {
			state.flowServerSort = th.dataset.server;
			loadFlows().catch(function () { setConn(false, 'flows unavailable'); });
		} else {
			renderFlows();
		}
	}

	// ---- alerts ----

	// Alerts come as the alert export writes them (EVE-like: timestamp, alert.signature,
	// alert.state, severity, src_ip, dst_ip, dst_port, details{...}); other objects are shown
	// by their plain keys.
	function alertItem(entry, fresh) {
		const a = entry.alert || {};
		const inner = a.alert && typeof a.alert === 'object' ? a.alert : a;
		const sev = String(a.severity || inner.severity || '').toLowerCase();
		const li = el('li', 'sev-' + sev.replace(/[^a-z]/g, '') + (fresh ? ' fresh' : ''));
		li.dataset.id = String(entry.id);
		const head = el('div', 'a-head');
		head.appendChild(el('span', 'a-time', timeOf(a.timestamp || a.ts || a.time)));
		const kind = [inner.signature || inner.type || 'alert', inner.state, sev]
			.filter(Boolean).join(' · ');
		head.appendChild(el('span', null, kind));
		li.appendChild(head);
		const who = [];
		if (a.src_ip) who.push('from ' + a.src_ip);
		if (a.dst_ip) who.push('to ' + endpoint(a.dst_ip, a.dst_port, a.proto));
		else if (a.dst_port) who.push('port ' + a.dst_port);
		if (inner.key) who.push('(' + inner.key + ')');
		const msg = a.message || a.text || a.description;
		if (who.length || msg) li.appendChild(el('div', 'a-body', msg || who.join(' ')));
		const parts = [];
		const details = a.details && typeof a.details === 'object' ? a.details : a;
		const skip = ['timestamp', 'ts', 'time', 'event_type', 'signature', 'type', 'state',
			'severity', 'src_ip', 'dst_ip', 'dst_port', 'proto', 'message', 'text', 'description'];
		for (const k of Object.keys(details)) {
			const v = details[k];
			if (skip.indexOf(k) >= 0 || v === null || typeof v === 'object') continue;
			parts.push(k + '=' + v);
			if (parts.length >= 8) break;
		}
		if (parts.length) {
			const body = el('div', 'a-body');
			body.appendChild(el('code', null, parts.join('  ')));
			li.appendChild(body);
		}
		return li;
	}

	function addAlert(entry, fresh) {
		if (state.alertIds.has(entry.id)) return;
		state.alertIds.add(entry.id);
		const list = $('alerts');
		const li = alertItem(entry, fresh);
		// newest first: insert before the first item with a smaller id
		let before = null;
		for (const c of list.children) {
			if (Number(c.dataset.id) < entry.id) {
				before = c;
				break;
			}
		}
		list.insertBefore(li, before);
		while (list.children.length > 200) list.removeChild(list.lastChild);
		$('alerts-empty').classList.toggle('hidden', list.children.length > 0);
		setText('alerts-note', state.alertIds.size + ' shown, newest first');
	}

	async function loadAlerts() {
		const r = await api('/api/alerts?limit=100');
		for (let i = r.alerts.length - 1; i >= 0; i--) addAlert(r.alerts[i], false);
	}

	// ---- packets ----

	function renderPacketList() {
		const body = $('packets').tBodies[0];
		clear(body);
		for (const p of state.packets) {
			const tr = el('tr');
			tr.dataset.id = String(p.id);
			if (state.selected === p.id) tr.className = 'selected';
			tr.appendChild(el('td', 'num', p.id));
			tr.appendChild(el('td', null, timeOf(p.ts)));
			tr.appendChild(el('td', 'num', p.wirelen));
			tr.appendChild(el('td', 'sum', p.summary));
			body.appendChild(tr);
		}
		$('packets-empty').classList.toggle('hidden', state.packets.length > 0);
	}

	function hexdump(hex) {
		const pre = $('hexdump');
		clear(pre);
		const n = hex.length / 2;
		const bytes = new Uint8Array(n);
		for (let i = 0; i < n; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
		for (let off = 0; off < n; off += 16) {
			const line = el('div', 'hexline');
			line.appendChild(el('span', 'off', off.toString(16).padStart(4, '0') + '  '));
			let ascii = '';
			for (let i = 0; i < 16; i++) {
				const j = off + i;
				if (j < n) {
					const b = el('span', 'b', bytes[j].toString(16).padStart(2, '0'));
					b.dataset.i = String(j);
					line.appendChild(b);
					ascii += bytes[j] >= 0x20 && bytes[j] < 0x7f ? String.fromCharCode(bytes[j]) : '.';
				} else {
					line.appendChild(document.createTextNode('  '));
				}
				line.appendChild(document.createTextNode(i === 7 ? '  ' : ' '));
			}
			line.appendChild(document.createTextNode(' '));
			for (let i = 0; i < ascii.length; i++) {
				const c = el('span', 'c', ascii[i]);
				c.dataset.i = String(off + i);
				line.appendChild(c);
			}
			pre.appendChild(line);
		}
		pre.dataset.bytes = String(n);
	}

	function highlight(off, len) {
		for (const s of $('hexdump').querySelectorAll('.hl')) s.classList.remove('hl');
		for (const s of $('hexdump').querySelectorAll('span[data-i]')) {
			const i = Number(s.dataset.i);
			if (i >= off && i < off + len) s.classList.add('hl');
		}
	}

	function showPacket(p) {
		state.selected = p.id;
		for (const tr of $('packets').tBodies[0].rows)
			tr.classList.toggle('selected', tr.dataset.id === String(p.id));
		$('pkt-hint').classList.add('hidden');
		const head = $('pkt-head');
		clear(head);
		head.appendChild(el('div', null, p.summary));
		const meta = el('div', p.verdict !== 'ok' ? 'verdict-bad' : null,
			p.ts + ' · ' + p.linktype + ' · captured ' + p.caplen + ' of ' + p.wirelen +
			' bytes (' + p.stored + ' kept) · ' + p.verdict + (p.reason ? ': ' + p.reason : ''));
		head.appendChild(meta);
		const layers = $('pkt-layers');
		clear(layers);
		for (const l of p.layers) {
			const d = el('div', 'layer');
			d.appendChild(el('span', 'l-name', l.name));
			d.appendChild(el('span', 'l-range', 'bytes ' + l.offset + '–' + (l.offset + l.length - 1) +
				' (' + l.length + ')'));
			const keys = Object.keys(l.fields);
			if (keys.length) {
				const dl = el('dl');
				for (const k of keys) {
					dl.appendChild(el('dt', null, k.replace(/_/g, ' ')));
					dl.appendChild(el('dd', null, l.fields[k]));
				}
				d.appendChild(dl);
			}
			d.addEventListener('click', function () {
				for (const x of layers.querySelectorAll('.layer.active')) x.classList.remove('active');
				d.classList.add('active');
				highlight(l.offset, l.length);
			});
			layers.appendChild(d);
		}
		hexdump(p.hex);
	}

	function onPacketClick(ev) {
		const tr = ev.target.closest('tr');
		if (!tr || !tr.dataset.id) return;
		const id = Number(tr.dataset.id);
		const p = state.packets.find(function (x) { return x.id === id; });
		if (p) showPacket(p);
	}

	async function loadPackets() {
		const r = await api('/api/packets?limit=100');
		if (r.sampled === state.packetsSampled) return;
		state.packetsSampled = r.sampled;
		state.packets = r.packets;
		renderPacketList();
	}

	// ---- live stream and polling ----

	function startStream() {
		const es = new EventSource(apiUrl('/api/stream'));
		es.addEventListener('live', function (ev) {
			const d = JSON.parse(ev.data);
			renderSummary(d.summary);
			mergeSeries(d.timeseries);
		});
		es.addEventListener('alert', function (ev) {
			addAlert(JSON.parse(ev.data), true);
		});
		es.onerror = function () {
			setConn(false, 'live stream lost; reconnecting');
		};
	}

	async function poll() {
		try {
			await loadFlows();
			await loadPackets();
		} catch (e) {
			setConn(false, String(e.message || e));
		}
		// a finished capture does not change any more: poll slowly
		setTimeout(poll, state.finished ? POLL_MS * 5 : POLL_MS);
	}

	async function start() {
		$('flows').tHead.addEventListener('click', onFlowHeader);
		$('packets').tBodies[0].addEventListener('click', onPacketClick);
		if (token) $('metrics-link').href = apiUrl('/metrics');
		makeChart();
		try {
			renderSummary(await api('/api/summary'));
			mergeSeries(await api('/api/timeseries?seconds=' + WINDOW_S));
			await loadAlerts();
		} catch (e) {
			setConn(false, String(e.message || e));
		}
		loadInterfaces();
		startStream();
		poll();
	}

	start();
})();
