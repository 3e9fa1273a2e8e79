// Where a scenario keeps secrets (tokens, header values, URL and store passwords): masked in the copy
// a run record keeps, and listed so util/redact.ts masks them wherever else they appear.
import { headerSecrets, REDACTED, redactUrl, urlSecrets } from '../util/redact.js';
import type { Scenario, UrlTarget } from './types.js';

const redactHeaders = (headers: [string, string][]): [string, string][] =>
  headers.map((h) => [Array.isArray(h) ? String(h[0]) : '', REDACTED]);

/**
 * A copy of a scenario with every secret it holds masked: what a run record keeps of it. It also
 * takes the scenario of a record read back, whose fields may be missing: only what is there is masked.
 */
export function redactScenario(scenario: Scenario): Scenario {
  const s = structuredClone(scenario);
  const target = s.target as Scenario['target'] | undefined;
  if (target === undefined || target === null) return s;
  if (target.kind === 'embedded') {
    if (typeof target.store === 'string') target.store = redactUrl(target.store);
    return s;
  }
  const t: Partial<UrlTarget> = target;
  if (typeof t.url === 'string') t.url = redactUrl(t.url);
  if (t.token !== undefined) t.token = REDACTED;
  if (t.publisherToken !== undefined) t.publisherToken = REDACTED;
  if (t.metricsToken !== undefined) t.metricsToken = REDACTED;
  if (typeof t.metricsUrl === 'string') t.metricsUrl = redactUrl(t.metricsUrl);
  if (Array.isArray(t.tokens)) t.tokens = t.tokens.map(() => REDACTED);
  if (Array.isArray(t.headers)) t.headers = redactHeaders(t.headers);
  const g = t.generic;
  if (g !== undefined && g !== null) {
    if (Array.isArray(g.publishHeaders)) g.publishHeaders = redactHeaders(g.publishHeaders);
    if (g.publish?.kind === 'http' && typeof g.publish.url === 'string') g.publish = { kind: 'http', url: redactUrl(g.publish.url) };
  }
  return s;
}

/** Every secret value a scenario holds, as it could appear in text (a close reason, an error). */
export function scenarioSecrets(scenario: Scenario): string[] {
  const t = scenario.target;
  if (t.kind === 'embedded') return urlSecrets(t.store);
  const out = [...urlSecrets(t.url)];
  for (const v of [t.token, t.publisherToken, t.metricsToken]) if (v !== undefined) out.push(v);
  if (t.metricsUrl !== undefined) out.push(...urlSecrets(t.metricsUrl));
  out.push(...(t.tokens ?? []));
  for (const [, value] of [...(t.headers ?? []), ...(t.generic?.publishHeaders ?? [])]) out.push(...headerSecrets(value));
  if (t.generic?.publish.kind === 'http') out.push(...urlSecrets(t.generic.publish.url));
  return out;
}
