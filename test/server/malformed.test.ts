// Every class of malformed client frame gets a status or a close code, over real sockets; the server
// never crashes and never leaks a session (the connections gauge returns to 0). A socket-level fuzz
// sends a few hundred random frames while a well-behaved client keeps receiving every event.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { cleanup, PUBLISHER, server, TestClient, waitUntil, waitUntilAsync } from '../support/referenceServer.js';
import { metric, refusals } from '../support/serverMetric.js';

afterEach(cleanup);

/** A masked client frame written straight to the socket, bypassing ws's own checks. */
function rawFrame(ws: WebSocket, opcode: number, payload: Buffer): void {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const mask = Buffer.alloc(4); // a zero mask leaves the payload as is
  (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat([head, mask, payload]));
}

const connections = (url: string) => metric(url, 'evbench_connections');

describe.each(['isolated', 'legacy'] as const)('malformed frames (%s)', (mode) => {
  it('each class gets a 4xx status and the session keeps serving', async () => {
    // Frames up to 16 MiB and no byte rate, so the parser itself meets the huge inputs.
    const srv = await server({ mode, maxSubscriberFrameBytes: 16 * 1024 * 1024, maxByteRate: 1024 ** 3 });
    const c = await TestClient.open(srv.url);
    const status = async (frame: string): Promise<number> => (await c.request(frame)).status;
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    // invalid JSON
    expect(await status('{"method":"subscribe"')).toBe(400);
    expect(await status('')).toBe(400);
    expect(await status('\u0000\u0001')).toBe(400);
    // wrong types
    expect(await status('{"method":7}')).toBe(400);
    expect(await status('{"method":"subscribe","filters":{"event_type":"x"}}')).toBe(400);
    expect(await status('{"method":"subscribe","last_log_id":1.5}')).toBe(400);
    expect(await status('{"method":"unsubscribe","filters":"all"}')).toBe(400);
    expect(await status('{"method":"publish","events":"x"}')).toBe(400);
    expect(await status('"subscribe"')).toBe(400);
    expect(await status('null')).toBe(400);
    // huge arrays
    // (filter terms are counted before anything is compiled: 20,000 is over --max-filters)
    expect(await status(JSON.stringify({ method: 'subscribe', filters: Array.from({ length: 20_000 }, () => 'x') }))).toBe(413);
    expect(
      await status(
        JSON.stringify({ method: 'subscribe', filters: [['event_type', 'in', Array.from({ length: 50_000 }, (_, i) => `t${i}`)]] }),
      ),
    ).toBe(413);
    expect(await status(`[${'0,'.repeat(200_000)}0]`)).toBe(400);
    // deep nesting
    expect(await status(`{"method":${deep(50_000)}}`)).toBe(400);
    expect(await status(`{"method":"unsubscribe","filters":${deep(50_000)}}`)).toBe(400);
    // unknown methods and filters
    expect(await status('{"method":"subscribe ","filters":[]}')).toBe(400);
    expect(await status('{"method":"subscribe","filters":[["colour","=","red"]]}')).toBe(400);
    expect(await status('{"method":"subscribe","filters":[["event_type","~","x"]]}')).toBe(400);
    // binary
    const before = c.statuses.length;
    c.ws.send(Buffer.from('{"method":"subscribe"}'), { binary: true });
    await waitUntil(() => c.statuses.length > before, 'a reply to a binary frame');
    expect(c.statuses[before]!.status).toBe(400);
    expect(await refusals(srv.metricsUrl, 'bad_message')).toBe(17);
    expect(await refusals(srv.metricsUrl, 'too_many_filters')).toBe(2);
    expect((await c.request({ method: 'subscribe' })).status).toBe(200);
    expect(c.closeCode).toBeUndefined();
  });

  it('invalid UTF-8 in a text frame closes with 1007; a protocol violation with 1002; no session leaks', async () => {
    const srv = await server({ mode });
    const utf8 = await TestClient.open(srv.url);
    rawFrame(utf8.ws, 0x1, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])); // {"\xc3("}
    const overlong = await TestClient.open(srv.url);
    rawFrame(overlong.ws, 0x1, Buffer.from([0xc0, 0xaf])); // overlong '/'
    const opcode = await TestClient.open(srv.url);
    rawFrame(opcode.ws, 0x3, Buffer.from('x')); // reserved opcode
    await waitUntil(() => [utf8, overlong, opcode].every((c) => c.closeCode !== undefined), 'three closes');
    expect([utf8.closeCode, overlong.closeCode, opcode.closeCode]).toEqual([1007, 1007, 1002]);
    expect(await refusals(srv.metricsUrl, 'invalid_utf8')).toBe(2);
    expect(await refusals(srv.metricsUrl, 'protocol_error')).toBe(1);
    await waitUntilAsync(async () => (await connections(srv.metricsUrl)) === 0, 'the connections gauge back to 0');
  });

  it('socket fuzz: 400 random frames on 4 connections; a well-behaved client still gets every event', async () => {
    const srv = await server({ mode });
    const good = await TestClient.open(srv.url);
    await good.subscribe();
    const pub = await TestClient.open(srv.url, PUBLISHER);

    const frame = fc.oneof(
      fc.json({ maxDepth: 5 }).map((text) => ({ text })),
      fc.string({ unit: 'binary', maxLength: 300 }).map((text) => ({ text })),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes, binary: true })),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes, binary: false })), // mostly invalid UTF-8
      fc
        .record(
          {
            method: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'frobnicate'),
            filters: fc.array(
              fc.tuple(
                fc.constantFrom('event_type', 'object_uuid', 'event_at', 'x'),
                fc.constantFrom('=', 'in', '>', '?'),
                fc.jsonValue({ maxDepth: 2 }),
              ),
              { maxLength: 4 },
            ),
            last_log_id: fc.integer({ min: -2, max: 100 }),
            events: fc.array(fc.record({ event_type: fc.oneof(fc.string(), fc.integer()) }), { maxLength: 3 }),
          },
          { requiredKeys: ['method'] },
        )
        .map((m) => ({ text: JSON.stringify(m) })),
    );
    const frames = fc.sample(frame, { numRuns: 400, seed: 6100 });

    let opened = 0;
    let closes = 0;
    const open = async (): Promise<TestClient> => {
      opened++;
      const c = await TestClient.open(srv.url);
      c.ws.on('close', () => closes++);
      // Replies to random frames need not be JSON objects we can parse: only count them.
      c.ws.removeAllListeners('message');
      return c;
    };
    const fuzzers = await Promise.all([open(), open(), open(), open()]);
    for (let i = 0; i < frames.length; i++) {
      const slot = i % fuzzers.length;
      if (fuzzers[slot]!.ws.readyState !== fuzzers[slot]!.ws.OPEN) fuzzers[slot] = await open();
      const f = frames[i]!;
      if ('bytes' in f) fuzzers[slot]!.ws.send(Buffer.from(f.bytes), { binary: f.binary });
      else fuzzers[slot]!.ws.send(f.text);
      if (i % 50 === 49) {
        const ack = await pub.publish([{ event_type: 'marker', properties: { i } }]);
        expect(ack.status).toBe(200);
      }
    }
    await waitUntil(() => good.events.length === 8, 'all 8 marker events at the good client');
    expect(good.ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(good.closeCode).toBeUndefined();
    expect(opened).toBeGreaterThan(4); // invalid UTF-8 closed some fuzz connections (1007), as it should
    for (const c of fuzzers) c.ws.close();
    good.ws.close();
    pub.ws.close();
    await waitUntilAsync(async () => (await connections(srv.metricsUrl)) === 0, 'the connections gauge back to 0');
    process.stderr.write(`socket fuzz (${mode}): ${frames.length} frames over ${opened} connections, ${closes} closed by the server\n`);
  });
});
