// slow/delay: holds each message N ms before taking the next (a client doing slow work per event).
// Messages queue in the client; past a small backlog it stops reading, so the server feels it.
import { nowUs } from '../../clock.js';
import type { ScannedEvent } from '../../measurement/frameScan.js';
import { ClientConnection } from './connection.js';

const PAUSE_AT = 32;
const RESUME_AT = 8;

export class DelayClient extends ClientConnection {
  protected override readonly slowReads = true;
  private queue: ScannedEvent[] = [];
  private busy = false;
  private timer?: NodeJS.Timeout;
  private paused = false;

  protected override onEvent(ev: ScannedEvent): void {
    this.queue.push({ ...ev });
    if (this.queue.length >= PAUSE_AT && !this.paused) {
      this.paused = true;
      this.reading?.pause();
    }
    if (!this.busy) this.next();
  }

  private next(): void {
    const ev = this.queue.shift();
    if (!ev) {
      this.busy = false;
      return;
    }
    this.busy = true;
    this.timer = setTimeout(() => {
      this.account.onEvent(ev, nowUs()); // latency includes the hold: that is when this client has the event
      if (this.paused && this.queue.length <= RESUME_AT) {
        this.paused = false;
        this.reading?.resume();
      }
      this.next();
    }, this.ctx.group.delayMs ?? 0);
  }

  override leave(atUs: number): void {
    clearTimeout(this.timer);
    this.queue = [];
    super.leave(atUs);
  }
}
