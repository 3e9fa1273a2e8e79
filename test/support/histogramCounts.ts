// A histogram's recorded values and their counts, for count-for-count comparisons in tests.
import type { JsHistogram } from 'hdr-histogram-js';
import { decodeHistogram, type Histogram } from '../../src/measurement/histogram.js';

export function countsOf(h: Histogram | string): [number, number][] {
  const hist = typeof h === 'string' ? (h ? decodeHistogram(h) : null) : h;
  if (!hist || hist.totalCount === 0) return [];
  const it = (hist as unknown as JsHistogram).recordedValuesIterator;
  it.reset();
  const out: [number, number][] = [];
  while (it.hasNext()) {
    const v = it.next();
    out.push([v.valueIteratedTo, v.countAtValueIteratedTo]);
  }
  return out;
}
