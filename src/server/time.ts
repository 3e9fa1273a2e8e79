// Strict RFC 3339 UTC timestamps for what clients send (`event_at`, time filters): exactly
// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with real calendar dates, never `Date.parse`'s guesses (which
// accept `"1"` or `"Jan 1 2026"` and read offsets in the server's own time zone).

const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch microseconds of a strict RFC 3339 UTC timestamp (fraction truncated to µs), or NaN. */
export function strictUsFromIso(text: string): number {
  const m = RFC3339_UTC.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1) return NaN;
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > days || hour > 23 || minute > 59 || second > 59) return NaN;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // years 0–99 too, which Date.UTC would read as 1900–1999
  date.setUTCHours(hour, minute, second, 0);
  const micros = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0').slice(0, 6));
  return date.getTime() * 1000 + micros;
}
