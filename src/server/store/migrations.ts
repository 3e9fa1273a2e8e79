// The PostgreSQL schema, as ordered migrations. Each runs once per database, in its own
// transaction, under an advisory lock so several `evbench serve` processes may start at once.
import type pg from 'pg';

/** Advisory lock keys (one namespace for evbench: the high bits spell "evbn"). */
export const MIGRATION_LOCK = 0x6576626e_0001n;
export const APPEND_LOCK = 0x6576626e_0002n;
/** The channel every insert notifies on (a statement-level trigger, so any writer announces itself). */
export const NOTIFY_CHANNEL = 'evbench_logs';

const MIGRATIONS: string[] = [
  // 1: the log (catch-up reads it by its primary key: id > cursor ORDER BY id), its retention floor
  // and the insert notification.
  `CREATE TABLE IF NOT EXISTS logs (
     id bigserial PRIMARY KEY,
     event_type text NOT NULL,
     object_uuid text NOT NULL DEFAULT '',
     object_owner_uuid text NOT NULL,
     object_kind text NOT NULL,
     event_at timestamptz NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     properties json NOT NULL DEFAULT '{}'
   );
   -- Ids below oldest_id may have been deleted by retention; updated in the same statement as the delete.
   CREATE TABLE IF NOT EXISTS logs_retention (
     singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     oldest_id bigint NOT NULL
   );
   INSERT INTO logs_retention (singleton, oldest_id) VALUES (true, 1) ON CONFLICT DO NOTHING;
   CREATE OR REPLACE FUNCTION evbench_logs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_notify('${NOTIFY_CHANNEL}', ''); RETURN NULL; END
   $$;
   CREATE OR REPLACE TRIGGER logs_notify AFTER INSERT ON logs FOR EACH STATEMENT EXECUTE FUNCTION evbench_logs_notify();`,
];

/** Brings the database's schema up to date; safe to run any number of times, concurrently. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS evbench_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = await client.query<{ version: number }>('SELECT version FROM evbench_migrations');
    const applied = new Set(done.rows.map((r) => r.version));
    for (let i = 0; i < MIGRATIONS.length; i++) {
      const version = i + 1;
      if (applied.has(version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[i]!);
        await client.query('INSERT INTO evbench_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
  }
}
