// @ts-check
// Server memory with 100 stalled clients: spawns `evbench serve` (default 1 MiB byte budget per
// session), reads the child's VmRSS from /proc/<pid>/status before, with the clients connected, and
// after publishing far more than the budget to each of them; prints one JSON line. Linux only.
// Usage: npm run build && node scripts/rss-stalled-clients.mjs [stalledClients=100] [events=4000]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { spawnServe } from '../dist/util/spawnServe.js';

const STALLED = Number(process.argv[2] ?? 100);
const EVENTS = Number(process.argv[3] ?? 4000);
const PAD = 'x'.repeat(16 * 1024);
const BATCH = 8;

const kib = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const mib = (k) => Math.round((k / 1024) * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const open = (url) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
const reply = (ws) => new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));

const serve = await spawnServe({ args: ['--publisher-token', 'p'] });
try {
  await sleep(500);
  const idle = kib(serve.pid, 'VmRSS');

  const stalled = [];
  for (let i = 0; i < STALLED; i++) {
    const ws = await open(serve.url);
    ws.on('error', () => {});
    ws.send('{"method":"subscribe"}');
    await reply(ws);
    ws.pause();
    stalled.push(ws);
  }
  let fastReceived = 0;
  const fast = await open(serve.url);
  fast.send('{"method":"subscribe"}');
  await reply(fast);
  fast.on('message', (d) => {
    if (d.toString().startsWith('{"msgID"')) fastReceived++;
  });
  await sleep(300);
  const connected = kib(serve.pid, 'VmRSS');

  const pub = await open(`${serve.url}?api_token=p`);
  let peakDuring = connected;
  const started = Date.now();
  for (let k = 0; k < EVENTS; k += BATCH) {
    pub.send(
      JSON.stringify({
        method: 'publish',
        events: Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad: PAD } })),
      }),
    );
    await reply(pub);
    if (k % 256 === 0) peakDuring = Math.max(peakDuring, kib(serve.pid, 'VmRSS'));
  }
  const publishMs = Date.now() - started;
  while (fastReceived < EVENTS && Date.now() - started < 60_000) await sleep(20);
  const metrics = await (await fetch(serve.metricsUrl)).text();
  const sample = (name) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
  const after = kib(serve.pid, 'VmRSS');
  console.log(
    JSON.stringify({
      stalledClients: STALLED,
      eventsPublished: EVENTS,
      eventBytes: PAD.length,
      bytesPublishedPerClientMiB: mib((EVENTS * PAD.length) / 1024),
      publishSeconds: publishMs / 1000,
      fastClientReceived: fastReceived,
      slowClientCloses: sample('evbench_slow_client_closes_total'),
      rssMiB: {
        idle: mib(idle),
        with100Connected: mib(connected),
        peakWhilePublishing: mib(peakDuring),
        afterPublishing: mib(after),
        hwm: mib(kib(serve.pid, 'VmHWM')),
      },
    }),
  );
  for (const ws of [...stalled, fast, pub]) ws.terminate();
} finally {
  await serve.stop();
}
