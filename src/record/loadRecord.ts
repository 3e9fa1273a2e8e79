// Reads a saved run record back: a bad, corrupt or foreign file is a UserError naming the file and
// the field, so `report`, `compare` and `merge` answer with one line and exit 2 (validateRecord.ts).
import { readFileSync, statSync } from 'node:fs';
import { SCHEMA_VERSION, type RunRecord } from './schema.js';
import { UserError } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';
import { redactScenario } from '../scenario/secrets.js';
import { RecordProblem, validateRecord } from './validateRecord.js';

const REQUIRED: (keyof RunRecord)[] = ['scenario', 'phases', 'groups', 'intervals', 'generator', 'hol', 'thresholds', 'warnings'];

/** Larger than any record a run writes; a bigger file is refused before it is read into memory. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Checks that parsed JSON is a run record this version understands, field by field (the first bad
 * field is named), and masks any secret an older evbench kept in it.
 */
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
  let record: RunRecord;
  try {
    record = validateRecord(raw as Record<string, unknown>);
  } catch (err) {
    if (err instanceof RecordProblem) throw new UserError(`${file}: corrupt run record: ${err.path}: ${err.message}`);
    throw err;
  }
  record.scenario.spec = redactScenario(record.scenario.spec);
  record.target.url = redactUrl(record.target.url);
  if (record.server) record.server.source = redactUrl(record.server.source);
  return record;
}

export function readRunRecord(file: string): RunRecord {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_RECORD_BYTES)
      throw new UserError(`${file}: ${size} bytes, larger than any run record (${MAX_RECORD_BYTES} bytes): not read`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
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

/** One part of a file name: letters, digits, `_` and `-` only, never empty, at most 64 characters. */
function namePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 64) || '-';
}

/**
 * A record's name for its files: the scenario, then what tells its runs apart — the variant, the
 * embedded server's mode, the adapter of a URL target — and the shard: `slow-client.isolated`,
 * `slow-client.legacy.shard-0-of-3`, `my-server.generic`. Two different runs never share a file.
 */
export function recordBaseName(record: {
  scenario: { name: string };
  target: Pick<RunRecord['target'], 'kind' | 'mode' | 'adapter'>;
  shard?: RunRecord['shard'];
}): string {
  const [scenario, ...variant] = record.scenario.name.split('/');
  const parts = [scenario!, ...variant];
  const how = record.target.kind === 'embedded' ? record.target.mode : record.target.adapter;
  if (how !== undefined && !parts.slice(1).includes(how)) parts.push(how);
  if (record.shard) parts.push(`shard-${record.shard.index}-of-${record.shard.count}`);
  return parts.map(namePart).join('.');
}
