// The import direction stays true: no folder but cli/ reaches into runner/, nothing in src/ reaches
// out of it (the benchmarks in bench/ import the product, never the other way round), the server
// imports only protocol/, util/ and the clock, the run record imports nothing it does not carry, no
// two folders of src/ import each other in a cycle (type-only imports count), and no two files do
// at run time.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(new URL(import.meta.url).pathname), '../src');

function sourceFiles(dir = src): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of every file, resolved to the .ts file it names; `runtime` leaves out `import type` (erased when compiled). */
function imports(runtime = false): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of sourceFiles()) {
    const targets = [...readFileSync(f, 'utf8').matchAll(/^(import type |import |export )[^'"]*from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)]
      .filter((m) => !(runtime && m[1] === 'import type '))
      .map((m) => resolve(dirname(f), m[2]!).replace(/\.js$/, '.ts'));
    graph.set(f, targets);
  }
  return graph;
}

const folderOf = (f: string): string => relative(src, f).split('/').slice(0, -1)[0] ?? '.';

/** Every cycle a depth-first walk of `edges` closes, each as `a → b → … → a`. */
function cycles(edges: Map<string, Iterable<string>>, name: (n: string) => string = (n) => n): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const found: string[] = [];
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') return void found.push([...path.slice(path.indexOf(n)), n].map(name).join(' → '));
    state.set(n, 'visiting');
    for (const t of edges.get(n) ?? []) visit(t, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n, []);
  return found;
}

/** Folder → the other folders its files import, type-only imports included (`.` is src/ itself: clock.ts). */
function folderGraph(graph: Map<string, string[]>): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [f, ts] of graph) {
    const from = folders.get(folderOf(f)) ?? folders.set(folderOf(f), new Set()).get(folderOf(f))!;
    for (const t of ts) if (folderOf(t) !== folderOf(f)) from.add(folderOf(t));
  }
  return folders;
}

describe('import direction', () => {
  const graph = imports();

  it('only cli/ imports runner/', () => {
    const offenders = [...graph].flatMap(([f, ts]) =>
      ts
        .filter((t) => folderOf(t) === 'runner' && !['runner', 'cli'].includes(folderOf(f)))
        .map((t) => `${relative(src, f)} → ${relative(src, t)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('nothing in src/ imports from outside it (bench/, scripts/ and test/ are not the product)', () => {
    const offenders = [...graph].flatMap(([f, ts]) =>
      ts.filter((t) => relative(src, t).startsWith('..')).map((t) => `${relative(src, f)} → ${relative(src, t)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('server/ imports only protocol/, util/ and the clock', () => {
    const offenders = [...graph].flatMap(([f, ts]) =>
      folderOf(f) === 'server'
        ? ts
            .filter((t) => !['server', 'protocol', 'util'].includes(folderOf(t)) && relative(src, t) !== 'clock.ts')
            .map((t) => `${relative(src, f)} → ${relative(src, t)}`)
        : [],
    );
    expect(offenders).toEqual([]);
  });

  it('record/ imports only the scenario it carries and util/: not measurement/, verdict/ or runner/, not even types', () => {
    const offenders = [...graph].flatMap(([f, ts]) =>
      folderOf(f) === 'record'
        ? ts.filter((t) => !['record', 'scenario', 'util'].includes(folderOf(t))).map((t) => `${relative(src, f)} → ${relative(src, t)}`)
        : [],
    );
    expect(offenders).toEqual([]);
  });

  it('no import cycles between folders of src/ (type-only imports count)', () => {
    expect(cycles(folderGraph(graph))).toEqual([]);
  });

  it('no file-level import cycles at run time (type-only imports are erased)', () => {
    expect(cycles(imports(true), (p) => relative(src, p))).toEqual([]);
  });

  it('sees the imports at all (the check itself works)', () => {
    expect(graph.get(join(src, 'runner/run.ts'))).toContain(join(src, 'runner/runState.ts'));
    expect(graph.size).toBeGreaterThan(100);
    // type-only imports are in the folder graph: measurement/ reaches record/ only through `import type`
    expect(folderGraph(graph).get('measurement')).toContain('record');
    expect(folderGraph(imports(true)).get('measurement') ?? new Set()).not.toContain('record');
  });

  it('finds a cycle through three folders, and none where the imports run one way', () => {
    const g = (pairs: [string, string][]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const [a, b] of pairs) m.set(a, [...(m.get(a) ?? []), b]);
      return m;
    };
    expect(
      cycles(
        g([
          ['scenario', 'verdict'],
          ['verdict', 'record'],
          ['record', 'scenario'],
        ]),
      ),
    ).toEqual(['scenario → verdict → record → scenario']);
    expect(
      cycles(
        g([
          ['cli', 'verdict'],
          ['verdict', 'record'],
          ['cli', 'record'],
          ['record', 'scenario'],
        ]),
      ),
    ).toEqual([]);
  });
});

/** Test folders with no folder of src/ to mirror: the GitHub Action (action.yml), the benchmarks (bench/), the shared helpers. */
const OUTSIDE_SRC = ['action', 'bench', 'support'];

/**
 * The files of test/ (paths relative to it, code only: .ts and .mjs) that sit where a reader would
 * not look: a test file in a folder src/ does not have, a helper anywhere but test/support/.
 */
function misplacedInTest(files: string[], srcFolders: Set<string>): string[] {
  return files.filter((f) => {
    const dir = dirname(f);
    const isTest = f.endsWith('.test.ts');
    if (dir === '.') return !isTest; // a test of the whole tree (architecture.test.ts)
    const top = dir.split('/')[0]!;
    if (top === 'support') return isTest;
    if (!isTest) return true;
    return !OUTSIDE_SRC.includes(top) && !srcFolders.has(dir);
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('test/ mirrors src/', () => {
  const testRoot = dirname(new URL(import.meta.url).pathname);
  const srcFolders = new Set(
    walk(src)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => dirname(relative(src, f))),
  );

  it('every test file sits in the folder of what it tests, every helper in test/support/', () => {
    const files = walk(testRoot)
      .map((f) => relative(testRoot, f))
      .filter((f) => /\.(ts|mjs)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    expect(misplacedInTest(files, srcFolders)).toEqual([]);
  });

  it('names a test in a folder src/ lacks, a helper beside the tests and a test among the helpers; passes the rest', () => {
    const folders = new Set(['runner', 'runner/adapters', 'server']);
    expect(
      misplacedInTest(
        [
          'architecture.test.ts',
          'runner/adapters/mqtt.e2e.test.ts',
          'server/fanOut.test.ts',
          'bench/smoke.test.ts',
          'support/referenceServer.ts',
          'support/attacker.mjs',
          'dashboard/liveRecord.test.ts',
          'server/helpers.ts',
          'support/stray.test.ts',
          'runner/adapters/helper.mjs',
          'helpers.ts',
        ],
        folders,
      ),
    ).toEqual(['dashboard/liveRecord.test.ts', 'server/helpers.ts', 'support/stray.test.ts', 'runner/adapters/helper.mjs', 'helpers.ts']);
  });
});
