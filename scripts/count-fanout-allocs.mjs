#!/usr/bin/env node
// Heap bytes allocated per live delivery by SessionWriter.deliverFrames (the arena path) alone: N
// sessions x 1 event per chunk, fake sockets that take every write at once (writableLength 0) and
// complete it after the chunk. The median over windows of 10 chunks whose used heap only grew (a
// window with a scavenge is left out). Compare two builds side by side, alternating:
//   npx tsc -p tsconfig.json && cp -r dist /tmp/a   (then the other commit into /tmp/b)
//   taskset -c 1 node --expose-gc --max-semi-space-size=64 scripts/count-fanout-allocs.mjs /tmp/a [sessions] [windows]
import v8 from 'node:v8';
import path from 'node:path';
const dist = path.resolve(process.argv[2]);
const sessions = Number(process.argv[3] ?? 1000);
const windows = Number(process.argv[4] ?? 40);
const { IsolatedSession, SessionWriter } = await import(path.join(dist, 'server/isolatedSession.js'));
const { eventFrameLength } = await import(path.join(dist, 'server/frame.js'));
const ctx = { metrics: { eventsOut: 0 }, options: { queueBytes: 1 << 20, overflow: 'drop' } };
const callbacks = [];
const makeSocket = () => ({
  writableLength: 0,
  writableNeedDrain: false,
  write: (_b, cb) => (cb && callbacks.push(cb), true),
  cork() {},
  uncork() {},
});
const ws = { OPEN: 1, readyState: 1, on() {}, once() {} };
const all = [];
const { resolveServerOptions } = await import(path.join(dist, 'server/options.js'));
const sctx = { ...ctx, options: resolveServerOptions({}), filterBudget: { holderShare: () => 0 } };
for (let i = 0; i < sessions; i++) {
  const socket = makeSocket();
  const w = { ...ws, _socket: socket };
  all.push(new IsolatedSession(w, socket, { name: '*' }, 16384, () => {}, sctx));
}
const probe = all[0];
if (typeof probe.pending?.beginMany !== 'function') throw new Error('session not built');
const writer = new SessionWriter(ctx);
const events = [{ id: 1, body: Buffer.alloc(300, 120) }];
const chunk = () => {
  for (const s of all) writer.deliverFrames(s, events, eventFrameLength(s.msgId + 1, 300), 0);
  for (let i = 0; i < callbacks.length; i++) callbacks[i]();
  callbacks.length = 0;
};
const tick = () => new Promise((r) => process.nextTick(r));
for (let i = 0; i < 200; i++) {
  chunk();
  await tick();
} // warm up (JIT, arrays grown)
const perDelivery = [];
for (let w = 0; w < windows; w++) {
  globalThis.gc();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < 10; i++) chunk();
  const after = v8.getHeapStatistics().used_heap_size;
  await tick();
  if (after > before) perDelivery.push((after - before) / (10 * sessions));
}
// and the time per delivery (noisy on a shared machine: compare builds side by side only)
const nsPerDelivery = [];
for (let w = 0; w < windows; w++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) chunk();
  nsPerDelivery.push(Number(process.hrtime.bigint() - t0) / (10 * sessions));
  await tick();
}
nsPerDelivery.sort((a, b) => a - b);
perDelivery.sort((a, b) => a - b);
const med = perDelivery[perDelivery.length >> 1];
console.log(
  JSON.stringify({
    dist,
    nsPerDelivery: Math.round(nsPerDelivery[nsPerDelivery.length >> 1]),
    sessions,
    windows: perDelivery.length,
    bytesPerDelivery: Math.round(med * 10) / 10,
    min: Math.round(perDelivery[0] * 10) / 10,
  }),
);
