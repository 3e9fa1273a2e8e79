// Facts about a record, as sentences: written once here, and only decorated by the terminal,
// Markdown and HTML renderers (colour, bold, escaping), so the three never drift apart.
import type { GroupResult, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';

/** The target's wire protocol, where the record names one: " (MQTT 5, QoS 1)", else "". */
export function protocolFact(record: RunRecord): string {
  return record.target.protocol ? ` (${record.target.protocol})` : '';
}

/** A catch-up group's replay, or undefined for other groups. */
export function replayFact(g: GroupResult): string | undefined {
  const r = g.replay;
  if (!r) return undefined;
  return `replayed ${r.received} of ${r.expected} events (${r.missing} missing, ${r.duplicates} duplicates, ${r.outOfOrder} out of order) at ${r.ratePerSec}/s per client; live after ${r.timeToLiveUsMax === null ? 'never' : formatUs(r.timeToLiveUsMax)}`;
}

/** The generator's health after its ok/BOUND label. */
export function generatorFact(record: RunRecord): string {
  const g = record.generator;
  return (
    `CPU ${g.cpuPercent}% of one core (${g.cores} cores), worst event-loop delay p99 ${formatUs(g.eventLoopDelayP99Us)}, ` +
    `utilisation ${Math.round(g.eventLoopUtilization * 100)}%; publisher sent ${g.publisher.sent} events, ` +
    `lateness p99 ${formatUs(g.publisher.latenessP99Us)}, max ${formatUs(g.publisher.latenessMaxUs)} (${g.publisher.lateEvents} late)`
  );
}

/** The line under every latency table. */
export const LATENCY_NOTE =
  'Latency is receive time − intended publish time; missing events are included at their lower bound. Churn rows show subscribe-ack latency and ack timeouts.';

/**
 * Ids in clients' gaps that no client received (server-emitted streams), per group and phase: not
 * known to be the stream's, so not counted missing, and not zero either (unknown, said as such).
 */
export function unseenFacts(record: RunRecord): string[] {
  const out: string[] = [];
  for (const g of record.groups) {
    for (const ph of record.phases) {
      const n = g.phases[ph.name]?.unseenIds ?? 0;
      if (n > 0) out.push(`${g.name}, ${ph.name}: ${n} ids no client received (unknown: not known to be this stream's, so not counted missing)`);
    }
  }
  return out;
}

/** The missing cell: the count, and beside it the ids that may be missing too (unknown). */
export function missingCell(missing: number, unseen: number | undefined): string {
  return unseen ? `${missing} (+${unseen} unknown)` : String(missing);
}
