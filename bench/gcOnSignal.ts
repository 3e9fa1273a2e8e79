// Preloaded into the server of the connections benchmark's marginal measurement
// (`node --expose-gc --import dist-bench/bench/gcOnSignal.js …`): on SIGUSR2 it runs two full GCs, then
// writes how many times it has done so to gcAckFile(its pid), so the benchmark reads VmRSS with the
// connect storms' garbage collected. It does nothing until signalled.
import { writeFileSync } from 'node:fs';
import { gcAckFile } from './procStats.js';

const gc = (globalThis as { gc?: () => void }).gc;
let collections = 0;
if (gc) {
  process.on('SIGUSR2', () => {
    // twice: the first frees what weak callbacks then release
    gc();
    gc();
    writeFileSync(gcAckFile(process.pid), String(++collections));
  });
}
