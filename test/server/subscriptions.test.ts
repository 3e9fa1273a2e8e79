// A session's subscriptions: takesEverythingAfter, the id above which live fan-out may give a session
// every event of a chunk without trying each (its shared frames), must agree with matches().
import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../src/server/clientFrames.js';
import type { StoredEvent } from '../../src/server/eventLog.js';
import { Subscriptions } from '../../src/server/subscriptions.js';

function subscribe(message: Record<string, unknown>) {
  const parsed = parseClientFrame(JSON.stringify({ method: 'subscribe', ...message }));
  if (!('request' in parsed) || parsed.request.method !== 'subscribe') throw new Error(JSON.stringify(parsed));
  return parsed.request;
}

const event = (id: number, eventType = 'update') => ({ id, eventType, objectUuid: 'o', ownerUuid: 'g', objectKind: 'k' }) as StoredEvent;

describe('Subscriptions.takesEverythingAfter', () => {
  it('is Infinity while only filtered subscriptions are held (each event must be tried)', () => {
    const subs = new Subscriptions();
    expect(subs.takesEverythingAfter()).toBe(Infinity);
    subs.add(subscribe({ filters: [['event_type', '=', 'update']] }), 10, 10);
    expect(subs.takesEverythingAfter()).toBe(Infinity);
    expect(subs.matches(event(11, 'other'))).toBe(false);
  });

  it('with a subscription without filters: the highest id any subscription starts at or already delivered through', () => {
    const subs = new Subscriptions();
    subs.add(subscribe({ filters: [['event_type', '=', 'update']] }), 10, 10);
    subs.add(subscribe({}), 5, 40); // the filtered one has considered through 40 by now
    expect(subs.takesEverythingAfter()).toBe(40);
    // above it every event is delivered; at and below it a filtered event was delivered already
    for (const id of [41, 42, 100]) expect(subs.matches(event(id, 'other'))).toBe(true);
    expect(subs.matches(event(40, 'update'))).toBe(false);
    subs.add(subscribe({ filters: [] }), 70, 60);
    expect(subs.takesEverythingAfter()).toBe(70);
  });

  it('drops back to Infinity once the subscription without filters is removed', () => {
    const subs = new Subscriptions();
    subs.add(subscribe({ filters: [['event_type', '=', 'update']] }), 10, 10);
    subs.add(subscribe({}), 10, 10);
    subs.remove(subscribe({}).key, 20);
    expect(subs.takesEverythingAfter()).toBe(Infinity);
    expect(subs.matches(event(30, 'other'))).toBe(false);
  });
});
