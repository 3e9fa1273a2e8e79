// Variants side by side (the demo's legacy vs isolated): the fast group's view and the verdict.
import type { RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { isFast, phasesWithRole, select } from '../verdict/select.js';
import { stressScrapes } from '../verdict/serverViewEvidence.js';
import { makeChalk } from './summary.js';
import { renderTable } from './table.js';
import { verdictLabel } from './outcomes.js';
import { terminalView } from './terminalView.js';

export interface NamedRecord {
  name: string;
  record: RunRecord;
}

export function renderSideBySide(untrusted: NamedRecord[], color = false): string {
  const runs = terminalView(untrusted);
  const c = makeChalk(color);
  const cols = runs.map(({ record }) => {
    const base = select(record, isFast, phasesWithRole(record, 'baseline'));
    const stress = select(record, isFast, phasesWithRole(record, 'stress'));
    const p = (s: typeof base, q: number): string => (s.latency.totalCount ? formatUs(s.latency.getValueAtPercentile(q)) : 'n/a');
    const v = record.hol.verdict;
    // the server's own view at the end of stress (its /metrics), in-flight sends included
    const server = stressScrapes(record).at(-1);
    const sendMax = server?.sendDurationUs?.max;
    return [
      p(base, 99),
      p(stress, 50),
      p(stress, 99),
      stress.missing > 0 ? c.red(String(stress.missing)) : '0',
      `${stress.delivered}`,
      formatUs(stress.maxStallUs),
      record.hol.index === null ? 'n/a' : `${record.hol.index}×`,
      record.hol.deliveryRatio === null ? 'n/a' : `${record.hol.deliveryRatio}×`,
      sendMax === undefined || sendMax === null ? 'n/a' : formatUs(sendMax),
      server ? (server.sendsInFlight ? formatUs(server.oldestInFlightUs ?? 0) : 'none') : 'n/a',
      record.server?.slowClientCloses === undefined ? 'n/a' : String(record.server.slowClientCloses),
      record.generator.bound ? c.red('bound') : 'ok',
      verdictLabel(v).tone === 'ok' ? c.green.bold(verdictLabel(v).text) : verdictLabel(v).tone === 'bad' ? c.red.bold(verdictLabel(v).text) : c.yellow(verdictLabel(v).text),
    ];
  });
  const labels = ['fast p99, baseline', 'fast p50, stress', 'fast p99, stress', 'fast missing, stress', 'fast delivered, stress', 'fast max stall, stress', 'HOL index (p99)', 'delivery stress ÷ baseline', 'server per-send max, stress', 'server oldest in-flight send, end of stress', 'server slow-client closes', 'generator', 'verdict'];
  const rows = labels.map((label, i) => [label, ...cols.map((col) => col[i]!)]);
  return renderTable(['', ...runs.map((r) => r.name)], rows);
}
