// Target URLs: the v0 token travels as ?api_token= (Arvados style); --header and --insecure go with every connection.
import type { Scenario } from '../scenario/types.js';

export function withToken(url: string, token: string | undefined): string {
  if (!token) return url;
  const u = new URL(url);
  u.searchParams.set('api_token', token);
  return u.toString();
}

/** --header (with the connection's token as {{token}}) and --insecure, for every connection to a URL target. */
export function targetConnectOptions(
  scenario: Scenario,
  token: string | undefined,
): { headers?: Record<string, string>; rejectUnauthorized: boolean } {
  const t = scenario.target;
  if (t.kind !== 'url') return { rejectUnauthorized: true };
  const headers = t.headers ? Object.fromEntries(t.headers.map(([k, v]) => [k, v.replaceAll('{{token}}', token ?? '')])) : undefined;
  return { headers, rejectUnauthorized: !t.insecure };
}
