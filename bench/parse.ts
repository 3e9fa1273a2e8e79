// parse: what reading one event frame costs on the client's hot path — evbench's raw-frame scan
// (id, intended time, send time found in the bytes) against a full JSON.parse of the same frames.
import { isoFromUs, usFromIso } from '../src/clock.js';
import { newScannedEvent, scanEvent } from '../src/measurement/frameScan.js';
import { alternate, ratio, type BenchContext, type BenchResult, type RoundContender } from './rounds.js';

/** Realistic v0 event frames as evbench serve writes them (200-byte payload, advancing times). */
function frames(count: number): Buffer[] {
  const pad = 'x'.repeat(200);
  const t0 = 1_795_000_000_000_000;
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      `{"msgID":${i + 1},"id":${100_000 + i},"uuid":"zzzzz-57u5n-${String(100_000 + i).padStart(15, '0')}","object_uuid":"evbench-${i}",` +
        `"object_owner_uuid":"group-all","object_kind":"evbench#event","event_type":"update","event_at":"${isoFromUs(t0 + i * 997)}",` +
        `"properties":{"sent_us":${t0 + i * 997 + 50},"pad":"${pad}"}}`,
    ),
  );
}

function timePerFrame(input: Buffer[], passes: number, read: (b: Buffer) => number): { nsPerFrame: number; framesPerSec: number } {
  let check = 0;
  const start = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const b of input) check += read(b);
  const ns = Number(process.hrtime.bigint() - start) / (passes * input.length);
  if (!(check > 0)) throw new Error('parse bench: nothing was read');
  return { nsPerFrame: Math.round(ns), framesPerSec: Math.round(1e9 / ns) };
}

export async function benchParse(ctx: BenchContext): Promise<BenchResult> {
  const input = frames(1000);
  const passes = ctx.quick ? 20 : 500;
  const out = newScannedEvent();
  const contenders: RoundContender[] = [
    {
      name: 'scanEvent (raw frame)',
      measure: async () => timePerFrame(input, passes, (b) => (scanEvent(b, out) ? out.id + out.intendedUs : 0)),
    },
    {
      name: 'JSON.parse',
      measure: async () =>
        timePerFrame(input, passes, (b) => {
          const m = JSON.parse(b.toString()) as { id: number; event_at: string; properties: { sent_us: number } };
          return m.id + usFromIso(m.event_at) + m.properties.sent_us;
        }),
    },
  ];
  const results = await alternate(contenders, ctx.rounds, ctx.log);
  return {
    name: 'parse',
    what: 'CPU cost of reading id, intended time and send time from one event frame, in one thread',
    contenders: results,
    ratios: { 'JSON.parse ÷ scanEvent ns per frame': ratio(results[1]!.median.nsPerFrame!, results[0]!.median.nsPerFrame!) },
    params: { frames: input.length, passes, payloadBytes: 200 },
    notes: ['both read the same three fields; scanEvent falls back to searching when fields come in another order'],
  };
}
