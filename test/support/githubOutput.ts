// Reads a GITHUB_OUTPUT file the way the runner does: `name=value` lines and `name<<DELIMITER`
// blocks; a later value of a name replaces an earlier one.
import { existsSync, readFileSync } from 'node:fs';

export function readGithubOutput(file: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: ${name} has no closing ${delimiter}`);
      out.set(name!, value.join('\n'));
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: not an output line: ${line}`);
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
