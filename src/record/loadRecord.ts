// Reads a saved run record back: a bad, corrupt or foreign file is a UserError naming the file and
// the problem, so `report`, `compare` and `merge` answer with one line and exit 2.
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, type RunRecord } from './schema.js';
import { UserError } from '../util/errors.js';

const REQUIRED: (keyof RunRecord)[] = ['scenario', 'phases', 'groups', 'intervals', 'generator', 'hol', 'thresholds', 'warnings'];

/** Checks that parsed JSON is a run record this version understands. */
export function asRunRecord(raw: unknown, file: string): RunRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError(`${file}: not a run record (expected a JSON object)`);
  const r = raw as Partial<RunRecord> & { tool?: { name?: string } };
  if (r.tool?.name !== 'evbench' || r.schemaVersion === undefined) {
    throw new UserError(`${file}: not an evbench run record (no tool.name "evbench" or schemaVersion)`);
  }
  if (r.schemaVersion !== SCHEMA_VERSION) {
    throw new UserError(
      `${file}: run record schemaVersion ${String(r.schemaVersion)} is not supported (this evbench reads ${SCHEMA_VERSION})`,
    );
  }
  for (const k of REQUIRED) if (r[k] === undefined) throw new UserError(`${file}: corrupt run record: field "${k}" is missing`);
  if (!Array.isArray(r.groups) || !Array.isArray(r.phases) || !Array.isArray(r.intervals)) {
    throw new UserError(`${file}: corrupt run record: groups, phases and intervals must be arrays`);
  }
  for (const [i, g] of r.groups.entries()) {
    if (typeof g?.name !== 'string' || typeof g.phases !== 'object' || g.phases === null) {
      throw new UserError(`${file}: corrupt run record: groups[${i}] has no name or phases`);
    }
  }
  return r as RunRecord;
}

export function readRunRecord(file: string): RunRecord {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return asRunRecord(raw, file);
}

/** A record's name for its files: `slow-client`, `slow-client-legacy`, `slow-client.shard-0-of-3`. */
export function recordBaseName(record: RunRecord): string {
  const base = record.scenario.name.replace(/[^A-Za-z0-9_-]+/g, '-');
  return record.shard ? `${base}.shard-${record.shard.index}-of-${record.shard.count}` : base;
}
