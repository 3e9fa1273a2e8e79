// Scenarios the benchmarks hand to the runner (runScenario) against a server they started
// themselves: built as scenario JSON and passed through the same validator as a scenario file.
import { validateScenario } from '../src/scenario/validate.js';
import type { Scenario } from '../src/scenario/types.js';
import type { RunRecord, PhaseResult } from '../src/record/schema.js';
import { PUBLISHER_TOKEN } from './contenders.js';

export interface UrlScenarioSpec {
  name: string;
  url: string;
  rate: number;
  payloadBytes?: number;
  users?: number;
  groups: Record<string, unknown>[];
  phases: { name: string; duration: string }[];
}

export function urlScenario(spec: UrlScenarioSpec): Scenario {
  const raw = {
    name: spec.name,
    description: `evbench bench: ${spec.name}`,
    target: { url: spec.url, adapter: 'evbench', publisherToken: PUBLISHER_TOKEN, users: spec.users ?? 0 },
    publisher: { rate: spec.rate, payloadBytes: spec.payloadBytes ?? 200 },
    groups: spec.groups,
    phases: spec.phases,
  };
  const { scenario, errors } = validateScenario(raw, `bench ${spec.name}`);
  if (!scenario) throw new Error(`bench scenario ${spec.name}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return scenario;
}

/**
 * Fast clients only, at `rate` events/s of 200-byte payloads unless said: a warm-up, the measured
 * baseline, and the one-second stress phase the validator asks for (nothing changes in it).
 */
export function fastLoadScenario(o: {
  name: string;
  url: string;
  clients: number;
  rate: number;
  warmupS: number;
  baselineS: number;
  payloadBytes?: number;
}): Scenario {
  return urlScenario({
    name: o.name,
    url: o.url,
    rate: o.rate,
    payloadBytes: o.payloadBytes ?? 200,
    groups: [{ name: 'fast', kind: 'fast', count: o.clients }],
    phases: [
      { name: 'warmup', duration: `${o.warmupS}s` },
      { name: 'baseline', duration: `${o.baselineS}s` },
      { name: 'stress', duration: '1s' },
    ],
  });
}

/** A group's result in one phase (throws when the record lacks it: a bug in the benchmark). */
export function phaseOf(record: RunRecord, group: string, phase: string): PhaseResult {
  const p = record.groups.find((g) => g.name === group)?.phases[phase];
  if (!p) throw new Error(`run record has no ${group}/${phase}`);
  return p;
}
