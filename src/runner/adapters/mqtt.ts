// MQTT 3.1.1 over websocket (subprotocol `mqtt`), the few packets a subscriber and a publisher need:
// CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH (QoS 0 and 1) and PUBACK, PINGREQ/PINGRESP. Written
// here rather than taken from `mqtt-packet`: about a hundred lines, no dependency, and the bytes
// come straight from evbench's own frame reader (packets span and share websocket frames).
import { randomBytes } from 'node:crypto';
import { newScannedEvent, type ScannedEvent } from '../../measurement/frameScan.js';
import type { GenericOptions } from '../../scenario/types.js';
import type { FrameKind, WireAdapter, WireOutput, WireSession } from './adapter.js';
import { GenericAdapter } from './generic.js';

const EMPTY = Buffer.alloc(0);
/** Seconds the broker waits for a packet from the client before closing it (1.5× by the spec). */
export const MQTT_KEEPALIVE_S = 10;
const CONNACK_CODES = [
  'accepted',
  'unacceptable protocol version',
  'identifier rejected',
  'server unavailable',
  'bad user name or password',
  'not authorized',
];

export class MqttAdapter implements WireAdapter {
  readonly acks = false;
  readonly protocols = ['mqtt'];
  private readonly json: GenericAdapter;

  constructor(private readonly options: GenericOptions) {
    this.json = new GenericAdapter(options);
  }

  subscribeMessage(): undefined {
    return undefined;
  }

  read(data: Buffer, out: ScannedEvent): FrameKind {
    return this.json.read(data, out);
  }

  session(role: 'subscriber' | 'publisher'): WireSession {
    return new MqttSession(this.json, this.options.topic ?? '#', this.options.qos ?? 0, role);
  }
}

/** Remaining Length (§2.2.3): 7 bits a byte, high bit = more. */
function lengthBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function packet(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, ...lengthBytes(body.length)]), body]);
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const PINGREQ = Buffer.from([0xc0, 0x00]);

class MqttSession implements WireSession {
  private pending: Buffer = EMPTY;
  private readonly ev = newScannedEvent();
  private nextPacketId = 1;
  readonly keepalive = { intervalMs: (MQTT_KEEPALIVE_S * 1000) / 2, frame: PINGREQ };

  constructor(
    private readonly json: GenericAdapter,
    private readonly topic: string,
    private readonly qos: 0 | 1,
    private readonly role: 'subscriber' | 'publisher',
  ) {}

  opening(): Buffer[] {
    const clientId = `evbench-${randomBytes(6).toString('hex')}`;
    // protocol name, level 4 (3.1.1), clean session, keepalive
    const connect = packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02]), u16(MQTT_KEEPALIVE_S), str(clientId)]));
    if (this.role === 'publisher') return [connect];
    const subscribe = packet(0x82, Buffer.concat([u16(this.packetId()), str(this.topic), Buffer.from([this.qos])]));
    return [Buffer.concat([connect, subscribe])];
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = (id % 0xffff) + 1;
    return id;
  }

  publish(body: string): Buffer {
    const head = this.qos === 1 ? Buffer.concat([str(this.topic), u16(this.packetId())]) : str(this.topic);
    return packet(0x30 | (this.qos << 1), Buffer.concat([head, Buffer.from(body)]));
  }

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    const b = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    let off = 0;
    while (off + 2 <= b.length) {
      let len = 0;
      let mult = 1;
      let i = off + 1;
      for (; i < b.length && i < off + 5; i++) {
        len += (b[i]! & 0x7f) * mult;
        mult *= 128;
        if ((b[i]! & 0x80) === 0) break;
      }
      if (i >= b.length) break; // length bytes still arriving
      if (i === off + 5)
        return out.refused(`not MQTT: a remaining length over 4 bytes at ${JSON.stringify(b.toString('latin1', off, off + 16))}`);
      const start = i + 1;
      if (b.length < start + len) break;
      this.packet(b[off]!, b.subarray(start, start + len), out);
      off = start + len;
    }
    this.pending = off < b.length ? Buffer.from(b.subarray(off)) : EMPTY;
  }

  private packet(header: number, body: Buffer, out: WireOutput): void {
    switch (header >> 4) {
      case 3: {
        // PUBLISH: topic, packet id when QoS > 0, payload
        const qos = (header >> 1) & 3;
        const topicLen = body.readUInt16BE(0);
        let at = 2 + topicLen;
        if (qos > 0) {
          out.send(Buffer.concat([Buffer.from([0x40, 0x02]), body.subarray(at, at + 2)])); // PUBACK
          at += 2;
        }
        const payload = body.subarray(at);
        if (this.json.read(payload, this.ev) === 'event') out.event(this.ev);
        else out.other(payload);
        return;
      }
      case 2: // CONNACK
        if (body[1] !== 0) out.refused(`the broker refused the connection: CONNACK ${body[1]} (${CONNACK_CODES[body[1]!] ?? 'unknown'})`);
        return;
      case 9: // SUBACK
        if (body.subarray(2).includes(0x80)) out.refused(`the broker refused the subscription to "${this.topic}" (SUBACK 0x80)`);
        return;
      case 4: // PUBACK to our QoS 1 publish
      case 13: // PINGRESP
        return;
      default:
        out.other(Buffer.from(`MQTT packet type ${header >> 4}`));
    }
  }
}
