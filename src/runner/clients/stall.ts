// slow/stall: subscribes, then stops reading altogether (its socket is paused), like a client
// whose process hung. The server sees its receive window close and its send buffer fill.
import { ClientConnection } from './connection.js';

export class StallClient extends ClientConnection {
  protected override readonly slowReads = true;
  protected override onSubscribed(): void {
    this.reading?.pause();
  }
}
