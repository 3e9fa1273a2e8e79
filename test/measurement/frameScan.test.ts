// The raw-frame scanner against JSON.parse: for any event the server (or another one) may write, in
// its field order or another, it reads the same id, intended time and send time.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { usFromIso } from '../../src/clock.js';
import { findFrom, needleOf, newScannedEvent, scanEvent } from '../../src/measurement/frameScan.js';
import { rfc3339Us } from '../support/rfc3339.js';

const frameAt = (time: string, sentUs = 3): Buffer =>
  Buffer.from(`{"msgID":1,"id":2,"event_at":"${time}","properties":{"sent_us":${sentUs}}}`);

const iso = (us: number): string => {
  const ms = Math.floor(us / 1000);
  const frac = String(us % 1_000_000).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
};

const eventArb = fc.record({
  msgId: fc.integer({ min: 1, max: 2 ** 31 }),
  id: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  // 2001 … 2100, µs precision
  atUs: fc.integer({ min: 978_307_200_000_000, max: 4_102_444_800_000_000 }),
  sentUs: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
  pad: fc.string({ maxLength: 40 }),
  order: fc.constantFrom('server', 'shuffled', 'time-first'),
});

function frameOf(e: { msgId: number; id: number; atUs: number; sentUs?: number; pad: string; order: string }): string {
  const props =
    e.sentUs === undefined ? { pad: e.pad } : e.order === 'server' ? { sent_us: e.sentUs, pad: e.pad } : { pad: e.pad, sent_us: e.sentUs };
  if (e.order === 'server') {
    return JSON.stringify({
      msgID: e.msgId,
      id: e.id,
      uuid: 'u',
      object_uuid: 'o',
      object_owner_uuid: 'g',
      object_kind: 'k',
      event_type: 'update',
      event_at: iso(e.atUs),
      properties: props,
    });
  }
  if (e.order === 'time-first') return JSON.stringify({ msgID: e.msgId, event_at: iso(e.atUs), uuid: 'u', id: e.id, properties: props });
  return JSON.stringify({ msgID: e.msgId, uuid: 'u', event_type: 'update', id: e.id, properties: props, event_at: iso(e.atUs) });
}

describe('scanEvent', () => {
  it('reads what JSON.parse reads, in any field order', () => {
    const out = newScannedEvent();
    fc.assert(
      fc.property(eventArb, (e) => {
        const text = frameOf(e);
        const parsed = JSON.parse(text) as { msgID: number; id: number; event_at: string; properties: { sent_us?: number } };
        expect(scanEvent(Buffer.from(text), out)).toBe(true);
        expect(out.msgId).toBe(parsed.msgID);
        expect(out.id).toBe(parsed.id);
        expect(out.intendedUs).toBe(usFromIso(parsed.event_at));
        expect(out.intendedUs).toBe(e.atUs);
        if (parsed.properties.sent_us === undefined) expect(out.sentUs).toBeNaN();
        else expect(out.sentUs).toBe(parsed.properties.sent_us);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('whole seconds and short fractions', () => {
    const out = newScannedEvent();
    for (const [t, us] of [
      ['2026-11-26T14:45:48Z', Date.parse('2026-11-26T14:45:48Z') * 1000],
      ['2026-11-26T14:45:48.5Z', Date.parse('2026-11-26T14:45:48Z') * 1000 + 500_000],
      ['2026-11-26T14:45:48.000001Z', Date.parse('2026-11-26T14:45:48Z') * 1000 + 1],
      ['2026-11-26T14:45:48.1234567Z', Date.parse('2026-11-26T14:45:48Z') * 1000 + 123_456],
    ] as const) {
      expect(scanEvent(Buffer.from(`{"msgID":1,"id":2,"event_at":"${t}","properties":{"sent_us":9}}`), out)).toBe(true);
      expect(out.intendedUs, t).toBe(us);
      expect(out.sentUs).toBe(9);
    }
  });

  it('not an event: status messages, short frames, no id, a non-numeric id', () => {
    const out = newScannedEvent();
    expect(scanEvent(Buffer.from('{"status":200,"last_log_id":5}'), out)).toBe(false);
    expect(scanEvent(Buffer.from('{"msgID":1,"id":2}'), out)).toBe(false); // under 20 bytes
    expect(scanEvent(Buffer.from('{"msgID":1,"uuid":"no id here at all"}'), out)).toBe(false);
    expect(scanEvent(Buffer.from('{"msgID":1,"id":"x","event_at":"2026-11-26T14:45:48Z"}'), out)).toBe(false);
  });

  it('the shortest frames: 20 bytes with an id is an event, under 20 is not', () => {
    const out = newScannedEvent();
    const shortest = Buffer.from('{"msgID":1,"id":234}');
    expect(shortest.length).toBe(20);
    expect(scanEvent(shortest, out)).toBe(true);
    expect(out).toMatchObject({ msgId: 1, id: 234 });
    expect(scanEvent(Buffer.from('{"msgID":1,"id":23}'), out)).toBe(false);
  });

  it('an event without a time: id read, times NaN', () => {
    const out = newScannedEvent();
    expect(scanEvent(Buffer.from('{"msgID":12,"id":345,"uuid":"abc","properties":{}}'), out)).toBe(true);
    expect(out.msgId).toBe(12);
    expect(out.id).toBe(345);
    expect(out.intendedUs).toBeNaN();
    expect(out.sentUs).toBeNaN();
  });

  it('a malformed time: NaN, and the next frame in the same minute is read right (the cached prefix is not poisoned)', () => {
    const out = newScannedEvent();
    for (const bad of ['2026-11-26T14:45:7x.0Z', '2026-11-26T14:45:48.0X', '2026-11-26T14:45:4', '2026-13-45T99:99:00Z']) {
      expect(scanEvent(Buffer.from(`{"msgID":1,"id":2,"event_at":"${bad}","properties":{"sent_us":3}}`), out)).toBe(true);
      expect(out.intendedUs, bad).toBeNaN();
    }
    expect(scanEvent(Buffer.from('{"msgID":1,"id":2,"event_at":"2026-11-26T14:45:49.25Z","properties":{"sent_us":3}}'), out)).toBe(true);
    expect(out.intendedUs).toBe(Date.parse('2026-11-26T14:45:49Z') * 1000 + 250_000);
  });

  it('events in one minute: its date is converted once; a new minute, or a bad time, converts in full', () => {
    const out = newScannedEvent();
    const conversions = vi.spyOn(Date.prototype, 'setUTCFullYear');
    try {
      const minuteUs = Date.parse('2031-02-03T04:05:00Z') * 1000;
      for (const [t, us] of [
        ['2031-02-03T04:05:06Z', minuteUs + 6_000_000],
        ['2031-02-03T04:05:17.5Z', minuteUs + 17_500_000],
        ['2031-02-03T04:05:59.999999Z', minuteUs + 59_999_999],
        ['2031-02-03T04:05:00.000001Z', minuteUs + 1],
        ['2031-02-03T04:05:41Z', minuteUs + 41_000_000],
        ['2031-02-03T04:05:41.5+00:00', minuteUs + 41_500_000],
      ] as const) {
        expect(scanEvent(frameAt(t), out)).toBe(true);
        expect(out.intendedUs, t).toBe(us);
      }
      expect(conversions).toHaveBeenCalledTimes(1);
      expect(scanEvent(frameAt('2031-02-03T04:06:00Z'), out)).toBe(true); // the next minute
      expect(scanEvent(frameAt('2031-02-03T04:06:30Z'), out)).toBe(true);
      expect(conversions).toHaveBeenCalledTimes(2);
      // a minute the parser rejects does not replace the cached one
      scanEvent(frameAt('2031-02-30T04:06:30Z'), out);
      expect(out.intendedUs).toBeNaN();
      expect(scanEvent(frameAt('2031-02-03T04:06:31Z'), out)).toBe(true);
      expect(out.intendedUs).toBe(Date.parse('2031-02-03T04:06:31Z') * 1000);
      expect(conversions).toHaveBeenCalledTimes(3);
    } finally {
      conversions.mockRestore();
    }
  });

  it('a time reads as a strict RFC 3339 reader reads it, in the cached minute or not, good or malformed', () => {
    const out = newScannedEvent();
    const minute = '2032-05-06T07:08';
    const texts: string[] = [];
    for (const s1 of ['/', '0', '5', '6', '7']) {
      for (const s2 of ['/', '0', '9', ':']) {
        for (const rest of ['Z', '.5Z', '.Z', '.123456Z', '.1234567Z', '.5X', '.5/Z', 'X', '+01:00', '-00:30', '+01', 'Zx'])
          texts.push(`${minute}:${s1}${s2}${rest}`);
      }
    }
    for (const cached of [`${minute}:00Z`, '2032-05-06T07:09:00Z']) {
      for (const text of texts) {
        expect(scanEvent(frameAt(cached), out)).toBe(true);
        expect(scanEvent(frameAt(text), out)).toBe(true);
        expect(out.intendedUs, `${text} after ${cached}`).toBe(rfc3339Us(text));
      }
    }
    expect(texts.filter((t) => !Number.isNaN(rfc3339Us(t))).length).toBeGreaterThan(20); // both kinds are tried
    expect(texts.filter((t) => Number.isNaN(rfc3339Us(t))).length).toBeGreaterThan(20);
  });

  it('a value that runs to the end of the frame is read whole; a time cut short is not a time', () => {
    const out = newScannedEvent();
    expect(scanEvent(Buffer.from('{"msgID":1,"uuid":"u","id":2345'), out)).toBe(true);
    expect(out.id).toBe(2345);
    expect(scanEvent(Buffer.from('{"msgID":1,"id":2,"event_at":"2026-11-26T14:45:48Z","properties":{"sent_us":77'), out)).toBe(true);
    expect(out.sentUs).toBe(77);
    // a minute not seen before (parsed in full) and then the same minute again (from the cache)
    for (const time of ['2033-01-02T03:04:05Z', '2033-01-02T03:04:06Z']) {
      expect(scanEvent(Buffer.from(`{"msgID":1,"id":2,"event_at":"${time}`), out)).toBe(true);
      expect(out.intendedUs, time).toBe(Date.parse(time) * 1000);
      expect(scanEvent(Buffer.from(`{"msgID":1,"id":2,"event_at":"${time.slice(0, -1)}`), out)).toBe(true);
      expect(out.intendedUs, time).toBeNaN();
    }
  });

  it('reads what JSON.parse reads when the fields before event_at hold anything, the key itself included', () => {
    const out = newScannedEvent();
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('"event_at":"', 'event_at', '\\"event_at\\":\\"x', ':"', ''));
    fc.assert(
      fc.property(eventArb, value, value, value, value, (e, uuid, objectUuid, owner, kind) => {
        const text = JSON.stringify({
          msgID: e.msgId,
          id: e.id,
          uuid,
          object_uuid: objectUuid,
          object_owner_uuid: owner,
          object_kind: kind,
          event_type: 'update',
          event_at: iso(e.atUs),
          properties: { sent_us: e.sentUs ?? 1, event_at: 'not this one' },
        });
        expect(scanEvent(Buffer.from(text), out)).toBe(true);
        expect(out.id).toBe(e.id);
        expect(out.intendedUs).toBe(e.atUs);
        expect(out.sentUs).toBe(e.sentUs ?? 1);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});

describe('findFrom', () => {
  it('answers what Buffer#indexOf answers, found or not, from any offset (property)', () => {
    // few distinct bytes, so needles occur, occur twice, overlap themselves and nearly occur
    const bytesArb = fc.array(fc.constantFrom(...'"e_at:xa'), { maxLength: 200, size: 'large' }).map((cs) => cs.join(''));
    const needleArb = fc.array(fc.constantFrom(...'"e_at:xa'), { minLength: 1, maxLength: 14 }).map((cs) => cs.join(''));
    let found = 0;
    let absent = 0;
    fc.assert(
      fc.property(bytesArb, needleArb, fc.nat(), fc.nat(), fc.nat(), (text, random, cut, mutateSeed, fromSeed) => {
        // half the needles are cut from the text (some with one byte changed): present, or nearly
        const start = text.length > 0 ? cut % text.length : 0;
        let needle = cut % 2 === 0 && text.length > 0 ? text.slice(start, start + random.length) : random;
        if (mutateSeed % 4 === 0) {
          const at = (mutateSeed >> 2) % needle.length;
          needle = `${needle.slice(0, at)}q${needle.slice(at + 1)}`;
        }
        const buf = Buffer.from(text, 'latin1');
        // mostly from at or before where the needle was cut (so it is found), else anywhere, past the end too
        const from = fromSeed % 4 === 0 ? fromSeed % (buf.length + 3) : fromSeed % (start + 1);
        const want = buf.indexOf(Buffer.from(needle, 'latin1'), from);
        expect(findFrom(buf, needleOf(needle), from)).toBe(want);
        if (want >= 0) found++;
        else absent++;
      }),
      { numRuns: 3000, seed: 11 },
    );
    expect(found).toBeGreaterThan(300);
    expect(absent).toBeGreaterThan(300);
  });

  it('finds the first of several, a match at either end, and nothing in a view shorter than the needle', () => {
    const key = needleOf('"event_at":"');
    const text = Buffer.from('"event_at":"1","event_at":"2"');
    expect(findFrom(text, key, 0)).toBe(0);
    expect(findFrom(text, key, 1)).toBe(15);
    expect(findFrom(text, key, 16)).toBe(-1);
    expect(findFrom(Buffer.from('xx"event_at":"'), key, 0)).toBe(2);
    expect(findFrom(Buffer.from('"event_at":'), key, 0)).toBe(-1);
    // a view into a larger buffer: bytes past its end are not searched
    const whole = Buffer.from('ab"event_at":"');
    expect(findFrom(whole.subarray(0, 13), key, 0)).toBe(-1);
    expect(findFrom(whole.subarray(2), key, 0)).toBe(0);
  });

  it('refuses a needle it cannot search with', () => {
    expect(() => needleOf('')).toThrow();
    expect(() => needleOf('x'.repeat(256))).toThrow();
  });
});
