// The headings options are listed under in every `--help`, in this order: one table, so `run`,
// `demo`, `serve`, `report`, `compare` and `merge` group the same flag the same way.
import type { Command, Option } from 'commander';

const GROUPS: [heading: string, flags: string[]][] = [
  ['Scenario overrides:', ['--mode', '--rate', '--payload', '--clients', '--duration', '--variant']],
  ['Run:', ['--shard', '--start-at']],
  ['Thresholds and exit codes:', ['--threshold', '--fail-on-hol', '--tolerance', '--min-delta', '--alpha', '--all', '--max-t0-skew']],
  [
    'Target (a server of your own):',
    [
      '--target',
      '--token',
      '--token-file',
      '--tokens-file',
      '--publisher-token',
      '--publisher-token-file',
      '--metrics-url',
      '--metrics-token',
      '--metrics-token-file',
      '--header',
      '--insecure',
      '--server-cmd',
      '--server-wait',
    ],
  ],
  [
    'Adapters (--target speaking another protocol):',
    [
      '--adapter',
      '--topic',
      '--qos',
      '--mqtt-version',
      '--publish',
      '--publish-body',
      '--publish-header',
      '--subscribe-message',
      '--id-field',
      '--time-field',
      '--time-unit',
    ],
  ],
  ['Listening:', ['--host', '--port', '--allow-origin', '--handshake-timeout', '--keepalive-interval']],
  ['Server:', ['--queue-bytes', '--overflow', '--users', '--groups-per-user']],
  ['Event store:', ['--store', '--retain', '--log-size', '--log-bytes']],
  [
    'Limits:',
    [
      '--max-frame-bytes',
      '--max-subscriber-frame-bytes',
      '--max-byte-rate',
      '--message-timeout',
      '--max-subscriptions',
      '--max-filters',
      '--max-filters-per-token',
      '--max-filters-per-address',
      '--max-filters-total',
      '--max-connections',
      '--max-connections-per-address',
      '--max-message-rate',
      '--message-burst',
    ],
  ],
  ['Runner:', ['--workers', '--dashboard', '--dashboard-linger']],
  ['Output:', ['--out', '--output', '--json', '--report', '--format', '--md', '--no-color', '--quiet', '--verbose']],
];

/** Serve's flags that mean something else there: its tokens say which clients it lets in, its mode is its own. */
const SERVE_GROUPS: Record<string, string> = {
  '--mode': 'Server:',
  '--tokens': 'Access:',
  '--tokens-file': 'Access:',
  '--publisher-token': 'Access:',
  '--publisher-token-file': 'Access:',
  '--metrics-token': 'Access:',
  '--metrics-token-file': 'Access:',
};

function headingOf(cmd: Command, o: Option): string | undefined {
  const flag = o.long ?? o.short ?? '';
  if (cmd.name() === 'serve' && flag in SERVE_GROUPS) return SERVE_GROUPS[flag];
  return GROUPS.find(([, flags]) => flags.includes(flag))?.[0];
}

/** Puts each option of `cmd` (and its subcommands) under its heading; the rest stay under "Options:". */
export function groupOptions(cmd: Command): void {
  for (const sub of cmd.commands) groupOptions(sub);
  const order = (o: Option): number => {
    const h = headingOf(cmd, o);
    if (h === 'Access:' || h === 'Server:') return GROUPS.findIndex(([heading]) => heading === 'Server:') + (h === 'Access:' ? 0.5 : 0);
    return h === undefined ? GROUPS.length : GROUPS.findIndex(([heading]) => heading === h);
  };
  for (const o of cmd.options) {
    const h = headingOf(cmd, o);
    if (h !== undefined) o.helpGroup(h);
  }
  // commander lists the groups in the order their first option appears
  (cmd.options as Option[]).sort((a, b) => order(a) - order(b));
}
