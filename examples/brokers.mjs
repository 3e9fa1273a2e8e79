#!/usr/bin/env node
// Real servers to point evbench at: Debian's nats-server (websocket listener) and mosquitto
// (websockets listener), each started from a config file written here on loopback ports, with a
// small publisher that emits {"id":n,"ts":<epoch ms, fractional>,"pad":"…"} at a fixed rate over
// the broker's plain TCP port (the broker's own protocol, a few lines each); and ruby-actioncable
// under puma (examples/actioncable/config.ru, which broadcasts on its own).
//
//   node examples/brokers.mjs nats 4222 8222        # nats-server: TCP 4222, websocket 8222, publishing on "events"
//   node examples/brokers.mjs mosquitto 1883 8883   # mosquitto: TCP 1883, websockets 8883, publishing on "events"
//   QOS=1 QUEUE=10000 node examples/brokers.mjs mosquitto 1883 8883   # publishing at QoS 1, 10000 queued per client
// then e.g.
//   npx evbench run slow-client --target ws://127.0.0.1:8222/ --adapter nats --topic events --publish server
//   npx evbench run slow-client --target ws://127.0.0.1:8883/ --adapter mqtt --topic events --publish server
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const epochMs = () => performance.timeOrigin + performance.now();

/** The absolute path of a server binary, or undefined when it is not installed (Debian puts mosquitto in /usr/sbin). */
export function findBinary(name) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A free loopback port (the config files need numbers; the tiny race with another process is acceptable in tests). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects at the deadline. */
async function waitForPort(port, deadlineMs, child, name) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${child.stderrText.slice(0, 400)}`);
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${deadlineMs} ms: ${child.stderrText.slice(0, 400)}`);
}

function startProcess(name, bin, args, ports, dir, env = {}) {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  child.stderrText = '';
  child.stderr.on('data', (d) => (child.stderrText = (child.stderrText + d).slice(-4000)));
  return Promise.all(ports.map((p) => waitForPort(p, 10_000, child, name))).then(
    () => ({
      child,
      /** The last 4000 characters the server logged on stderr. */
      log: () => child.stderrText,
      stop: () =>
        new Promise((resolve) => {
          const done = () => (rmSync(dir, { recursive: true, force: true }), resolve());
          if (child.exitCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        }),
    }),
    (err) => (child.kill('SIGKILL'), rmSync(dir, { recursive: true, force: true }), Promise.reject(err)),
  );
}

/** nats-server with a websocket listener (no TLS, loopback); `writeDeadline` (e.g. "2s") overrides its 10 s default. */
export async function startNats({ port, wsPort, writeDeadline } = {}) {
  port ??= await freePort();
  wsPort ??= await freePort();
  const bin = findBinary('nats-server');
  if (!bin) throw new Error('nats-server is not installed (apt-get install nats-server)');
  const dir = mkdtempSync(join(tmpdir(), 'evbench-nats-'));
  const conf = join(dir, 'nats.conf');
  writeFileSync(
    conf,
    `listen: "127.0.0.1:${port}"\n${writeDeadline ? `write_deadline: "${writeDeadline}"\n` : ''}websocket {\n  listen: "127.0.0.1:${wsPort}"\n  no_tls: true\n}\n`,
  );
  const p = await startProcess('nats-server', bin, ['-c', conf], [port, wsPort], dir);
  return { ...p, port, wsPort, url: `ws://127.0.0.1:${wsPort}/`, conf };
}

/** mosquitto with a websockets listener and a plain MQTT one (anonymous, no persistence, loopback); `config`: more lines for mosquitto.conf. */
export async function startMosquitto({ port, wsPort, config = '' } = {}) {
  port ??= await freePort();
  wsPort ??= await freePort();
  const bin = findBinary('mosquitto');
  if (!bin) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'evbench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `per_listener_settings false\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n${config}listener ${port} 127.0.0.1\nlistener ${wsPort} 127.0.0.1\nprotocol websockets\n`,
  );
  const p = await startProcess('mosquitto', bin, ['-c', conf], [port, wsPort], dir);
  return { ...p, port, wsPort, url: `ws://127.0.0.1:${wsPort}/`, conf };
}

/** True when Ruby can load Debian's ruby-actioncable (puma serves it). */
export function hasActionCable() {
  if (!findBinary('puma') || !findBinary('ruby')) return false;
  try {
    execFileSync(findBinary('ruby'), ['-e', 'require "action_cable"'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** examples/actioncable/config.ru under puma (4 threads): EventsChannel, broadcasting RATE/s of PAYLOAD bytes (rate 0: none). */
export async function startActionCable({ port, rate = 100, payloadBytes = 1024 } = {}) {
  port ??= await freePort();
  const bin = findBinary('puma');
  if (!bin) throw new Error('puma is not installed (apt-get install puma ruby-actioncable)');
  const dir = mkdtempSync(join(tmpdir(), 'evbench-actioncable-'));
  const ru = new URL('./actioncable/config.ru', import.meta.url).pathname;
  const child = startProcess('puma', bin, ['-b', `tcp://127.0.0.1:${port}`, '-t', '4:4', ru], [port], dir, {
    RATE: String(rate),
    PAYLOAD: String(payloadBytes),
  });
  const p = await child;
  return { ...p, port, url: `ws://127.0.0.1:${port}/cable` };
}

/** Calls `emit(body)` for each event on a fixed schedule (event n due at start + n/rate), stamped with its due time. */
function schedule({ rate, payloadBytes }, emit) {
  const pad = 'x'.repeat(payloadBytes);
  const start = epochMs();
  let id = 0;
  const timer = setInterval(() => {
    const now = epochMs();
    while (start + (id * 1000) / rate <= now) {
      const due = start + (id * 1000) / rate;
      id++;
      emit(JSON.stringify({ id, ts: due, pad }));
    }
  }, 1);
  return { stop: () => clearInterval(timer), published: () => id };
}

function tcp(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A NATS publisher on the plain TCP port: CONNECT, then PUB subject at `rate`. */
export async function natsPublisher({ port, subject = 'events', rate, payloadBytes }) {
  const socket = await tcp(port);
  socket.on('data', (d) => {
    if (d.includes('PING\r\n')) socket.write('PONG\r\n');
  });
  socket.write(`CONNECT {"verbose":false,"pedantic":false,"lang":"node","version":"0","protocol":1}\r\n`);
  const s = schedule({ rate, payloadBytes }, (body) => socket.write(`PUB ${subject} ${Buffer.byteLength(body)}\r\n${body}\r\n`));
  return { published: s.published, stop: () => (s.stop(), socket.destroy()) };
}

const mqttString = (s) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
function mqttPacket(type, body) {
  const len = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...len]), body]);
}

/** An MQTT 3.1.1 publisher on the plain TCP port: CONNECT, then PUBLISH (QoS 0, or 1) at `rate`, PINGREQ to stay connected. */
export async function mqttPublisher({ port, topic = 'events', rate, payloadBytes, qos = 0 }) {
  const socket = await tcp(port);
  socket.on('data', () => {});
  socket.write(
    mqttPacket(0x10, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0, 30]), mqttString(`publisher-${process.pid}-${port}`)])),
  );
  const ping = setInterval(() => socket.write(Buffer.from([0xc0, 0])), 10_000);
  let packetId = 0;
  const s = schedule({ rate, payloadBytes }, (body) => {
    // QoS 1 carries a packet id (1…65535); the broker's PUBACKs are read and dropped
    const id = qos ? Buffer.from([((packetId = (packetId % 0xffff) + 1) >> 8) & 0xff, packetId & 0xff]) : Buffer.alloc(0);
    socket.write(mqttPacket(0x30 | (qos << 1), Buffer.concat([mqttString(topic), id, Buffer.from(body)])));
  });
  return { published: s.published, stop: () => (s.stop(), clearInterval(ping), socket.destroy()) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind, port, wsPort] = process.argv.slice(2);
  const rate = Number(process.env.RATE ?? 500);
  const payloadBytes = Number(process.env.PAYLOAD ?? 8192);
  const qos = Number(process.env.QOS ?? 0);
  // mosquitto: how many QoS 1 messages it queues for each client (its default, 1000, caps a persistent session's backlog)
  const config = process.env.QUEUE ? `max_queued_messages ${Number(process.env.QUEUE)}\n` : '';
  const opts = { port: port ? Number(port) : undefined, wsPort: wsPort ? Number(wsPort) : undefined, config };
  const broker = kind === 'nats' ? await startNats(opts) : kind === 'mosquitto' ? await startMosquitto(opts) : undefined;
  if (!broker) {
    console.error(
      'usage: brokers.mjs nats|mosquitto [tcpPort] [wsPort]   (RATE, PAYLOAD env; mosquitto: QOS 0|1, QUEUE max_queued_messages)',
    );
    process.exit(2);
  }
  const pub =
    kind === 'nats'
      ? await natsPublisher({ port: broker.port, rate, payloadBytes })
      : await mqttPublisher({ port: broker.port, rate, payloadBytes, qos });
  console.error(
    `${kind}: websocket ${broker.url}, TCP 127.0.0.1:${broker.port}; publishing ${rate}/s of ${payloadBytes} B on "events" (Ctrl-C stops)`,
  );
  // the broker is a child process: stop it on Ctrl-C and on kill alike, or it keeps the ports
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, async () => {
      pub.stop();
      await broker.stop();
      process.exit(0);
    });
}
