// Child process of the connections benchmark: runs the runner (runScenario) with N idle fast
// clients against a URL, in its own process so its resident memory can be read apart from the
// benchmark's and the server's. Prints JSON lines on stdout: {"event":"idle","rss":…} once the
// clients have been subscribed a second, then {"event":"done",…} with connection failures.
import { runScenario } from '../runner/run.js';
import { urlScenario, phaseOf } from './scenario.js';

const [url, clientsText] = process.argv.slice(2);
const clients = Number(clientsText);
const emit = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const scenario = urlScenario({
  name: `connections-${clients}`,
  url: url!,
  rate: 1, // one event per second: the connections are idle but provably subscribed
  payloadBytes: 200,
  groups: [{ name: 'fast', kind: 'fast', count: clients }],
  phases: [
    { name: 'warmup', duration: '3s' },
    { name: 'baseline', duration: '3s' },
    { name: 'stress', duration: '1s' },
  ],
});
let sampled = false;
let baselineSeenAt = 0;
const record = await runScenario(scenario, {
  onProgress: (p) => {
    if (p.phase !== 'baseline' || sampled) return;
    baselineSeenAt ||= Date.now();
    if (Date.now() - baselineSeenAt < 1000) return;
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
});
process.exit(0);
