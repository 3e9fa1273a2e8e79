// `evbench serve` as a process facing the world: SIGTERM drains, a database that never answers is
// one line and an exit code, tokens come from a file or the environment, and a server open beyond
// loopback says so loudly.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import { exposureWarning, isLoopback } from '../../src/cli/serveSecrets.js';
import { upgradeStatus, waitUntil } from '../support/referenceServer.js';
import { tempDir } from '../support/tempDir.js';

const tmp = tempDir('serve');
const started: ServeProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(0)));
});

async function serve(args: string[], env?: NodeJS.ProcessEnv, onStderr?: (line: string) => void): Promise<ServeProcess> {
  const saved = { ...process.env };
  Object.assign(process.env, env); // spawnServe passes this process's environment on
  try {
    const p = await spawnServe({ args, onStderr });
    started.push(p);
    return p;
  } finally {
    for (const k of Object.keys(env ?? {})) if (saved[k] === undefined) delete process.env[k];
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('SIGTERM drains', () => {
  it('stops accepting, delivers what was written, closes every session with 1001, terminates a peer that never answers, exits 0 within the grace', async () => {
    const stderr: string[] = [];
    const srv = await serve(['--publisher-token', 'p'], {}, (l) => stderr.push(l));
    const readers = await Promise.all([open(srv.url), open(srv.url)]);
    const received = readers.map(() => [] as number[]);
    const closes = readers.map(() => undefined as undefined | string);
    readers.forEach((ws, i) => {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as { id?: number };
        if (m.id !== undefined) received[i]!.push(m.id);
      });
      ws.on('close', (code: number, reason: Buffer) => (closes[i] = `${code} ${reason.toString()}`));
      ws.send('{"method":"subscribe"}');
    });
    const stalled = await open(srv.url);
    stalled.on('error', () => {});
    stalled.send('{"method":"subscribe"}');
    await new Promise((r) => stalled.once('message', r));
    stalled.pause(); // never reads again: its close handshake cannot complete
    const pub = await open(`${srv.url}?api_token=p`);
    const pad = 'x'.repeat(16 * 1024);
    for (let k = 0; k < 5; k++) {
      pub.send(
        JSON.stringify({ method: 'publish', events: Array.from({ length: 8 }, () => ({ event_type: 'update', properties: { pad } })) }),
      );
      await new Promise((r) => pub.once('message', r));
    }
    await waitUntil(() => received.every((r) => r.length === 40), 'the 40 events at both readers');

    const signalledAt = Date.now();
    srv.child.kill('SIGTERM');
    await waitUntil(() => stderr.some((l) => l.includes('SIGTERM, shutting down')), 'the shutdown line');
    await expect(open(srv.url), 'no new connection once draining').rejects.toThrow();
    const code = await srv.exited;
    const tookMs = Date.now() - signalledAt;
    await waitUntil(() => closes.every((c) => c !== undefined), 'both readers closed');
    expect(closes).toEqual(['1001 server shutting down', '1001 server shutting down']);
    expect(received.map((r) => r.length)).toEqual([40, 40]);
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5000); // the 1 s session grace, then the stalled peer is terminated
    for (const ws of [...readers, stalled, pub]) ws.terminate();
  });
});

describe('PostgreSQL unreachable at start', () => {
  it('a database that accepts the connection and never answers: one line naming --store, exit 2, no hang', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => (sockets.add(s), s.on('error', () => {})));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const stderr: string[] = [];
    const startedAt = Date.now();
    try {
      const error = await spawnServe({
        args: ['--store', `postgres://u:secret@127.0.0.1:${port}/db`],
        onStderr: (l) => stderr.push(l),
        startTimeoutMs: 20_000,
      }).then(
        async (p) => (await p.stop(0), new Error('started')),
        (err: Error) => err,
      );
      expect(error.message).toMatch(/exited \(2\)/);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(
        new RegExp(`^evbench: --store: cannot use postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db: .*timeout`, 'i'),
      );
      expect(Date.now() - startedAt).toBeLessThan(12_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('tokens from a file or the environment', () => {
  it('--tokens-file and EVBENCH_PUBLISHER_TOKEN: unknown tokens refused (401), the file and env tokens accepted', async () => {
    const file = join(tmp, 'tokens');
    writeFileSync(file, '# readers\nreader-a\nreader-b, reader-c\n');
    const srv = await serve(['--tokens-file', file], { EVBENCH_PUBLISHER_TOKEN: 'pub-from-env' });
    expect(await upgradeStatus(srv.url)).toBe(401);
    expect(await upgradeStatus(`${srv.url}?api_token=nope`)).toBe(401);
    for (const t of ['reader-a', 'reader-c']) expect(await upgradeStatus(`${srv.url}?api_token=${t}`)).toBe(101);
    const pub = await open(`${srv.url}?api_token=pub-from-env`);
    pub.send('{"method":"publish","events":[{"event_type":"update"}]}');
    const reply = JSON.parse(((await new Promise((r) => pub.once('message', r))) as Buffer).toString()) as { status: number };
    expect(reply.status).toBe(200);
    pub.terminate();
  });

  it('an unreadable or empty token file is one line naming the flag, exit 2', async () => {
    const empty = join(tmp, 'empty');
    writeFileSync(empty, '# nothing\n\n');
    for (const [args, line] of [
      [['--tokens-file', join(tmp, 'missing')], /^evbench: --tokens-file: cannot read .*missing \(ENOENT\)$/],
      [['--publisher-token-file', empty], /^evbench: --publisher-token-file: .*empty holds no token$/],
    ] as const) {
      const stderr: string[] = [];
      const error = await spawnServe({ args: [...args], onStderr: (l) => stderr.push(l) }).then(
        async (p) => (await p.stop(0), new Error('started')),
        (err: Error) => err,
      );
      expect(error.message).toMatch(/exited \(2\)/);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(line);
    }
  });
});

describe('exposure', () => {
  it('warns loudly beyond loopback without subscriber or publisher tokens, never on loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(host), host).toBe(true);
      expect(exposureWarning({ host, tokens: [], users: 0 })).toBeUndefined();
      expect(exposureWarning({ host, tokens: [], users: 5 })).toBeUndefined();
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      expect(isLoopback(host), host).toBe(false);
      const open = exposureWarning({ host, tokens: [], users: 0 })!;
      expect(open).toContain(`WARNING: evbench serve listens on ${host}, beyond this machine, without --tokens`);
      expect(open).toContain('--publisher-token');
      expect(open).toContain('data leak');
      expect(exposureWarning({ host, tokens: ['s'], users: 0, metricsToken: 'm' })).toMatch(/without --publisher-token\./);
      expect(exposureWarning({ host, tokens: ['s'], users: 0, publisherToken: 'p', metricsToken: 'm' })).toBeUndefined();
    }
  });

  it('synthetic --users beyond loopback count as open access: their tokens are public names', () => {
    const warning = exposureWarning({ host: '0.0.0.0', tokens: [], users: 5, publisherToken: 'p', metricsToken: 'm' })!;
    expect(warning).toContain('WARNING: evbench serve listens on 0.0.0.0, beyond this machine, with --users 5');
    expect(warning).toContain('user-0 … user-4 are public names');
    expect(warning).toContain('instead of --users');
    // also next to real tokens: user-0 still connects
    expect(exposureWarning({ host: '0.0.0.0', tokens: ['s'], users: 5, publisherToken: 'p', metricsToken: 'm' })).toContain('--users 5');
  });

  it('/metrics beyond loopback without --metrics-token is called public; with it, or on loopback, not', () => {
    const protectedServer = { host: '0.0.0.0', tokens: ['s'], users: 0, publisherToken: 'p' };
    const warning = exposureWarning(protectedServer)!;
    expect(warning).toContain('/metrics is public on 0.0.0.0');
    expect(warning).toContain('--metrics-token');
    expect(warning).not.toContain('data leak'); // the websocket side is protected
    expect(exposureWarning({ ...protectedServer, metricsToken: 'm' })).toBeUndefined();
    expect(exposureWarning({ ...protectedServer, host: '127.0.0.1' })).toBeUndefined();
  });
});
