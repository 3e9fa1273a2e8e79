// Backpressure: /proc/net/tcp read right, and owed bytes held by the server seen from a real stalled reader.
import { describe, expect, it } from 'vitest';
import { parseProcNetTcp } from '../../src/runner/pushback.js';

const SAMPLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:9B71 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22148 1 000000005539ff52 100 0 0 10 0
   3: 0100007F:8E3D 0100007F:AECA 01 003F0000:00000000 03:0000097E 00000000     0        0 0 3 0000000012a65f68
   4: 0100007F:AECA 0100007F:8E3D 01 00000000:00200000 03:0000097E 00000000     0        0 0 3 0000000012a65f68
`;
const SAMPLE6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350 01 00000010:00000020 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('keys each socket by local:remote port, queues in bytes (hex in the file)', () => {
    const q = parseProcNetTcp(SAMPLE);
    expect(q.get(`${0x8e3d}:${0xaeca}`)).toEqual({ tx: 0x3f0000, rx: 0 });
    expect(q.get(`${0xaeca}:${0x8e3d}`)).toEqual({ tx: 0, rx: 0x200000 });
    expect(q.get(`${0x9b71}:0`)).toEqual({ tx: 0, rx: 0 });
    expect(q.size).toBe(3);
  });

  it('reads IPv6 lines and skips the header and garbage', () => {
    const q = parseProcNetTcp(SAMPLE6 + 'garbage line\n\n   7: zz\n');
    expect(q.get(`${0x1f90}:${0xc350}`)).toEqual({ tx: 16, rx: 32 });
    expect(q.size).toBe(1);
  });
});
