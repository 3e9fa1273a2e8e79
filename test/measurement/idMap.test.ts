// Which id the target gave scheduled event k: contiguous ranges merge; events sent but never
// acknowledged continue a single range, and are not guessed at once several publishers interleave.
import { describe, expect, it } from 'vitest';
import { IdMap } from '../../src/measurement/idMap.js';

const all = (m: IdMap, from = 0, to = 1e6): [number, number][] => {
  const out: [number, number][] = [];
  m.forEach(from, to, (k, id) => out.push([k, id]));
  return out;
};

describe('IdMap', () => {
  it('starts empty', () => {
    const m = new IdMap();
    expect([m.knownCount, m.highestId, m.expectedCount]).toEqual([0, 0, 0]);
    expect(all(m)).toEqual([]);
  });

  it('adjacent ranges merge into one; a gap in k or in ids starts a new one', () => {
    const m = new IdMap();
    m.add(0, 101, 3);
    m.add(3, 104, 2);
    expect(m.ranges).toEqual([[0, 101, 5]]);
    m.add(5, 200, 1); // ids jump: another publisher took 106…199
    m.add(7, 201, 1); // k jumps
    expect(m.ranges).toEqual([
      [0, 101, 5],
      [5, 200, 1],
      [7, 201, 1],
    ]);
    expect(m.knownCount).toBe(8);
    expect(m.highestId).toBe(201);
  });

  it('with one range, events sent but not acknowledged continue it', () => {
    const m = new IdMap();
    m.addAll([[0, 11, 4]]);
    m.sent = 6;
    expect(m.expectedCount).toBe(6);
    expect(all(m)).toEqual([
      [0, 11],
      [1, 12],
      [2, 13],
      [3, 14],
      [4, 15],
      [5, 16],
    ]);
    expect(all(m, 2, 5)).toEqual([
      [2, 13],
      [3, 14],
      [4, 15],
    ]);
    m.sent = 2; // fewer sent than acknowledged cannot shrink what is known
    expect(m.expectedCount).toBe(4);
  });

  it('with several ranges, only acknowledged events are expected', () => {
    const m = new IdMap();
    m.addAll([
      [0, 11, 2],
      [2, 50, 2],
    ]);
    m.sent = 10;
    expect(m.expectedCount).toBe(4);
    expect(all(m)).toEqual([
      [0, 11],
      [1, 12],
      [2, 50],
      [3, 51],
    ]);
    expect(all(m, 1, 3)).toEqual([
      [1, 12],
      [2, 50],
    ]);
  });
});
