// The server's own view beside the verdict: what an evbench server's /metrics said about its sends
// at the end of each phase, as evidence rows (they carry no bound and never trigger), and one
// sentence when that view and the clients' view disagree, so neither is quietly believed.
import { formatUs } from '../util/units.js';
import type { HolEvidence, RunRecord, ServerPhaseScrape } from '../record/schema.js';
import { isFast, phasesWithRole, select } from './select.js';

/** Below this a send, a queue age or a client stall is "nothing to see" for the disagreement check. */
const QUIET_US = 100_000;
/** A client stall or a server wait this long is "something happened". */
const LOUD_US = 1_000_000;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** A percentile read from histogram buckets: `≤ bound`, or `> 10.0s` beyond the last bucket (scraped as -1). */
export function formatBucket(us: number): string {
  return us < 0 ? '> 10.0s' : `≤ ${formatUs(us)}`;
}

/** The phase-end scrapes of the stress phases, or nothing when the run has none. */
export function stressScrapes(record: RunRecord): ServerPhaseScrape[] {
  const stress = phasesWithRole(record, 'stress');
  return record.server?.phases?.filter((p) => stress(p.phase) && !p.error) ?? [];
}

/** The longest the server waited on anything at a scrape: a send in flight, or (legacy) its dispatch queue. */
function serverWaitUs(p: { oldestInFlightUs?: number; dispatchQueueAgeUs?: number; sendDurationUs?: { max: number | null } }): number {
  return Math.max(p.oldestInFlightUs ?? 0, p.dispatchQueueAgeUs ?? 0, p.sendDurationUs?.max ?? 0);
}

/** Evidence rows from the server's own view; empty when it was not scraped. */
export function serverViewEvidence(record: RunRecord): HolEvidence[] {
  const s = record.server;
  if (!s || s.error || !s.sendDurationUs) return [];
  const row = (rule: string, measured: string): HolEvidence => ({
    id: 'server-view',
    rule,
    measured,
    bound: '',
    triggered: false,
    informational: true,
  });
  const rows: HolEvidence[] = [];
  const baseline = s.phases?.find((p) => phasesWithRole(record, 'baseline')(p.phase) && !p.error);
  const scrapes = stressScrapes(record);
  for (const p of scrapes) {
    const inFlight = (q: ServerPhaseScrape): string =>
      q.sendsInFlight ? `${formatUs(q.oldestInFlightUs ?? 0)}, ${q.sendsInFlight} in flight` : 'none in flight';
    const dispatch = p.dispatchQueueAgeUs ? `; dispatch queue ${formatUs(p.dispatchQueueAgeUs)} behind` : '';
    const base = baseline ? ` (end of ${baseline.phase}: ${inFlight(baseline)})` : '';
    rows.push(row(`server: oldest in-flight send at the end of ${p.phase}`, `${inFlight(p)}${dispatch}${base}`));
    const d = p.sendDurationUs;
    if (d)
      rows.push(
        row(
          `server: per-send time in ${p.phase}, in-flight sends included`,
          `p50 ${formatBucket(d.p50)}, p99 ${formatBucket(d.p99)}, max ${d.max === null ? 'unknown' : formatUs(d.max)} (${d.count} sends)`,
        ),
      );
  }
  if (scrapes.length === 0) {
    const d = s.sendDurationUs;
    rows.push(
      row(
        'server: per-send time over the run, in-flight sends included',
        `p50 ${formatBucket(d.p50)}, p99 ${formatBucket(d.p99)}, max ${d.max === null ? 'unknown' : formatUs(d.max)} (${d.count} sends)`,
      ),
    );
  }
  if (s.slowClientCloses)
    rows.push(
      row(
        'server: slow sessions closed (4008)',
        `${s.slowClientCloses}${s.queueBudgetBytes ? ` (queue budget ${formatBytes(s.queueBudgetBytes)} per session)` : ''}`,
      ),
    );
  return rows;
}

/**
 * A sentence when the server's view and the fast clients' view of the stress phase disagree: the
 * clients stalled for seconds while the server says no send and no queue waited, or the server was
 * stuck for seconds while the clients saw nothing. Undefined when they agree or there is nothing to compare.
 */
export function serverDisagreement(record: RunRecord): string | undefined {
  const s = record.server;
  if (!s || s.error || !s.sendDurationUs) return undefined;
  const stress = select(record, isFast, phasesWithRole(record, 'stress'));
  if (stress.matched === 0) return undefined;
  const scrapes = stressScrapes(record);
  // Without phase-end scrapes, the end-of-run scrape stands in (it saw the whole run).
  const waitUs = scrapes.length ? Math.max(...scrapes.map(serverWaitUs)) : serverWaitUs(s);
  const clientUs = Math.max(stress.maxStallUs, stress.maxStalenessUs);
  const legacyLike = s.mode === 'legacy' || (s.dispatchQueueAgeUs ?? 0) > 0 || scrapes.some((p) => (p.dispatchQueueAgeUs ?? 0) > 0);
  if (clientUs >= LOUD_US && waitUs < QUIET_US) {
    return `server and clients disagree: fast clients stalled up to ${formatUs(clientUs)} in stress, but the server reports no slow send, none in flight and no dispatch backlog (longest ${formatUs(waitUs)}): the delay is outside its per-send path (publisher, store, network, or the clients' own threads)`;
  }
  // A stuck send delays others only where sends wait on each other (legacy's one loop); isolated
  // sessions hold their own sends without delaying anyone.
  if (legacyLike && waitUs >= LOUD_US && clientUs < QUIET_US) {
    return `server and clients disagree: the server waited ${formatUs(waitUs)} on a send or its dispatch queue in stress, but fast clients stalled at most ${formatUs(clientUs)}: check that the clients subscribe to what the server sends, and the scrape target`;
  }
  return undefined;
}
