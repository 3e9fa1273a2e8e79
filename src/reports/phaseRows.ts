// The per-group, per-phase latency table that Markdown and HTML both show, as plain text cells;
// each renderer only escapes and decorates them.
import type { RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { missingCell } from './facts.js';

export const PHASE_TABLE_HEADER = ['group', 'phase', 'clients', 'delivered', 'missing', 'p50', 'p90', 'p99', 'p99.9', 'max', 'max stall', 'events/s per client'];
/** Column of the missing count (ack timeouts for churn groups). */
export const MISSING_COLUMN = 4;

export interface PhaseRow {
  /** The group and phase the row is of (names as in the record). */
  group: string;
  phase: string;
  cells: string[];
  /** Undelivered events in the row (0 for churn groups): renderers highlight it. */
  missing: number;
}

/** One row per group and phase it had clients in; churn groups show subscribe-ack latency and ack timeouts. */
export function phaseRows(record: RunRecord): PhaseRow[] {
  const rows: PhaseRow[] = [];
  for (const g of record.groups) {
    for (const ph of record.phases) {
      const p = g.phases[ph.name];
      if (!p || p.clients === 0) continue;
      const churn = g.kind === 'churn';
      const l = churn ? p.ackUs : p.latencyUs;
      rows.push({
        group: g.name,
        phase: ph.name,
        missing: churn ? 0 : p.missing,
        cells: [
          `${g.name}${g.behaviour ? ` (${g.behaviour})` : ''}`,
          ph.name,
          String(p.clients),
          churn ? `${p.ackUs.count} acks` : String(p.delivered),
          churn ? String(p.ackTimeouts) : missingCell(p.missing, p.unseenIds),
          ...[l.p50, l.p90, l.p99, l.p999, l.max].map(formatUs),
          churn ? '' : formatUs(p.maxStallUs),
          churn ? '' : String(p.deliveredPerClientPerSec),
        ],
      });
    }
  }
  return rows;
}
