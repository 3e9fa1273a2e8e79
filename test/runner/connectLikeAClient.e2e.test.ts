// Connecting like a real client (--header, --tokens-file, --publish-body/--publish-header), errors
// that say what the target answered, and catch-up against a server that emits its own stream —
// against small servers written here with plain `ws` and examples/foreign-servers.mjs.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, WebSocket } from 'ws';
import { killAll, runCli } from '../support/cli.js';
import { replayingServer } from '../../examples/foreign-servers.mjs';
import type { RunRecord } from '../../src/record/schema.js';
import { exitFor } from '../support/runOutcome.js';
import { tempDir } from '../support/tempDir.js';

const tmp = tempDir('connect');
const scenarios = tempDir('connect-scenarios');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
afterAll(killAll);

const record = (r: { stdout: string; stderr: string; code: number | null }): RunRecord => {
  if (!r.stdout.trim()) throw new Error(`no run record (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as RunRecord;
};
const group = (r: RunRecord, name: string) => r.groups.find((g) => g.name === name)!;

function scenario(name: string, body: object): string {
  const path = join(scenarios, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...body }));
  return path;
}
const short = scenario('short', {
  publisher: { rate: 200, payloadBytes: 100 },
  groups: [{ name: 'fast', kind: 'fast', count: 3 }],
  phases: [
    { name: 'baseline', duration: '2s' },
    { name: 'stress', duration: '2s' },
  ],
});

/**
 * A server that answers the upgrade only with `x-api-key: k` (401 "bad api key" otherwise), records
 * each upgrade's headers, relays HTTP POST bodies (recording their headers too) to every client,
 * and, when `closeOnSubscribe`, answers any message with a frame and a close 4001.
 */
async function gatedServer(closeOnSubscribe = false) {
  const upgrades: IncomingHttpHeaders[] = [];
  const posts: IncomingHttpHeaders[] = [];
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push(req.headers);
      for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(Buffer.concat(chunks).toString());
      res.writeHead(204).end();
    });
  });
  http.on('upgrade', (req, socket, head) => {
    if (req.headers['x-api-key'] !== 'k') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nbad api key');
      return;
    }
    upgrades.push(req.headers);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closeOnSubscribe) {
        ws.on('message', () => {
          ws.send(JSON.stringify({ error: 'unknown channel "nope"' }));
          ws.close(4001, 'unknown channel');
        });
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const port = (http.address() as { port: number }).port;
  closers.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => http.close(() => r(undefined)));
  });
  return { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}/publish`, upgrades, posts };
}

const base = (url: string, publish: string): string[] => [
  '--target',
  url,
  '--adapter',
  'generic',
  '--publish',
  publish,
  '--out',
  tmp,
  '--json',
];

describe('connecting like a real client', () => {
  it('a refused upgrade: the HTTP status and body in one line, exit 3', async () => {
    const s = await gatedServer();
    const r = await runCli(['run', short, ...base(s.url, 'ws')], 30_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /target refused the websocket upgrade: ws:\/\/127\.0\.0\.1:\d+\/: HTTP 401 Unauthorized: bad api key — check --token, --tokens-file or --header/,
    );
  });

  it('a subscription closed by the server: the close code and the first frames, exit 3', async () => {
    const s = await gatedServer(true);
    const r = await runCli(
      ['run', short, ...base(s.url, 'server'), '--header', 'x-api-key: k', '--subscribe-message', '{"subscribe":"nope"}'],
      30_000,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'the server closed the connection while subscribing (code 4001 "unknown channel"). The server\'s first frames were: {"error":"unknown channel \\"nope\\""}',
    );
  });

  it('--header on every upgrade and POST, {{token}} from --tokens-file, --publish-body and --publish-header', async () => {
    const s = await gatedServer();
    const tokens = join(scenarios, 'tokens.txt');
    writeFileSync(tokens, '# one per client\nt-one\nt-two\nt-three\n');
    const r = await runCli(
      [
        'run',
        short,
        ...base(s.url, `http:${s.httpUrl}`),
        '--header',
        'x-api-key: k',
        '--header',
        'Authorization: Bearer {{token}}',
        '--tokens-file',
        tokens,
        '--publish-body',
        '{"log":{"id":{{id}},"properties":{"ts":{{ts}},"pad":"{{payload}}"}}}',
        '--publish-header',
        'X-Publisher: evbench',
        '--id-field',
        'log.id',
        '--time-field',
        'log.properties.ts',
      ],
      60_000,
    );
    const rec = record(r);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const auth = s.upgrades.map((h) => h.authorization).sort();
    expect(auth).toContain('Bearer t-one');
    expect(auth).toContain('Bearer t-two');
    expect(auth).toContain('Bearer t-three');
    expect(s.posts.length).toBe(rec.generator.publisher.sent);
    expect(s.posts.every((h) => h['x-publisher'] === 'evbench' && h['x-api-key'] === 'k')).toBe(true);
    const f = group(rec, 'fast');
    expect(f.phases.baseline!.delivered + f.phases.stress!.delivered).toBe(3 * rec.generator.publisher.sent);
    expect(f.phases.baseline!.missing + f.phases.stress!.missing).toBe(0);
  });

  it('bad header and token flags are one line each, exit 2', async () => {
    const r1 = await runCli(['run', short, '--target', 'ws://127.0.0.1:9/', '--adapter', 'generic', '--header', 'no colon']);
    expect(r1.code).toBe(2);
    // a malformed header may be a secret given without its name: masked like any header value
    expect(r1.stderr.trim()).toBe(`evbench: --header: expected 'Name: value', got "***"`);
    const r2 = await runCli([
      'run',
      short,
      '--target',
      'ws://127.0.0.1:9/',
      '--adapter',
      'generic',
      '--tokens-file',
      join(scenarios, 'absent.txt'),
    ]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--tokens-file: cannot read .*absent\.txt: ENOENT/);
    const r3 = await runCli(['run', short, '--target', 'ws://127.0.0.1:9/', '--adapter', 'nats']);
    expect(r3.code).toBe(2);
    expect(r3.stderr.trim()).toBe('evbench: --adapter nats: needs --topic (the subject to subscribe to)');
  });
});

/** A self-signed certificate for 127.0.0.1, or undefined when openssl is not there. */
function selfSigned(): { key: Buffer; cert: Buffer } | undefined {
  try {
    const key = join(scenarios, 'key.pem');
    const cert = join(scenarios, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } catch {
    return undefined;
  }
}
const tls = selfSigned();
if (!tls) console.warn('!!! openssl is not installed: the --insecure (self-signed wss) test is SKIPPED !!!');

describe('wss with a self-signed certificate', () => {
  it.skipIf(!tls)('refused with a hint at --insecure; with --insecure the run goes on', async () => {
    const https = createHttpsServer(tls!);
    const wss = new WebSocketServer({ server: https, perMessageDeflate: false });
    let id = 0;
    const timer = setInterval(() => {
      id++;
      const msg = JSON.stringify({ id, ts: performance.timeOrigin + performance.now() });
      for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(msg);
    }, 5);
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    closers.push(async () => {
      clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => https.close(() => r(undefined)));
    });
    const url = `wss://127.0.0.1:${(https.address() as { port: number }).port}/`;
    const refused = await runCli(['run', short, ...base(url, 'server')], 30_000);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /target unreachable: wss:\/\/127\.0\.0\.1:\d+\/: self[- ]signed certificate \(a self-signed certificate\? --insecure accepts it\)/,
    );
    const r = await runCli(['run', short, ...base(url, 'server'), '--insecure'], 60_000);
    const rec = record(r);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    expect(group(rec, 'fast').phases.stress!.delivered).toBeGreaterThan(300);
  });
});

describe('catch-up against a server that emits its own stream', () => {
  it('replays from {{lastId}} = what the fast clients saw minus the backlog: nothing missing, and the fast clients keep their latency', async () => {
    const s = await replayingServer({ rate: 400, payloadBytes: 200 });
    closers.push(s.close);
    const catchup = scenario('catchup-emitted', {
      publisher: { rate: 400, payloadBytes: 200 },
      groups: [
        { name: 'fast', kind: 'fast', count: 5 },
        { name: 'replay', kind: 'catchup', count: 1, backlog: 1500, phases: ['stress'] },
      ],
      phases: [
        { name: 'baseline', duration: '5s' },
        { name: 'stress', duration: '5s' },
      ],
      thresholds: { 'missing{group:fast}': ['count==0'] },
    });
    const r = await runCli(
      ['run', catchup, ...base(s.url, 'server'), '--subscribe-message', '{"method":"subscribe","last_log_id":{{lastId}}}'],
      60_000,
    );
    const rec = record(r);
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('hol');
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    if (rec.hol.verdict !== 'invalid') expect(rec.hol.verdict).toBe('none');
    const replay = group(rec, 'replay');
    const client = replay.clientResults[0]!;
    expect(client.missing).toBe(0);
    expect(replay.phases.stress!.delivered).toBeGreaterThan(1000);
    // the replay covered (lastId, head]: about the backlog, all of it received in order
    expect(r.stderr).toMatch(/replay: replayed (\d+) of \1 events \(0 missing, 0 duplicates, 0 out of order\)/);
    const [, n] = /replayed (\d+) of/.exec(r.stderr)!;
    expect(Number(n)).toBeGreaterThanOrEqual(1400);
    expect(Number(n)).toBeLessThanOrEqual(1600);
    expect(group(rec, 'fast').phases.stress!.missing).toBe(0);
  });
});
