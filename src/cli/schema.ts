// `evbench schema` and `evbench version`: what an editor and a bug report need from the command line.
import type { Command } from 'commander';
import { scenarioSchemaText } from '../scenario/schema.js';
import { packageVersion } from './conventions.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (the built-in scenarios point their $schema at it)')
    .addHelpText(
      'after',
      '\nExamples:\n  evbench schema > scenario.schema.json   # then "$schema": "./scenario.schema.json" in your scenario\n',
    )
    .action(() => {
      process.stdout.write(scenarioSchemaText());
    });
}

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the version (also --version)')
    .action(() => {
      process.stdout.write(`${packageVersion()}\n`);
    });
}
