// Finds a scenario (a path, or a built-in name from scenarios/), validates it and applies CLI overrides.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scenariosDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';
import { formatValidationError, validateScenario } from './validate.js';
import type { Scenario, ServerMode } from './types.js';
import { parseBytes, parseDurationUs, SIZE_FORMS } from '../util/units.js';

export interface ScenarioOverrides {
  rate?: number;
  payloadBytes?: number;
  /** group name → client count */
  clients?: Record<string, number>;
  mode?: ServerMode;
  /** Total duration: phases are rescaled proportionally. */
  durationUs?: number;
  outDir?: string;
}

export function builtInScenarios(): string[] {
  try {
    return (existsSync(scenariosDir) ? readdirNames(scenariosDir) : []).sort();
  } catch {
    return [];
  }
}

function readdirNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}

export function resolveScenarioPath(nameOrPath: string): { path: string; source: string } {
  if (existsSync(nameOrPath) && nameOrPath.endsWith('.json')) return { path: nameOrPath, source: nameOrPath };
  const builtIn = join(scenariosDir, `${nameOrPath}.json`);
  if (/^[A-Za-z0-9_-]+$/.test(nameOrPath) && existsSync(builtIn)) {
    return { path: builtIn, source: relative(process.cwd(), builtIn) || builtIn };
  }
  if (existsSync(nameOrPath)) return { path: nameOrPath, source: nameOrPath };
  throw new UserError(`scenario "${nameOrPath}": no such file, and not a built-in scenario (built-in: ${builtInScenarios().join(', ')})`);
}

export function parseScenarioText(text: string, source: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const { scenario, errors } = validateScenario(raw, source);
  if (!scenario) {
    const more =
      errors.length > 1
        ? ` (and ${errors.length - 1} more: ${errors
            .slice(1, 4)
            .map((e) => e.path || '(top level)')
            .join(', ')}${errors.length > 4 ? ', …' : ''})`
        : '';
    throw new UserError(`${formatValidationError(source, errors[0]!)}${more}`);
  }
  return scenario;
}

export function loadScenario(nameOrPath: string, overrides: ScenarioOverrides = {}): Scenario {
  const { path, source } = resolveScenarioPath(nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${source}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return applyOverrides(parseScenarioText(text, source), overrides);
}

/** The scenario as one variant runs it: the variant's server options applied, its name recorded. */
export function scenarioForVariant(scenario: Scenario, variantName: string): Scenario {
  const v = scenario.variants.find((x) => x.name === variantName);
  if (!v)
    throw new UserError(
      `${scenario.source}: no variant "${variantName}" (variants: ${scenario.variants.map((x) => x.name).join(', ') || 'none'})`,
    );
  if (scenario.target.kind !== 'embedded') throw new UserError(`${scenario.source}: variants need an embedded target`);
  const s = structuredClone(scenario);
  s.target = { ...(s.target as typeof scenario.target & { kind: 'embedded' }), ...stripUndefined(v.overrides) };
  s.variants = [];
  s.name = `${scenario.name}/${v.name}`;
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, val]) => val !== undefined)) as Partial<T>;
}

export function applyOverrides(scenario: Scenario, o: ScenarioOverrides): Scenario {
  const s: Scenario = structuredClone(scenario);
  if (o.rate !== undefined) s.publisher.rate = o.rate;
  if (o.payloadBytes !== undefined) s.publisher.payloadBytes = o.payloadBytes;
  if (o.mode !== undefined) {
    if (s.target.kind !== 'embedded') throw new UserError('--mode: only applies to an embedded target');
    s.target.mode = o.mode;
  }
  for (const [name, count] of Object.entries(o.clients ?? {})) {
    const g = s.groups.find((x) => x.name === name);
    if (!g)
      throw new UserError(
        `--clients ${name}=${count}: no group "${name}" in ${s.source} (groups: ${s.groups.map((x) => x.name).join(', ')})`,
      );
    g.count = count;
  }
  if (o.durationUs !== undefined) {
    const total = s.phases.reduce((a, p) => a + p.durationUs, 0);
    for (const p of s.phases) p.durationUs = Math.max(100_000, Math.round((p.durationUs * o.durationUs) / total));
  }
  if (o.outDir !== undefined) s.outputs.dir = o.outDir;
  return s;
}

/** Parses CLI flag values into overrides, naming the flag on error. */
export function parseOverrideFlags(flags: {
  rate?: string;
  payload?: string;
  clients?: string[];
  mode?: string;
  duration?: string;
  out?: string;
}): ScenarioOverrides {
  const o: ScenarioOverrides = {};
  if (flags.rate !== undefined) {
    const r = Number(flags.rate);
    if (!Number.isFinite(r) || r <= 0) throw new UserError(`--rate: expected events per second > 0, got "${flags.rate}"`);
    o.rate = r;
  }
  if (flags.payload !== undefined) {
    const b = parseBytes(flags.payload);
    if (!Number.isFinite(b) || b > 8 << 20)
      throw new UserError(`--payload: expected a size up to 8MiB such as ${SIZE_FORMS}, got "${flags.payload}"`);
    o.payloadBytes = b;
  }
  for (const c of flags.clients ?? []) {
    const m = /^([A-Za-z][\w-]*)=(\d+)$/.exec(c);
    if (!m) throw new UserError(`--clients: expected group=N, got "${c}"`);
    (o.clients ??= {})[m[1]!] = Number(m[2]);
  }
  if (flags.mode !== undefined) {
    if (flags.mode !== 'isolated' && flags.mode !== 'legacy')
      throw new UserError(`--mode: expected isolated or legacy, got "${flags.mode}"`);
    o.mode = flags.mode;
  }
  if (flags.duration !== undefined) {
    const us = parseDurationUs(flags.duration);
    if (!Number.isFinite(us) || us < 1_000_000)
      throw new UserError(`--duration: expected a duration of at least 1s such as 30s or 1.5m, got "${flags.duration}"`);
    o.durationUs = us;
  }
  if (flags.out !== undefined) o.outDir = flags.out;
  return o;
}
