// Reads the few fields a client needs (id, intended time, actual send time) straight from a raw
// v0 event frame, without JSON.parse: on the hot path a full parse per event costs several times
// more than all the accounting together (see BENCHMARKS.md). The fast path walks the field order
// evbench serve writes; any other order falls back to searching. Non-event frames return false.
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
const ID_AFTER_MSGID = Buffer.from(',"id":');
const EVENT_AT = Buffer.from('"event_at":"');
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

// the minute prefix "YYYY-MM-DDTHH:MM" of the last timestamp, and its epoch µs
const cachedPrefix = Buffer.alloc(16);
let cachedPrefixUs = NaN;

/** Parses `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` starting at `at`; returns epoch µs (NaN if malformed). */
function readIsoUs(buf: Buffer, at: number): number {
  if (at + 20 > buf.length) return NaN;
  let same = cachedPrefixUs === cachedPrefixUs;
  for (let j = 0; same && j < 16; j++) if (buf[at + j] !== cachedPrefix[j]) same = false;
  if (!same) {
    const end = buf.indexOf(34 /* " */, at);
    const us = usFromIso(buf.toString('latin1', at, end < 0 ? buf.length : end));
    if (Number.isNaN(us)) return NaN;
    // the minute's start, from the full value: subtract the seconds part read back from the bytes
    const within = secondsUs(buf, at + 17);
    if (Number.isNaN(within)) return us;
    buf.copy(cachedPrefix, 0, at, at + 16);
    cachedPrefixUs = us - within;
    return us;
  }
  const s = secondsUs(buf, at + 17);
  return Number.isNaN(s) ? NaN : cachedPrefixUs + s;
}

/** `SS[.ffffff]Z` → µs within the minute. */
function secondsUs(buf: Buffer, at: number): number {
  const s1 = buf[at]! - 48;
  const s2 = buf[at + 1]! - 48;
  if (s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9) return NaN;
  let us = (s1 * 10 + s2) * 1_000_000;
  let i = at + 2;
  if (buf[i] === 46 /* . */) {
    let scale = 100_000;
    for (i++; i < buf.length; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) break;
      if (scale >= 1) us += d * scale;
      scale /= 10;
    }
  }
  readEnd = i + 1; // just past the Z
  return buf[i] === 90 /* Z */ ? Math.floor(us) : NaN;
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
  let atAt = buf.indexOf(EVENT_AT, readEnd);
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
