// The first seconds against an unknown server: are we reading its messages right at all?
import type { Scenario } from '../scenario/types.js';
import type { WorkerToMain } from './threadMessages.js';

export type DiagnosticReport = Extract<WorkerToMain, { type: 'diagnostic' }>;

/**
 * The first seconds against an unknown server: if messages arrive but none carries the id (or
 * time) field, the configuration is wrong, and every number would be too. Says what they look like.
 */
export function diagnose(scenario: Scenario, reports: DiagnosticReport[]): string | undefined {
  const t = scenario.target;
  if (t.kind !== 'url' || t.adapter === 'evbench' || !t.generic) return undefined;
  const events = reports.reduce((a, r) => a + r.events, 0);
  const withoutTime = reports.reduce((a, r) => a + r.eventsWithoutTime, 0);
  const nonEvents = reports.reduce((a, r) => a + r.nonEvents, 0);
  if (events === 0 && nonEvents > 0) {
    const first = reports.find((r) => r.firstNonEvent)?.firstNonEvent ?? '';
    return `${t.url}: none of the ${nonEvents} messages in the first seconds has the id field "${t.generic.idField}"; the first one was: ${first} — set --id-field (and --time-field, --time-unit) to the JSON paths of the event id and its publish time`;
  }
  if (events > 0 && withoutTime === events) {
    const first = reports.find((r) => r.firstEvent)?.firstEvent ?? '';
    return `${t.url}: events carry the id field "${t.generic.idField}" but no time in field "${t.generic.timeField}" as ${t.generic.timeUnit}; the first one was: ${first} — set --time-field and --time-unit (ms, us, ns, iso)`;
  }
  return undefined;
}
