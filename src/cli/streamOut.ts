// The streams of `--out prometheus-rw=URL` and `--out ndjson=FILE` for one command: fed the live
// record as it forms (every LIVE_PERIOD_S seconds: the seconds completed since the last batch, each
// phase's totals so far, the verdict as it stands) and the final record, whose remaining seconds and
// verdict are sent before the command ends, within a bound.
import type { RunRecord } from '../record/schema.js';
import type { LiveUpdate } from '../runner/run.js';
import { ndjsonLines } from '../reports/streamNdjson.js';
import { recordSeconds, streamBatch, type StreamBatch } from '../reports/streamRows.js';
import { createNewFile, type NewFile } from '../util/atomicWrite.js';
import { redactStrings, rememberSecrets } from '../util/redact.js';
import { terminalSafe } from '../util/untrusted.js';
import { packageVersion } from './conventions.js';
import type { StreamTarget } from './outTargets.js';
import { RemoteWriteSink } from './remoteWriteSink.js';

/** The bearer token for `prometheus-rw=`, read from the environment only (never a flag: a command line is visible to every user). */
export const PROMETHEUS_TOKEN_ENV = 'EVBENCH_PROMETHEUS_TOKEN';
/** How long the end of a run waits for the last batches to reach a remote-write endpoint. */
export const FLUSH_BOUND_MS = 5000;

let prometheusToken: string | undefined;

/**
 * Takes EVBENCH_PROMETHEUS_TOKEN out of the environment (before the run starts children, which must
 * not inherit it) and keeps it for the remote-write sink.
 */
export function takePrometheusToken(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[PROMETHEUS_TOKEN_ENV];
  delete env[PROMETHEUS_TOKEN_ENV];
  if (value === undefined || value.trim() === '') return;
  prometheusToken = value.trim();
  rememberSecrets([prometheusToken]);
}

export interface StreamHooks {
  onLive(name: string, u: LiveUpdate): void;
  /** The final record's remaining seconds and verdict; resolves once sent (or the bound passed). */
  onFinal(name: string, record: RunRecord): Promise<void>;
}

export interface StreamSession extends StreamHooks {
  /** Flushes and closes every stream; says one line per remote-write endpoint and per problem. */
  close(say: (line: string) => void): Promise<void>;
}

interface Sink {
  send(batch: StreamBatch): void;
}

/** Opens every stream (an NDJSON file is created now: an existing one is refused before the run). */
export function openStreams(targets: readonly StreamTarget[]): StreamSession | undefined {
  if (targets.length === 0) return undefined;
  const files: NewFile[] = [];
  const remotes: RemoteWriteSink[] = [];
  const problems: string[] = [];
  try {
    for (const t of targets) {
      if (t.kind === 'ndjson') files.push(createNewFile(t.file));
      else remotes.push(new RemoteWriteSink(t.url, { token: prometheusToken, version: packageVersion() }));
    }
  } catch (err) {
    for (const f of files) f.close();
    throw err;
  }
  const sinks: Sink[] = [
    ...files.map((f) => ({
      send(batch: StreamBatch): void {
        try {
          f.append(ndjsonLines(batch));
        } catch (err) {
          // a full disk must not end the run: the record still gets written
          if (problems.length < 5) problems.push(`ndjson: ${(err as Error).message}`);
          f.close();
        }
      },
    })),
    ...remotes,
  ];
  /** By run name: the first second not sent yet. */
  const next = new Map<string, number>();
  /** By run name: the time of the last batch, so every series' samples go forward in time. */
  const lastAt = new Map<string, number>();
  /** By run name: what the live records (and the workers' snapshots behind them) cost the runner's threads, µs of CPU. */
  const costUs = new Map<string, number>();
  const emit = (name: string, record: RunRecord, owed: LiveUpdate['owed'], final: boolean): void => {
    const from = next.get(name) ?? 0;
    const to = Math.max(from, recordSeconds(record, final));
    const atMs = Math.max(Date.now(), (lastAt.get(name) ?? 0) + 1);
    const batch = redactStrings(streamBatch(record, { from, to, owed, final, atMs }));
    next.set(name, to);
    lastAt.set(name, atMs);
    for (const s of sinks) s.send(batch);
  };
  return {
    onLive(name, u) {
      costUs.set(name, u.costUs);
      emit(name, u.record, u.owed, false);
    },
    async onFinal(name, record) {
      emit(name, record, [], true);
      await Promise.all(remotes.map((r) => r.flush(FLUSH_BOUND_MS)));
    },
    async close(say) {
      await Promise.all(remotes.map((r) => r.flush(FLUSH_BOUND_MS)));
      for (const f of files) f.close();
      for (const r of remotes) say(r.summary());
      for (const [name, us] of costUs) say(`streams: the live record of ${name} cost the runner ${(us / 1000).toFixed(1)} ms of CPU`);
      for (const p of problems) say(terminalSafe(p));
    },
  };
}
