// slow/rate: reads at most N bytes per second, by pausing the socket whenever it is ahead of its
// budget and resuming when the budget has caught up (a client on a thin link).
import { nowUs } from '../../clock.js';
import { ClientConnection } from './connection.js';

export class RateClient extends ClientConnection {
  protected override readonly slowReads = true;
  private bytes = 0;
  private startUs = 0;
  private resumeTimer?: NodeJS.Timeout;

  protected override onSubscribed(): void {
    const reading = this.reading!;
    const rate = this.ctx.group.bytesPerSecond ?? 1;
    this.startUs = nowUs();
    reading.onChunk((chunk: Buffer) => {
      this.bytes += chunk.length;
      const allowed = ((nowUs() - this.startUs) * rate) / 1e6;
      const aheadBytes = this.bytes - allowed;
      if (aheadBytes > 0 && !this.resumeTimer) {
        reading.pause();
        this.resumeTimer = setTimeout(
          () => {
            this.resumeTimer = undefined;
            reading.resume();
          },
          Math.ceil((aheadBytes / rate) * 1000),
        );
      }
    });
  }

  override leave(atUs: number): void {
    clearTimeout(this.resumeTimer);
    super.leave(atUs);
  }
}
