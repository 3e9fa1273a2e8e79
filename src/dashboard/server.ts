// The live dashboard's HTTP server, on 127.0.0.1 only: `/` is the page, `/events` a Server-Sent
// Events stream of the view (sent at most twice a second, whatever the runner feeds it), and
// `/view.json` the latest view. It keeps serving the final records after the runs end, until its
// owner closes it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { threadCpuUs } from '../util/threadCpu.js';
import { dashboardPage } from './page.js';
import { runView, type RunFeed, type RunView } from './view.js';

export interface DashboardView {
  runs: RunView[];
  /** Every run has its final record. */
  done: boolean;
  /** CPU time this server has spent drawing views and writing them to pages, µs (the runner's main thread pays it). */
  drawUs: number;
}

export interface Dashboard {
  url: string;
  /** A run's record so far (or, with `final`, its final record). */
  update(feed: RunFeed): void;
  /** A run's progress line (phase and elapsed time), before and between records. */
  progress(name: string, progress: NonNullable<RunFeed['progress']>): void;
  /** Every run has ended: the view says so. */
  finish(): void;
  /** The latest view (what `/view.json` serves). */
  view(): DashboardView;
  /** Time spent drawing views and writing them to pages so far, µs. */
  drawUs(): number;
  /** Whether a page is open on `/events` now (the runner builds live records only while one is). */
  watched(): boolean;
  close(): Promise<void>;
}

/** At most this often to every open page (a few a second, as the issue asks; the runner feeds one record a second). */
const MIN_INTERVAL_MS = 500;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // the page loads nothing: no CDN, no font, no image from anywhere
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
  'cache-control': 'no-store',
};

export async function startDashboard(opts: { port?: number; title: string }): Promise<Dashboard> {
  const feeds = new Map<string, RunFeed>();
  const streams = new Set<ServerResponse>();
  let done = false;
  let cached: { json: string; view: DashboardView } | undefined;
  let lastSentMs = 0;
  let pending: NodeJS.Timeout | undefined;
  let drawUs = 0;

  // a run's view is drawn again only when its record changed; progress alone patches the line above it
  const drawn = new Map<string, { feed: RunFeed; view: RunView }>();
  const serverSeen = new Map<string, { json: string; atUs: number }>();
  const runViewOf = (feed: RunFeed): RunView => {
    const d = drawn.get(feed.name);
    if (!d || d.feed.record !== feed.record || d.feed.final !== feed.final || d.feed.clients !== feed.clients) {
      const v = runView(feed);
      drawn.set(feed.name, { feed, view: v });
      return v;
    }
    const fresh = runView({ ...feed, record: undefined });
    return { ...d.view, phase: fresh.phase, elapsedS: fresh.elapsedS, totalS: fresh.totalS || d.view.totalS };
  };
  const view = (): { json: string; view: DashboardView } => {
    if (!cached) {
      const started = threadCpuUs();
      const v: DashboardView = { runs: [...feeds.values()].map(runViewOf), done, drawUs: Math.round(drawUs) };
      cached = { json: JSON.stringify(v), view: v };
      drawUs += threadCpuUs() - started;
    }
    return cached;
  };
  const send = (): void => {
    pending = undefined;
    lastSentMs = Date.now();
    if (streams.size === 0) return; // nobody watching: render nothing
    const frame = `event: view\ndata: ${view().json}\n\n`;
    const started = threadCpuUs();
    for (const s of streams) s.write(frame);
    drawUs += threadCpuUs() - started;
  };
  const changed = (): void => {
    cached = undefined;
    if (pending) return;
    const wait = Math.max(0, lastSentMs + MIN_INTERVAL_MS - Date.now());
    pending = setTimeout(send, wait);
    pending.unref();
  };

  const page = dashboardPage(opts.title);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // a page on another origin must not read the stream through a DNS name pointed at 127.0.0.1
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== '127.0.0.1' && host !== 'localhost') {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden host\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/') {
      res.writeHead(200, PAGE_HEADERS).end(page);
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\nevent: view\ndata: ${view().json}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
    } else if (path === '/view.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(view().json);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    update(feed) {
      const prev = feeds.get(feed.name);
      // when the record's /metrics view changed: the server's view is as old as this record, or older
      const serverNow = feed.record?.server ? JSON.stringify(feed.record.server) : undefined;
      const sameServer = serverNow !== undefined && serverNow === serverSeen.get(feed.name)?.json;
      if (serverNow !== undefined && !sameServer) serverSeen.set(feed.name, { json: serverNow, atUs: feed.record!.durationUs });
      feeds.set(feed.name, {
        ...feed,
        serverSeenAtUs: serverNow === undefined ? undefined : serverSeen.get(feed.name)!.atUs,
        costUs: feed.costUs ?? prev?.costUs,
        progress: feed.progress ?? prev?.progress,
        clients: feed.clients ?? (feed.final ? undefined : prev?.clients),
      });
      changed();
    },
    progress(name, progress) {
      const prev = feeds.get(name);
      if (prev?.final) return;
      feeds.set(name, { ...(prev ?? { name, final: false }), progress });
      changed();
    },
    finish() {
      done = true;
      changed();
    },
    view: () => view().view,
    drawUs: () => drawUs,
    watched: () => streams.size > 0,
    async close() {
      if (pending) clearTimeout(pending);
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
