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

  it('ends part of a run, and counts sends enqueued before a cutoff within and across runs', () => {
    const { seen, pending } = recorder();
    pending.beginMany(100, 3);
    pending.begin(100); // the same instant: one run of 4
    pending.beginMany(200, 2);
    pending.endMany(250, 'written', 1);
    expect(seen).toEqual([[150, 'written', 1]]);
    expect(pending.size).toBe(5);
    expect(pending.oldestUs).toBe(100);
    expect(pending.countEnqueuedBefore(100)).toBe(0);
    expect(pending.countEnqueuedBefore(150)).toBe(3);
    expect(pending.countEnqueuedBefore(201)).toBe(5);
    pending.endMany(260, 'written', 4);
    expect(seen.slice(1)).toEqual([
      [160, 'written', 3],
      [60, 'written', 1],
    ]);
    expect(pending.oldestUs).toBe(200);
    expect(pending.countEnqueuedBefore(201)).toBe(1);
  });

  it('agrees with a send-by-send model over a long mixed sequence, through compaction and emptying', () => {
    const { seen, pending } = recorder();
    const model: number[] = [];
    const modelSeen: [number, SendOutcome, number][] = [];
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      now += rand(3); // often the same instant twice
      // the queue grows to thousands of runs, drains (compacting on the way), and at times empties
      const growing = step < 10_000 ? 6 : 4;
      if (rand(10) < growing || model.length === 0) {
        const n = 1 + rand(3);
        pending.beginMany(now, n);
        for (let i = 0; i < n; i++) model.push(now);
      } else {
        const n = step > 16_000 && rand(50) === 0 ? model.length : 1 + rand(3);
        pending.endMany(now, 'written', n);
        const ended = model.splice(0, n);
        for (let i = 0; i < ended.length;) {
          let j = i + 1;
          while (j < ended.length && ended[j] === ended[i]) j++;
          modelSeen.push([now - ended[i]!, 'written', j - i]);
          i = j;
        }
      }
      expect(pending.size).toBe(model.length);
      expect(pending.oldestUs).toBe(model[0]);
      const cutoff = now - rand(20);
      expect(pending.countEnqueuedBefore(cutoff)).toBe(model.filter((us) => us < cutoff).length);
    }
    expect(seen).toEqual(modelSeen);
  });
});
