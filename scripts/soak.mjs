// @ts-check
// Soak: runs `evbench serve` (isolated, memory store, default budgets) under a steady mixed load —
// fast readers, stalled and rate-limited slow readers, catch-up readers, churning clients and a
// publisher — for N minutes, sampling the server every 10 s: RSS and open fds from /proc, heap and
// event-loop delay from /metrics, delivered/s from the fast clients. Writes a CSV and an SVG chart
// (src/reports/svg.ts) and fails (exit 1) if RSS or fds grow faster than the stated slope after warm-up.
// Loopback only; Linux only (/proc). Everything it starts is stopped before it exits.
//
// Usage: npm run build && node scripts/soak.mjs --minutes 30 [--out reports/soak] [--warmup-minutes 5]
//          [--rate 1000] [--payload 1024] [--max-rss-slope-mib-per-hour 32] [--max-fd-slope-per-hour 20]
//          [--sample-seconds 10] [--fast 20] [--serve-args="--log-bytes 64MiB"]   (--serve-args needs the = form)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { spawnServe } from '../dist/util/spawnServe.js';
import { lineChart } from '../dist/reports/svg.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'warmup-minutes': { type: 'string' },
    'sample-seconds': { type: 'string', default: '10' },
    out: { type: 'string', default: 'reports/soak' },
    rate: { type: 'string', default: '1000' },
    payload: { type: 'string', default: '1024' },
    fast: { type: 'string', default: '20' },
    'max-rss-slope-mib-per-hour': { type: 'string', default: '32' },
    'max-fd-slope-per-hour': { type: 'string', default: '20' },
    'serve-args': { type: 'string', default: '' },
  },
});
const MINUTES = Number(flags.minutes);
const WARMUP_MIN = flags['warmup-minutes'] !== undefined ? Number(flags['warmup-minutes']) : Math.min(5, MINUTES / 3);
const SAMPLE_MS = Number(flags['sample-seconds']) * 1000;
const RATE = Number(flags.rate); // events per second
const PAYLOAD = Number(flags.payload);
const FAST = Number(flags.fast);
const MAX_RSS_SLOPE = Number(flags['max-rss-slope-mib-per-hour']);
const MAX_FD_SLOPE = Number(flags['max-fd-slope-per-hour']);
const OUT = flags.out;
for (const [name, v] of Object.entries({ MINUTES, WARMUP_MIN, SAMPLE_MS, RATE, PAYLOAD, FAST, MAX_RSS_SLOPE, MAX_FD_SLOPE })) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`soak: ${name} must be a non-negative number`);
    process.exit(2);
  }
}

const BATCH_EVERY_MS = 10;
const PER_BATCH = Math.max(1, Math.round((RATE * BATCH_EVERY_MS) / 1000));
const STALLED = 4; // subscribe and stop reading: closed 4008 at their budget, then replaced
const RATE_LIMITED = 4; // read ~64 KiB/s: fall behind, get closed 4008, replaced
const CATCHUP_EVERY_MS = 5000; // one catch-up reader, 20,000 events back, reads to live, leaves after 10 s
const CATCHUP_BACK = 20_000;
const CHURN_PER_SECOND = 5;

const mib = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
const procStatusKiB = (pid, field) =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const openFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const sample = (text, name) => Number(new RegExp(`^${name.replace(/[{}"=.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

const serve = await spawnServe({ args: ['--publisher-token', 'pub', ...flags['serve-args'].split(/\s+/).filter(Boolean)] });
const counts = { delivered: 0, published: 0, acked: 0, slowCloses: 0, catchups: 0, catchupGaps: 0, churned: 0, churnFailed: 0, errors: 0 };
const sockets = new Set();
let stopping = false;

function open(url, onMessage) {
  const ws = new WebSocket(url);
  sockets.add(ws);
  ws.on('error', () => counts.errors++);
  ws.on('close', () => sockets.delete(ws));
  if (onMessage) ws.on('message', onMessage);
  return ws;
}
const isEvent = (data) => data[0] === 0x7b && data[2] === 0x6d; // {"msgID"…

// Fast readers: count every event message.
for (let i = 0; i < FAST; i++) {
  const ws = open(serve.url, (d) => {
    if (isEvent(d)) counts.delivered++;
  });
  ws.on('open', () => ws.send('{"method":"subscribe"}'));
}

// Slow readers, replaced whenever the server closes them.
function stalled() {
  if (stopping) return;
  const ws = open(serve.url);
  ws.on('open', () => {
    ws.send('{"method":"subscribe"}');
    ws.once('message', () => ws.pause());
  });
  ws.on('close', (code) => {
    if (code === 4008) counts.slowCloses++;
    setTimeout(stalled, 1000);
  });
}
function rateLimited() {
  if (stopping) return;
  const ws = open(serve.url);
  let budget = 0;
  const timer = setInterval(() => {
    budget = 64 * 1024;
    ws.resume();
  }, 1000);
  ws.on('message', (d) => {
    budget -= /** @type {Buffer} */ (d).length;
    if (budget <= 0) ws.pause();
  });
  ws.on('open', () => ws.send('{"method":"subscribe"}'));
  ws.on('close', (code) => {
    clearInterval(timer);
    if (code === 4008) counts.slowCloses++;
    setTimeout(rateLimited, 1000);
  });
}
for (let i = 0; i < STALLED; i++) stalled();
for (let i = 0; i < RATE_LIMITED; i++) rateLimited();

// Publisher: open model, a batch every 10 ms; acks counted, never awaited.
const pad = 'x'.repeat(PAYLOAD);
const pub = open(`${serve.url}?api_token=pub`, (d) => {
  if (d.toString().startsWith('{"status":200')) counts.acked++;
});
await new Promise((resolve, reject) => {
  pub.once('open', resolve);
  pub.once('error', reject);
});
let headId = 0;
const publishTimer = setInterval(() => {
  if (pub.readyState !== WebSocket.OPEN || pub.bufferedAmount > 4 * 1024 * 1024) return;
  const events = Array.from({ length: PER_BATCH }, (_, k) => ({
    event_type: k % 3 === 0 ? 'create' : 'update',
    object_uuid: `obj-${k % 50}`,
    properties: { pad },
  }));
  pub.send(JSON.stringify({ method: 'publish', events }));
  counts.published += PER_BATCH;
  headId += PER_BATCH;
}, BATCH_EVERY_MS);

// Catch-up readers: from 20,000 events back (below the log's range once it is full → gap notice).
const catchupTimer = setInterval(() => {
  counts.catchups++;
  const ws = open(serve.url, (d) => {
    if (d.toString().startsWith('{"status":409')) counts.catchupGaps++;
  });
  // every other one from the very start: below the retained range once the log evicts → a 409 gap notice
  const from = counts.catchups % 2 === 0 ? 0 : Math.max(0, headId - CATCHUP_BACK);
  ws.on('open', () => ws.send(JSON.stringify({ method: 'subscribe', last_log_id: from })));
  setTimeout(() => ws.close(), 10_000);
}, CATCHUP_EVERY_MS);

// Churn: connect, subscribe with a filter, wait for the ack, leave.
const churnTimer = setInterval(() => {
  for (let i = 0; i < CHURN_PER_SECOND; i++) {
    const ws = open(serve.url, (d) => {
      if (d.toString().startsWith('{"status":200')) {
        counts.churned++;
        ws.close();
      }
    });
    ws.on('open', () => ws.send('{"method":"subscribe","filters":[["event_type","in",["create"]]]}'));
    setTimeout(() => {
      if (ws.readyState !== WebSocket.CLOSED) {
        counts.churnFailed++;
        ws.terminate();
      }
    }, 5000);
  }
}, 1000);

// Sampling.
mkdirSync(OUT, { recursive: true });
const csvPath = join(OUT, 'soak.csv');
const header =
  't_s,rss_mib,heap_used_mib,external_mib,open_fds,loop_delay_p99_ms,loop_delay_max_ms,delivered_per_s,published_per_s,connections,log_events,log_mib,slow_closes,catchup_gaps,churned,soak_rss_mib';
const rows = [];
writeFileSync(csvPath, header + '\n');
const t0 = Date.now();
let last = { delivered: 0, published: 0, at: t0 };
async function takeSample() {
  const metrics = await (await fetch(serve.metricsUrl)).text();
  const now = Date.now();
  const dt = (now - last.at) / 1000;
  const row = {
    t: Math.round((now - t0) / 1000),
    rss: mib(procStatusKiB(serve.pid, 'VmRSS') * 1024),
    heap: mib(sample(metrics, 'evbench_process_memory_bytes{kind="heap_used"}')),
    external: mib(sample(metrics, 'evbench_process_memory_bytes{kind="external"}')),
    fds: openFds(serve.pid),
    loopP99: Math.round(sample(metrics, 'evbench_event_loop_delay_seconds{quantile="0.99"}') * 1e4) / 10,
    loopMax: Math.round(sample(metrics, 'evbench_event_loop_delay_seconds{quantile="1"}') * 1e4) / 10,
    deliveredPerS: Math.round((counts.delivered - last.delivered) / dt),
    publishedPerS: Math.round((counts.published - last.published) / dt),
    connections: sample(metrics, 'evbench_connections'),
    logEvents: sample(metrics, 'evbench_log_events'),
    logMib: mib(sample(metrics, 'evbench_log_bytes')),
    slowCloses: counts.slowCloses,
    catchupGaps: counts.catchupGaps,
    churned: counts.churned,
    soakRss: mib(process.memoryUsage().rss),
  };
  last = { delivered: counts.delivered, published: counts.published, at: now };
  rows.push(row);
  writeFileSync(csvPath, Object.values(row).join(',') + '\n', { flag: 'a' });
  console.error(
    `soak t=${row.t}s rss=${row.rss}MiB heap=${row.heap}MiB fds=${row.fds} loop.p99=${row.loopP99}ms delivered/s=${row.deliveredPerS} log=${row.logEvents}ev/${row.logMib}MiB conns=${row.connections}`,
  );
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

let exitCode = 0;
try {
  const endAt = t0 + MINUTES * 60_000;
  let next = t0 + SAMPLE_MS;
  while (Date.now() < endAt) {
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    next += SAMPLE_MS;
    await takeSample();
    if (serve.child.exitCode !== null) throw new Error(`evbench serve exited (${serve.child.exitCode})`);
  }
} catch (err) {
  console.error(`soak: ${err.message}`);
  exitCode = 1;
} finally {
  stopping = true;
  for (const t of [publishTimer, catchupTimer, churnTimer]) clearInterval(t);
  for (const ws of sockets) ws.terminate();
  await serve.stop();
}

const warm = rows.filter((r) => r.t >= WARMUP_MIN * 60);
const perHour = (key) => slope(warm.map((r) => [r.t / 3600, r[key]]));
const rssSlope = Math.round(perHour('rss') * 10) / 10;
const fdSlope = Math.round(perHour('fds') * 10) / 10;
const first = warm[0] ?? rows[0];
const lastRow = rows[rows.length - 1];
const summary = {
  minutes: MINUTES,
  warmupMinutes: WARMUP_MIN,
  samples: rows.length,
  load: {
    fast: FAST,
    stalled: STALLED,
    rateLimited: RATE_LIMITED,
    catchupEverySeconds: CATCHUP_EVERY_MS / 1000,
    churnPerSecond: CHURN_PER_SECOND,
    eventsPerSecond: RATE,
    payloadBytes: PAYLOAD,
  },
  atWarmupEnd: first,
  atEnd: lastRow,
  peakRssMiB: Math.max(...rows.map((r) => r.rss)),
  rssSlopeMiBPerHour: rssSlope,
  fdSlopePerHour: fdSlope,
  limits: { rssMiBPerHour: MAX_RSS_SLOPE, fdsPerHour: MAX_FD_SLOPE },
  totals: counts,
};
if (warm.length >= 2 && rssSlope > MAX_RSS_SLOPE) {
  console.error(`soak: FAIL: RSS grows ${rssSlope} MiB/h after warm-up (limit ${MAX_RSS_SLOPE})`);
  exitCode = 1;
}
if (warm.length >= 2 && fdSlope > MAX_FD_SLOPE) {
  console.error(`soak: FAIL: open fds grow ${fdSlope}/h after warm-up (limit ${MAX_FD_SLOPE})`);
  exitCode = 1;
}
writeFileSync(join(OUT, 'soak.json'), JSON.stringify(summary, null, 2) + '\n');

// Chart: four panels stacked in one SVG.
const minutesOf = (key) => rows.map((r) => [r.t / 60, r[key]]);
const band = [{ from: 0, to: WARMUP_MIN, label: 'warm-up', fill: '#eee' }];
const x = { label: 'minutes' };
const panels = [
  lineChart({
    title: 'server memory (MiB)',
    x,
    y: { label: 'MiB', min: 0 },
    bands: band,
    series: [
      { name: 'RSS', color: '#c0392b', points: minutesOf('rss') },
      { name: 'heap used', color: '#2980b9', points: minutesOf('heap') },
      { name: 'external (Buffers)', color: '#8e44ad', points: minutesOf('external'), dash: '4 3' },
    ],
  }),
  lineChart({
    title: 'server open fds',
    x,
    y: { label: 'fds', min: 0 },
    bands: band,
    series: [{ name: 'open fds', color: '#16a085', points: minutesOf('fds') }],
  }),
  lineChart({
    title: 'server event-loop delay (ms, per 10 s)',
    x,
    y: { label: 'ms', min: 0 },
    bands: band,
    series: [
      { name: 'p99', color: '#d35400', points: minutesOf('loopP99') },
      { name: 'max', color: '#7f8c8d', points: minutesOf('loopMax'), dash: '4 3' },
    ],
  }),
  lineChart({
    title: 'events delivered per second (all fast clients)',
    x,
    y: { label: 'events/s', min: 0 },
    bands: band,
    series: [{ name: 'delivered/s', color: '#27ae60', points: minutesOf('deliveredPerS') }],
  }),
];
const H = 300;
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="560" height="${H * panels.length}" viewBox="0 0 560 ${H * panels.length}">`,
  '<rect width="100%" height="100%" fill="#fff"/>',
]
  .concat(panels.map((p, i) => p.replace('<svg ', `<svg y="${i * H}" `)))
  .concat('</svg>')
  .join('\n');
writeFileSync(join(OUT, 'soak.svg'), svg + '\n');
console.log(JSON.stringify(summary));
process.exit(exitCode);
