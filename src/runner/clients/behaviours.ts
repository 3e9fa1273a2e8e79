// The slow-client behaviours, by the name a scenario gives them (`behaviour` of a slow group; the
// names are SLOW_BEHAVIOURS in scenario/types.ts, which validation reads). A new behaviour is its
// own file here, its name in that list, and one line in this table (the type asks for every name).
import type { Account } from '../../measurement/accounting.js';
import type { SlowBehaviour } from '../../scenario/types.js';
import type { ClientConnection, ConnectionContext } from './connection.js';
import { DelayClient } from './delay.js';
import { RateClient } from './rate.js';
import { StallClient } from './stall.js';

export const SLOW_CLIENTS: Record<SlowBehaviour, (clientId: number, ctx: ConnectionContext, account: Account) => ClientConnection> = {
  stall: (id, ctx, account) => new StallClient(id, ctx, account),
  rate: (id, ctx, account) => new RateClient(id, ctx, account),
  delay: (id, ctx, account) => new DelayClient(id, ctx, account),
};
