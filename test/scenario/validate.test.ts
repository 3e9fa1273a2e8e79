import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateScenario, formatValidationError } from '../../src/scenario/validate.js';
import { builtInScenarios, loadScenario, parseScenarioText } from '../../src/scenario/load.js';
import { parseThresholds, ThresholdSyntaxError } from '../../src/scenario/thresholdGrammar.js';
import { UserError } from '../../src/util/errors.js';

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

  it('reports invalid JSON and the count of further errors as one line', () => {
    expect(() => parseScenarioText('{"name": ', 'scenarios/y.json')).toThrow(UserError);
    expect(() => parseScenarioText('{"name": ', 'scenarios/y.json')).toThrow(/^scenarios\/y\.json: not valid JSON/);
    const s = base();
    s.publisher.rate = 'fast';
    s.groups[0].kind = 'quick';
    try {
      parseScenarioText(JSON.stringify(s), 'scenarios/z.json');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('scenarios/z.json: publisher.rate: expected a number, got "fast" (and 1 more: groups[0].kind)');
      expect((err as Error).message).not.toContain('\n');
    }
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
