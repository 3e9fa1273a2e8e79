// Permission checks: with the synthetic directory, a client receives only events of groups it may read.
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_GROUP, privateGroup, userToken } from '../../src/protocol/v0.js';
import { cleanup, PUBLISHER, server, TestClient, upgradeStatus, waitUntil } from '../support/referenceServer.js';

afterEach(cleanup);

describe.each(['isolated', 'legacy'] as const)('permissions (%s)', (mode) => {
  it('--users 2 --groups-per-user 3: user-0 reads group-0-k and group-all, never group-1-k', async () => {
    const srv = await server({ mode, users: 2, groupsPerUser: 3 });
    const user0 = await TestClient.open(srv.url, userToken(0));
    const user1 = await TestClient.open(srv.url, userToken(1));
    const admin = await TestClient.open(srv.url, PUBLISHER);
    for (const c of [user0, user1, admin]) await c.subscribe();
    const owners = [privateGroup(0, 0), privateGroup(0, 1), privateGroup(1, 0), privateGroup(1, 1), PUBLIC_GROUP, 'group-other'];
    await admin.publish(owners.map((owner) => ({ event_type: 'update', object_owner_uuid: owner })));
    await admin.publish([{ event_type: 'marker' }]); // group-all: everyone gets it last
    await waitUntil(() => [user0, user1, admin].every((c) => c.ids().at(-1) === 7), 'the marker at every client');
    const owned = (c: TestClient) => c.events.map((e) => e.object_owner_uuid);
    expect(owned(user0)).toEqual([privateGroup(0, 0), privateGroup(0, 1), PUBLIC_GROUP, PUBLIC_GROUP]);
    expect(owned(user1)).toEqual([privateGroup(1, 0), privateGroup(1, 1), PUBLIC_GROUP, PUBLIC_GROUP]);
    expect(owned(admin)).toEqual([...owners, PUBLIC_GROUP]);
  });

  it('a token outside the directory is refused with 401; catch-up respects permissions too', async () => {
    const srv = await server({ mode, users: 2, groupsPerUser: 2 });
    expect(await upgradeStatus(srv.url)).toBe(401);
    expect(await upgradeStatus(`${srv.url}?api_token=${userToken(2)}`)).toBe(401);
    expect(await upgradeStatus(`${srv.url}?api_token=user-01`)).toBe(401);
    const admin = await TestClient.open(srv.url, PUBLISHER);
    await admin.publish([privateGroup(1, 0), privateGroup(0, 0), PUBLIC_GROUP].map((g) => ({ event_type: 'x', object_owner_uuid: g })));
    const user0 = await TestClient.open(srv.url, userToken(0));
    await user0.subscribe({ last_log_id: 0 });
    await admin.publish([{ event_type: 'marker' }]);
    await waitUntil(() => user0.ids().at(-1) === 4, 'the marker');
    expect(user0.ids()).toEqual([2, 3, 4]);
  });
});
