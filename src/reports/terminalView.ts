// A record as the terminal renderers read it: every string in it, keys included, passed through
// terminalSafe, so no field of a live run or of a crafted record read back writes a control sequence.
// Sanitised once: the entry point copies the record, and the renderers it calls get the copy back as
// it is (a record is a few MB of encoded series: a copy per renderer would cost that again each time).
import { mapStrings, terminalSafe } from '../util/untrusted.js';

/**
 * Encoded data is decoded, never printed, and copied as it is (long by nature): histograms, and the
 * age and lag series (`ages.together`, `ages.any`, `generator.lagTicks`), when they are strings.
 */
const encoded = (key: string, value: unknown): boolean => /histogram$/i.test(key) || (typeof value === 'string' && /^(together|any|lagTicks)$/.test(key));

/** Every object and array of a terminal view made so far: already safe, never copied again. */
const safe = new WeakSet<object>();

/** A deep copy of a record (or anything built from records: a comparison, labelled runs) safe to print; a view (or part of one) as it is. */
export function terminalView<T>(value: T): T {
  if (typeof value === 'object' && value !== null && safe.has(value)) return value;
  return mapStrings(value, (s) => terminalSafe(s), encoded, (copy) => safe.add(copy));
}
