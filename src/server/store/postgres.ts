// The PostgreSQL event store: a `logs` table shared by every `evbench serve` process on the database.
// Publishing inserts a batch in one statement under an advisory lock, so ids are contiguous per batch
// and become visible in id order; a trigger NOTIFYs, and every process's listener fetches the new rows
// (id > its head, in order) and hands them to live delivery. Catch-up reads pages by primary key.
// A lost listener connection is re-made with backoff, then the rows inserted meanwhile are fetched.
import { redactUrl } from '../../util/redact.js';
import pg from 'pg';
import { isoFromUs } from '../../clock.js';
import type { PublishedEvent } from '../../protocol/v0.js';
import { UserError } from '../../util/errors.js';
import { eventBodies, eventFields, storedEvent, type EventStore, type LogPage, type StoredEvent } from '../eventLog.js';
import { APPEND_LOCK, migrate, NOTIFY_CHANNEL } from './migrations.js';
import type { Retention } from './retention.js';

/** A database that accepts the TCP connection but never answers is unreachable, not a hang. */
const CONNECT_TIMEOUT_MS = 5000;

/** Rows a catch-up page asks for. */
const PAGE_SIZE = 2000;
/** Rows the listener fetches per query while following the head. */
const TAIL_PAGE = 5000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

const COLUMNS = `id, event_type, object_uuid, object_owner_uuid, object_kind,
  (extract(epoch FROM event_at) * 1000000)::bigint, (extract(epoch FROM created_at) * 1000000)::bigint, properties::text`;

/**
 * One statement per batch: take the append lock (held to commit, so a later batch's ids become visible
 * after this one's), reserve n ids from the sequence, insert the events under them in order.
 */
const INSERT_BATCH = `
WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(${APPEND_LOCK})),
     reserved AS MATERIALIZED (SELECT setval('logs_id_seq', nextval('logs_id_seq') + $1::bigint - 1) AS last_id FROM locked)
INSERT INTO logs (id, event_type, object_uuid, object_owner_uuid, object_kind, event_at, created_at, properties)
SELECT reserved.last_id - $1::bigint + u.n, u.event_type, u.object_uuid, u.owner, u.kind,
       'epoch'::timestamptz + u.event_at_us * interval '1 microsecond',
       'epoch'::timestamptz + $2::bigint * interval '1 microsecond',
       u.properties::json
FROM reserved, unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
     WITH ORDINALITY AS u(event_type, object_uuid, owner, kind, event_at_us, properties, n)
RETURNING id`;

/** A catch-up page and, read in the same snapshot, the retention floor. */
const READ_PAGE = `
SELECT r.oldest_id, l.* FROM logs_retention r
LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM logs WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3) l ON true
ORDER BY l.id`;

const READ_TAIL = `SELECT ${COLUMNS} FROM logs WHERE id > $1 ORDER BY id LIMIT $2`;

/** Moves the retention floor and deletes below it in one statement, so readers see both or neither. */
const RETAIN_COUNT = `
WITH f AS (UPDATE logs_retention SET oldest_id = GREATEST(oldest_id, (SELECT coalesce(max(id), 0) FROM logs) - $1::bigint + 1) RETURNING oldest_id)
DELETE FROM logs WHERE id < (SELECT oldest_id FROM f)`;
const RETAIN_AGE = `
WITH f AS (UPDATE logs_retention SET oldest_id = GREATEST(oldest_id, coalesce(
    (SELECT id FROM logs WHERE created_at >= now() - $1::bigint * interval '1 millisecond' ORDER BY id LIMIT 1),
    (SELECT coalesce(max(id), 0) + 1 FROM logs))) RETURNING oldest_id)
DELETE FROM logs WHERE id < (SELECT oldest_id FROM f)`;

type Row = (string | null)[];

export interface PostgresStoreOptions {
  url: string;
  /** Legacy mode re-serializes properties per client, so it needs them parsed. */
  keepProperties: boolean;
  retention?: Retention;
  /** How often the retention delete runs. */
  retentionEveryMs: number;
}

export class PostgresStore implements EventStore {
  readonly kind = 'postgres';
  readonly shared = true;
  readonly pageSize = PAGE_SIZE;
  headId = 0;
  available = false;
  unavailableReason = 'not connected yet';
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private readonly liveListeners: ((events: StoredEvent[]) => void)[] = [];
  private readonly availabilityListeners: ((available: boolean) => void)[] = [];
  private tailRun: Promise<void> | undefined;
  private tailAgain = false;
  private backoffMs = BACKOFF_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retaining = false;
  private closed = false;

  private constructor(private readonly options: PostgresStoreOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: 8, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle pooled connection that the server ends (e.g. pg_terminate_backend) is dropped by the pool.
    this.pool.on('error', () => {});
  }

  /** Connects, migrates the schema, starts following the head; a UserError when the database cannot be used. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      const client = await store.pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
      await store.connectListener(true);
    } catch (err) {
      await store.close();
      throw new UserError(`--store: cannot use ${redactUrl(options.url)}: ${(err as Error).message}`);
    }
    if (options.retention) {
      store.retentionTimer = setInterval(() => void store.enforceRetention(), options.retentionEveryMs);
      store.retentionTimer.unref();
    }
    return store;
  }

  onLive(listener: (events: StoredEvent[]) => void): void {
    this.liveListeners.push(listener);
  }

  onAvailability(listener: (available: boolean) => void): void {
    this.availabilityListeners.push(listener);
  }

  async append(events: PublishedEvent[], createdAtUs: number): Promise<StoredEvent[]> {
    if (!this.available) throw new Error(this.unavailableReason);
    const fields = events.map((e) => eventFields(e, createdAtUs));
    const result = await this.pool.query<{ id: string }>({
      name: 'evbench_append',
      text: INSERT_BATCH,
      values: [
        fields.length,
        createdAtUs,
        fields.map((f) => f.eventType),
        fields.map((f) => f.objectUuid),
        fields.map((f) => f.ownerUuid),
        fields.map((f) => f.objectKind),
        fields.map((f) => f.eventAtUs),
        fields.map((f) => f.propertiesJson),
      ],
    });
    let first = Infinity;
    let last = -Infinity;
    for (const row of result.rows) {
      const id = Number(row.id);
      if (id < first) first = id;
      if (id > last) last = id;
    }
    if (result.rows.length !== fields.length || last - first !== fields.length - 1) {
      throw new Error(`bug: a batch of ${fields.length} events got ids ${first}..${last}, not contiguous`);
    }
    const bodies = eventBodies(first, fields);
    const stored = fields.map((f, i) => storedEvent(first + i, f, this.properties(f.propertiesJson), bodies[i]));
    // Every id below `first` is committed (the append lock orders commits), so when the head is right
    // below this batch it can go live at once instead of waiting for the notification's fetch.
    if (this.headId === first - 1) this.feed(stored);
    return stored;
  }

  async readPage(afterId: number, throughId: number, limit: number): Promise<LogPage> {
    const result = await this.pool.query<Row>({
      name: 'evbench_page',
      text: READ_PAGE,
      values: [afterId, throughId, limit],
      rowMode: 'array',
    });
    const rows = result.rows;
    const oldestId = Number(rows[0]?.[0] ?? 1);
    const events: StoredEvent[] = [];
    for (const row of rows) if (row[1] !== null) events.push(this.rowEvent(row, 1));
    return { events, oldestId };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.retentionTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }

  private properties(json: string): Record<string, unknown> | undefined {
    return this.options.keepProperties ? (JSON.parse(json) as Record<string, unknown>) : undefined;
  }

  private rowEvent(row: Row, at: number): StoredEvent {
    const eventAtUs = Number(row[at + 5]);
    const propertiesJson = row[at + 7]!;
    return storedEvent(
      Number(row[at]),
      {
        eventType: row[at + 1]!,
        objectUuid: row[at + 2]!,
        ownerUuid: row[at + 3]!,
        objectKind: row[at + 4]!,
        eventAtUs,
        eventAt: isoFromUs(eventAtUs),
        createdAtUs: Number(row[at + 6]),
        propertiesJson,
      },
      this.properties(propertiesJson),
    );
  }

  /** Hands a batch (ids above the head, in order) to live delivery and advances the head. */
  private feed(events: StoredEvent[]): void {
    this.headId = events[events.length - 1]!.id;
    for (const listener of this.liveListeners) listener(events);
  }

  private setAvailable(available: boolean, reason = ''): void {
    this.unavailableReason = reason;
    if (this.available === available) return;
    this.available = available;
    for (const listener of this.availabilityListeners) listener(available);
  }

  /**
   * Opens the LISTEN connection. At start the head is the newest stored id (history is for catch-up);
   * on a reconnect, everything inserted while disconnected is fetched and delivered first.
   */
  private async connectListener(initial: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    client.on('notification', () => {
      if (client === this.listener) this.requestTail().catch((err: Error) => this.lost(client, err));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      this.listener = client;
      if (initial) {
        const head = await client.query<{ head: string }>('SELECT coalesce(max(id), 0) AS head FROM logs');
        this.headId = Number(head.rows[0]!.head);
      } else {
        await this.requestTail();
      }
    } catch (err) {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => {});
      throw err;
    }
    this.backoffMs = BACKOFF_MIN_MS;
    this.setAvailable(true);
  }

  /** Runs the head-following fetch (one at a time); a request during a fetch runs it again after. */
  private requestTail(): Promise<void> {
    this.tailAgain = true;
    return (this.tailRun ??= this.tailLoop().finally(() => (this.tailRun = undefined)));
  }

  private async tailLoop(): Promise<void> {
    while (this.tailAgain) {
      this.tailAgain = false;
      for (;;) {
        const client = this.listener;
        if (!client) throw new Error('listener connection lost');
        const result = await client.query<Row>({
          name: 'evbench_tail',
          text: READ_TAIL,
          values: [this.headId, TAIL_PAGE],
          rowMode: 'array',
        });
        const fresh: StoredEvent[] = [];
        // Rows this process already fed (its own batch, fed on commit) are skipped.
        for (const row of result.rows) if (Number(row[0]) > this.headId) fresh.push(this.rowEvent(row, 0));
        if (fresh.length > 0) this.feed(fresh);
        if (result.rows.length < TAIL_PAGE) break;
      }
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.listener || this.closed) return;
    this.listener = undefined;
    void client.end().catch(() => {});
    this.setAvailable(false, `database connection lost (${err.message})`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener(false).catch((err: Error) => {
        this.unavailableReason = `database unreachable (${err.message}); reconnecting`;
        this.scheduleReconnect();
      });
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }

  /** One retention pass; failures are left to the next pass. */
  private async enforceRetention(): Promise<void> {
    const r = this.options.retention;
    if (!r || this.retaining || !this.available) return;
    this.retaining = true;
    try {
      await this.pool.query(r.kind === 'count' ? RETAIN_COUNT : RETAIN_AGE, [r.kind === 'count' ? r.events : Math.round(r.ms)]);
    } catch {
      // the database is away; the listener's reconnect reports it
    } finally {
      this.retaining = false;
    }
  }
}
