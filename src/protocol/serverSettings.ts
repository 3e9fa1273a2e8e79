// The reference server's defaults and accepted ranges for the settings a scenario can set too: one
// table, read by `evbench serve` (server/options.ts) and by scenario validation, so the two doors
// cannot drift apart.

export interface SettingRange {
  default: number;
  min: number;
  max: number;
}

export const SERVER_SETTINGS = {
  /** Byte budget of one session's outgoing queue (isolated mode). */
  queueBytes: { default: 1024 * 1024, min: 1024, max: 1024 ** 3 },
  /** Events the memory log keeps for catch-up. */
  logSize: { default: 1_000_000, min: 1, max: 100_000_000 },
  /** Bytes the memory log keeps (bodies plus per-event overhead); the oldest events are evicted first. */
  logBytes: { default: 256 * 1024 * 1024, min: 64 * 1024, max: 1024 ** 4 },
  /** Synthetic permission directory: users, and groups each may read. */
  users: { default: 0, min: 0, max: 10_000_000 },
  groupsPerUser: { default: 1, min: 1, max: 1_000_000 },
} as const satisfies Record<string, SettingRange>;

/**
 * Environment variables `evbench serve` reads its tokens from when no flag gives them: how the runner
 * hands its embedded server secrets without putting them on a command line.
 */
export const TOKEN_ENV = {
  tokens: 'EVBENCH_TOKENS',
  publisherToken: 'EVBENCH_PUBLISHER_TOKEN',
  metricsToken: 'EVBENCH_METRICS_TOKEN',
} as const;
