// A runner no target can take down: against each fault of test/runner/hostileServer.ts the run
// finishes on time, writes its record, stays within a memory bound, records the failure on the
// client (not the run) and gives the verdict that applies — never a crash or a hang.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, startCli } from '../support/cli.js';
import { FAULTS, hostileServer, type Fault } from './hostileServer.js';
import type { ClientRecord, RunRecord } from '../../src/record/schema.js';

afterAll(killAll);
const tmp = mkdtempSync(join(tmpdir(), 'evbench-hostile-'));

/** Peak RSS the runner process may reach (all its client threads included): a healthy run of this scenario peaks near 115 MiB; before the frame limits a 255 MiB frame took it to 295 MiB within one second. */
const MEMORY_BOUND_MIB = 250;
/** warmup + baseline + stress + grace = 3 s; startup and teardown get the rest. */
const ON_TIME_MS = 20_000;

const scenarioPath = join(tmp, 'hostile.json');
writeFileSync(
  scenarioPath,
  JSON.stringify({
    name: 'hostile',
    target: { embedded: {} },
    publisher: { rate: 200, payloadBytes: 64 },
    groups: [{ name: 'fast', kind: 'fast', count: 2 }],
    phases: [
      { name: 'warmup', duration: '500ms' },
      { name: 'baseline', duration: '1s' },
      { name: 'stress', duration: '1s' },
    ],
    grace: '500ms',
  }),
);

/** What each fault must leave on the fast clients' records, and the verdicts that apply. */
const expectations: Record<Fault, { client: (c: ClientRecord) => void; verdicts: string[] }> = {
  'max-size-frame': {
    client: (c) => (expect(c.closedByServer).toBe(1009), expect(c.frameFaults).toEqual({ message_too_large: 1 })),
    verdicts: ['disconnect'],
  },
  'endless-fragments': {
    client: (c) => (expect(c.closedByServer).toBe(1009), expect(c.frameFaults).toEqual({ message_too_large: 1 })),
    verdicts: ['disconnect'],
  },
  'invalid-utf8': {
    client: (c) => (expect(c.closedByServer).toBe(1007), expect(c.frameFaults).toEqual({ invalid_utf8: 1 })),
    verdicts: ['disconnect'],
  },
  compressed: {
    client: (c) => (expect(c.closedByServer).toBe(1002), expect(c.frameFaults).toEqual({ reserved_bits: 1 })),
    verdicts: ['disconnect'],
  },
  'ping-flood': { client: (c) => expect(c.frameFaults?.pings_unanswered).toBeGreaterThan(0), verdicts: ['hol', 'disconnect'] },
  'close-never-completed': {
    client: (c) => (expect(c.closedByServer).toBe(1001), expect(c.closeReason).toBe('bye')),
    verdicts: ['disconnect'],
  },
  'bad-close-code': { client: (c) => (expect(c.closedByServer).toBe(2000), expect(c.closeReason).toBe('odd!')), verdicts: ['disconnect'] },
  'no-handshake': {
    client: (c) => (expect(c.refused).toBe('connect'), expect(c.closeReason).toBe('no answer to the websocket handshake')),
    verdicts: ['disconnect'],
  },
  'reset-mid-frame': {
    client: (c) => (expect(c.closedByServer).toBe(1006), expect(c.closeReason).toMatch(/ECONNRESET|connection lost/)),
    verdicts: ['disconnect'],
  },
  // a server-emitted stream: ids nobody received are unknown, so the stall and staleness rules carry it
  silence: { client: (c) => (expect(c.closedByServer).toBeNull(), expect(c.frameFaults).toBeUndefined()), verdicts: ['hol'] },
};

/** Peak RSS of a process (VmHWM), read until it exits. */
function watchPeak(pid: number): { stop: () => number } {
  let peakKiB = 0;
  const read = (): void => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // gone
    }
  };
  const timer = setInterval(read, 20);
  return { stop: () => (clearInterval(timer), read(), peakKiB / 1024) };
}

describe.concurrent('the runner against a hostile target', () => {
  it.each(FAULTS)('%s: on time, record written, failure on the client, bounded memory', async (fault) => {
    const server = await hostileServer(fault, { rate: 200, faultAfterMs: 1800 });
    try {
      const out = join(tmp, fault);
      const started = Date.now();
      const run = startCli(
        [
          'run',
          scenarioPath,
          '--target',
          server.url,
          '--adapter',
          'generic',
          '--publish',
          'server',
          '--id-field',
          'id',
          '--time-field',
          'ts',
          '--time-unit',
          'ms',
          '--fail-on-hol',
          '--out',
          out,
          '--json',
        ],
        30_000,
      );
      const peak = watchPeak(run.child.pid!);
      const r = await run.done;
      const peakMiB = peak.stop();
      const tookMs = Date.now() - started;
      expect(r.signal, r.stderr).toBeNull();
      expect([1, 4], r.stderr).toContain(r.code); // --fail-on-hol: disconnect or hol, or not a result; never a crash (2, 3, or a signal)
      const rec = JSON.parse(r.stdout) as RunRecord;
      console.info(rec.hol.summary);
      const fast = rec.groups.find((g) => g.name === 'fast')!;
      console.info(
        `hostile ${fault}: verdict ${rec.hol.verdict}, ${tookMs} ms, peak RSS ${peakMiB.toFixed(0)} MiB, client 0 ${JSON.stringify({ closedByServer: fast.clientResults[0]!.closedByServer, closeReason: fast.clientResults[0]!.closeReason, refused: fast.clientResults[0]!.refused, frameFaults: fast.clientResults[0]!.frameFaults })}`,
      );
      expect(tookMs).toBeLessThan(ON_TIME_MS);
      expect(peakMiB).toBeLessThan(MEMORY_BOUND_MIB);
      expect(rec.partial ?? false, 'the run itself did not fail').toBe(false);
      expect(server.faulted()).toBeGreaterThan(0);
      for (const c of fast.clientResults) expectations[fault].client(c);
      expect([...expectations[fault].verdicts, 'invalid'], rec.hol.summary).toContain(rec.hol.verdict);
    } finally {
      await server.close();
    }
  });
});
