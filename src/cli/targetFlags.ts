// Flags that point a scenario at another server (--target, tokens) and describe a server that
// speaks its own JSON (--adapter generic and its options). Checked as strictly as scenario files.
import type { Command } from 'commander';
import type { GenericOptions, Scenario } from '../scenario/types.js';
import { parsePublishMode } from '../scenario/validate.js';
import { unsupported } from '../scenario/capabilities.js';
import { UserError } from '../util/errors.js';

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
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--target <url>', 'run against the server at this ws:// URL (http:// for socketio and sse) instead of the embedded one')
    .option('--token <token>', 'subscriber token for --target (sent as ?api_token=)')
    .option('--publisher-token <token>', 'publisher token for --target')
    .option('--metrics-url <url>', "--target's evbench /metrics, scraped at the end for the server's side of the story")
    .option('--metrics-token <token>', 'Bearer token for --metrics-url (a server started with --metrics-token)')
    .option('--adapter <name>', 'protocol of --target: evbench (v0), generic (any JSON server), socketio (Socket.IO v4) or sse (Server-Sent Events)')
    .option('--subscribe-message <json>', 'generic: message sent after connecting; {{lastId}} is replaced for catch-up')
    .option('--id-field <path>', 'generic: dotted JSON path of the event id (default: id)')
    .option('--time-field <path>', 'generic: dotted JSON path of the event publish time (default: ts)')
    .option('--time-unit <unit>', 'generic: ms, us, ns (epoch numbers) or iso (default: ms)')
    .option('--publish <how>', 'generic: server (the server emits events itself), ws (evbench sends frames), or http:URL (evbench POSTs)')
    .option('--topic <name>', 'socketio: the event name clients listen to and evbench emits (default: event)');
}

const PATH = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/;
const GENERIC_FLAGS = ['subscribeMessage', 'idField', 'timeField', 'timeUnit', 'publish', 'topic'] as const;
const ADAPTERS = ['evbench', 'generic', 'socketio', 'sse'] as const;
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
    if (!['ms', 'us', 'ns', 'iso'].includes(flags.timeUnit)) throw new UserError(`--time-unit: expected ms, us, ns or iso, got "${flags.timeUnit}"`);
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
  if (flags.topic !== undefined) g.topic = flags.topic;
  return g;
}

/** Applies the target flags to a scenario; errors name the flag. */
export function applyTargetFlags(scenario: Scenario, flags: TargetFlags): Scenario {
  const s = structuredClone(scenario);
  const adapter = flags.adapter ?? (s.target.kind === 'url' ? s.target.adapter : 'evbench');
  if (!(ADAPTERS as readonly string[]).includes(adapter)) throw new UserError(`--adapter: expected ${ADAPTERS.join(', ')}, got "${flags.adapter}"`);
  const genericFlag = GENERIC_FLAGS.find((k) => flags[k] !== undefined);
  if (genericFlag && adapter === 'evbench') throw new UserError(`${flagName(genericFlag)}: only with --adapter generic, socketio or sse`);
  if (flags.subscribeMessage !== undefined && adapter !== 'generic') throw new UserError(`--subscribe-message: only with --adapter generic`);
  if (flags.topic !== undefined && adapter !== 'socketio') throw new UserError(`--topic: only with --adapter socketio (an SSE stream is named by its URL's path)`);
  const overHttp = adapter === 'socketio' || adapter === 'sse'; // their own clients take http:// URLs
  if (flags.target !== undefined) {
    let url: URL;
    try {
      url = new URL(flags.target);
    } catch {
      throw new UserError(`--target: expected a ${overHttp ? 'http:// or https://' : 'ws:// or wss://'} URL, got "${flags.target}"`);
    }
    if (overHttp && url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`--target: expected an http:// or https:// URL for --adapter ${adapter} (as its own clients take it), got "${flags.target}"`);
    if (!overHttp && url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UserError(`--target: expected a ws:// or wss:// URL, got "${flags.target}"`);
    if (adapter === 'evbench' && (url.pathname === '/' || url.pathname === '')) url.pathname = '/websocket';
    const previous = s.target.kind === 'url' ? s.target : undefined;
    s.target = {
      kind: 'url',
      url: url.toString(),
      adapter: adapter as (typeof ADAPTERS)[number],
      token: flags.token ?? previous?.token,
      publisherToken: flags.publisherToken ?? previous?.publisherToken,
      metricsUrl: flags.metricsUrl ?? previous?.metricsUrl,
      metricsToken: flags.metricsToken ?? previous?.metricsToken,
      users: previous?.users ?? 0,
    };
    s.variants = [];
  } else if (flags.token !== undefined || flags.publisherToken !== undefined || flags.metricsUrl !== undefined || flags.metricsToken !== undefined || flags.adapter !== undefined || genericFlag) {
    if (s.target.kind !== 'url') throw new UserError(`${flags.adapter !== undefined ? '--adapter' : genericFlag ? flagName(genericFlag) : '--token/--publisher-token/--metrics-url/--metrics-token'}: only with --target (the embedded server speaks evbench's protocol and gets its own tokens)`);
    if (flags.token !== undefined) s.target.token = flags.token;
    if (flags.publisherToken !== undefined) s.target.publisherToken = flags.publisherToken;
    if (flags.metricsUrl !== undefined) s.target.metricsUrl = flags.metricsUrl;
    if (flags.metricsToken !== undefined) s.target.metricsToken = flags.metricsToken;
    s.target.adapter = adapter as (typeof ADAPTERS)[number];
  }
  if (s.target.kind === 'url' && s.target.metricsUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(s.target.metricsUrl)) {
    throw new UserError(`--metrics-url: expected an http:// URL such as http://127.0.0.1:8080/metrics, got "${s.target.metricsUrl}"`);
  }
  if (s.target.kind === 'url') {
    s.target.generic = adapter === 'evbench' ? undefined : genericOptions(flags, s.target.generic);
    const gap = unsupported(s);
    if (gap) throw new UserError(`${s.source}: ${gap.path}: ${gap.message}`);
  }
  return s;
}
