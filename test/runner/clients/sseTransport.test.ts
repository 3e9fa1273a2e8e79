// The SSE parser (clients/sseTransport.ts) and the socketio/sse target flags: the byte-level reading
// a real server's stream needs, and the flags checked as strictly as the other adapters'.
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/runner/clients/sseTransport.js';
import { applyTargetFlags } from '../../../src/cli/targetFlags.js';
import { engineIoUrl, namespaceOf, SocketIoAdapter } from '../../../src/runner/adapters/socketio.js';
import { newScannedEvent } from '../../../src/measurement/frameScan.js';
import { loadScenario } from '../../../src/scenario/load.js';

function parse(chunks: (string | Buffer)[]): string[] {
  const out: string[] = [];
  const p = new SseParser((d) => out.push(d.toString()));
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c) : c);
  return out;
}

describe('SseParser', () => {
  it('splits messages at blank lines, across chunk boundaries, with LF or CRLF', () => {
    expect(parse(['id: 1\ndata: {"id":1}\n\n', 'id: 2\r\nda', 'ta: {"id":2}\r\n', '\r\n'])).toEqual(['{"id":1}', '{"id":2}']);
  });

  it('joins multi-line data with \\n, ignores comments, ids, event names and a message without data', () => {
    expect(parse([': connected\n\nevent: x\nid: 3\ndata: a\ndata:b\n\nid: 4\n\n'])).toEqual(['a\nb']);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const bytes = Buffer.from('data: é\n\n');
    expect(parse([bytes.subarray(0, 7), bytes.subarray(7)])).toEqual(['é']);
  });

  it('holds an unfinished message until its blank line', () => {
    expect(parse(['data: {"id":1}\n'])).toEqual([]);
  });

  it('hands on a message that completes in its chunk without copying it (a view of the chunk)', () => {
    const got: Buffer[] = [];
    const text = 'data: {"id":1}\n\ndata: {"id":2}\n\n';
    const chunk = Buffer.alloc(text.length); // a buffer of its own, as a socket read is (not the shared pool)
    chunk.write(text);
    const p = new SseParser((d) => got.push(d));
    p.push(chunk);
    expect(got.map((d) => d.toString())).toEqual(['{"id":1}', '{"id":2}']);
    for (const d of got) expect(d.buffer).toBe(chunk.buffer);
  });

  it('copies what an unfinished message still holds when the chunk is done: it never reads a chunk after push returns', () => {
    const got: string[] = [];
    const p = new SseParser((d) => got.push(d.toString()));
    const first = Buffer.from('data: a\ndata: bc\n');
    p.push(first);
    first.fill(0x21); // the transport's chunk, reused or freed once push returned
    const second = Buffer.from('data: d\n');
    p.push(second);
    second.fill(0x21);
    p.push(Buffer.from('\n'));
    expect(got).toEqual(['a\nbc\nd']);
  });
});

describe('socketio packets', () => {
  const adapter = new SocketIoAdapter('http://h:1/feed', {
    idField: 'id',
    timeField: 'ts',
    timeUnit: 'ms',
    publish: { kind: 'server' },
    topic: 'tick',
  });
  const ev = newScannedEvent();

  it("maps the target to Engine.IO's websocket endpoint and the namespace", () => {
    expect(engineIoUrl('http://h:1/feed')).toBe('ws://h:1/socket.io/?EIO=4&transport=websocket');
    expect(engineIoUrl('https://h/')).toBe('wss://h/socket.io/?EIO=4&transport=websocket');
    expect(namespaceOf('http://h:1')).toBe('/');
    expect(namespaceOf('http://h:1/feed/')).toBe('/feed');
  });

  it('reads events of its topic in its namespace (with an ack id or a recovery offset), answers pings, ignores the rest', () => {
    expect(adapter.subscribeMessage()).toBe('40/feed,');
    expect(adapter.read(Buffer.from('42/feed,["tick",{"id":7,"ts":1000.5},"off1"]'), ev)).toBe('event');
    expect([ev.id, ev.intendedUs]).toEqual([7, 1000500]);
    expect(adapter.offsetOf(Buffer.from('42/feed,["tick",{"id":7,"ts":1},"off1"]'))).toBe('off1');
    expect(adapter.read(Buffer.from('42/feed,12["tick",{"id":8,"ts":1}]'), ev)).toBe('event');
    expect(adapter.read(Buffer.from('42["tick",{"id":9,"ts":1}]'), ev)).toBe('other'); // namespace /
    expect(adapter.read(Buffer.from('42/feed,["other",{"id":9,"ts":1}]'), ev)).toBe('other');
    expect(adapter.read(Buffer.from('2'), ev)).toBe('keepalive');
    expect(adapter.keepaliveAnswer()).toBe('3');
    expect(adapter.read(Buffer.from('40/feed,{"sid":"x"}'), ev)).toBe('other');
    expect(adapter.emitMessage('{"id":1}')).toBe('42/feed,["tick",{"id":1}]');
    expect(adapter.recoverMessage('p', 'o')).toBe('40/feed,{"pid":"p","offset":"o"}');
  });
});

describe('socketio and sse target flags', () => {
  const scenario = loadScenario('slow-client');

  it('take http:// targets as their own clients do, and keep the adapter options', () => {
    const s = applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/feed', adapter: 'socketio', topic: 'tick', publish: 'ws' });
    expect(s.target).toMatchObject({
      kind: 'url',
      url: 'http://127.0.0.1:9/feed',
      adapter: 'socketio',
      generic: { topic: 'tick', publish: { kind: 'ws' } },
    });
    const e = applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/events', adapter: 'sse', publish: 'server' });
    expect(e.target).toMatchObject({ adapter: 'sse', generic: { idField: 'id', timeField: 'ts', publish: { kind: 'server' } } });
  });

  it('refuse what cannot work, naming the flag', () => {
    expect(() => applyTargetFlags(scenario, { target: 'ws://127.0.0.1:9/', adapter: 'socketio' })).toThrow(
      /--target: expected an http:\/\/ or https:\/\/ URL for --adapter socketio/,
    );
    expect(() => applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/events', adapter: 'sse', topic: 'x' })).toThrow(
      "--topic: only with --adapter nats, mqtt, graphql-ws, actioncable or socketio (an SSE stream is named by its URL's path)",
    );
    expect(() => applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/events', adapter: 'sse', publish: 'ws' })).toThrow(
      /SSE stream has no way back/,
    );
    expect(() =>
      applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/', adapter: 'socketio', publish: 'http:http://127.0.0.1:9/p' }),
    ).toThrow(/emitting over a socket/);
    expect(() => applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/', adapter: 'socketio', subscribeMessage: '{}' })).toThrow(
      /--subscribe-message: only with --adapter generic/,
    );
    expect(() => applyTargetFlags(scenario, { target: 'http://127.0.0.1:9/', adapter: 'nope' })).toThrow(
      /--adapter: expected evbench, generic, nats, mqtt, graphql-ws, actioncable, socketio, sse,/,
    );
  });
});
