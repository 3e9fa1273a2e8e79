// What the runner reads over plain HTTP from a hostile target — /metrics and Server-Sent Events —
// holds bounded memory for a bounded time: each cap fires, says so, and nothing is read past it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchMetrics, MAX_METRICS_BYTES, METRICS_DEADLINE_MS } from '../../src/runner/scrape.js';
import { MAX_DATA_LINES, MAX_SSE_MESSAGE_BYTES, openSse, SseParser } from '../../src/runner/clients/sseTransport.js';
import type { FrameFault } from '../../src/runner/clients/frameReader.js';
import { MessageBudget } from '../../src/runner/clients/messageBudget.js';
import { hostileHttpServer, type HostileHttpServer, type HttpFault } from '../support/hostileServer.js';

let server: HostileHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const start = async (fault: HttpFault): Promise<HostileHttpServer> => (server = await hostileHttpServer(fault));

describe('/metrics from a hostile target', () => {
  it('a body that never ends is cut at MAX_METRICS_BYTES, at once', async () => {
    const s = await start('endless-metrics');
    const started = Date.now();
    const got = await fetchMetrics(s.url);
    expect(got).toEqual({ error: `a body over ${MAX_METRICS_BYTES} bytes: not read further` });
    expect(Date.now() - started).toBeLessThan(METRICS_DEADLINE_MS); // the cap, not the deadline, ended it
  });

  it('asks for the identity encoding and does not inflate a gzip bomb sent anyway', async () => {
    const s = await start('gzip-bomb-metrics');
    const got = await fetchMetrics(s.url, 'secret');
    expect(got).toEqual({ error: 'a compressed body (content-encoding gzip) although identity was asked for: not read' });
    expect(s.requests()[0]!['accept-encoding']).toBe('identity');
    expect(s.requests()[0]!.authorization).toBe('Bearer secret');
  });

  it('a body trickled a byte at a time ends at the deadline, not reset by each byte', async () => {
    const s = await start('trickled-metrics');
    const started = Date.now();
    const got = await fetchMetrics(s.url);
    expect(got).toEqual({ error: `no complete answer within ${METRICS_DEADLINE_MS / 1000} s` });
    expect(Date.now() - started).toBeLessThan(METRICS_DEADLINE_MS + 2000);
  });

  it('a well-behaved /metrics is read whole, up to the cap', async () => {
    const body = `evbench_events_in_total 7\n${'# padding\n'.repeat((MAX_METRICS_BYTES - 100) / 10)}`;
    const http = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    try {
      const got = await fetchMetrics(`http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`);
      expect('text' in got && got.text.length).toBe(body.length);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe('Server-Sent Events from a hostile target', () => {
  /** Parses `chunks` with a cap of `max` bytes; the messages and the faults. */
  function parse(chunks: string[], max: number, budget = new MessageBudget(1 << 30)): { messages: string[]; faults: FrameFault[] } {
    const messages: string[] = [];
    const faults: FrameFault[] = [];
    const p = new SseParser(
      (d) => messages.push(d.toString()),
      (_what, f) => faults.push(f),
      max,
      budget,
    );
    for (const c of chunks) p.push(Buffer.from(c));
    return { messages, faults };
  }

  it('a line over the cap is a fault (line_too_long); a line at the cap is read', () => {
    const at = 'data: ' + 'x'.repeat(94); // 100 bytes
    expect(parse([at.slice(0, 50), at.slice(50), '\n\n'], 100)).toEqual({ messages: ['x'.repeat(94)], faults: [] });
    expect(parse([at.slice(0, 50), at.slice(50), 'y', '\n\n'], 100)).toEqual({ messages: [], faults: ['line_too_long'] });
  });

  it("a message's data over the cap (message_too_large) or in too many lines (too_many_lines) is a fault", () => {
    expect(parse(['data: 12345\n'.repeat(20), '\n'], 100).faults).toEqual(['message_too_large']);
    expect(parse(['data: 1234\n'.repeat(9), '\n'], 100)).toEqual({ messages: [Array(9).fill('1234').join('\n')], faults: [] });
    expect(parse(['data:\n'.repeat(MAX_DATA_LINES + 1)], 1 << 20).faults).toEqual(['too_many_lines']);
    expect(parse(['data:\n'.repeat(MAX_DATA_LINES), '\n'], 1 << 20).messages).toHaveLength(1);
  });

  it("unfinished lines of a worker's streams share one budget", () => {
    const budget = new MessageBudget(100 * 1024);
    const line = 'data: ' + 'x'.repeat(64 * 1024 + 60 * 1024); // 60 KiB over the allowance each
    expect(parse([line], 1 << 20, budget).faults).toEqual([]);
    expect(parse([line], 1 << 20, budget).faults).toEqual(['worker_budget_exceeded']);
  });

  it.each([
    ['endless-sse-line', 'line_too_long'],
    ['endless-sse-data', 'too_many_lines'],
  ] as const)('%s: the stream is failed with %s, and nothing more is read', async (fault, expected) => {
    const s = await start(fault);
    const got = await new Promise<{ fault: FrameFault; what: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no fault within 10 s')), 10_000);
      openSse(s.url, undefined, {
        open: () => {},
        message: () => {},
        refused: (r) => reject(new Error(r)),
        closed: (r) => reject(new Error(r)),
        fault: (what, f) => (clearTimeout(timer), resolve({ fault: f, what })),
      });
    });
    expect(got.fault).toBe(expected);
    if (expected === 'line_too_long') expect(got.what).toBe(`an SSE line over ${MAX_SSE_MESSAGE_BYTES} bytes`);
    const sentAtFault = s.sent();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.sent() - sentAtFault).toBeLessThan(8 * 1024 * 1024); // the connection is gone: at most what was in flight
  });
});
