#!/usr/bin/env node
// A Socket.IO v4 server (the `socket.io` package itself, nothing of evbench's): every connection
// joins room "events" of its namespace; the server emits {id, ts, pad} to that room at a fixed
// rate (`--rate 0`: it only relays), and relays whatever a client emits to the rest of the room.
// With `recovery`, connection state recovery (v4.6+) is on.
//
//   node examples/socketio-server.mjs 9010 500          # emits 500 events/s as "event" on /
// then
//   npx evbench run slow-client --target http://127.0.0.1:9010 --adapter socketio --topic event \
//       --publish server --id-field id --time-field ts --time-unit ms
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Server } from 'socket.io';

const epochMs = () => performance.timeOrigin + performance.now();

export async function socketIoServer({
  rate = 500,
  payloadBytes = 1024,
  topic = 'event',
  namespace = '/',
  recovery = false,
  pingInterval = 25_000,
  pingTimeout = 20_000,
  port = 0,
} = {}) {
  const http = createServer();
  const io = new Server(http, {
    serveClient: false,
    pingInterval,
    pingTimeout,
    ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true } } : {}),
  });
  const nsp = io.of(namespace);
  const disconnects = []; // [reason, seconds since start] of every socket the server let go
  const started = epochMs();
  nsp.on('connection', (socket) => {
    socket.on('disconnect', (reason) => disconnects.push([reason, ((epochMs() - started) / 1000).toFixed(1)]));
    socket.join('events');
    socket.onAny((name, ...args) => socket.to('events').emit(name, ...args)); // a relay: whatever a client emits
  });
  const pad = 'x'.repeat(payloadBytes);
  let id = 0;
  let timer;
  if (rate > 0) {
    const start = epochMs();
    // a 1 ms tick emits every event that is due: Socket.IO's emit never waits on a socket
    const tick = () => {
      const due = Math.floor(((epochMs() - start) * rate) / 1000);
      while (id < due) {
        id++;
        nsp.to('events').emit(topic, { id, ts: epochMs(), pad });
      }
      timer = setTimeout(tick, 1);
    };
    tick();
  }
  const bound = await new Promise((resolve) => http.listen(port, '127.0.0.1', () => resolve(http.address().port)));
  return {
    url: `http://127.0.0.1:${bound}${namespace === '/' ? '' : namespace}`,
    io,
    disconnects,
    close: async () => {
      clearTimeout(timer);
      io.disconnectSockets(true);
      await new Promise((r) => io.close(() => r()));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.argv[2] ?? 9010);
  const rate = Number(process.argv[3] ?? 500);
  const s = await socketIoServer({ port, rate, recovery: process.argv.includes('--recovery') });
  console.error(`socket.io server on ${s.url} (${rate > 0 ? `${rate} events/s as "event"` : 'relay only'})`);
}
