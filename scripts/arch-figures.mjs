// @ts-check
// How the tree is built, in figures to compare two checkouts by: folder cycles (every elementary cycle
// between folders of src/), import circles between files (all imports, and the ones left at run time),
// imports that run upward against docs/architecture.md's layers, files over 300 lines, the longest
// functions (measured with the TypeScript compiler API). Usage: node scripts/arch-figures.mjs [ROOT]
// (ROOT: a checkout with src/ and node_modules/; default this one). Prints JSON.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const src = join(root, 'src');
const ts = createRequire(join(root, 'package.json'))('typescript');
const files = [];
(function walk(d) {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
})(src);
const folder = (f) => relative(src, dirname(f)).split('/')[0] || '.';
const importsOf = (f, runtime) =>
  [...readFileSync(f, 'utf8').matchAll(/^(import type |import |export type |export )[^'"]*from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)]
    .filter((m) => !(runtime && /type $/.test(m[1])))
    .map((m) => resolve(dirname(f), m[2]).replace(/\.js$/, '.ts'));

// Tarjan SCCs
function sccs(nodes, next) {
  let i = 0;
  const idx = new Map(),
    low = new Map(),
    on = new Set(),
    st = [],
    out = [];
  const strong = (v) => {
    idx.set(v, i);
    low.set(v, i);
    i++;
    st.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do {
        w = st.pop();
        on.delete(w);
        c.push(w);
      } while (w !== v);
      out.push(c);
    }
  };
  for (const v of nodes) if (!idx.has(v)) strong(v);
  return out.filter((c) => c.length > 1 || next(c[0]).includes(c[0]));
}
// elementary cycles, brute force from each start (the smallest node of the cycle), capped
function simpleCycles(nodes, next, cap = 100000) {
  const order = new Map([...nodes].map((n, k) => [n, k]));
  let count = 0;
  for (const s of nodes) {
    const onPath = new Set([s]);
    const dfs = (v) => {
      for (const w of next(v)) {
        if (count >= cap) return;
        if (w === s) count++;
        else if (order.get(w) > order.get(s) && !onPath.has(w)) {
          onPath.add(w);
          dfs(w);
          onPath.delete(w);
        }
      }
    };
    dfs(s);
  }
  return count;
}

const fileGraph = (runtime) => new Map(files.map((f) => [f, importsOf(f, runtime).filter((t) => files.includes(t))]));
const folderEdges = new Map();
for (const [f, ts_] of fileGraph(false))
  for (const t of ts_)
    if (folder(f) !== folder(t)) {
      const k = `${folder(f)} → ${folder(t)}`;
      folderEdges.set(k, (folderEdges.get(k) ?? 0) + 1);
    }
const folders = [...new Set(files.map(folder))];
const fnext = (a) => [...folderEdges.keys()].filter((k) => k.startsWith(`${a} → `)).map((k) => k.split(' → ')[1]);
const folderSccs = sccs(folders, fnext);

// layers of docs/architecture.md's picture (higher imports lower); the old folders where their roles sit now
const RANK = {
  cli: 7,
  bench: 7,
  dashboard: 6,
  runner: 5,
  reports: 5,
  server: 5,
  verdict: 4,
  analysis: 4,
  thresholds: 4,
  measurement: 3,
  record: 2,
  records: 2,
  scenario: 1,
  util: 0,
  protocol: 0,
  '.': 0,
};
const upward = [...folderEdges].filter(([k]) => {
  const [a, b] = k.split(' → ');
  return RANK[b] > RANK[a];
});
const sideways = [...folderEdges].filter(([k]) => {
  const [a, b] = k.split(' → ');
  return RANK[b] === RANK[a];
});

const out = { root, files: files.length, lines: files.reduce((a, f) => a + readFileSync(f, 'utf8').split('\n').length - 1, 0) };
out.folderCyclesElementary = simpleCycles(folders, fnext);
out.folderSccs = folderSccs.map((c) => c.join(' ↔ '));
for (const runtime of [false, true]) {
  const g = fileGraph(runtime);
  const cs = sccs(files, (f) => g.get(f));
  out[runtime ? 'fileCirclesRuntime' : 'fileCirclesAllImports'] = {
    knots: cs.length,
    elementaryCycles: simpleCycles(files, (f) => g.get(f)),
    members: cs.map((c) =>
      c
        .map((f) => relative(src, f))
        .sort()
        .join(' ↔ '),
    ),
  };
}
out.upward = upward.map(([k, n]) => `${k} ×${n}`);
out.upwardImports = upward.reduce((a, [, n]) => a + n, 0);
out.sideways = sideways.map(([k, n]) => `${k} ×${n}`);
/** Lines as wc -l counts them. */
const lineCount = (f) => readFileSync(f, 'utf8').split('\n').length - 1;
out.over300 = files
  .filter((f) => lineCount(f) > 300)
  .sort((a, b) => lineCount(b) - lineCount(a))
  .map((f) => `${relative(src, f)} ${lineCount(f)}`);
// longest functions
const fns = [];
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line,
        b = sf.getLineAndCharacterOfPosition(n.end).line;
      const name =
        n.name?.getText(sf) ??
        (ts.isVariableDeclaration(n.parent)
          ? n.parent.name.getText(sf)
          : ts.isPropertyAssignment(n.parent)
            ? n.parent.name.getText(sf)
            : '(anonymous)');
      fns.push([b - a + 1, `${relative(src, f)}:${a + 1} ${name}`]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
fns.sort((a, b) => b[0] - a[0]);
out.longestFunctions = fns.slice(0, 5).map(([n, w]) => `${n} lines: ${w}`);
out.functionsOver100 = fns.filter(([n]) => n > 100).length;
console.log(JSON.stringify(out, null, 2));
