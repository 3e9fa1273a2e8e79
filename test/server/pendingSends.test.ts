// PendingSends: one write holding many frames ends them together, observed once per enqueue instant.
import { describe, expect, it } from 'vitest';
import { PendingSends, type SendOutcome } from '../../src/server/pendingSends.js';

function recorder(): { seen: [number, SendOutcome, number][]; pending: PendingSends } {
  const seen: [number, SendOutcome, number][] = [];
  return { seen, pending: new PendingSends((us, outcome, count) => seen.push([us, outcome, count])) };
}

describe('PendingSends', () => {
  it('observes the frames of one write once, with their count', () => {
    const { seen, pending } = recorder();
    pending.beginMany(100, 5);
    pending.endMany(130, 'written', 5);
    expect(seen).toEqual([[30, 'written', 5]]);
    expect(pending.size).toBe(0);
  });

  it('observes sends enqueued at different instants apart, oldest first, and only those that ended', () => {
    const { seen, pending } = recorder();
    pending.beginMany(100, 2);
    pending.begin(110);
    pending.beginMany(120, 3);
    pending.endMany(150, 'failed', 4);
    expect(seen).toEqual([
      [50, 'failed', 2],
      [40, 'failed', 1],
      [30, 'failed', 1],
    ]);
    expect(pending.size).toBe(2);
    expect(pending.oldestUs).toBe(120);
  });

  it('never observes more sends than are in flight', () => {
    const { seen, pending } = recorder();
    pending.beginMany(100, 2);
    pending.endMany(110, 'written', 5);
    expect(seen).toEqual([[10, 'written', 2]]);
    pending.begin(200);
    pending.end(205, 'written');
    expect(seen.at(-1)).toEqual([5, 'written', 1]);
  });

  it('ignores the completions of abandoned sends, then observes later ones', () => {
    const { seen, pending } = recorder();
    pending.beginMany(100, 3);
    pending.abandon(110);
    expect(seen).toEqual([
      [10, 'abandoned', 1],
      [10, 'abandoned', 1],
      [10, 'abandoned', 1],
    ]);
    pending.begin(120);
    // the abandoned write's completion (3 frames) comes first and is ignored; then the new send's
    pending.endMany(130, 'written', 3);
    expect(seen).toHaveLength(3);
    pending.endMany(131, 'written', 1);
    expect(seen.at(-1)).toEqual([11, 'written', 1]);
  });
});
