// SIGKILL on the PostgreSQL store: a serve process killed in the middle of publishing loses nothing
// it acknowledged, and a restarted one continues after it with every stored event replayable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { noDatabase, range, resetDatabase, serveOnDatabase, stopServes, storedIds } from '../../support/postgres.js';
import { PUBLISHER, TestClient, waitUntil } from '../../support/referenceServer.js';

beforeEach(async () => {
  if (!noDatabase) await resetDatabase();
});
afterEach(stopServes);

const BATCH = 20;
const batch = Array.from({ length: BATCH }, (_, i) => ({ event_type: 'update', properties: { i, pad: 'x'.repeat(500) } }));

describe.skipIf(noDatabase)('postgres store: SIGKILL mid-publish', () => {
  it('every acknowledged event is stored after a SIGKILL with publishes in flight; a restarted serve continues after them', async () => {
    const first = await serveOnDatabase();
    const pub = new WebSocket(`${first.url}?api_token=${PUBLISHER}`);
    pub.on('error', () => {});
    await new Promise((r) => pub.once('open', r));
    const acked: number[] = [];
    pub.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { status: number; last_id?: number };
      if (m.status === 200 && m.last_id !== undefined) acked.push(...range(m.last_id - BATCH, m.last_id));
    });
    const frame = JSON.stringify({ method: 'publish', events: batch });
    // 4 publishes in flight at any time; once 2,000 events are acknowledged, kill it with the next ones unanswered
    let sent = 0;
    while (acked.length < 2000) {
      while (sent - acked.length / BATCH < 4) {
        pub.send(frame);
        sent++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 0; i < 4; i++) pub.send(frame);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const ackedAtKill = [...acked];
    pub.terminate();

    const stored = await storedIds();
    const storedSet = new Set(stored);
    expect(
      ackedAtKill.filter((id) => !storedSet.has(id)),
      'acknowledged but not stored',
    ).toEqual([]);
    expect(stored.length).toBeGreaterThanOrEqual(ackedAtKill.length); // unacknowledged batches may or may not have committed
    expect(stored.length % BATCH, 'batches are all or nothing').toBe(0);

    console.info(`SIGKILL with publishes in flight: ${ackedAtKill.length} events acknowledged, ${stored.length} stored`);
    const second = await serveOnDatabase();
    const again = await TestClient.open(second.url, PUBLISHER);
    const reply = await again.publish(batch);
    expect(reply.status).toBe(200);
    expect(reply.last_id!).toBeGreaterThan(Math.max(...stored));
    const reader = await TestClient.open(second.url);
    await reader.subscribe({ last_log_id: 0 });
    const all = [...stored, ...range(reply.last_id! - BATCH, reply.last_id!)];
    await waitUntil(() => reader.events.length === all.length, 'the whole history replayed', 20_000);
    expect(reader.ids()).toEqual(all);
  });
});
