// The import direction stays true: no folder but cli/ and bench/ reaches into runner/, the server
// imports only protocol/, util/ and the clock, and no two files of src/ import each other in a cycle.
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

describe('import direction', () => {
  const graph = imports();

  it('only cli/ and bench/ import runner/', () => {
    const offenders = [...graph].flatMap(([f, ts]) =>
      ts
        .filter((t) => folderOf(t) === 'runner' && !['runner', 'cli', 'bench'].includes(folderOf(f)))
        .map((t) => `${relative(src, f)} → ${relative(src, t)}`),
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

  it('no file-level import cycles at run time (type-only imports are erased)', () => {
    const runtime = imports(true);
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'visiting')
        return void cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' → '));
      state.set(f, 'visiting');
      for (const t of runtime.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of runtime.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('sees the imports at all (the check itself works)', () => {
    expect(graph.get(join(src, 'runner/run.ts'))).toContain(join(src, 'runner/runState.ts'));
    expect(graph.size).toBeGreaterThan(100);
  });
});
