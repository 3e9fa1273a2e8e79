// Who may read which events. Tokens map to readers; a reader answers "may read this owner group?".
// Isolated sessions ask a precomputed Set (O(1)); legacy sessions scan the user's group list per event,
// so there, as in the server legacy mode reproduces, the cost grows with the number of groups a user may read.
import { PUBLIC_GROUP, privateGroup, userToken } from '../protocol/v0.js';
import type { ServerOptions } from './options.js';
import { SecretTokens } from './tokens.js';

export interface Reader {
  /** The token's name in logs, e.g. `user-3`, or `*` for read-everything tokens. */
  name: string;
  /** Whose filter-term budget this reader's sessions share (--max-filters-per-token); default `name`. */
  holder?: string;
  mayPublish: boolean;
  /** Connected without a token (the server requires none): its filter budget is per peer address. */
  anonymous?: boolean;
  /** Groups this reader may read, in directory order; undefined = everything. */
  groups?: readonly string[];
  /** O(1) answer for isolated sessions; undefined = everything. */
  groupSet?: ReadonlySet<string>;
}

const ANONYMOUS: Reader = { name: 'anonymous', mayPublish: false, anonymous: true };

export class PermissionDirectory {
  /** Whether every connection must present a known token. */
  readonly tokenRequired: boolean;
  /** --tokens and --publisher-token, compared in constant time. */
  private readonly fixed = new SecretTokens<Reader>();
  private readonly users = new Map<number, Reader>();

  constructor(private readonly options: Pick<ServerOptions, 'tokens' | 'publisherToken' | 'users' | 'groupsPerUser'>) {
    this.tokenRequired = options.tokens.length > 0 || options.users > 0;
    options.tokens.forEach((token, i) => this.fixed.set(token, { name: '*', holder: `tokens[${i}]`, mayPublish: false }));
    if (options.publisherToken !== undefined) {
      this.fixed.set(options.publisherToken, { name: 'publisher', mayPublish: true });
    }
  }

  /** The reader for a token, or undefined when the token is required and unknown. */
  lookup(token: string | undefined): Reader | undefined {
    if (token !== undefined) {
      const fixed = this.fixed.get(token);
      if (fixed) return fixed;
      const user = this.userIndex(token);
      if (user !== undefined) return this.userReader(user);
    }
    return this.tokenRequired ? undefined : ANONYMOUS;
  }

  private userIndex(token: string): number | undefined {
    if (!token.startsWith('user-')) return undefined;
    const i = Number(token.slice(5));
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.options.users || userToken(i) !== token) return undefined;
    return i;
  }

  /** Built on first use and shared by every session of that user. */
  private userReader(i: number): Reader {
    let reader = this.users.get(i);
    if (!reader) {
      const groups: string[] = [];
      for (let k = 0; k < this.options.groupsPerUser - 1; k++) groups.push(privateGroup(i, k));
      groups.push(PUBLIC_GROUP); // last, so a linear scan for public events walks the whole list
      reader = { name: userToken(i), mayPublish: false, groups, groupSet: new Set(groups) };
      this.users.set(i, reader);
    }
    return reader;
  }
}

/** Isolated mode: O(1) per event. */
export function mayReadFast(reader: Reader, ownerGroup: string): boolean {
  return reader.groupSet === undefined || reader.groupSet.has(ownerGroup);
}

/** Legacy mode: a linear scan of the user's group list, per event (the cost legacy mode reproduces). */
export function mayReadByScan(reader: Reader, ownerGroup: string): boolean {
  const groups = reader.groups;
  if (groups === undefined) return true;
  for (let i = 0; i < groups.length; i++) if (groups[i] === ownerGroup) return true;
  return false;
}
