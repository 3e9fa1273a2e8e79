// One grammar for durations and sizes: every spelling means the same everywhere, and a bad one
// gets an error that names the flag and shows the accepted forms.
import { describe, expect, it } from 'vitest';
import {
  bytesFlag,
  durationFlagMs,
  durationFlagUs,
  formatBytes,
  formatUs,
  integerFlag,
  parseBytes,
  parseDurationUs,
} from '../../src/util/units.js';
import { UserError } from '../../src/util/errors.js';

describe('sizes', () => {
  it('binary units, any case, optional b: 64k = 64kb = 64KiB = 64KB', () => {
    for (const s of ['64k', '64K', '64kb', '64KB', '64kib', '64KiB', ' 64 KiB ']) expect(parseBytes(s), s).toBe(65_536);
    expect(parseBytes('1m')).toBe(1_048_576);
    expect(parseBytes('1MB')).toBe(1_048_576);
    expect(parseBytes('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseBytes('1.5MiB')).toBe(1_572_864);
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('4096b')).toBe(4096);
    expect(parseBytes(4096)).toBe(4096);
  });

  it('anything else is NaN', () => {
    for (const v of ['64x', 'k', '-1', '1e3', '', '64 k b', 4.5, -1, null, {}]) expect(parseBytes(v), String(v)).toBeNaN();
  });

  it('a bad size flag names the flag and the forms', () => {
    expect(() => bytesFlag('--queue-bytes', '64q')).toThrow(
      new UserError('--queue-bytes: expected a size such as 4096, 64k, 64KiB, 64kb or 1MiB (k = KiB = 1024), got "64q"'),
    );
    expect(bytesFlag('--queue-bytes', '64kb')).toBe(65_536);
  });
});

describe('durations', () => {
  it('us, µs, ms, s, m, h, or a bare number of seconds', () => {
    expect(parseDurationUs('40us')).toBe(40);
    expect(parseDurationUs('40µs')).toBe(40);
    expect(parseDurationUs('250ms')).toBe(250_000);
    expect(parseDurationUs('1.5s')).toBe(1_500_000);
    expect(parseDurationUs('2m')).toBe(120_000_000);
    expect(parseDurationUs('1h')).toBe(3_600_000_000);
    expect(parseDurationUs('0.5')).toBe(500_000);
    expect(parseDurationUs(3)).toBe(3_000_000);
    expect(parseDurationUs('10S')).toBe(10_000_000);
  });

  it('anything else is NaN', () => {
    for (const v of ['10 sec', 'ms', '-1s', '', '1d', -1, Infinity, null]) expect(parseDurationUs(v), String(v)).toBeNaN();
  });

  it('flags in µs and in whole ms (rounded up: 500us is 1ms, never 0)', () => {
    expect(durationFlagUs('--min-delta', '500us')).toBe(500);
    expect(durationFlagMs('--handshake-timeout', '500us')).toBe(1);
    expect(durationFlagMs('--handshake-timeout', '3s')).toBe(3000);
    expect(() => durationFlagMs('--handshake-timeout', '3 secs')).toThrow(
      /^--handshake-timeout: expected a duration such as 250ms, 10s, 1.5m, 40us or a number of seconds, got "3 secs"$/,
    );
  });

  it('whole numbers', () => {
    expect(integerFlag('--users', ' 10 ')).toBe(10);
    expect(() => integerFlag('--users', '1.5')).toThrow('--users: expected a whole number, got "1.5"');
  });
});

describe('formatting', () => {
  it('µs, ms and s with sensible precision', () => {
    expect([999, 1000, 9_999, 12_345, 999_999, 1_000_000, 4_200_000].map(formatUs)).toEqual([
      '999µs',
      '1.00ms',
      '10.00ms',
      '12.3ms',
      '1000.0ms',
      '1.00s',
      '4.20s',
    ]);
    expect(formatUs(NaN)).toBe('NaN');
  });

  it('bytes in binary units', () => {
    expect([512, 1024, 65_536, 1_572_864, 3 * 1024 ** 3].map(formatBytes)).toEqual(['512B', '1KiB', '64KiB', '1.5MiB', '3GiB']);
  });
});
