// NATS over websocket (nats-server's `websocket` listener): the text protocol as a byte stream —
// INFO, then CONNECT and SUB from the client; MSG subject sid [reply] size\r\n<payload>\r\n from the
// server, PING answered with PONG, -ERR said aloud. Frames may hold several messages or part of one.
// The event's id and time are read from the JSON payload by the generic adapter's paths.
import { newScannedEvent } from '../../measurement/frameScan.js';
import type { WireOutput, WireSession } from './adapter.js';
import type { GenericAdapter } from './generic.js';
import { SessionAdapter } from './session.js';

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
/** A protocol line longer than this without CRLF is not NATS. */
const MAX_LINE = 64 * 1024;

export class NatsAdapter extends SessionAdapter {
  session(role: 'subscriber' | 'publisher'): WireSession {
    return new NatsSession(this.json, this.options.topic ?? '>', role);
  }
}

const CONNECT = `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, lang: 'evbench', version: '0', protocol: 1, echo: false })}\r\n`;

class NatsSession implements WireSession {
  private pending: Buffer = EMPTY;
  private readonly ev = newScannedEvent();

  constructor(
    private readonly json: GenericAdapter,
    private readonly subject: string,
    private readonly role: 'subscriber' | 'publisher',
  ) {}

  opening(): string[] {
    return this.role === 'subscriber' ? [`${CONNECT}SUB ${this.subject} 1\r\n`] : [CONNECT];
  }

  publish(body: string): string {
    return `PUB ${this.subject} ${Buffer.byteLength(body)}\r\n${body}\r\n`;
  }

  read(data: Buffer, _binary: boolean, out: WireOutput): void {
    const b = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    let off = 0;
    while (off < b.length) {
      const eol = b.indexOf(CRLF, off);
      if (eol < 0) {
        if (b.length - off > MAX_LINE) {
          out.refused(`not NATS: ${MAX_LINE} bytes without a line end, starting ${JSON.stringify(b.toString('utf8', off, off + 80))}`);
          this.pending = EMPTY;
          return;
        }
        break;
      }
      if (b[off] === 0x4d /* M */ && b[off + 1] === 0x53 /* S */) {
        // MSG <subject> <sid> [reply-to] <#bytes>
        const sizeAt = b.lastIndexOf(0x20, eol - 1);
        const size = Number(b.toString('latin1', sizeAt + 1, eol));
        const start = eol + 2;
        if (b.length < start + size + 2) break; // the payload is still arriving
        const payload = b.subarray(start, start + size);
        off = start + size + 2;
        if (this.json.read(payload, this.ev) === 'event') out.event(this.ev);
        else out.other(payload);
        continue;
      }
      const line = b.toString('utf8', off, eol);
      off = eol + 2;
      if (line === 'PING') out.send('PONG\r\n');
      else if (line.startsWith('-ERR')) out.refused(`nats-server said ${line}`);
      else if (line !== 'PONG' && line !== '+OK') out.other(Buffer.from(line)); // INFO too: the first thing a diagnostic shows
    }
    this.pending = off < b.length ? Buffer.from(b.subarray(off)) : EMPTY;
  }
}
