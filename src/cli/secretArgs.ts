// The secrets a command was given on its command line or in its environment, remembered before
// anything runs, so no message, progress line or error prints them (util/redact.ts masks them).
import { headerSecrets, rememberSecrets, urlSecrets } from '../util/redact.js';

/** Flags whose value is a secret (a header's value is; its name is not). */
const SECRET_FLAGS = ['--token', '--tokens', '--publisher-token', '--metrics-token'];
const HEADER_FLAGS = ['--header', '--publish-header'];
/** Environment variables holding secrets: evbench's own (`EVBENCH_*TOKEN*`, …) and libpq's. */
const SECRET_ENV = /^(EVBENCH_\w*(TOKEN|PASSWORD|SECRET|KEY|HEADER|STORE|TARGET|URL)\w*|PGPASSWORD)$/i;

export function rememberGivenSecrets(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const found: string[] = [];
  const take = (flag: string, value: string): void => {
    if (SECRET_FLAGS.includes(flag)) found.push(value, ...value.split(',').map((t) => t.trim()));
    else if (HEADER_FLAGS.includes(flag)) found.push(...headerSecrets(value.replace(/^[^:]*:\s*/, '')));
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    found.push(...urlSecrets(arg));
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) take(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length) take(arg, argv[i + 1]!);
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || !SECRET_ENV.test(name)) continue;
    if (/HEADER/i.test(name)) found.push(...headerSecrets(value.replace(/^[^:]*:\s*/, '')));
    else if (/STORE|TARGET|URL/i.test(name)) found.push(...urlSecrets(value));
    else found.push(value, ...value.split(',').map((t) => t.trim()));
  }
  rememberSecrets(found);
}
