// What users of k6 and autocannon expect of a command line, in one place: the version, every option
// of `run` and `serve` also as an EVBENCH_* environment variable, errors that name the variable a bad
// value came from, and an option whose value is missing named as such.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { packageRoot } from '../util/paths.js';
import { UserError } from '../util/errors.js';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `--publisher-token` → `EVBENCH_PUBLISHER_TOKEN`; `--no-color` → `EVBENCH_NO_COLOR`. */
export function envName(option: Option): string {
  return `EVBENCH_${option.long!.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off', ''];

/**
 * Gives each option of `cmd` its EVBENCH_* variable (shown in `--help`), except `skip` (options that
 * read the environment themselves). A flag wins over its variable, and the variable over the
 * scenario file. A value goes through the flag's own parser (choices included); a switch reads
 * 1/true/yes/on or 0/false/no/off, anything else is an error naming the variable.
 */
export function withEnvironment(cmd: Command, skip: readonly string[] = []): Command {
  for (const o of cmd.options) {
    if (!o.long || skip.includes(o.long) || o.long === '--help') continue;
    if (o.required || o.optional) {
      o.env(envName(o));
      // commander wires an option's variable when the option is added; these were added before
      cmd.on(`optionEnv:${o.name()}`, (text: string) => {
        const key = o.attributeName();
        const previous: unknown = cmd.getOptionValue(key);
        let value: unknown = text;
        if (o.parseArg) {
          try {
            value = o.parseArg(text, previous === undefined ? o.defaultValue : previous);
          } catch (err) {
            throw new UserError(`${envName(o)} (${o.long}): "${text}" is not allowed. ${(err as Error).message}`);
          }
        }
        cmd.setOptionValueWithSource(key, value, 'env');
      });
    } else {
      o.description += `${o.description ? ' ' : ''}(env: ${envName(o)}=1)`;
    }
  }
  const switches = cmd.options.filter((o) => o.long && !skip.includes(o.long) && o.long !== '--help' && !o.required && !o.optional);
  cmd.hook('preAction', (_parent, action) => {
    for (const o of switches) {
      const key = o.attributeName();
      const text = process.env[envName(o)];
      if (text === undefined || action.getOptionValueSource(key) === 'cli') continue;
      const v = text.trim().toLowerCase();
      if (!TRUE.includes(v) && !FALSE.includes(v))
        throw new UserError(`${envName(o)}: expected 1, true, yes, on or 0, false, no, off (like ${o.long}), got "${text}"`);
      // a negated switch (--no-color) set means its value false
      if (TRUE.includes(v)) action.setOptionValueWithSource(key, !o.negate, 'env');
    }
  });
  return cmd;
}

/**
 * Removes every option variable of `commands` from this process's environment once they are read,
 * so the processes a run starts (the embedded `evbench serve`) do not take settings meant for this
 * one or for another server: EVBENCH_USERS exported for `evbench serve` in this shell would
 * otherwise give the embedded server a permission directory its clients have no tokens for.
 */
export function forgetOptionVariables(commands: Command[], extra: readonly string[] = []): void {
  for (const name of [...commands.flatMap((c) => c.options.filter((o) => o.long).map(envName)), ...extra]) delete process.env[name];
}

/**
 * A UserError about `--flag` whose value came from the environment, reworded to name the variable
 * (`--rate 0.01: …` → `EVBENCH_RATE=0.01 (--rate): …`); other messages unchanged.
 */
export function nameEnvSource(cmd: Command | undefined, message: string): string {
  if (!cmd) return message;
  return message.replace(/^(--[a-z][a-z0-9-]*)(?: ([^\s:]+))?(?=:)/, (whole, flag: string, value: string | undefined) => {
    const o = cmd.options.find((x) => x.long === flag);
    if (!o || !o.envVar || cmd.getOptionValueSource(o.attributeName()) !== 'env') return whole;
    return `${o.envVar}${value === undefined ? '' : `=${value}`} (${flag})`;
  });
}

/**
 * An option that takes a value, given none: last on the line, or followed by another of the
 * command's options (`--target --rate 10`, as an empty shell variable leaves it). Commander would
 * take the next option as the value or complain about "too many arguments"; this names the flag.
 */
export function missingOptionValue(program: Command, argv: string[]): string | undefined {
  let cmd = program;
  const known = (c: Command, token: string): boolean =>
    token === '--' || [c, program].some((x) => x.options.some((o) => o.long === token || o.short === token || o.long === `--no-${token}`));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return undefined;
    if (!token.startsWith('-')) {
      const sub = cmd.commands.find((c) => c.name() === token || c.aliases().includes(token));
      if (sub) cmd = sub;
      continue;
    }
    const o = [cmd, program].flatMap((c) => c.options).find((x) => x.long === token || x.short === token);
    if (!o || !o.required) continue;
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('-') && known(cmd, next.split('=')[0]!))) {
      const name = cmd === program ? 'evbench' : `evbench ${cmd.name()}`;
      return `${o.long ?? o.short} needs a value (${o.flags})${next === undefined ? '' : `, got the option ${next} instead`}: see ${name} --help`;
    }
    i++;
  }
  return undefined;
}
