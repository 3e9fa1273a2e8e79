// Reads the few fields a client needs (id, intended time, actual send time) straight from a raw
// v0 event frame, without JSON.parse: on the hot path a full parse per event costs several times
// more than all the accounting together (see BENCHMARKS.md). The fast path walks the field order
// evbench serve writes; any other order falls back to searching. Non-event frames return false.
// The one search on the fast path (event_at, past the uuids) is done here in JavaScript: a native
// Buffer#indexOf costs more to call than this takes to skip the ~150 bytes before the field.
import { lastIsoEnd, usFromIsoBytes } from '../clock.js';

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
const ID_AFTER_MSGID = Buffer.from(',"id":');
/** A needle to search for, with its Horspool table: how far a window may move past its last byte. */
export interface Needle {
  bytes: Buffer;
  shifts: Uint8Array;
}

/** `text` (ASCII, under 256 bytes) ready for {@link findFrom}. */
export function needleOf(text: string): Needle {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length === 0 || bytes.length > 255) throw new Error(`a needle of ${bytes.length} bytes`);
  const shifts = new Uint8Array(256).fill(bytes.length);
  for (let j = 0; j < bytes.length - 1; j++) shifts[bytes[j]!] = bytes.length - 1 - j;
  return { bytes, shifts };
}

/**
 * Where `needle` first occurs in `buf` at or after `from` (≥ 0), or -1: what `buf.indexOf(needle.bytes,
 * from)` answers (Boyer–Moore–Horspool, which finds the leftmost match), without the call into C++.
 */
export function findFrom(buf: Uint8Array, needle: Needle, from: number): number {
  const { bytes, shifts } = needle;
  const last = bytes.length - 1;
  const lastByte = bytes[last]!;
  const end = buf.length - last;
  for (let i = from; i < end;) {
    const b = buf[i + last]!;
    if (b === lastByte) {
      let j = last - 1;
      while (j >= 0 && buf[i + j] === bytes[j]) j--;
      if (j < 0) return i;
    }
    i += shifts[b]!;
  }
  return -1;
}

const EVENT_AT_NEEDLE = needleOf('"event_at":"');
const EVENT_AT = EVENT_AT_NEEDLE.bytes;
const SENT_US = Buffer.from('"sent_us":');
const SENT_AFTER_EVENT_AT = Buffer.from('","properties":{"sent_us":');

/** Where the last uint read ended (readUint's second result, kept out of an allocation). */
let readEnd = 0;

function readUint(buf: Buffer, at: number): number {
  let n = 0;
  let i = at;
  const len = buf.length;
  for (; i < len; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  readEnd = i;
  return i === at ? NaN : n;
}

function matchAt(buf: Buffer, at: number, needle: Buffer): boolean {
  if (at + needle.length > buf.length) return false;
  for (let j = 0; j < needle.length; j++) if (buf[at + j] !== needle[j]) return false;
  return true;
}

/**
 * The JSON string's timestamp at `at`, in epoch µs: NaN unless the string holds one RFC 3339 time and
 * nothing else (a frame cut short right after the time still gives it, as a cut-short id does).
 */
function readIsoUs(buf: Buffer, at: number): number {
  const us = usFromIsoBytes(buf, at);
  const end = lastIsoEnd();
  if (Number.isNaN(us) || (end < buf.length && buf[end] !== 34) /* " */) return NaN;
  readEnd = end;
  return us;
}

/** True when `buf` is an event frame; fills `out`. */
export function scanEvent(buf: Buffer, out: ScannedEvent): boolean {
  if (buf.length < 20 || !matchAt(buf, 0, MSGID)) return false;
  out.msgId = readUint(buf, MSGID.length);
  let at: number;
  if (matchAt(buf, readEnd, ID_AFTER_MSGID)) {
    at = readEnd + ID_AFTER_MSGID.length;
  } else {
    const found = buf.indexOf(ID, MSGID.length);
    if (found < 0) return false;
    at = found + ID.length;
  }
  out.id = readUint(buf, at);
  if (Number.isNaN(out.id)) return false;
  let atAt = findFrom(buf, EVENT_AT_NEEDLE, readEnd);
  if (atAt < 0) atAt = buf.indexOf(EVENT_AT, MSGID.length); // another server may put it before the id
  if (atAt < 0) {
    out.intendedUs = NaN;
    out.sentUs = NaN;
    return true;
  }
  const timeAt = atAt + EVENT_AT.length;
  out.intendedUs = readIsoUs(buf, timeAt);
  const close = Number.isNaN(out.intendedUs) ? -1 : readEnd;
  if (close >= 0 && matchAt(buf, close, SENT_AFTER_EVENT_AT)) {
    out.sentUs = readUint(buf, close + SENT_AFTER_EVENT_AT.length);
  } else {
    let sentAt = buf.indexOf(SENT_US, timeAt);
    if (sentAt < 0) sentAt = buf.indexOf(SENT_US, MSGID.length); // properties may come before event_at
    out.sentUs = sentAt < 0 ? NaN : readUint(buf, sentAt + SENT_US.length);
  }
  return true;
}

export function newScannedEvent(): ScannedEvent {
  return { msgId: 0, id: 0, intendedUs: 0, sentUs: 0 };
}
