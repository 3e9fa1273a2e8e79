#!/usr/bin/env node
// @ts-check
// Screenshots of what evbench shows in a browser, taken in Debian's headless Chromium driven by
// playwright-core (no browser download: it runs the installed chromium).
//   npm run screenshot                 runs the demo with --dashboard: docs/img/dashboard.png during the
//                                      legacy run's stress phase, docs/img/report.png of its HTML report
//   npm run screenshot -- RECORD.json|REPORT.html [OUT.png]     one report (SCREENSHOT_HEIGHT=3000 for more)
// Needs chromium (apt-get install chromium, or CHROMIUM=/path/to/chrome); exits 3 when it is missing.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Chromium to drive: $CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH; null when none. */
export function findChromium() {
  const candidates = process.env.CHROMIUM
    ? [process.env.CHROMIUM]
    : ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].flatMap((name) =>
        (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)),
      );
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Headless Chromium under playwright-core; the caller closes it. */
export async function launchChromium(executablePath) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    // no sandbox: CI containers run as root; no GPU: nothing to draw with
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
    timeout: 60_000,
  });
}

/** An HTML file for a record (rendered by the built dist/) or the HTML file itself; `cleanup` removes what was made. */
export async function reportFile(input) {
  if (!input.endsWith('.json')) return { html: input, cleanup: () => {} };
  const { asRunRecord } = await import(pathToFileURL(join(root, 'dist/record/loadRecord.js')).href);
  const { renderHtml } = await import(pathToFileURL(join(root, 'dist/reports/html.js')).href);
  const record = asRunRecord(JSON.parse(readFileSync(input, 'utf8')), input);
  const tmp = mkdtempSync(join(tmpdir(), 'evbench-html-'));
  const html = join(tmp, `${basename(input, '.json')}.html`);
  writeFileSync(html, renderHtml(record));
  return { html, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Screenshots an HTML report: the top `height` pixels of the page at 1280 wide. */
export async function screenshotReport(browser, htmlPath, pngPath, { height = 2000 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  try {
    await page.goto(pathToFileURL(htmlPath).href);
    mkdirSync(dirname(pngPath), { recursive: true });
    await page.screenshot({ path: pngPath });
  } finally {
    await page.close();
  }
}

/** Polls `check` every 250 ms until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts `evbench ARGS… --dashboard` and resolves with the child and the dashboard's URL. */
export async function startWithDashboard(args) {
  const child = spawn(process.execPath, [join(root, 'bin/evbench'), ...args, '--dashboard'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  const url = await until(
    'the dashboard URL on stderr',
    () => {
      if (child.exitCode !== null) throw new Error(`evbench exited (${child.exitCode}) before its dashboard started:\n${stderr}`);
      return /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1];
    },
    30_000,
  );
  return { child, url, stderr: () => stderr };
}

/** The dashboard's figures for one group of one run, as the page shows them (data-value in µs, counts). */
export async function groupFigures(page, run, group) {
  return page.evaluate(
    ([run, group]) => {
      const row = globalThis.document.querySelector(`section[data-run="${run}"] tr[data-group="${group}"]`);
      if (!row) return null;
      const out = {};
      for (const td of row.querySelectorAll('td[data-metric]')) {
        const v = td.getAttribute('data-value');
        out[td.getAttribute('data-metric')] = v === '' || v === null ? null : Number(v);
      }
      out.phase = row.querySelector('td[data-metric="phase-p99"]').textContent.match(/\((\w+)\)$/)?.[1] ?? null;
      return out;
    },
    [run, group],
  );
}

async function main() {
  const chromium = findChromium();
  if (!chromium) {
    process.stderr.write('screenshot: chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/chrome)\n');
    process.exit(3);
  }
  const browser = await launchChromium(chromium);
  try {
    if (process.argv[2]) {
      const input = resolve(process.argv[2]);
      const { html, cleanup } = await reportFile(input);
      const png = resolve(process.argv[3] ?? join(root, 'reports', `${basename(html, '.html')}.png`));
      try {
        await screenshotReport(browser, html, png, { height: Number(process.env.SCREENSHOT_HEIGHT) || 2000 });
      } finally {
        cleanup();
      }
      process.stderr.write(`screenshot: ${png}\n`);
      return;
    }
    await demoScreenshots(browser);
  } finally {
    await browser.close();
  }
}

/** The demo with its dashboard: the legacy run's stress phase a few seconds in, then its HTML report. */
async function demoScreenshots(browser) {
  const out = mkdtempSync(join(tmpdir(), 'evbench-screenshot-'));
  const img = join(root, 'docs/img');
  mkdirSync(img, { recursive: true });
  const demo = await startWithDashboard(['demo', '--out', out, '--report', 'html', '--dashboard-linger', '0']);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    await page.goto(demo.url);
    // the fast clients' stress p99 has climbed for 5 seconds: the picture the dashboard exists for
    await until(
      'the legacy run 5 s into stress',
      async () => {
        const f = await groupFigures(page, 'legacy', 'fast');
        return f && f.phase === 'stress' && f['phase-p99'] > 5e6;
      },
      120_000,
    );
    await page.screenshot({ path: join(img, 'dashboard.png') });
    process.stderr.write(`screenshot: ${join(img, 'dashboard.png')}\n`);
    await page.close();
    const report = join(out, 'slow-client.legacy.html');
    await until(
      'the legacy run HTML report',
      () => {
        try {
          accessSync(report);
          return true;
        } catch {
          return false;
        }
      },
      120_000,
    );
    // tall enough for the verdict, the tables and the over-time charts after them
    await screenshotReport(browser, report, join(img, 'report.png'), { height: 2300 });
    process.stderr.write(`screenshot: ${join(img, 'report.png')}\n`);
  } finally {
    demo.child.kill('SIGINT'); // the isolated run is not needed: stop it (it writes its partial record and exits)
    await new Promise((r) => (demo.child.exitCode !== null ? r() : demo.child.once('exit', r)));
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`screenshot: ${err.message}\n`);
    process.exit(1);
  });
}
