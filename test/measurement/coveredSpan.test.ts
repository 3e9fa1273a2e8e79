// The covered span alone: where a span of outstanding time must start being recorded, given the spans
// already recorded. An older span (earlier start) has larger ages at every instant, so it is recorded
// whole; a younger one only beyond the ground an older one already covers.
import { describe, expect, it } from 'vitest';
import { CoveredSpan } from '../../src/measurement/coveredSpan.js';

describe('CoveredSpan', () => {
  it('the first span is recorded whole', () => {
    expect(new CoveredSpan().recordFrom(10, 30)).toBe(10);
  });

  it('a younger span overlapping the covered one: only beyond it; one that starts past it: whole', () => {
    const covered = new CoveredSpan();
    covered.recordFrom(10, 30);
    expect(covered.recordFrom(20, 45)).toBe(30);
    expect(covered.recordFrom(50, 60)).toBe(50);
  });

  it('a younger span inside the covered one needs nothing, and does not shrink the cover', () => {
    const covered = new CoveredSpan();
    covered.recordFrom(10, 30);
    expect(covered.recordFrom(20, 25)).toBeGreaterThanOrEqual(25);
    expect(covered.recordFrom(15, 35)).toBe(30); // still younger than the span that covers up to 30
  });

  it('an older span is recorded whole, even inside the covered one', () => {
    const covered = new CoveredSpan();
    covered.recordFrom(10, 30);
    expect(covered.recordFrom(9, 20)).toBe(9);
    expect(covered.recordFrom(5, 40)).toBe(5);
  });

  it('a span that starts when the covered one did has the same ages: only beyond it; a moment earlier: whole', () => {
    const covered = new CoveredSpan();
    covered.recordFrom(10, 30);
    expect(covered.recordFrom(10, 40)).toBe(30);
    expect(covered.recordFrom(9, 40)).toBe(9);
  });

  it('an older span that ends where the covered one ends becomes the cover', () => {
    const covered = new CoveredSpan();
    covered.recordFrom(10, 30);
    expect(covered.recordFrom(5, 30)).toBe(5);
    expect(covered.recordFrom(7, 50)).toBe(30); // younger than the span from 5, which covers up to 30
  });
});
