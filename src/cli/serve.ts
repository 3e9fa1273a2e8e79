// `evbench serve`: the reference event server on the command line, a thin shell over startServer.
import type { Command } from 'commander';
import { startServer, defaultServerOptions, type ServerOptions } from '../server/index.js';
import { parseRetention } from '../server/store/retention.js';
import { resolveServerOptions } from '../server/options.js';
import { exposureWarning, singleToken, tokenList } from './serveSecrets.js';
import { TOKEN_ENV } from '../protocol/serverSettings.js';
import { bytesFlag, durationFlagMs, integerFlag } from '../util/units.js';
import { gcNote, onParentGone, reexecWithSingleThreadedGc } from './serveGc.js';

/** Past the sessions' close grace (1 s), how long a shutdown may take before the process just exits. */
const SHUTDOWN_DEADLINE_MS = 10_000;

interface ServeFlags {
  host: string;
  port: string;
  mode: string;
  queueBytes: string;
  overflow: string;
  logSize: string;
  logBytes: string;
  store: string;
  retain?: string;
  tokens?: string;
  tokensFile?: string;
  publisherToken?: string;
  publisherTokenFile?: string;
  users: string;
  groupsPerUser: string;
  maxFrameBytes: string;
  maxSubscriberFrameBytes: string;
  maxByteRate: string;
  messageTimeout: string;
  maxFiltersPerToken: string;
  maxFiltersTotal: string;
  maxFiltersPerAddress?: string;
  maxSubscriptions: string;
  maxFilters: string;
  maxConnections: string;
  maxConnectionsPerAddress?: string;
  maxMessageRate: string;
  messageBurst: string;
  keepaliveInterval: string;
  handshakeTimeout: string;
  allowOrigin: string[];
  metricsToken?: string;
  metricsTokenFile?: string;
  json?: boolean;
}

export function registerServe(program: Command): void {
  const d = defaultServerOptions;
  program
    .command('serve')
    .description('run the reference websocket event server (isolated = the fix, legacy = the head-of-line bug)')
    .option('--host <host>', 'address to listen on', d.host)
    .option('--port <port>', 'port to listen on (0 = pick a free one)', String(d.port))
    .option('--mode <mode>', 'isolated | legacy', d.mode)
    .option('--queue-bytes <bytes>', 'byte budget of each session queue, isolated mode (e.g. 1MiB)', String(d.queueBytes))
    .option('--overflow <policy>', 'when a session is over budget: close (4008) | drop (gap notice)', d.overflow)
    .option('--log-size <events>', 'capacity of the memory event log', String(d.logSize))
    .option(
      '--log-bytes <bytes>',
      'byte budget of the memory event log, oldest evicted first (a catch-up below it gets a 409 gap notice)',
      '256MiB',
    )
    .option('--store <store>', 'event store: memory | postgres://user@host/db (shared by several serve processes)', d.store)
    .option('--retain <age|count>', 'postgres store: keep events this long (90s, 30m, 1h, 7d) or this many (100000)')
    .option('--tokens <list>', `comma-separated subscriber tokens (default: open; also --tokens-file or $${TOKEN_ENV.tokens})`)
    .option('--tokens-file <path>', 'subscriber tokens from a file, one per line (not visible in ps)')
    .option('--publisher-token <token>', `token allowed to publish (also --publisher-token-file or $${TOKEN_ENV.publisherToken})`)
    .option('--publisher-token-file <path>', 'the publisher token from a file (not visible in ps)')
    .option('--users <n>', 'synthetic permission directory: tokens user-0 … user-(n-1)', String(d.users))
    .option('--groups-per-user <g>', 'groups each synthetic user may read (group-all last)', String(d.groupsPerUser))
    .option('--max-frame-bytes <bytes>', 'largest publisher frame; bigger ones close the connection with 1009', String(d.maxFrameBytes))
    .option('--max-subscriber-frame-bytes <bytes>', 'largest frame from any other client (1009 beyond)', String(d.maxSubscriberFrameBytes))
    .option(
      '--max-byte-rate <bytes>',
      'client→server bytes per second per subscriber session (token bucket); over it → 429',
      String(d.maxByteRate),
    )
    .option(
      '--message-timeout <duration>',
      'terminate a connection whose message is still unfinished this long after its first byte',
      `${d.messageTimeoutMs / 1000}s`,
    )
    .option('--max-subscriptions <n>', 'subscriptions per session (one more is a 413)', String(d.maxSubscriptions))
    .option('--max-filters <n>', 'filter terms per session over all subscriptions (an `in` list counts its length)', String(d.maxFilters))
    .option(
      '--max-filters-per-token <n>',
      'filter terms all sessions of one token hold together (anonymous sessions: those of one peer address)',
      String(d.maxFiltersPerToken),
    )
    .option(
      '--max-filters-per-address <n>',
      'filter terms all sessions from one peer address hold together, any token (default: a quarter of --max-filters-total, loopback exempt)',
    )
    .option('--max-filters-total <n>', 'filter terms all sessions of the server hold together', String(d.maxFiltersTotal))
    .option(
      '--max-connections <n>',
      'open connections (websocket sessions and plain HTTP sockets); more are refused with HTTP 503',
      String(d.maxConnections),
    )
    .option(
      '--max-connections-per-address <n>',
      'open connections from one peer address; more are refused with HTTP 429 (default: a quarter of --max-connections, loopback peers exempt)',
    )
    .option('--max-message-rate <n>', 'client frames per second per session (token bucket); over it → 429', String(d.maxMessageRate))
    .option('--message-burst <n>', 'token bucket size; this many 429s in a row close the session with 1008', String(d.messageBurst))
    .option(
      '--keepalive-interval <duration>',
      'ping every interval; no pong by the next one → terminated (0 = off)',
      `${d.keepaliveMs / 1000}s`,
    )
    .option(
      '--handshake-timeout <duration>',
      'destroy a socket that has not completed its upgrade request by then',
      `${d.handshakeTimeoutMs / 1000}s`,
    )
    .option(
      '--allow-origin <origin>',
      'a browser origin allowed to connect, e.g. https://app.example.com (repeatable; * = any); other Origins get 403, requests without Origin (non-browser clients) are allowed',
      collect,
      [],
    )
    .option(
      '--metrics-token <token>',
      `require Authorization: Bearer TOKEN on /metrics (also --metrics-token-file or $${TOKEN_ENV.metricsToken})`,
    )
    .option('--metrics-token-file <path>', 'the metrics token from a file')
    .option('--json', 'print {"url","metrics"} as one JSON line on stdout once listening')
    .addHelpText(
      'after',
      `
Examples:
  evbench serve --port 8080
  evbench serve --mode legacy --publisher-token pub --json
  evbench serve --users 1000 --groups-per-user 50 --publisher-token pub
  evbench serve --store postgres://evbench@localhost/evbench --retain 1h --publisher-token pub
  evbench serve --host 0.0.0.0 --tokens s1,s2 --allow-origin https://app.example.com --metrics-token m
  EVBENCH_PUBLISHER_TOKEN=pub evbench serve --host 0.0.0.0 --tokens-file /etc/evbench/tokens`,
    )
    .action(async (flags: ServeFlags) => {
      const options = resolveServerOptions(serveOptionsFromFlags(flags));
      // on one CPU the same command runs again under node --single-threaded-gc; this process only relays
      if (reexecWithSingleThreadedGc()) return;
      const warning = exposureWarning(options);
      if (warning !== undefined) process.stderr.write(`${warning}\n`);
      const server = await startServer(options);
      process.stderr.write(`evbench serve (${options.mode}) listening on ${server.url}${gcNote()}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ url: server.url, metrics: server.metricsUrl })}\n`);
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) {
          process.stderr.write(`evbench serve: ${signal} again, exiting now\n`);
          process.exit(1);
        }
        stopping = true;
        // drain: stop accepting, close every session with 1001, terminate what has not closed after the grace
        process.stderr.write(`evbench serve: ${signal}, shutting down\n`);
        setTimeout(() => {
          process.stderr.write('evbench serve: shutdown did not finish in time, exiting\n');
          process.exit(1);
        }, SHUTDOWN_DEADLINE_MS).unref();
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      onParentGone(() => shutdown('its parent process gone'));
    });
}

/** Turns flag strings into options; each bad value becomes a UserError naming its flag. */
export function serveOptionsFromFlags(flags: ServeFlags): Partial<ServerOptions> {
  return {
    host: flags.host,
    port: integerFlag('--port', flags.port),
    mode: flags.mode as ServerOptions['mode'],
    queueBytes: bytesFlag('--queue-bytes', flags.queueBytes),
    overflow: flags.overflow as ServerOptions['overflow'],
    logSize: integerFlag('--log-size', flags.logSize),
    logBytes: bytesFlag('--log-bytes', flags.logBytes),
    store: flags.store,
    retain: flags.retain === undefined ? undefined : parseRetention(flags.retain),
    tokens: tokenList(flags.tokens, { flag: '--tokens-file', path: flags.tokensFile }, TOKEN_ENV.tokens) ?? [],
    publisherToken: singleToken(
      flags.publisherToken,
      { flag: '--publisher-token-file', path: flags.publisherTokenFile },
      TOKEN_ENV.publisherToken,
    ),
    users: integerFlag('--users', flags.users),
    groupsPerUser: integerFlag('--groups-per-user', flags.groupsPerUser),
    maxFrameBytes: bytesFlag('--max-frame-bytes', flags.maxFrameBytes),
    maxSubscriberFrameBytes: bytesFlag('--max-subscriber-frame-bytes', flags.maxSubscriberFrameBytes),
    maxByteRate: bytesFlag('--max-byte-rate', flags.maxByteRate),
    messageTimeoutMs: durationFlagMs('--message-timeout', flags.messageTimeout),
    maxFiltersPerToken: integerFlag('--max-filters-per-token', flags.maxFiltersPerToken),
    maxFiltersTotal: integerFlag('--max-filters-total', flags.maxFiltersTotal),
    maxFiltersPerAddress:
      flags.maxFiltersPerAddress === undefined ? undefined : integerFlag('--max-filters-per-address', flags.maxFiltersPerAddress),
    maxSubscriptions: integerFlag('--max-subscriptions', flags.maxSubscriptions),
    maxFilters: integerFlag('--max-filters', flags.maxFilters),
    maxConnections: integerFlag('--max-connections', flags.maxConnections),
    maxConnectionsPerAddress:
      flags.maxConnectionsPerAddress === undefined
        ? undefined
        : integerFlag('--max-connections-per-address', flags.maxConnectionsPerAddress),
    maxMessageRate: integerFlag('--max-message-rate', flags.maxMessageRate),
    messageBurst: integerFlag('--message-burst', flags.messageBurst),
    keepaliveMs: durationFlagMs('--keepalive-interval', flags.keepaliveInterval),
    handshakeTimeoutMs: durationFlagMs('--handshake-timeout', flags.handshakeTimeout),
    allowedOrigins: flags.allowOrigin.map((o) => o.trim()),
    metricsToken: singleToken(flags.metricsToken, { flag: '--metrics-token-file', path: flags.metricsTokenFile }, TOKEN_ENV.metricsToken),
  };
}

/** commander's accumulator for a repeatable flag. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
