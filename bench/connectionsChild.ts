// Child process of the connections benchmark: runs the runner (runScenario) with N idle fast
// clients against a URL, in its own process so its resident memory can be read apart from the
// benchmark's and the server's. Prints JSON lines on stdout: {"event":"idle","rss":…} once the
// clients have been subscribed a second, then {"event":"done",…} with connection failures.
// Arguments: URL CLIENTS [SHARD/SHARDS [quick|WARMUP_SECONDS]] — with a shard, it runs that share of the CLIENTS (the
// runner's own sharding), so several children can hold more connections than one process may.
import { runScenario } from '../src/runner/run.js';
import { urlScenario, phaseOf } from './scenario.js';

const [url, clientsText, shardText, speed] = process.argv.slice(2);
const quick = speed === 'quick';
// a connect storm of tens of thousands may outlast the runner's lead before t0: a longer warm-up lets it finish
const warmup = quick ? '1s' : `${Math.max(3, Number(speed) || 0)}s`;
const clients = Number(clientsText);
const [shardIndex, shardCount] = (shardText ?? '0/1').split('/').map(Number);
const emit = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const scenario = urlScenario({
  name: `connections-${clients}`,
  url: url!,
  rate: 1, // one event per second: the connections are idle but provably subscribed
  payloadBytes: 200,
  groups: [{ name: 'fast', kind: 'fast', count: clients }],
  phases: [
    { name: 'warmup', duration: warmup },
    { name: 'baseline', duration: quick ? '1s' : '3s' },
    { name: 'stress', duration: '1s' },
  ],
});
let sampled = false;
let baselineSeenAt = 0;
const record = await runScenario(scenario, {
  workers: 1,
  shard: { index: shardIndex!, count: shardCount! },
  onProgress: (p) => {
    if (p.phase !== 'baseline' || sampled) return;
    baselineSeenAt ||= Date.now();
    if (Date.now() - baselineSeenAt < (quick ? 300 : 1000)) return;
    sampled = true;
    emit({ event: 'idle', rss: process.memoryUsage.rss() });
  },
});
const warm = phaseOf(record, 'fast', 'warmup');
const base = phaseOf(record, 'fast', 'baseline');
emit({
  event: 'done',
  connectErrors: warm.connectErrors + base.connectErrors,
  ackTimeouts: warm.ackTimeouts + base.ackTimeouts,
  missing: base.missing,
  delivered: base.delivered,
  clients: base.clients,
});
process.exit(0);
