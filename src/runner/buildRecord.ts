// The one aggregate step (wrk2's, after its threads measure): what the threads shipped becomes the
// run record — groups and intervals added up, the generator judged, the run's own warnings — and
// finalizeRecord gives it its verdict and thresholds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { redactStrings, redactUrl } from '../util/redact.js';
import { redactScenario } from '../scenario/secrets.js';
import type { IdMap } from '../measurement/idMap.js';
import type { EncodedInterval } from '../measurement/recorder.js';
import type { Timeline } from '../measurement/schedule.js';
import { finalizeRecord } from '../verdict/finalize.js';
import type { Scenario } from '../scenario/types.js';
import { assembleGroups, assembleIntervals, type WorkerResult } from './assemble.js';
import { noVerdict, SCHEMA_VERSION, type GeneratorHealth, type RunRecord, type ServerScrape } from '../record/schema.js';
import type { RunState } from './runState.js';
import type { TargetHandle } from './target.js';
import './adapters/builtins.js';
import { protocolOf } from './adapters/registry.js';
import { summarizeServerProcess, type RawProcessSample } from './serverProcess.js';

const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export interface MeasuredParts {
  /** The scenario as given, and this shard's part of it (the same without shards). */
  fullScenario: Scenario;
  scenario: Scenario;
  target: TargetHandle;
  shard: { index: number; count: number };
  startedAt: string;
  /** The instant the run was told to start at (`--start-at`), epoch µs. */
  startAtUs?: number;
  tl: Timeline;
  endedUs: number;
  workers: number;
  results: WorkerResult[];
  intervals: Map<string, EncodedInterval[]>;
  generator: GeneratorHealth;
  server?: ServerScrape;
  /** The server evbench started (`--server-cmd`): its program's name, pid, and the samples of its process tree. */
  serverProcess?: { command: string; pid: number; samples: readonly RawProcessSample[] };
  idMap: IdMap;
  state: RunState;
}

/** The parts of a record that say what ran, where and when (shared with the live dashboard's provisional record). */
export function recordHead(
  m: Pick<MeasuredParts, 'fullScenario' | 'scenario' | 'target' | 'startedAt' | 'startAtUs' | 'tl'>,
): Pick<RunRecord, 'schemaVersion' | 'tool' | 'scenario' | 'target' | 'startedAt' | 'startAt' | 't0Us'> {
  const { scenario } = m;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'evbench', version },
    // the record is kept and shared: it holds the scenario and the target without their secrets
    scenario: {
      name: m.fullScenario.name,
      source: m.fullScenario.source,
      description: m.fullScenario.description,
      spec: redactScenario(m.fullScenario),
    },
    target: {
      kind: scenario.target.kind,
      url: redactUrl(m.target.url),
      mode: m.target.mode,
      adapter: scenario.target.kind === 'url' ? scenario.target.adapter : 'evbench',
      protocol: protocolOf(scenario),
    },
    startedAt: m.startedAt,
    ...(m.startAtUs === undefined ? {} : { startAt: new Date(Math.floor(m.startAtUs / 1000)).toISOString() }),
    t0Us: m.tl.t0Us,
  };
}

/** The record's timeline: each phase's start (µs since t0) and duration. */
export function recordPhases(scenario: Scenario, tl: Timeline): RunRecord['phases'] {
  return scenario.phases.map((p, i) => ({ name: p.name, role: p.role, startUs: tl.starts[i]! - tl.t0Us, durationUs: p.durationUs }));
}

export function buildRecord(m: MeasuredParts): RunRecord {
  const { scenario, tl, idMap } = m;
  const phases = recordPhases(scenario, tl);
  const record: RunRecord = {
    ...recordHead(m),
    durationUs: Math.min(m.endedUs, tl.endUs) - tl.t0Us,
    ...m.state.marks(),
    workers: m.workers,
    shard: m.shard.count > 1 ? m.shard : undefined,
    phases,
    groups: assembleGroups(scenario, m.results),
    intervals: assembleIntervals(m.intervals),
    generator: m.generator,
    hol: noVerdict(),
    server: m.server && { ...m.server, source: redactUrl(m.server.source) },
    serverProcess:
      m.serverProcess && summarizeServerProcess(m.serverProcess.command, m.serverProcess.pid, m.serverProcess.samples, tl.t0Us, phases),
    thresholds: [],
    warnings: [],
  };
  const early = record.groups.reduce((a, g) => a + Object.values(g.phases).reduce((b, p) => b + (p.beforePublish ?? 0), 0), 0);
  const deliveredAll = record.groups.reduce((a, g) => a + Object.values(g.phases).reduce((b, p) => b + p.delivered, 0), 0);
  if (early > 0.01 * deliveredAll) {
    record.warnings.push(
      `${early} of ${deliveredAll} events arrived before their publish time (clock skew between target and runner, or a target stamping times ahead): their latency was recorded as 0`,
    );
  }
  const unacknowledged = idMap.sent - idMap.knownCount;
  if (unacknowledged > 0) {
    record.warnings.push(
      `the target never acknowledged ${unacknowledged} of ${idMap.sent} published events` +
        (idMap.ranges.length === 1
          ? ': they are still owed to every client (their ids continue the acknowledged range)'
          : ': with several id ranges their ids are unknown, so they are NOT counted as missing'),
    );
  }
  // a shard's siblings publish to the same target, between its events: several ranges are expected
  // of them (the shard knows it has N − 1 siblings), so only a run without shards can tell a stranger
  if (idMap.ranges.length > 1 && m.shard.count <= 1)
    record.warnings.push(
      `the target gave non-contiguous ids across publish batches (${idMap.ranges.length} ranges): another publisher shares it`,
    );
  // what a target said (a close reason, an error) may quote a URL or a token the run was given
  return redactStrings(finalizeRecord(record, scenario));
}
