// Turns untrusted scenario JSON into a Scenario, or errors that name the exact path and problem:
//   scenarios/x.json: groups[1].behaviour: unknown "stal" (expected stall, rate, delay)
import {
  DEFAULT_HOL_RULES,
  SLOW_BEHAVIOURS,
  type GenericOptions,
  type GroupSpec,
  type MixEntry,
  type PhaseSpec,
  type Scenario,
  type Target,
  type Variant,
} from './types.js';
import { DURATION_FORMS, parseBytes, parseDurationUs, SIZE_FORMS } from '../util/units.js';
import { SERVER_SETTINGS, type SettingRange } from '../protocol/serverSettings.js';
import { redactUrl } from '../util/redact.js';

/** A server setting's range with its default as the fallback (one table for serve and scenarios). */
const range = (r: SettingRange): { min: number; max: number; fallback: number } => ({ min: r.min, max: r.max, fallback: r.default });
const noDefault = (r: SettingRange): { min: number; max: number } => ({ min: r.min, max: r.max });
import { parseThresholdKey, parseThresholds, ThresholdSyntaxError, unknownThresholdName } from './thresholdGrammar.js';
import { unsupported } from './capabilities.js';
import * as shape from './schema.js';
import { closest } from './closest.js';
import { adapterNames, adapterSpec } from './adapters.js';

type Json = unknown;
type Obj = Record<string, Json>;

export interface ValidationError {
  path: string;
  message: string;
}

class Checker {
  readonly errors: ValidationError[] = [];
  /** Fields a mistyped one was probably meant as: reported once, with the typo, not again as missing or wrong. */
  private readonly meant = new Set<string>();

  /** Records an error; one a path (a missing field is "required field is missing", not also "got nothing"). */
  fail(path: string, message: string): undefined {
    if (!this.meant.has(path) && !this.errors.some((e) => e.path === path)) this.errors.push({ path, message });
    return undefined;
  }

  object(path: string, value: Json, allowed: readonly string[], required: readonly string[] = []): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.fail(path, `expected an object, got ${describe(value)}`);
    const obj = value as Obj;
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const guess = closest(
        k,
        allowed.filter((a) => !(a in obj)),
      );
      const hint = guess !== undefined ? `did you mean "${guess}"? ` : '';
      this.fail(join(path, k), `unknown field (${hint}expected one of ${allowed.join(', ')})`);
      if (guess !== undefined) this.meant.add(join(path, guess));
    }
    for (const k of required) if (!(k in obj)) this.fail(join(path, k), 'required field is missing');
    return obj;
  }

  string(path: string, value: Json, fallback?: string): string | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) return this.fail(path, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(path: string, value: Json, options: readonly T[], fallback?: T): T | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string') return this.fail(path, `expected one of ${options.join(', ')}, got ${describe(value)}`);
    if (!options.includes(value as T)) return this.fail(path, `unknown "${value}" (expected ${options.join(', ')})`);
    return value as T;
  }

  number(path: string, value: Json, opts: { min?: number; max?: number; integer?: boolean; fallback?: number }): number | undefined {
    if (value === undefined && opts.fallback !== undefined) return opts.fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(path, `expected a number, got ${describe(value)}`);
    if (opts.integer && !Number.isInteger(value)) return this.fail(path, `expected a whole number, got ${value}`);
    if (opts.min !== undefined && value < opts.min) return this.fail(path, `must be ≥ ${opts.min}, got ${value}`);
    if (opts.max !== undefined && value > opts.max) return this.fail(path, `must be ≤ ${opts.max}, got ${value}`);
    return value;
  }

  duration(path: string, value: Json, opts: { min: number; max: number; fallback?: number }): number | undefined {
    if (value === undefined && opts.fallback !== undefined) return opts.fallback;
    const us = parseDurationUs(value);
    if (Number.isNaN(us)) return this.fail(path, `expected a duration such as ${DURATION_FORMS}, got ${describe(value)}`);
    if (us < opts.min || us > opts.max)
      return this.fail(path, `must be between ${opts.min / 1e6}s and ${opts.max / 1e6}s, got ${describe(value)}`);
    return us;
  }

  bytes(path: string, value: Json, opts: { min: number; max: number; fallback?: number }): number | undefined {
    if (value === undefined && opts.fallback !== undefined) return opts.fallback;
    const n = parseBytes(value);
    if (Number.isNaN(n)) return this.fail(path, `expected a size such as ${SIZE_FORMS}, got ${describe(value)}`);
    if (n < opts.min || n > opts.max) return this.fail(path, `must be between ${opts.min} and ${opts.max} bytes, got ${describe(value)}`);
    return n;
  }

  array(path: string, value: Json, opts: { min?: number; max?: number } = {}): Json[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `expected an array, got ${describe(value)}`);
    if (opts.min !== undefined && value.length < opts.min) return this.fail(path, `expected at least ${opts.min} entries`);
    if (opts.max !== undefined && value.length > opts.max)
      return this.fail(path, `expected at most ${opts.max} entries, got ${value.length}`);
    return value;
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(value: Json): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const ID_PATH = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/;

/** Parses the generic adapter's `publish` setting: server | ws | http:URL. */
export function parsePublishMode(value: string): GenericOptions['publish'] | undefined {
  if (value === 'server') return { kind: 'server' };
  if (value === 'ws') return { kind: 'ws' };
  if (value.startsWith('http:')) {
    const url = value.slice('http:'.length);
    if (/^https?:\/\/[^\s/]+/.test(url)) return { kind: 'http', url };
  }
  return undefined;
}

function checkGeneric(c: Checker, raw: Json): GenericOptions | undefined {
  const g = c.object('target.generic', raw, shape.fieldsOf(shape.GENERIC), shape.requiredOf(shape.GENERIC));
  if (!g) return undefined;
  const field = (name: 'idField' | 'timeField'): string => {
    const v = c.string(`target.generic.${name}`, g[name]) ?? '';
    if (v && !ID_PATH.test(v)) c.fail(`target.generic.${name}`, `"${v}" is not a dotted JSON path such as "id" or "data.event.ts"`);
    return v;
  };
  let subscribeMessage: string | undefined;
  if (g.subscribeMessage !== undefined) {
    subscribeMessage = typeof g.subscribeMessage === 'string' ? g.subscribeMessage : JSON.stringify(g.subscribeMessage);
    try {
      JSON.parse(subscribeMessage.replaceAll('{{lastId}}', '0'));
    } catch {
      c.fail('target.generic.subscribeMessage', 'is not JSON (with {{lastId}} replaced by a number)');
    }
  }
  const publishText = c.string('target.generic.publish', g.publish, 'server') ?? 'server';
  const publish = parsePublishMode(publishText);
  if (!publish) c.fail('target.generic.publish', `unknown "${publishText}" (expected server, ws, or http:URL)`);
  return {
    subscribeMessage,
    idField: field('idField'),
    timeField: field('timeField'),
    timeUnit: c.oneOf('target.generic.timeUnit', g.timeUnit, shape.TIME_UNITS, 'ms') ?? 'ms',
    publish: publish ?? { kind: 'server' },
    topic: g.topic === undefined ? undefined : c.string('target.generic.topic', g.topic),
    qos:
      g.qos === undefined
        ? undefined
        : g.qos === 0 || g.qos === 1
          ? g.qos
          : c.fail('target.generic.qos', `expected 0 or 1, got ${describe(g.qos)}`),
    mqttVersion:
      g.mqttVersion === undefined
        ? undefined
        : g.mqttVersion === '3.1.1' || g.mqttVersion === '5' || g.mqttVersion === 5
          ? (String(g.mqttVersion) as '3.1.1' | '5')
          : c.fail('target.generic.mqttVersion', `expected "3.1.1" or "5", got ${describe(g.mqttVersion)}`),
    publishBody: g.publishBody === undefined ? undefined : c.string('target.generic.publishBody', g.publishBody),
  };
}

function checkTarget(c: Checker, raw: Json): Target | undefined {
  const t = c.object('target', raw, shape.fieldsOf(shape.TARGET));
  if (!t) return undefined;
  if (t.embedded !== undefined && t.url !== undefined) return c.fail('target', 'give either embedded or url, not both');
  if (t.url !== undefined) {
    const url = c.string('target.url', t.url);
    for (const k of ['embedded'] as const) if (t[k] !== undefined) c.fail(`target.${k}`, 'not allowed with target.url');
    const adapter = c.oneOf('target.adapter', t.adapter, adapterNames(), 'evbench') ?? 'evbench';
    const spec = adapterSpec(adapter)!;
    const overHttp = spec.url === 'http'; // their clients take http:// URLs
    if (url && !overHttp && !/^wss?:\/\/[^\s/]+/.test(url)) c.fail('target.url', `expected a ws:// or wss:// URL, got ${describe(url)}`);
    if (url && overHttp && !/^https?:\/\/[^\s/]+/.test(url))
      c.fail('target.url', `expected an http:// or https:// URL for adapter ${adapter}, got ${describe(url)}`);
    if (spec.options === 'required' && t.generic === undefined)
      c.fail('target.generic', `the ${adapter} adapter needs its options: idField, timeField, timeUnit, publish`);
    if (spec.options === 'none' && t.generic !== undefined) c.fail('target.generic', `not allowed with adapter "${adapter}"`);
    return {
      kind: 'url',
      url: url ?? '',
      adapter,
      generic:
        spec.options !== 'none' && t.generic !== undefined
          ? checkGeneric(c, t.generic)
          : spec.options === 'defaulted'
            ? { idField: 'id', timeField: 'ts', timeUnit: 'ms', publish: { kind: 'server' } }
            : undefined,
      token: t.token === undefined ? undefined : c.string('target.token', t.token),
      publisherToken: t.publisherToken === undefined ? undefined : c.string('target.publisherToken', t.publisherToken),
      metricsUrl: t.metricsUrl === undefined ? undefined : c.string('target.metricsUrl', t.metricsUrl),
      metricsToken: t.metricsToken === undefined ? undefined : c.string('target.metricsToken', t.metricsToken),
      users: c.number('target.users', t.users, { ...range(SERVER_SETTINGS.users), integer: true }) ?? 0,
    };
  }
  for (const k of ['adapter', 'token', 'publisherToken', 'metricsUrl', 'metricsToken', 'users', 'generic'] as const) {
    if (t[k] !== undefined) c.fail(`target.${k}`, 'only allowed with target.url');
  }
  const e = c.object('target.embedded', t.embedded ?? {}, shape.fieldsOf(shape.EMBEDDED));
  if (!e) return undefined;
  const store = c.string('target.embedded.store', e.store, 'memory') ?? 'memory';
  if (store !== 'memory' && !/^postgres(ql)?:\/\/./.test(store))
    c.fail('target.embedded.store', `expected memory or a postgres://user@host/db URL, got ${describe(redactUrl(store))}`);
  if (e.multi !== undefined && typeof e.multi !== 'boolean')
    c.fail('target.embedded.multi', `expected true or false, got ${describe(e.multi)}`);
  const multi = e.multi === true;
  if (multi && store === 'memory')
    c.fail('target.embedded.multi', 'several server processes need a shared store: set target.embedded.store to a postgres:// URL');
  return {
    kind: 'embedded',
    mode: c.oneOf('target.embedded.mode', e.mode, shape.MODES, 'isolated') ?? 'isolated',
    queueBytes: c.bytes('target.embedded.queueBytes', e.queueBytes, range(SERVER_SETTINGS.queueBytes)) ?? 0,
    overflow: c.oneOf('target.embedded.overflow', e.overflow, shape.OVERFLOWS, 'close') ?? 'close',
    logSize: c.number('target.embedded.logSize', e.logSize, { ...range(SERVER_SETTINGS.logSize), integer: true }) ?? 0,
    users: c.number('target.embedded.users', e.users, { ...range(SERVER_SETTINGS.users), integer: true }) ?? 0,
    groupsPerUser:
      c.number('target.embedded.groupsPerUser', e.groupsPerUser, { ...range(SERVER_SETTINGS.groupsPerUser), integer: true }) ?? 1,
    store,
    multi,
  };
}

function checkMix(c: Checker, raw: Json): MixEntry[] {
  if (raw === undefined) return [{ eventType: 'update', weight: 1, owner: 'public' }];
  const arr = c.array('publisher.mix', raw, { min: 1, max: 64 }) ?? [];
  return arr.map((m, i) => {
    const p = `publisher.mix[${i}]`;
    const o = c.object(p, m, shape.fieldsOf(shape.MIX_ENTRY), shape.requiredOf(shape.MIX_ENTRY)) ?? {};
    return {
      eventType: c.string(`${p}.eventType`, o.eventType) ?? '',
      weight: c.number(`${p}.weight`, o.weight, { ...shape.boundsOf(shape.MIX_ENTRY, 'weight'), fallback: 1 }) ?? 1,
      owner: c.oneOf(`${p}.owner`, o.owner, shape.OWNERS, 'public') ?? 'public',
    };
  });
}

function checkPhases(c: Checker, raw: Json): PhaseSpec[] {
  const arr = c.array('phases', raw, { min: 1, max: 32 }) ?? [];
  const seen = new Set<string>();
  return arr.map((p, i) => {
    const path = `phases[${i}]`;
    const o = c.object(path, p, shape.fieldsOf(shape.PHASE), shape.requiredOf(shape.PHASE)) ?? {};
    const name = c.string(`${path}.name`, o.name) ?? `phase${i}`;
    if (!NAME.test(name)) c.fail(`${path}.name`, `"${name}" is not a plain name (letters, digits, - and _)`);
    if (seen.has(name)) c.fail(`${path}.name`, `duplicate phase name "${name}"`);
    seen.add(name);
    const defaultRole = (['warmup', 'baseline', 'stress', 'recovery'] as const).find((r) => r === name) ?? 'other';
    return {
      name,
      durationUs: c.duration(`${path}.duration`, o.duration, { min: 100_000, max: 24 * 3600e6 }) ?? 0,
      role: c.oneOf(`${path}.role`, o.role, shape.ROLES, defaultRole) ?? 'other',
    };
  });
}

function checkGroups(c: Checker, raw: Json, phases: PhaseSpec[]): GroupSpec[] {
  const arr = c.array('groups', raw, { min: 1, max: 64 }) ?? [];
  const seen = new Set<string>();
  const phaseNames = phases.map((p) => p.name);
  return arr.map((g, i) => {
    const path = `groups[${i}]`;
    const o = c.object(path, g, shape.fieldsOf(shape.GROUP), shape.requiredOf(shape.GROUP)) ?? {};
    const name = c.string(`${path}.name`, o.name) ?? `group${i}`;
    if (!NAME.test(name)) c.fail(`${path}.name`, `"${name}" is not a plain name (letters, digits, - and _)`);
    if (seen.has(name)) c.fail(`${path}.name`, `duplicate group name "${name}"`);
    seen.add(name);
    const kind = c.oneOf(`${path}.kind`, o.kind, shape.KINDS);
    const group: GroupSpec = {
      name,
      kind: kind ?? 'fast',
      count: c.number(`${path}.count`, o.count, shape.boundsOf(shape.GROUP, 'count')) ?? 0,
      phases: phaseNames,
      eventTypes: [],
    };
    if (o.phases !== undefined && o.phases !== 'all') {
      const list = c.array(`${path}.phases`, o.phases, { min: 1 }) ?? [];
      const idx = list.map((p, j) => {
        const n = c.string(`${path}.phases[${j}]`, p);
        const at = n === undefined ? -1 : phaseNames.indexOf(n);
        if (n !== undefined && at < 0) c.fail(`${path}.phases[${j}]`, `unknown phase "${n}" (expected ${phaseNames.join(', ')})`);
        return at;
      });
      const sorted = [...idx].sort((a, b) => a - b);
      if (idx.every((x) => x >= 0) && sorted.some((x, j) => j > 0 && x !== sorted[j - 1]! + 1)) {
        c.fail(`${path}.phases`, 'phases must be contiguous (a client group joins once and leaves once)');
      }
      group.phases = sorted.filter((x) => x >= 0).map((x) => phaseNames[x]!);
    }
    if (o.eventTypes !== undefined) {
      const list = c.array(`${path}.eventTypes`, o.eventTypes, { min: 1, max: 64 }) ?? [];
      group.eventTypes = list.map((t, j) => c.string(`${path}.eventTypes[${j}]`, t) ?? '');
    }
    const only = (field: string, allowedFor: string): void => {
      if (o[field] !== undefined) c.fail(`${path}.${field}`, `only allowed for ${allowedFor}`);
    };
    if (kind === 'slow') {
      group.behaviour = c.oneOf(`${path}.behaviour`, o.behaviour, SLOW_BEHAVIOURS);
      if (group.behaviour === 'rate') group.bytesPerSecond = c.bytes(`${path}.bytesPerSecond`, o.bytesPerSecond, { min: 1, max: 1 << 30 });
      else only('bytesPerSecond', 'behaviour "rate"');
      if (group.behaviour === 'delay') group.delayMs = c.number(`${path}.delayMs`, o.delayMs, shape.boundsOf(shape.GROUP, 'delayMs'));
      else only('delayMs', 'behaviour "delay"');
    } else {
      only('behaviour', 'kind "slow"');
      only('bytesPerSecond', 'kind "slow"');
      only('delayMs', 'kind "slow"');
    }
    if (kind === 'catchup') group.backlog = c.number(`${path}.backlog`, o.backlog, shape.boundsOf(shape.GROUP, 'backlog'));
    else only('backlog', 'kind "catchup"');
    if (kind === 'churn')
      group.connectsPerSecond = c.number(
        `${path}.connectsPerSecond`,
        o.connectsPerSecond,
        shape.boundsOf(shape.GROUP, 'connectsPerSecond'),
      );
    else only('connectsPerSecond', 'kind "churn"');
    return group;
  });
}

/** Validates raw scenario JSON. `source` prefixes every message (a file path or `built-in NAME`). */
export function validateScenario(raw: Json, source: string): { scenario?: Scenario; errors: ValidationError[] } {
  const c = new Checker();
  const top = c.object('', raw, shape.fieldsOf(shape.SCENARIO), shape.requiredOf(shape.SCENARIO));
  if (!top) return { errors: c.errors };
  const name = c.string('name', top.name) ?? '';
  const target = checkTarget(c, top.target ?? { embedded: {} });
  const pub = c.object('publisher', top.publisher, shape.fieldsOf(shape.PUBLISHER), shape.requiredOf(shape.PUBLISHER)) ?? {};
  const publisher = {
    rate: c.number('publisher.rate', pub.rate, shape.boundsOf(shape.PUBLISHER, 'rate')) ?? 1,
    payloadBytes: c.bytes('publisher.payloadBytes', pub.payloadBytes, { min: 0, max: 8 << 20, fallback: 200 }) ?? 0,
    mix: checkMix(c, pub.mix),
    prefill: c.number('publisher.prefill', pub.prefill, { ...shape.boundsOf(shape.PUBLISHER, 'prefill'), fallback: 0 }) ?? 0,
  };
  const phases = checkPhases(c, top.phases);
  const groups = checkGroups(c, top.groups, phases);
  const holRaw = c.object('hol', top.hol ?? {}, shape.fieldsOf(shape.HOL)) ?? {};
  const D = DEFAULT_HOL_RULES;
  const hol = {
    indexLimit: c.number('hol.indexLimit', holRaw.indexLimit, { min: 1, max: 1e6, fallback: D.indexLimit }) ?? D.indexLimit,
    minDeltaUs: c.duration('hol.minDelta', holRaw.minDelta, { min: 0, max: 3600e6, fallback: D.minDeltaUs }) ?? D.minDeltaUs,
    minDeliveryRatio:
      c.number('hol.minDeliveryRatio', holRaw.minDeliveryRatio, { min: 0, max: 1, fallback: D.minDeliveryRatio }) ?? D.minDeliveryRatio,
    maxStallUs: c.duration('hol.maxStall', holRaw.maxStall, { min: 0, max: 3600e6, fallback: D.maxStallUs }) ?? D.maxStallUs,
    sustainUs: c.duration('hol.sustain', holRaw.sustain, { min: 1_000_000, max: 3600e6, fallback: D.sustainUs }) ?? D.sustainUs,
    minFreezeUs: c.duration('hol.minFreeze', holRaw.minFreeze, { min: 10_000, max: 3600e6, fallback: D.minFreezeUs }) ?? D.minFreezeUs,
  };
  const thresholds: Record<string, string[]> = {};
  if (top.thresholds !== undefined) {
    const t = c.object('thresholds', top.thresholds, Object.keys((top.thresholds as Obj) ?? {}));
    for (const [key, exprs] of Object.entries(t ?? {})) {
      const path = `thresholds["${key}"]`;
      const list = c.array(path, exprs, { min: 1 }) ?? [];
      const unknownName = thresholdNameError(key, groups, phases);
      if (unknownName) c.fail(path, unknownName);
      list.forEach((e, i) => {
        if (typeof e !== 'string') return void c.fail(`${path}[${i}]`, `expected a string, got ${describe(e)}`);
        try {
          parseThresholds(key, [e]);
        } catch (err) {
          if (err instanceof ThresholdSyntaxError) c.fail(`${path}[${i}]`, err.message);
          else throw err;
        }
      });
      thresholds[key] = list.filter((e): e is string => typeof e === 'string');
    }
  }
  const outputs = c.object('outputs', top.outputs ?? {}, shape.fieldsOf(shape.SCENARIO.properties!.outputs!)) ?? {};
  const graceUs = c.duration('grace', top.grace, { min: 0, max: 60e6, fallback: 1_000_000 }) ?? 1_000_000;

  if (groups.length > 0 && !groups.some((g) => g.kind === 'fast'))
    c.fail('groups', 'at least one group of kind "fast" is needed: HOL is judged on fast clients');
  if (phases.length > 0 && !phases.some((p) => p.role === 'baseline'))
    c.fail('phases', 'one phase needs role "baseline" (or the name baseline)');
  if (phases.length > 0 && !phases.some((p) => p.role === 'stress')) c.fail('phases', 'one phase needs role "stress" (or the name stress)');
  if (target?.kind === 'embedded' && target.store === 'memory') {
    if (groups.some((g) => g.kind === 'catchup' && (g.backlog ?? 0) > target.logSize)) {
      c.fail('groups', `a catchup backlog is larger than target.embedded.logSize (${target.logSize})`);
    }
  }

  const variants: Variant[] = [];
  if (top.variants !== undefined) {
    if (target && target.kind !== 'embedded') c.fail('variants', 'variants change the embedded server: they need target.embedded');
    const list = c.array('variants', top.variants, { min: 1, max: 16 }) ?? [];
    const seen = new Set<string>();
    list.forEach((v, i) => {
      const path = `variants[${i}]`;
      const o = c.object(path, v, shape.fieldsOf(shape.VARIANT), shape.requiredOf(shape.VARIANT)) ?? {};
      const vname = c.string(`${path}.name`, o.name) ?? `variant${i}`;
      if (!NAME.test(vname)) c.fail(`${path}.name`, `"${vname}" is not a plain name (letters, digits, - and _)`);
      if (seen.has(vname)) c.fail(`${path}.name`, `duplicate variant name "${vname}"`);
      seen.add(vname);
      const overrides: Variant['overrides'] = {};
      if (o.mode !== undefined) overrides.mode = c.oneOf(`${path}.mode`, o.mode, shape.MODES);
      if (o.queueBytes !== undefined)
        overrides.queueBytes = c.bytes(`${path}.queueBytes`, o.queueBytes, noDefault(SERVER_SETTINGS.queueBytes));
      if (o.overflow !== undefined) overrides.overflow = c.oneOf(`${path}.overflow`, o.overflow, shape.OVERFLOWS);
      if (o.users !== undefined)
        overrides.users = c.number(`${path}.users`, o.users, { ...noDefault(SERVER_SETTINGS.users), integer: true });
      if (o.groupsPerUser !== undefined)
        overrides.groupsPerUser = c.number(`${path}.groupsPerUser`, o.groupsPerUser, {
          ...noDefault(SERVER_SETTINGS.groupsPerUser),
          integer: true,
        });
      variants.push({ name: vname, overrides });
    });
  }

  if (c.errors.length > 0 || !target) return { errors: c.errors };
  const scenario: Scenario = {
    name,
    description: typeof top.description === 'string' ? top.description : '',
    source,
    target,
    publisher,
    groups,
    phases,
    hol,
    thresholds,
    outputs: { dir: c.string('outputs.dir', outputs.dir, 'reports') ?? 'reports' },
    graceUs,
    variants,
  };
  const gap = unsupported(scenario);
  if (gap) return { errors: [gap] };
  return { errors: [], scenario };
}

/** A threshold key naming a group or phase the scenario lacks (a key that does not parse is reported with its expressions). */
function thresholdNameError(key: string, groups: GroupSpec[], phases: PhaseSpec[]): string | undefined {
  try {
    return unknownThresholdName(parseThresholdKey(key), { groups: groups.map((g) => g.name), phases: phases.map((p) => p.name) });
  } catch (err) {
    if (err instanceof ThresholdSyntaxError) return undefined;
    throw err;
  }
}

export function formatValidationError(source: string, e: ValidationError): string {
  return `${source}: ${e.path || '(top level)'}: ${e.message}`;
}
