// The reference event server's programmatic API: `startServer` is what `evbench serve`, the runner
// and the tests call. Mode `isolated` shows the fix, mode `legacy` reproduces head-of-line blocking.
import type { AddressInfo } from 'node:net';
import { WEBSOCKET_PATH } from '../protocol/v0.js';
import { UserError } from '../util/errors.js';
import { createHttpServer } from './httpServer.js';
import { IsolatedHub } from './isolated.js';
import { LegacyHub } from './legacy.js';
import { FilterBudget } from './filterBudget.js';
import { limitGauges, ServerMetrics } from './metrics.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { PermissionDirectory } from './permissions.js';
import type { Hub, ServerContext } from './serverContext.js';
import { openStore } from './store/index.js';
import { MemoryStore } from './store/memory.js';

export { defaultServerOptions, type ServerOptions } from './options.js';

export interface RunningServer {
  /** ws://HOST:PORT/websocket */
  url: string;
  metricsUrl: string;
  port: number;
  /** Closes every session with 1001, stops listening; resolves when all is closed. */
  close(): Promise<void>;
}

/** Sessions get this long to finish their close handshake on shutdown before being terminated. */
const SHUTDOWN_GRACE_MS = 1000;

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveServerOptions(partial);
  let hub: Hub | undefined;
  const metrics = new ServerMetrics(options.mode, () => hub!.queueStats(), limitGauges(options));
  const log = await openStore(options);
  if (log instanceof MemoryStore) metrics.logStats = () => log.stats;
  const ctx: ServerContext = { options, log, metrics, filterBudget: new FilterBudget() };
  hub = options.mode === 'legacy' ? new LegacyHub(ctx) : new IsolatedHub(ctx);
  const directory = new PermissionDirectory(options);
  const { server, wss } = createHttpServer(hub, directory, metrics, options);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      void log.close();
      reject(new UserError(`--host/--port: cannot listen on ${options.host}:${options.port} (${err.code ?? err.message})`));
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await hub!.closeAll(1001, 'server shutting down', SHUTDOWN_GRACE_MS);
      for (const w of wss) w.close();
      server.closeAllConnections();
      await stopped;
      await log.close();
      metrics.stop();
    })());

  return { url: `ws://${host}:${port}${WEBSOCKET_PATH}`, metricsUrl: `http://${host}:${port}/metrics`, port, close };
}
