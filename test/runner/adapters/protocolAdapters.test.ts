// The protocol sessions on bytes made to order: messages split across websocket frames and several
// in one, keepalive replies, acknowledgements and refusals (the e2e tests run them against real servers).
import { describe, expect, it } from 'vitest';
import { NatsAdapter } from '../../../src/runner/adapters/nats.js';
import { MqttAdapter } from '../../../src/runner/adapters/mqtt.js';
import { GraphqlWsAdapter } from '../../../src/runner/adapters/graphqlWs.js';
import { ActionCableAdapter } from '../../../src/runner/adapters/actioncable.js';
import type { WireOutput, WireSession } from '../../../src/runner/adapters/adapter.js';
import type { GenericOptions } from '../../../src/scenario/types.js';
import { generate, parser, type IConnectPacket, type ISubscribePacket, type Packet } from 'mqtt-packet';

const options = (topic: string, extra: Partial<GenericOptions> = {}): GenericOptions => ({
  idField: 'id',
  timeField: 'ts',
  timeUnit: 'ms',
  publish: { kind: 'server' },
  topic,
  ...extra,
});

function collector() {
  const seen = {
    events: [] as { id: number; intendedUs: number }[],
    sent: [] as (string | Buffer)[],
    others: [] as string[],
    refused: [] as string[],
    closing: [] as string[],
    subscribed: 0,
  };
  const out: WireOutput = {
    event: (ev) => seen.events.push({ id: ev.id, intendedUs: ev.intendedUs }),
    other: (d) => seen.others.push(d.toString()),
    send: (f) => seen.sent.push(f),
    refused: (r) => seen.refused.push(r),
    subscribed: () => seen.subscribed++,
    closing: (r) => seen.closing.push(r),
  };
  return { seen, out };
}

/** Feeds `bytes` to the session in frames of `size` bytes. */
/**
 * Feeds `bytes` in messages of `size` bytes as a client's connection does: each message in the one read
 * buffer the next read overwrites, a copy only for a session that keeps its input (keepsInput).
 */
function feed(session: WireSession, out: WireOutput, bytes: Buffer, size: number): void {
  const readBuffer = Buffer.alloc(size);
  for (let i = 0; i < bytes.length; i += size) {
    const n = bytes.copy(readBuffer, 0, i, i + size);
    const message = readBuffer.subarray(0, n);
    session.read(session.keepsInput ? Buffer.from(message) : message, true, out);
    readBuffer.fill(0x7e); // what the next read would leave there
  }
}

describe('nats session', () => {
  const msg = (id: number) => {
    const body = JSON.stringify({ id, ts: 1000 + id, pad: 'x'.repeat(id * 7) });
    return `MSG events 1 ${Buffer.byteLength(body)}\r\n${body}\r\n`;
  };
  const stream = Buffer.from(`INFO {"server_id":"x"}\r\n${msg(1)}PING\r\n${msg(2)}${msg(3)}+OK\r\n`);

  it.each([[1], [3], [17], [stream.length]])('reads every message whatever the frame size (%i bytes), answers PING with PONG', (size) => {
    const session = new NatsAdapter(options('events')).session('subscriber');
    const { seen, out } = collector();
    feed(session, out, stream, size);
    expect(seen.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(seen.events[0]!.intendedUs).toBe(1_001_000);
    expect(seen.sent).toEqual(['PONG\r\n']);
    expect(seen.others).toEqual(['INFO {"server_id":"x"}']);
  });

  it('connects and subscribes; publishes with PUB and the byte length; -ERR is a refusal', () => {
    const sub = new NatsAdapter(options('a.b')).session('subscriber');
    expect(sub.opening()[0]).toMatch(/^CONNECT \{.*\}\r\nSUB a\.b 1\r\n$/);
    const pub = new NatsAdapter(options('a.b')).session('publisher');
    expect(pub.opening()[0]).not.toContain('SUB');
    expect(pub.publish!('{"é":1}')).toBe('PUB a.b 8\r\n{"é":1}\r\n');
    const { seen, out } = collector();
    sub.read(Buffer.from("-ERR 'Invalid Subject'\r\n"), false, out);
    expect(seen.refused).toEqual(["nats-server said -ERR 'Invalid Subject'"]);
  });
});

describe('mqtt session', () => {
  const str = (s: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
  function remaining(n: number): number[] {
    const out: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return out;
  }
  const publish = (id: number, qos: 0 | 1, padBytes = 10) => {
    const payload = Buffer.from(JSON.stringify({ id, ts: 2000 + id, pad: 'p'.repeat(padBytes) }));
    const body = Buffer.concat([str('events'), qos ? Buffer.from([0, id]) : Buffer.alloc(0), payload]);
    return Buffer.concat([Buffer.from([0x30 | (qos << 1), ...remaining(body.length)]), body]);
  };

  it.each([[1], [5], [300]])('reads PUBLISH packets across and within frames (%i bytes), PUBACKs QoS 1', (size) => {
    const session = new MqttAdapter(options('events', { qos: 1 })).session('subscriber');
    const { seen, out } = collector();
    const bytes = Buffer.concat([
      Buffer.from([0x20, 2, 0, 0]),
      Buffer.from([0x90, 3, 0, 1, 1]),
      publish(1, 1),
      publish(2, 0, 200),
      publish(3, 1),
      Buffer.from([0xd0, 0]),
    ]);
    feed(session, out, bytes, size);
    expect(seen.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(seen.sent.map((b) => [...(b as Buffer)])).toEqual([
      [0x40, 2, 0, 1],
      [0x40, 2, 0, 3],
    ]);
    expect(seen.refused).toEqual([]);
  });

  it('CONNECT and SUBSCRIBE in the opening, PINGREQ as keepalive; a refused CONNACK and SUBACK say so', () => {
    const session = new MqttAdapter(options('a/#')).session('subscriber');
    const [opening] = session.opening() as Buffer[];
    expect(opening![0]).toBe(0x10);
    expect(opening!.includes(Buffer.from('MQTT'))).toBe(true);
    expect(opening!.includes(Buffer.from([0x82]))).toBe(true);
    expect([...(session.keepalive!.frame as Buffer)]).toEqual([0xc0, 0]);
    const { seen, out } = collector();
    session.read(Buffer.from([0x20, 2, 0, 5]), true, out);
    session.read(Buffer.from([0x90, 3, 0, 1, 0x80]), true, out);
    expect(seen.refused[0]).toMatch(/CONNACK 5 \(not authorized\)/);
    expect(seen.refused[1]).toMatch(/refused the subscription to "a\/#"/);
  });

  it('publishes QoS 1 with a packet id', () => {
    const pub = new MqttAdapter(options('t', { qos: 1 })).session('publisher');
    const frame = pub.publish!('{}') as Buffer;
    expect([...frame]).toEqual([0x32, 7, 0, 1, 0x74, 0, 1, 0x7b, 0x7d]);
  });
});

describe('mqtt 5 session', () => {
  const v5 = { protocolVersion: 5 };
  const adapter = (extra: Partial<GenericOptions> = {}) => new MqttAdapter(options('events', { mqttVersion: '5', qos: 1, ...extra }));
  /** The packets a client's opening holds, as a broker reads them. */
  function packets(bytes: Buffer[], version: 4 | 5): Packet[] {
    const seen: Packet[] = [];
    const p = parser({ protocolVersion: version });
    p.on('packet', (x: Packet) => seen.push(x));
    for (const b of bytes) p.parse(b);
    return seen;
  }
  const persistent = { clientId: 'evbench-c1', expiryS: 42 };

  it('CONNECT at level 5 with clean start, then SUBSCRIBE; a persistent session: clean start and an expiry first, clean start 0 and no SUBSCRIBE to resume', () => {
    const [connect, subscribe] = packets(adapter().session('subscriber').opening() as Buffer[], 5) as [IConnectPacket, ISubscribePacket];
    expect(connect).toMatchObject({ cmd: 'connect', protocolVersion: 5, clean: true, keepalive: 10 });
    expect(subscribe.subscriptions).toEqual([expect.objectContaining({ topic: 'events', qos: 1 })]);
    const first = packets(
      adapter({ qos: 0 })
        .session('subscriber', { ...persistent, resume: false })
        .opening() as Buffer[],
      5,
    );
    expect(first[0]).toMatchObject({ clientId: 'evbench-c1', clean: true, properties: { sessionExpiryInterval: 42 } });
    expect((first[1] as ISubscribePacket).subscriptions[0]!.qos).toBe(1); // a session that must queue asks for QoS 1
    const resume = packets(
      adapter()
        .session('subscriber', { ...persistent, resume: true })
        .opening() as Buffer[],
      5,
    );
    expect(resume).toEqual([expect.objectContaining({ cmd: 'connect', clientId: 'evbench-c1', clean: false })]);
    // 3.1.1 has no expiry: the session is kept by clean session 0, from the first connection on
    const v3 = packets(
      adapter({ mqttVersion: '3.1.1' })
        .session('subscriber', { ...persistent, resume: false })
        .opening() as Buffer[],
      4,
    );
    expect(v3[0]).toMatchObject({ protocolVersion: 4, clean: false, clientId: 'evbench-c1' });
    expect(v3[0]!).not.toHaveProperty('properties');
  });

  it('reads PUBLISH with properties across frames, PUBACKs QoS 1', () => {
    const session = adapter().session('subscriber');
    expect(session.confirms).toBe(false); // subscribed once CONNECT and SUBSCRIBE are sent, as before the SUBACK a hung client never reads
    const { seen, out } = collector();
    const publish = (id: number) =>
      generate(
        {
          cmd: 'publish',
          topic: 'events',
          qos: 1,
          messageId: id,
          dup: false,
          retain: false,
          payload: JSON.stringify({ id, ts: 3000 + id }),
          properties: { messageExpiryInterval: 60, userProperties: { k: 'v' }, contentType: 'application/json' },
        },
        v5,
      );
    const bytes = Buffer.concat([
      generate({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 10 } }, v5),
      generate({ cmd: 'suback', messageId: 1, granted: [1] }, v5),
      publish(7),
      publish(8),
      generate({ cmd: 'pingresp' }, v5),
    ]);
    feed(session, out, bytes, 3);
    expect(seen.subscribed).toBe(1);
    expect(seen.events.map((e) => e.id)).toEqual([7, 8]);
    expect(seen.events[0]!.intendedUs).toBe(3_007_000);
    expect(seen.sent.map((b) => [...(b as Buffer)])).toEqual([
      [0x40, 2, 0, 7],
      [0x40, 2, 0, 8],
    ]);
    expect(seen.refused).toEqual([]);
  });

  it('names the reason codes: CONNACK and SUBACK refusals, and the DISCONNECT that is the close reason', () => {
    const refusals = [
      [
        generate({ cmd: 'suback', messageId: 1, granted: [0x87] }, v5),
        'the broker refused the subscription to "events": SUBACK 0x87 (not authorized)',
      ],
      [
        generate({ cmd: 'connack', sessionPresent: false, reasonCode: 0x84, properties: { reasonString: 'v5 only here' } }, v5),
        'the broker refused the connection: CONNACK 0x84 (unsupported protocol version): "v5 only here"',
      ],
    ] as const;
    for (const [bytes, reason] of refusals) {
      const { seen, out } = collector();
      adapter().session('subscriber').read(bytes, true, out);
      expect(seen.refused).toEqual([reason]);
    }
    const { seen, out } = collector();
    adapter()
      .session('subscriber')
      .read(generate({ cmd: 'disconnect', reasonCode: 0x8e }, v5), true, out);
    adapter()
      .session('subscriber')
      .read(generate({ cmd: 'disconnect', reasonCode: 0 }, v5), true, out);
    expect(seen.closing).toEqual([
      'the broker sent DISCONNECT 0x8E (session taken over)',
      'the broker sent DISCONNECT 0x00 (normal disconnection)',
    ]);
    expect(seen.refused).toEqual([]);
  });

  it('resuming: a CONNACK with the session is the subscription; without it, the client subscribes anew and says so', () => {
    expect(adapter().session('subscriber', { ...persistent, resume: true }).confirms).toBe(true);
    const present = collector();
    adapter()
      .session('subscriber', { ...persistent, resume: true })
      .read(generate({ cmd: 'connack', sessionPresent: true, reasonCode: 0 }, v5), true, present.out);
    expect(present.seen.subscribed).toBe(1);
    expect(present.seen.sent).toEqual([]);
    const lost = collector();
    const session = adapter().session('subscriber', { ...persistent, resume: true });
    session.read(generate({ cmd: 'connack', sessionPresent: false, reasonCode: 0 }, v5), true, lost.out);
    expect(lost.seen.subscribed).toBe(0);
    expect(lost.seen.others).toEqual(['CONNACK without the session evbench-c1: the broker kept nothing for it']);
    expect(packets(lost.seen.sent as Buffer[], 5)).toEqual([expect.objectContaining({ cmd: 'subscribe' })]);
    session.read(generate({ cmd: 'suback', messageId: 1, granted: [1] }, v5), true, lost.out);
    expect(lost.seen.subscribed).toBe(1);
  });

  it('bytes that are not MQTT are a refusal once, then ignored', () => {
    const session = adapter().session('subscriber');
    const { seen, out } = collector();
    session.read(Buffer.from('HTTP/1.1 200 OK\r\n'), true, out);
    session.read(generate({ cmd: 'suback', messageId: 1, granted: [1] }, v5), true, out);
    expect(seen.refused).toHaveLength(1);
    expect(seen.refused[0]).toMatch(/^not MQTT 5: /);
    expect(seen.subscribed).toBe(0);
  });
});

describe('graphql-ws session', () => {
  it('subscribes only once acknowledged, reads next data, answers ping, reports errors', () => {
    const session = new GraphqlWsAdapter(options('subscription { e { id ts } }', { idField: 'e.id', timeField: 'e.ts' })).session(
      'subscriber',
    );
    const { seen, out } = collector();
    expect(session.opening()).toEqual(['{"type":"connection_init","payload":{}}']);
    expect(session.confirms).toBe(true);
    session.read(Buffer.from('{"type":"connection_ack"}'), false, out);
    expect(JSON.parse(seen.sent[0] as string)).toEqual({ id: '1', type: 'subscribe', payload: { query: 'subscription { e { id ts } }' } });
    expect(seen.subscribed).toBe(1);
    session.read(Buffer.from('{"id":"1","type":"next","payload":{"data":{"e":{"id":7,"ts":3}}}}'), false, out);
    session.read(Buffer.from('{"type":"ping"}'), false, out);
    session.read(Buffer.from('{"id":"1","type":"error","payload":[{"message":"no"}]}'), false, out);
    expect(seen.events).toEqual([{ id: 7, intendedUs: 3000 }]);
    expect(seen.sent[1]).toBe('{"type":"pong"}');
    expect(seen.refused).toEqual(['the subscription failed: [{"message":"no"}]']);
  });
});

describe('actioncable session', () => {
  it('subscribes when welcomed, is subscribed when confirmed, reads message, ignores pings, performs publish', () => {
    const identifier = '{"channel":"EventsChannel"}';
    const session = new ActionCableAdapter(options(identifier)).session('subscriber');
    const { seen, out } = collector();
    session.read(Buffer.from('{"type":"welcome"}'), false, out);
    expect(JSON.parse(seen.sent[0] as string)).toEqual({ command: 'subscribe', identifier });
    session.read(Buffer.from('{"type":"ping","message":1}'), false, out);
    session.read(Buffer.from(JSON.stringify({ identifier, type: 'confirm_subscription' })), false, out);
    session.read(Buffer.from(JSON.stringify({ identifier, message: { id: 4, ts: 5 } })), false, out);
    session.read(Buffer.from(JSON.stringify({ identifier, type: 'reject_subscription' })), false, out);
    expect(seen.subscribed).toBe(1);
    expect(seen.events).toEqual([{ id: 4, intendedUs: 5000 }]);
    expect(seen.refused).toEqual([`ActionCable rejected the subscription to ${identifier}`]);
    expect(seen.sent).toHaveLength(1);
    expect(JSON.parse(session.publish!('{"id":1,"ts":2}') as string)).toEqual({
      command: 'message',
      identifier,
      data: '{"action":"publish","id":1,"ts":2}',
    });
  });
});
