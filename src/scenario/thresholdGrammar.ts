// The threshold grammar (k6-like): a key `metric{tag:value,…}` and expressions `agg op value`,
// e.g. "latency{group:fast,phase:stress}": ["p(99)<50ms"]. Parse errors name the column. Duration
// bounds use the one unit grammar (util/units.ts).
import { DURATION_UNITS } from '../util/units.js';
import { closest } from './closest.js';

export const METRICS = ['latency', 'uncorrected', 'missing', 'delivered', 'duplicates', 'outOfOrder', 'stall', 'hol', 'generator'] as const;
export type MetricName = (typeof METRICS)[number];
export const TAGS = ['group', 'phase'] as const;
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** Which aggregations each metric has, and whether its values are durations (units allowed). */
const AGGREGATIONS: Record<MetricName, { aggs: readonly string[]; percentiles?: true; duration: boolean }> = {
  latency: { aggs: ['max', 'min', 'mean', 'count'], percentiles: true, duration: true },
  uncorrected: { aggs: ['max', 'min', 'mean', 'count'], percentiles: true, duration: true },
  missing: { aggs: ['count', 'rate'], duration: false },
  delivered: { aggs: ['count', 'rate'], duration: false },
  duplicates: { aggs: ['count'], duration: false },
  outOfOrder: { aggs: ['count'], duration: false },
  stall: { aggs: ['max'], duration: true },
  hol: { aggs: ['index', 'p50index', 'stallIndex', 'deliveryRatio'], duration: false },
  generator: { aggs: ['bound', 'cpuPercent', 'eventLoopDelayP99'], duration: false },
};

/** Why `aggregation` is not one of `metric`'s, with what was probably meant (`p99` → `p(99)`). */
function notAnAggregation(metric: MetricName, aggregation: string): string {
  const rule = AGGREGATIONS[metric];
  const names = [...(rule.percentiles ? ['p(N)'] : []), ...rule.aggs];
  const bare = /^p(\d+(?:\.\d+)?)$/.exec(aggregation);
  const meant = rule.percentiles && bare ? `p(${bare[1]})` : closest(aggregation, rule.aggs);
  return `"${aggregation}" is not an aggregation of ${metric} (${meant ? `did you mean ${meant}? ` : ''}expected ${names.join(', ')})`;
}

export interface ThresholdKey {
  metric: MetricName;
  tags: { group?: string; phase?: string };
}

export interface Threshold {
  /** The text as written, e.g. `latency{group:fast}: p(99)<50ms`. */
  source: string;
  key: ThresholdKey;
  aggregation: string; // p(99) | max | count | index | bound | …
  percentile?: number;
  operator: Operator;
  /** The bound in base units: µs for durations, a plain number otherwise, 0/1 for booleans. */
  bound: number;
}

export class ThresholdSyntaxError extends Error {}

export function parseThresholdKey(text: string): ThresholdKey {
  const lead = text.length - text.trimStart().length;
  const at = (col: number, what: string): ThresholdSyntaxError => new ThresholdSyntaxError(`"${text}": at column ${col + 1}: ${what}`);
  const m = /^([A-Za-z]+)(?:\{(.*)\})?$/.exec(text.trim());
  if (!m) {
    const name = /^[A-Za-z]*/.exec(text.trim())![0].length;
    throw at(lead + name, `expected metric or metric{tag:value,…}`);
  }
  const metric = m[1] as MetricName;
  if (!METRICS.includes(metric)) {
    const meant = closest(m[1]!, METRICS);
    throw at(lead, `unknown metric "${m[1]}" (${meant ? `did you mean ${meant}? ` : ''}expected ${METRICS.join(', ')})`);
  }
  const tags: ThresholdKey['tags'] = {};
  if (m[2] !== undefined) {
    let col = lead + m[1]!.length + 1;
    for (const part of m[2].split(',')) {
      const kv = /^\s*([A-Za-z]+)\s*:\s*([^\s,{}]+)\s*$/.exec(part);
      const partCol = col + (part.length - part.trimStart().length);
      if (!kv) throw at(partCol, `bad tag "${part.trim()}" (expected tag:value)`);
      if (!(TAGS as readonly string[]).includes(kv[1]!)) throw at(partCol, `unknown tag "${kv[1]}" (expected ${TAGS.join(', ')})`);
      tags[kv[1] as 'group' | 'phase'] = kv[2]!;
      col += part.length + 1;
    }
  }
  return { metric, tags };
}

export function parseThresholdExpression(key: ThresholdKey, keyText: string, text: string): Threshold {
  const at = (col: number, what: string): ThresholdSyntaxError => new ThresholdSyntaxError(`"${text}": at column ${col + 1}: ${what}`);
  const aggM = /^\s*(p\(\s*\d+(?:\.\d+)?\s*\)|[A-Za-z0-9]+(?:\.\d+)?)/.exec(text);
  if (!aggM) throw at(0, 'expected an aggregation such as p(99), max, count, index, bound');
  const aggregation = aggM[1]!.replace(/\s+/g, '');
  const rule = AGGREGATIONS[key.metric];
  // the pattern above reads only p(N) into a name that starts "p("
  const isPercentile = aggregation.startsWith('p(');
  const known = rule.aggs.includes(aggregation) || (rule.percentiles === true && isPercentile);
  if (!known) throw at(text.indexOf(aggM[1]!), notAnAggregation(key.metric, aggregation));
  let percentile: number | undefined;
  if (isPercentile) {
    percentile = Number(aggregation.slice(2, -1)); // digits only: never negative
    if (percentile > 100) throw at(text.indexOf('p('), `percentile ${percentile} is outside 0..100`);
  }
  let pos = aggM[0].length;
  const opM = /^\s*(<=|>=|==|!=|<|>)/.exec(text.slice(pos));
  if (!opM) throw at(pos, 'expected an operator (<, <=, >, >=, ==, !=)');
  const operator = opM[1] as Operator;
  pos += opM[0].length;
  const rest = text.slice(pos);
  const valM = /^\s*(true|false|-?\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h|%)?\s*$/.exec(rest);
  if (!valM)
    throw at(pos + (rest.length - rest.trimStart().length), 'expected a number with an optional unit (µs, ms, s, m, h) or true/false');
  let bound: number;
  const isDuration = rule.duration && aggregation !== 'count';
  if (valM[1] === 'true' || valM[1] === 'false') {
    if (aggregation !== 'bound') throw at(pos, `true/false only compares with generator bound`);
    bound = valM[1] === 'true' ? 1 : 0;
  } else {
    bound = Number(valM[1]);
    const unit = valM[2];
    if (unit && unit !== '%') {
      if (!isDuration) throw at(text.lastIndexOf(unit), `unit "${unit}" on ${key.metric} ${aggregation}, which is not a duration`);
      bound *= DURATION_UNITS[unit]!;
    } else if (isDuration) {
      throw at(text.length, `${key.metric} ${aggregation} is a duration: give a unit (µs, ms, s)`);
    }
  }
  return { source: `${keyText}: ${text.trim()}`, key, aggregation, percentile, operator, bound };
}

/** Parses one `key: [expr, …]` entry; throws ThresholdSyntaxError with the offending text. */
export function parseThresholds(key: string, expressions: string[]): Threshold[] {
  const parsedKey = parseThresholdKey(key);
  return expressions.map((e) => parseThresholdExpression(parsedKey, key, e));
}

/** Parses a `--threshold 'key: expr'` flag. */
export function parseThresholdFlag(text: string): { key: string; expression: string } {
  // a tag's own colon is inside the braces; without braces the search starts at 0 (a start of -1 is 0)
  const idx = text.indexOf(':', text.indexOf('}'));
  if (idx <= 0 || text.slice(idx + 1).trim() === '') throw new ThresholdSyntaxError(missingColon(text));
  return { key: text.slice(0, idx).trim(), expression: text.slice(idx + 1).trim() };
}

/** Where the ':' between key and expression belongs, written out: `latency p(99)<50ms` → `latency: p(99)<50ms`. */
function missingColon(text: string): string {
  const example = `'latency{group:fast}: p(99)<50ms'`;
  const m = /^\s*([A-Za-z]+(?:\{[^}]*\})?)\s*:?\s*(.*)$/.exec(text);
  const metric = m && /^[A-Za-z]+/.exec(m[1]!)![0];
  if (!m) return `"${text}": expected 'metric{tags}: expression', such as ${example}`;
  if (!(METRICS as readonly string[]).includes(metric!)) {
    // an aggregation written without its metric ('index<3' for 'hol: index<3') names its metric
    const owner = METRICS.find((name) => AGGREGATIONS[name].aggs.includes(metric!));
    const hint = owner ? ` (write '${owner}: ${text.trim()}')` : ` (metrics: ${METRICS.join(', ')})`;
    return `"${text}": expected 'metric{tags}: expression', such as ${example}: "${metric}" is not a metric${hint}`;
  }
  if (m[2]!.trim() === '') return `"${text}": expected 'metric{tags}: expression', such as ${example} (no expression after "${m[1]}")`;
  return `"${text}": at column ${m[1]!.length + (text.length - text.trimStart().length) + 1}: expected ':' between "${m[1]}" and "${m[2]}" (write '${m[1]}: ${m[2]}')`;
}

/**
 * A threshold key's group or phase that the scenario does not have, as one sentence with what
 * exists and what was probably meant; undefined when every name is the scenario's.
 */
export function unknownThresholdName(key: ThresholdKey, names: { groups: string[]; phases: string[] }): string | undefined {
  for (const [tag, known] of [
    ['group', names.groups],
    ['phase', names.phases],
  ] as const) {
    const name = key.tags[tag];
    if (name === undefined || known.includes(name)) continue;
    const meant = closest(name, known);
    return `no ${tag} "${name}" in this scenario (${meant ? `did you mean "${meant}"? ` : ''}${tag}s: ${known.join(', ')})`;
  }
  return undefined;
}
