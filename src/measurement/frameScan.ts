// Reads the few fields a client needs (id, intended time, actual send time) straight from a raw
// v0 event frame, without JSON.parse: on the hot path a full parse per event costs more than all
// the accounting together (see BENCHMARKS.md). Frames that are not events return false.
import { usFromIso } from '../clock.js';

export interface ScannedEvent {
  msgId: number;
  id: number;
  /** Intended publish time (event_at), epoch µs. */
  intendedUs: number;
  /** Actual send time the publisher put in properties.sent_us, or NaN. */
  sentUs: number;
}

const MSGID = Buffer.from('{"msgID":');
const ID = Buffer.from('"id":');
const EVENT_AT = Buffer.from('"event_at":"');
const SENT_US = Buffer.from('"sent_us":');

function readUint(buf: Buffer, at: number): number {
  let n = 0;
  let i = at;
  for (; i < buf.length; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return i === at ? NaN : n;
}

/** True when `buf` is an event frame; fills `out`. */
export function scanEvent(buf: Buffer, out: ScannedEvent): boolean {
  if (buf.length < 20 || buf.compare(MSGID, 0, MSGID.length, 0, MSGID.length) !== 0) return false;
  out.msgId = readUint(buf, MSGID.length);
  const idAt = buf.indexOf(ID, MSGID.length);
  if (idAt < 0) return false;
  out.id = readUint(buf, idAt + ID.length);
  const atAt = buf.indexOf(EVENT_AT, idAt);
  if (atAt < 0) {
    out.intendedUs = NaN;
  } else {
    const start = atAt + EVENT_AT.length;
    const end = buf.indexOf(34 /* " */, start);
    out.intendedUs = end < 0 ? NaN : usFromIso(buf.toString('latin1', start, end));
  }
  const sentAt = buf.indexOf(SENT_US, atAt < 0 ? idAt : atAt);
  out.sentUs = sentAt < 0 ? NaN : readUint(buf, sentAt + SENT_US.length);
  return !Number.isNaN(out.id);
}

export function newScannedEvent(): ScannedEvent {
  return { msgId: 0, id: 0, intendedUs: 0, sentUs: 0 };
}
