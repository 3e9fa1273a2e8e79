// The published JSON Schema: built from the description the validator reads, shipped current in
// scenarios/, pointed at by every built-in scenario, and true of each of them; and the validator
// and the schema refuse the same mistakes.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenarios } from '../../src/scenario/load.js';
import { SCHEMA_FILE, scenarioSchema, scenarioSchemaText } from '../../src/scenario/schema.js';
import { validateScenario } from '../../src/scenario/validate.js';
import { scenariosDir } from '../../src/util/paths.js';
import { schemaErrors } from '../support/jsonSchema.js';

const read = (name: string): Record<string, any> => JSON.parse(readFileSync(join(scenariosDir, `${name}.json`), 'utf8'));

describe('the scenario JSON Schema', () => {
  it('the file in scenarios/ is the one the code builds (run `npm run schema` after changing a field)', () => {
    expect(readFileSync(join(scenariosDir, SCHEMA_FILE), 'utf8')).toBe(scenarioSchemaText());
  });

  it('is not listed as a built-in scenario', () => {
    expect(builtInScenarios()).toEqual(['catch-up', 'permissions', 'seed', 'slow-client', 'slow-drain']);
  });

  it.each(builtInScenarios())('built-in %s points at it and validates against it', (name) => {
    const s = read(name);
    expect(s.$schema).toBe(`./${SCHEMA_FILE}`);
    expect(schemaErrors(scenarioSchema(), s)).toEqual([]);
  });

  it.each([
    ['an unknown field', (s: Record<string, any>) => (s.publisher.rat = 5), /\$\.publisher\.rat: not allowed/],
    ['a missing required field', (s: Record<string, any>) => delete s.phases, /\$\.phases: required/],
    ['an unknown enum value', (s: Record<string, any>) => (s.groups[0].kind = 'quick'), /\$\.groups\[0\]\.kind: "quick" is not one of/],
    ['a rate below its bound', (s: Record<string, any>) => (s.publisher.rate = 0.01), /\$\.publisher\.rate: 0\.01 < 0\.1/],
    ['a count above its bound', (s: Record<string, any>) => (s.groups[0].count = 100_001), /\$\.groups\[0\]\.count: 100001 > 100000/],
    ['a duration that is no duration', (s: Record<string, any>) => (s.phases[0].duration = 'soon'), /\$\.phases\[0\]\.duration: matches 0/],
    ['a fractional count', (s: Record<string, any>) => (s.groups[0].count = 1.5), /\$\.groups\[0\]\.count: expected integer/],
  ])('the schema and the validator both refuse %s', (_what, spoil, schemaMessage) => {
    const s = read('slow-client');
    spoil(s);
    expect(schemaErrors(scenarioSchema(), s).join('\n')).toMatch(schemaMessage);
    expect(validateScenario(s, 'x.json').errors.length).toBeGreaterThan(0);
  });

  it('lists the same fields the validator accepts, at every level', () => {
    const schema = scenarioSchema();
    const s = read('slow-client');
    // every field the schema allows is one the validator accepts (it would say "unknown field" otherwise)
    for (const field of Object.keys(schema.properties!)) {
      const errors = validateScenario({ ...s, [field]: s[field] ?? null }, 'x.json').errors;
      expect(errors.filter((e) => e.path === field && /unknown field/.test(e.message))).toEqual([]);
    }
  });
});
