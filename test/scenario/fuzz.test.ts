// Scenario files from the wild: whatever shape a file has, validation answers with a scenario that
// can run or with errors that name a path — it never throws, and never lets through a value that
// would make the numbers wrong (a zero rate, a negative duration, a fractional client count).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { validateScenario } from '../../src/scenario/validate.js';

const base = JSON.parse(readFileSync(new URL('../../scenarios/seed.json', import.meta.url), 'utf8')) as unknown;

/** Every path (as key lists) of a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let o: unknown = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof o !== 'object' || o === null) return copy; // an earlier mutation replaced a parent
    o = (o as Record<string | number, unknown>)[key];
  }
  if (typeof o !== 'object' || o === null) return copy;
  (o as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  return copy;
}

const nasty = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    '',
    '-3s',
    '0s',
    'NaN',
    '1e400',
    -1,
    0,
    -0.5,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    0.1,
    3.7,
    [],
    {},
    ['x'],
    { a: 1 },
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

const allPaths = paths(base);
let inputs = 0;

describe('scenario validation under fuzzing', () => {
  it('answers every mutated scenario with a runnable scenario or path-named errors', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(allPaths.length - 1), nasty), { minLength: 1, maxLength: 4 }), (mutations) => {
        inputs++;
        let raw = base;
        for (const [i, value] of mutations) raw = setAt(raw, allPaths[i]!, value);
        const { scenario, errors } = validateScenario(raw, 'fuzz.json');
        if (!scenario) {
          expect(errors.length).toBeGreaterThan(0);
          for (const e of errors) {
            expect(typeof e.path).toBe('string');
            expect(e.message.length).toBeGreaterThan(0);
          }
          return;
        }
        expect(errors).toEqual([]);
        expect(scenario.publisher.rate).toBeGreaterThan(0);
        expect(Number.isFinite(scenario.publisher.rate)).toBe(true);
        expect(Number.isInteger(scenario.publisher.payloadBytes) && scenario.publisher.payloadBytes >= 0).toBe(true);
        for (const p of scenario.phases) expect(Number.isFinite(p.durationUs) && p.durationUs >= 100_000).toBe(true);
        for (const g of scenario.groups) expect(Number.isInteger(g.count) && g.count >= 0).toBe(true);
        expect(scenario.groups.some((g) => g.kind === 'fast')).toBe(true);
      }),
      { numRuns: 3000, seed: 20261126 },
    );
    expect(inputs).toBeGreaterThanOrEqual(3000);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (raw) => {
        const { scenario, errors } = validateScenario(raw, 'any.json');
        expect(scenario !== undefined || errors.length > 0).toBe(true);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
