// Checks a run record read back from a file against its schema: every field a renderer, a merge or a
// file name reads has its type and a sane range, and the arrays are bounded. A record is data from
// anywhere (an artifact, a colleague), so the first problem is one error naming its exact path.
import { HOL_RULE_IDS, type RunRecord } from './schema.js';
import { TICK_US } from '../util/ticksCodec.js';

/** Bounds far above any real run's and far below what would exhaust memory or time rendering it. */
export const RECORD_LIMITS = {
  text: 100_000,
  name: 200,
  phases: 100,
  groups: 1_000,
  clientsPerGroup: 1_000_000,
  intervals: 10_000_000,
  evidence: 1_000,
  thresholds: 10_000,
  warnings: 10_000,
  shards: 10_000,
  /** serverProcess.samples: one a second, plus one at each phase's bounds: more than a day's run. */
  processSamples: 100_000,
} as const;

/** A problem at a path of the record, e.g. `groups[2].phases.stress.missing: expected a number ≥ 0, got "x"`. */
export class RecordProblem {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

type Obj = Record<string, unknown>;

function got(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const fail = (path: string, what: string, v: unknown): never => {
  throw new RecordProblem(path, `expected ${what}, got ${got(v)}`);
};

function obj(path: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Obj;
}

function arr(path: string, v: unknown, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  const a = v as unknown[];
  if (a.length > max) throw new RecordProblem(path, `${a.length} entries, more than the ${max} any run writes`);
  return a;
}

function str(path: string, v: unknown, max: number = RECORD_LIMITS.text): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  const s = v as string;
  if (s.length > max) throw new RecordProblem(path, `${s.length} characters, more than ${max}`);
  return s;
}

function bool(path: string, v: unknown): void {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
}

/** A finite number (≥ min); null too where `nullable` (JSON keeps NaN as null). */
function num(path: string, v: unknown, opts: { min?: number; int?: boolean; nullable?: boolean } = {}): void {
  if (v === null && opts.nullable) return;
  const ok = typeof v === 'number' && Number.isFinite(v) && (opts.min === undefined || v >= opts.min) && (!opts.int || Number.isInteger(v));
  if (!ok)
    fail(
      path,
      `${opts.int ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.nullable ? ' or null' : ''}`,
      v,
    );
}

/** A number where present: records keep a NaN or an empty summary's fields as null or leave them out. */
function maybeNum(path: string, v: unknown): void {
  if (v !== undefined) num(path, v, { nullable: true });
}

function optional(o: Obj, key: string, path: string, check: (p: string, v: unknown) => void): void {
  if (o[key] !== undefined) check(`${path}.${key}`, o[key]);
}

function oneOf(path: string, v: unknown, values: readonly string[]): void {
  if (typeof v !== 'string' || !values.includes(v)) fail(path, `one of ${values.join(', ')}`, v);
}

const COUNTERS = ['clients', 'delivered', 'missing', 'duplicates', 'outOfOrder', 'maxStallUs'] as const;
const SUMMARY = ['count', 'min', 'p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
const HISTOGRAMS = ['histogram', 'uncorrectedHistogram', 'connectHistogram', 'ackHistogram'] as const;

function phaseResult(path: string, v: unknown): void {
  const p = obj(path, v);
  for (const k of COUNTERS) num(`${path}.${k}`, p[k], { min: 0 });
  for (const [k, x] of Object.entries(p)) {
    if (typeof x === 'number' || x === null) num(`${path}.${k}`, x, { nullable: true });
  }
  for (const k of ['latencyUs', 'uncorrectedUs', 'connectUs', 'ackUs'] as const) {
    const s = obj(`${path}.${k}`, p[k]);
    for (const f of SUMMARY) maybeNum(`${path}.${k}.${f}`, s[f]);
  }
  // base64 histograms are decoded by the HDR library: a string of a bounded size
  for (const k of HISTOGRAMS) str(`${path}.${k}`, p[k], 50_000_000);
}

function clientResult(path: string, v: unknown): void {
  const c = obj(path, v);
  num(`${path}.id`, c.id, { min: 0, int: true });
  for (const k of ['delivered', 'missing', 'duplicates', 'outOfOrder', 'maxStallUs'] as const) num(`${path}.${k}`, c[k], { min: 0 });
  for (const k of ['connectUs', 'ackUs', 'closedByServer'] as const) optional(c, k, path, (p, x) => num(p, x, { nullable: true }));
  optional(c, 'closeReason', path, (p, x) => str(p, x));
  optional(c, 'closedAtUs', path, (p, x) => num(p, x, { nullable: true }));
  optional(c, 'refused', path, (p, x) => oneOf(p, x, ['connect', 'subscribe']));
  optional(c, 'frameFaults', path, (p, x) => {
    for (const [k, n] of Object.entries(obj(p, x))) num(`${p}.${k}`, n, { min: 0 });
  });
  optional(c, 'replay', path, (p, x) => {
    const r = obj(p, x);
    for (const k of ['fromId', 'toId', 'received', 'missing'] as const) maybeNum(`${p}.${k}`, r[k]);
  });
  optional(c, 'pushback', path, (p, x) => {
    const b = obj(p, x);
    num(`${p}.reachedAtUs`, b.reachedAtUs, { nullable: true });
    oneOf(`${p}.how`, b.how, ['server-queue', 'estimated', 'closed', 'unknown']);
    for (const k of ['owedBytes', 'rxMaxBytes', 'heldMaxBytes'] as const) num(`${p}.${k}`, b[k]);
    num(`${p}.serverTxMaxBytes`, b.serverTxMaxBytes, { nullable: true });
  });
}

function group(path: string, v: unknown): void {
  const g = obj(path, v);
  str(`${path}.name`, g.name, RECORD_LIMITS.name);
  oneOf(`${path}.kind`, g.kind, ['fast', 'slow', 'catchup', 'churn']);
  num(`${path}.clients`, g.clients, { min: 0, int: true });
  const phases = obj(`${path}.phases`, g.phases);
  if (Object.keys(phases).length > RECORD_LIMITS.phases) throw new RecordProblem(`${path}.phases`, 'more phases than any scenario has');
  for (const [name, p] of Object.entries(phases)) phaseResult(`${path}.phases.${name}`, p);
  arr(`${path}.clientResults`, g.clientResults, RECORD_LIMITS.clientsPerGroup).forEach((c, i) =>
    clientResult(`${path}.clientResults[${i}]`, c),
  );
  optional(g, 'replay', path, (p, x) => {
    const r = obj(p, x);
    for (const k of ['expected', 'received', 'missing', 'duplicates', 'outOfOrder', 'ratePerSec', 'timeToLiveUsMax'] as const)
      maybeNum(`${p}.${k}`, r[k]);
  });
  // age series are decoded with a cap on their length (record/tickSeries.ts): here, bounded strings
  optional(g, 'ages', path, (p, x) => {
    const a = obj(p, x);
    // every reader counts ticks of TICK_US: a series at another spacing would be read at the wrong times
    if (a.tickUs !== TICK_US) fail(`${p}.tickUs`, `${TICK_US} (the tick spacing evbench writes and reads)`, a.tickUs);
    num(`${p}.clients`, a.clients, { min: 0, int: true });
    for (const k of ['together', 'any'] as const) str(`${p}.${k}`, a[k], 50_000_000);
  });
}

function interval(path: string, v: unknown): void {
  const i = obj(path, v);
  str(`${path}.group`, i.group, RECORD_LIMITS.name);
  num(`${path}.startUs`, i.startUs);
  for (const k of ['delivered', 'missing', 'arrived', 'maxStallUs', 'p50Us', 'p99Us', 'maxUs'] as const) maybeNum(`${path}.${k}`, i[k]);
  str(`${path}.histogram`, i.histogram, 10_000_000);
}

function hol(path: string, v: unknown): void {
  const h = obj(path, v);
  oneOf(`${path}.verdict`, h.verdict, ['none', 'hol', 'disconnect', 'invalid', 'unknown', 'inconclusive']);
  for (const k of ['index', 'p50Index', 'stallIndex', 'deliveryRatio'] as const) maybeNum(`${path}.${k}`, h[k]);
  arr(`${path}.evidence`, h.evidence, RECORD_LIMITS.evidence).forEach((e, i) => {
    const p = `${path}.evidence[${i}]`;
    const row = obj(p, e);
    for (const k of ['rule', 'measured', 'bound'] as const) str(`${p}.${k}`, row[k]);
    bool(`${p}.triggered`, row.triggered);
    optional(row, 'informational', p, bool);
    optional(row, 'judged', p, bool);
    optional(row, 'id', p, (q, x) => oneOf(q, x, HOL_RULE_IDS));
  });
  optional(h, 'judged', path, (p, x) => {
    const j = obj(p, x);
    for (const k of ['index', 'p50Index', 'stallIndex', 'deliveryRatio'] as const) bool(`${p}.${k}`, j[k]);
  });
  str(`${path}.summary`, h.summary);
  optional(h, 'noise', path, (p, x) => obj(p, x));
}

function threshold(path: string, v: unknown): void {
  const t = obj(path, v);
  str(`${path}.threshold`, t.threshold);
  num(`${path}.measured`, t.measured, { nullable: true });
  oneOf(`${path}.operator`, t.operator, ['<', '<=', '>', '>=', '==', '!=']);
  num(`${path}.bound`, t.bound, { nullable: true });
  str(`${path}.unit`, t.unit);
  bool(`${path}.passed`, t.passed);
  optional(t, 'judged', path, bool);
  str(`${path}.message`, t.message);
}

function serverProcess(path: string, v: unknown): void {
  const s = obj(path, v);
  str(`${path}.command`, s.command, RECORD_LIMITS.name);
  num(`${path}.pid`, s.pid, { min: 1, int: true });
  num(`${path}.peakRssBytes`, s.peakRssBytes, { min: 0, nullable: true });
  arr(`${path}.samples`, s.samples, RECORD_LIMITS.processSamples).forEach((x, i) => {
    const p = `${path}.samples[${i}]`;
    const sample = obj(p, x);
    num(`${p}.tUs`, sample.tUs);
    num(`${p}.cpuSeconds`, sample.cpuSeconds, { min: 0 });
    num(`${p}.cpuPct`, sample.cpuPct, { min: 0, nullable: true });
    num(`${p}.rssBytes`, sample.rssBytes, { min: 0 });
    num(`${p}.processes`, sample.processes, { min: 0, int: true });
  });
  arr(`${path}.phases`, s.phases, RECORD_LIMITS.phases).forEach((x, i) => {
    const p = `${path}.phases[${i}]`;
    const phase = obj(p, x);
    str(`${p}.phase`, phase.phase, RECORD_LIMITS.name);
    for (const k of ['cpuSeconds', 'cpuPct', 'rssStartBytes', 'rssPeakBytes', 'rssEndBytes'] as const)
      num(`${p}.${k}`, phase[k], { min: 0, nullable: true });
  });
}

/** Throws a RecordProblem at the first field that is not what the schema says. */
export function validateRecord(raw: Obj): RunRecord {
  const scenario = obj('scenario', raw.scenario);
  str('scenario.name', scenario.name, RECORD_LIMITS.name);
  if ((scenario.name as string).trim() === '') throw new RecordProblem('scenario.name', 'empty');
  str('scenario.source', scenario.source);
  str('scenario.description', scenario.description);
  const spec = obj('scenario.spec', scenario.spec);
  arr('scenario.spec.phases', spec.phases, RECORD_LIMITS.phases);
  arr('scenario.spec.groups', spec.groups, RECORD_LIMITS.groups);
  obj('scenario.spec.publisher', spec.publisher);
  obj('scenario.spec.target', spec.target);
  optional(spec, 'thresholds', 'scenario.spec', obj);

  const target = obj('target', raw.target);
  oneOf('target.kind', target.kind, ['embedded', 'url']);
  str('target.url', target.url, 10_000);
  str('target.adapter', target.adapter, RECORD_LIMITS.name);
  optional(target, 'mode', 'target', (p, x) => str(p, x, RECORD_LIMITS.name));
  optional(target, 'protocol', 'target', (p, x) => str(p, x, RECORD_LIMITS.name));

  str('startedAt', raw.startedAt, 100);
  optional(raw, 'startAt', '', (p, x) => {
    str(p.slice(1), x, 100);
    // written by toISOString; merge compares shards by it
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(x as string) || !Number.isFinite(Date.parse(x as string)))
      throw new RecordProblem(p.slice(1), 'not an ISO-8601 UTC instant such as 2026-12-05T10:00:00.000Z');
  });
  num('t0Us', raw.t0Us);
  num('durationUs', raw.durationUs, { min: 0 });
  bool('partial', raw.partial);
  bool('invalid', raw.invalid);
  optional(raw, 'partialReason', '', (p, x) => str(p.slice(1), x));
  optional(raw, 'invalidReason', '', (p, x) => str(p.slice(1), x));
  num('workers', raw.workers, { min: 0, int: true });
  if (raw.shard !== undefined) {
    // shard index and count name files: whole numbers and nothing else
    const shard = obj('shard', raw.shard);
    num('shard.count', shard.count, { min: 1, int: true });
    num('shard.index', shard.index, { min: 0, int: true });
    if ((shard.count as number) > RECORD_LIMITS.shards) throw new RecordProblem('shard.count', `more than ${RECORD_LIMITS.shards} shards`);
    if ((shard.index as number) >= (shard.count as number)) throw new RecordProblem('shard.index', 'not below shard.count');
  }
  if (raw.mergedFrom !== undefined) {
    const m = obj('mergedFrom', raw.mergedFrom);
    num('mergedFrom.shards', m.shards, { min: 1, int: true });
    arr('mergedFrom.sources', m.sources, RECORD_LIMITS.shards).forEach((s, i) => str(`mergedFrom.sources[${i}]`, s, 10_000));
  }

  arr('phases', raw.phases, RECORD_LIMITS.phases).forEach((v, i) => {
    const p = obj(`phases[${i}]`, v);
    str(`phases[${i}].name`, p.name, RECORD_LIMITS.name);
    str(`phases[${i}].role`, p.role, RECORD_LIMITS.name);
    num(`phases[${i}].startUs`, p.startUs);
    num(`phases[${i}].durationUs`, p.durationUs, { min: 0 });
  });
  arr('groups', raw.groups, RECORD_LIMITS.groups).forEach((g, i) => group(`groups[${i}]`, g));
  arr('intervals', raw.intervals, RECORD_LIMITS.intervals).forEach((v, i) => interval(`intervals[${i}]`, v));

  const gen = obj('generator', raw.generator);
  for (const k of ['cpuPercent', 'cores', 'eventLoopDelayP99Us', 'eventLoopUtilization'] as const) maybeNum(`generator.${k}`, gen[k]);
  obj('generator.publisher', gen.publisher);
  bool('generator.bound', gen.bound);
  arr('generator.reasons', gen.reasons, RECORD_LIMITS.warnings).forEach((r, i) => str(`generator.reasons[${i}]`, r));
  optional(gen, 'lagTicks', 'generator', (p, x) => str(p, x, 50_000_000));
  optional(gen, 'strained', 'generator', (p, x) => str(p, x));

  hol('hol', raw.hol);
  if (raw.server !== undefined) {
    const s = obj('server', raw.server);
    str('server.source', s.source, 10_000);
    optional(s, 'phases', 'server', (p, x) => arr(p, x, RECORD_LIMITS.phases).forEach((v, i) => obj(`${p}[${i}]`, v)));
  }
  if (raw.serverProcess !== undefined) serverProcess('serverProcess', raw.serverProcess);
  arr('thresholds', raw.thresholds, RECORD_LIMITS.thresholds).forEach((t, i) => threshold(`thresholds[${i}]`, t));
  arr('warnings', raw.warnings, RECORD_LIMITS.warnings).forEach((w, i) => str(`warnings[${i}]`, w));
  return raw as unknown as RunRecord;
}
