// The remote-write sender against loopback HTTP servers: the headers remote write asks for, the
// credentials in the Authorization header only, and a slow or failing endpoint that costs the run
// nothing: the queue stays bounded, what is dropped or failed is counted, every request has a deadline.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fixtureRecord } from '../support/fixtureRecord.js';
import { streamBatch } from '../../src/reports/streamRows.js';
import { batchSeries, decodeRemoteWrite } from '../../src/reports/remoteWrite.js';
import { RemoteWriteSink } from '../../src/cli/remoteWriteSink.js';

const batch = streamBatch(fixtureRecord(), { from: 0, to: 6, final: true, atMs: 1_800_000_000_000 });
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A loopback server answering each request with `answer` (or never, when it returns false). */
async function endpoint(
  answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => boolean,
): Promise<{ url: string; got: { req: IncomingMessage; body: Buffer }[] }> {
  const got: { req: IncomingMessage; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      got.push({ req, body });
      if (answer(req, body, res)) res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/api/v1/write`, got };
}

describe('RemoteWriteSink', () => {
  it('posts the remote-write 1.0 body and headers; URL credentials go in a Basic header, never in its line', async () => {
    const ep = await endpoint((_req, _body, res) => {
      res.statusCode = 204;
      return true;
    });
    const sink = new RemoteWriteSink(ep.url.replace('http://', 'http://reader:p%40ss-4711@'), { version: '9.9.9' });
    sink.send(batch);
    await sink.flush(5000);
    expect(ep.got).toHaveLength(1);
    const { req, body } = ep.got[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/write');
    expect(req.headers['content-encoding']).toBe('snappy');
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(req.headers['user-agent']).toBe('evbench/9.9.9');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('reader:p@ss-4711').toString('base64')}`);
    expect(decodeRemoteWrite(body)).toEqual(batchSeries(batch));
    expect(sink.stats).toEqual({ sent: 1, dropped: 0, failed: 0 });
    expect(sink.summary()).toMatch(/^prometheus-rw http:\/\/reader:\*\*\*@127\.0\.0\.1:\d+\/api\/v1\/write: 1 request\(s\) accepted$/);
  });

  it('a bearer token goes in the Authorization header', async () => {
    const ep = await endpoint(() => true);
    const sink = new RemoteWriteSink(ep.url, { token: 'tok-sink-8080' });
    sink.send(batch);
    await sink.flush(5000);
    expect(ep.got[0]!.req.headers.authorization).toBe('Bearer tok-sink-8080');
    expect(sink.summary()).not.toContain('tok-sink-8080');
  });

  it('an endpoint that never answers: send() returns at once, the queue drops its oldest, each request times out', async () => {
    const ep = await endpoint(() => false);
    const sink = new RemoteWriteSink(ep.url, { maxQueue: 2, timeoutMs: 300 });
    const started = performance.now();
    for (let i = 0; i < 5; i++) sink.send(batch);
    expect(performance.now() - started).toBeLessThan(250); // encoding only, no waiting on the network
    await sink.flush(5000);
    // one in flight, two kept of the four that queued behind it
    expect(sink.stats).toMatchObject({ sent: 0, dropped: 2, failed: 3 });
    expect(sink.summary()).toContain('2 dropped (the endpoint was slower than the run), 3 failed (last: no answer within 0.3 s)');
    expect(ep.got).toHaveLength(3);
  });

  it('flush waits no longer than its bound: what is still queued or in flight is counted, not waited for', async () => {
    const ep = await endpoint(() => false);
    const sink = new RemoteWriteSink(ep.url, { timeoutMs: 60_000 });
    sink.send(batch);
    sink.send(batch);
    const started = performance.now();
    await sink.flush(300);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(sink.stats).toMatchObject({ sent: 0, dropped: 1, failed: 1, lastError: 'still unanswered when the run ended' });
  });

  it("an endpoint's refusal is counted with what it said", async () => {
    const ep = await endpoint((_req, _body, res) => {
      res.statusCode = 400;
      res.write('out of order sample\n');
      return true;
    });
    const sink = new RemoteWriteSink(ep.url);
    sink.send(batch);
    await sink.flush(5000);
    expect(sink.stats).toMatchObject({ sent: 0, failed: 1, lastError: 'HTTP 400: out of order sample' });
  });
});
