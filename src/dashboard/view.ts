// What the dashboard shows of each run, from its record (provisional while it runs, final after):
// per group the latency now and in the current phase, delivery rate, missing, the longest stall
// and the clients' fate; the generator's health; the verdict with its evidence; and the charts,
// drawn by the report's own SVG code. Pure: record in, JSON-ready view out (no histograms).
import { LIVE_PERIOD_S, type GroupResult, type RunRecord } from '../record/schema.js';
import { checkRows, verdictLabel } from '../reports/outcomes.js';
import { serverViewSentences } from '../reports/serverView.js';
import { serverProcessLatest, serverProcessSentences } from '../reports/serverProcess.js';
import { deliveredChart, overTimeChart, timeFrame } from '../reports/overTimeChart.js';
import { serverDisagreement } from '../verdict/serverViewEvidence.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';
import { mapStrings, terminalSafe } from '../util/untrusted.js';

/** One run as the dashboard is told about it. */
export interface RunFeed {
  name: string;
  /** The record so far (provisional) or the final one; absent until the first second of the run. */
  record?: RunRecord;
  final: boolean;
  /** Clients connected now, and of those the ones whose oldest owed event is ≥ 1 s old (live only). */
  clients?: { group: string; open: number; stalled: number }[];
  progress?: { phase: string; elapsedUs: number; totalUs: number };
  /** Time the live view has kept the runner's threads busy so far, µs (live only). */
  costUs?: number;
  /** The run time (µs since t0) of the first live record that carried the record's current /metrics view (live only). */
  serverSeenAtUs?: number;
}

export interface GroupView {
  name: string;
  kind: string;
  clients: number;
  /** Latency of the events intended in the latest second with any (owed ones at their age so far), µs. */
  p50Us: number | null;
  p99Us: number | null;
  /** The latest begun phase's latency so far. */
  phase: string | null;
  phaseP99Us: number | null;
  /** Events that arrived in the latest whole second, per connected client. */
  deliveredPerSec: number | null;
  missing: number;
  longestStallUs: number;
  fate: {
    closedSlow: number;
    closedOther: number;
    refused: number;
    gaps: number;
    /** Connected clients with an owed event ≥ 1 s old (live), or clients never closed that still missed events (final). */
    stalled: number | null;
    open: number | null;
    /** The other closes, as "code reason ×n". */
    detail: string;
  };
}

export interface RunView {
  name: string;
  final: boolean;
  phase: string;
  elapsedS: number;
  totalS: number;
  verdict: { verdict: string; label: string; tone: string; summary: string; forming: boolean };
  evidence: { rule: string; measured: string; bound: string; triggered: boolean; informational: boolean; judged: boolean }[];
  checks: { name: string; passed: boolean; judged: boolean; measured: string; bound: string }[];
  warnings: string[];
  groups: GroupView[];
  generator: {
    bound: boolean;
    reasons: string[];
    cpuPercent: number;
    eventLoopUtilization: number;
    eventLoopDelayP99Us: number;
    publisherLatenessP99Us: number | null;
  } | null;
  /**
   * The server's own view from its /metrics (scraped every few seconds while live): the report's
   * sentences, its slow-client closes, and (live) how much older it is than the clients' figures.
   */
  server: { sentences: string[]; slowClientCloses: number | null; oldestInFlightUs: number | null; olderByS: number | null } | null;
  /** The server evbench started (`--server-cmd`): live, its latest CPU and memory; at the end, the report's sentence. */
  serverProcess: string | null;
  /** Run time the figures are of, s; and, live, whether they lag the run's progress (no page watched a while). */
  asOfS: number;
  stale: boolean;
  /** Time the live view kept the runner's threads busy during this run, µs. */
  liveCostUs: number | null;
  /** SVG markup from the report's chart code: latency over time per group, then delivery rate and stalls. */
  charts: { id: string; svg: string }[];
}

/** The dashboard's chart size: two side by side on a laptop screen. */
const SIZE = { width: 536, height: 260 };

const hasData = (iv: RunRecord['intervals'][number]): boolean => iv.p99Us > 0 || iv.delivered + iv.missing > 0;

function groupView(record: RunRecord, g: GroupResult, feed: RunFeed): GroupView {
  const ivs = record.intervals.filter((iv) => iv.group === g.name && hasData(iv)).sort((a, b) => a.startUs - b.startUs);
  // the latest second a client could have had everything of: not the one under way (a live record is
  // taken on the workers' whole-second ticks, which a timer may fire a few milliseconds early)
  const wholeUs = Math.floor((record.durationUs + 10_000) / 1e6) * 1e6;
  const latest = [...ivs].reverse().find((iv) => iv.startUs + 1e6 <= wholeUs) ?? ivs[ivs.length - 1];
  const arrivedIn = record.intervals.find((iv) => iv.group === g.name && iv.startUs + 1e6 === wholeUs);
  const begun = record.phases.filter((p) => g.phases[p.name] !== undefined);
  const current = begun[begun.length - 1];
  const cur = current ? g.phases[current.name] : undefined;
  const clientsNow = current ? (g.phases[current.name]?.clients ?? 0) : 0;
  const phases = Object.values(g.phases);
  const closes = new Map<string, number>();
  let closedSlow = 0;
  let closedOther = 0;
  let refused = 0;
  let stalledAtEnd = 0;
  for (const c of g.clientResults) {
    if (c.refused !== undefined) refused++;
    else if (c.closedByServer === CLOSE_SLOW_CLIENT) closedSlow++;
    else if (c.closedByServer !== null) {
      closedOther++;
      const key = `${c.closedByServer}${c.closeReason ? ` ${c.closeReason}` : ''}`;
      closes.set(key, (closes.get(key) ?? 0) + 1);
    } else if (c.missing > 0) stalledAtEnd++;
  }
  const now = feed.clients?.find((x) => x.group === g.name);
  return {
    name: g.name,
    kind: g.behaviour ? `${g.kind} (${g.behaviour})` : g.kind,
    clients: g.clients,
    p50Us: latest ? latest.p50Us : null,
    p99Us: latest ? latest.p99Us : null,
    phase: current?.name ?? null,
    phaseP99Us: cur && cur.latencyUs.count > 0 ? cur.latencyUs.p99 : null,
    deliveredPerSec: arrivedIn && clientsNow > 0 ? Math.round((arrivedIn.arrived / clientsNow) * 10) / 10 : null,
    missing: phases.reduce((a, p) => a + p.missing, 0),
    longestStallUs: Math.max(0, ...phases.map((p) => p.maxStallUs)),
    fate: {
      closedSlow,
      closedOther,
      refused,
      gaps: phases.reduce((a, p) => a + p.gapsAnnounced, 0),
      stalled: feed.final ? stalledAtEnd : (now?.stalled ?? null),
      open: feed.final ? null : (now?.open ?? null),
      detail: [...closes].map(([k, n]) => `${k} ×${n}`).join(', '),
    },
  };
}

/**
 * The view of one run. Its text (names, reasons, what the target said) is placed as text, never as
 * markup; control and bidi characters are shown as escapes so none reorders or hides what follows.
 * The charts' SVG is escaped where it is drawn.
 */
export function runView(feed: RunFeed): RunView {
  return mapStrings(
    buildRunView(feed),
    (s) => terminalSafe(s),
    (key) => key === 'svg',
  );
}

function buildRunView(feed: RunFeed): RunView {
  const record = feed.record;
  const progress = feed.progress;
  const base = {
    name: feed.name,
    final: feed.final,
    phase: feed.final ? 'done' : (progress?.phase ?? 'connecting'),
    elapsedS: Math.round((progress?.elapsedUs ?? record?.durationUs ?? 0) / 1e5) / 10,
    totalS: Math.round((progress?.totalUs ?? 0) / 1e5) / 10,
    liveCostUs: feed.costUs ?? null,
  };
  if (!record) {
    const started = (progress?.elapsedUs ?? 0) > 0;
    return {
      ...base,
      asOfS: 0,
      stale: false,
      verdict: {
        verdict: 'unknown',
        label: started ? 'gathering' : 'waiting',
        tone: 'warn',
        summary: started
          ? `the run is ${base.elapsedS}s into ${base.totalS}s, in its ${base.phase} phase; the runner builds live figures only while a page watches: the first arrive within ${LIVE_PERIOD_S + 1}s`
          : 'the run is starting',
        forming: true,
      },
      evidence: [],
      checks: [],
      warnings: [],
      groups: [],
      generator: null,
      server: null,
      serverProcess: null,
      charts: [],
    };
  }
  const frame = timeFrame(record, { planned: true });
  // live, the server's /metrics view is seconds older than the clients' figures: a comparison of the
  // two would set a stall the clients see now against a server that had not yet seen it
  const disagreement = feed.final ? undefined : serverDisagreement(record);
  const asOfS = Math.round(record.durationUs / 1e5) / 10;
  const olderByS =
    !feed.final && record.server && feed.serverSeenAtUs !== undefined ? Math.max(0, record.durationUs - feed.serverSeenAtUs) / 1e6 : null;
  const v = record.hol.verdict;
  // before baseline and stress have both begun there is nothing to judge yet; and whether the slow
  // clients pushed back (what decides inconclusive against none) is known only at the end
  const forming = !feed.final && (v === 'unknown' || v === 'inconclusive');
  const label = verdictLabel(v);
  return {
    ...base,
    totalS: base.totalS || frame.totalS,
    verdict: {
      verdict: v,
      label: forming ? 'forming' : label.text,
      tone: forming ? 'warn' : label.tone,
      summary: forming ? 'the verdict forms once the fast clients have both a baseline and a stress phase' : record.hol.summary,
      forming,
    },
    evidence: record.hol.evidence.map((e) => ({
      rule: e.rule,
      measured: e.measured,
      bound: e.bound,
      triggered: e.triggered,
      informational: e.informational === true,
      judged: e.judged !== false,
    })),
    checks: checkRows(record, false).map((c) => ({
      name: c.name,
      passed: c.passed,
      judged: c.judged,
      measured: c.measured,
      bound: c.bound,
    })),
    warnings: record.warnings.filter((w) => w !== disagreement),
    asOfS,
    // no page watched for a while: the record is the one from when the last page closed
    stale: !feed.final && progress !== undefined && progress.elapsedUs - record.durationUs > (LIVE_PERIOD_S + 1) * 1e6,
    groups: record.groups.map((g) => groupView(record, g, feed)),
    generator: {
      bound: record.generator.bound,
      reasons: record.generator.reasons,
      cpuPercent: record.generator.cpuPercent,
      eventLoopUtilization: record.generator.eventLoopUtilization,
      eventLoopDelayP99Us: record.generator.eventLoopDelayP99Us,
      publisherLatenessP99Us: feed.final ? record.generator.publisher.latenessP99Us : null,
    },
    server: record.server
      ? {
          sentences: serverViewSentences(record),
          slowClientCloses: record.server.slowClientCloses ?? null,
          oldestInFlightUs: record.server.oldestInFlightUs ?? null,
          // read before the first live record that carried it (it travels with the next one)
          olderByS: olderByS === null ? null : Math.round((olderByS + LIVE_PERIOD_S) * 10) / 10,
        }
      : null,
    serverProcess: feed.final ? (serverProcessSentences(record)[0] ?? null) : (serverProcessLatest(record) ?? null),
    charts: [
      ...record.groups.map((g) => ({ id: `latency-${g.name}`, svg: overTimeChart(record, g, frame, SIZE) })),
      { id: 'delivered', svg: deliveredChart(record, frame, SIZE) },
    ].filter((c): c is { id: string; svg: string } => c.svg !== null),
  };
}
