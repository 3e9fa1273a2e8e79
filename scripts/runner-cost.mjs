#!/usr/bin/env node
// @ts-check
// What the runner's hot paths cost, on fixed synthetic inputs, for one compiled product (a dist/):
//   node scripts/runner-cost.mjs [DIST]     (default: this checkout's dist/; build first)
// Run it on two dist/ folders (say, one built from main) to compare: each figure is the median of
// several passes, in ms, on this machine at its current load (printed with it: compare side by side).
// - /proc/net/tcp of 20k lines (10k loopback connections), the pushback sampler wanting 10 slow sockets
// - 20k Server-Sent Events messages of ~300 B arriving in 64 KiB chunks
// - the seen-ids exchange at the last phase end of a 600k-id server-emitted stream, 3 workers
// - the terminal summary (verbose, sparklines) of a record carrying a 10-minute run's age and lag series
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.argv[2] ?? join(root, '..', 'dist'));
/** @param {string} file */
const load = (file) => import(pathToFileURL(join(dist, file)).href);

/** Median and minimum of `passes` timings of fn, ms. @param {() => unknown} fn */
function time(fn, passes = 15) {
  for (let i = 0; i < 3; i++) fn();
  const t = [];
  for (let i = 0; i < passes; i++) {
    const at = performance.now();
    fn();
    t.push(performance.now() - at);
  }
  t.sort((a, b) => a - b);
  return `median ${t[Math.floor(passes / 2)].toFixed(2)} ms (min ${t[0].toFixed(2)})`;
}

const hex = (/** @type {number} */ n) => n.toString(16).toUpperCase().padStart(4, '0');
console.log(
  `${dist} — load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

{
  const { parseProcNetTcp, procPort } = await load('runner/pushback.js');
  let text = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  for (let i = 0; i < 10_000; i++) {
    const rest = '00:00000000 00000000     0        0 1 1 0000000000000000 20 4 30 10 -1\n';
    text += `${String(2 * i).padStart(4)}: 0100007F:${hex(20_000 + i)} 0100007F:1F90 01 00000000:00000000 ${rest}`;
    text += `${String(2 * i + 1).padStart(4)}: 0100007F:1F90 0100007F:${hex(20_000 + i)} 01 0000A000:00000000 ${rest}`;
  }
  const wanted = new Set(Array.from({ length: 10 }, (_, i) => hex(20_000 + i * 997)));
  // a product without procPort parses every line (its parser takes no wanted ports)
  const parse = procPort ? () => parseProcNetTcp(text, wanted) : () => parseProcNetTcp(text);
  console.log(`/proc/net/tcp, 20k lines, 10 slow sockets wanted: ${time(parse)}`);
}

{
  const { SseParser } = await load('runner/clients/sseTransport.js');
  let text = '';
  for (let i = 0; i < 20_000; i++) text += `id: ${i}\ndata: {"id":${i},"p":"${'x'.repeat(260)}"}\n\n`;
  const all = Buffer.from(text);
  const chunks = [];
  for (let o = 0; o < all.length; o += 65_536) chunks.push(Buffer.from(all.subarray(o, o + 65_536)));
  const budget = { recharge: () => true, held: 0, limit: 2 ** 30 };
  console.log(
    `SSE, 20k messages in 64 KiB chunks: ${time(() => {
      const p = new SseParser(
        () => {},
        () => {},
        undefined,
        budget,
      );
      for (const c of chunks) p.push(c);
    })}`,
  );
}

{
  const emitted = await load('measurement/emittedStream.js');
  const oldUnion = emitted.unionSeen ? undefined : (await load('runner/clientWorkers.js')).unionSeen;
  const workers = Array.from({ length: 3 }, () => new emitted.EmittedStreamHeads());
  const perPhase = 60_000;
  let figure = '';
  for (let p = 0; p < 10; p++) {
    for (const h of workers) for (let id = p * perPhase + 1; id <= (p + 1) * perPhase; id++) h.noteSeen(id);
    const at = performance.now();
    // what each worker ships, and what the main thread and each worker do with it
    const parts = workers.map((h) => (h.takeFresh ? h.takeFresh() : h.seenIds()));
    const unions = oldUnion ? workers.map(() => oldUnion(parts)) : [emitted.unionSeen(parts)];
    workers.forEach((h, i) => h.addSeen(unions[Math.min(i, unions.length - 1)]));
    const ms = performance.now() - at;
    figure = `${parts.reduce((n, x) => n + x.bits.length, 0)} bytes shipped, ${ms.toFixed(2)} ms in all`;
  }
  console.log(`seen ids, last phase end of 600k ids, 3 workers: ${figure}`);
}

{
  const { renderSummary } = await load('reports/summary.js');
  const r = JSON.parse(readFileSync(join(root, '..', 'test', 'support', 'fixtures', 'run-record.json'), 'utf8'));
  const fast = r.groups.find((/** @type {{ name: string }} */ g) => g.name === 'fast');
  const series = (/** @type {number} */ bytes) => Buffer.alloc((bytes * 3) / 4, 7).toString('base64');
  fast.ages = { tickUs: 10_000, together: series(4e6), any: series(4e6) };
  r.generator.lagTicks = series(2e6);
  fast.clientResults = Array.from({ length: 400 }, (_, id) => ({ ...fast.clientResults[0], id }));
  fast.clients = 400;
  console.log(
    `terminal summary (verbose), 10 MB of series, 400 clients: ${time(() => renderSummary(r, false, { sparkline: {}, verbose: true }), 7)}`,
  );
}
