// Which log id the target gave to scheduled event k, learned from the publisher's acks as
// contiguous ranges (k, id, count). Adjacent ranges merge, so one publisher needs one range.
// Events sent but never acknowledged (a target too stuck to answer) still count: while the ids
// form one range they continue it, so a stuck server cannot make its undelivered events vanish.

export type IdRange = [kFirst: number, idFirst: number, count: number];

export class IdMap {
  readonly ranges: IdRange[] = [];
  /** How many scheduled events the publisher has sent (k = 0 … sent−1), acknowledged or not. */
  sent = 0;

  add(kFirst: number, idFirst: number, count: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && last[0] + last[2] === kFirst && last[1] + last[2] === idFirst) last[2] += count;
    else this.ranges.push([kFirst, idFirst, count]);
  }

  addAll(ranges: IdRange[]): void {
    for (const r of ranges) this.add(r[0], r[1], r[2]);
  }

  /** Number of scheduled events the target has acknowledged (k = 0 … knownCount−1, if contiguous). */
  get knownCount(): number {
    const last = this.ranges[this.ranges.length - 1];
    return last ? last[0] + last[2] : 0;
  }

  get highestId(): number {
    const last = this.ranges[this.ranges.length - 1];
    return last ? last[1] + last[2] - 1 : 0;
  }

  /**
   * Events a client may be owed: every acknowledged one, and — while the ids form a single range,
   * as with one publisher — every sent one, its id continuing that range.
   */
  get expectedCount(): number {
    return this.ranges.length === 1 ? Math.max(this.knownCount, this.sent) : this.knownCount;
  }

  /** Calls fn(k, id) for every expected k in [kFrom, kTo) (see expectedCount). */
  forEach(kFrom: number, kTo: number, fn: (k: number, id: number) => void): void {
    const last = this.ranges.length - 1;
    this.ranges.forEach(([k0, id0, n], i) => {
      const a = Math.max(kFrom, k0);
      const b = Math.min(kTo, i === last && last === 0 ? Math.max(k0 + n, this.sent) : k0 + n);
      for (let k = a; k < b; k++) fn(k, id0 + (k - k0));
    });
  }
}
