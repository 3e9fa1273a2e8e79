// Server options: the programmatic defaults and the validation shared by `startServer` and the
// `evbench serve` flags, so a bad value gets the same one-line message from either door.
import { redactUrl } from '../util/redact.js';
import { UserError } from '../util/errors.js';
import { SERVER_SETTINGS } from '../protocol/serverSettings.js';
import type { Retention } from './store/retention.js';

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
  /** Byte budget of the memory event log; the oldest events are evicted first (a replay below them gets a gap notice). */
  logBytes: number;
  /** Event store: `memory` (one process) or a `postgres://user@host/db` URL (shared by several processes). */
  store: string;
  /** How much history a postgres store keeps (age or count); undefined = all. */
  retain?: Retention;
  /** How often the retention delete runs. */
  retainEveryMs: number;
  /** Subscriber tokens; when given (or when `users` > 0) every connection needs a known token. */
  tokens: string[];
  publisherToken?: string;
  /** Synthetic permission directory: users `user-0`..`user-(N-1)`, each reading `groupsPerUser` groups. */
  users: number;
  groupsPerUser: number;
  /** Largest frame from a publisher (a connection with the publisher token); a bigger one closes it with 1009. */
  maxFrameBytes: number;
  /** Largest frame from any other client (subscribers need kilobytes); a bigger one closes it with 1009. */
  maxSubscriberFrameBytes: number;
  /** Client→server bytes per second per subscriber session (token bucket of one second, at least one frame); over it → 429. */
  maxByteRate: number;
  /** A message (frame or fragments) not finished this long after its first byte → connection terminated. */
  messageTimeoutMs: number;
  /** Subscriptions one session may hold; one more is a 413. */
  maxSubscriptions: number;
  /** Filter terms one session may hold over all its subscriptions (a filter counts 1, an `in` list its length). */
  maxFilters: number;
  /** Filter terms all sessions of one token (anonymous sessions count as one token) may hold together. */
  maxFiltersPerToken: number;
  /**
   * Filter terms all sessions from one peer address may hold together, whatever their tokens.
   * Undefined: a quarter of maxFiltersTotal beyond loopback, no share on loopback (as for connections).
   */
  maxFiltersPerAddress?: number;
  /** Filter terms all sessions of the server may hold together. */
  maxFiltersTotal: number;
  /** Open connections (websocket sessions plus plain HTTP sockets); one more is refused with HTTP 503. */
  maxConnections: number;
  /**
   * Open connections from one peer address; one more is refused with HTTP 429, so one address cannot
   * hold every slot of maxConnections. Undefined: a quarter of maxConnections for every address but
   * loopback ones (this machine: the runner's embedded target, or a local reverse proxy through which
   * all clients arrive from one address). When set, it applies to every address, loopback included.
   */
  maxConnectionsPerAddress?: number;
  /** Client→server frames per second per session (token bucket refill); over it → 429. */
  maxMessageRate: number;
  /** Token bucket size; also how many refusals in a row close the session with 1008. */
  messageBurst: number;
  /** Ping every this many ms; a peer that has not answered the previous ping is terminated. 0 = off. */
  keepaliveMs: number;
  /** A socket that has not completed its HTTP request (upgrade) within this many ms is destroyed. */
  handshakeTimeoutMs: number;
  /**
   * Browser origins allowed to connect (exact `scheme://host[:port]`, or `*` for any); empty = none, so
   * a page on any site cannot open a websocket with its visitor's network position. A request without
   * an Origin header (not a browser: the runner, curl, other servers) is always allowed.
   */
  allowedOrigins: string[];
  /** When set, /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
}

export const defaultServerOptions: ServerOptions = {
  host: '127.0.0.1',
  port: 0,
  mode: 'isolated',
  queueBytes: SERVER_SETTINGS.queueBytes.default,
  overflow: 'close',
  logSize: SERVER_SETTINGS.logSize.default,
  logBytes: SERVER_SETTINGS.logBytes.default,
  store: 'memory',
  retainEveryMs: 5000,
  tokens: [],
  users: SERVER_SETTINGS.users.default,
  groupsPerUser: SERVER_SETTINGS.groupsPerUser.default,
  maxFrameBytes: 16 * 1024 * 1024,
  maxSubscriberFrameBytes: 64 * 1024,
  maxByteRate: 1024 * 1024,
  messageTimeoutMs: 10_000,
  maxSubscriptions: 100,
  maxFilters: 1000,
  maxFiltersPerToken: 20_000,
  maxFiltersTotal: 200_000,
  maxConnections: 10_000,
  maxMessageRate: 2000,
  messageBurst: 4000,
  keepaliveMs: 30_000,
  handshakeTimeoutMs: 10_000,
  allowedOrigins: [],
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
  checkInteger('--queue-bytes', o.queueBytes, SERVER_SETTINGS.queueBytes.min, SERVER_SETTINGS.queueBytes.max);
  if (o.overflow !== 'close' && o.overflow !== 'drop') {
    throw new UserError(`--overflow: expected close or drop, got ${JSON.stringify(o.overflow)}`);
  }
  checkInteger('--log-size', o.logSize, SERVER_SETTINGS.logSize.min, SERVER_SETTINGS.logSize.max);
  checkInteger('--log-bytes', o.logBytes, SERVER_SETTINGS.logBytes.min, SERVER_SETTINGS.logBytes.max);
  if (typeof o.store !== 'string' || (o.store !== 'memory' && !/^postgres(ql)?:\/\/./.test(o.store))) {
    throw new UserError(
      `--store: expected memory or a postgres://user@host/db URL, got ${JSON.stringify(typeof o.store === 'string' ? redactUrl(o.store) : o.store)}`,
    );
  }
  if (o.retain !== undefined && o.store === 'memory') {
    throw new UserError('--retain: only with --store postgres://…; the memory log is bounded by --log-size and --log-bytes');
  }
  checkInteger('retainEveryMs', o.retainEveryMs, 10, 3_600_000);
  if (!Array.isArray(o.tokens) || o.tokens.some((t) => typeof t !== 'string' || t === '')) {
    throw new UserError('--tokens: expected a comma-separated list of non-empty tokens');
  }
  if (o.publisherToken !== undefined && (typeof o.publisherToken !== 'string' || o.publisherToken === '')) {
    throw new UserError('--publisher-token: expected a non-empty token');
  }
  checkInteger('--users', o.users, SERVER_SETTINGS.users.min, SERVER_SETTINGS.users.max);
  checkInteger('--groups-per-user', o.groupsPerUser, SERVER_SETTINGS.groupsPerUser.min, SERVER_SETTINGS.groupsPerUser.max);
  checkInteger('--max-frame-bytes', o.maxFrameBytes, 1024, 1024 ** 3);
  checkInteger('--max-subscriptions', o.maxSubscriptions, 1, 1_000_000);
  checkInteger('--max-subscriber-frame-bytes', o.maxSubscriberFrameBytes, 1024, 1024 ** 3);
  checkInteger('--max-byte-rate', o.maxByteRate, 1024, 1024 ** 4);
  checkInteger('--message-timeout', o.messageTimeoutMs, 1, 86_400_000);
  checkInteger('--max-filters', o.maxFilters, 1, 10_000_000);
  checkInteger('--max-filters-per-token', o.maxFiltersPerToken, 1, 100_000_000);
  checkInteger('--max-filters-total', o.maxFiltersTotal, 1, 100_000_000);
  if (o.maxFiltersPerToken > o.maxFiltersTotal) {
    throw new UserError(`--max-filters-per-token: ${o.maxFiltersPerToken} is over --max-filters-total ${o.maxFiltersTotal}`);
  }
  if (o.maxFiltersPerAddress !== undefined) {
    checkInteger('--max-filters-per-address', o.maxFiltersPerAddress, 1, o.maxFiltersTotal);
  }
  checkInteger('--max-connections', o.maxConnections, 1, 10_000_000);
  if (o.maxConnectionsPerAddress !== undefined) {
    checkInteger('--max-connections-per-address', o.maxConnectionsPerAddress, 1, o.maxConnections);
  }
  checkInteger('--max-message-rate', o.maxMessageRate, 1, 10_000_000);
  checkInteger('--message-burst', o.messageBurst, 1, 10_000_000);
  checkInteger('--keepalive-interval', o.keepaliveMs, 0, 86_400_000);
  checkInteger('--handshake-timeout', o.handshakeTimeoutMs, 1, 86_400_000);
  if (
    !Array.isArray(o.allowedOrigins) ||
    o.allowedOrigins.some((x) => typeof x !== 'string' || (x !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(x)))
  ) {
    throw new UserError('--allow-origin: expected an origin such as https://app.example.com, or * for any');
  }
  if (o.metricsToken !== undefined && (typeof o.metricsToken !== 'string' || o.metricsToken === '')) {
    throw new UserError('--metrics-token: expected a non-empty token');
  }
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The default --max-connections-per-address, for peers beyond loopback: a quarter of --max-connections. */
export function defaultConnectionsPerAddress(maxConnections: number): number {
  return Math.max(1, Math.ceil(maxConnections / 4));
}

/** The default --max-filters-per-address, for peers beyond loopback: a quarter of --max-filters-total. */
export function defaultFiltersPerAddress(maxFiltersTotal: number): number {
  return Math.max(1, Math.ceil(maxFiltersTotal / 4));
}
