// Which log id the target gave to scheduled event k, learned from the publisher's acks as
// contiguous ranges (k, id, count). Adjacent ranges merge, so one publisher needs one range.

export type IdRange = [kFirst: number, idFirst: number, count: number];

export class IdMap {
  readonly ranges: IdRange[] = [];

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

  /** Calls fn(k, id) for every known k in [kFrom, kTo). */
  forEach(kFrom: number, kTo: number, fn: (k: number, id: number) => void): void {
    for (const [k0, id0, n] of this.ranges) {
      const a = Math.max(kFrom, k0);
      const b = Math.min(kTo, k0 + n);
      for (let k = a; k < b; k++) fn(k, id0 + (k - k0));
    }
  }
}
