// Flags that point a scenario at another server (--target, tokens) and describe a server that
// speaks its own JSON (--adapter generic and its options). Checked as strictly as scenario files.
import type { Command } from 'commander';
import type { GenericOptions, Scenario } from '../scenario/types.js';
import { parsePublishMode } from '../scenario/validate.js';
import { unsupported } from '../scenario/capabilities.js';
import { adapterNames, adapterSpec, type AdapterSpec } from '../scenario/adapters.js';
import { UserError } from '../util/errors.js';
import { readFileSync } from 'node:fs';
import { readTokenFile } from './serveSecrets.js';
import { durationFlagMs } from '../util/units.js';

export interface TargetFlags {
  target?: string;
  token?: string;
  publisherToken?: string;
  metricsUrl?: string;
  metricsToken?: string;
  adapter?: string;
  subscribeMessage?: string;
  idField?: string;
  timeField?: string;
  timeUnit?: string;
  publish?: string;
  topic?: string;
  qos?: string;
  mqttVersion?: string;
  publishBody?: string;
  publishHeader?: string[];
  header?: string[];
  insecure?: boolean;
  tokensFile?: string;
  tokenFile?: string;
  publisherTokenFile?: string;
  metricsTokenFile?: string;
  serverCmd?: string;
  serverWait?: string;
}

/** How long `--server-cmd`'s server may take to accept connections, by default. */
export const DEFAULT_SERVER_WAIT_MS = 30_000;

/** `a, b or c` */
const orList = (names: string[]): string => (names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? ''));
const specs = (): AdapterSpec[] => adapterNames().map((n) => adapterSpec(n)!);
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `Name: value` → [name, value]; errors name the flag. */
function headerPair(flag: string, text: string): [string, string] {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(text);
  if (!m) throw new UserError(`${flag}: expected 'Name: value', got "${text.slice(0, 80)}"`);
  return [m[1]!, m[2]!];
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--target <url>', 'run against the server at this ws:// URL (http:// for socketio and sse) instead of the embedded one')
    .option('--token <token>', 'subscriber token for --target (sent as ?api_token=)')
    .option('--token-file <path>', 'the subscriber token from a file (not visible in ps)')
    .option('--publisher-token <token>', 'publisher token for --target')
    .option('--publisher-token-file <path>', 'the publisher token from a file (not visible in ps)')
    .option('--metrics-url <url>', "--target's evbench /metrics, scraped at the end for the server's side of the story")
    .option('--metrics-token <token>', 'Bearer token for --metrics-url (a server started with --metrics-token)')
    .option('--metrics-token-file <path>', 'the metrics token from a file (not visible in ps)')
    .option('--adapter <name>', `protocol of --target: ${orList(specs().map((a) => a.help))}`)
    .option(
      '--topic <name>',
      specs()
        .flatMap((a) => (a.topic ? [a.topic.help] : []))
        .join('; '),
    )
    .option('--qos <n>', 'mqtt: QoS of the subscription and of what evbench publishes, 0 or 1 (default: 0)')
    .option('--mqtt-version <v>', 'mqtt: the protocol version clients speak, 3.1.1 or 5 (default: 3.1.1)')
    .option(
      '--header <header>',
      "'Name: value' on the websocket upgrade and on HTTP publishing (repeatable; {{token}} is the client's token)",
      collect,
    )
    .option('--insecure', 'accept a wss:// target whose certificate does not verify (self-signed)')
    .option('--tokens-file <path>', 'subscriber tokens, one per line, given to the clients in turn')
    .option(
      '--publish-body <template>',
      'body of each event evbench publishes (http: POST body or ws frame): {{id}}, {{ts}}, {{payload}} are replaced',
    )
    .option('--publish-header <header>', "'Name: value' on each HTTP publish (repeatable)", collect)
    .option('--subscribe-message <json>', 'generic: message sent after connecting; {{lastId}} is replaced for catch-up')
    .option('--id-field <path>', 'generic: dotted JSON path of the event id (default: id)')
    .option('--time-field <path>', 'generic: dotted JSON path of the event publish time (default: ts)')
    .option('--time-unit <unit>', 'generic: ms, us, ns (epoch numbers) or iso (default: ms)')
    .option('--publish <how>', 'generic: server (the server emits events itself), ws (evbench sends frames), or http:URL (evbench POSTs)')
    .option(
      '--server-cmd <command>',
      "start --target's server with this shell command first (in its own process group, output in OUT/NAME.server.log), sample its CPU and memory, stop it after the run; --target must be 127.0.0.1, ::1 or localhost",
    )
    .option(
      '--server-wait <time>',
      `with --server-cmd: how long its server may take to accept connections (default: ${DEFAULT_SERVER_WAIT_MS / 1000}s)`,
    );
}

/** `--server-cmd` and `--server-wait`: the command and how long to wait for its port, or undefined without one. */
export function serverCommandFlags(
  flags: TargetFlags,
  sourceOf: (key: string) => string | undefined,
): { command: string; waitMs: number } | undefined {
  if (flags.serverCmd === undefined) {
    // a variable exported for another run is no reason to refuse this one
    if (flags.serverWait !== undefined && sourceOf('serverWait') === 'cli') throw new UserError('--server-wait: only with --server-cmd');
    return undefined;
  }
  if (flags.serverCmd.trim() === '') throw new UserError('--server-cmd: empty (expected a shell command that starts the server)');
  const waitMs = flags.serverWait === undefined ? DEFAULT_SERVER_WAIT_MS : durationFlagMs('--server-wait', flags.serverWait);
  if (waitMs <= 0) throw new UserError(`--server-wait ${flags.serverWait}: must be longer than 0`);
  return { command: flags.serverCmd, waitMs };
}

const TOKEN_FILES = [
  ['token', 'tokenFile'],
  ['publisherToken', 'publisherTokenFile'],
  ['metricsToken', 'metricsTokenFile'],
] as const;

/**
 * Reads `--token-file`, `--publisher-token-file` and `--metrics-token-file` into their tokens. A token
 * on the command line and its file both given is an error; a file beats the environment variable
 * (`sourceOf` tells where commander took a value from: 'cli', 'env', …).
 */
export function withTokenFiles(flags: TargetFlags, sourceOf: (key: string) => string | undefined): TargetFlags {
  const out = { ...flags };
  for (const [key, fileKey] of TOKEN_FILES) {
    const path = flags[fileKey];
    if (path === undefined) continue;
    if (flags[key] !== undefined && sourceOf(key) === 'cli')
      throw new UserError(`${flagName(key)} and ${flagName(fileKey)}: give one of them, not both`);
    const tokens = readTokenFile(flagName(fileKey), path);
    if (tokens.length > 1) throw new UserError(`${flagName(fileKey)}: ${path} holds ${tokens.length} tokens, expected one`);
    out[key] = tokens[0];
  }
  return out;
}

const PATH = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/;
const GENERIC_FLAGS = [
  'subscribeMessage',
  'idField',
  'timeField',
  'timeUnit',
  'publish',
  'topic',
  'qos',
  'mqttVersion',
  'publishBody',
  'publishHeader',
] as const;
const flagName = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function genericOptions(flags: TargetFlags, base: GenericOptions | undefined): GenericOptions {
  const g: GenericOptions = base ? structuredClone(base) : { idField: 'id', timeField: 'ts', timeUnit: 'ms', publish: { kind: 'server' } };
  for (const k of ['idField', 'timeField'] as const) {
    const v = flags[k];
    if (v === undefined) continue;
    if (!PATH.test(v)) throw new UserError(`${flagName(k)}: "${v}" is not a dotted JSON path such as "id" or "data.event.ts"`);
    g[k] = v;
  }
  if (flags.timeUnit !== undefined) {
    if (!['ms', 'us', 'ns', 'iso'].includes(flags.timeUnit))
      throw new UserError(`--time-unit: expected ms, us, ns or iso, got "${flags.timeUnit}"`);
    g.timeUnit = flags.timeUnit as GenericOptions['timeUnit'];
  }
  if (flags.subscribeMessage !== undefined) {
    try {
      JSON.parse(flags.subscribeMessage.replaceAll('{{lastId}}', '0'));
    } catch {
      throw new UserError(`--subscribe-message: not JSON (with {{lastId}} replaced by a number): ${flags.subscribeMessage.slice(0, 80)}`);
    }
    g.subscribeMessage = flags.subscribeMessage;
  }
  if (flags.publish !== undefined) {
    const p = parsePublishMode(flags.publish);
    if (!p) throw new UserError(`--publish: expected server, ws or http:URL, got "${flags.publish}"`);
    g.publish = p;
  }
  if (flags.topic !== undefined) {
    if (flags.topic.trim() === '') throw new UserError('--topic: empty');
    g.topic = flags.topic;
  }
  if (flags.qos !== undefined) {
    if (flags.qos !== '0' && flags.qos !== '1') throw new UserError(`--qos: expected 0 or 1, got "${flags.qos}"`);
    g.qos = Number(flags.qos) as 0 | 1;
  }
  if (flags.mqttVersion !== undefined) {
    if (flags.mqttVersion !== '3.1.1' && flags.mqttVersion !== '5')
      throw new UserError(`--mqtt-version: expected 3.1.1 or 5, got "${flags.mqttVersion}"`);
    g.mqttVersion = flags.mqttVersion;
  }
  if (flags.publishBody !== undefined) {
    if (!flags.publishBody.includes('{{id}}') || !flags.publishBody.includes('{{ts}}')) {
      throw new UserError(
        '--publish-body: the template must carry {{id}} and {{ts}} (evbench reads them back from what the clients receive)',
      );
    }
    g.publishBody = flags.publishBody;
  }
  if (flags.publishHeader !== undefined) g.publishHeaders = flags.publishHeader.map((h) => headerPair('--publish-header', h));
  return g;
}

/** Applies the target flags to a scenario; errors name the flag. */
export function applyTargetFlags(scenario: Scenario, flags: TargetFlags): Scenario {
  const s = structuredClone(scenario);
  const adapterText = flags.adapter ?? (s.target.kind === 'url' ? s.target.adapter : 'evbench');
  const spec = adapterSpec(adapterText);
  if (!spec) throw new UserError(`--adapter: expected ${adapterNames().join(', ')}, got "${flags.adapter}"`);
  const adapter = spec.name;
  const genericFlag = GENERIC_FLAGS.find((k) => flags[k] !== undefined);
  if (genericFlag && spec.options === 'none') {
    const [first, ...rest] = specs().filter((a) => a.options !== 'none');
    throw new UserError(`${flagName(genericFlag)}: only with --adapter ${first?.name} (or ${rest.map((a) => a.name).join(', ')})`);
  }
  if (flags.subscribeMessage !== undefined && !spec.subscribeMessage)
    throw new UserError(`--subscribe-message: only with --adapter ${orList(specs().flatMap((a) => (a.subscribeMessage ? [a.name] : [])))}`);
  if (flags.topic !== undefined && !spec.topic)
    throw new UserError(
      `--topic: only with --adapter ${orList(specs().flatMap((a) => (a.topic ? [a.name] : [])))}${adapter === 'sse' ? " (an SSE stream is named by its URL's path)" : ''}`,
    );
  const overHttp = spec.url === 'http'; // their own clients take http:// URLs
  if (flags.target !== undefined) {
    let url: URL;
    try {
      url = new URL(flags.target);
    } catch {
      throw new UserError(`--target: expected a ${overHttp ? 'http:// or https://' : 'ws:// or wss://'} URL, got "${flags.target}"`);
    }
    if (overHttp && url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UserError(
        `--target: expected an http:// or https:// URL for --adapter ${adapter} (as its own clients take it), got "${flags.target}"`,
      );
    if (!overHttp && url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw new UserError(`--target: expected a ws:// or wss:// URL, got "${flags.target}"`);
    if (spec.defaultPath && (url.pathname === '/' || url.pathname === '')) url.pathname = spec.defaultPath;
    const previous = s.target.kind === 'url' ? s.target : undefined;
    s.target = {
      kind: 'url',
      url: url.toString(),
      adapter,
      token: flags.token ?? previous?.token,
      publisherToken: flags.publisherToken ?? previous?.publisherToken,
      metricsUrl: flags.metricsUrl ?? previous?.metricsUrl,
      metricsToken: flags.metricsToken ?? previous?.metricsToken,
      users: previous?.users ?? 0,
      headers: previous?.headers,
      insecure: previous?.insecure,
      tokens: previous?.tokens,
    };
    s.variants = [];
  } else if (
    flags.token !== undefined ||
    flags.publisherToken !== undefined ||
    flags.metricsUrl !== undefined ||
    flags.metricsToken !== undefined ||
    flags.adapter !== undefined ||
    genericFlag
  ) {
    if (s.target.kind !== 'url')
      throw new UserError(
        `${flags.adapter !== undefined ? '--adapter' : genericFlag ? flagName(genericFlag) : '--token/--publisher-token/--metrics-url/--metrics-token'}: only with --target (the embedded server speaks evbench's protocol and gets its own tokens)`,
      );
    if (flags.token !== undefined) s.target.token = flags.token;
    if (flags.publisherToken !== undefined) s.target.publisherToken = flags.publisherToken;
    if (flags.metricsUrl !== undefined) s.target.metricsUrl = flags.metricsUrl;
    if (flags.metricsToken !== undefined) s.target.metricsToken = flags.metricsToken;
    s.target.adapter = adapter;
  } else if (flags.header !== undefined || flags.insecure || flags.tokensFile !== undefined) {
    throw new UserError('--header/--insecure/--tokens-file: only with --target (the embedded server gets its own tokens)');
  }
  if (s.target.kind === 'url' && s.target.metricsUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(s.target.metricsUrl)) {
    throw new UserError(`--metrics-url: expected an http:// URL such as http://127.0.0.1:8080/metrics, got "${s.target.metricsUrl}"`);
  }
  if (s.target.kind === 'url') {
    s.target.adapter = adapter;
    s.target.generic = spec.options !== 'none' ? genericOptions(flags, s.target.generic) : undefined;
    if (flags.header !== undefined) s.target.headers = flags.header.map((h) => headerPair('--header', h));
    if (flags.insecure) s.target.insecure = true;
    if (flags.tokensFile !== undefined) s.target.tokens = readTokens(flags.tokensFile);
    const topic = s.target.generic?.topic;
    if (spec.topic?.required && !topic) throw new UserError(`--adapter ${adapter}: needs --topic (${spec.topic.required} to subscribe to)`);
    const badTopic = topic !== undefined ? spec.topic?.check?.(topic) : undefined;
    if (badTopic) throw new UserError(`--topic: ${badTopic}`);
    const gap = unsupported(s);
    if (gap) throw new UserError(`${s.source}: ${gap.path}: ${gap.message}`);
  }
  return s;
}

function readTokens(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`--tokens-file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (tokens.length === 0) throw new UserError(`--tokens-file: ${path} has no tokens (one per line)`);
  return tokens;
}
