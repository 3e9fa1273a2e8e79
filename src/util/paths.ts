// Where evbench's own files live, from source (vitest) or from dist/ alike: workers and child
// processes always run the compiled JavaScript under dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'evbench'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`evbench package root not found above ${start}`);
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const cliEntry = join(packageRoot, 'dist', 'cli', 'main.js');
export const scenariosDir = join(packageRoot, 'scenarios');

/** Absolute path of a compiled module under dist/, e.g. distFile('runner/clientWorker.js'). */
export function distFile(relative: string): string {
  return join(packageRoot, 'dist', relative);
}
