// The shortcut that keeps recording a client's ages cheap: an event outstanding over [from, to) is
// at least as old as any younger event at every instant both cover, so once a span is recorded, a
// span that begins later needs recording only beyond it. The stall's per-second maxima and the
// age ticks both record spans this way.

export class CoveredSpan {
  /** Ages before `untilUs` were recorded from a span that began at `fromUs` or earlier. */
  private untilUs = -Infinity;
  private fromUs = -Infinity;

  /**
   * Where the span [fromUs, toUs) must start being recorded (a younger span: only past what is
   * covered; an older one: all of it), and the span counted as recorded.
   */
  recordFrom(fromUs: number, toUs: number): number {
    const start = fromUs >= this.fromUs ? Math.max(fromUs, this.untilUs) : fromUs;
    if (toUs >= this.untilUs) {
      this.untilUs = toUs;
      this.fromUs = fromUs;
    }
    return start;
  }
}
