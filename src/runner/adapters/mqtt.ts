// MQTT 3.1.1 and 5 over websocket (subprotocol `mqtt`). Packets are parsed and built by
// `mqtt-packet` (the codec mqtt.js uses), fed the bytes evbench's own frame reader takes off the
// socket, so every event is stamped when its chunk arrived (packets span and share frames); this
// file holds the conversation: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH at QoS 0 and 1 with
// PUBACK, PINGREQ, v5's reason codes by name, the broker's DISCONNECT, and persistent sessions.
import { randomBytes } from 'node:crypto';
import { generate, parser, type Packet, type Parser } from 'mqtt-packet';
import { newScannedEvent } from '../../measurement/frameScan.js';
import type { PersistentSession, WireOutput, WireSession } from './adapter.js';
import type { GenericAdapter } from './generic.js';
import { SessionAdapter } from './session.js';

/** Seconds the broker waits for a packet from the client before closing it (1.5× by the spec). */
export const MQTT_KEEPALIVE_S = 10;
const PINGREQ = Buffer.from([0xc0, 0x00]);

/** 3.1.1's CONNACK return codes (§3.2.2.3). */
const CONNACK_V3 = [
  'accepted',
  'unacceptable protocol version',
  'identifier rejected',
  'server unavailable',
  'bad user name or password',
  'not authorized',
];

/** MQTT 5's reason codes (§2.4) that a broker sends a subscriber or publisher: CONNACK, SUBACK, DISCONNECT. */
const REASONS_V5: Record<number, string> = {
  0x00: 'success',
  0x01: 'granted QoS 1',
  0x02: 'granted QoS 2',
  0x04: 'disconnect with will message',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8b: 'server shutting down',
  0x8c: 'bad authentication method',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x93: 'receive maximum exceeded',
  0x94: 'topic alias invalid',
  0x95: 'packet too large',
  0x96: 'message rate too high',
  0x97: 'quota exceeded',
  0x98: 'administrative action',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9e: 'shared subscriptions not supported',
  0x9f: 'connection rate exceeded',
  0xa0: 'maximum connect time',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

const hex = (code: number): string => `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;

/** A reason code as the spec names it, e.g. `0x87 (not authorized)`, with the broker's reason string if it gave one. */
export function mqttReason(version: MqttVersion, code: number, reasonString?: string): string {
  const name = version === '5' ? REASONS_V5[code] : CONNACK_V3[code];
  return `${version === '5' ? hex(code) : code} (${name ?? 'unknown'})${reasonString ? `: "${reasonString.slice(0, 160)}"` : ''}`;
}

export type MqttVersion = '3.1.1' | '5';

export class MqttAdapter extends SessionAdapter {
  readonly protocols = ['mqtt'];

  session(role: 'subscriber' | 'publisher', persistent?: PersistentSession): WireSession {
    return new MqttSession(this.json, {
      topic: this.options.topic ?? '#',
      // a session that must queue what it misses asks for QoS 1: a broker keeps no QoS 0 message for an absent client
      qos: persistent ? 1 : (this.options.qos ?? 0),
      version: this.options.mqttVersion ?? '3.1.1',
      role,
      persistent,
    });
  }
}

interface SessionSpec {
  topic: string;
  qos: 0 | 1;
  version: MqttVersion;
  role: 'subscriber' | 'publisher';
  persistent?: PersistentSession;
}

class MqttSession implements WireSession {
  /** mqtt-packet's parser keeps the bytes of a packet split over messages (a list of the buffers it was given). */
  readonly keepsInput = true;
  /**
   * Only a resumed session waits for the broker (its CONNACK says whether the session, and so the
   * subscription, is still there). A new one counts as subscribed once CONNECT and SUBSCRIBE are
   * sent, as a client that hangs right after subscribing does: the broker still takes the
   * subscription, and a stalled client reads nothing, not even what came with the SUBACK.
   */
  readonly confirms: boolean;
  readonly keepalive = { intervalMs: (MQTT_KEEPALIVE_S * 1000) / 2, frame: PINGREQ };
  private readonly ev = newScannedEvent();
  private readonly codec: { protocolVersion: 4 | 5 };
  private readonly parser: Parser;
  /** Where the packets being parsed report (the parser emits them during `read`). */
  private out?: WireOutput;
  private broken = false;
  private nextPacketId = 1;

  constructor(
    private readonly json: GenericAdapter,
    private readonly spec: SessionSpec,
  ) {
    this.confirms = spec.persistent?.resume === true;
    this.codec = { protocolVersion: spec.version === '5' ? 5 : 4 };
    this.parser = parser(this.codec);
    this.parser.on('packet', (p: Packet) => this.packet(p, this.out!));
    this.parser.on('error', (err: Error) => {
      this.broken = true;
      this.out?.refused(`not MQTT ${spec.version}: ${err.message}`);
    });
  }

  opening(): Buffer[] {
    const { persistent, version } = this.spec;
    const connect = generate(
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: this.codec.protocolVersion,
        clientId: persistent?.clientId ?? `evbench-${randomBytes(6).toString('hex')}`,
        // 3.1.1 keeps a session only without clean session; 5 starts a new one (clean start) and keeps it for the expiry
        clean: persistent ? version === '5' && !persistent.resume : true,
        keepalive: MQTT_KEEPALIVE_S,
        ...(persistent && version === '5' ? { properties: { sessionExpiryInterval: persistent.expiryS } } : {}),
      },
      this.codec,
    );
    // a resumed session still holds its subscription: subscribing again waits for the CONNACK to say it was lost
    if (this.spec.role === 'publisher' || persistent?.resume) return [connect];
    return [Buffer.concat([connect, this.subscribe()])];
  }

  private subscribe(): Buffer {
    return generate(
      { cmd: 'subscribe', messageId: this.packetId(), subscriptions: [{ topic: this.spec.topic, qos: this.spec.qos }] },
      this.codec,
    );
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = (id % 0xffff) + 1;
    return id;
  }

  publish(body: string): Buffer {
    const { topic, qos } = this.spec;
    return generate(
      { cmd: 'publish', topic, payload: body, qos, dup: false, retain: false, ...(qos ? { messageId: this.packetId() } : {}) },
      this.codec,
    );
  }

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    if (this.broken) return;
    this.out = out;
    this.parser.parse(data);
  }

  private packet(p: Packet, out: WireOutput): void {
    const { version, topic } = this.spec;
    switch (p.cmd) {
      case 'publish': {
        // PUBACK as it is read: 4 bytes, the same in 3.1.1 and 5 (reason "success" and no properties may be left out)
        if (p.qos > 0) out.send(Buffer.from([0x40, 0x02, p.messageId! >> 8, p.messageId! & 0xff]));
        const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
        if (this.json.read(payload, this.ev) === 'event') out.event(this.ev);
        else out.other(payload);
        return;
      }
      case 'connack': {
        const code = (version === '5' ? p.reasonCode : p.returnCode) ?? 0;
        if (code !== 0)
          return out.refused(`the broker refused the connection: CONNACK ${mqttReason(version, code, p.properties?.reasonString)}`);
        if (!this.spec.persistent?.resume) return;
        if (p.sessionPresent) return out.subscribed();
        // the broker kept no session (expired, restarted, or never made): subscribe anew; what it would have queued is missing
        out.other(Buffer.from(`CONNACK without the session ${this.spec.persistent.clientId}: the broker kept nothing for it`));
        return out.send(this.subscribe());
      }
      case 'suback': {
        const code = p.granted[0] as number;
        // 3.1.1 refuses with 0x80; 5 with any reason code from 0x80 (0x87 not authorized, 0x8F topic filter invalid, …)
        if (code >= 0x80)
          return out.refused(
            `the broker refused the subscription to "${topic}": SUBACK ${version === '5' ? mqttReason(version, code, p.properties?.reasonString) : '0x80 (failure)'}`,
          );
        if (code < this.spec.qos) out.other(Buffer.from(`SUBACK granted QoS ${code} for QoS ${this.spec.qos} on "${topic}"`));
        return out.subscribed();
      }
      case 'disconnect': {
        // MQTT 5: the broker says why it closes (0x00 here is a normal disconnection, not a success)
        const code = p.reasonCode ?? 0;
        const reason = code === 0 ? '0x00 (normal disconnection)' : mqttReason(version, code, p.properties?.reasonString);
        return out.closing(`the broker sent DISCONNECT ${reason}`);
      }
      case 'puback': // to our QoS 1 publish
      case 'pingresp':
        return;
      default:
        out.other(Buffer.from(`MQTT ${p.cmd} packet`));
    }
  }
}
