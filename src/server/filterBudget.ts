// The filter-term budget the server's sessions share, which limits.ts checks subscriptions against.

/**
 * Filter terms held by all sessions, per token, per peer address and in total. Fan-out cost grows
 * with the terms held server-wide, so a budget per session alone lets many sessions together hold
 * the loop; and one peer address must not be able to take the whole of a shared budget.
 */
export class FilterBudget {
  total = 0;
  private readonly byHolder = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();

  held(holder: string): number {
    return this.byHolder.get(holder) ?? 0;
  }

  heldByAddress(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }

  take(holder: string, address: string, terms: number): void {
    this.total += terms;
    add(this.byHolder, holder, terms);
    add(this.byAddress, address, terms);
  }

  give(holder: string, address: string, terms: number): void {
    this.total -= terms;
    add(this.byHolder, holder, -terms);
    add(this.byAddress, address, -terms);
  }
}

function add(map: Map<string, number>, key: string, terms: number): void {
  const now = (map.get(key) ?? 0) + terms;
  if (now > 0) map.set(key, now);
  else map.delete(key);
}
