// Finds a scenario (a path, or a built-in name from scenarios/), validates it and applies CLI overrides.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scenariosDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';
import { formatValidationError, validateScenario, type ValidationError } from './validate.js';
import type { Scenario, ServerMode } from './types.js';
import { closest } from './closest.js';
import { SCHEMA_FILE } from './schema.js';
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
    .filter((f) => f.endsWith('.json') && f !== SCHEMA_FILE)
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

/**
 * Parses and validates a scenario file's text, with the CLI's overrides (`--rate`, `--clients`, …)
 * written into it first so the one validator checks them too; every error at once, one a line, a
 * flag's error naming the flag.
 */
export function parseScenarioText(text: string, source: string, overrides: ScenarioOverrides = {}): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const flagAt = writeOverrides(raw, overrides, source);
  const { scenario, errors } = validateScenario(raw, source);
  if (!scenario) {
    const line = (e: ValidationError): string =>
      flagAt.has(e.path) ? `${flagAt.get(e.path)}: ${e.message}` : `${e.path || '(top level)'}: ${e.message}`;
    if (errors.length === 1) {
      const e = errors[0]!;
      throw new UserError(flagAt.has(e.path) ? line(e) : formatValidationError(source, e));
    }
    throw new UserError(`${source}: ${errors.length} errors\n${errors.map((e) => `  ${line(e)}`).join('\n')}`);
  }
  return applyOverrides(scenario, { durationUs: overrides.durationUs, outDir: overrides.outDir });
}

/** Writes the overrides the validator checks into the raw file; returns the flag behind each path. */
function writeOverrides(raw: unknown, o: ScenarioOverrides, source: string): Map<string, string> {
  const flagAt = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return flagAt;
  const top = raw as Record<string, unknown>;
  const publisher = isObject(top.publisher) ? top.publisher : undefined;
  if (o.rate !== undefined && publisher) {
    publisher.rate = o.rate;
    flagAt.set('publisher.rate', `--rate ${o.rate}`);
  }
  if (o.payloadBytes !== undefined && publisher) {
    publisher.payloadBytes = o.payloadBytes;
    flagAt.set('publisher.payloadBytes', `--payload ${o.payloadBytes}`);
  }
  if (o.mode !== undefined) {
    const target = isObject(top.target) ? top.target : ((top.target = {}) as Record<string, unknown>);
    if (target.url !== undefined) throw new UserError('--mode: only applies to an embedded target');
    const embedded = isObject(target.embedded) ? target.embedded : ((target.embedded = {}) as Record<string, unknown>);
    embedded.mode = o.mode;
    flagAt.set('target.embedded.mode', `--mode ${o.mode}`);
  }
  const groups = Array.isArray(top.groups) ? top.groups : [];
  for (const [name, count] of Object.entries(o.clients ?? {})) {
    const i = groups.findIndex((g) => isObject(g) && g.name === name);
    if (i < 0) {
      const names = groups.map((g) => (isObject(g) ? String(g.name) : '?'));
      const guess = closest(name, names);
      throw new UserError(
        `--clients ${name}=${count}: no group "${name}" in ${source} (${guess ? `did you mean "${guess}"? ` : ''}groups: ${names.join(', ')})`,
      );
    }
    (groups[i] as Record<string, unknown>).count = count;
    flagAt.set(`groups[${i}].count`, `--clients ${name}=${count}`);
  }
  return flagAt;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadScenario(nameOrPath: string, overrides: ScenarioOverrides = {}): Scenario {
  const { path, source } = resolveScenarioPath(nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${source}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseScenarioText(text, source, overrides);
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
    // the bounds are the scenario file's (publisher.rate), checked by the validator
    const r = flags.rate.trim() === '' ? NaN : Number(flags.rate);
    if (!Number.isFinite(r)) throw new UserError(`--rate: expected events per second, got "${flags.rate}"`);
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
