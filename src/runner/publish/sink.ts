// Where the publisher's events go. The schedule (publisherWorker) decides when; a sink decides how
// the target gets them and which id each one ends up with. Which sink a run uses: each adapter's
// entry in adapters/builtins.ts (sinkFor in adapters/registry.ts).

export interface OutgoingEvent {
  /** Schedule index (negative: prefill). */
  k: number;
  intendedUs: number;
  sentUs: number;
}

export interface Sink {
  /** Connects; rejects with a one-line reason when the target cannot be reached. */
  open(): Promise<void>;
  /** Sends a contiguous run of events (k, k+1, …); never waits for delivery. */
  send(events: OutgoingEvent[]): void;
  /** Resolves once every event sent so far is acknowledged (or failed), or after `timeoutMs`. */
  settle(timeoutMs: number): Promise<void>;
  /** Bytes waiting to leave this process (keeps prefill memory bounded). */
  backlogBytes(): number;
  close(): void;
}

export interface SinkCallbacks {
  /** Events k … k+count−1 became ids id … id+count−1 on the target. */
  onIds(kFirst: number, idFirst: number, count: number): void;
  /** The target refused or dropped the publisher: the run cannot continue. */
  onFatal(message: string): void;
  /** A single publish failed (HTTP error): counted, the run goes on. */
  onError(): void;
}
