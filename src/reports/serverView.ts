// The server's side of the story in words, written once for every renderer: its per-send view over
// the run (in-flight sends included, so a send that never ends is not hidden) and at each phase's end.
import { formatBucket, formatBytes } from '../verdict/serverViewEvidence.js';
import type { RunRecord, SendDurationSummary, ServerPhaseScrape } from '../record/schema.js';
import { formatUs } from '../util/units.js';

const perSend = (d: SendDurationSummary): string =>
  `per-send p50 ${formatBucket(d.p50)}, p99 ${formatBucket(d.p99)}${d.max === null ? '' : `, max ${formatUs(d.max)}`}`;

function phaseText(p: ServerPhaseScrape): string {
  if (p.error) return `${p.phase}: not scraped (${p.error})`;
  const parts: string[] = [];
  if (p.sendDurationUs) parts.push(`${p.sendDurationUs.count} sends, ${perSend(p.sendDurationUs)}`);
  const inFlight = p.sendsInFlight ?? 0;
  parts.push(inFlight > 0 ? `${inFlight} in flight, oldest ${formatUs(p.oldestInFlightUs ?? 0)}` : 'none in flight');
  if (p.dispatchQueueAgeUs) parts.push(`dispatch queue ${formatUs(p.dispatchQueueAgeUs)} behind`);
  return `${p.phase}: ${parts.join(', ')}`;
}

/**
 * Plain-text sentences (renderers escape and decorate): the whole run, then each phase's end.
 * Empty when the target's /metrics was not scraped at all.
 */
export function serverViewSentences(record: RunRecord): string[] {
  const s = record.server;
  if (!s) return [];
  if (s.error) return [`Server (/metrics ${s.source}): not scraped: ${s.error}.`];
  if (!s.sendDurationUs) return [];
  const d = s.sendDurationUs;
  const mode = s.mode ? `, ${s.mode}` : '';
  const inFlight = d.inFlight ? ` (${d.inFlight} still in flight)` : '';
  const o = s.sendOutcomes;
  const outcomes = o ? `; ${o.written} written, ${o.failed} failed, ${o.abandoned} abandoned at close` : '';
  const budget = s.queueBudgetBytes && s.mode !== 'legacy' ? `; queue budget ${formatBytes(s.queueBudgetBytes)} per session` : '';
  const out = [
    `Server (/metrics${mode}): ${d.count} sends${inFlight}, ${perSend(d)}, in-flight sends included${outcomes}; slow-client closes ${s.slowClientCloses ?? 0}, gaps ${s.gaps ?? 0}${budget}.`,
  ];
  if (s.phases?.length) out.push(`Server at each phase's end — ${s.phases.map(phaseText).join('; ')}.`);
  return out;
}
