// Isolated fan-out against a reference: the subscription index, chunked and sliced live fan-out and
// heavy sessions on their own cursors must deliver exactly what a plain "does any subscription match"
// loop would, each event once, in id order. Random subscriptions (indexed by =/in on each attribute,
// time-only, none, and heavy ones over 100 terms), random batches, unsubscribes in between; seeded.
import { afterEach, expect, it } from 'vitest';
import type { Filter } from '../../src/protocol/v0.js';
import { cleanup, PUBLISHER, server, TestClient, waitUntil } from '../support/referenceServer.js';
import { metric } from '../support/serverMetric.js';

afterEach(cleanup);

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ev {
  id: number;
  event_type: string;
  object_uuid: string;
  object_kind: string;
  event_at: string;
}

const TYPES = ['a', 'b', 'c', 'd'];
const OBJECTS = Array.from({ length: 10 }, (_, i) => `o${i}`);
const KINDS = ['k0', 'k1', 'k2'];
const TIMES = ['2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00Z'];

function matches(filters: Filter[], e: Ev): boolean {
  return filters.every(([attribute, operator, operand]) => {
    const value = e[attribute as keyof Ev] as string;
    if (operator === '=') return value === operand;
    if (operator === 'in') return (operand as string[]).includes(value);
    const [x, y] = [Date.parse(value), Date.parse(operand as string)];
    return operator === '<' ? x < y : operator === '>' ? x > y : operator === '<=' ? x <= y : x >= y;
  });
}

it.each([1, 2, 3])(
  'random subscriptions and batches (seed %i): every client gets exactly its matching events, once, in order',
  async (seed) => {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const some = <T>(xs: readonly T[]): T[] => xs.filter(() => rnd() < 0.4);
    const randomFilters = (): Filter[] => {
      const filters: Filter[] = [];
      const n = Math.floor(rnd() * 3);
      for (let i = 0; i < n; i++) {
        const kind = Math.floor(rnd() * 7);
        if (kind === 0) filters.push(['event_type', '=', pick(TYPES)]);
        else if (kind === 1) filters.push(['event_type', 'in', some(TYPES)]);
        else if (kind === 2) filters.push(['object_uuid', '=', pick(OBJECTS)]);
        else if (kind === 3) filters.push(['object_uuid', 'in', some(OBJECTS)]);
        else if (kind === 4) filters.push(['object_kind', '=', pick(KINDS)]);
        else filters.push(['event_at', pick(['<', '>', '<=', '>=']), pick(TIMES)]);
      }
      return filters;
    };
    const srv = await server({ mode: 'isolated' });
    const pub = await TestClient.open(srv.url, PUBLISHER);
    const clients: { c: TestClient; subs: Filter[][]; expected: number[] }[] = [];
    for (let i = 0; i < 12; i++) {
      const c = await TestClient.open(srv.url);
      const subs: Filter[][] = [];
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) subs.push(randomFilters());
      // Every third client is heavy: one subscription of 160 terms that matches o0..o9 events of one type.
      if (i % 3 === 0)
        subs.push([
          ['object_uuid', 'in', [...OBJECTS, ...Array.from({ length: 150 }, (_, j) => `x${j}`)]],
          ['event_type', '=', pick(TYPES)],
        ]);
      for (const filters of subs) expect((await c.request({ method: 'subscribe', filters })).status).toBe(200);
      clients.push({ c, subs, expected: [] });
    }
    let nextId = 1;
    for (let round = 0; round < 6; round++) {
      for (let b = 0; b < 3; b++) {
        const size = 1 + Math.floor(rnd() * 300);
        const events: Ev[] = Array.from({ length: size }, () => ({
          id: nextId++,
          event_type: pick(TYPES),
          object_uuid: pick(OBJECTS),
          object_kind: pick(KINDS),
          event_at: pick(['2025-12-31T00:00:00Z', '2026-03-01T12:00:00Z', '2026-09-09T09:09:09.123456Z', '2027-01-01T00:00:00Z']),
        }));
        expect((await pub.publish(events.map(({ id: _, ...e }) => e))).status).toBe(200);
        for (const cl of clients) for (const e of events) if (cl.subs.some((f) => matches(f, e))) cl.expected.push(e.id);
      }
      for (const cl of clients) await waitUntil(() => cl.c.events.length >= cl.expected.length, `client's ${cl.expected.length} events`);
      await new Promise((r) => setTimeout(r, 50)); // nothing extra arrives
      for (const cl of clients) expect(cl.c.ids()).toEqual(cl.expected);
      // Some clients drop a subscription (by its exact filters) before the next round.
      for (const cl of clients) {
        if (cl.subs.length > 1 && rnd() < 0.5) {
          const [removed] = cl.subs.splice(Math.floor(rnd() * cl.subs.length), 1);
          expect((await cl.c.request({ method: 'unsubscribe', filters: removed })).status).toBe(200);
          // Equal filter lists (same key) go together.
          cl.subs = cl.subs.filter((f) => JSON.stringify(f) !== JSON.stringify(removed));
        }
      }
    }
    expect(clients.reduce((n, cl) => n + cl.expected.length, 0)).toBeGreaterThan(1000);
    // The heavy clients were served by their own cursors (those deliveries count as replayed).
    expect(await metric(srv.metricsUrl, 'evbench_replayed_events_total')).toBeGreaterThan(0);
  },
);
