// Runs a scenario: opens the target, starts the publisher and client worker threads on one
// timeline, collects what they measured and assembles the run record. Stops by itself when the
// scenario ends; on abort (Ctrl-C, server death, worker crash) it still returns what it measured.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowUs } from '../clock.js';
import { distFile, packageRoot } from '../util/paths.js';
import { UserError, EXIT_UNREACHABLE } from '../util/errors.js';
import { userToken } from '../protocol/v0.js';
import type { Scenario } from '../scenario/types.js';
import { IdMap } from '../measurement/idMap.js';
import { decodeHistogram } from '../measurement/histogram.js';
import { secondOf, type EncodedInterval } from '../measurement/recorder.js';
import { phaseAt, timeline, type Timeline } from '../measurement/schedule.js';
import { finalizeRecord } from '../records/finalize.js';
import { assembleGroups, assembleIntervals, type WorkerResult } from './assemble.js';
import { diagnose, type DiagnosticReport } from './diagnose.js';
import { judgeGenerator, type HealthSample } from './generatorHealth.js';
import { formatUs } from '../scenario/units.js';
import { openTarget, type TargetHandle } from './target.js';
import { scrapeServer } from './scrape.js';
import { watchServer } from './serverWatch.js';
import type { ClientPlan, ClientWorkerInit, MainToWorker, WorkerToMain } from './messages.js';
import { noPublisher, startPublisher } from './publisherHandle.js';
import { SCHEMA_VERSION, type RunRecord } from './record.js';

export interface ProgressSnapshot {
  phase: string;
  elapsedUs: number;
  totalUs: number;
  /** Fast-group deliveries per second in the last complete second. */
  eventsPerSec: number;
  fastP99Us: number;
}

export interface RunOptions {
  /** Client worker threads (default: cores − 1, at least 1: the server needs a core too). */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: ProgressSnapshot) => void;
  log?: (line: string) => void;
  /** Run shard `index` of `count` (0-based): this process takes its share of every group's clients and of the publisher's schedule. */
  shard?: { index: number; count: number };
}

/**
 * A shard's part of a scenario: every `count`-th event of the global schedule (as its own schedule
 * at rate/count, offset by index/rate) and its share of each group's clients.
 */
export function shardScenario(scenario: Scenario, shard: { index: number; count: number }): { scenario: Scenario; t0OffsetUs: number } {
  if (shard.count <= 1) return { scenario, t0OffsetUs: 0 };
  const s = structuredClone(scenario);
  s.publisher.rate = scenario.publisher.rate / shard.count;
  s.publisher.prefill = Math.floor(scenario.publisher.prefill / shard.count) + (shard.index < scenario.publisher.prefill % shard.count ? 1 : 0);
  for (const g of s.groups) g.count = Math.floor(g.count / shard.count) + (shard.index < g.count % shard.count ? 1 : 0);
  return { scenario: s, t0OffsetUs: Math.floor((shard.index * 1e6) / scenario.publisher.rate) };
}

const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Two client threads at least, so a replaying catch-up client never shares a thread with fast clients. */
export function defaultWorkers(): number {
  return Math.max(2, availableParallelism() - 1);
}

/**
 * Spreads clients over workers round-robin; with two or more workers, catch-up clients (which
 * read as fast as the server replays) get the last worker to themselves, so their load cannot
 * show up as latency of the fast clients.
 */
function planClients(scenario: Scenario, target: TargetHandle, workers: number): ClientPlan[][] {
  const perWorker: ClientPlan[][] = Array.from({ length: workers }, () => []);
  const hasCatchup = scenario.groups.some((g) => g.kind === 'catchup' && g.count > 0);
  const others = hasCatchup && workers > 1 ? workers - 1 : workers;
  let clientId = 0;
  let next = 0;
  scenario.groups.forEach((g, group) => {
    for (let i = 0; i < g.count; i++) {
      const user = target.users > 0 && g.kind !== 'catchup' ? i % target.users : -1;
      const token = user >= 0 ? userToken(user) : target.readerToken;
      const worker = g.kind === 'catchup' && others < workers ? workers - 1 : next++ % others;
      perWorker[worker]!.push({ clientId, group, user, token });
      clientId++;
    }
  });
  return perWorker.filter((w) => w.length > 0);
}

export async function runScenario(fullScenario: Scenario, options: RunOptions = {}): Promise<RunRecord> {
  const shard = options.shard ?? { index: 0, count: 1 };
  if (shard.count > 1 && fullScenario.target.kind === 'embedded') {
    // N embedded servers at 1/N of the load each would merge into a record of no server at all
    throw new UserError('--shard: shards split one load against one shared server: give it with --target (an embedded server is private to each shard)');
  }
  const { scenario, t0OffsetUs } = shardScenario(fullScenario, shard);
  const log = options.log ?? (() => {});
  const totalClients = scenario.groups.reduce((a, g) => a + g.count, 0);
  const requestedWorkers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), Math.max(1, totalClients)));
  const startedAt = new Date().toISOString();
  const target = await openTarget(scenario, (line) => log(`server: ${line}`));

  let abortReason: string | undefined;
  let refusal: string | undefined;
  let invalidReason: string | undefined;
  let onAbort: (() => void) | undefined;
  let rejectAborted: (e: Error) => void = () => {};
  const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
  aborted.catch(() => {});
  const abort = (reason: string): void => {
    if (abortReason) return;
    abortReason = reason;
    rejectAborted(new Error(reason));
    onAbort?.();
  };
  options.signal?.addEventListener('abort', () => abort('interrupted'));
  void target.server?.exited.then((code) => abort(`embedded server exited (${code})`));

  const threads: Worker[] = [];
  try {
    // --- publisher -------------------------------------------------------------------------
    const health: HealthSample[] = [];
    const idMap = new IdMap();
    let headId = 0;
    const clientWorkers: Worker[] = [];
    const broadcast = (m: MainToWorker): void => {
      for (const w of clientWorkers) w.postMessage(m);
    };
    const learned = scenario.target.kind === 'url' && scenario.target.generic?.publish.kind === 'server';
    const publisher = learned
      ? noPublisher()
      : startPublisher(
          { url: target.url, token: target.publisherToken, scenario, users: target.users },
          {
            onIds(ranges, head, sent) {
              idMap.addAll(ranges);
              idMap.sent = sent;
              headId = Math.max(headId, head);
              broadcast({ type: 'ids', ranges, headId: head, sent });
            },
            onHealth: (atUs, h) => health.push({ source: 'publisher', atUs, health: h }),
            onFatal(message) {
              // refused before a single event was accepted: nothing was measured, the target is unusable
              if (idMap.knownCount === 0) refusal ??= message;
              abort(message);
            },
            onCrash(message) {
              invalidReason ??= message;
              abort(message);
            },
          },
        );
    if (publisher.thread) threads.push(publisher.thread);
    onAbort = () => publisher.stop(abortReason ?? '');
    try {
      headId = await Promise.race([publisher.connected, aborted]);
    } catch (err) {
      if (abortReason === 'interrupted') throw new UserError('interrupted before the run started: nothing was measured', 130);
      throw new UserError(`target unreachable: ${target.url}: ${(err as Error).message}`, EXIT_UNREACHABLE);
    }
    if (!learned) log(`publisher connected to ${target.url}${scenario.publisher.prefill ? ` (prefilled ${scenario.publisher.prefill} events, head ${headId})` : ''}`);

    // --- client workers ----------------------------------------------------------------------
    const plans = planClients(scenario, target, requestedWorkers);
    const workerCount = plans.length;
    const results: WorkerResult[] = [];
    const intervals = new Map<string, EncodedInterval[]>();
    /** Per second since t0, the fast groups' arrivals and a rough p99 (max of the parts'), for the progress line. */
    const fastSeconds = new Map<number, { arrived: number; p99: number }>();
    const workerDone: Promise<void>[] = [];
    const ready: Promise<void>[] = [];
    const diagnostics: DiagnosticReport[] = [];
    let diagnosis: string | undefined;
    // learned streams: each phase's head is the highest id any worker's clients had at its end
    const streamHeads = {
      byPhase: new Map<number, { reported: number; id: number; timeUs: number }>(),
      note(_worker: number, m: { phase: number; id: number; timeUs: number }): void {
        const cur = this.byPhase.get(m.phase) ?? { reported: 0, id: -1, timeUs: NaN };
        cur.reported++;
        if (m.id > cur.id) Object.assign(cur, { id: m.id, timeUs: m.timeUs });
        this.byPhase.set(m.phase, cur);
        if (cur.reported === plans.length && cur.id >= 0) broadcast({ type: 'streamHead', phase: m.phase, id: cur.id, timeUs: cur.timeUs });
      },
    };
    plans.forEach((clients, workerIndex) => {
      const init: ClientWorkerInit = { workerIndex, url: target.url, urls: target.urls, scenario, clients, users: target.users };
      const w = new Worker(distFile('runner/clientWorker.js'), { workerData: init });
      threads.push(w);
      clientWorkers.push(w);
      let reported = false;
      const catchupOnly = clients.every((c) => scenario.groups[c.group]!.kind === 'catchup');
      ready.push(new Promise((resolve) => w.once('message', () => resolve())));
      workerDone.push(
        new Promise((resolve) => {
          w.on('message', (m: WorkerToMain) => {
            if (m.type === 'interval') {
              for (const iv of m.intervals) {
                const key = `${iv.group}\u0000${iv.index}`;
                (intervals.get(key) ?? intervals.set(key, []).get(key)!).push(iv);
              }
              for (const iv of m.intervals) {
                if (scenario.groups.find((g) => g.name === iv.group)?.kind !== 'fast') continue;
                const f = fastSeconds.get(iv.index) ?? fastSeconds.set(iv.index, { arrived: 0, p99: 0 }).get(iv.index)!;
                f.arrived += iv.arrived;
                if (iv.latency) f.p99 = Math.max(f.p99, decodeHistogram(iv.latency).getValueAtPercentile(99));
              }
            } else if (m.type === 'health') health.push({ source: `client worker ${workerIndex}`, catchupOnly, atUs: m.atUs, health: m.health });
            else if (m.type === 'result') {
              reported = true;
              results.push(m);
              resolve();
            } else if (m.type === 'streamHead') {
              streamHeads.note(workerIndex, m);
            } else if (m.type === 'diagnostic') {
              diagnostics.push(m);
              if (diagnostics.length === plans.length) {
                diagnosis = diagnose(scenario, diagnostics);
                if (diagnosis) abort(diagnosis);
              }
            } else if (m.type === 'fatal') {
              invalidReason ??= m.message;
              abort(`a client worker failed: ${m.message.split('\n')[0]}`);
            }
          });
          w.on('error', (err) => {
            invalidReason ??= `client worker ${workerIndex} crashed: ${err.message}`;
            abort(invalidReason);
          });
          w.on('exit', () => {
            if (!reported) invalidReason ??= `client worker ${workerIndex} exited without results`;
            resolve();
          });
        }),
      );
    });
    await Promise.all(ready);

    // --- the timeline ------------------------------------------------------------------------
    const t0Us = nowUs() + 1_000_000 + totalClients * 1_000 + t0OffsetUs; // time for phase-0 clients to connect and subscribe
    const tl: Timeline = timeline(t0Us, scenario.phases);
    const cpuStart = process.cpuUsage();
    publisher.start(t0Us, headId);
    broadcast({ type: 'start', t0Us, headId });
    const serverWatch = watchServer(target.metricsUrl, target.metricsToken, tl, scenario.phases); // /metrics at each phase's end
    log(`run started: ${totalClients} clients on ${workerCount} worker(s), ${scenario.phases.map((p) => `${p.name} ${formatUs(p.durationUs)}`).join(' → ')}`);

    const progressTimer = setInterval(() => {
      const now = nowUs();
      options.onProgress?.({
        phase: now < t0Us ? 'connecting' : scenario.phases[phaseAt(tl, now)]!.name,
        elapsedUs: Math.max(0, Math.min(now, tl.endUs) - t0Us),
        totalUs: tl.endUs - t0Us,
        eventsPerSec: fastSeconds.get(secondOf(t0Us, now) - 1)?.arrived ?? 0,
        fastP99Us: fastSeconds.get(secondOf(t0Us, now) - 1)?.p99 ?? 0,
      });
    }, 250);

    const stopAll = (): void => {
      publisher.stop(abortReason ?? '');
      broadcast({ type: 'stop', reason: abortReason ?? '' });
    };
    onAbort = stopAll;
    if (abortReason) stopAll();
    // a worker that never reports must not hang the run
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, (tl.endUs - nowUs()) / 1000 + scenario.graceUs / 1000 + 20_000).unref());
    await Promise.race([Promise.all([...workerDone, publisher.done]), deadline]);
    clearInterval(progressTimer);
    if (results.length < clientWorkers.length) invalidReason ??= `${clientWorkers.length - results.length} client worker(s) did not report`;
    const cpu = process.cpuUsage(cpuStart);
    const endedUs = nowUs();
    const serverPhases = await serverWatch.stop();
    const server = target.metricsUrl && !target.server?.child.exitCode ? await scrapeServer(target.metricsUrl, target.metricsToken) : undefined;
    if (server && serverPhases.length) server.phases = serverPhases;

    // --- the record --------------------------------------------------------------------------
    const record: RunRecord = {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: 'evbench', version },
      scenario: { name: fullScenario.name, source: fullScenario.source, description: fullScenario.description, spec: fullScenario },
      target: { kind: scenario.target.kind, url: target.url, mode: target.mode, adapter: scenario.target.kind === 'url' ? scenario.target.adapter : 'evbench' },
      startedAt,
      t0Us,
      durationUs: Math.min(endedUs, tl.endUs) - t0Us,
      partial: abortReason !== undefined,
      partialReason: abortReason,
      invalid: invalidReason !== undefined,
      invalidReason,
      workers: workerCount,
      shard: shard.count > 1 ? shard : undefined,
      phases: scenario.phases.map((p, i) => ({ name: p.name, role: p.role, startUs: tl.starts[i]! - t0Us, durationUs: p.durationUs })),
      groups: assembleGroups(scenario, results),
      intervals: assembleIntervals(intervals),
      generator: judgeGenerator(scenario, tl, health, publisher.stats(), cpu, endedUs - t0Us),
      hol: { verdict: 'unknown', index: null, p50Index: null, stallIndex: null, deliveryRatio: null, evidence: [], summary: '' },
      server,
      thresholds: [],
      warnings: [],
    };
    if (refusal) throw new UserError(`target ${target.url} refused the run: ${refusal}`, EXIT_UNREACHABLE);
    if (diagnosis) throw new UserError(diagnosis);
    const early = record.groups.reduce((a, g) => a + Object.values(g.phases).reduce((b, p) => b + (p.beforePublish ?? 0), 0), 0);
    const deliveredAll = record.groups.reduce((a, g) => a + Object.values(g.phases).reduce((b, p) => b + p.delivered, 0), 0);
    if (early > 0.01 * deliveredAll) {
      record.warnings.push(`${early} of ${deliveredAll} events arrived before their publish time (clock skew between target and runner, or a target stamping times ahead): their latency was recorded as 0`);
    }
    const unacknowledged = idMap.sent - idMap.knownCount;
    if (unacknowledged > 0) {
      record.warnings.push(
        `the target never acknowledged ${unacknowledged} of ${idMap.sent} published events` +
          (idMap.ranges.length === 1 ? ': they are still owed to every client (their ids continue the acknowledged range)' : ': with several id ranges their ids are unknown, so they are NOT counted as missing'),
      );
    }
    if (idMap.ranges.length > 1) record.warnings.push(`the target gave non-contiguous ids across publish batches (${idMap.ranges.length} ranges): another publisher shares it`);
    return finalizeRecord(record, scenario);
  } finally {
    await Promise.all(threads.map((t) => t.terminate().catch(() => 0)));
    await target.stop();
  }
}

