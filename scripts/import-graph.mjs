// Folder-level import graph of src/: how many imports cross from one folder to another, which
// folder pairs they form, and the cycles between folders. Usage: node scripts/import-graph.mjs [--json]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
})(src);
const folder = (file) => relative(src, dirname(file)).split('/')[0] || '.';
const edges = new Map();
let crossing = 0;
for (const f of files) {
  for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = resolve(dirname(f), m[1]);
    const a = folder(f);
    const b = folder(target);
    if (a === b) continue;
    crossing++;
    edges.set(`${a} → ${b}`, (edges.get(`${a} → ${b}`) ?? 0) + 1);
  }
}
const pairs = [...edges.keys()].map((k) => k.split(' → '));
const cycles = pairs.filter(([a, b]) => a < b && edges.has(`${b} → ${a}`)).map(([a, b]) => `${a} ↔ ${b}`);
const intoRunner = [...edges].filter(([k]) => k.endsWith('→ runner') && !/^(cli|bench) /.test(k));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ crossing, pairs: Object.fromEntries(edges), cycles, intoRunner: Object.fromEntries(intoRunner) }, null, 2));
} else {
  console.log(`${crossing} cross-folder imports over ${edges.size} folder pairs; cycles: ${cycles.length ? cycles.join(', ') : 'none'}`);
  console.log(
    `imports of runner/ from outside cli/ and bench/: ${intoRunner.reduce((a, [, n]) => a + n, 0)} (${intoRunner.map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'})`,
  );
}
