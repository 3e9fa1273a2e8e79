// Starts (embedded) or describes (url) what a scenario runs against; the embedded server is a
// separate `evbench serve` process, so clients and server never share an event loop.
import { randomBytes } from 'node:crypto';
import { spawnServe, type ServeProcess } from '../util/spawnServe.js';
import type { Scenario } from '../scenario/types.js';
import { UserError, EXIT_UNREACHABLE } from '../util/errors.js';
import WebSocket from 'ws';
import { withToken } from './url.js';
import { engineIoUrl } from './adapters/socketio.js';
import { openSse } from './clients/sseTransport.js';

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

/** One GET of an SSE target: the server must answer 200 with an event stream. */
function probeSse(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.terminate();
      reject(new UserError(`target unreachable: ${url}: no response within 5 s`, EXIT_UNREACHABLE));
    }, 5000);
    const stream = openSse(url, undefined, {
      open: () => {
        clearTimeout(timer);
        stream.terminate();
        resolve();
      },
      message: () => {},
      refused: (reason) => {
        clearTimeout(timer);
        reject(new UserError(`target is not an SSE stream: ${url}: ${reason}`, EXIT_UNREACHABLE));
      },
      closed: () => {},
    });
  });
}

export interface TargetHandle {
  /** Where the publisher connects (the first server). */
  url: string;
  /** Where clients connect: client k to urls[k % urls.length] (two servers with target.embedded.multi). */
  urls: string[];
  metricsUrl?: string;
  metricsToken?: string;
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
    // Socket.IO clients are given http://host:port[/namespace]; they speak Engine.IO's websocket endpoint
    const url = t.adapter === 'socketio' ? engineIoUrl(t.url) : t.url;
    if (t.adapter === 'sse') await probeSse(t.url);
    else await probe(url, t.token);
    return { url, urls: [url], metricsUrl: t.metricsUrl, metricsToken: t.metricsToken, publisherToken: t.publisherToken, readerToken: t.token, users: t.users, stop: async () => {} };
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
  if (t.store !== 'memory') args.push('--store', t.store);
  const servers: ServeProcess[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop())).then(() => {});
  try {
    // The first one migrates the shared store; a second starts on it.
    for (let i = 0; i < (t.multi ? 2 : 1); i++) servers.push(await spawnServe({ args, onStderr: onServerLog }));
  } catch (err) {
    await stopAll();
    throw new UserError(`embedded server did not start: ${(err as Error).message}`, EXIT_UNREACHABLE);
  }
  const server = servers[0]!;
  return {
    url: server.url,
    urls: servers.map((s) => s.url),
    metricsUrl: server.metricsUrl,
    publisherToken,
    readerToken,
    users: t.users,
    mode: t.mode,
    server,
    stop: stopAll,
  };
}
