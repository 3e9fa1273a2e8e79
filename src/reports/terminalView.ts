// A record as the terminal renderers read it: every string in it, keys included, passed through
// terminalSafe, so no field of a live run or of a crafted record read back writes a control sequence.
import { mapStrings, terminalSafe } from '../util/untrusted.js';

/** Encoded histograms are decoded, never printed: copied as they are (and long by nature). */
const encoded = (key: string): boolean => /histogram$/i.test(key);

/** A deep copy of a record (or anything built from records: a comparison, labelled runs) safe to print. */
export function terminalView<T>(value: T): T {
  return mapStrings(value, (s) => terminalSafe(s), encoded);
}
