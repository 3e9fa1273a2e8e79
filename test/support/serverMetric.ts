// Reads one sample from the server's /metrics (Prometheus text), for tests that watch counters.
export async function metric(
  metricsUrl: string,
  name: string,
  labels: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(metricsUrl, { headers })).text();
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const prefix = want === '' ? `${name} ` : `${name}{${want}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no sample ${prefix.trim()} in /metrics`);
  return Number(line.slice(prefix.length));
}

export const refusals = (metricsUrl: string, reason: string): Promise<number> => metric(metricsUrl, 'evbench_refusals_total', { reason });
