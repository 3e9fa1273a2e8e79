// @ts-check
// Server memory under a publisher of big events: spawns `evbench serve` with its defaults, publishes
// N events of 64 KiB (8 per batch, each batch acknowledged before the next) with nobody subscribed,
// and reads the child's VmRSS/VmHWM from /proc. With the memory log bounded only in events this kept
// everything (1.25 GiB for 20,000 events); --log-bytes (default 256 MiB) bounds it. Linux only.
// Usage: npm run build && node scripts/rss-publish-64k.mjs [events=20000] [-- extra serve args]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { spawnServe } from '../dist/util/spawnServe.js';

const EVENTS = Number(process.argv[2] ?? 20_000);
const extra = process.argv.indexOf('--') > 0 ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const PAD = 'x'.repeat(64 * 1024);
const BATCH = 8;
const kib = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const mib = (k) => Math.round((k / 1024) * 10) / 10;

const serve = await spawnServe({ args: ['--publisher-token', 'p', ...extra] });
try {
  const idle = kib(serve.pid, 'VmRSS');
  const pub = new WebSocket(`${serve.url}?api_token=p`);
  await new Promise((resolve, reject) => {
    pub.once('open', resolve);
    pub.once('error', reject);
  });
  const frame = JSON.stringify({
    method: 'publish',
    events: Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad: PAD } })),
  });
  const started = Date.now();
  for (let k = 0; k < EVENTS; k += BATCH) {
    pub.send(frame);
    const reply = await new Promise((resolve) => pub.once('message', (d) => resolve(JSON.parse(d.toString()))));
    if (reply.status !== 200) throw new Error(`publish refused: ${JSON.stringify(reply)}`);
  }
  const seconds = (Date.now() - started) / 1000;
  const metrics = await (await fetch(serve.metricsUrl)).text();
  const sample = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
  console.log(
    JSON.stringify({
      events: EVENTS,
      eventBytes: PAD.length,
      publishedMiB: mib((EVENTS * PAD.length) / 1024),
      publishSeconds: seconds,
      serveArgs: extra,
      logEvents: sample('evbench_log_events'),
      logMiB: Math.round((sample('evbench_log_bytes') / 1048576) * 10) / 10,
      rssMiB: { idle: mib(idle), after: mib(kib(serve.pid, 'VmRSS')), hwm: mib(kib(serve.pid, 'VmHWM')) },
    }),
  );
  pub.terminate();
} finally {
  await serve.stop();
}
