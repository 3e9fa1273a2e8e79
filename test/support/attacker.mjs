// A hostile client in its own process, so that writing megabytes does not stall the test process
// (whose fast client measures the server's round trip). Usage:
//   node attacker.mjs fragment URL CONNECTIONS BYTES   each connection parks an unfinished BYTES fragment
//   node attacker.mjs subscribe URL VALUES             one subscribe frame with an `in` list of VALUES values
// Prints one JSON line {"closed":N,"codes":[…]} once every connection is closed by the server.
import { connect } from 'node:net';

const [kind, url, ...rest] = process.argv.slice(2);
const { hostname, port, pathname } = new URL(url);

/** Header of a masked client frame with a zero mask key (the payload goes as is). */
function header(opcode, fin, length) {
  const first = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.from([first, 0x80 | length, 0, 0, 0, 0]);
  if (length < 65536) return Buffer.from([first, 0x80 | 126, length >> 8, length & 0xff, 0, 0, 0, 0]);
  const head = Buffer.alloc(14);
  head[0] = first;
  head[1] = 0x80 | 127;
  head.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  head.writeUInt32BE(length >>> 0, 6);
  return head;
}

/** Upgrades one connection; resolves with the socket and a promise of the close code it got (or 1006). */
function upgrade() {
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    let text = '';
    let upgraded = false;
    let code = 1006;
    const closed = new Promise((done) => socket.once('close', () => done(code)));
    socket.on('data', (chunk) => {
      if (!upgraded) {
        text += chunk.toString('latin1');
        if (!text.includes('\r\n\r\n')) return;
        upgraded = true;
        resolve({ socket, closed });
        return;
      }
      if ((chunk[0] & 0x0f) === 0x8 && chunk.length >= 4) code = chunk.readUInt16BE(2);
    });
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

const sessions = [];
if (kind === 'fragment') {
  const [connections, bytes] = rest.map(Number);
  const payload = Buffer.alloc(bytes, 0x61);
  for (let i = 0; i < connections; i++) sessions.push(await upgrade());
  for (const { socket } of sessions) {
    socket.write(header(0x1, false, payload.length));
    socket.write(payload);
  }
} else if (kind === 'subscribe') {
  const values = Array.from({ length: Number(rest[0]) }, (_, i) => i.toString(36));
  const payload = Buffer.from(JSON.stringify({ method: 'subscribe', filters: [['event_type', 'in', values]] }));
  sessions.push(await upgrade());
  sessions[0].socket.write(header(0x1, true, payload.length));
  sessions[0].socket.write(payload);
} else {
  throw new Error(`unknown attack ${kind}`);
}
process.stdout.write('sent\n');
const codes = await Promise.all(sessions.map((s) => s.closed));
process.stdout.write(`${JSON.stringify({ closed: codes.length, codes })}\n`);
