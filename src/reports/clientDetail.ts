// What the terminal summary folds and `--verbose` unfolds: each client's fate (closes, refusals,
// stalls, missing events, protocol faults), connect and subscribe times per phase, the noise floor the
// verdict used and the generator's reasons. Pure: record in, text out.
import type { ChalkInstance } from 'chalk';
import type { ClientRecord, GroupResult, RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { renderTable } from './table.js';
import { terminalView } from './terminalView.js';

/** Unremarkable clients listed per group before the rest are folded into one line. */
export const PLAIN_CLIENTS_SHOWN = 5;
/** Clients with something to note listed per group (a thousand clients closed alike need not be a thousand lines). */
export const NOTED_CLIENTS_SHOWN = 50;

/** What happened to a client besides its counts (missing has a column of its own); empty when nothing did. */
export function clientNotes(untrusted: ClientRecord): string[] {
  const c = terminalView(untrusted);
  const notes: string[] = [];
  if (c.refused) notes.push(`${c.refused} refused${c.closeReason ? `: ${c.closeReason}` : ''}`);
  else if (c.closedByServer !== null)
    notes.push(
      `closed by server ${c.closedByServer}${c.closeReason ? ` "${c.closeReason}"` : ''}${c.closedAtUs === undefined ? '' : ` at ${formatUs(c.closedAtUs)}`}`,
    );
  if (c.duplicates > 0) notes.push(`${c.duplicates} duplicates`);
  if (c.outOfOrder > 0) notes.push(`${c.outOfOrder} out of order`);
  for (const [kind, n] of Object.entries(c.frameFaults ?? {})) notes.push(`${n} ${kind}`);
  if (c.replay) {
    const r = c.replay;
    notes.push(
      `replay (${r.fromId}, ${r.toId}]: ${r.received} received, ${r.missing} missing, ${Number.isFinite(r.timeToLiveUs) ? `live after ${formatUs(r.timeToLiveUs)}` : 'never live'}`,
    );
  }
  return notes;
}

const opt = (us: number | null): string => (us === null ? '—' : formatUs(us));

function clientRow(g: GroupResult, cl: ClientRecord, notes: string[], c: ChalkInstance): string[] {
  return [
    g.name,
    String(cl.id),
    String(cl.delivered),
    cl.missing > 0 ? c.red(String(cl.missing)) : '0',
    formatUs(cl.maxStallUs),
    opt(cl.connectUs),
    opt(cl.ackUs),
    notes.join('; '),
  ];
}

/** What a folded set of clients had in common: how many, what they got, how they ended. */
function foldedLine(g: GroupResult, folded: ClientRecord[], plain: boolean): string {
  const delivered = folded.map((f) => f.delivered);
  const stall = Math.max(...folded.map((f) => f.maxStallUs));
  const head = `  … and ${folded.length} more ${g.name} client(s) ${plain ? 'with nothing to note' : 'with notes'}: delivered ${Math.min(...delivered)}–${Math.max(...delivered)} each, max stall ${formatUs(stall)}`;
  if (plain) return head;
  const ends = new Map<string, number>();
  for (const f of folded) {
    const end = f.refused ? `${f.refused} refused` : f.closedByServer !== null ? `closed ${f.closedByServer}` : null;
    if (end) ends.set(end, (ends.get(end) ?? 0) + 1);
  }
  const missing = folded.reduce((a, f) => a + f.missing, 0);
  const parts = [...[...ends].map(([end, n]) => `${end} ×${n}`), ...(missing > 0 ? [`${missing} missing in all`] : [])];
  return parts.length ? `${head}; ${parts.join(', ')}` : head;
}

/**
 * Every client with something to note (up to NOTED_CLIENTS_SHOWN per group) and the first few
 * without; the rest of each group folded into a line that says what they had in common.
 */
export function renderClientDetail(untrusted: RunRecord, c: ChalkInstance): string {
  const record = terminalView(untrusted);
  const out: string[] = ['per client:'];
  const rows: string[][] = [];
  const foldedLines: string[] = [];
  for (const g of record.groups) {
    const foldedPlain: ClientRecord[] = [];
    const foldedNoted: ClientRecord[] = [];
    let plainShown = 0;
    let notedShown = 0;
    for (const cl of g.clientResults) {
      const notes = clientNotes(cl);
      const plain = notes.length === 0 && cl.missing === 0;
      if (plain ? plainShown++ >= PLAIN_CLIENTS_SHOWN : notedShown++ >= NOTED_CLIENTS_SHOWN) (plain ? foldedPlain : foldedNoted).push(cl);
      else rows.push(clientRow(g, cl, notes, c));
    }
    if (foldedNoted.length > 0) foldedLines.push(foldedLine(g, foldedNoted, false));
    if (foldedPlain.length > 0) foldedLines.push(foldedLine(g, foldedPlain, true));
  }
  if (rows.length === 0) return '';
  out.push(renderTable(['group', 'client', 'delivered', 'missing', 'max stall', 'connect', 'subscribe ack', 'what happened'], rows, (col) => col >= 1 && col <= 6));
  out.push(...foldedLines);
  return out.join('\n');
}

/** Connect and subscribe-ack latency per group and phase, and latency from the actual send time (which hides publisher lateness). */
export function renderConnectDetail(untrusted: RunRecord): string {
  const record = terminalView(untrusted);
  const rows: string[][] = [];
  for (const g of record.groups) {
    for (const ph of record.phases) {
      const p = g.phases[ph.name];
      if (!p || p.clients === 0) continue;
      rows.push([
        g.name,
        ph.name,
        p.connectUs.count ? `${formatUs(p.connectUs.p50)} / ${formatUs(p.connectUs.p99)}` : '—',
        p.ackUs.count ? `${formatUs(p.ackUs.p50)} / ${formatUs(p.ackUs.p99)}` : '—',
        p.uncorrectedUs.count ? formatUs(p.uncorrectedUs.p99) : '—',
        p.latencyUs.count ? formatUs(p.latencyUs.p99) : '—',
      ]);
    }
  }
  if (rows.length === 0) return '';
  return renderTable(
    ['group', 'phase', 'connect p50 / p99', 'subscribe ack p50 / p99', 'p99 from actual send', 'p99 from intended time'],
    rows,
    (col) => col >= 2,
  );
}

/** The noise floor the p99 rule judged against, and why the generator was (or was not) the bottleneck. */
export function verdictDetail(untrusted: RunRecord): string[] {
  const record = terminalView(untrusted);
  const out: string[] = [];
  const n = record.hol.noise;
  if (n)
    out.push(
      `noise floor ${formatUs(n.floorUs)} (${n.floorFrom}): baseline p99 per second median ${formatUs(n.baselineMedianP99Us)}, max ${formatUs(n.baselineMaxP99Us)}; ` +
        `generator loop delay p99 ${formatUs(n.loopDelayP99Us)}; fast p99 above it for ${n.elevatedSeconds} of ${n.stressSeconds} stress seconds (${n.neededSeconds} needed)`,
    );
  for (const r of record.generator.reasons) out.push(`generator: ${r}`);
  if (record.generator.replayBound) out.push('generator: the catch-up thread was saturated: replay rates are the generator’s limit');
  if (record.partial) out.push(`partial run: ${record.partialReason ?? 'cut short'}`);
  if (record.invalidReason) out.push(`invalid: ${record.invalidReason}`);
  return out;
}
