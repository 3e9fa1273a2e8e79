// catch-up: replay rate of a large backlog (1,000,000 events by default) to one client from the
// memory log, and whether the replay delays live delivery: the fast group's p99 while the replay
// runs ÷ its baseline p99. Three contenders, alternating: the runner (fast clients + one catch-up
// client with full accounting: the replay's correctness and the runner's replay rate); the runner's
// fast clients with the C catch-up client of bench/limit/subscribers.c taking the replay (the
// target's figure: pinned, the generator has one core, and a Node catch-up client would take it from
// the fast clients, so the ratio would measure the generator); and a lean catch-up client alone
// (the server's replay rate without the generator's accounting cost).
import WebSocket from 'ws';
import { runScenario } from '../src/runner/run.js';
import { PUBLISHER_TOKEN, startEvbench, type ServerProcess } from './contenders.js';
import { buildCSubscribers, startCFleet } from './cSubscribers.js';
import { openPublisher, publishFrame, type Fleet } from './leanLoad.js';
import { alternate, ratio, target, type BenchContext, type BenchResult, type Sample } from './rounds.js';
import { phaseOf, urlScenario } from './scenario.js';

/** Generous bytes per logged 200-byte-payload event (the log counted ~1,060 with its overhead when this was written). */
const LOG_BYTES_PER_EVENT = 2048;

/** Publishes `count` events as fast as the server acks them (batches of 5,000, 4 in flight). */
export async function prefill(url: string, count: number, payloadBytes: number, timeoutMs = 120_000): Promise<number> {
  const pub = await openPublisher(url, PUBLISHER_TOKEN);
  const batch = 5000;
  const frame = publishFrame(batch, payloadBytes);
  let sent = 0;
  let acked = 0;
  let head = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`prefill of ${count} events not acked within ${timeoutMs} ms`)), timeoutMs);
      const send = (): void => {
        const n = Math.min(batch, count - sent);
        pub.send(n === batch ? frame : publishFrame(n, payloadBytes));
        sent += n;
      };
      pub.on('message', (data: Buffer) => {
        const ack = JSON.parse(data.toString()) as { status: number; last_id?: number; message?: string };
        if (ack.status !== 200) return reject(new Error(`prefill refused: ${ack.status} ${ack.message ?? ''}`));
        head = ack.last_id ?? head;
        acked++;
        if (sent < count) send();
        else if (acked * batch >= count || acked === Math.ceil(count / batch)) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (let i = 0; i < 4 && sent < count; i++) send();
    });
  } finally {
    pub.terminate();
  }
  return head;
}

/** The log's head as a subscribe ack reports it. */
async function headOf(url: string, timeoutMs = 10_000): Promise<number> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subscribe ack from ${url} within ${timeoutMs} ms`)), timeoutMs);
      ws.once('error', reject);
      ws.once('open', () => ws.send('{"method":"subscribe","filters":[["event_type","in",["none"]]]}'));
      ws.on('message', (data: Buffer) => {
        const ack = JSON.parse(data.toString()) as { status: number; last_log_id?: number };
        if (typeof ack.last_log_id === 'number') {
          clearTimeout(timer);
          resolve(ack.last_log_id);
        }
      });
    });
  } finally {
    ws.terminate();
  }
}

/**
 * The runner's fast clients (full accounting) while the C catch-up client takes the backlog: it
 * starts at the stress phase, and "during replay" is every second of the fast group's interval
 * log that overlaps the time until it has received the backlog.
 */
async function fastBesideLeanReplay(
  server: ServerProcess,
  backlog: number,
  quick: boolean,
  round: number,
  binary: string,
): Promise<Sample> {
  const replayS = quick ? 2 : 10;
  const scenario = urlScenario({
    name: `catchup-lean-r${round}`,
    url: server.url,
    rate: 1000,
    payloadBytes: 200,
    groups: [{ name: 'fast', kind: 'fast', count: 10 }],
    phases: [
      { name: 'warmup', duration: quick ? '1s' : '2s' },
      { name: 'baseline', duration: `${quick ? 1 : 5}s` },
      { name: 'stress', duration: `${replayS}s` },
    ],
  });
  let started = false;
  let startUs = NaN;
  let endUs = NaN;
  let consumer: Fleet | undefined;
  let failure: Error | undefined;
  let poll: NodeJS.Timeout | undefined;
  const replay = async (atUs: number): Promise<void> => {
    const head = await headOf(server.url);
    const t0 = performance.now();
    startUs = atUs;
    consumer = await startCFleet(binary, server.url, 1, 30_000, { method: 'subscribe', last_log_id: Math.max(0, head - backlog) });
    poll = setInterval(() => {
      if (consumer!.received() >= backlog && Number.isNaN(endUs)) {
        endUs = startUs + (performance.now() - t0) * 1000;
        clearInterval(poll);
      }
    }, 10);
  };
  let record;
  try {
    record = await runScenario(scenario, {
      workers: 1,
      onProgress: (p) => {
        if (p.phase !== 'stress' || started) return;
        started = true;
        replay(p.elapsedUs).catch((err: Error) => (failure = err));
      },
    });
  } finally {
    clearInterval(poll);
    await consumer?.stop();
  }
  if (failure) throw failure;
  const base = phaseOf(record, 'fast', 'baseline');
  const stress = phaseOf(record, 'fast', 'stress');
  const until = Number.isFinite(endUs) ? endUs : startUs + replayS * 1e6;
  const during = record.intervals.filter((iv) => iv.group === 'fast' && iv.startUs < until && iv.startUs + 1e6 > startUs);
  const duringP99 = during.length ? Math.max(...during.map((iv) => iv.p99Us)) : NaN;
  const bound = record.generator.bound;
  return {
    replaySeconds: Number.isFinite(endUs) ? (endUs - startUs) / 1e6 : NaN,
    replayPerSec: Number.isFinite(endUs) ? backlog / ((endUs - startUs) / 1e6) : NaN,
    // a round whose generator was bound measured the generator: left out of the medians
    fastP99BaselineMs: bound ? NaN : base.latencyUs.p99 / 1000,
    fastP99DuringReplayMs: bound ? NaN : duringP99 / 1000,
    fastP99DuringReplayMsEvenIfBound: duringP99 / 1000,
    fastP99StressMs: stress.latencyUs.p99 / 1000,
    fastMissing: stress.missing,
    generatorBound: bound ? 1 : 0,
  };
}

/** One client subscribes with last_log_id = head − backlog and counts event frames until it has them all. */
async function leanReplay(url: string, backlog: number, timeoutMs: number): Promise<Sample> {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let received = 0;
  let t0 = 0;
  try {
    const seconds = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lean replay: ${received} of ${backlog} events within ${timeoutMs} ms`)), timeoutMs);
      let first = true;
      ws.on('message', (data: Buffer) => {
        if (data[2] === 0x6d) {
          if (++received >= backlog) {
            clearTimeout(timer);
            resolve((performance.now() - t0) / 1000);
          }
          return;
        }
        const status = JSON.parse(data.toString()) as { status: number; last_log_id?: number };
        if (first && status.status === 200 && typeof status.last_log_id === 'number') {
          first = false;
          // the ack carries the head: ask for the backlog below it on the same connection
          t0 = performance.now();
          ws.send(
            JSON.stringify({
              method: 'subscribe',
              last_log_id: Math.max(0, status.last_log_id - backlog),
              filters: [['event_type', 'in', ['update']]],
            }),
          );
        }
      });
      ws.send('{"method":"subscribe","filters":[["event_type","in",["none"]]]}');
    });
    return { replayPerSec: received / seconds, seconds };
  } finally {
    ws.terminate();
  }
}

async function runnerReplay(server: ServerProcess, backlog: number, quick: boolean, round: number, pinned: boolean): Promise<Sample> {
  const replayS = quick ? 2 : 10;
  const scenario = urlScenario({
    name: `catchup-r${round}`,
    url: server.url,
    rate: 1000,
    payloadBytes: 200,
    groups: [
      { name: 'fast', kind: 'fast', count: 10 },
      { name: 'replay', kind: 'catchup', count: 1, backlog, phases: ['stress'] },
    ],
    phases: [
      { name: 'warmup', duration: quick ? '1s' : '2s' },
      { name: 'baseline', duration: `${quick ? 1 : 5}s` },
      { name: 'stress', duration: `${replayS}s` },
    ],
  });
  // pinned: the fast clients' thread and the catch-up client's thread share the generator's core
  const record = await runScenario(scenario, pinned ? { workers: 1 } : {});
  const base = phaseOf(record, 'fast', 'baseline');
  const stress = phaseOf(record, 'fast', 'stress');
  const replay = record.groups.find((g) => g.name === 'replay')?.replay;
  const timeToLiveS = (replay?.timeToLiveUsMax ?? NaN) / 1e6;
  // the fast group's p99 over the seconds the replay ran (interval log), not the whole phase
  const stressStartUs = record.phases.find((p) => p.name === 'stress')!.startUs;
  // a replay that never went live within stress disturbed all of it
  const liveS = Number.isFinite(timeToLiveS) ? Math.max(1, Math.ceil(timeToLiveS)) : replayS;
  const during = record.intervals.filter(
    (iv) => iv.group === 'fast' && iv.startUs >= stressStartUs && iv.startUs < stressStartUs + liveS * 1e6,
  );
  const duringP99 = during.length ? Math.max(...during.map((iv) => iv.p99Us)) : NaN;
  return {
    replayPerSec: replay?.ratePerSec ?? NaN,
    replayReceived: replay?.received ?? NaN,
    replayMissing: replay?.missing ?? NaN,
    timeToLiveS,
    fastP99BaselineMs: base.latencyUs.p99 / 1000,
    fastP99DuringReplayMs: duringP99 / 1000,
    fastP99StressMs: stress.latencyUs.p99 / 1000,
    holIndexDuringReplay: duringP99 / base.latencyUs.p99,
    replayWentLive: Number.isFinite(timeToLiveS) ? 1 : 0,
    fastMissing: stress.missing,
    replayThreadBound: record.generator.replayBound ? 1 : 0,
    generatorBound: record.generator.bound ? 1 : 0,
  };
}

export async function benchCatchup(ctx: BenchContext): Promise<BenchResult> {
  const backlog = ctx.quick ? 20_000 : 1_000_000;
  // the memory log is bounded in events and in bytes (--log-bytes, 256 MiB by default: ~250,000 of
  // these events): both must hold the whole backlog, or the replay ends at the byte bound
  const logEvents = backlog + 200_000;
  const server = await startEvbench('evbench isolated', [
    '--mode',
    'isolated',
    '--log-size',
    String(logEvents),
    '--log-bytes',
    String(logEvents * LOG_BYTES_PER_EVENT),
  ]);
  try {
    const t0 = performance.now();
    await prefill(server.url, backlog, 200);
    const prefillS = (performance.now() - t0) / 1000;
    ctx.log(`  prefilled ${backlog} events in ${prefillS.toFixed(1)} s (${Math.round(backlog / prefillS)} events/s)`);
    const c = buildCSubscribers();
    const LEAN_BESIDE = 'runner: 10 fast + C catch-up client';
    const results = await alternate(
      [
        { name: 'runner: 10 fast + 1 catch-up', measure: (r) => runnerReplay(server, backlog, ctx.quick, r, ctx.pinned ?? false) },
        c.binary
          ? { name: LEAN_BESIDE, measure: (r) => fastBesideLeanReplay(server, backlog, ctx.quick, r, c.binary!) }
          : { name: LEAN_BESIDE, measure: async () => ({}), skipped: c.skipped },
        { name: 'lean catch-up client alone', measure: () => leanReplay(server.url, backlog, 120_000) },
      ],
      ctx.rounds,
      ctx.log,
    );
    // the target's figure: the fast clients beside the C catch-up client (the runner's own
    // catch-up client where the C one could not be built)
    const measured = c.binary ? results[1]! : results[0]!;
    const runner = measured.median;
    const perRound = measured.samples.map((s) => ratio(s['fastP99DuringReplayMs']!, s['fastP99BaselineMs']!));
    const finite = perRound.filter(Number.isFinite);
    const bound = measured.samples.filter((s) => s['generatorBound'] === 1).length;
    return {
      name: 'catchup',
      what: `replay of a ${backlog.toLocaleString('en-US')}-event backlog (200-byte payloads) from the memory log to one client, beside 10 fast clients at 1,000 events/s`,
      contenders: results,
      ratios: {
        'fast p99 during replay ÷ baseline': ratio(runner['fastP99DuringReplayMs']!, runner['fastP99BaselineMs']!),
        'runner replay rate ÷ lean replay rate': ratio(results[0]!.median['replayPerSec']!, results[2]!.median['replayPerSec']!),
        'fast p99 during replay ÷ baseline, runner catch-up client': ratio(
          results[0]!.median['fastP99DuringReplayMs']!,
          results[0]!.median['fastP99BaselineMs']!,
        ),
      },
      targets: [
        target(
          `fast p99 during a ${backlog.toLocaleString('en-US')}-event catch-up replay ÷ fast p99 baseline`,
          ratio(runner['fastP99DuringReplayMs']!, runner['fastP99BaselineMs']!),
          '<=',
          1.5,
          '×',
          `${(runner['fastP99DuringReplayMs'] ?? NaN).toFixed(2)} ÷ ${(runner['fastP99BaselineMs'] ?? NaN).toFixed(2)} ms; round by round ` +
            (finite.length ? `${Math.min(...finite).toFixed(2)}–${Math.max(...finite).toFixed(2)}×` : '—') +
            `; generator bound (round left out) in ${bound} of ${perRound.length} rounds; ${measured.name}`,
        ),
      ],
      params: {
        backlog,
        logEvents,
        logBytes: logEvents * LOG_BYTES_PER_EVENT,
        prefillEventsPerSec: Math.round(backlog / prefillS),
        fastClients: 10,
        liveRate: 1000,
      },
      notes: ['"during replay" = the fast group\'s per-second intervals from the start of stress until the catch-up client went live'],
    };
  } finally {
    await server.stop();
  }
}
