// connections: (a) resident memory per idle subscribed connection at 10,000 connections, for the
// server (`evbench serve` isolated: VmRSS with the clients connected − before) and for the
// generator (the runner in its own process: VmRSS with 10,000 clients − with 100, per extra
// client, so the fixed cost of its threads cancels out); (b) how many subscribed idle clients one
// machine holds, up to 50,000 (server + runner shards on loopback), and how fast they connect;
// (c) the server's marginal memory per connection: the slope of its VmRSS between two counts held at
// once, which leaves out what one connect storm costs once (see measureMarginal).
// Each side needs a descriptor per connection: children raise their soft limit to the hard one
// (`ulimit -n`); a hard limit below the count (it cannot be raised without CAP_SYS_RESOURCE) caps
// the measurement and the output says so. Past the ephemeral port range, the runner's connections
// are spread over several source addresses in 127.0.0.0/8 (sourceAddresses.ts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { benchFile } from './paths.js';
import { startEvbench, type ServerProcess } from './contenders.js';
import { buildCSubscribers, startCFleet } from './cSubscribers.js';
import { startFleet, type Fleet } from './leanLoad.js';
import { gcAckFile, rssBytes } from './procStats.js';
import { alternate, sleep, target, type BenchContext, type BenchResult, type Sample } from './rounds.js';
import { sourceAddressPreload } from './sourceAddresses.js';

const SMALL = 100;
export const HOLD_TARGET = 50_000;
const KIB = 1024;
const HANDSHAKE_TIMEOUT = '120s';
/** Clients in each of the marginal measurement's two steps... */
const MARGINAL_STEP = 5_000;
/** ...and how long after a step's last subscribe ack the server's RSS is read. */
const MARGINAL_SETTLE_MS = 1000;

interface ChildReport {
  generatorRss: number;
  serverRssDelta: number;
  connectErrors: number;
  ackTimeouts: number;
  delivered: number;
  clients: number;
}

/** RLIMIT_NOFILE of this process: [soft, hard] (Infinity for unlimited). */
export function fileLimits(): [number, number] {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const n = (v: string): number => (v === 'unlimited' ? Infinity : Number(v));
    if (m) return [n(m[1]!), n(m[2]!)];
  } catch {
    // not Linux
  }
  return [NaN, NaN];
}

/** How many local ports one source address can use to reach one server port. */
export function ephemeralPorts(): number {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return hi! - lo! + 1;
  } catch {
    return 28_232; // Linux's default range, 32768–60999
  }
}

/** Open descriptors of a process. */
export function socketCount(pid: number): number {
  try {
    // every descriptor, not only sockets (a readlink per fd would be exact but slow at 50,000):
    // callers subtract the count before the clients came
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/**
 * Runs connectionsChild with `clients` clients (shard `shard` of `shards` when given) and reports
 * its RSS once idle; `onIdle` runs at that moment (to read the server). Rejects after `timeoutMs`.
 */
function runChild(
  server: ServerProcess,
  clients: number,
  timeoutMs: number,
  o: { shard?: [number, number]; preload?: string; onIdle?: () => void; quick?: boolean; warmupS?: number } = {},
): Promise<ChildReport> {
  const serverBefore = rssBytes(server.pid);
  const node = [...(o.preload ? ['--require', o.preload] : []), benchFile('connectionsChild.js'), server.url, String(clients)];
  node.push(`${o.shard?.[0] ?? 0}/${o.shard?.[1] ?? 1}`);
  if (o.quick) node.push('quick');
  else if (o.warmupS) node.push(String(o.warmupS));
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...node], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
        const m = JSON.parse(buf.slice(0, nl)) as Record<string, number | string>;
        buf = buf.slice(nl + 1);
        if (m['event'] === 'idle') {
          report.generatorRss = m['rss'] as number;
          report.serverRssDelta = rssBytes(server.pid) - serverBefore;
          o.onIdle?.();
        } else if (m['event'] === 'done') {
          report.connectErrors = m['connectErrors'] as number;
          report.ackTimeouts = m['ackTimeouts'] as number;
          report.delivered = m['delivered'] as number;
          report.clients = m['clients'] as number;
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

/** (a) A fresh server per measurement: a server that already held 10,000 connections keeps that heap. */
async function measureMemory(clients: number, quick: boolean): Promise<Sample> {
  // quick (smoke): both at once, to save seconds; a measurement: one after the other, apart
  const run = (n: number, timeoutMs: number): Promise<ChildReport> =>
    withServer((server) => runChild(server, n, timeoutMs, { quick }), { clients: n });
  const [small, large] = quick
    ? await Promise.all([run(SMALL, 60_000), run(clients, 180_000)])
    : [await run(SMALL, 60_000), await run(clients, 180_000)];
  // a few refused connects among 10,000 (a connect storm on a shared machine) are reported, not fatal
  return {
    connectErrors: large.connectErrors,
    ackTimeouts: large.ackTimeouts,
    serverKiBPerConnection: large.serverRssDelta / (clients - large.connectErrors - large.ackTimeouts) / KIB,
    generatorKiBPerConnection: (large.generatorRss - small.generatorRss) / (clients - SMALL) / KIB,
    generatorRssMiB: large.generatorRss / 2 ** 20,
    serverRssDeltaMiB: large.serverRssDelta / 2 ** 20,
  };
}

/**
 * (c) The server's marginal memory per idle subscribed connection, on a fresh server: `step` lean
 * subscribers (bench/limit/subscribers.c, or lean Node clients without gcc), then `step` more held
 * together with them: (VmRSS(2 × step) − VmRSS(step)) ÷ step. (a)'s delta from zero also holds what
 * the connect storm leaves behind once — the young generation grown from 16 to 32 MB, old-space
 * garbage no full GC has collected yet, malloc's free lists under it — which does not grow with the
 * count (scripts/server-connection-memory.mjs). So each reading is taken after two full GCs (the
 * server preloads gcOnSignal.ts), and the first step takes the one-off growth. Without the GCs the
 * slope is whatever V8 happened to collect in between (3.8–7.7 KiB in two runs on one commit); the
 * as-is slope is reported beside it.
 */
async function measureMarginal(step: number): Promise<Sample> {
  const c = buildCSubscribers();
  const nodeArgs = ['--expose-gc', '--import', benchFile('gcOnSignal.js')];
  return withServer(
    async (server) => {
      const fleets: Fleet[] = [];
      const asIs = [rssBytes(server.pid)];
      const collected = [await collectGarbage(server.pid, 1)];
      try {
        for (let i = 0; i < 2; i++) {
          fleets.push(
            c.binary
              ? await startCFleet(c.binary, server.url, step, 120_000)
              : await startFleet(server.url, new Array<undefined>(step).fill(undefined), 1, 120_000),
          );
          await sleep(MARGINAL_SETTLE_MS);
          asIs.push(rssBytes(server.pid));
          collected.push(await collectGarbage(server.pid, i + 2));
        }
      } finally {
        for (const f of fleets) await f.stop();
        rmSync(gcAckFile(server.pid), { force: true });
      }
      const perConnection = (rss: number[], from: number): number => (rss[2]! - rss[from]!) / (2 * step - from * step) / KIB;
      return {
        serverMarginalKiBPerConnection: perConnection(collected, 1),
        serverMarginalAsIsKiBPerConnection: perConnection(asIs, 1),
        serverFromZeroKiBPerConnection: perConnection(collected, 0),
        serverFromZeroAsIsKiBPerConnection: perConnection(asIs, 0),
        leanClientsInC: c.binary ? 1 : 0,
      };
    },
    { raiseFdLimit: true, clients: 2 * step, nodeArgs },
  );
}

/** Asks a server preloaded with gcOnSignal.ts for its `n`th pair of full GCs; its VmRSS once they ran. */
async function collectGarbage(pid: number, n: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  const file = gcAckFile(pid);
  for (const deadline = performance.now() + 30_000; performance.now() < deadline; await sleep(20)) {
    if (existsSync(file) && Number(readFileSync(file, 'utf8')) >= n) return rssBytes(pid);
  }
  throw new Error(`evbench serve (pid ${pid}) did not report its full GC within 30 s`);
}

export interface HoldPlan {
  /** Clients this machine can be asked to hold (the target, or less where descriptors run out). */
  clients: number;
  /** Why fewer than asked, if so. */
  capped?: string;
  shards: number;
  /** Source addresses in 127.0.0.0/8 the runner's connections are spread over (1 = none added). */
  sourceAddresses: string[];
}

/** How to hold `wanted` connections here: capped by the descriptor limit, sharded, spread over source addresses. */
export function planHold(wanted: number, hardLimit: number, ports: number, force?: { shards?: number; addresses?: number }): HoldPlan {
  const perProcess = Number.isFinite(hardLimit) ? hardLimit - 200 : Infinity;
  let clients = wanted;
  let capped: string | undefined;
  if (clients > perProcess) {
    clients = Math.max(1000, Math.floor(perProcess / 1000) * 1000);
    capped =
      `RLIMIT_NOFILE hard limit ${hardLimit} here: one server process cannot hold ${wanted.toLocaleString('en-US')} sockets ` +
      `(raising it needs CAP_SYS_RESOURCE; run \`ulimit -n ${wanted + 10_000}\` as a user allowed to first) — measured ${clients.toLocaleString('en-US')}`;
  }
  const shards = force?.shards ?? Math.max(1, Math.ceil(clients / Math.min(perProcess, 25_000)));
  // each address reaches the server's one port through `ports` local ports, less a margin for others
  const perAddress = Math.max(1000, ports - 2000);
  const addresses = force?.addresses ?? Math.ceil(clients / perAddress);
  const sourceAddresses = Array.from({ length: addresses }, (_, i) => `127.0.0.${i + 2}`);
  return { clients, capped, shards, sourceAddresses: addresses > 1 ? sourceAddresses : [] };
}

/**
 * (b) A fresh server (soft descriptor limit raised to the hard one) and `plan.shards` runner
 * processes holding `plan.clients` idle subscribed clients between them. The connect rate is
 * the server's: its open descriptors counted every 100 ms, 10% → 90% of the clients.
 */
async function measureHold(plan: HoldPlan, quick: boolean, log: (line: string) => void): Promise<Sample> {
  return withServer(
    async (server) => {
      const base = socketCount(server.pid);
      const t0 = performance.now();
      const series: [number, number][] = [];
      let peak = 0;
      let said = t0;
      const poll = setInterval(() => {
        const n = socketCount(server.pid) - base;
        peak = Math.max(peak, n);
        const t = performance.now();
        if (t - said >= 5000) {
          said = t;
          log(`    hold: ${n.toLocaleString('en-US')} server sockets after ${((t - t0) / 1000).toFixed(0)} s`);
        }
        series.push([t, n]);
      }, 100);
      let idle = 0;
      let heldAtIdle = NaN;
      let serverRssAtIdle = NaN;
      const preload = plan.sourceAddresses.length > 1 ? sourceAddressPreload(plan.sourceAddresses) : undefined;
      try {
        const timeoutMs = 120_000 + plan.clients * 6;
        const reports = await Promise.all(
          Array.from({ length: plan.shards }, (_, i) =>
            runChild(server, plan.clients, timeoutMs, {
              shard: [i, plan.shards],
              preload,
              quick,
              // a connect storm on a busy machine: ~2,000 connects/s is a safe floor
              warmupS: Math.ceil(plan.clients / 2000),
              onIdle: () => {
                if (++idle === plan.shards) {
                  heldAtIdle = socketCount(server.pid) - base;
                  serverRssAtIdle = rssBytes(server.pid);
                }
              },
            }),
          ),
        );
        const sum = (k: keyof ChildReport): number => reports.reduce((s, r) => s + r[k], 0);
        // the connect rate: 10% → 90% of the sockets the server held once the clients were idle
        const at = (share: number): number => series.find(([, n]) => n >= heldAtIdle * share)?.[0] ?? NaN;
        const t10 = at(0.1);
        const t90 = at(0.9);
        const subscribed = sum('clients') - sum('connectErrors') - sum('ackTimeouts');
        return {
          asked: plan.clients,
          heldSubscribed: Math.min(subscribed, heldAtIdle),
          serverSocketsAtIdle: heldAtIdle,
          serverSocketsPeak: peak,
          connectErrors: sum('connectErrors'),
          ackTimeouts: sum('ackTimeouts'),
          // polled every 100 ms: a faster ramp than that reads as one poll interval
          connectsPerSec: (heldAtIdle * 0.8) / (Math.max(100, t90 - t10) / 1000),
          secondsTo90Pct: (t90 - t0) / 1000,
          serverRssMiB: serverRssAtIdle / 2 ** 20,
          generatorRssMiB: sum('generatorRss') / 2 ** 20,
          deliveredInBaseline: sum('delivered'),
          shards: plan.shards,
          sourceAddresses: Math.max(1, plan.sourceAddresses.length),
        };
      } finally {
        clearInterval(poll);
      }
    },
    { raiseFdLimit: true, clients: plan.clients },
  );
}

const kib = (v: number | undefined): string => `${(v ?? NaN).toFixed(1)} KiB`;

export async function benchConnections(ctx: BenchContext): Promise<BenchResult> {
  const clients = ctx.quick ? 300 : 10_000;
  const [, hard] = fileLimits();
  const ports = ephemeralPorts();
  // quick: a few hundred clients, but over 2 runner shards and 2 source addresses, so those paths run
  const hold = ctx.quick ? planHold(400, hard, ports, { shards: 2, addresses: 2 }) : planHold(HOLD_TARGET, hard, ports);
  if (hold.capped) ctx.log(`  connections: ${hold.capped}`);
  ctx.log(
    `  connections: holding ${hold.clients.toLocaleString('en-US')} clients over ${hold.shards} runner process(es)` +
      (hold.sourceAddresses.length ? `, source addresses ${hold.sourceAddresses.join(', ')}` : ''),
  );
  const memoryName = `memory at ${clients.toLocaleString('en-US')} idle`;
  // each lean fleet (and, without gcc, this process) holds its step's sockets under the soft limit
  const [soft] = fileLimits();
  const step = ctx.quick ? 150 : Math.min(MARGINAL_STEP, Number.isFinite(soft) ? Math.floor((soft - 200) / 2) : MARGINAL_STEP);
  const marginalName = `server marginal ${step.toLocaleString('en-US')} → ${(2 * step).toLocaleString('en-US')}`;
  const holdName = `hold ${hold.clients.toLocaleString('en-US')} idle`;
  const results = await alternate(
    [
      { name: memoryName, measure: () => measureMemory(clients, ctx.quick) },
      { name: holdName, measure: () => measureHold(hold, ctx.quick, ctx.log) },
      { name: marginalName, measure: () => measureMarginal(step) },
    ],
    ctx.rounds,
    ctx.log,
  );
  const mem = results[0]!;
  const held = results[1]!;
  const marginal = results[2]!;
  const heldAll = held.samples.filter((s) => s['heldSubscribed']! >= hold.clients).length;
  return {
    name: 'connections',
    what: `resident memory per idle subscribed connection at ${clients.toLocaleString('en-US')} connections (1 event/s), ${hold.clients.toLocaleString('en-US')} idle subscribed clients held on one machine, and the server's marginal memory per connection (the slope between ${step.toLocaleString('en-US')} and ${(2 * step).toLocaleString('en-US')})`,
    contenders: results,
    ratios: {},
    targets: [
      target(
        `generator memory per idle connection (runner, at ${clients.toLocaleString('en-US')})`,
        mem.median['generatorKiBPerConnection'] ?? NaN,
        '<=',
        10,
        'KiB',
        `(RSS(${clients}) − RSS(${SMALL})) ÷ ${clients - SMALL}`,
      ),
      target(
        `server memory per idle connection (evbench serve isolated, at ${clients.toLocaleString('en-US')})`,
        mem.median['serverKiBPerConnection'] ?? NaN,
        '<=',
        8,
        'KiB',
        'VmRSS delta ÷ subscribed connections (with what the connect storm leaves once)',
      ),
      target(
        `server memory per idle connection, marginal (evbench serve isolated, ${step.toLocaleString('en-US')} → ${(2 * step).toLocaleString('en-US')})`,
        marginal.median['serverMarginalKiBPerConnection'] ?? NaN,
        '<=',
        8,
        'KiB',
        `(VmRSS(${2 * step}) − VmRSS(${step})) ÷ ${step} after full GCs, lean subscribers held together; without the GCs ` +
          `${kib(marginal.median['serverMarginalAsIsKiBPerConnection'])}; from zero ${kib(marginal.median['serverFromZeroKiBPerConnection'])} ` +
          `(${kib(marginal.median['serverFromZeroAsIsKiBPerConnection'])} without)`,
      ),
      {
        ...target(
          `one machine holds ${(ctx.quick ? hold.clients : HOLD_TARGET).toLocaleString('en-US')} subscribed idle clients (server + runner, loopback)`,
          held.median['heldSubscribed'] ?? NaN,
          '>=',
          ctx.quick ? hold.clients : HOLD_TARGET,
          '',
          `held all in ${heldAll} of ${held.samples.length} rounds; connect rate ${Math.round(held.median['connectsPerSec'] ?? NaN).toLocaleString('en-US')}/s (server-side, 10% → 90%)` +
            (hold.capped ? `; ${hold.capped}` : ''),
        ),
        // a cap by the descriptor limit means the target was not put to the test here
        ...(hold.capped ? { reached: null } : {}),
      },
    ],
    params: {
      clients,
      smallRun: SMALL,
      serverRss: 'VmRSS(idle with clients) − VmRSS(before)',
      serverMarginalRss: `(VmRSS(${2 * step}) − VmRSS(${step})) ÷ ${step}, read ${MARGINAL_SETTLE_MS} ms after each step's acks, then after two full GCs`,
      generatorRss: `(RSS(${clients}) − RSS(${SMALL})) ÷ ${clients - SMALL}`,
      holdClients: hold.clients,
      holdShards: hold.shards,
      holdSourceAddresses: hold.sourceAddresses.join(',') || '127.0.0.1',
      fileLimitHard: hard,
      serverFlags: `--max-connections <clients + 1000> --handshake-timeout ${HANDSHAKE_TIMEOUT}`,
      ephemeralPorts: ports,
      kib: KIB,
    },
    notes: hold.capped ? [hold.capped] : [],
  };
}

/**
 * A fresh `evbench serve` isolated whose connection cap (10,000 by default) leaves room for
 * `clients` and the publishers, and whose handshake timeout (10 s by default, against sockets that
 * never upgrade) outlasts a connect storm of all of them at once: the runner opens every client
 * together, and the last upgrade of tens of thousands waits behind the others.
 */
async function withServer<T>(
  f: (server: ServerProcess) => Promise<T>,
  o: { raiseFdLimit?: boolean; clients: number; nodeArgs?: string[] },
): Promise<T> {
  const args = ['--mode', 'isolated', '--max-connections', String(o.clients + 1000), '--handshake-timeout', HANDSHAKE_TIMEOUT];
  const server = await startEvbench('evbench isolated', args, o);
  try {
    return await f(server);
  } finally {
    await server.stop();
  }
}
