// What the dashboard shows of each run, from its record (provisional while it runs, final after):
// per group the latency now and in the current phase, delivery rate, missing, the longest stall
// and the clients' fate; the generator's health; the verdict with its evidence; and the charts,
// drawn by the report's own SVG code. Pure: record in, JSON-ready view out (no histograms).
import type { GroupResult, RunRecord } from '../record/schema.js';
import { bandFill, GROUP_COLORS } from '../reports/html.js';
import { checkRows, verdictLabel } from '../reports/outcomes.js';
import { serverViewSentences } from '../reports/serverView.js';
import { lineChart, type Band, type Series } from '../reports/svg.js';
import { CLOSE_SLOW_CLIENT } from '../protocol/v0.js';
import { formatUs } from '../util/units.js';
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
  /** The server's own view from its /metrics (scraped each second while live): the report's sentences, and its slow-client closes. */
  server: { sentences: string[]; slowClientCloses: number | null; oldestInFlightUs: number | null } | null;
  /** Time the live view kept the runner's threads busy during this run, µs. */
  liveCostUs: number | null;
  /** SVG markup from the report's chart code: latency over time per group, then delivery rate and stalls. */
  charts: { id: string; svg: string }[];
}

const ms = (us: number): number => us / 1000;
const fmtMs = (v: number): string => formatUs(v * 1000);

function bands(record: RunRecord): { bands: Band[]; totalS: number } {
  // the scenario's planned phases, so the axis does not move while the run goes
  const planned = record.scenario.spec?.phases;
  let start = 0;
  const phases = planned
    ? planned.map((p) => {
        const b = { name: p.name, role: p.role, from: start / 1e6, to: (start + p.durationUs) / 1e6 };
        start += p.durationUs;
        return b;
      })
    : record.phases.map((p) => ({ name: p.name, role: p.role, from: p.startUs / 1e6, to: (p.startUs + p.durationUs) / 1e6 }));
  return {
    bands: phases.map((p) => ({ from: p.from, to: p.to, label: p.name, fill: bandFill(p.role) })),
    totalS: Math.max(record.durationUs / 1e6, ...phases.map((p) => p.to)),
  };
}

const hasData = (iv: RunRecord['intervals'][number]): boolean => iv.p99Us > 0 || iv.delivered + iv.missing > 0;

function latencyChart(record: RunRecord, g: GroupResult, frame: { bands: Band[]; totalS: number }): string {
  const ivs = record.intervals.filter((iv) => iv.group === g.name).sort((a, b) => a.startUs - b.startUs);
  const at = (iv: (typeof ivs)[number]): number => iv.startUs / 1e6 + 0.5;
  const pick = (f: (iv: (typeof ivs)[number]) => number): [number, number][] => ivs.map((iv) => [at(iv), hasData(iv) ? ms(f(iv)) : NaN]);
  return lineChart({
    title: `${g.name}: latency over time`,
    width: 536,
    height: 260,
    x: { label: 'seconds since start', min: 0, max: frame.totalS, format: (v) => `${v}s` },
    y: { label: 'latency', min: 0, format: fmtMs },
    bands: frame.bands,
    series: [
      { name: 'p50', color: '#1f77b4', points: pick((iv) => iv.p50Us) },
      { name: 'p99', color: '#d62728', points: pick((iv) => iv.p99Us) },
      { name: 'max', color: '#555555', dash: '4 3', points: pick((iv) => iv.maxUs) },
    ],
  });
}

function phaseOfSecond(record: RunRecord, startUs: number): RunRecord['phases'][number] | undefined {
  return record.phases.find((p) => startUs >= p.startUs && startUs < p.startUs + p.durationUs);
}

function deliveredChart(record: RunRecord, frame: { bands: Band[]; totalS: number }): string {
  const series: Series[] = [];
  record.groups.forEach((g, i) => {
    if (g.kind === 'churn') return;
    const points: [number, number][] = [];
    for (const iv of record.intervals) {
      if (iv.group !== g.name) continue;
      const clients = g.phases[phaseOfSecond(record, iv.startUs)?.name ?? '']?.clients ?? 0;
      if (clients > 0) points.push([iv.startUs / 1e6 + 0.5, iv.arrived / clients]);
    }
    series.push({ name: g.name, color: GROUP_COLORS[i % GROUP_COLORS.length]!, points: points.sort((a, b) => a[0] - b[0]) });
  });
  return lineChart({
    title: 'events delivered per second, per client',
    width: 536,
    height: 260,
    x: { label: 'seconds since start', min: 0, max: frame.totalS, format: (v) => `${v}s` },
    y: { label: 'events/s per client', min: 0, format: (v) => String(Math.round(v * 10) / 10) },
    bands: frame.bands,
    series,
  });
}

function stallChart(record: RunRecord, frame: { bands: Band[]; totalS: number }): string {
  const series: Series[] = record.groups
    .filter((g) => g.kind !== 'churn')
    .map((g) => ({
      name: g.name,
      color: GROUP_COLORS[record.groups.indexOf(g) % GROUP_COLORS.length]!,
      points: record.intervals
        .filter((iv) => iv.group === g.name)
        .sort((a, b) => a.startUs - b.startUs)
        .map((iv): [number, number] => [iv.startUs / 1e6 + 0.5, ms(iv.maxStallUs)]),
    }));
  return lineChart({
    title: 'longest stall (age of the oldest owed, undelivered event)',
    width: 536,
    height: 260,
    x: { label: 'seconds since start', min: 0, max: frame.totalS, format: (v) => `${v}s` },
    y: { label: 'stall', min: 0, format: fmtMs },
    bands: frame.bands,
    series,
  });
}

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
    return {
      ...base,
      verdict: { verdict: 'unknown', label: 'waiting', tone: 'warn', summary: 'the run is starting', forming: true },
      evidence: [],
      checks: [],
      warnings: [],
      groups: [],
      generator: null,
      server: null,
      charts: [],
    };
  }
  const frame = bands(record);
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
    warnings: record.warnings,
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
        }
      : null,
    charts: [
      ...record.groups.filter((g) => g.kind !== 'churn').map((g) => ({ id: `latency-${g.name}`, svg: latencyChart(record, g, frame) })),
      { id: 'delivered', svg: deliveredChart(record, frame) },
      { id: 'stall', svg: stallChart(record, frame) },
    ],
  };
}
