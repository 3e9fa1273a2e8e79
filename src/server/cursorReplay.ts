// Catch-up replay in isolated mode: a replaying session reads the log in pages with its own cursor,
// paced by its own backpressure, and joins live delivery at the head. Replay runs only in its
// budgeted share of each loop turn, after the turn's I/O and never while live fan-out has work left
// (ReplayScheduler), and frames each step's events into one buffer, one write. With a shared store
// (PostgreSQL) pages are read asynchronously.
import { nowUs } from '../clock.js';
import type { LogPage, StoredEvent } from './eventLog.js';
import { eventFrameLength } from './frame.js';
import { mayReadFast } from './permissions.js';
import type { ServerContext } from './serverContext.js';
import { REPLAY_TURN_BYTES, ReplayScheduler } from './replayScheduler.js';
import { NO_EVENTS, type IsolatedSession } from './isolatedSession.js';
import type { FramePool, SessionWriter } from './sessionWriter.js';

/** A replay step's buffer: the turn's budget plus room for the frame that crosses it (bigger steps get their own). */
const REPLAY_BUFFER_BYTES = REPLAY_TURN_BYTES + 16 * 1024;
/** Spare replay buffers kept for reuse (~2.5 MB). */
const SPARE_REPLAY_BUFFERS = 32;
/** Log entries a replaying session scans (matching or not) in one step. */
const REPLAY_SCAN = 8192;
/** Filter terms a replaying session may evaluate per step (events scanned × terms held) before yielding. */
const REPLAY_SCAN_TERMS = 100_000;
/** A replaying session whose page read failed (database away) tries again after this long. */
const PAGE_RETRY_MS = 250;
/** A replaying session pauses while its socket holds this much (bounded by half its byte budget). */
export const REPLAY_LOW_WATER = 256 * 1024;

/** Why a replay step stopped collecting events. */
type StepEnd = 'budget' | 'live' | 'drain' | 'read' | 'slow' | 'page';

export class CursorReplay {
  /** Catch-up replay's share of each loop turn, round robin over the replaying sessions. */
  private readonly scheduler: ReplayScheduler<IsolatedSession>;
  private readonly buffers = new ReplayBuffers();
  /** The events a replay step frames into its one buffer (reused), their framed length, and the log entries the step has considered. */
  private readonly replayEvents: StoredEvent[] = [];
  private replayBytes = 0;
  private stepScanned = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly writer: SessionWriter,
    liveBusy: () => boolean,
  ) {
    this.scheduler = new ReplayScheduler<IsolatedSession>({ step: (s, budget) => this.pump(s, budget), liveBusy });
  }

  /** A closed session's replay steps are not run. */
  cancel(s: IsolatedSession): void {
    this.scheduler.cancel(s);
  }

  /** Takes a session out of live fan-out: its own cursor reads the log from `fromId` (catch-up, or a heavy session). */
  follow(s: IsolatedSession, fromId: number): void {
    s.cursor = fromId;
    s.page = NO_EVENTS;
    s.pageAt = 0;
    s.pageEnd = fromId;
    s.pageGeneration++;
    s.replaying = true;
    s.live = false;
    if (!s.pumpPending) this.yieldPump(s);
  }

  /**
   * Replay step for one session, run by the ReplayScheduler in its share of a loop turn: frames the
   * matching events after the cursor, up to about `budget` bytes, into one buffer and writes it, then
   * asks for another step, waits for 'drain' or for a page read. Reaching the head switches to live
   * in the same synchronous step, so no event is missed or sent twice. Pages never reach past the
   * head, so an event is either replayed or delivered live, never both. Returns the bytes written.
   */
  private pump(s: IsolatedSession, budget: number): number {
    s.pumpPending = false;
    if (!s.open || !s.replaying) return 0;
    const now = nowUs();
    const events = this.replayEvents;
    this.stepScanned = 0;
    let bytes = 0;
    for (;;) {
      const end = this.collectReplay(s, budget - bytes, events);
      if (this.writer.writeFrames(s, events, this.replayBytes, now, this.buffers)) {
        this.ctx.metrics.replayedEvents += events.length;
        bytes += this.replayBytes;
      }
      events.length = 0;
      switch (end) {
        case 'live':
          s.replaying = false;
          if (s.subs.size > 0) s.live = true;
          return bytes;
        case 'drain':
          s.pumpPending = true;
          s.socket.once('drain', () => this.yieldPump(s));
          return bytes;
        case 'read':
          this.readNextPage(s);
          return bytes;
        case 'budget':
          this.yieldPump(s);
          return bytes;
        case 'page':
          break;
        case 'slow': {
          // Over the byte budget, or a drop gap to announce first: the one-event path decides (close, or gap).
          const event = s.page[s.pageAt++]!;
          s.cursor = event.id;
          this.stepScanned++;
          const queued = s.socket.writableLength;
          if (!this.writer.deliver(s, event, now)) return bytes;
          bytes += Math.max(0, s.socket.writableLength - queued);
        }
      }
    }
  }

  /**
   * Collects into `events` the matching events after the cursor that fit this step, and their framed
   * length into replayBytes; says why it stopped.
   */
  private collectReplay(s: IsolatedSession, budget: number, events: StoredEvent[]): StepEnd {
    const log = this.ctx.log;
    const queuedBefore = s.socket.writableLength;
    let bytes = (this.replayBytes = 0);
    const scanLimit = Math.max(16, Math.min(REPLAY_SCAN, Math.floor(REPLAY_SCAN_TERMS / Math.max(1, s.subs.filterTerms))));
    for (;;) {
      if (s.pageAt >= s.page.length) {
        s.cursor = Math.max(s.cursor, s.pageEnd);
        s.page = NO_EVENTS;
        s.pageAt = 0;
        if (s.cursor >= log.headId) return 'live';
        if (bytes >= budget || this.stepScanned >= scanLimit) return 'budget';
        // Write what is collected before the next page: loading it may announce a gap, which must follow them.
        if (events.length > 0) return 'page';
        const through = log.headId;
        const limit = log.pageSize; // the memory log's page size follows its event sizes: read it once
        const page = log.readPage(s.cursor, through, limit);
        if (page instanceof Promise) {
          s.pageRead = { page, through, limit };
          return 'read';
        }
        this.loadPage(s, page, through, limit);
        continue;
      }
      const queued = queuedBefore + bytes;
      if (queued >= s.lowWater) return 'drain';
      if (bytes >= budget || this.stepScanned >= scanLimit) return 'budget';
      const event = s.page[s.pageAt]!;
      if (!mayReadFast(s.reader, event.ownerUuid) || !s.subs.matches(event)) {
        s.pageAt++;
        s.cursor = event.id;
        this.stepScanned++;
        continue;
      }
      if (this.writer.needsDeliver(s, event, queued)) return 'slow';
      s.pageAt++;
      s.cursor = event.id;
      this.stepScanned++;
      events.push(event);
      this.replayBytes = bytes += eventFrameLength(s.msgId + events.length, event.body.length);
    }
  }

  /** A shared store's page read in flight: the step that needs it is asked for once it is loaded. */
  private readNextPage(s: IsolatedSession): void {
    const read = s.pageRead!;
    s.pageRead = undefined;
    s.pumpPending = true;
    const generation = s.pageGeneration;
    read.page.then(
      (p) => {
        if (generation === s.pageGeneration) this.loadPage(s, p, read.through, read.limit);
        this.yieldPump(s);
      },
      () => setTimeout(() => this.yieldPump(s), PAGE_RETRY_MS),
    );
  }

  /** Asks for a replay step of `s` in the ReplayScheduler's share of a later loop turn. */
  private yieldPump(s: IsolatedSession): void {
    s.pumpPending = true;
    this.scheduler.request(s);
  }

  /** Takes a page read after the cursor; ids the store no longer holds get a gap notice first. */
  private loadPage(s: IsolatedSession, page: LogPage, through: number, limit: number): void {
    const firstId = page.events.length > 0 ? page.events[0]!.id : through + 1;
    const gapEnd = Math.min(firstId, page.oldestId) - 1;
    if (gapEnd > s.cursor) {
      s.gap = undefined; // a pending drop gap is inside the range announced now
      this.ctx.metrics.gaps++;
      this.writer.reply(s, { status: 409, gap: [s.cursor + 1, gapEnd] });
      s.cursor = gapEnd;
    }
    s.page = page.events;
    s.pageAt = 0;
    s.pageEnd = page.events.length < limit ? through : page.events[page.events.length - 1]!.id;
  }
}

/**
 * Replay steps' buffers, reused once their writes have completed. Allocating a fresh 64 KiB buffer
 * per step (~200 MB/s of external memory at 650k events/s) made V8 collect more often, and each
 * collection of a heap holding a 1,000,000-event log paused the loop for up to ~12 ms (profiled).
 * Not FrameArena's: a replaying session's socket holds up to its low water, so its steps' writes
 * rarely complete within the turn, and the arena would give it fresh buffers.
 */
class ReplayBuffers implements FramePool {
  private readonly spare: Buffer[] = [];

  take(bytes: number): { buf: Buffer; release: (() => void) | undefined } {
    if (bytes > REPLAY_BUFFER_BYTES) return { buf: Buffer.allocUnsafe(bytes), release: undefined };
    const whole = this.spare.pop() ?? Buffer.allocUnsafeSlow(REPLAY_BUFFER_BYTES);
    // the kernel has the bytes once the write completes: the buffer is then free for another step
    const release = (): void => {
      if (this.spare.length < SPARE_REPLAY_BUFFERS) this.spare.push(whole);
    };
    return { buf: whole.subarray(0, bytes), release };
  }
}
