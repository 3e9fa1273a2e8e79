// The seen-ids exchange at phase ends (server-emitted streams): sets of ids join byte by byte, and a
// worker ships only the ids its clients received since the previous phase end.
import { describe, expect, it } from 'vitest';
import { EmittedStreamHeads, IdBits, unionSeen, type SeenIds } from '../../src/measurement/emittedStream.js';
import { rng } from '../support/fixtureRecord.js';

const idsOf = (s: SeenIds): number[] => {
  const out: number[] = [];
  s.bits.forEach((b, byte) => {
    for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(s.base + byte * 8 + bit);
  });
  return out;
};
const bitsOf = (ids: number[]): SeenIds => {
  const b = new IdBits();
  for (const id of ids) b.note(id);
  return b.ids();
};

describe('IdBits and unionSeen', () => {
  it('the union of random sets, in any order and with bases below one another, is exactly their union', () => {
    const r = rng(7);
    for (let round = 0; round < 20; round++) {
      const sets = Array.from({ length: 3 }, () =>
        Array.from({ length: 1 + Math.floor(r() * 300) }, () => 5000 + Math.floor(r() * 4000 - round * 100)),
      );
      const expected = [...new Set(sets.flat())].sort((a, b) => a - b);
      expect(idsOf(unionSeen(sets.map(bitsOf)))).toEqual(expected);
    }
  });

  it('a set whose base is not on a byte (made elsewhere) joins too', () => {
    const odd: SeenIds = { base: 1003, bits: Uint8Array.from([0b101, 0, 0b10000000]) }; // 1003, 1005, 1026
    expect(idsOf(unionSeen([bitsOf([1000, 1030]), odd]))).toEqual([1000, 1003, 1005, 1026, 1030]);
  });

  it('an id below the base moves the base down and keeps every id', () => {
    const b = new IdBits();
    for (const id of [10_000, 10_007, 12_345]) b.note(id);
    b.note(3);
    expect(idsOf(b.ids())).toEqual([3, 10_000, 10_007, 12_345]);
    expect(b.has(10_007) && b.has(3) && !b.has(4) && !b.has(12_346) && !b.has(-1)).toBe(true);
  });
});

describe('EmittedStreamHeads: what a worker ships at a phase end', () => {
  it('only the ids its own clients received since the previous phase end', () => {
    const heads = new EmittedStreamHeads();
    for (let id = 1; id <= 100; id++) heads.noteSeen(id);
    expect(idsOf(heads.takeFresh())).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    heads.addSeen(bitsOf([150, 151])); // another thread's: not shipped back
    for (let id = 101; id <= 120; id++) heads.noteSeen(id);
    heads.noteSeen(50); // seen before: not new
    heads.noteSeen(150); // another thread's already
    expect(idsOf(heads.takeFresh())).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
    expect(heads.takeFresh().bits.length).toBe(0);
    // what it knows is still everything
    expect([1, 100, 120, 150, 151].every((id) => heads.seenByAny(id))).toBe(true);
    expect(heads.seenByAny(121)).toBe(false);
  });
});
