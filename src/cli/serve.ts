// `evbench serve`: the reference event server on the command line, a thin shell over startServer.
import type { Command } from 'commander';
import { startServer, defaultServerOptions, type ServerOptions } from '../server/index.js';
import { parseBytesFlag, parseIntegerFlag, resolveServerOptions } from '../server/options.js';

interface ServeFlags {
  host: string;
  port: string;
  mode: string;
  queueBytes: string;
  overflow: string;
  logSize: string;
  tokens?: string;
  publisherToken?: string;
  users: string;
  groupsPerUser: string;
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
    .option('--tokens <list>', 'comma-separated subscriber tokens (default: open)')
    .option('--publisher-token <token>', 'token allowed to publish')
    .option('--users <n>', 'synthetic permission directory: tokens user-0 … user-(n-1)', String(d.users))
    .option('--groups-per-user <g>', 'groups each synthetic user may read (group-all last)', String(d.groupsPerUser))
    .option('--json', 'print {"url","metrics"} as one JSON line on stdout once listening')
    .addHelpText(
      'after',
      `
Examples:
  evbench serve --port 8080
  evbench serve --mode legacy --publisher-token pub --json
  evbench serve --users 1000 --groups-per-user 50 --publisher-token pub`,
    )
    .action(async (flags: ServeFlags) => {
      const options = resolveServerOptions(serveOptionsFromFlags(flags));
      const server = await startServer(options);
      process.stderr.write(`evbench serve (${options.mode}) listening on ${server.url}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ url: server.url, metrics: server.metricsUrl })}\n`);
      const shutdown = (signal: string): void => {
        process.stderr.write(`evbench serve: ${signal}, shutting down\n`);
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
}

/** Turns flag strings into options; each bad value becomes a UserError naming its flag. */
export function serveOptionsFromFlags(flags: ServeFlags): Partial<ServerOptions> {
  return {
    host: flags.host,
    port: parseIntegerFlag('--port', flags.port),
    mode: flags.mode as ServerOptions['mode'],
    queueBytes: parseBytesFlag('--queue-bytes', flags.queueBytes),
    overflow: flags.overflow as ServerOptions['overflow'],
    logSize: parseIntegerFlag('--log-size', flags.logSize),
    tokens: flags.tokens === undefined ? [] : flags.tokens.split(',').map((t) => t.trim()),
    publisherToken: flags.publisherToken,
    users: parseIntegerFlag('--users', flags.users),
    groupsPerUser: parseIntegerFlag('--groups-per-user', flags.groupsPerUser),
  };
}
