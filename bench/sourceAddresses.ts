// Past ~28,000 connections to one server port, a single source address runs out of local ports
// (ip_local_port_range). The runner has no option to choose its clients' source address, so the
// connections benchmark preloads (node --require, which also runs in worker threads) a small CommonJS
// module that gives every loopback net.connect / net.createConnection without a localAddress the next
// address of a list in 127.0.0.0/8 (round robin, each thread starting at its own offset). Linux
// routes all of 127.0.0.0/8 to lo, so no setup is needed. A proper runner option would replace this.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PRELOAD = `'use strict';
// written by evbench's bench (bench/sourceAddresses.ts): spread loopback connects over source addresses
const net = require('node:net');
const { threadId } = require('node:worker_threads');
const addresses = __ADDRESSES__;
let next = threadId;
const loopback = (host) => host === undefined || host === 'localhost' || /^127\\./.test(String(host));
const wrap = (original) =>
  function (...args) {
    const o = args[0];
    if (o && typeof o === 'object' && !o.path && o.localAddress === undefined && loopback(o.host)) {
      args[0] = { ...o, localAddress: addresses[next++ % addresses.length] };
    }
    return original.apply(this, args);
  };
net.connect = wrap(net.connect);
net.createConnection = wrap(net.createConnection);
require('node:module').syncBuiltinESMExports();
`;

/** Writes the preload for `addresses` and returns its path (for `node --require PATH`). */
export function sourceAddressPreload(addresses: string[]): string {
  for (const a of addresses) if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) throw new Error(`not a loopback IPv4 address: ${a}`);
  const dir = join(tmpdir(), 'evbench-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `source-addresses-${process.pid}-${addresses.length}.cjs`);
  writeFileSync(path, PRELOAD.replace('__ADDRESSES__', JSON.stringify(addresses)));
  return path;
}
