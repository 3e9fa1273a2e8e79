// Where `evbench serve` gets its secrets besides the command line (which `ps` shows to every user of
// the machine): a file or an environment variable; and the warning for a server open to a network.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UserError } from '../util/errors.js';
import { TOKEN_ENV } from '../protocol/serverSettings.js';

/** Tokens from a file: one per line or comma-separated; blank lines and `#` comments are skipped. */
export function readTokenFile(flag: string, path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const tokens = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tokens.length === 0) throw new UserError(`${flag}: ${path} holds no token`);
  return tokens;
}

/** A list from a comma-separated flag, else a file, else an environment variable; undefined when none. */
export function tokenList(
  flagValue: string | undefined,
  file: { flag: string; path?: string },
  envName: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  if (flagValue !== undefined) return flagValue.split(',').map((t) => t.trim());
  if (file.path !== undefined) return readTokenFile(file.flag, file.path);
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv.split(',').map((t) => t.trim());
}

/** One token from a flag, else a file (its first token), else an environment variable. */
export function singleToken(
  flagValue: string | undefined,
  file: { flag: string; path?: string },
  envName: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (flagValue !== undefined) return flagValue;
  if (file.path !== undefined) {
    const tokens = readTokenFile(file.flag, file.path);
    if (tokens.length > 1) throw new UserError(`${file.flag}: ${file.path} holds ${tokens.length} tokens, expected one`);
    return tokens[0];
  }
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv.trim();
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The loud warning for a server listening beyond loopback where anyone who can reach it reads
 * events (no subscriber tokens, or synthetic `--users`, whose tokens `user-0`, `user-1`… anyone can
 * guess), may publish (no publisher token), or scrapes /metrics (no metrics token); undefined when
 * protected or on loopback.
 */
export function exposureWarning(o: {
  host: string;
  tokens: string[];
  users: number;
  publisherToken?: string;
  metricsToken?: string;
}): string | undefined {
  if (isLoopback(o.host)) return undefined;
  const open: string[] = [];
  if (o.users > 0) {
    open.push(`with --users ${o.users} (its tokens user-0 … user-${o.users - 1} are public names: anyone can read as them)`);
  } else if (o.tokens.length === 0) {
    open.push('without --tokens (anyone who can reach it reads every event)');
  }
  if (o.publisherToken === undefined) open.push('without --publisher-token');
  const lines: string[] = [];
  if (open.length > 0) {
    lines.push(
      `!!! WARNING: evbench serve listens on ${o.host}, beyond this machine, ${open.join(' and ')}.`,
      `!!! An open event server on a network is a data leak. Give tokens (--tokens-file, ${TOKEN_ENV.tokens},`,
      `!!! --publisher-token-file, ${TOKEN_ENV.publisherToken})${o.users > 0 ? ' instead of --users' : ''}, or listen on 127.0.0.1.`,
    );
  }
  if (o.metricsToken === undefined) {
    lines.push(
      `!!! /metrics is public on ${o.host} (connection counts, limits, refusals): give --metrics-token-file`,
      `!!! or ${TOKEN_ENV.metricsToken} to put it behind a Bearer token.`,
    );
  }
  if (lines.length === 0) return undefined;
  const bar = '!'.repeat(78);
  return [bar, ...lines, bar].join('\n');
}
