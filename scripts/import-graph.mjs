// @ts-check
// Folder-level import graph of src/: how many imports cross from one folder to another, which
// folder pairs they form, and the cycles between folders (type-only imports count). Usage: node scripts/import-graph.mjs [--json]
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
// Every cycle a depth-first walk closes, of any length (a ↔ b, and a → b → c → a), as test/architecture.test.ts finds them.
const next = new Map();
for (const k of edges.keys()) {
  const [a, b] = k.split(' → ');
  next.set(a, [...(next.get(a) ?? []), b]);
}
const cycles = [];
const state = new Map();
const visit = (n, path) => {
  if (state.get(n) === 'done') return;
  if (state.get(n) === 'visiting') return void cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
  state.set(n, 'visiting');
  for (const t of next.get(n) ?? []) visit(t, [...path, n]);
  state.set(n, 'done');
};
for (const n of next.keys()) visit(n, []);
const intoRunner = [...edges].filter(([k]) => k.endsWith('→ runner') && !/^cli /.test(k));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ crossing, pairs: Object.fromEntries(edges), cycles, intoRunner: Object.fromEntries(intoRunner) }, null, 2));
} else {
  console.log(`${crossing} cross-folder imports over ${edges.size} folder pairs; cycles: ${cycles.length ? cycles.join(', ') : 'none'}`);
  console.log(
    `imports of runner/ from outside cli/: ${intoRunner.reduce((a, [, n]) => a + n, 0)} (${intoRunner.map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'})`,
  );
}
