// A stored event keeps on the heap only what delivery reads: the uuid and event_at text live in its
// body (and, for legacy mode's per-client serialization, beside the properties it alone keeps).
import { describe, expect, it } from 'vitest';
import { eventFields, eventUuid, storedEvent } from '../../src/server/eventLog.js';

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
