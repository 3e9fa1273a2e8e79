// connections: resident memory per idle subscribed connection at 10,000 connections, for the
// server (`evbench serve` isolated: VmRSS with the clients connected − before) and for the
// generator (the runner in its own process: VmRSS with 10,000 clients − with 100, per extra
// client, so the fixed cost of its threads cancels out). Each side needs > 10,000 descriptors:
// the child raises its soft limit to the hard one; the server inherits this process's limit.
import { spawn } from 'node:child_process';
import { distFile } from '../util/paths.js';
import { startEvbench, type ServerProcess } from './contenders.js';
import { rssBytes } from './procStats.js';
import { alternate, type BenchContext, type BenchResult, type Sample } from './rounds.js';

const SMALL = 100;

interface ChildReport {
  generatorRss: number;
  serverRssDelta: number;
  connectErrors: number;
  ackTimeouts: number;
}

/** Runs connectionsChild with `clients` clients; reads the server's RSS before and while they idle. */
function runChild(server: ServerProcess, clients: number, timeoutMs: number): Promise<ChildReport> {
  const serverBefore = rssBytes(server.pid);
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
      process.execPath,
      distFile('bench/connectionsChild.js'),
      server.url,
      String(clients),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  return new Promise((resolve, reject) => {
    const report: Partial<ChildReport> = {};
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`connections child (${clients} clients) did not finish within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl)) as { event: string; rss?: number; connectErrors?: number; ackTimeouts?: number };
        buf = buf.slice(nl + 1);
        if (m.event === 'idle') {
          report.generatorRss = m.rss!;
          report.serverRssDelta = rssBytes(server.pid) - serverBefore;
        } else if (m.event === 'done') {
          report.connectErrors = m.connectErrors;
          report.ackTimeouts = m.ackTimeouts;
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (report.generatorRss === undefined || report.connectErrors === undefined) {
        reject(new Error(`connections child (${clients} clients) exited (${code}) without its report: ${stderr.trim()}`));
      } else resolve(report as ChildReport);
    });
  });
}

/** A fresh server per measurement: a server that already held 10,000 connections keeps that heap. */
async function measure(clients: number): Promise<Sample> {
  const small = await withServer((server) => runChild(server, SMALL, 60_000));
  const large = await withServer((server) => runChild(server, clients, 180_000));
  // a few refused connects among 10,000 (a connect storm on a shared machine) are reported, not fatal
  return {
    connectErrors: large.connectErrors,
    ackTimeouts: large.ackTimeouts,
    serverBytesPerConnection: large.serverRssDelta / (clients - large.connectErrors - large.ackTimeouts),
    generatorBytesPerConnection: (large.generatorRss - small.generatorRss) / (clients - SMALL),
    generatorRssMiB: large.generatorRss / 2 ** 20,
    serverRssDeltaMiB: large.serverRssDelta / 2 ** 20,
  };
}

export async function benchConnections(ctx: BenchContext): Promise<BenchResult> {
  const clients = ctx.quick ? 300 : 10_000;
  {
    const results = await alternate([{ name: 'evbench isolated + runner', measure: () => measure(clients) }], ctx.rounds, ctx.log);
    return {
      name: 'connections',
      what: `resident memory per idle subscribed connection at ${clients.toLocaleString('en-US')} connections (1 event/s)`,
      contenders: results,
      ratios: {},
      params: {
        clients,
        smallRun: SMALL,
        serverRss: 'VmRSS(idle with clients) − VmRSS(before)',
        generatorRss: `(RSS(${clients}) − RSS(${SMALL})) ÷ ${clients - SMALL}`,
      },
      notes: [],
    };
  }
}

async function withServer<T>(f: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startEvbench('evbench isolated', ['--mode', 'isolated']);
  try {
    return await f(server);
  } finally {
    await server.stop();
  }
}
