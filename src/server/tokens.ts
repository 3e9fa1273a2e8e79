// Secret tokens compared in constant time: both sides are hashed to SHA-256 digests of equal length
// and compared with crypto.timingSafeEqual, so neither a token's content nor its length shows in
// the time an answer takes. Tokens are never logged; readers carry a name instead.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** A set of secret tokens, each mapped to a value (e.g. the reader it grants). */
export class SecretTokens<T> {
  private readonly entries: { digest: Buffer; value: T }[] = [];

  set(token: string, value: T): void {
    const d = digest(token);
    const existing = this.entries.find((e) => timingSafeEqual(e.digest, d));
    if (existing) existing.value = value;
    else this.entries.push({ digest: d, value });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The value for `token`, comparing against every entry (no early exit). */
  get(token: string): T | undefined {
    const d = digest(token);
    let found: T | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d)) found ??= e.value;
    return found;
  }
}

/** Whether `presented` equals `expected`, in constant time. */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
