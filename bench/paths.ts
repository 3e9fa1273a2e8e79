// Where the benchmarks' own compiled files live: `tsc -p bench` writes them to dist-bench/bench/
// (with its own copy of the product modules they import, under dist-bench/src/), never into dist/,
// so nothing here ships in the npm package. The product's workers and `evbench serve` still run
// from dist/ (util/paths.ts distFile): build the product first, as `npm run bench` does.
import { join } from 'node:path';
import { packageRoot } from '../src/util/paths.js';

/** Absolute path of a compiled benchmark module or built binary, e.g. benchFile('leanClientWorker.js'). */
export function benchFile(relative: string): string {
  return join(packageRoot, 'dist-bench', 'bench', relative);
}
