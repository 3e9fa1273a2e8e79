// `--dashboard` and `--dashboard-linger` on bad input: one clear line and exit 2, before any run starts.
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../support/cli.js';

afterAll(killAll);

describe('--dashboard flags', () => {
  it('refuses a port out of range and a linger that is not a duration', async () => {
    const port = await runCli(['run', 'slow-client', '--dashboard', '70000'], 30_000);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('evbench: --dashboard: expected a port from 0 to 65535, got "70000"\n');
    const linger = await runCli(['demo', '--dashboard', '--dashboard-linger', 'soon'], 30_000);
    expect(linger.code).toBe(2);
    expect(linger.stderr).toMatch(/^evbench: --dashboard-linger: expected a duration such as .*, got "soon"\n$/);
  });

  it('says so when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = await runCli(['run', 'slow-client', '--dashboard', String(port)], 30_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^evbench: --dashboard: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });
});
