// The raw-frame scanner against JSON.parse: for any event the server (or another one) may write, in
// its field order or another, it reads the same id, intended time and send time.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { usFromIso } from '../../src/clock.js';
import { newScannedEvent, scanEvent } from '../../src/measurement/frameScan.js';
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
});
