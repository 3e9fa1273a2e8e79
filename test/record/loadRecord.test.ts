// A record read back is validated field by field: a crafted or corrupt one is one error naming the
// field; a real one, and one from an older evbench that kept secrets, is read (its secrets masked).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asRunRecord, recordBaseName } from '../../src/record/loadRecord.js';
import type { RunRecord } from '../../src/record/schema.js';

const fixture = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8'));
const load = (r: unknown): RunRecord => asRunRecord(r, 'r.json');
/** A `serverProcess` as `run --server-cmd` writes it. */
const serverProcess = (): Record<string, any> => ({
  command: 'node',
  pid: 4242,
  samples: [
    { tUs: -500_000, cpuSeconds: 0.1, cpuPct: null, rssBytes: 40 << 20, processes: 1 },
    { tUs: 500_000, cpuSeconds: 0.2, cpuPct: 10, rssBytes: 41 << 20, processes: 1 },
  ],
  peakRssBytes: 41 << 20,
  phases: [{ phase: 'baseline', cpuSeconds: 0.1, cpuPct: 10, rssStartBytes: 40 << 20, rssPeakBytes: 41 << 20, rssEndBytes: 41 << 20 }],
});

describe('asRunRecord', () => {
  it('reads the fixture record', () => {
    expect(load(fixture()).scenario.name).toBe('fixture');
  });

  it('reads a server process (run --server-cmd), unknown values null', () => {
    const r = fixture();
    r.serverProcess = serverProcess();
    r.serverProcess.phases.push({
      phase: 'stress',
      cpuSeconds: null,
      cpuPct: null,
      rssStartBytes: null,
      rssPeakBytes: null,
      rssEndBytes: null,
    });
    expect(load(r).serverProcess).toEqual(r.serverProcess);
  });

  it.each([
    [
      'shard.count a path',
      (r: any) => (r.shard = { index: 0, count: '1/../../victim-dir/package' }),
      /shard\.count: expected a whole number ≥ 1, got "1\/\.\.\/\.\.\/victim-dir\/package"/,
    ],
    ['shard.index not below count', (r: any) => (r.shard = { index: 3, count: 3 }), /shard\.index: not below shard\.count/],
    ['scenario.name a number', (r: any) => (r.scenario.name = 123), /scenario\.name: expected a string, got 123/],
    ['scenario.name empty', (r: any) => (r.scenario.name = ' '), /scenario\.name: empty/],
    ['hol.evidence null', (r: any) => (r.hol.evidence = null), /hol\.evidence: expected an array, got null/],
    ['hol.verdict unknown', (r: any) => (r.hol.verdict = 'pass'), /hol\.verdict: expected one of/],
    [
      'a counter a string',
      (r: any) => (r.groups[0].phases.stress.missing = '5'),
      /groups\[0\]\.phases\.stress\.missing: expected a number ≥ 0, got "5"/,
    ],
    [
      'a negative counter',
      (r: any) => (r.groups[1].clientResults[0].delivered = -1),
      /groups\[1\]\.clientResults\[0\]\.delivered: expected a number ≥ 0/,
    ],
    ['a group kind', (r: any) => (r.groups[0].kind = 'evil'), /groups\[0\]\.kind: expected one of fast, slow, catchup, churn/],
    [
      'warnings huge',
      (r: any) => (r.warnings = new Array(20_000).fill('w')),
      /warnings: 20000 entries, more than the 10000 any run writes/,
    ],
    ['a warning an object', (r: any) => (r.warnings = [{}]), /warnings\[0\]: expected a string, got an object/],
    ['a name too long', (r: any) => (r.groups[0].name = 'x'.repeat(5000)), /groups\[0\]\.name: 5000 characters, more than 200/],
    ['durationUs negative', (r: any) => (r.durationUs = -5), /durationUs: expected a number ≥ 0/],
    ['phases an object', (r: any) => (r.phases = {}), /phases: expected an array, got an object/],
    ['a threshold operator', (r: any) => (r.thresholds[0].operator = '<<'), /thresholds\[0\]\.operator: expected one of/],
    [
      "a slow client's pushback time a string",
      (r: any) =>
        (r.groups[1].clientResults[0].pushback = {
          reachedAtUs: '5',
          how: 'closed',
          owedBytes: 0,
          rxMaxBytes: 0,
          serverTxMaxBytes: null,
          heldMaxBytes: 0,
        }),
      /groups\[1\]\.clientResults\[0\]\.pushback\.reachedAtUs: expected a number/,
    ],
    [
      'an age series not a string',
      (r: any) => (r.groups[0].ages = { tickUs: 10_000, clients: 1, together: 7, any: '' }),
      /groups\[0\]\.ages\.together: expected a string/,
    ],
    [
      'an age series at another tick spacing',
      (r: any) => (r.groups[0].ages = { tickUs: 5_000, clients: 1, together: '', any: '' }),
      /groups\[0\]\.ages\.tickUs: expected 10000 \(the tick spacing evbench writes and reads\), got 5000/,
    ],
    ['an evidence row judged "no"', (r: any) => (r.hol.evidence[0].judged = 'no'), /hol\.evidence\[0\]\.judged: expected/],
    ['startAt not an instant', (r: any) => (r.startAt = 'tomorrow'), /startAt: not an ISO-8601 UTC instant/],
    ['startAt without its zone', (r: any) => (r.startAt = '2026-12-05T10:00:00'), /startAt: not an ISO-8601 UTC instant/],
    ['startAt a number', (r: any) => (r.startAt = 1796464800), /startAt: expected a string/],
    ['serverProcess a string', (r: any) => (r.serverProcess = 'node'), /serverProcess: expected an object/],
    [
      'a server process sample with negative memory',
      (r: any) => ((r.serverProcess = serverProcess()), (r.serverProcess.samples[1].rssBytes = -1)),
      /serverProcess\.samples\[1\]\.rssBytes: expected a number ≥ 0/,
    ],
    [
      'a server process phase CPU as text',
      (r: any) => ((r.serverProcess = serverProcess()), (r.serverProcess.phases[0].cpuSeconds = '1s')),
      /serverProcess\.phases\[0\]\.cpuSeconds: expected a number ≥ 0 or null, got "1s"/,
    ],
    [
      'server process samples beyond any run',
      (r: any) => ((r.serverProcess = serverProcess()), (r.serverProcess.samples = new Array(200_000).fill(r.serverProcess.samples[0]))),
      /serverProcess\.samples: 200000 entries, more than the 100000 any run writes/,
    ],
    [
      'a server process command too long',
      (r: any) => ((r.serverProcess = serverProcess()), (r.serverProcess.command = 'x'.repeat(300))),
      /serverProcess\.command: 300 characters/,
    ],
  ])('%s: refused, naming the field', (_name, spoil, message) => {
    const r = fixture();
    spoil(r);
    expect(() => load(r)).toThrow(message);
    expect(() => load(r)).toThrow(/^r\.json: corrupt run record: /);
  });

  it('reads the instant a run was told to start at (--start-at), as the runner writes it', () => {
    const r = fixture();
    r.startAt = '2026-12-05T10:00:00.000Z';
    expect(load(r).startAt).toBe('2026-12-05T10:00:00.000Z');
  });

  it('masks the secrets an older record kept, and keeps what merge and compare read', () => {
    const r = fixture();
    r.target.url = 'ws://u:pw-old-secret@127.0.0.1:1/websocket?api_token=tok-old-secret&x=1';
    r.scenario.spec.target = {
      kind: 'url',
      url: r.target.url,
      adapter: 'evbench',
      users: 0,
      token: 'tok-old-secret',
      headers: [['X-Key', 'hdr-old']],
    };
    const rec = load(r);
    const text = JSON.stringify(rec);
    expect(text).not.toMatch(/old-secret|hdr-old/);
    expect(rec.target.url).toBe('ws://u:***@127.0.0.1:1/websocket?api_token=***&x=1');
    expect(rec.scenario.spec.thresholds).toEqual(fixture().scenario.spec.thresholds);
  });
});

describe('recordBaseName', () => {
  const named = (patch: (r: any) => void): string => {
    const r = fixture();
    patch(r);
    return recordBaseName(r as RunRecord);
  };
  it('two runs that differ by mode, variant or adapter never share a name', () => {
    const isolated = named((r) => (r.target = { kind: 'embedded', mode: 'isolated', url: '', adapter: 'evbench' }));
    const legacy = named((r) => (r.target = { kind: 'embedded', mode: 'legacy', url: '', adapter: 'evbench' }));
    expect([isolated, legacy]).toEqual(['fixture.isolated', 'fixture.legacy']);
    expect(named((r) => (r.scenario.name = 'fixture/legacy'))).toBe('fixture.legacy');
    expect(named((r) => (r.scenario.name = 'fixture/small'))).toBe('fixture.small.legacy');
    expect(named((r) => (r.target = { kind: 'url', url: '', adapter: 'generic' }))).toBe('fixture.generic');
    expect(named((r) => (r.shard = { index: 1, count: 3 }))).toBe('fixture.legacy.shard-1-of-3');
  });
  it('is one safe file name, whatever the record says', () => {
    const name = named((r) => {
      r.scenario.name = '../../etc/x y';
      r.target.mode = '../../m';
      r.shard = { index: 0, count: '1/../../victim-dir/package' };
    });
    expect(name).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(name).not.toContain('/');
    expect(name.split('.').every((p) => p !== '' && p !== '..')).toBe(true);
  });
});
