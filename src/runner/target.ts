// Starts (embedded) or describes (url) what a scenario runs against; the embedded server is a
// separate `evbench serve` process, so clients and server never share an event loop.
import { randomBytes } from 'node:crypto';
import { spawnServe, type ServeProcess } from '../util/spawnServe.js';
import { TOKEN_ENV } from '../protocol/serverSettings.js';
import { splitUrlPassword } from '../util/redact.js';
import type { Scenario } from '../scenario/types.js';
import { UserError, EXIT_SIGINT, EXIT_UNREACHABLE } from '../util/errors.js';
import WebSocket from 'ws';
import { targetConnectOptions, withToken } from './url.js';
import { openSse } from './clients/sseTransport.js';
import './adapters/builtins.js';
import { adapterFor, clientUrlFor } from './adapters/registry.js';
import { newScannedEvent } from '../measurement/frameScan.js';
import { MAX_MESSAGE_BYTES } from './clients/frameReader.js';

const PROBE_LISTEN_MS = 1500;
/**
 * The probe's handshake must end within this long in all — a refusal's body included — however
 * slowly the target trickles its bytes (ws's own handshakeTimeout is an idle timer, reset by each one).
 */
export const PROBE_HANDSHAKE_MS = 5000;
/** Of a refusal's body, this much is kept for the message; reading stops there. */
export const REFUSAL_BODY_BYTES = 4096;

/** What ends the probe when the run is interrupted before it started. */
function interrupted(): UserError {
  return new UserError('interrupted before the run started: nothing was measured', EXIT_SIGINT);
}

/** Calls `fn` once if `signal` aborts; returns what stops listening. */
function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    queueMicrotask(fn);
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/**
 * One connection to a URL target as a client would make it, so what cannot work fails at once with
 * one paragraph a user can act on: the HTTP status of a refused upgrade, or — for adapters that
 * subscribe — the close code or refusal the subscription got and the first frames the server sent.
 */
function probe(scenario: Scenario, url: string, token: string | undefined, signal?: AbortSignal): Promise<void> {
  const adapter = adapterFor(scenario);
  const listens = scenario.target.kind === 'url' && scenario.target.adapter !== 'evbench';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(withToken(url, token), adapter.protocols, {
      // nothing the target could inflate, and no frame bigger than a client would take
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      ...targetConnectOptions(scenario, token),
    });
    const frames: string[] = [];
    const seen = (): string =>
      frames.length > 0 ? ` The server's first frames were: ${frames.join(' | ')}` : ' The server sent nothing before that.';
    let settled = false;
    const done = (err?: UserError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopListening();
      ws.terminate();
      if (err) reject(err);
      else resolve();
    };
    const stopListening = onAbort(signal, () => done(interrupted()));
    /** Set once the upgrade is refused: the refusal, with as much of its body as arrived. */
    let refusal: (() => UserError) | undefined;
    let timer: NodeJS.Timeout | undefined = setTimeout(
      () =>
        done(
          refusal?.() ??
            new UserError(
              `target unreachable: ${url}: the websocket handshake did not complete within ${PROBE_HANDSHAKE_MS / 1000} s`,
              EXIT_UNREACHABLE,
            ),
        ),
      PROBE_HANDSHAKE_MS,
    );
    ws.once('unexpected-response', (_req, res) => {
      const body: Buffer[] = [];
      let kept = 0;
      const hint =
        res.statusCode === 401 || res.statusCode === 403
          ? ' — check --token, --tokens-file or --header'
          : res.statusCode === 404
            ? ' — check the path of --target'
            : '';
      refusal = () => {
        const text = Buffer.concat(body).toString('utf8').trim().replace(/\s+/g, ' ');
        return new UserError(
          `target refused the websocket upgrade: ${url}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}${text ? `: ${sample(Buffer.from(text.slice(0, 200)))}` : ''}${hint}`,
          EXIT_UNREACHABLE,
        );
      };
      res.on('data', (chunk: Buffer) => {
        body.push(chunk.subarray(0, REFUSAL_BODY_BYTES - kept));
        kept += Math.min(chunk.length, REFUSAL_BODY_BYTES - kept);
        if (kept >= REFUSAL_BODY_BYTES) done(refusal!()); // enough to say why; the rest is not read
      });
      res.on('end', () => done(refusal!()));
    });
    ws.once('open', () => {
      clearTimeout(timer);
      timer = undefined;
      if (!listens) return done();
      const session = adapter.session?.('subscriber');
      if (session) for (const frame of session.opening()) ws.send(frame);
      else {
        // live only: a probe that asked for the history (last_log_id 0) made a server replay all of it
        // on its loop during warmup, which the run then measured
        const message = adapter.subscribeMessage([], undefined);
        if (message !== undefined) ws.send(message);
      }
      timer = setTimeout(() => done(), PROBE_LISTEN_MS);
      const scratch = newScannedEvent();
      const out = {
        event: () => done(),
        other: (data: Buffer) => void (frames.length < 3 && frames.push(sample(data))),
        send: (frame: string | Buffer) => ws.send(frame),
        subscribed: () => {},
        refused: (reason: string) =>
          done(
            new UserError(
              `${url}: the ${scenario.target.kind === 'url' ? scenario.target.adapter : ''} subscription was refused: ${reason}.${seen()}`,
              EXIT_UNREACHABLE,
            ),
          ),
        closing: (reason: string) => done(new UserError(`${url}: ${reason} while subscribing.${seen()}`, EXIT_UNREACHABLE)),
      };
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (session) return session.read(data, binary, out);
        if (adapter.read(data, scratch) === 'event') return done();
        out.other(data);
      });
    });
    ws.once('close', (code: number, reason: Buffer) => {
      done(
        new UserError(
          `${url}: the server closed the connection while subscribing (code ${code}${reason.length ? ` "${reason.toString().slice(0, 120)}"` : ''}).${seen()}`,
          EXIT_UNREACHABLE,
        ),
      );
    });
    ws.once('error', (err) => {
      const hint = /certificate|self[- ]signed/i.test(err.message) ? ' (a self-signed certificate? --insecure accepts it)' : '';
      done(new UserError(`target unreachable: ${url}: ${err.message}${hint}`, EXIT_UNREACHABLE));
    });
  });
}

/** One GET of an SSE target: the server must answer 200 with an event stream. */
function probeSse(scenario: Scenario, url: string, token: string | undefined, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = (err?: UserError): void => {
      clearTimeout(timer);
      stopListening();
      stream.terminate();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => end(new UserError(`target unreachable: ${url}: no response within ${PROBE_HANDSHAKE_MS / 1000} s`, EXIT_UNREACHABLE)),
      PROBE_HANDSHAKE_MS,
    );
    const stream = openSse(
      withToken(url, token),
      undefined,
      {
        open: () => end(),
        message: () => {},
        refused: (reason) => end(new UserError(`target is not an SSE stream: ${url}: ${reason}`, EXIT_UNREACHABLE)),
        closed: () => {},
        fault: () => {},
      },
      targetConnectOptions(scenario, token),
    );
    const stopListening = onAbort(signal, () => end(interrupted()));
  });
}

function sample(data: Buffer): string {
  const printable = data
    .toString('utf8', 0, Math.min(data.length, 120))
    // eslint-disable-next-line no-control-regex -- control characters are what this escapes
    .replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return data.length > 120 ? `${printable}…` : printable;
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
  /** Subscriber tokens from --tokens-file, one per client in turn. */
  tokens?: string[];
  users: number;
  mode?: string;
  server?: ServeProcess;
  stop(): Promise<void>;
}

/** `signal` (the run's) ends a probe under way at once: an interrupted run never waits on a target. */
export async function openTarget(scenario: Scenario, onServerLog?: (line: string) => void, signal?: AbortSignal): Promise<TargetHandle> {
  const t = scenario.target;
  if (t.kind === 'url') {
    const url = clientUrlFor(scenario)!;
    if (adapterFor(scenario).transport === 'sse') await probeSse(scenario, t.url, t.tokens?.[0] ?? t.token, signal);
    else await probe(scenario, url, t.tokens?.[0] ?? t.token, signal);
    return {
      url,
      urls: [url],
      metricsUrl: t.metricsUrl,
      metricsToken: t.metricsToken,
      publisherToken: t.publisherToken,
      readerToken: t.token,
      tokens: t.tokens,
      users: t.users,
      stop: async () => {},
    };
  }
  const publisherToken = `pub-${randomBytes(12).toString('hex')}`;
  const readerToken = t.users > 0 ? `reader-${randomBytes(12).toString('hex')}` : undefined;
  const args = ['--mode', t.mode, '--queue-bytes', String(t.queueBytes), '--overflow', t.overflow, '--log-size', String(t.logSize)];
  // secrets go through the child's environment: its command line is visible to every user (`ps`)
  const env: NodeJS.ProcessEnv = { ...process.env, [TOKEN_ENV.publisherToken]: publisherToken };
  delete env[TOKEN_ENV.tokens];
  delete env[TOKEN_ENV.metricsToken];
  delete env.PGPASSWORD;
  if (t.users > 0) {
    args.push('--users', String(t.users), '--groups-per-user', String(t.groupsPerUser));
    env[TOKEN_ENV.tokens] = readerToken;
  }
  if (t.store !== 'memory') {
    const store = splitUrlPassword(t.store);
    args.push('--store', store.url);
    if (store.password !== undefined) env.PGPASSWORD = store.password;
  }
  const servers: ServeProcess[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop())).then(() => {});
  try {
    // The first one migrates the shared store; a second starts on it.
    for (let i = 0; i < (t.multi ? 2 : 1); i++) servers.push(await spawnServe({ args, env, onStderr: onServerLog }));
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
