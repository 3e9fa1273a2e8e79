// `--retain`: how much history a shared store keeps, by age (`90s`, `30m`, `1h`, `7d`) or by count
// (`100000` events). A periodic delete enforces it; catch-up past it gets the 409 gap notice.
import { UserError } from '../../util/errors.js';

export type Retention = { kind: 'age'; ms: number } | { kind: 'count'; events: number };

const AGE_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseRetention(text: string): Retention {
  const t = text.trim();
  if (/^\d+$/.test(t) && Number(t) >= 1 && Number.isSafeInteger(Number(t))) return { kind: 'count', events: Number(t) };
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(t);
  const ms = m ? Number(m[1]) * AGE_UNITS[m[2]!]! : NaN;
  if (!m || !(ms >= 1)) {
    throw new UserError(
      `--retain: expected an age such as 90s, 30m, 1h, 7d or a number of events such as 100000, got ${JSON.stringify(text)}`,
    );
  }
  return { kind: 'age', ms };
}

export function describeRetention(r: Retention): string {
  return r.kind === 'count' ? `${r.events} events` : `${r.ms / 1000} s`;
}
