// Merges the shards of a distributed run (`evbench run --shard i/N` on N machines) into one record:
// histograms are added (never averaged), counters summed (max for stalls), summaries recomputed,
// then the HOL verdict and the thresholds are evaluated again on the whole. Shards must have started
// together (t0 within a tolerance; given one `--start-at`, they share it), and a shard that is not a
// result makes the whole not a result.
import { finalizeRecord, markNotAResult } from './finalize.js';
import { zeroCounters } from '../measurement/recorder.js';
import { combineInterval, combinePhase, combineReplays } from '../measurement/combine.js';
import type { GroupResult, IntervalRecord, PhaseCounters, PhaseResult, RunRecord } from '../record/schema.js';
import { isoFromUs } from '../clock.js';
import { formatUs } from '../util/units.js';
import { UserError } from '../util/errors.js';
import { notAResult } from '../record/notAResult.js';
import { combineAges, combineLags, type GroupAges } from '../measurement/ageTicks.js';
import { encodeTicks } from '../util/ticksCodec.js';
import { decodeAges, decodeLag, encodeAges } from '../record/tickSeries.js';

/**
 * How far apart the shards' t0 may be, after each shard's schedule offset (shard i's t0 is i/rate
 * later: `shardScenario`). One second is the record's time resolution: merge adds interval k (the
 * k-th clock second since t0) of every shard, and phase boundaries are read on the same clock, so
 * shards further apart than one interval would add different moments together and let one shard's
 * stress overlap another's baseline. Without `--start-at` each run picks t0 ≈ 1 s after it starts,
 * so the processes must start within it; given one `--start-at`, every shard's t0 is that instant
 * (Kubernetes pods that start seconds apart included).
 */
export const DEFAULT_MAX_T0_SKEW_US = 1_000_000;

export interface MergeOptions {
  /** Largest allowed spread of the shards' t0, offsets removed (µs). */
  maxT0SkewUs: number;
}

export interface ShardInput {
  /** Where the record came from, for messages and `mergedFrom.sources`. */
  source: string;
  record: RunRecord;
}

const COUNTER_KEYS = Object.keys(zeroCounters()) as (keyof PhaseCounters)[];

function pickCounters(p: PhaseResult): PhaseCounters {
  const c = zeroCounters();
  for (const k of COUNTER_KEYS) c[k] = p[k] ?? 0;
  return c;
}

/** Shard i's t0 as the schedule sets it: i/rate after shard 0's (see shardScenario in runner/run.ts). */
export function scheduleOffsetUs(record: RunRecord): number {
  const rate = record.scenario.spec.publisher.rate;
  return rate > 0 ? Math.floor((record.shard!.index * 1e6) / rate) : 0;
}

/**
 * Throws a UserError naming the earliest and latest shard when their starts differ by more than the
 * tolerance; else returns the spread.
 */
function checkT0(inputs: ShardInput[], maxSkewUs: number): number {
  const starts = inputs.map((i) => ({ ...i, startUs: i.record.t0Us - scheduleOffsetUs(i.record) })).sort((a, b) => a.startUs - b.startUs);
  const first = starts[0]!;
  const last = starts.at(-1)!;
  const skew = last.startUs - first.startUs;
  if (skew <= maxSkewUs) return skew;
  const name = (x: ShardInput): string =>
    `shard ${x.record.shard!.index}/${x.record.shard!.count} (${x.source}, t0 ${isoFromUs(x.record.t0Us)})`;
  throw new UserError(
    `merge: shards did not start together: ${name(last)} started ${formatUs(skew)} after ${name(first)} (schedule offsets removed), more than the ${formatUs(maxSkewUs)} tolerance (--max-t0-skew): start every shard of a run at once`,
  );
}

/**
 * The instant the shards were told to start at (`--start-at`), when every one was given one: shards
 * given instants further apart than the tolerance are refused, naming both (their t0 would differ
 * as much). Undefined when a shard was given none (then their t0 alone say whether they started together).
 */
function agreedStartAt(inputs: ShardInput[], maxSkewUs: number): string | undefined {
  if (inputs.some((i) => i.record.startAt === undefined)) return undefined;
  const given = inputs.map((i) => ({ ...i, atMs: Date.parse(i.record.startAt!) })).sort((a, b) => a.atMs - b.atMs);
  const first = given[0]!;
  const last = given.at(-1)!;
  const skewUs = (last.atMs - first.atMs) * 1000;
  if (skewUs > maxSkewUs) {
    const name = (x: ShardInput): string => `shard ${x.record.shard!.index}/${x.record.shard!.count} (${x.source}) at ${x.record.startAt!}`;
    throw new UserError(
      `merge: shards were told to start at different instants: ${name(last)}, ${formatUs(skewUs)} after ${name(first)}, more than the ${formatUs(maxSkewUs)} tolerance (--max-t0-skew): give every shard of a run the same --start-at`,
    );
  }
  return first.record.startAt!;
}

/** How the shards started together, for the person merging them: at the instant they were given, or how close their t0 were. */
export function startedTogether(inputs: ShardInput[], maxT0SkewUs = DEFAULT_MAX_T0_SKEW_US): string {
  const at = agreedStartAt(inputs, maxT0SkewUs);
  return at !== undefined
    ? `started together at ${at} (--start-at)`
    : `started within ${formatUs(checkT0(inputs, maxT0SkewUs))} of each other (schedule offsets removed)`;
}

/** Throws a UserError unless the inputs are all the shards of one run of one scenario, started together. */
export function checkShards(inputs: ShardInput[], maxT0SkewUs = DEFAULT_MAX_T0_SKEW_US): void {
  if (inputs.length < 2) throw new UserError(`merge: give at least two shard records (got ${inputs.length})`);
  const first = inputs[0]!;
  const shape = (r: RunRecord): string =>
    JSON.stringify({ phases: r.phases.map((p) => [p.name, p.role, p.durationUs]), groups: r.groups.map((g) => [g.name, g.kind]) });
  for (const { source, record } of inputs) {
    if (record.mergedFrom) throw new UserError(`${source}: already a merged record (merge the original shards instead)`);
    if (!record.shard) throw new UserError(`${source}: not a shard (no "shard" field; run each part with --shard i/N)`);
    if (record.scenario.name !== first.record.scenario.name) {
      throw new UserError(
        `${source}: scenario "${record.scenario.name}" differs from "${first.record.scenario.name}" in ${first.source}: records from different scenarios do not merge`,
      );
    }
    if (shape(record) !== shape(first.record)) {
      throw new UserError(
        `${source}: phases or groups differ from ${first.source} (same scenario name, different scenario): records do not merge`,
      );
    }
    if (record.shard.count !== first.record.shard!.count) {
      throw new UserError(
        `${source}: shard ${record.shard.index}/${record.shard.count} does not belong with ${first.source} (shard ${first.record.shard!.index}/${first.record.shard!.count})`,
      );
    }
  }
  const count = first.record.shard!.count;
  const seen = new Map<number, string>();
  for (const { source, record } of inputs) {
    const other = seen.get(record.shard!.index);
    if (other !== undefined) throw new UserError(`${source}: shard ${record.shard!.index}/${count} given twice (also ${other})`);
    seen.set(record.shard!.index, source);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length)
    throw new UserError(
      `merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a verdict on part of the load would mislead`,
    );
  agreedStartAt(inputs, maxT0SkewUs);
  checkT0(inputs, maxT0SkewUs);
}

function mergePhase(parts: PhaseResult[], durationUs: number): PhaseResult {
  const encoded = parts.map((p) => ({
    latency: p.histogram,
    uncorrected: p.uncorrectedHistogram,
    connect: p.connectHistogram,
    ack: p.ackHistogram,
    counters: pickCounters(p),
  }));
  return combinePhase(
    encoded,
    parts.reduce((a, p) => a + p.clients, 0),
    durationUs,
  );
}

/** Says that shard `i`'s series is missing or could not be read, and what the merge did without it. */
type Unread = (i: number, what: string) => void;

/** `parts[i]` is the group in `records[i]`. */
function mergeGroup(parts: GroupResult[], records: RunRecord[], unread: Unread): GroupResult {
  const record = records[0]!;
  const first = parts[0]!;
  const phases: GroupResult['phases'] = {};
  for (const ph of record.phases) {
    const ps = parts.map((g) => g.phases[ph.name]).filter((p): p is PhaseResult => p !== undefined);
    if (ps.length) phases[ph.name] = mergePhase(ps, ph.durationUs);
  }
  // client ids are per shard: renumber so they stay unique in the merged record
  let id = 0;
  const clientResults = parts.flatMap((g) => g.clientResults.map((c) => ({ ...c, id: id++ })));
  const group: GroupResult = {
    name: first.name,
    kind: first.kind,
    behaviour: first.behaviour,
    clients: parts.reduce((a, g) => a + g.clients, 0),
    phases,
    clientResults,
  };
  if (first.behaviour === undefined) delete group.behaviour;
  const replays = parts.map((g) => g.replay).filter((r): r is NonNullable<GroupResult['replay']> => r !== undefined);
  const clientRates = clientResults.map((c) => c.replay?.ratePerSec).filter((r): r is number => typeof r === 'number');
  const replay = combineReplays(replays, clientRates);
  if (replay) group.replay = replay;
  const ages = mergeAges(parts, records, unread);
  if (ages) group.ages = ages;
  return group;
}

/**
 * The shards' age series added tick by tick (tick k of every shard together, as intervals are added
 * second by second): the youngest of the youngest, so a freeze counts only when the fast clients of
 * every shard froze together. Undefined when no shard has one, or one cannot be read: the youngest
 * of only some shards' clients would show freezes the others did not have (each unread one is said).
 */
function mergeAges(parts: GroupResult[], records: RunRecord[], unread: Unread): GroupResult['ages'] {
  const decoded: GroupAges[] = [];
  let readable = true;
  parts.forEach((g, i) => {
    if (g.ages === undefined) return;
    const together = decodeAges(records[i]!, g.ages, 'together');
    const any = decodeAges(records[i]!, g.ages, 'any');
    if (together && any) decoded.push({ clients: g.ages.clients, together, any });
    else {
      readable = false;
      unread(
        i,
        `group "${g.name}"'s age series could not be read: the merged record has none for "${g.name}", so its freezes are not judged`,
      );
    }
  });
  if (!readable || decoded.length === 0) return undefined;
  return encodeAges(combineAges(decoded));
}

/**
 * The shards' generator lateness, the worst tick by tick (each publisher's lateness ages every
 * client's events), and what strained each shard's generator. No series when a shard's cannot be
 * read or a shard has none while others do: the worst over some shards would read as "not late"
 * in the seconds only the others' generators were on time, so the merged record falls back to the
 * loop delay p99, as a record without the series does (each such shard is said).
 */
function lagAndStrain(
  records: RunRecord[],
  prefix: (i: number) => string,
  unread: Unread,
): Pick<RunRecord['generator'], 'lagTicks' | 'strained'> {
  const out: Pick<RunRecord['generator'], 'lagTicks' | 'strained'> = {};
  if (records.some((r) => r.generator.lagTicks !== undefined)) {
    const decoded: Uint32Array[] = [];
    const fallback = "the merged record has none, so the generator's delay in each second is taken as its loop delay p99";
    records.forEach((r, i) => {
      const lag = r.generator.lagTicks === undefined ? undefined : decodeLag(r);
      if (lag) decoded.push(lag);
      else if (r.generator.lagTicks === undefined) unread(i, `has no generator lateness series where other shards have one: ${fallback}`);
      else unread(i, `the generator's lateness series could not be read: ${fallback}`);
    });
    if (decoded.length === records.length) out.lagTicks = encodeTicks(combineLags(decoded));
  }
  const strained = records.flatMap((r, i) => (r.generator.strained ? [`${prefix(i)}: ${r.generator.strained}`] : []));
  if (strained.length > 0) out.strained = strained.join('; ');
  return out;
}

function mergeIntervals(records: RunRecord[]): IntervalRecord[] {
  const byKey = new Map<string, IntervalRecord[]>();
  for (const r of records)
    for (const iv of r.intervals) {
      const key = `${iv.group}\u0000${iv.startUs}`;
      (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(iv);
    }
  return [...byKey.values()].map((list) => combineInterval(list[0]!.group, list[0]!.startUs, list)).sort((a, b) => a.startUs - b.startUs);
}

export function mergeShards(inputs: ShardInput[], options: Partial<MergeOptions> = {}): RunRecord {
  checkShards(inputs, options.maxT0SkewUs ?? DEFAULT_MAX_T0_SKEW_US);
  const sorted = [...inputs].sort((a, b) => a.record.shard!.index - b.record.shard!.index);
  const records = sorted.map((i) => i.record);
  const first = records[0]!;
  const spec = first.scenario.spec;
  const gens = records.map((r) => r.generator);
  const prefix = (i: number): string => `shard ${records[i]!.shard!.index}/${first.shard!.count}`;
  const warnings: string[] = [];
  records.forEach((r, i) => r.warnings.forEach((w) => warnings.push(`${prefix(i)}: ${w}`)));
  const unread: Unread = (i, what) => warnings.push(`${prefix(i)}: ${what}`);
  const urls = new Set(records.map((r) => r.server?.source));
  let server = first.server;
  if (records.some((r) => r.server)) {
    if (urls.size === 1 && first.target.kind === 'url') {
      // one shared server: its counters are cumulative, the last scrape saw every shard's load
      server = records
        .map((r) => r.server)
        .filter((s) => s !== undefined)
        .sort((a, b) => (a.sendDurationUs?.count ?? 0) - (b.sendDurationUs?.count ?? 0))
        .at(-1);
    } else {
      server = undefined;
      warnings.push('each shard scraped its own server: server-side metrics are per shard (see the shard records), not merged');
    }
  }
  const merged: RunRecord = {
    schemaVersion: first.schemaVersion,
    tool: first.tool,
    scenario: first.scenario,
    target: first.target,
    startedAt: records.map((r) => r.startedAt).sort()[0]!,
    startAt: agreedStartAt(inputs, options.maxT0SkewUs ?? DEFAULT_MAX_T0_SKEW_US),
    t0Us: Math.min(...records.map((r) => r.t0Us)),
    durationUs: Math.max(...records.map((r) => r.durationUs)),
    partial: records.some((r) => r.partial),
    invalid: records.some((r) => r.invalid),
    workers: records.reduce((a, r) => a + r.workers, 0),
    mergedFrom: { shards: records.length, sources: sorted.map((i) => i.source) },
    phases: first.phases,
    groups: first.groups.map((g) =>
      mergeGroup(
        records.map((r) => r.groups.find((x) => x.name === g.name)!),
        records,
        unread,
      ),
    ),
    intervals: mergeIntervals(records),
    generator: {
      cpuPercent: Math.max(...gens.map((g) => g.cpuPercent)),
      cores: Math.max(...gens.map((g) => g.cores)),
      eventLoopDelayP99Us: Math.max(...gens.map((g) => g.eventLoopDelayP99Us)),
      eventLoopUtilization: Math.max(...gens.map((g) => g.eventLoopUtilization)),
      publisher: {
        sent: gens.reduce((a, g) => a + g.publisher.sent, 0),
        latenessP99Us: Math.max(...gens.map((g) => g.publisher.latenessP99Us)),
        latenessMaxUs: Math.max(...gens.map((g) => g.publisher.latenessMaxUs)),
        lateEvents: gens.reduce((a, g) => a + g.publisher.lateEvents, 0),
        prefilled: gens.reduce((a, g) => a + g.publisher.prefilled, 0),
      },
      bound: gens.some((g) => g.bound),
      reasons: gens.flatMap((g, i) => g.reasons.map((r) => `${prefix(i)}: ${r}`)),
      replayBound: gens.some((g) => g.replayBound),
      ...lagAndStrain(records, prefix, unread),
    },
    hol: first.hol,
    server,
    thresholds: [],
    warnings,
  };
  const partial = records.map((r, i) => (r.partial ? `${prefix(i)}: ${r.partialReason ?? 'stopped early'}` : '')).filter(Boolean);
  if (partial.length) merged.partialReason = partial.join('; ');
  const invalid = records.map((r, i) => (r.invalid ? `${prefix(i)}: ${r.invalidReason ?? 'a worker failed'}` : '')).filter(Boolean);
  if (invalid.length) merged.invalidReason = invalid.join('; ');
  if (!server) delete merged.server;
  if (merged.startAt === undefined) delete merged.startAt;
  finalizeRecord(merged, spec);
  // a shard that is not a result (invalid verdict, failed worker, bound generator) leaves a hole
  // the others cannot fill: the whole is not a result either, whatever the sums say
  const notResults = records.map((r, i) => ({ i, why: notAResult(r) })).filter((x) => x.why !== null);
  if (notResults.length) markNotAResult(merged, notResults.map((x) => `${prefix(x.i)}: ${x.why}`).join('; '));
  return merged;
}
