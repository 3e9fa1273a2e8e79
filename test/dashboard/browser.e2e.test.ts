// The live dashboard in a real browser (Debian's headless Chromium, driven by playwright-core): during
// the legacy demo's stress phase the fast clients' p99 climbs on the page and the verdict appears
// before the run ends; once it ends, the page's numbers are the run record's. And after the runs the
// process keeps serving the final records for --dashboard-linger, then exits by itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import { killAll, startCli } from '../support/cli.js';
// @ts-expect-error: a plain .mjs script, shared with `npm run screenshot`
import { findChromium, groupFigures, launchChromium, until } from '../../scripts/screenshot.mjs';
import { tempDir } from '../support/tempDir.js';

const chromium: string | null = findChromium();
if (!chromium) console.warn('\n*** SKIPPING the dashboard browser test: chromium is not installed (apt-get install chromium) ***\n');

const tmp = tempDir('dashboard');
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  killAll();
});

const dashboardUrl = (stderr: string): string => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;

interface Sample {
  phase: string | null;
  phaseP99: number | null;
  verdict: string | null;
  final: boolean;
  /** The fast group's oldest owed event as the live chart drew it: [s, ms]. */
  owed: [number, number][] | null;
}

describe('evbench demo --dashboard', () => {
  it.skipIf(!chromium)(
    "shows the legacy run's fast p99 climbing in stress and its verdict forming, then the record's numbers",
    async () => {
      const demo = startCli(['demo', '--duration', '20s', '--out', tmp, '--dashboard', '--dashboard-linger', '0'], 150_000);
      let stderr = '';
      demo.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await demo.waitForStderr('dashboard: http://127.0.0.1:');
      const url = dashboardUrl(stderr);
      browser = (await launchChromium(chromium)) as Browser;
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const foreign: string[] = [];
      page.on('request', (r) => void (r.url().startsWith(url) ? undefined : foreign.push(r.url())));
      await page.goto(url);

      // watch the legacy run until its final record is on the page, every 250 ms, at most 2 minutes
      const samples: Sample[] = [];
      await until(
        "the legacy run's final record on the page",
        async () => {
          const f = (await groupFigures(page, 'legacy', 'fast')) as Record<string, number | string | null> | null;
          const verdict = page.locator('section[data-run="legacy"] .verdict');
          const s: Sample = {
            phase: (f?.phase as string | null) ?? null,
            phaseP99: (f?.['phase-p99'] as number | null) ?? null,
            verdict: (await verdict.count()) ? await verdict.getAttribute('data-verdict') : null,
            final: (await verdict.count()) ? (await verdict.getAttribute('data-final')) === 'true' : false,
            owed: await page
              .locator('section[data-run="legacy"] [data-chart="latency-fast"] path[data-series="oldest-owed"]')
              .evaluateAll((ps) =>
                ps[0]
                  ? ps[0]
                      .getAttribute('data-points')!
                      .split(' ')
                      .map((xy) => xy.split(',').map(Number) as [number, number])
                  : null,
              ),
          };
          samples.push(s);
          return s.final;
        },
        120_000,
      );
      const live = samples.filter((s) => !s.final);
      const inStress = live.filter((s) => s.phase === 'stress' && s.phaseP99 !== null).map((s) => s.phaseP99!);
      const baseline = live.filter((s) => s.phase === 'baseline' && s.phaseP99 !== null).map((s) => s.phaseP99!);
      expect(baseline.length, JSON.stringify(samples)).toBeGreaterThan(0);
      // the climb: a stalled server holds every fast client's events, so their age grows second by second
      const distinct = [...new Set(inStress)];
      expect(distinct.length, JSON.stringify(samples)).toBeGreaterThanOrEqual(3);
      expect(Math.max(...inStress)).toBeGreaterThanOrEqual(1_000_000);
      expect(Math.max(...inStress)).toBeGreaterThan(3 * Math.max(...baseline));
      expect(inStress[inStress.length - 1]!).toBeGreaterThan(inStress[0]!);
      // the verdict formed while the run was still going (evidence so far: it may say none for the
      // first second of stress), and was hol or not a result by the end of it
      const formed = live.filter((s) => s.verdict !== 'forming' && s.verdict !== null).map((s) => s.verdict!);
      expect(formed.length, JSON.stringify(samples)).toBeGreaterThan(0);
      expect(['hol', 'invalid'], JSON.stringify(samples)).toContain(formed[formed.length - 1]);
      // (before stress it says "forming", or invalid when the generator is already strained in baseline)
      for (const s of live) if (s.phase !== 'stress' && s.verdict !== null) expect(['forming', 'invalid']).toContain(s.verdict);

      // the final record on the page is the one written to disk
      const record = JSON.parse(readFileSync(join(tmp, 'slow-client.legacy.json'), 'utf8')) as RunRecord;
      const verdict = await page.locator('section[data-run="legacy"] .verdict').getAttribute('data-verdict');
      expect(verdict).toBe(record.hol.verdict);
      expect(record.hol.verdict, record.hol.summary).not.toBe('none');
      if (record.hol.verdict === 'invalid') {
        console.warn(`legacy demo run not a result: ${record.hol.summary}`);
        expect(record.hol.summary).toMatch(/^NOT A RESULT: \S/);
      } else expect(record.hol.verdict).toBe('hol');
      expect(await page.locator('section[data-run="legacy"] .verdict').innerText()).toContain(record.hol.summary);
      for (const g of record.groups) {
        const f = (await groupFigures(page, 'legacy', g.name)) as Record<string, number | null>;
        const phases = Object.values(g.phases);
        expect(f.missing, g.name).toBe(phases.reduce((a, p) => a + p.missing, 0));
        expect(f.stall, g.name).toBe(Math.max(0, ...phases.map((p) => p.maxStallUs)));
        expect(f['phase-p99'], g.name).toBe(g.phases.stress!.latencyUs.p99);
        expect(f['closed-slow'], g.name).toBe(g.clientResults.filter((c) => c.closedByServer === 4008).length);
      }
      // every group's latency and oldest owed event over time, and delivery: the report's chart module, drawn
      const charts = page.locator('section[data-run="legacy"] svg.chart');
      expect(await charts.count()).toBe(record.groups.length + 1);
      // the live chart's oldest owed event climbed in stress: seconds, several times the baseline's
      const owed = (last: Sample['owed']) => (from: number, to: number) =>
        (last ?? []).filter(([x, y]) => x > from && x <= to && Number.isFinite(y)).map(([, y]) => y);
      const lastLive = live.filter((s) => s.phase === 'stress' && s.owed).at(-1)!.owed;
      const stress = record.phases.find((p) => p.role === 'stress')!;
      const base = record.phases.find((p) => p.role === 'baseline')!;
      const inStressOwed = owed(lastLive)(stress.startUs / 1e6, 1e9);
      const inBaselineOwed = owed(lastLive)(base.startUs / 1e6, (base.startUs + base.durationUs) / 1e6);
      expect(Math.max(...inStressOwed), JSON.stringify(lastLive)).toBeGreaterThanOrEqual(1_000);
      expect(Math.max(...inStressOwed)).toBeGreaterThan(3 * Math.max(...inBaselineOwed));
      const box = await charts.first().boundingBox();
      expect(box!.width * box!.height).toBeGreaterThan(100 * 100);
      expect(foreign).toEqual([]);

      // the isolated run is not this test's business: Ctrl-C stops it, and the process exits
      demo.child.kill('SIGINT');
      const r = await demo.done;
      expect(r.code, r.stderr).toBe(130);
    },
    180_000,
  );

  it('keeps serving the final record for --dashboard-linger, then exits by itself', async () => {
    const run = startCli(['run', 'slow-client', '--duration', '4s', '--out', tmp, '--dashboard', '--dashboard-linger', '3s'], 60_000);
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await run.waitForStderr('dashboard: serving the final records');
    const view = (await (await fetch(`${dashboardUrl(stderr)}view.json`)).json()) as { done: boolean; runs: { final: boolean }[] };
    expect(view.done).toBe(true);
    expect(view.runs.map((x) => x.final)).toEqual([true]);
    const started = Date.now();
    const r = await run.done;
    expect(r.signal).toBeNull();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/for 3\.00s \(Ctrl-C to stop now\)/);
  }, 60_000);
});
