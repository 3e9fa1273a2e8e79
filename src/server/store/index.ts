// Opens the event store a server was configured with: the memory ring (default) or PostgreSQL.
import type { EventStore } from '../eventLog.js';
import type { ServerOptions } from '../options.js';
import { MemoryStore } from './memory.js';
import { PostgresStore } from './postgres.js';

export async function openStore(options: ServerOptions): Promise<EventStore> {
  const keepProperties = options.mode === 'legacy';
  if (options.store === 'memory') return new MemoryStore(options.logSize, keepProperties, options.logBytes);
  return PostgresStore.open({ url: options.store, keepProperties, retention: options.retain, retentionEveryMs: options.retainEveryMs });
}
