// A stored event keeps on the heap only what delivery reads: the uuid and event_at text live in its
// body (and, for legacy mode's per-client serialization, beside the properties it alone keeps).
import { describe, expect, it } from 'vitest';
import { isoFromUs } from '../../src/clock.js';
import { eventBodies, eventFields, eventUuid, storedEvent } from '../../src/server/eventLog.js';

const fields = eventFields({ event_type: 'update', event_at: '2026-11-26T14:45:48.123456Z', properties: { n: 1 } }, 1_000);

describe('storedEvent', () => {
  it('isolated: no uuid or event_at text beside the body, which carries both', () => {
    const e = storedEvent(42, fields);
    expect(Object.keys(e)).not.toContain('uuid');
    expect(Object.keys(e)).not.toContain('eventAt');
    expect(e.legacy).toBeUndefined();
    const message = JSON.parse(`{"msgID":1,${e.body.toString()}`) as Record<string, unknown>;
    expect(message).toMatchObject({ id: 42, uuid: eventUuid(42), event_at: '2026-11-26T14:45:48.123456Z', properties: { n: 1 } });
    expect(eventUuid(42)).toBe('zzzzz-57u5n-000000000000042');
  });

  it('legacy: keeps the properties and the event_at text it serializes per client', () => {
    const e = storedEvent(7, fields, { n: 1 });
    expect(e.legacy).toEqual({ properties: { n: 1 }, eventAt: '2026-11-26T14:45:48.123456Z' });
  });
});

describe('eventFields', () => {
  it('gives an event published without event_at its store time, each store time its own text', () => {
    const t0 = 1_764_000_000_123_456;
    for (const us of [t0, t0, t0 + 1, t0 + 1, t0, t0 + 1_000_000]) {
      expect(eventFields({ event_type: 'update' }, us).eventAt).toBe(isoFromUs(us));
    }
    expect(eventFields({ event_type: 'update' }, t0 + 1).eventAt).toBe('2025-11-24T16:00:00.123457Z');
  });

  it('keeps a canonical event_at verbatim whatever the store time', () => {
    const at = '2026-11-26T14:45:48.123456Z';
    expect(eventFields({ event_type: 'update', event_at: at }, 5).eventAt).toBe(at);
    expect(eventFields({ event_type: 'update' }, 5).eventAt).toBe(isoFromUs(5));
  });
});

describe('eventBodies', () => {
  it("gives a batch's events the bodies storedEvent builds alone, multi-byte text included, in one buffer", () => {
    const batch = [
      eventFields({ event_type: 'update', properties: { note: 'plain' } }, 1_000),
      eventFields({ event_type: 'ünïcødé', object_uuid: '日本', properties: { note: '€ and 😀' } }, 1_000),
      eventFields({ event_type: 'update', properties: {} }, 2_000),
    ];
    const bodies = eventBodies(40, batch);
    expect(bodies.map((b) => b.toString())).toEqual(batch.map((f, i) => storedEvent(40 + i, f).body.toString()));
    for (const b of bodies) expect(b.buffer).toBe(bodies[0]!.buffer);
    const message = JSON.parse(`{"msgID":1,${bodies[1]!.toString()}`) as Record<string, unknown>;
    expect(message).toMatchObject({ id: 41, event_type: 'ünïcødé', object_uuid: '日本', properties: { note: '€ and 😀' } });
    expect(eventBodies(1, [])).toEqual([]);
  });
});
