// SPDX-License-Identifier: MIT
// The dashboard in Debian's headless Chromium, driven by playwright-core (test_browser.py starts
// the netscope processes and passes their URLs):
//   LIVE_URL  a capture that keeps running: the chart must update, the flow table fill, a
//             clicked packet show its layers and hex; a screenshot is saved.
//   XSS_URL   a finished capture whose packets and file name carry markup and script: all of
//             it must show as text, and none of it may run.
// Prints "browser: N passed, N failed" and exits non-zero on any failure.
import { chromium } from 'playwright-core';

const env = process.env;
let passed = 0;
let failed = 0;

function check(cond, what) {
	if (cond) {
		passed++;
	} else {
		failed++;
		console.log('FAIL: ' + what);
	}
	return cond;
}

async function newPage(browser, problems) {
	const page = await browser.newPage();
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error') problems.push('console error: ' + m.text());
	});
	page.on('dialog', async (d) => {
		problems.push('dialog opened: ' + d.message());
		await d.dismiss();
	});
	return page;
}

async function waitFor(page, fn, arg, what, timeout = 20000) {
	try {
		await page.waitForFunction(fn, arg, { timeout: timeout, polling: 100 });
		return check(true, what);
	} catch (e) {
		return check(false, what + ' (timed out)');
	}
}

// The ASCII column of the hex dump as one string.
function asciiOf() {
	return Array.from(document.querySelectorAll('#hexdump .c')).map((s) => s.textContent).join('');
}

// Nothing from the capture turned into live markup or ran.
async function noInjection(page, what) {
	const r = await page.evaluate(() => ({
		xss: window.__xss,
		handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,
		imgs: document.querySelectorAll('img').length,
		svgs: document.querySelectorAll('body svg').length,
		scripts: Array.from(document.scripts).map((s) => s.getAttribute('src')),
	}));
	check(r.xss === undefined, what + ': no injected script ran (window.__xss=' + r.xss + ')');
	check(r.handlers === 0, what + ': no event-handler attributes in the DOM');
	check(r.imgs === 0 && r.svgs === 0, what + ': no injected <img> or <svg>');
	check(JSON.stringify(r.scripts) === JSON.stringify(['/vendor/uplot/uPlot.iife.min.js', '/app.js']),
		what + ': only the page\'s own scripts: ' + JSON.stringify(r.scripts));
}

async function live(browser) {
	const problems = [];
	const page = await newPage(browser, problems);
	await page.goto(env.LIVE_URL);
	await waitFor(page, () => document.getElementById('state').textContent === 'running',
		null, 'live: status shows running');
	// the chart gets points and then moves on with the capture
	await waitFor(page, () => Number(document.getElementById('chart').dataset.points) >= 2, null,
		'live: chart has points');
	const t0 = await page.evaluate(() => Number(document.getElementById('chart').dataset.lastT));
	await waitFor(page, (t) => Number(document.getElementById('chart').dataset.lastT) > t, t0,
		'live: chart updates (newest point moves past ' + t0 + ')');
	check(await page.locator('#chart canvas').count() > 0, 'live: uPlot drew on a canvas');
	check(Number((await page.textContent('#c-packets')).replace(/[^0-9.]/g, '')) > 0,
		'live: packet counter above zero');
	// flows: filled, human units, RTT and retransmissions shown
	await waitFor(page, () => document.querySelectorAll('#flows tbody tr').length >= 8, null,
		'live: flows table filled');
	// the table follows the live snapshots: on a loaded machine the flow with the
	// retransmission may join the top rows a second or two after the first eight
	await waitFor(page, () => Array.from(document.querySelectorAll('#flows tbody tr')).some((tr) =>
		tr.cells[6].textContent !== '-' && Number(tr.cells[6].textContent) > 0), null,
		'live: some flow shows retransmissions');
	const rows = await page.$$eval('#flows tbody tr', (trs) =>
		trs.map((tr) => Array.from(tr.cells).map((td) => td.textContent)));
	check(rows.some((r) => /ms|µs/.test(r[5])), 'live: some flow shows an RTT');
	check(rows.some((r) => /^\[[0-9a-f:]+\]:\d+$/.test(r[1])), 'live: IPv6 endpoints bracketed');
	check(rows.every((r) => /B$/.test(r[4])), 'live: bytes in human units');
	// sort by packets (a server-side order), then flip it
	await page.click('#flows th[data-key="packets"]');
	await waitFor(page, () => {
		const th = document.querySelector('#flows th[data-key="packets"]');
		return th.classList.contains('sorted');
	}, null, 'live: sorted by packets');
	// layout: the long IPv6 addresses stay inside the panel
	const overflow = await page.evaluate(() => {
		const panel = document.querySelector('.flows-panel');
		const wrap = panel.querySelector('.table-wrap');
		return wrap.scrollWidth - wrap.clientWidth;
	});
	check(overflow <= 2, 'live: no horizontal overflow in the flows table (' + overflow + ' px)');
	const pageOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	check(pageOverflow <= 0, 'live: page does not scroll sideways (' + pageOverflow + ' px)');
	// inspector: click a packet, see layers and hex, highlight a layer
	await waitFor(page, () => document.querySelectorAll('#packets tbody tr').length > 5, null,
		'live: packets listed');
	await page.click('#packets tbody tr:nth-child(3)');
	await waitFor(page, () => document.querySelectorAll('#hexdump .hexline').length > 0, null,
		'live: hex dump shown for the clicked packet');
	const hex = await page.textContent('#hexdump');
	check(/^0000 /.test(hex), 'live: hex dump starts at offset 0000');
	check(await page.locator('#pkt-layers .layer').count() >= 2, 'live: layers listed');
	await page.click('#pkt-layers .layer:nth-child(2)');
	check(await page.locator('#hexdump .b.hl').count() > 0, 'live: clicking a layer highlights its bytes');
	// the SYN flood in the stream shows up in the alerts panel without a reload
	if (env.EXPECT_ALERTS) {
		await waitFor(page, () => Array.from(document.querySelectorAll('#alerts li'))
			.some((li) => li.textContent.includes('syn_flood')), null,
		'live: SYN-flood alert appears in the alerts panel', 30000);
	}
	await page.waitForTimeout(1500);
	await page.screenshot({ path: env.SCREENSHOT, fullPage: true });
	await noInjection(page, 'live');
	check(problems.length === 0, 'live: no script errors: ' + problems.join('; '));
	await page.close();
}

async function xss(browser) {
	const problems = [];
	const page = await newPage(browser, problems);
	await page.goto(env.XSS_URL);
	await waitFor(page, () => document.getElementById('state').textContent === 'finished', null,
		'xss: status shows finished');
	await waitFor(page, (want) => document.getElementById('source').textContent.includes(want),
		env.XSS_NAME, 'xss: the file name with markup shows as text');
	await waitFor(page, () => document.querySelectorAll('#packets tbody tr').length > 0, null,
		'xss: packets listed');
	// every packet, one after the other: collect what the ASCII column shows
	const n = await page.locator('#packets tbody tr').count();
	let seen = '';
	for (let i = 1; i <= n; i++) {
		await page.click('#packets tbody tr:nth-child(' + i + ')');
		await page.waitForFunction(() => document.querySelectorAll('#hexdump .hexline').length > 0);
		seen += '\n' + (await page.evaluate(asciiOf));
	}
	check(seen.includes('<script>window.__xss=1</script>'), 'xss: HTTP request line shown as text');
	check(seen.includes('<img src=x onerror="window.__xss=2">'), 'xss: HTTP header shown as text');
	check(seen.includes('<script>window.__xss=4</script>'), 'xss: DNS name shown as text');
	await waitFor(page, () => document.querySelectorAll('#flows tbody tr').length > 0, null,
		'xss: flows listed');
	await noInjection(page, 'xss');
	check(problems.length === 0, 'xss: no script errors or dialogs: ' + problems.join('; '));
	await page.close();
}

// A fresh profile directory per run (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(env.CHROME_PROFILE, {
	executablePath: env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	viewport: { width: 1440, height: 1000 },
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	await live(browser);
	await xss(browser);
} catch (e) {
	check(false, 'browser run: ' + (e.stack || e));
} finally {
	await browser.close();
}
console.log('browser: ' + passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
