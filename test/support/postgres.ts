// Test support for the PostgreSQL event store: the database from EVBENCH_TEST_PG (set by .ci/run), a
// loud skip when there is none, a fresh schema per test, and `evbench serve --store` processes.
import pg from 'pg';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import { PUBLISHER } from './referenceServer.js';

export const PG_URL = process.env.EVBENCH_TEST_PG ?? '';

async function probe(): Promise<string | undefined> {
  if (PG_URL === '') return 'EVBENCH_TEST_PG is not set';
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `cannot connect to EVBENCH_TEST_PG (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const why = await probe();
/** True when there is no usable database: the postgres tests are skipped, loudly. */
export const noDatabase = why !== undefined;
if (noDatabase) {
  console.warn(
    `\n${'!'.repeat(78)}\n!!! SKIPPING the PostgreSQL event store tests: ${why}.\n` +
      `!!! .ci/run installs and starts PostgreSQL; locally: export EVBENCH_TEST_PG=postgres://user:pass@127.0.0.1/db\n${'!'.repeat(78)}\n`,
  );
}

/** A connection for the test's own queries (checks, pg_terminate_backend). */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops evbench's schema, so each test starts from an empty database (the server migrates it again). */
export async function resetDatabase(): Promise<void> {
  await sql('DROP TABLE IF EXISTS logs, logs_retention, evbench_migrations CASCADE; DROP FUNCTION IF EXISTS evbench_logs_notify() CASCADE');
}

/** Every stored id, in order. */
export async function storedIds(): Promise<number[]> {
  return (await sql<{ id: string }>('SELECT id FROM logs ORDER BY id')).map((r) => Number(r.id));
}

const started: ServeProcess[] = [];

/** `evbench serve --store EVBENCH_TEST_PG` as a child process (stopped by stopServes). */
export async function serveOnDatabase(args: string[] = []): Promise<ServeProcess> {
  const p = await spawnServe({ args: ['--store', PG_URL, '--publisher-token', PUBLISHER, ...args] });
  started.push(p);
  return p;
}

export async function stopServes(): Promise<void> {
  await Promise.all(started.splice(0).map((p) => p.stop(2000)));
}

/** 1..n, or from+1..to. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + 1 + i);
}

/**
 * Takes the test database away from every client for `outage`: new connections are refused
 * (ALLOW_CONNECTIONS false, set from the `postgres` database, which needs the role to own the
 * test database) and every open one is terminated with pg_terminate_backend; then it comes back.
 */
export async function databaseOutage<T>(outage: () => Promise<T>): Promise<{ terminated: number; result: T }> {
  const admin = new URL(PG_URL);
  const database = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  client.on('error', () => {});
  await client.connect();
  const ident = client.escapeIdentifier(database);
  try {
    await client.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS false`);
    const rows = await client.query<{ n: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
       WHERE datname = $1 AND backend_type = 'client backend'`,
      [database],
    );
    return { terminated: Number(rows.rows[0]!.n), result: await outage() };
  } finally {
    await client.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS true`);
    await client.end();
  }
}
