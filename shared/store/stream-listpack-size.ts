import type { Bytes } from "./bytes.js";

/**
 * The byte size Redis's listpack would give a stream node (listpack.c), so our blocks split where
 * Redis's nodes split: a new node starts when `bytes + new field/value bytes >= 4096` or at 100
 * entries (`stream-node-max-bytes`, `stream-node-max-entries`). Approximate trimming (`~`)
 * removes whole nodes only, so matching node boundaries is what makes `XTRIM … ~` and
 * `XINFO STREAM`'s node count answer as Redis does.
 */

/** A new listpack's header (6) and end byte (1). */
export const LP_EMPTY_BYTES = 7;
/** Redis's `stream-node-max-bytes` default. */
export const NODE_MAX_BYTES = 4096;
/** Redis's `stream-node-max-entries` default. */
export const NODE_MAX_ENTRIES = 100;

/** Bytes of the back-length that follows an element whose encoding takes `l` bytes. */
function backlen(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Encoded bytes of an int64 (`lpEncodeIntegerGetType`). */
function intEncoded(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes of an integer element, back-length included. */
export function lpIntBytes(v: number | bigint): number {
  const e = intEncoded(v);
  return e + backlen(e);
}

const INT_RE = /^(0|-?[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Bytes of a string element (`lpEncodeGetType`: a canonical int64 is stored as an integer). */
export function lpStringBytes(s: Bytes): number {
  if (s.length > 0 && s.length < 21 && INT_RE.test(s)) {
    const v = s.length < 16 ? Number(s) : BigInt(s);
    if (typeof v === "number" || (v >= INT64_MIN && v <= INT64_MAX)) return lpIntBytes(v);
  }
  const n = s.length;
  const e = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return e + backlen(e);
}

/** Bytes of a node's master entry: count, deleted, num-fields, the fields, the 0 terminator. */
export function masterEntryBytes(fields: readonly Bytes[]): number {
  let n = 2 + 2 + lpIntBytes(fields.length) + 2;
  for (const f of fields) n += lpStringBytes(f);
  return n;
}

/**
 * Bytes of one entry: flags, ms and seq deltas to the master ID, [num-fields, fields], values,
 * lp-count. `fieldValues` is the flat field/value list.
 */
export function entryBytes(
  msDelta: number | bigint,
  seqDelta: number | bigint,
  fieldValues: readonly Bytes[],
  sameFields: boolean,
): number {
  const numFields = fieldValues.length >> 1;
  let n = 2 + lpIntBytes(msDelta) + lpIntBytes(seqDelta);
  let lpCount = numFields + 3;
  if (!sameFields) {
    n += lpIntBytes(numFields);
    lpCount += numFields + 1;
  }
  for (let i = 0; i < fieldValues.length; i += 2) {
    if (!sameFields) n += lpStringBytes(fieldValues[i] as Bytes);
    n += lpStringBytes(fieldValues[i + 1] as Bytes);
  }
  return n + lpIntBytes(lpCount);
}
