// An RFC 3339 reader written the slow, obvious way (a regular expression and Date), for tests to hold
// the clock's hand-written parser to: epoch µs, digits past the microsecond dropped, NaN otherwise.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export function rfc3339Us(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return NaN;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return NaN;
  if (Math.abs(date.getTime() + (hour * 60 + minute) * 60_000) * 1000 > Number.MAX_SAFE_INTEGER - 2 * 86_400_000_000) return NaN; // µs no longer exact
  const fraction = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  let us = (date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000) * 1000 + fraction;
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return NaN;
    us += (m[9] === '+' ? -1 : 1) * (oh * 60 + om) * 60_000_000;
  }
  return us;
}
