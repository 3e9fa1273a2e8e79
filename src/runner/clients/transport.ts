// What a client behaviour needs from whatever carries its bytes (a websocket, an HTTP response for
// SSE): stop and resume reading, and see each raw chunk as it arrives. Accounting stays in
// ClientConnection; a transport only decides how bytes come in.
import type WebSocket from 'ws';
import type { Socket } from 'node:net';
import type { BareWebSocket } from './bareWebSocket.js';

export interface ReadControl {
  /** Stops reading from the network: the server sees the receive window close. */
  pause(): void;
  resume(): void;
  /** Every raw chunk as it arrives, before it is parsed (the rate client counts bytes). */
  onChunk(fn: (chunk: Buffer) => void): void;
  /** Drops the connection at once. */
  terminate(): void;
  /** The TCP socket underneath (its queues tell whether the reader pushed back on the server). */
  socket(): Socket | undefined;
}

/**
 * A websocket's reading: `ws.pause()` pauses its socket; chunks are the socket's own. A class, not an
 * object of closures: every idle client holds one, and its methods are shared.
 */
export class WsReadControl implements ReadControl {
  constructor(private readonly ws: WebSocket) {}

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  onChunk(fn: (chunk: Buffer) => void): void {
    (this.ws as unknown as { _socket?: Socket })._socket?.on('data', fn);
  }

  terminate(): void {
    this.ws.terminate();
  }

  socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }
}

/** A bare-socket websocket's reading (bareWebSocket.ts): its socket pauses; chunks are seen as each read lands. */
export class BareReadControl implements ReadControl {
  constructor(private readonly ws: BareWebSocket) {}

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** `fn` sees each read only during the call (the read buffer is reused): it may count, not keep. */
  onChunk(fn: (chunk: Buffer) => void): void {
    this.ws.onChunk = fn;
  }

  terminate(): void {
    this.ws.terminate();
  }

  socket(): Socket {
    return this.ws.socket;
  }
}
