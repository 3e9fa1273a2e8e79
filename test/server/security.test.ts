// Security: tokens compared in constant time and never logged, browser Origins refused before the
// upgrade unless allowed, /metrics optionally behind its own token, loopback by default. (Publish needs the publisher token:
// protocol.test.ts "refuses publish without the publisher token (403) and oversized batches (413)".)
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { defaultServerOptions } from '../../src/server/index.js';
import { SecretTokens, sameToken } from '../../src/server/tokens.js';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import { cleanup, server, TestClient, upgradeStatus } from '../support/referenceServer.js';
import { refusals } from '../support/serverMetric.js';

const started: ServeProcess[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(started.splice(0).map((p) => p.stop(1000)));
});

/** The headers of the upgrade request a ws client with `options` sends (to a plain HTTP server that refuses it). */
async function upgradeHeaders(options: WebSocket.ClientOptions): Promise<IncomingHttpHeaders> {
  const http = createServer();
  const seen = new Promise<IncomingHttpHeaders>((resolve) =>
    http.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      resolve(req.headers);
      socket.destroy();
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/websocket`, options);
  ws.on('error', () => {});
  try {
    return await seen;
  } finally {
    ws.terminate();
    http.close();
  }
}

/** Upgrade status with an Origin header. */
async function withOrigin(url: string, origin: string): Promise<number> {
  try {
    const c = await TestClient.open(url, undefined, { Origin: origin });
    c.ws.terminate();
    return 101;
  } catch (err) {
    const m = /Unexpected server response: (\d+)/.exec((err as Error).message);
    if (!m) throw err;
    return Number(m[1]);
  }
}

describe('security', () => {
  it('tokens are matched through equal-length SHA-256 digests (any length, no prefix matches)', () => {
    const tokens = new SecretTokens<string>();
    tokens.set('alpha', 'a');
    tokens.set('x'.repeat(5000), 'long');
    expect(tokens.get('alpha')).toBe('a');
    expect(tokens.get('alph')).toBeUndefined();
    expect(tokens.get('alphaa')).toBeUndefined();
    expect(tokens.get('')).toBeUndefined();
    expect(tokens.get('x'.repeat(5000))).toBe('long');
    expect(sameToken('m', 'm')).toBe(true);
    expect(sameToken('m', 'mm')).toBe(false);
  });

  it('by default a browser Origin gets 403 before the upgrade; a request without Origin connects', async () => {
    const srv = await server();
    expect(await withOrigin(srv.url, 'https://evil.example.com')).toBe(403);
    expect(await withOrigin(srv.url, 'http://127.0.0.1:8080')).toBe(403); // a page served from this machine too
    expect(await withOrigin(srv.url, 'null')).toBe(403);
    expect(await upgradeStatus(srv.url)).toBe(101); // no Origin: a non-browser client
    expect(await refusals(srv.metricsUrl, 'origin')).toBe(3);
  });

  it('--allow-origin: listed origins connect (case-insensitive exact match), others get 403', async () => {
    const srv = await server({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
    expect(await withOrigin(srv.url, 'https://evil.example.com')).toBe(403);
    expect(await withOrigin(srv.url, 'https://app.example.com.evil.com')).toBe(403);
    expect(await withOrigin(srv.url, 'null')).toBe(403);
    expect(await withOrigin(srv.url, 'https://APP.example.com')).toBe(101);
    expect(await withOrigin(srv.url, 'http://localhost:3000')).toBe(101);
    expect(await upgradeStatus(srv.url)).toBe(101);
    expect(await refusals(srv.metricsUrl, 'origin')).toBe(3);
  });

  it('--allow-origin "*": any browser Origin connects', async () => {
    const srv = await server({ allowedOrigins: ['*'] });
    expect(await withOrigin(srv.url, 'https://evil.example.com')).toBe(101);
    expect(await withOrigin(srv.url, 'null')).toBe(101);
    expect(await refusals(srv.metricsUrl, 'origin')).toBe(0);
  });

  it('evbench serve --allow-origin is repeatable; clients made the way the runner makes them send no Origin', async () => {
    const serve = await spawnServe({ args: ['--allow-origin', 'https://a.example', '--allow-origin', 'https://b.example'] });
    started.push(serve);
    expect(await withOrigin(serve.url, 'https://a.example')).toBe(101);
    expect(await withOrigin(serve.url, 'https://b.example')).toBe(101);
    expect(await withOrigin(serve.url, 'https://c.example')).toBe(403);
    // ws sends an Origin header only when given the `origin` option, which evbench never sets.
    const headers = await upgradeHeaders({ perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 1000 });
    expect(headers['sec-websocket-key']).toBeDefined();
    expect(headers.origin).toBeUndefined();
  });

  it('--metrics-token: /metrics needs that Bearer token (401 otherwise); /healthz stays open', async () => {
    const srv = await server({ metricsToken: 'scrape-me' });
    expect((await fetch(srv.metricsUrl)).status).toBe(401);
    const wrong = await fetch(srv.metricsUrl, { headers: { Authorization: 'Bearer scrape-m' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const ok = await fetch(srv.metricsUrl, { headers: { Authorization: 'Bearer scrape-me' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/evbench_refusals_total\{reason="metrics_unauthorized"\} 2/);
    expect((await fetch(srv.metricsUrl.replace('/metrics', '/healthz'))).status).toBe(200);
    // The metrics token is not a websocket token.
    const open = await server({ tokens: ['t'], metricsToken: 'scrape-me' });
    expect(await upgradeStatus(`${open.url}?api_token=scrape-me`)).toBe(401);
  });

  it('binds 127.0.0.1 by default', async () => {
    expect(defaultServerOptions.host).toBe('127.0.0.1');
    const srv = await server();
    expect(srv.url).toMatch(/^ws:\/\/127\.0\.0\.1:/);
  });

  it('evbench serve never prints a token: not on start, not on refused or accepted connections, not on shutdown', async () => {
    const secrets = ['sub-secret-1', 'pub-secret-2', 'metrics-secret-3'];
    const stderr: string[] = [];
    const stdout: string[] = [];
    const serve = await spawnServe({
      args: ['--tokens', secrets[0]!, '--publisher-token', secrets[1]!, '--metrics-token', secrets[2]!],
      onStderr: (l) => stderr.push(l),
    });
    started.push(serve);
    serve.child.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
    expect(await upgradeStatus(`${serve.url}?api_token=wrong-${secrets[0]}`)).toBe(401);
    const pub = await TestClient.open(serve.url, secrets[1]);
    expect((await pub.publish([{ event_type: 'x' }])).status).toBe(200);
    const sub = await TestClient.open(serve.url, secrets[0]);
    expect((await sub.publish([{ event_type: 'x' }])).status).toBe(403);
    expect((await fetch(serve.metricsUrl, { headers: { Authorization: `Bearer ${secrets[0]}` } })).status).toBe(401);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    const printed = [...stderr, ...stdout].join('\n');
    expect(stderr.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(printed).not.toContain(secret);
  });
});
