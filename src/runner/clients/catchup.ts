// catchup: subscribes with last_log_id N events behind the head, so the server replays a backlog
// before live delivery; its account checks the replay for order, duplicates and completeness.
import { ClientConnection } from './connection.js';

export class CatchupClient extends ClientConnection {
  private fromId: number | undefined;

  protected override replayFrom(): number {
    this.fromId ??= Math.max(0, this.ctx.headId() - (this.ctx.group.backlog ?? 0));
    return this.fromId;
  }
}
