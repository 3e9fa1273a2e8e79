// `--start-at`: the forms an instant may take, the ones refused, and when a run may start at it
// (not more than a second late, not more than a day ahead), each rule on both sides of its bound.
import { describe, expect, it } from 'vitest';
import {
  checkReadyFor,
  checkStartAt,
  parseStartAt,
  START_AT_AHEAD_US,
  START_AT_LATE_US,
  startAtProblem,
} from '../../src/runner/startAt.js';

const AT_MS = Date.UTC(2026, 11, 5, 10, 0, 0); // 2026-12-05T10:00:00Z
const AT_US = AT_MS * 1000;

describe('parseStartAt', () => {
  it.each([
    ['2026-12-05T10:00:00Z', AT_US],
    ['2026-12-05T10:00Z', AT_US],
    ['2026-12-05T11:00:00+01:00', AT_US],
    ['2026-12-05T05:30:00-04:30', AT_US],
    ['2026-12-05T10:00:00.250Z', AT_US + 250_000],
    // date +%N: nanoseconds, read to the microsecond
    ['2026-12-05T10:00:00.123456789Z', AT_US + 123_457],
    [' 2026-12-05T10:00:00Z\n', AT_US],
    [String(AT_MS / 1000), AT_US],
    [`${AT_MS / 1000}.5`, AT_US + 500_000],
    [String(AT_MS), AT_US],
  ])('%j is %d µs', (text, us) => {
    expect(parseStartAt(text)).toBe(us);
  });

  it('epoch seconds and milliseconds are told apart by size', () => {
    expect(parseStartAt('99999999999')).toBe(99_999_999_999 * 1_000_000); // seconds, the year 5138
    expect(parseStartAt('100000000000')).toBe(100_000_000_000 * 1000); // milliseconds, 1973
  });

  it('a relative time is refused: each shard would count it from its own start', () => {
    for (const text of ['+30s', '+2m', '-5s'])
      expect(() => parseStartAt(text)).toThrow(
        new RegExp(`^--start-at: "\\${text}" is relative: each shard would count it from its own start`),
      );
  });

  it.each(['2026-12-05T10:00:00', '2026-12-05 10:00:00Z', 'tomorrow', '', '10:00', '2026-13-45T10:00:00Z', '1e12', '99999999999999999999'])(
    '%j is refused, naming the forms',
    (text) => {
      expect(() => parseStartAt(text)).toThrow(
        `--start-at: "${text}" is not an ISO-8601 instant such as 2026-12-05T10:00:00Z, or Unix epoch seconds or milliseconds`,
      );
    },
  );
});

describe('when a run may start at an instant', () => {
  it('up to a second late: accepted; more: the error says how late and what to do', () => {
    expect(startAtProblem(AT_US, AT_US + START_AT_LATE_US)).toBeUndefined();
    expect(startAtProblem(AT_US, AT_US - 5_000_000)).toBeUndefined();
    expect(startAtProblem(AT_US, AT_US + START_AT_LATE_US + 1)).toMatch(/^--start-at: 2026-12-05T10:00:00\.000Z was 1\.00s ago/);
    expect(() => checkStartAt(AT_US, AT_US + 90_000_000)).toThrow(
      '--start-at: 2026-12-05T10:00:00.000Z was 90.00s ago (more than the 1.00s a run may be late): give an instant after every shard will have started',
    );
    expect(startAtProblem(AT_US, AT_US + 3 * 3_600_000_000)).toMatch(/was 3\.0 h ago/);
  });

  it('up to a day ahead: accepted; more: an error (a wrong day or unit)', () => {
    expect(startAtProblem(AT_US, AT_US - START_AT_AHEAD_US)).toBeUndefined();
    expect(startAtProblem(AT_US, AT_US - START_AT_AHEAD_US - 1)).toMatch(/is 24\.0 h ahead, more than 24\.0 h: is it the right day/);
    // a month out: a wrong month, most likely
    expect(startAtProblem(parseStartAt(String(AT_MS / 1000 + 86400 * 30)), AT_US)).toMatch(/is 720\.0 h ahead/);
  });

  it('a run that connected too slowly for its instant: up to a second late it starts on it, later is an error saying so', () => {
    expect(() => checkReadyFor(AT_US, AT_US + START_AT_LATE_US)).not.toThrow();
    expect(() => checkReadyFor(AT_US, AT_US + START_AT_LATE_US + 1)).toThrow(
      '--start-at: 2026-12-05T10:00:00.000Z passed 1.00s before this run had connected (more than the 1.00s a run may be late): give an instant after every shard will have connected',
    );
  });

  it('the error is a usage error (exit 2)', () => {
    try {
      checkStartAt(AT_US, AT_US + 60_000_000);
      expect.unreachable();
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
