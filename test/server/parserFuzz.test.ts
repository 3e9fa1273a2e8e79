// Property-based fuzzing of the client message parser (fast-check): whatever text arrives, the parser
// returns a request or a 4xx status and never throws, and what it accepts is safe to use downstream
// (filters run, event bodies serialize, timestamps print). Fixed seeds keep the runs reproducible.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromUs, usFromIso } from '../../src/clock.js';
import { MAX_NESTING, parseClientFrame, sameFilters } from '../../src/server/clientFrames.js';

/** Inputs checked so far, over every property in this file (reported in docs/reliability.md). */
let checked = 0;

const SAMPLE_EVENT = {
  id: 1,
  objectUuid: 'o',
  ownerUuid: 'group-all',
  objectKind: 'arvados#object',
  eventType: 'update',
  eventAtUs: 1_795_705_548_123_456,
  createdAtUs: 1_795_705_548_123_456,
  body: Buffer.alloc(0),
};

/** The parser's contract, plus what its callers do with an accepted request. */
function checkFrame(text: string): void {
  checked++;
  const result = parseClientFrame(text);
  if ('error' in result) {
    expect(result.error.status).toBeGreaterThanOrEqual(400);
    expect(result.error.status).toBeLessThan(500);
    expect(typeof result.error.message).toBe('string');
    return;
  }
  const request = result.request;
  switch (request.method) {
    case 'subscribe':
      expect(typeof request.predicate(SAMPLE_EVENT)).toBe('boolean');
      sameFilters(request.filters, request.filters);
      break;
    case 'unsubscribe':
      sameFilters(request.filters, [['event_type', '=', 'x']]);
      break;
    case 'publish':
      for (const e of request.events) {
        // What the event log does with each accepted event: serialize it and print its time.
        JSON.stringify([e.event_type, e.object_uuid, e.object_owner_uuid, e.object_kind, e.properties ?? {}]);
        if (e.event_at !== undefined) {
          const us = usFromIso(e.event_at);
          expect(Number.isFinite(us)).toBe(true);
          isoFromUs(us);
        }
      }
      break;
  }
}

const ATTRIBUTES = ['event_type', 'object_uuid', 'object_owner_uuid', 'object_kind', 'event_at', 'created_at'];
const OPERATORS = ['=', 'in', '<', '<=', '>', '>=', 'like', ''];
const TIMES = [
  '2026-11-26T14:45:48.123456Z',
  '2026-11-26T14:45:48Z',
  '9999-12-31T23:59:59.999999Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:59.000000Z',
  '2026-13-45T99:99:99Z',
  'yesterday',
  '',
];

const anyValue = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(...TIMES),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constant(null),
);

const filter = fc.oneof(
  fc.tuple(fc.constantFrom(...ATTRIBUTES), fc.constantFrom(...OPERATORS), anyValue),
  fc.tuple(fc.constantFrom(...ATTRIBUTES), fc.constantFrom('in'), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 20 })),
  fc.array(anyValue, { maxLength: 5 }),
  anyValue,
);

const event = fc.oneof(
  fc.record(
    {
      event_type: fc.oneof(fc.string(), anyValue),
      object_uuid: anyValue,
      object_owner_uuid: fc.oneof(fc.string(), anyValue),
      object_kind: anyValue,
      event_at: fc.oneof(fc.constantFrom(...TIMES), anyValue),
      properties: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), anyValue),
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

const message = fc.record(
  {
    method: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'Subscribe', ''), anyValue),
    filters: fc.oneof(fc.array(filter, { maxLength: 6 }), anyValue),
    last_log_id: fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.double(), anyValue),
    events: fc.oneof(fc.array(event, { maxLength: 6 }), anyValue),
  },
  { requiredKeys: [] },
);

/** Arrays/objects nested `depth` deep, in the places the server reads (method, filters, properties). */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('method', 'filters', 'properties', 'operand'))
  .map(([depth, where]) => {
    const open = depth % 2 === 0 ? '['.repeat(depth) : '{"a":'.repeat(depth);
    const close = depth % 2 === 0 ? ']'.repeat(depth) : '}'.repeat(depth);
    const nested = `${open}1${close}`;
    switch (where) {
      case 'method':
        return `{"method":${nested}}`;
      case 'filters':
        return `{"method":"subscribe","filters":${nested}}`;
      case 'operand':
        return `{"method":"unsubscribe","filters":[["event_type","=",${nested}]]}`;
      default:
        return `{"method":"publish","events":[{"event_type":"x","properties":{"p":${nested}}}]}`;
    }
  });

/** Large arrays: long filter lists, long `in` lists, long event batches (up to and over 10,000). */
const huge = fc.oneof(
  fc
    .integer({ min: 0, max: 20_000 })
    .map((n) => JSON.stringify({ method: 'publish', events: Array.from({ length: n }, () => ({ event_type: 'x' })) })),
  fc
    .integer({ min: 0, max: 20_000 })
    .map((n) => JSON.stringify({ method: 'subscribe', filters: [['event_type', 'in', Array.from({ length: n }, (_, i) => `t${i}`)]] })),
  fc
    .integer({ min: 0, max: 5_000 })
    .map((n) => JSON.stringify({ method: 'subscribe', filters: Array.from({ length: n }, () => ['object_uuid', '=', 'o']) })),
  fc.integer({ min: 0, max: 100_000 }).map((n) => `[${Array.from({ length: n }, () => '0').join(',')}]`),
);

/** A valid message with some characters replaced, cut or inserted. */
const VALID = [
  '{"method":"subscribe","filters":[["event_type","in",["update"]],["event_at",">=","2026-11-26T14:45:48.123456Z"]],"last_log_id":12}',
  '{"method":"unsubscribe","filters":[["object_uuid","=","o"]]}',
  '{"method":"publish","events":[{"event_type":"update","object_uuid":"o","event_at":"2026-11-26T14:45:48.123456Z","properties":{"n":1}}]}',
];
const mutated = fc
  .tuple(
    fc.constantFrom(...VALID),
    fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: 'binary', maxLength: 3 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, kind, insert] of edits) {
      const i = at % (out.length + 1);
      out =
        kind === 0 ? out.slice(0, i) : kind === 1 ? out.slice(0, i) + insert + out.slice(i + 1) : out.slice(0, i) + insert + out.slice(i);
    }
    return out;
  });

const RUNS = { text: 2000, json: 2000, structured: 5000, mutated: 2000, deep: 500, huge: 100 };

describe('message parser (fast-check)', () => {
  it(`arbitrary text, including lone surrogates and control characters (${RUNS.text} inputs)`, () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), checkFrame), { numRuns: RUNS.text, seed: 6001 });
  });

  it(`arbitrary JSON values (${RUNS.json} inputs)`, () => {
    fc.assert(fc.property(fc.json({ maxDepth: 6 }), checkFrame), { numRuns: RUNS.json, seed: 6002 });
  });

  it(`protocol-shaped messages with wrong types, unknown methods, filters and operators (${RUNS.structured} inputs)`, () => {
    fc.assert(
      fc.property(message, (m) => checkFrame(JSON.stringify(m))),
      { numRuns: RUNS.structured, seed: 6003 },
    );
  });

  it(`valid messages cut, with characters replaced or inserted (${RUNS.mutated} inputs)`, () => {
    fc.assert(fc.property(mutated, checkFrame), { numRuns: RUNS.mutated, seed: 6004 });
  });

  it(`nesting up to 5,000 deep in method, filters, operands and properties (${RUNS.deep} inputs): over ${MAX_NESTING} is a 400`, () => {
    fc.assert(
      fc.property(deep, (text) => {
        checkFrame(text);
        const depth = text.split(/[[{]/).length - 1;
        if (depth > MAX_NESTING + 1) expect(parseClientFrame(text)).toMatchObject({ error: { status: 400 } });
      }),
      { numRuns: RUNS.deep, seed: 6005 },
    );
  });

  it(`huge arrays: event batches, in-lists, filter lists up to 100,000 items (${RUNS.huge} inputs)`, () => {
    fc.assert(fc.property(huge, checkFrame), { numRuns: RUNS.huge, seed: 6006 });
  });

  it('the known crashers stay fixed: deep JSON.stringify, an unprintable event_at', () => {
    const deepProperties = `{"method":"publish","events":[{"event_type":"x","properties":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
    expect(parseClientFrame(deepProperties)).toMatchObject({ error: { status: 400 } });
    const deepMethod = `{"method":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseClientFrame(deepMethod)).toMatchObject({ error: { status: 400 } });
    const farFuture = '{"method":"publish","events":[{"event_type":"x","event_at":"+275760-09-13T00:00:59.000000Z"}]}';
    expect(parseClientFrame(farFuture)).toMatchObject({ error: { status: 400 } });
    checked += 3;
    const total = Object.values(RUNS).reduce((a, b) => a + b, 0) + 3;
    expect(checked).toBe(total);
    process.stderr.write(`parser fuzz: ${checked} inputs, none threw\n`);
  });
});
