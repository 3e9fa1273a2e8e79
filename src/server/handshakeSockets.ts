// Sockets that are not (yet) websockets: every socket is gone within --handshake-timeout unless it
// became a websocket (plain HTTP answers one request and closes, so the timer stops only at the
// upgrade), and these sockets count toward --max-connections. None of this stays with an upgraded
// socket: at tens of thousands of idle connections, a timer and a listener each is megabytes.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionsByAddress } from './addressShares.js';
import type { ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';

/** Beyond this many times --max-connections, a new socket is dropped before it says anything. */
export const HARD_CONNECTION_FACTOR = 2;

export class HandshakeSockets {
  private readonly timers = new Map<Duplex, NodeJS.Timeout>();
  /** Sockets within their address's share, not yet answered or upgraded. */
  private readonly waiting = new Set<Duplex>();
  /** One 'close' listener for every socket of the server (`this` is the socket). */
  private readonly closed: (this: Duplex) => void;

  constructor(
    private readonly byAddress: ConnectionsByAddress,
    private readonly metrics: ServerMetrics,
    private readonly options: ServerOptions,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listener's own `this` is the socket
    const sockets = this;
    this.closed = function (this: Duplex): void {
      sockets.done(this);
    };
  }

  /** Sockets that take a connection slot while they are not websockets. */
  get size(): number {
    return this.waiting.size;
  }

  /** A new socket: dropped over the hard limit or its address's, else timed until it is done. */
  open(socket: Socket): void {
    const { metrics, options } = this;
    if (metrics.connections + this.waiting.size >= HARD_CONNECTION_FACTOR * options.maxConnections) {
      metrics.refused('max_connections');
      socket.destroy();
      return;
    }
    const admission = this.byAddress.admit(socket);
    if (admission === 'drop') {
      metrics.refused('max_connections_per_address');
      socket.destroy();
      return;
    }
    // a socket over its address's share takes no slot while it waits to be told 429
    if (admission === 'within') this.waiting.add(socket);
    const timer = setTimeout(() => {
      metrics.refused('handshake_timeout');
      socket.destroy();
    }, options.handshakeTimeoutMs);
    this.timers.set(socket, timer);
    socket.on('close', this.closed);
  }

  /** Its plain HTTP request was answered: it no longer takes a slot (the timer runs on until it closes). */
  answered(socket: Duplex): void {
    this.waiting.delete(socket);
  }

  /** Upgraded or closed: nothing of this stays with it. */
  done(socket: Duplex): void {
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
    this.waiting.delete(socket);
    socket.off('close', this.closed);
  }
}
