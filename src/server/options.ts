// Server options: the programmatic defaults and the validation shared by `startServer` and the
// `evbench serve` flags, so a bad value gets the same one-line message from either door.
import { UserError } from '../util/errors.js';

export type ServerMode = 'isolated' | 'legacy';
export type OverflowPolicy = 'close' | 'drop';

export interface ServerOptions {
  host: string;
  port: number;
  mode: ServerMode;
  /** Byte budget of one session's outgoing queue (isolated mode), counting the socket's buffer. */
  queueBytes: number;
  overflow: OverflowPolicy;
  /** Capacity of the memory event log (ring), in events. */
  logSize: number;
  /** Subscriber tokens; when given (or when `users` > 0) every connection needs a known token. */
  tokens: string[];
  publisherToken?: string;
  /** Synthetic permission directory: users `user-0`..`user-(N-1)`, each reading `groupsPerUser` groups. */
  users: number;
  groupsPerUser: number;
}

export const defaultServerOptions: ServerOptions = {
  host: '127.0.0.1',
  port: 0,
  mode: 'isolated',
  queueBytes: 1024 * 1024,
  overflow: 'close',
  logSize: 1_000_000,
  tokens: [],
  users: 0,
  groupsPerUser: 1,
};

function checkInteger(flag: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserError(`${flag}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/** Fills defaults and checks every field; throws a UserError naming the flag at fault. */
export function resolveServerOptions(partial: Partial<ServerOptions>): ServerOptions {
  const o: ServerOptions = { ...defaultServerOptions, ...stripUndefined(partial) };
  if (typeof o.host !== 'string' || o.host === '') throw new UserError('--host: expected a host name or address');
  checkInteger('--port', o.port, 0, 65535);
  if (o.mode !== 'isolated' && o.mode !== 'legacy') {
    throw new UserError(`--mode: expected isolated or legacy, got ${JSON.stringify(o.mode)}`);
  }
  checkInteger('--queue-bytes', o.queueBytes, 1024);
  if (o.overflow !== 'close' && o.overflow !== 'drop') {
    throw new UserError(`--overflow: expected close or drop, got ${JSON.stringify(o.overflow)}`);
  }
  checkInteger('--log-size', o.logSize, 1, 100_000_000);
  if (!Array.isArray(o.tokens) || o.tokens.some((t) => typeof t !== 'string' || t === '')) {
    throw new UserError('--tokens: expected a comma-separated list of non-empty tokens');
  }
  if (o.publisherToken !== undefined && (typeof o.publisherToken !== 'string' || o.publisherToken === '')) {
    throw new UserError('--publisher-token: expected a non-empty token');
  }
  checkInteger('--users', o.users, 0, 10_000_000);
  checkInteger('--groups-per-user', o.groupsPerUser, 1, 1_000_000);
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** Parses a flag value that is a whole number, e.g. `--users 10`. */
export function parseIntegerFlag(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UserError(`${flag}: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

/** Parses a byte size such as `1048576`, `64KiB` or `1MiB`. */
export function parseBytesFlag(flag: string, text: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UserError(`${flag}: expected a size in bytes such as 1048576, 64KiB or 1MiB, got ${JSON.stringify(text)}`);
  }
  return Number(m[1]) * unit;
}
