// Memory under abuse: 100 clients that never read while events are published fast. Each session's
// byte budget holds (queue-bytes gauge), every stalled client is closed with 4008 (slow-client
// counter), and a fast client receives every event in order. Bounded: a few seconds.
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_SLOW_CLIENT } from '../../src/protocol/v0.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil, waitUntilAsync } from '../support/referenceServer.js';
import { metric } from '../support/serverMetric.js';

const stalled: WebSocket[] = [];
afterEach(async () => {
  for (const ws of stalled.splice(0)) ws.terminate();
  await cleanup();
});

const STALLED = 100;
const QUEUE_BYTES = 256 * 1024;
const PAD = 'x'.repeat(16 * 1024);
const BATCH = 8;
/** Slack over the budget: one event frame plus a close frame and a ping. */
const SLACK = PAD.length + 1024;

it('100 stalled clients: every session stays within its byte budget, all are closed 4008, a fast client gets everything', async () => {
  const srv = await server({ queueBytes: QUEUE_BYTES });
  const pub = await TestClient.open(srv.url, PUBLISHER);
  const fast = await TestClient.open(srv.url);
  await fast.subscribe();
  const closeCodes: number[] = [];
  await Promise.all(
    Array.from({ length: STALLED }, async () => {
      const ws = new WebSocket(srv.url);
      stalled.push(ws);
      ws.on('error', () => {});
      ws.on('close', (code) => closeCodes.push(code));
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      ws.send('{"method":"subscribe"}');
      await new Promise<void>((resolve) => ws.once('message', () => resolve()));
      ws.pause(); // never reads again
    }),
  );

  // Publish as fast as acks come back, sampling the per-session queue gauge, until all 100 are closed.
  let maxQueue = 0;
  let maxSum = 0;
  let published = 0;
  const deadline = Date.now() + 20_000;
  while ((await metric(srv.metricsUrl, 'evbench_slow_client_closes_total')) < STALLED) {
    expect(Date.now(), 'all stalled clients closed within 20 s').toBeLessThan(deadline);
    for (let k = 0; k < 4; k++) {
      const ack = await pub.publish(Array.from({ length: BATCH }, () => ({ event_type: 'update', properties: { pad: PAD } })));
      expect(ack.status).toBe(200);
      published += BATCH;
    }
    maxQueue = Math.max(maxQueue, await metric(srv.metricsUrl, 'evbench_session_queue_bytes', { stat: 'max' }));
    maxSum = Math.max(maxSum, await metric(srv.metricsUrl, 'evbench_session_queue_bytes', { stat: 'sum' }));
  }
  expect(maxQueue).toBeLessThanOrEqual(QUEUE_BYTES + SLACK);
  expect(maxSum).toBeLessThanOrEqual((STALLED + 2) * (QUEUE_BYTES + SLACK));
  expect(await metric(srv.metricsUrl, 'evbench_slow_client_closes_total')).toBe(STALLED);

  // The fast client got every event, in order, and was never closed.
  await waitUntil(() => fast.events.length === published, `all ${published} events at the fast client`);
  expect(fast.ids()).toEqual(Array.from({ length: published }, (_, i) => i + 1));
  expect(fast.closeCode).toBeUndefined();

  // Once they read again, each stalled client finds the 4008 close behind its backlog.
  for (const ws of stalled) ws.resume();
  await waitUntil(() => closeCodes.length === STALLED, 'every stalled client to see its close', 20_000);
  expect(new Set(closeCodes)).toEqual(new Set([CLOSE_SLOW_CLIENT]));
  await waitUntilAsync(
    async () => (await metric(srv.metricsUrl, 'evbench_connections')) === 2,
    'only the fast client and the publisher left',
  );
  process.stderr.write(
    `abuse: ${published} events of ${PAD.length} B published; max session queue ${maxQueue} B, max sum ${maxSum} B over ${STALLED} stalled sessions\n`,
  );
});
