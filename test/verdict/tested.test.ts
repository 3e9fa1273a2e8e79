// Tested, or not a none: whether something slow pressed on the server early enough in stress to
// watch what followed, and the sentence that says so (or says what would have tested it).
import { describe, expect, it } from 'vitest';
import { testedBy } from '../../src/verdict/tested.js';
import type { GroupResult, PushbackRecord, RunRecord } from '../../src/record/schema.js';
import { verdictRecord, type VerdictSpec } from '../support/verdictRecord.js';

// baseline 1 s → 9 s after t0, stress 9 s → 19 s (or as long as `stressSeconds`)
const START = 9_000_000;
const END = 19_000_000;
const SUSTAIN = 3_000_000;
const seconds = (n: number): number[][] => Array.from({ length: n }, () => [2_000]);
const run = (spec: Partial<VerdictSpec> = {}, stressSeconds = 10): RunRecord =>
  verdictRecord({ baseline: seconds(8), stress: seconds(stressSeconds), ...spec });
const pushback = (o: Partial<PushbackRecord>): PushbackRecord => ({
  reachedAtUs: START + 500_000,
  how: 'server-queue',
  owedBytes: 8 << 20,
  rxMaxBytes: 1 << 20,
  serverTxMaxBytes: 2 << 20,
  heldMaxBytes: 5 << 20,
  ...o,
});
const pushedAt = (reachedAtUs: number | null, o: Partial<PushbackRecord> = {}): RunRecord =>
  run({ pushback: pushback({ reachedAtUs, ...o }) });

/** A group of `kind` connected in stress (and only there), beside the fast one. */
function group(rec: RunRecord, kind: GroupResult['kind'], name: string, o: Partial<GroupResult> = {}): GroupResult {
  const fast = rec.groups[0]!;
  const g: GroupResult = {
    name,
    kind,
    clients: 2,
    phases: {
      warmup: { ...fast.phases.warmup!, clients: 0 },
      baseline: { ...fast.phases.baseline!, clients: 0 },
      stress: { ...fast.phases.stress!, clients: 2 },
    },
    clientResults: [],
    ...o,
  };
  rec.groups.push(g);
  return g;
}

describe('a slow reader that pushed back', () => {
  it('early enough: tested, and the detail says when and how', () => {
    const how: [PushbackRecord['how'], string][] = [
      ['server-queue', "the server's send queue full, more held by the server"],
      ['estimated', "its receive queue full and more owed than the server's kernel holds"],
      ['closed', 'the server closed it'],
      ['unknown', 'how unknown'],
    ];
    for (const [h, words] of how)
      expect(testedBy(pushedAt(START + 2_000_000, { how: h }), SUSTAIN)).toEqual({
        tested: true,
        detail: `stalled #10 pushed back 2.00s into stress (${words})`,
      });
    // a record from a newer evbench, with a way this one does not know: shown as it is
    const newer = pushedAt(START + 2_000_000, { how: 'elsewhere' as PushbackRecord['how'] });
    expect(testedBy(newer, SUSTAIN).detail).toBe('stalled #10 pushed back 2.00s into stress (elsewhere)');
  });

  it('at least hol.sustain before stress ended: at it is tested, a microsecond later is not', () => {
    expect(testedBy(pushedAt(END - SUSTAIN), SUSTAIN)).toEqual({
      tested: true,
      detail: "stalled #10 pushed back 7.00s into stress (the server's send queue full, more held by the server)",
    });
    expect(testedBy(pushedAt(END - SUSTAIN + 1), SUSTAIN)).toEqual({
      tested: false,
      detail: 'stalled #10 pushed back only 3.00s before stress ended',
    });
  });

  it('in a stress shorter than twice hol.sustain, half of it before the end', () => {
    const short = (at: number) => testedBy(run({ pushback: pushback({ reachedAtUs: at }) }, 4), SUSTAIN);
    expect(short(START + 2_000_000).tested).toBe(true);
    expect(short(START + 2_000_001)).toEqual({ tested: false, detail: 'stalled #10 pushed back only 2.00s before stress ended' });
  });

  it('before stress began it counts from the start of stress; after it ended, it came too late', () => {
    expect(testedBy(pushedAt(START - 1_000_000), SUSTAIN).detail).toMatch(/^stalled #10 pushed back 0µs into stress/);
    expect(testedBy(pushedAt(END + 1_000_000), SUSTAIN)).toEqual({
      tested: false,
      detail: 'stalled #10 pushed back only 0µs before stress ended',
    });
  });

  it("stress in two phases: the window runs from the first one's start to the last one's end", () => {
    const rec = pushedAt(START + 6_500_000);
    rec.phases = [
      ...rec.phases.filter((p) => p.role !== 'stress'),
      { name: 'stress2', role: 'stress', startUs: START + 5_000_000, durationUs: 5_000_000 },
      { name: 'stress', role: 'stress', startUs: START, durationUs: 5_000_000 },
    ];
    expect(testedBy(rec, SUSTAIN)).toEqual({
      tested: true,
      detail: "stalled #10 pushed back 6.50s into stress (the server's send queue full, more held by the server)",
    });
  });

  it('the first three of many, and how many more', () => {
    const many = (n: number) => {
      const rec = pushedAt(START + 1_000_000);
      const stalled = rec.groups[1]!;
      stalled.clientResults = Array.from({ length: n }, (_, i) => ({ ...stalled.clientResults[0]!, id: 10 + i }));
      return testedBy(rec, SUSTAIN).detail;
    };
    const one = (id: number) => `stalled #${id} pushed back 1.00s into stress (the server's send queue full, more held by the server)`;
    expect(many(3)).toBe([one(10), one(11), one(12)].join('; '));
    expect(many(5)).toBe(`${[one(10), one(11), one(12)].join('; ')}; and 2 more`);
  });
});

describe('a slow reader that never pushed back', () => {
  it('the server never felt it: what the kernels hold, and the stress phase that would test it', () => {
    const r = testedBy(pushedAt(null, { owedBytes: 400_000, rxMaxBytes: 300_000, serverTxMaxBytes: 100_000 }), SUSTAIN);
    expect(r).toEqual({
      tested: false,
      detail:
        "stalled #10 was owed 390.6KiB, but the kernels between it and the server hold ≈ 646.6KiB (its receive queue held up to 293KiB, the server's send queue up to 97.7KiB): " +
        "the server never felt it — at this stream's 39.1KiB/s a stress phase of ≥ 19.55s, or a higher rate × payload, would test it",
    });
  });

  it("the server's end not visible: its kernel is assumed to hold tcp_wmem's maximum", () => {
    const r = testedBy(pushedAt(null, { how: 'estimated', owedBytes: 10 << 20, rxMaxBytes: 768 << 10, serverTxMaxBytes: null }), SUSTAIN);
    expect(r.detail).toBe(
      "stalled #10 was owed 10MiB, but the kernels between it and the server hold ≈ 5MiB (its receive queue held up to 768KiB, the server's send queue (not visible: ≤ 4MiB assumed)): " +
        "the server never felt it — at this stream's 1MiB/s a stress phase of ≥ 8.00s, or a higher rate × payload, would test it",
    );
  });

  it('nothing owed, or no stress time to owe it in: the stream carried nothing to it', () => {
    expect(testedBy(pushedAt(null, { owedBytes: 0 }), SUSTAIN).detail).toMatch(
      /: the server never felt it — the stream carried nothing to it$/,
    );
    const instant = pushedAt(null);
    instant.phases = instant.phases.map((p) => (p.role === 'stress' ? { ...p, durationUs: 0 } : p));
    expect(testedBy(instant, SUSTAIN).detail).toMatch(/: the server never felt it — the stream carried nothing to it$/);
  });

  it('backpressure that could not be measured says so', () => {
    expect(testedBy(pushedAt(null, { how: 'unknown' }), SUSTAIN)).toEqual({
      tested: false,
      detail: 'stalled #10: backpressure could not be measured (no fast reader of its stream beside it, or no /proc/net/tcp)',
    });
  });

  it('a record from before pushback was measured: not known (null), unless something else was in stress', () => {
    expect(testedBy(run({ pushback: null }), SUSTAIN)).toEqual({
      tested: null,
      detail: 'whether the slow clients pushed back was not measured (the record carries no pushback figures)',
    });
    const withCatchup = run({ pushback: null });
    group(withCatchup, 'catchup', 'replayer', {
      replay: { expected: 100, received: 0, missing: 100, duplicates: 0, outOfOrder: 0, ratePerSec: 0, timeToLiveUsMax: null },
    });
    expect(testedBy(withCatchup, SUSTAIN)).toEqual({
      tested: false,
      detail: 'replayer: no catch-up client connected during stress, so no replay pressed on it',
    });
  });
});

describe('catch-up and churn clients', () => {
  const replay = (expected: number, received: number) => ({
    expected,
    received,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    ratePerSec: 0,
    timeToLiveUsMax: null,
  });
  /** A catch-up group connected `stressConnects` times in stress, replayed `r`. */
  const catchup = (r?: ReturnType<typeof replay>, stressConnects = 2) => {
    const rec = run({ slowInStress: false });
    const g = group(rec, 'catchup', 'replayer', r ? { replay: r } : {});
    g.phases.stress = { ...g.phases.stress!, connectUs: { ...g.phases.stress!.connectUs, count: stressConnects } };
    return testedBy(rec, SUSTAIN);
  };

  it('a backlog the server replayed to clients that joined in stress tested it; none replayed, nothing to replay, or no join in stress did not', () => {
    expect(catchup(replay(1_000, 1_000))).toEqual({
      tested: true,
      detail: 'replayer connected 2 times in stress and was replayed 1000 of 1000 backlogged events',
    });
    expect(catchup(replay(1_000, 0))).toEqual({ tested: false, detail: 'replayer: no backlog was replayed (0 of 1000)' });
    expect(catchup(replay(0, 5))).toEqual({ tested: false, detail: 'replayer: no backlog was replayed (5 of 0)' });
    expect(catchup()).toEqual({ tested: false, detail: 'replayer: no backlog was replayed (no replay)' });
    expect(catchup(replay(1_000, 1_000), 0)).toEqual({
      tested: false,
      detail: 'replayer: no catch-up client connected during stress, so no replay pressed on it',
    });
  });

  it('a churn of connects in stress tested it; connects only outside stress, or none, did not', () => {
    const churn = (connects: number[]) => {
      const rec = run({ slowInStress: false });
      const g = group(rec, 'churn', 'churner');
      const names = Object.keys(g.phases);
      connects.forEach((count, i) => {
        const p = g.phases[names[i]!]!;
        g.phases[names[i]!] = { ...p, connectUs: { ...p.connectUs, count } };
      });
      return testedBy(rec, SUSTAIN);
    };
    expect(churn([0, 3, 4])).toEqual({ tested: true, detail: 'churner connected 4 times in stress' });
    expect(churn([0, 3, 0])).toEqual({ tested: false, detail: 'churner: no connection was made during stress' });
    expect(churn([0, 0, 0])).toEqual({ tested: false, detail: 'churner: no connection was made during stress' });
  });

  it('one group that tested the server is enough; those that did not are not listed then', () => {
    const rec = pushedAt(START + 1_000_000);
    group(rec, 'catchup', 'replayer', { replay: replay(1_000, 0) });
    expect(testedBy(rec, SUSTAIN)).toEqual({
      tested: true,
      detail: "stalled #10 pushed back 1.00s into stress (the server's send queue full, more held by the server)",
    });
  });
});

describe('nothing that could have tested the server', () => {
  it('no slow, catch-up or churn group in stress, or one that left before stress: not tested', () => {
    const nothing = { tested: false, detail: 'nothing in stress could block: no slow, catch-up or churn clients' };
    expect(testedBy(run({ slowInStress: false }), SUSTAIN)).toEqual(nothing);
    const left = pushedAt(START + 1_000_000);
    left.groups[1]!.phases.stress = { ...left.groups[1]!.phases.stress!, clients: 0 };
    expect(testedBy(left, SUSTAIN)).toEqual(nothing);
  });

  it('no stress phase at all: not known', () => {
    const rec = pushedAt(START + 1_000_000);
    rec.phases = rec.phases.filter((p) => p.role !== 'stress');
    expect(testedBy(rec, SUSTAIN)).toEqual({ tested: null, detail: 'no stress phase' });
  });
});
