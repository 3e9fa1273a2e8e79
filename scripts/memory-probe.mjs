// @ts-check
// Preloaded into a server (`node --expose-gc --import scripts/memory-probe.mjs …`) by
// server-connection-memory.mjs: on SIGUSR2 it appends one JSON line to $MEMORY_PROBE_OUT with the
// process's resident memory (/proc status and smaps_rollup) and V8's view (memoryUsage, heap
// spaces), read as is and again after a full GC (unless $MEMORY_PROBE_GC is 0), and writes a heap snapshot when
// $MEMORY_PROBE_SNAPSHOTS names a directory.
import { appendFileSync, readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { join } from 'node:path';

const out = process.env.MEMORY_PROBE_OUT;
const snapshots = process.env.MEMORY_PROBE_SNAPSHOTS;
let seq = 0;

function procKiB(file) {
  const kib = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)) kib[m[1]] = Number(m[2]);
  return kib;
}

/** Resident bytes of the mappings named `name` in /proc/self/smaps. */
function mappingRss(name) {
  let rss = 0;
  let inside = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.trimEnd().endsWith(name);
    else if (inside && line.startsWith('Rss:')) rss += Number(/(\d+)/.exec(line)[1]) * 1024;
  }
  return rss;
}

function reading() {
  const status = procKiB('/proc/self/status');
  const rollup = procKiB('/proc/self/smaps_rollup');
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size };
  return {
    vmRss: status.VmRSS * 1024,
    // malloc's main arena (native memory: libuv handles, socket wraps, read buffers)
    brkHeap: mappingRss('[heap]'),
    rssAnon: status.RssAnon * 1024,
    rssFile: status.RssFile * 1024,
    anonymous: rollup.Anonymous * 1024,
    memory: process.memoryUsage(),
    spaces,
  };
}

if (out) {
  process.on('SIGUSR2', () => {
    const n = seq++;
    const asIs = reading();
    // MEMORY_PROBE_GC=0 leaves the heap as it is, so later readings are not changed by this one
    let afterGc;
    if (process.env.MEMORY_PROBE_GC !== '0') {
      // twice: the first full GC frees what weak callbacks then release
      globalThis.gc?.();
      globalThis.gc?.();
      afterGc = reading();
    }
    let snapshot;
    if (snapshots) snapshot = v8.writeHeapSnapshot(join(snapshots, `server-${process.pid}-${n}.heapsnapshot`));
    appendFileSync(out, `${JSON.stringify({ seq: n, asIs, afterGc, snapshot })}\n`);
  });
}
