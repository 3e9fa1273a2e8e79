// Starts (embedded) or describes (url) what a scenario runs against; the embedded server is a
// separate `evbench serve` process, so clients and server never share an event loop.
import { randomBytes } from 'node:crypto';
import { spawnServe, type ServeProcess } from '../util/spawnServe.js';
import type { Scenario } from '../scenario/types.js';
import { UserError, EXIT_UNREACHABLE } from '../util/errors.js';
import WebSocket from 'ws';
import { withToken } from './url.js';

/** One websocket handshake to a URL target, so an unreachable one fails at once with one line. */
function probe(url: string, token: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(withToken(url, token), { handshakeTimeout: 5000 });
    ws.once('open', () => {
      ws.terminate();
      resolve();
    });
    ws.once('error', (err) => {
      ws.terminate();
      reject(new UserError(`target unreachable: ${url}: ${err.message}`, EXIT_UNREACHABLE));
    });
  });
}

export interface TargetHandle {
  url: string;
  metricsUrl?: string;
  publisherToken?: string;
  /** Token for clients that read everything (catch-up, and every client without a user). */
  readerToken?: string;
  users: number;
  mode?: string;
  server?: ServeProcess;
  stop(): Promise<void>;
}

export async function openTarget(scenario: Scenario, onServerLog?: (line: string) => void): Promise<TargetHandle> {
  const t = scenario.target;
  if (t.kind === 'url') {
    await probe(t.url, t.token);
    return { url: t.url, metricsUrl: t.metricsUrl, publisherToken: t.publisherToken, readerToken: t.token, users: t.users, stop: async () => {} };
  }
  const publisherToken = `pub-${randomBytes(12).toString('hex')}`;
  const readerToken = t.users > 0 ? `reader-${randomBytes(12).toString('hex')}` : undefined;
  const args = [
    '--mode', t.mode,
    '--queue-bytes', String(t.queueBytes),
    '--overflow', t.overflow,
    '--log-size', String(t.logSize),
    '--publisher-token', publisherToken,
  ];
  if (t.users > 0) args.push('--users', String(t.users), '--groups-per-user', String(t.groupsPerUser), '--tokens', readerToken!);
  let server: ServeProcess;
  try {
    server = await spawnServe({ args, onStderr: onServerLog });
  } catch (err) {
    throw new UserError(`embedded server did not start: ${(err as Error).message}`, EXIT_UNREACHABLE);
  }
  return {
    url: server.url,
    metricsUrl: server.metricsUrl,
    publisherToken,
    readerToken,
    users: t.users,
    mode: t.mode,
    server,
    stop: () => server.stop(),
  };
}
