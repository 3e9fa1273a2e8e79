// How a client speaks to its target: what it sends to subscribe and how it reads a frame.
// `evbench` speaks the v0 protocol and reads raw frames; `generic` reads any JSON by dotted paths;
// `nats` and `mqtt` are byte-stream protocols carried over websocket, read by a session per connection;
// `graphql-ws` and `actioncable` are JSON conversations (jsonSession.ts); `socketio` and `sse` read the
// same JSON from inside their protocol's messages. Which one a run uses: registry.ts (adapterFor).
import type { ScannedEvent } from '../../measurement/frameScan.js';

/** `keepalive`: a protocol ping the client answers with `keepaliveAnswer` (only while it reads). */
export type FrameKind = 'event' | 'status' | 'keepalive' | 'other';

export interface WireAdapter {
  /** True when the server acknowledges subscriptions with the log head (v0). */
  readonly acks: boolean;
  /** Websocket subprotocols offered on the upgrade (MQTT needs `mqtt`). */
  readonly protocols?: string[];
  /** The subscribe message, or undefined for servers that stream without being asked. */
  subscribeMessage(eventTypes: string[], lastId?: number): string | undefined;
  /** Classifies a text frame; for events fills `out` (id, intendedUs, sentUs). */
  read(data: Buffer, out: ScannedEvent): FrameKind;
  /**
   * The answer to a `keepalive` frame (a server's ping, e.g. Socket.IO's `2`), sent only as the client
   * reads. Sessions answer theirs through `out.send` in `read`; `session().keepalive` is the other
   * direction, a ping the client itself must send.
   */
  keepaliveAnswer?(data: Buffer): string;
  /** `sse`: messages come over an HTTP response, not a websocket. */
  readonly transport?: 'sse';
  /**
   * Protocols with a conversation of their own (a handshake, keepalives, acknowledgements, several
   * messages per frame or one message over several): one session per connection replaces
   * subscribeMessage and read.
   */
  session?(role: 'subscriber' | 'publisher', persistent?: PersistentSession): WireSession;
}

/**
 * A session that outlives its connection (MQTT: clean session 0, v5 session expiry), for a catch-up
 * client that leaves and comes back under the same client id to be sent what it missed.
 */
export interface PersistentSession {
  clientId: string;
  /** False on the first connection (a new session is made); true on the reconnect, which takes the one the broker kept. */
  resume: boolean;
  /** How long the broker keeps the session once its connection is gone, in seconds (MQTT 5). */
  expiryS: number;
}

/** What a session reports as it reads. */
export interface WireOutput {
  /** An event read from the stream (`ev` is reused: copy it to keep it). */
  event(ev: ScannedEvent): void;
  /** A message that is not an event (for the first seconds' diagnostic). */
  other(data: Buffer): void;
  /** A frame the protocol requires in reply (PONG, PUBACK). */
  send(frame: string | Buffer): void;
  /** The server refused the connection or the subscription, and said why. */
  refused(reason: string): void;
  /** The server has taken the subscription (sessions that `confirm`): the client's behaviour starts now. */
  subscribed(): void;
  /** The server said why it is ending the connection (an MQTT 5 DISCONNECT): the client's close reason. */
  closing(reason: string): void;
}

export interface WireSession {
  /** Frames sent once the websocket is open: the protocol's connect and (for a subscriber) subscribe. */
  opening(): (string | Buffer)[];
  /**
   * Reads one websocket message (any number of protocol messages, or part of one). Called only as
   * the client reads, so replies to keepalives come from clients that read: a stalled client is stalled.
   */
  read(data: Buffer, binary: boolean, out: WireOutput): void;
  /**
   * True when the session keeps references into `data` after `read` returns (a parser holding a packet
   * split over two messages): it is then given a copy. Others are given the client's read buffer, which
   * the next read overwrites.
   */
  readonly keepsInput?: boolean;
  /** True when the session calls `out.subscribed()` (after a handshake); otherwise the client counts as subscribed once the opening frames are sent. */
  readonly confirms?: boolean;
  /** A frame the client must send every `intervalMs` while it still reads (MQTT PINGREQ); a server's pings are answered in `read`. */
  readonly keepalive?: { intervalMs: number; frame: Buffer | string };
  /** Publisher role: the frame that publishes one event body (NATS PUB, MQTT PUBLISH). */
  publish?(body: string): Buffer | string;
}
