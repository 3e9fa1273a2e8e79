// `evbench serve` as a process: bad flags exit 2 with one line naming the flag; --json prints the
// URL line spawnServe reads; SIGTERM shuts down cleanly (exit 0).
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import { TestClient, cleanup, waitUntil } from '../support/referenceServer.js';
import { metric } from '../support/serverMetric.js';

const started: ServeProcess[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(started.splice(0).map((p) => p.stop(1000)));
});

async function failingServe(args: string[]): Promise<{ message: string; stderr: string[] }> {
  const stderr: string[] = [];
  const error = await spawnServe({ args, onStderr: (line) => stderr.push(line) }).then(
    (p) => {
      started.push(p);
      throw new Error(`evbench serve ${args.join(' ')} started instead of failing`);
    },
    (err: Error) => err,
  );
  return { message: error.message, stderr };
}

describe('evbench serve (CLI)', () => {
  it('--bogus exits 2 with one line naming the flag', async () => {
    const { message, stderr } = await failingServe(['--bogus']);
    expect(message).toMatch(/exited \(2\)/);
    expect(stderr.filter((l) => l.includes('--bogus'))).toHaveLength(1);
    expect(stderr[0]).toMatch(/unknown option '--bogus'/);
  });

  it.each([
    [['--mode', 'nope'], /^evbench: --mode: expected isolated or legacy, got "nope"$/],
    [['--overflow', 'maybe'], /^evbench: --overflow: /],
    [['--queue-bytes', 'lots'], /^evbench: --queue-bytes: /],
    [['--users', '-3'], /^evbench: --users: /],
    [['--max-frame-bytes', 'huge'], /^evbench: --max-frame-bytes: /],
    [['--max-frame-bytes', '10'], /^evbench: --max-frame-bytes: expected an integer from 1024/],
    [['--max-subscriptions', '0'], /^evbench: --max-subscriptions: /],
    [['--max-filters', 'x'], /^evbench: --max-filters: /],
    [['--max-connections', '-1'], /^evbench: --max-connections: /],
    [['--max-message-rate', '1.5'], /^evbench: --max-message-rate: /],
    [['--message-burst', '0'], /^evbench: --message-burst: /],
    [['--keepalive-interval', 'soon'], /^evbench: --keepalive-interval: expected a duration/],
    [['--handshake-timeout', '0'], /^evbench: --handshake-timeout: /],
    [['--allow-origin', 'example.com'], /^evbench: --allow-origin: /],
    [['--metrics-token', ''], /^evbench: --metrics-token: /],
    [['--max-subscriber-frame-bytes', '10'], /^evbench: --max-subscriber-frame-bytes: expected an integer from 1024/],
    [['--max-byte-rate', 'fast'], /^evbench: --max-byte-rate: /],
    [['--message-timeout', 'soon'], /^evbench: --message-timeout: expected a duration/],
    [['--max-filters-per-token', '0'], /^evbench: --max-filters-per-token: /],
    [['--max-filters-total', 'many'], /^evbench: --max-filters-total: /],
    [['--max-filters-per-token', '300000'], /^evbench: --max-filters-per-token: 300000 is over --max-filters-total 200000$/],
    [['--max-connections-per-address', '0'], /^evbench: --max-connections-per-address: /],
    [
      ['--max-connections', '10', '--max-connections-per-address', '11'],
      /^evbench: --max-connections-per-address: expected an integer from 1 to 10/,
    ],
    [['--max-filters-per-address', 'many'], /^evbench: --max-filters-per-address: /],
  ])('%j exits 2 with one line naming the flag', async (args, line) => {
    const { message, stderr } = await failingServe(args);
    expect(message).toMatch(/exited \(2\)/);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(line);
  });

  it('spawnServe starts it (JSON line with url and metrics), it serves, and SIGTERM stops it with exit 0', async () => {
    const stderr: string[] = [];
    const serve = await spawnServe({ args: ['--mode', 'legacy', '--publisher-token', 'p'], onStderr: (l) => stderr.push(l) });
    started.push(serve);
    expect(serve.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/websocket$/);
    expect(serve.metricsUrl).toBe(serve.url.replace('ws://', 'http://').replace('/websocket', '/metrics'));
    expect(stderr[0]).toBe(`evbench serve (legacy) listening on ${serve.url}`);
    expect((await fetch(serve.metricsUrl)).status).toBe(200);
    expect(await metric(serve.metricsUrl, 'evbench_server_limit', { limit: 'max_connections_per_address' })).toBe(2500);
    const client = await TestClient.open(serve.url);
    await client.subscribe();
    const pub = await TestClient.open(serve.url, 'p');
    await pub.publish([{ event_type: 'update' }]);
    await waitUntil(() => client.events.length === 1, 'an event through the child server');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    await waitUntil(() => client.closeCode !== undefined, 'the client to be closed');
    expect(client.closeCode).toBe(1001);
  });
});
