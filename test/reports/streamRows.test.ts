// What a stream batch holds: one row per group per second of the phases the group is in, each
// phase's totals as the record has them (plus what is owed and not arrived yet), the verdict.
import { describe, expect, it } from 'vitest';
import { fixtureRecord } from '../support/fixtureRecord.js';
import { recordSeconds, streamBatch } from '../../src/reports/streamRows.js';
import { ndjsonLines } from '../../src/reports/streamNdjson.js';

const record = fixtureRecord();
const AT = 1_800_000_000_000;

describe('streamBatch', () => {
  it('a final record: every second of each group in the phases it is in, in order, with the phase it started in', () => {
    const to = recordSeconds(record, true);
    expect(to).toBe(6); // warmup 1 s, baseline 2 s, stress 3 s
    const b = streamBatch(record, { from: 0, to, final: true, atMs: AT });
    const fast = b.rows.filter((r) => r.group === 'fast');
    const stalled = b.rows.filter((r) => r.group === 'stalled');
    expect(fast.map((r) => r.second)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fast.map((r) => r.phase)).toEqual(['warmup', 'baseline', 'baseline', 'stress', 'stress', 'stress']);
    expect(stalled.map((r) => r.second)).toEqual([3, 4, 5]); // it joins in stress
    for (const r of b.rows) expect(r.atMs).toBe(Math.round((record.t0Us + (r.second + 1) * 1e6) / 1000));
    expect(b.verdict).toBe(record.hol.verdict);
    expect(b.final).toBe(true);
  });

  it("a row's second is the record's interval; its totals are the record's phase counters", () => {
    const b = streamBatch(record, { from: 0, to: 6, final: true, atMs: AT });
    for (const r of b.rows) {
      const iv = record.intervals.find((x) => x.group === r.group && x.startUs === r.second * 1e6);
      expect(r.secondDelivered).toBe(iv?.delivered ?? 0);
      expect(r.secondMaxStallUs).toBe(iv?.maxStallUs ?? 0);
      if (iv && iv.histogram !== '') expect(r.latency).toEqual({ p50Us: iv.p50Us, p99Us: iv.p99Us, maxUs: iv.maxUs });
      const phase = record.groups.find((g) => g.name === r.group)!.phases[r.phase]!;
      expect([r.delivered, r.missing, r.maxStallUs]).toEqual([phase.delivered, phase.missing, phase.maxStallUs]);
    }
    expect(b.totals.map((t) => `${t.group}/${t.phase}`)).toEqual(['fast/warmup', 'fast/baseline', 'fast/stress', 'stalled/stress']);
  });

  it('owed events add to missing in their group and phase only', () => {
    const plain = streamBatch(record, { from: 0, to: 6, final: false, atMs: AT });
    const owing = streamBatch(record, { from: 0, to: 6, final: false, atMs: AT, owed: [{ group: 'stalled', phase: 'stress', count: 7 }] });
    const missing = (b: typeof plain) => Object.fromEntries(b.totals.map((t) => [`${t.group}/${t.phase}`, t.missing]));
    const before = missing(plain);
    expect(missing(owing)).toEqual({ ...before, 'stalled/stress': before['stalled/stress']! + 7 });
    expect(owing.rows.filter((r) => r.group === 'stalled').every((r) => r.missing === before['stalled/stress']! + 7)).toBe(true);
  });

  it('only the seconds asked for, and none past the last phase', () => {
    expect(streamBatch(record, { from: 2, to: 4, final: false, atMs: AT }).rows.map((r) => `${r.group}${r.second}`)).toEqual([
      'fast2',
      'fast3',
      'stalled3',
    ]);
    expect(streamBatch(record, { from: 6, to: 9, final: true, atMs: AT }).rows).toEqual([]);
  });

  it('a final record that was cut short goes as far as it ran, its last second begun included', () => {
    expect(recordSeconds({ ...record, partial: true, durationUs: 3_200_000 }, true)).toBe(4);
    expect(recordSeconds({ ...record, partial: true, durationUs: 3_000_000 }, true)).toBe(3);
  });

  it('a live record goes as far as its whole seconds; a shard is labelled', () => {
    expect(recordSeconds({ ...record, durationUs: 2_999_999 }, false)).toBe(2);
    expect(recordSeconds({ ...record, durationUs: 3_000_000 }, false)).toBe(3);
    const b = streamBatch({ ...record, shard: { index: 1, count: 3 } }, { from: 0, to: 1, final: false, atMs: AT });
    expect(b.shard).toBe('1/3');
    expect(b.rows[0]!.shard).toBe('1/3');
    expect(streamBatch(record, { from: 0, to: 1, final: false, atMs: AT }).rows[0]).not.toHaveProperty('shard');
  });
});

describe('ndjsonLines', () => {
  it('one line per row in seconds, and the verdict line only when final', () => {
    const live = streamBatch(record, { from: 0, to: 2, final: false, atMs: AT });
    const lines = ndjsonLines(live)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(live.rows.length);
    expect(lines.every((l) => l.type === 'second' && l.final === false)).toBe(true);
    const row = live.rows[1]!;
    expect(lines[1]).toMatchObject({
      group: row.group,
      phase: row.phase,
      second: row.second,
      second_delivered_events: row.secondDelivered,
      delivered_events_total: row.delivered,
      max_stall_seconds: row.secondMaxStallUs / 1e6,
    });
    if (row.latency) expect((lines[1]!.latency_seconds as { p99: number }).p99).toBe(row.latency.p99Us / 1e6);

    const final = ndjsonLines(streamBatch(record, { from: 5, to: 6, final: true, atMs: AT })).trimEnd().split('\n');
    const last = JSON.parse(final.at(-1)!) as { type: string; verdict: string; final: boolean; phases: unknown[] };
    expect(last).toMatchObject({ type: 'verdict', verdict: record.hol.verdict, final: true });
    expect(last.phases).toHaveLength(4);
  });
});
