// What a target says reaches the user's terminal and CI summary inert: a server whose first message
// has no id field and whose close reasons carry a title change, a screen clear, a carriage return
// and HTML; `evbench run -v` prints them escaped on stderr, the Markdown appended to
// $GITHUB_STEP_SUMMARY holds no tag, and the record itself keeps the reason exactly as it was said.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { RunRecord } from '../../src/record/schema.js';
import { killAll, runCli } from '../support/cli.js';
import { fastOnlyScenario, serverStreamFlags } from '../support/serverStream.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('hostile-text');

const REASON = '\x1b]0;pwned\x07\x1b[2J\rFAKE \x9b31m\u202e<img src=x onerror=alert(1)>';
const FIRST = '\x1b]0;first\x07\x1b[32m✓ all thresholds passed';

// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Events `{"id","ts"}` at 200/s to every connection; a first message without an id; each connection closed with REASON after 1.8 s. */
async function hostileTextServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const timers: NodeJS.Timeout[] = [];
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ hello: FIRST }));
    timers.push(setTimeout(() => ws.close(4000, REASON), 1800));
  });
  const start = performance.timeOrigin + performance.now();
  let id = 0;
  const ticker = setInterval(() => {
    const now = performance.timeOrigin + performance.now();
    while (start + (id * 1000) / 200 <= now) {
      id++;
      const frame = JSON.stringify({ id, ts: start + (id * 1000) / 200 });
      for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(frame);
    }
  }, 5);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const scenarioPath = fastOnlyScenario(tmp, 'hostile-text', 2, '1s');

describe('a hostile target through the CLI', () => {
  it('close reasons and a message without an id reach stderr and the step summary escaped; the record keeps them as said', async () => {
    const server = await hostileTextServer();
    const summary = join(tmp, 'step-summary.md');
    writeFileSync(summary, '');
    try {
      const out = join(tmp, 'out');
      const r = await runCli(
        ['run', scenarioPath, '--target', server.url, ...serverStreamFlags(), '--out', out, '--report', 'md,junit', '--json', '-v'],
        60_000,
        { GITHUB_STEP_SUMMARY: summary },
      );
      expect(r.signal, r.stderr).toBeNull();
      const record = JSON.parse(r.stdout) as RunRecord;
      // the record is data: the reason exactly as the server sent it
      expect(record.groups[0]!.clientResults.map((c) => c.closeReason)).toContain(REASON);
      // stdout is JSON: every control character \u-escaped
      expect(r.stdout).not.toMatch(CONTROL);
      // stderr (NO_COLOR: no colour of our own either) carries none, but shows the reason escaped
      expect(r.stderr).not.toMatch(CONTROL);
      expect(r.stderr).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\rFAKE \\x9b31m\\u202e<img src=x onerror=alert(1)>');
      const md = readFileSync(summary, 'utf8');
      expect(md).toContain('## evbench: hostile-text');
      expect(md).not.toMatch(CONTROL);
      expect(md).not.toMatch(/<img/i);
    } finally {
      await server.close();
    }
  }, 90_000);
});
