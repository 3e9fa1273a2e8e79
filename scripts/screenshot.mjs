#!/usr/bin/env node
// Renders a run record's HTML report in headless Chromium and saves a PNG, to check the report as a
// browser shows it (no network, JavaScript off is not needed: the report has none).
//   npm run screenshot -- RECORD.json|REPORT.html [OUT.png]      (SCREENSHOT_HEIGHT=3000 for a taller window)
// Without an argument it renders test/fixtures/run-record.json. Needs Debian's `chromium`
// (or CHROMIUM=/path/to/chrome); exits 3 with a clear message when it is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function findChromium() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].filter(Boolean);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (r.status === 0) return c;
  }
  return null;
}

/** Screenshots an HTML file to a PNG; returns chromium's stderr for the caller to inspect. */
export function screenshot(chromium, htmlPath, pngPath, { width = 1280, height = 2000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'evbench-chromium-'));
  try {
    const r = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${pngPath}`,
        `--window-size=${width},${height}`,
        pathToFileURL(htmlPath).href,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (r.error) throw r.error;
    if (!existsSync(pngPath) || statSync(pngPath).size === 0)
      throw new Error(`chromium wrote no screenshot (exit ${r.status}): ${r.stderr}`);
    return r.stderr;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const input = resolve(process.argv[2] ?? join(root, 'test/fixtures/run-record.json'));
  const chromium = findChromium();
  if (!chromium) {
    process.stderr.write('screenshot: chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/chrome)\n');
    process.exit(3);
  }
  let html = input;
  let tmp;
  if (input.endsWith('.json')) {
    const { asRunRecord } = await import(pathToFileURL(join(root, 'dist/records/load.js')).href);
    const { renderHtml } = await import(pathToFileURL(join(root, 'dist/reports/html.js')).href);
    const record = asRunRecord(JSON.parse(readFileSync(input, 'utf8')), input);
    tmp = mkdtempSync(join(tmpdir(), 'evbench-html-'));
    html = join(tmp, `${basename(input, '.json')}.html`);
    writeFileSync(html, renderHtml(record));
  }
  const png = resolve(process.argv[3] ?? join(root, 'reports', `${basename(html, '.html')}.png`));
  execFileSync('mkdir', ['-p', dirname(png)]);
  try {
    screenshot(chromium, html, png, { height: Number(process.env.SCREENSHOT_HEIGHT) || 2000 });
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  process.stderr.write(`screenshot: ${png}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`screenshot: ${err.message}\n`);
    process.exit(1);
  });
}
