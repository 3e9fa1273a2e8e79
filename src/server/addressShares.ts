// Open sockets per peer address, so one address cannot hold every connection slot: a socket over
// its address's share is kept only to be told 429 (it takes no slot meanwhile), and beyond twice
// the share it is dropped at once. Websockets count for as long as their socket is open. An IPv6
// peer is its /64 (one host commonly holds a whole /64), an IPv4 peer its address.
import { isIPv6, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { defaultConnectionsPerAddress, type ServerOptions } from './options.js';

/** What to do with a new socket: serve it, keep it only to refuse it (429), or drop it now. */
export type AddressAdmission = 'within' | 'over' | 'drop';

export class ConnectionsByAddress {
  private readonly held = new Map<string, number>();
  private readonly addressOf = new WeakMap<Duplex, string>();
  private readonly over = new WeakSet<Duplex>();

  constructor(
    private readonly options: Pick<ServerOptions, 'maxConnections' | 'maxConnectionsPerAddress'>,
    private readonly hardFactor: number,
  ) {}

  /** Counts a new socket against its address's share and says what to do with it. */
  admit(socket: Socket): AddressAdmission {
    const address = peerOf(socket);
    const held = this.held.get(address) ?? 0;
    const share = this.shareOf(address);
    if (held >= this.hardFactor * share) return 'drop';
    this.held.set(address, held + 1);
    this.addressOf.set(socket, address);
    countedBy.set(socket, this);
    socket.on('close', socketClosed);
    if (held < share) return 'within';
    this.over.add(socket);
    return 'over';
  }

  /** Whether this socket came over its address's share (and is to be refused). */
  isOver(socket: Duplex): boolean {
    return this.over.has(socket);
  }

  /** The flag when given, else a quarter of --max-connections beyond loopback and no share on loopback. */
  private shareOf(address: string): number {
    const o = this.options;
    return o.maxConnectionsPerAddress ?? (isLoopbackAddress(address) ? Infinity : defaultConnectionsPerAddress(o.maxConnections));
  }

  /** The socket closed: its address holds one fewer. */
  release(socket: Duplex): void {
    const address = this.addressOf.get(socket);
    if (address === undefined) return;
    this.addressOf.delete(socket);
    const left = (this.held.get(address) ?? 1) - 1;
    if (left > 0) this.held.set(address, left);
    else this.held.delete(address);
  }
}

/** Who counts each socket, for the one 'close' listener all sockets share (`this` is the socket). */
const countedBy = new WeakMap<Duplex, ConnectionsByAddress>();
function socketClosed(this: Duplex): void {
  countedBy.get(this)?.release(this);
}

/** The peer a socket counts against: its IPv4 address, or its IPv6 /64 (`2001:db8:0:1::/64`). */
export function peerOf(socket: Socket): string {
  return peerKey(socket.remoteAddress ?? '');
}

export function peerKey(address: string): string {
  if (!isIPv6(address) || address === '::1' || /^::ffff:\d/i.test(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Whether a peer address is this machine (127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6). */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
