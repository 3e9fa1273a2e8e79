import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateScenario, formatValidationError } from '../../src/scenario/validate.js';
import { builtInScenarios, loadScenario, parseScenarioText } from '../../src/scenario/load.js';
import { parseThresholds, ThresholdSyntaxError } from '../../src/scenario/thresholdGrammar.js';
import { UserError } from '../../src/util/errors.js';
import { DEFAULT_HOL_RULES } from '../../src/scenario/types.js';

const base = () => JSON.parse(readFileSync(new URL('../../scenarios/slow-client.json', import.meta.url), 'utf8')) as Record<string, any>;

function firstError(raw: unknown): string {
  const { errors } = validateScenario(raw, 'scenarios/x.json');
  expect(errors.length).toBeGreaterThan(0);
  return formatValidationError('scenarios/x.json', errors[0]!);
}

describe('scenario validation names the exact path and problem', () => {
  it('accepts every built-in scenario', () => {
    expect(builtInScenarios()).toEqual(expect.arrayContaining(['slow-client', 'catch-up', 'seed', 'permissions']));
    for (const name of builtInScenarios()) expect(() => loadScenario(name)).not.toThrow();
  });

  it('a scenario without hol rules gets the defaults the verdict reads; a rule it sets wins over its default', () => {
    expect(validateScenario(base(), 'scenarios/x.json').scenario!.hol).toEqual(DEFAULT_HOL_RULES);
    const s = base();
    s.hol = { maxStall: '2s', minFreeze: '50ms' };
    expect(validateScenario(s, 'scenarios/x.json').scenario!.hol).toEqual({
      ...DEFAULT_HOL_RULES,
      maxStallUs: 2_000_000,
      minFreezeUs: 50_000,
    });
  });

  it('unknown behaviour', () => {
    const s = base();
    s.groups[1].behaviour = 'stal';
    expect(firstError(s)).toBe('scenarios/x.json: groups[1].behaviour: unknown "stal" (expected stall, rate, delay)');
  });

  it('unknown field', () => {
    const s = base();
    s.publisher.rat = 5;
    expect(firstError(s)).toBe('scenarios/x.json: publisher.rat: unknown field (expected one of rate, payloadBytes, mix, prefill)');
  });

  it('wrong type', () => {
    const s = base();
    s.groups[0].count = 'ten';
    expect(firstError(s)).toBe('scenarios/x.json: groups[0].count: expected a number, got "ten"');
  });

  it('negative rate', () => {
    const s = base();
    s.publisher.rate = -5;
    expect(firstError(s)).toBe('scenarios/x.json: publisher.rate: must be ≥ 0.1, got -5');
  });

  it('unknown group kind', () => {
    const s = base();
    s.groups[2].kind = 'sluggish';
    expect(firstError(s)).toBe('scenarios/x.json: groups[2].kind: unknown "sluggish" (expected fast, slow, catchup, churn)');
  });

  it('bad threshold string, with the column', () => {
    const s = base();
    s.thresholds = { 'latency{group:fast}': ['p(99)~50ms'] };
    expect(firstError(s)).toBe(
      'scenarios/x.json: thresholds["latency{group:fast}"][0]: "p(99)~50ms": at column 6: expected an operator (<, <=, >, >=, ==, !=)',
    );
  });

  it('negative and unparseable durations, unknown phases', () => {
    const s = base();
    s.phases[1].duration = '-3s';
    expect(firstError(s)).toBe(
      'scenarios/x.json: phases[1].duration: expected a duration such as 250ms, 10s, 1.5m, 40us or a number of seconds, got "-3s"',
    );
    const t = base();
    t.groups[1].phases = ['stres'];
    expect(firstError(t)).toBe('scenarios/x.json: groups[1].phases[0]: unknown phase "stres" (expected warmup, baseline, stress)');
  });

  it('reports invalid JSON, and every error of a file at once, one a line with its path', () => {
    expect(() => parseScenarioText('{"name": ', 'scenarios/y.json')).toThrow(UserError);
    expect(() => parseScenarioText('{"name": ', 'scenarios/y.json')).toThrow(/^scenarios\/y\.json: not valid JSON/);
    const s = base();
    s.publisher.rate = 'fast';
    s.groups[0].kind = 'quick';
    s.phases[2] = { name: 'stress', durration: '12s' };
    expect(() => parseScenarioText(JSON.stringify(s), 'scenarios/z.json')).toThrow(
      [
        'scenarios/z.json: 3 errors',
        '  publisher.rate: expected a number, got "fast"',
        '  phases[2].durration: unknown field (did you mean "duration"? expected one of name, duration, role)',
        '  groups[0].kind: unknown "quick" (expected fast, slow, catchup, churn)',
      ].join('\n'),
    );
    // one error stays one line, as before
    expect(() => parseScenarioText(JSON.stringify({ ...base(), grace: 'soon' }), 'scenarios/z.json')).toThrow(
      /^scenarios\/z\.json: grace: expected a duration such as [^\n]*$/,
    );
  });

  it('a mistyped field gets a "did you mean", and the required field it meant is not reported missing too', () => {
    const s = base();
    s.publisher = { rtae: 5 };
    const { errors } = validateScenario(s, 'x.json');
    expect(errors).toEqual([
      { path: 'publisher.rtae', message: 'unknown field (did you mean "rate"? expected one of rate, payloadBytes, mix, prefill)' },
    ]);
    // nothing near enough: no guess, and the missing required field is reported on its own
    s.publisher = { speed: 5 };
    expect(validateScenario(s, 'x.json').errors).toEqual([
      { path: 'publisher.speed', message: 'unknown field (expected one of rate, payloadBytes, mix, prefill)' },
      { path: 'publisher.rate', message: 'required field is missing' },
    ]);
    // a field that is present is never the guess for another
    const t = base();
    t.groups[0].counts = 3;
    expect(firstError(t)).toBe(
      'scenarios/x.json: groups[0].counts: unknown field (expected one of name, kind, count, phases, eventTypes, behaviour, bytesPerSecond, delayMs, backlog, connectsPerSecond)',
    );
  });

  it('a threshold naming a group or phase the scenario lacks is an error with what exists', () => {
    const s = base();
    s.thresholds = { 'latency{group:fsat,phase:stress}': ['p(99)<50ms'] };
    expect(firstError(s)).toBe(
      'scenarios/x.json: thresholds["latency{group:fsat,phase:stress}"]: no group "fsat" in this scenario (did you mean "fast"? groups: fast, stalled, trickle)',
    );
    s.thresholds = { 'latency{group:fast,phase:overload}': ['p(99)<50ms'] };
    expect(firstError(s)).toBe(
      'scenarios/x.json: thresholds["latency{group:fast,phase:overload}"]: no phase "overload" in this scenario (phases: warmup, baseline, stress)',
    );
    s.thresholds = { 'latency{group:stalled,phase:stress}': ['p(99)<50ms'] };
    expect(validateScenario(s, 'x.json').errors).toEqual([]);
  });

  it('CLI overrides go through the same validator, named by their flag', () => {
    const text = JSON.stringify(base());
    expect(() => parseScenarioText(text, 's.json', { rate: 0.01 })).toThrow(/^--rate 0\.01: must be ≥ 0\.1, got 0\.01$/);
    expect(parseScenarioText(text, 's.json', { rate: 0.1 }).publisher.rate).toBe(0.1);
    expect(() => parseScenarioText(text, 's.json', { clients: { fast: 100_001 } })).toThrow(
      /^--clients fast=100001: must be ≤ 100000, got 100001$/,
    );
    expect(parseScenarioText(text, 's.json', { clients: { fast: 100_000 } }).groups[0]!.count).toBe(100_000);
    expect(() => parseScenarioText(text, 's.json', { clients: { fsat: 3 } })).toThrow(/no group "fsat" in s\.json \(did you mean "fast"\?/);
    expect(() => parseScenarioText(text, 's.json', { payloadBytes: 9 << 20 })).toThrow(
      /^--payload 9437184: must be between 0 and 8388608 bytes/,
    );
  });
});

describe('threshold grammar', () => {
  it('parses tags, percentiles and units into base units', () => {
    const [t] = parseThresholds('latency{group:fast,phase:stress}', ['p(99.9) < 50ms']);
    expect(t).toMatchObject({
      key: { metric: 'latency', tags: { group: 'fast', phase: 'stress' } },
      percentile: 99.9,
      operator: '<',
      bound: 50_000,
    });
    expect(parseThresholds('generator', ['bound==false'])[0]!.bound).toBe(0);
    expect(parseThresholds('missing{group:fast}', ['count==0'])[0]!.bound).toBe(0);
  });

  it('rejects what would silently mean something else', () => {
    expect(() => parseThresholds('latency', ['p(99)<50'])).toThrow(/is a duration: give a unit/);
    expect(() => parseThresholds('missing', ['count<5ms'])).toThrow(/not a duration/);
    expect(() => parseThresholds('latncy', ['p(99)<5ms'])).toThrow(/unknown metric "latncy"/);
    expect(() => parseThresholds('latency{grp:fast}', ['p(99)<5ms'])).toThrow(/unknown tag "grp"/);
    expect(() => parseThresholds('hol', ['p(99)<2'])).toThrow(ThresholdSyntaxError);
  });
});
