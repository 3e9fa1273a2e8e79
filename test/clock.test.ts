// The clock's timestamp parser: strict RFC 3339, the same reading from a string or from a frame's bytes
// whatever minute it met before, held to a slow reference reader (test/support/rfc3339.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromUs, lastIsoEnd, usFromIso, usFromIsoBytes } from '../src/clock.js';
import { rfc3339Us } from './support/rfc3339.js';

const MINUTE_US = Date.parse('2026-11-26T14:45:00Z') * 1000;

/** Timestamps near the shape, some right and some a character off: the parser's whole input space, sampled. */
const digit = fc.constantFrom(...'0123456789');
const two = (hi: string): fc.Arbitrary<string> => fc.tuple(fc.constantFrom(...hi), digit).map(([a, b]) => a + b);
const part = <T>(good: fc.Arbitrary<T>, bad: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: good.map(String) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const stamp = fc
  .tuple(
    part(fc.constantFrom('2026', '0001', '1999', '2024', '2199', '0099', '9999'), ['202', '2O26', '+2026']),
    part(two('01'), ['13', '00', '1', '1a']),
    part(two('0123'), ['32', '00', '3']),
    fc.constantFrom('T', 't', ' ', 'T', 'T', '_', 'TT'),
    part(two('012'), ['24', '2', '9x']),
    part(two('012345'), ['60', '6', 'a1']),
    part(two('0123456'), ['61', '69', '7', '/0', ':0']),
    fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{1,12}$/), fc.constantFrom('.', '.5x', '.-1', ',5')),
    fc.constantFrom('Z', 'z', 'Z', '+01:00', '-00:00', '+05:30', '-23:59', '+24:00', '+01:60', '+0100', '+01', '', 'Zx', ' Z', 'UTC'),
  )
  .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`);

describe('usFromIso', () => {
  it('reads what a strict RFC 3339 reader reads, and rejects what it rejects', () => {
    fc.assert(
      fc.property(stamp, (text) => {
        expect(usFromIso(text)).toBe(rfc3339Us(text));
      }),
      { numRuns: 5000, seed: 7 },
    );
  });

  it('from bytes, the same reading whichever minute was read before (the cached minute changes nothing)', () => {
    fc.assert(
      fc.property(stamp, stamp, (before, text) => {
        usFromIso(before);
        const bytes = Buffer.from(`${text}"`);
        const us = usFromIsoBytes(bytes, 0);
        const whole = !Number.isNaN(us) && lastIsoEnd() === text.length; // the caller checks what follows
        expect(whole ? us : NaN).toBe(rfc3339Us(text));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('the cases once read wrong: garbage Date.parse accepts, long fractions, offsets, a bare date, impossible days', () => {
    expect(usFromIso('2026-11-26T14:45:48Z')).toBe(MINUTE_US + 48_000_000);
    // digits past the microsecond are dropped, never rounded up (the frame scanner did so, the string path rounded)
    expect(usFromIso('2026-11-26T14:45:48.12345678Z')).toBe(MINUTE_US + 48_123_456);
    expect(usFromIso('2026-11-26T14:45:59.9999999Z')).toBe(MINUTE_US + 59_999_999);
    // an offset is a time too, the same instant as its Z form, with or without that minute cached
    usFromIso('2026-11-26T13:45:10Z');
    expect(usFromIso('2026-11-26T15:45:48+01:00')).toBe(MINUTE_US + 48_000_000);
    usFromIso('2026-11-26T15:45:10Z');
    expect(usFromIso('2026-11-26T15:45:48+01:00')).toBe(MINUTE_US + 48_000_000);
    expect(usFromIso('2026-11-26T14:45:48-00:00')).toBe(MINUTE_US + 48_000_000);
    // forms Date.parse is lenient with: no zone is a local time, a date alone is no time of day
    for (const loose of [
      '2026-11-26',
      '2026-11-26T14:45:48',
      '2026-11-26T14:45Z',
      'Thu, 26 Nov 2026 14:45:48 GMT',
      'Nov 26 2026 14:45:48Z',
      '2026-11-26T14:45:48.Z',
      '2026-02-30T00:00:00Z',
      '2026-11-26T14:45:69Z',
      ' 2026-11-26T14:45:48Z',
      '2026-11-26T14:45:48Z ',
      '２026-11-26T14:45:48Z',
    ])
      expect(usFromIso(loose), loose).toBeNaN();
    // a leap second is the next minute's first; a year µs cannot hold exactly is no time (and 0099 is not 1999)
    expect(usFromIso('2026-11-26T14:44:60Z')).toBe(MINUTE_US);
    expect(usFromIso('1700-01-01T00:00:00Z')).toBe(Date.parse('1700-01-01T00:00:00Z') * 1000);
    for (const far of ['0099-01-01T00:00:00Z', '1600-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) expect(usFromIso(far), far).toBeNaN();
  });

  it('round-trips what isoFromUs writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 2 * 86_400_000_000 }), (us) => {
        expect(usFromIso(isoFromUs(us))).toBe(us);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });
});
