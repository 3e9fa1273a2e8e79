// The terminal summary of a run record (pure: record in, text out; the caller prints it).
import { Chalk, type ChalkInstance } from 'chalk';
import type { RunRecord } from '../record/schema.js';
import { formatUs } from '../util/units.js';
import { renderTable } from './table.js';
import { EVIDENCE_SYMBOL, evidenceMark, runStatus, shardLine, verdictLabel } from './outcomes.js';
import { generatorFact, LATENCY_NOTE, missingCell, protocolFact, replayFact, unseenFacts } from './facts.js';
import { serverViewSentences } from './serverView.js';
import { serverProcessSentences } from './serverProcess.js';
import { renderSparklines, type SparklineOptions } from './sparkline.js';
import { renderClientDetail, renderConnectDetail, verdictDetail } from './clientDetail.js';
import { terminalView } from './terminalView.js';
import { terminalSafe } from '../util/untrusted.js';

export interface SummaryOptions {
  /** Draw latency over time per group (`false`: not at all, e.g. off a terminal). */
  sparkline?: SparklineOptions | false;
  /** Unfold what the summary folds: each client's fate, connect and ack times, the noise floor, the generator's reasons. */
  verbose?: boolean;
}

export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** The verdict line; a shard's own line instead (it has no verdict: the merge of the shards has). */
export function verdictText(record: RunRecord, c: ChalkInstance): string {
  const shard = shardLine(record);
  if (shard !== undefined) return record.hol.verdict === 'invalid' ? c.yellow.bold(shard) : c.bold(shard);
  const { text, tone } = verdictLabel(record.hol.verdict);
  const label = tone === 'ok' ? c.green.bold(text) : tone === 'bad' ? c.red.bold(text) : c.yellow.bold(text);
  return `verdict: ${label} — ${record.hol.summary}`;
}

export function renderSummary(untrusted: RunRecord, color = false, opts: SummaryOptions = {}): string {
  const record = terminalView(untrusted);
  const c = makeChalk(color);
  const out: string[] = [];
  const target = record.target.kind === 'embedded' ? `embedded evbench serve (${record.target.mode})` : record.target.url + protocolFact(record);
  const shard = record.shard ? `, shard ${record.shard.index}/${record.shard.count}` : '';
  out.push(c.bold(`evbench run: ${record.scenario.name}`) + ` against ${target}, ${(record.durationUs / 1e6).toFixed(1)}s, ${record.workers} worker(s)${shard}`);
  for (const w of record.warnings) out.push(c.yellow(`warning: ${w}`));
  const rows: string[][] = [];
  for (const g of record.groups) {
    for (const ph of record.phases) {
      const p = g.phases[ph.name];
      if (!p || p.clients === 0) continue;
      const l = p.latencyUs;
      const churn = g.kind === 'churn';
      const missing = p.missing > 0 ? c.red(missingCell(p.missing, p.unseenIds)) : p.unseenIds ? c.yellow(missingCell(0, p.unseenIds)) : '0';
      rows.push([
        `${g.name}${g.behaviour ? ` (${g.behaviour})` : ''}`,
        ph.name,
        String(p.clients),
        churn ? `${p.ackUs.count} acks` : String(p.delivered),
        churn ? (p.ackTimeouts ? c.red(`${p.ackTimeouts} timeouts`) : '0') : missing,
        churn ? formatUs(p.ackUs.p50) : formatUs(l.p50),
        churn ? formatUs(p.ackUs.p90) : formatUs(l.p90),
        churn ? formatUs(p.ackUs.p99) : formatUs(l.p99),
        churn ? formatUs(p.ackUs.p999) : formatUs(l.p999),
        churn ? formatUs(p.ackUs.max) : formatUs(l.max),
        churn ? '' : formatUs(p.maxStallUs),
        [p.slowCloses ? `${p.slowCloses} closed slow` : '', p.serverCloses ? `${p.serverCloses} closed by server` : '', p.subscribeRefusals ? `${p.subscribeRefusals} refused` : '', p.gapsAnnounced ? `${p.gapsAnnounced} gaps` : '', p.duplicates ? `${p.duplicates} dup` : '', p.outOfOrder ? `${p.outOfOrder} reordered` : '', p.connectErrors ? `${p.connectErrors} conn errors` : '']
          .filter(Boolean)
          .join(', '),
      ]);
    }
  }
  out.push('');
  out.push(renderTable(['group', 'phase', 'clients', 'delivered', 'missing', 'p50', 'p90', 'p99', 'p99.9', 'max', 'max stall', 'notes'], rows, (col) => col >= 2 && col <= 10));
  out.push(c.dim(LATENCY_NOTE));
  for (const fact of unseenFacts(record)) out.push(c.yellow(fact));
  for (const g of record.groups) {
    if (g.replay) out.push(`${g.name}: ${replayFact(g)}`);
  }
  if (opts.verbose) {
    for (const block of [renderConnectDetail(record), renderClientDetail(record, c)]) if (block) out.push('', block);
  }
  const spark = opts.sparkline === undefined || opts.sparkline === false ? '' : renderSparklines(record, opts.sparkline);
  if (spark) out.push('', spark);
  out.push('');
  out.push(verdictText(record, c));
  const paint = { fired: c.red, held: c.green, 'not judged': c.yellow, info: c.dim };
  for (const e of record.hol.evidence) {
    const mark = evidenceMark(e);
    out.push(`  ${paint[mark](EVIDENCE_SYMBOL[mark])} ${e.rule}: ${e.measured}`);
  }
  if (opts.verbose) for (const line of verdictDetail(record)) out.push(`  ${c.dim(line)}`);
  const g = record.generator;
  out.push(
    `generator: ${g.bound ? c.red.bold('BOUND') : c.green('ok')} — ${generatorFact(record)}`,
  );
  out.push(...serverViewSentences(record));
  out.push(...serverProcessSentences(record));
  if (record.thresholds.length > 0) {
    out.push('thresholds:');
    for (const t of record.thresholds) out.push(`  ${t.judged === false ? c.yellow('–') : t.passed ? c.green('✓') : c.red('✗')} ${t.message}`);
  }
  return out.join('\n');
}

/**
 * What `--quiet` leaves: the verdict line, and each failed threshold (the reason for an exit code 1);
 * `name` prefixes them when several runs print (the demo's variants).
 */
export function renderVerdictLines(untrusted: RunRecord, color = false, failOnHol = false, name?: string): string {
  const record = terminalView(untrusted);
  const c = makeChalk(color);
  const prefix = name ? `${terminalSafe(name)}: ` : '';
  const out = [prefix + verdictText(record, c)];
  if (runStatus(record, failOnHol) === 'failed')
    for (const t of record.thresholds) if (!t.passed && t.judged !== false) out.push(`${prefix}  ${c.red('✗')} ${t.message}`);
  return out.join('\n');
}
