// The parts of `--server-cmd` that need no run: which targets count as this machine, the port a URL
// means, the one word of a command a record keeps, whether a port accepts connections, a log's tail.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { acceptsTcp, commandName, hostPort, isLoopbackUrl, logTail } from '../../src/runner/serverCommand.js';
import { tempDir } from '../support/tempDir.js';

describe('isLoopbackUrl', () => {
  it.each(['ws://127.0.0.1:9001/', 'ws://localhost:9001/x', 'ws://[::1]:9001/', 'http://127.0.0.2:80/', 'ws://LOCALHOST/'])(
    '%s: this machine',
    (url) => expect(isLoopbackUrl(url)).toBe(true),
  );
  it.each([
    'ws://192.0.2.1:9001/',
    'ws://example.com/',
    'ws://localhost.example.com/',
    'ws://127.0.0.1.nip.io/',
    'ws://[::2]/',
    'not a url',
  ])('%s: not this machine', (url) => expect(isLoopbackUrl(url)).toBe(false));
});

describe('hostPort', () => {
  it('the port given, or the scheme’s', () => {
    expect(hostPort('ws://127.0.0.1:9001/x')).toEqual({ host: '127.0.0.1', port: 9001 });
    expect(hostPort('ws://[::1]:7/')).toEqual({ host: '::1', port: 7 });
    expect(hostPort('ws://localhost/')).toEqual({ host: 'localhost', port: 80 });
    expect(hostPort('wss://localhost/')).toEqual({ host: 'localhost', port: 443 });
  });
});

describe('commandName', () => {
  it.each([
    ['node server.js --port 9001', 'node'],
    ['/usr/local/bin/my-server --token s3cr3t', 'my-server'],
    ['API_KEY=s3cr3t PORT=9001 exec ./bin/server', 'server'],
    ['cd examples && exec node foreign-servers.mjs bounded 9001', 'node'],
    ['ulimit -n 4096; nohup ./srv > out.log 2>&1', 'srv'],
    ['sleep 120 & exec node hoarder.mjs 9001', 'node'],
    ['echo "cannot bind" >&2; exit 7', 'echo'],
    ['./server', 'server'],
    ['   ', 'sh'],
  ])('%s → %s', (command, name) => {
    expect(commandName(command)).toBe(name);
  });

  it('keeps no argument and no assignment', () => {
    const name = commandName('DB_PASSWORD=hunter22 node server.js --secret hunter22');
    expect(name).toBe('node');
  });
});

describe('acceptsTcp', () => {
  it('true while something listens, false once it stopped', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    expect(await acceptsTcp('127.0.0.1', port)).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await acceptsTcp('127.0.0.1', port)).toBe(false);
  });
});

describe('logTail', () => {
  it('the last lines, blank ones skipped; nothing for a missing file', () => {
    const file = join(tempDir('logtail'), 'server.log');
    writeFileSync(file, `${'x'.repeat(10_000)}\none\n\ntwo\nthree\nfour\nfive\nsix\n`);
    expect(logTail(file)).toBe('two | three | four | five | six');
    expect(logTail(file, 2)).toBe('five | six');
    expect(logTail(join(file, 'nope'))).toBe('');
  });
});
