/**
 * A spread sample of a format-2 snapshot's keys, read before the load: the keyspace lays out its
 * tables from it (`LocalKeyspace.reserve`), so the load does not reorganise them as it goes.
 *
 * Why spread: a snapshot lists its keys lane by lane of the table that wrote it, so the keys at
 * its start are alike (one lane's) and tell nothing of the rest. The sample reads a few frames at
 * each of many offsets across the file: a few small reads, not a second pass over it.
 */
import { readSync } from "node:fs";
import type { Bytes } from "../../shared/store/bytes.js";
import { isValueType } from "../../shared/store/value-codec.js";
import { frameCrc } from "./frame-crc.js";
import { FRAME_HEADER_BYTES, SYNC } from "./frames.js";

/** Offsets the sample reads at (fewer in a small file: one per {@link WINDOW} bytes at most). */
const POSITIONS = 8192;
/** Keys taken at each offset: the frames after one offset hold keys of one lane, so a few only. */
const PER_POSITION = 4;
/** Bytes read at each offset. */
const WINDOW = 2048;

const u32 = (b: Buffer, i: number): number =>
  (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0;

/**
 * Up to {@link POSITIONS} × {@link PER_POSITION} keys of the snapshot open as `fd` (`size`
 * bytes, frames from `start`), taken from frames spread evenly over the file. Only a layout hint:
 * a frame counts when its marker and header CRC check (so a marker-like run of value bytes is not
 * taken for a frame); its payload is not verified (the load does that), a key that does not fit
 * the read is skipped, and damage only makes the sample smaller.
 */
export function sampleSnapshotKeys(fd: number, size: number, start: number): Bytes[] {
  const keys: Bytes[] = [];
  const span = size - start;
  if (span <= 0) return keys;
  const positions = Math.max(1, Math.min(POSITIONS, Math.floor(span / WINDOW)));
  const buf = Buffer.allocUnsafe(WINDOW);
  for (let p = 0; p < positions; p++) {
    const at = start + Math.floor((span * p) / positions);
    const n = readSync(fd, buf, 0, Math.min(WINDOW, size - at), at);
    let taken = 0;
    let i = 0;
    while (taken < PER_POSITION && i + FRAME_HEADER_BYTES <= n) {
      if (u32(buf, i) !== SYNC || u32(buf, i + 12) !== frameCrc(buf, i, i + 12)) {
        i++; // resynchronise: the offset fell inside a frame
        continue;
      }
      const payload = i + FRAME_HEADER_BYTES;
      const end = payload + u32(buf, i + 4);
      // A put: `type | u32 length | key | …`; deletes, FLUSH and END carry no key to lay out.
      if (payload + 5 <= n && isValueType(buf[payload] as number)) {
        const keyEnd = payload + 5 + u32(buf, payload + 1);
        if (keyEnd <= Math.min(n, end)) {
          keys.push(buf.toString("latin1", payload + 5, keyEnd));
          taken++;
        }
      }
      if (end > n) break;
      i = end;
    }
  }
  return keys;
}
