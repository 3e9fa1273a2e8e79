// @ts-check
// Compares two V8 heap snapshots of one process (e.g. a server at 0 and at N connections, from
// scripts/server-connection-memory.mjs --snapshots DIR): self size and count aggregated by node type
// and constructor name, the difference divided by N, largest first. Usage:
//   node scripts/heap-by-constructor.mjs BEFORE.heapsnapshot AFTER.heapsnapshot N [rows=40]
import { readFileSync } from 'node:fs';

const [beforeFile, afterFile, nText, rowsText] = process.argv.slice(2);
const n = Number(nText);
const rows = Number(rowsText ?? 40);

/** type:name → [count, self bytes] over every node of a snapshot. */
function aggregate(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const byKey = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    let name = snap.strings[nodes[i + nameAt]];
    // strings and code are many small distinct names: one row per type
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'code' || type === 'number') name = '';
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const row = byKey.get(key) ?? [0, 0];
    row[0]++;
    row[1] += nodes[i + sizeAt];
    byKey.set(key, row);
  }
  return byKey;
}

const before = aggregate(beforeFile);
const after = aggregate(afterFile);
const diff = [];
for (const [key, [count, bytes]] of after) {
  const [c0, b0] = before.get(key) ?? [0, 0];
  diff.push({ key, count: (count - c0) / n, bytes: (bytes - b0) / n });
}
diff.sort((a, b) => b.bytes - a.bytes);
const total = diff.reduce((s, d) => s + d.bytes, 0);
process.stdout.write(`self size per connection, all types: ${total.toFixed(0)} B (N = ${n})\n`);
process.stdout.write(`${'bytes/conn'.padStart(10)} ${'objs/conn'.padStart(9)}  type:constructor\n`);
for (const d of diff.slice(0, rows)) {
  process.stdout.write(`${d.bytes.toFixed(1).padStart(10)} ${d.count.toFixed(2).padStart(9)}  ${d.key}\n`);
}
