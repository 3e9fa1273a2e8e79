// Tick series (one 32-bit value every 10 ms of a run) as they travel in a run record: the values
// little-endian, deflated, base64. A record read back is untrusted: decoding is capped at the
// length the run can have (record/tickSeries.ts reads every series of a record with it), so a
// crafted series cannot inflate into gigabytes.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Tick spacing of every series in a record. */
export const TICK_US = 10_000;
/** A tick at which no tracked client was owed anything. */
export const NO_CLIENT = 0xffffffff;

export function encodeTicks(values: Uint32Array): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeUInt32LE(values[i]!, i * 4);
  return deflateRawSync(bytes).toString('base64');
}

/** The series, or undefined when the text is not one (bad base64, bad deflate, longer than `maxTicks`). */
export function decodeTicks(text: string, maxTicks: number): Uint32Array | undefined {
  if (typeof text !== 'string') return undefined;
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(Buffer.from(text, 'base64'), { maxOutputLength: Math.max(4, maxTicks * 4) });
  } catch {
    return undefined;
  }
  if (bytes.length % 4 !== 0) return undefined;
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}
