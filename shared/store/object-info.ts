import type { Bytes } from "./bytes.js";
import type { Value } from "./value.js";

/**
 * Introspection of stored values: the encoding name OBJECT ENCODING reports and the byte estimate
 * MEMORY USAGE reports. Both are estimates of our own representation, not Redis's.
 */

/** Longest string Redis stores as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_SIZE_LIMIT = 44;
const LONG_RE = /^-?(0|[1-9][0-9]*)$/;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/**
 * V8 heap bytes of a sequential one-byte string of `length` bytes (64-bit, no pointer
 * compression): a 16-byte header (map, hash, length) plus the bytes, rounded up to 8.
 */
export function stringHeapBytes(length: number): number {
  return Math.ceil((16 + length) / 8) * 8;
}

/** One `Map` entry: key, value and chain slots (3 × 8 bytes) plus its share of the bucket array. */
export const MAP_ENTRY_BYTES = 32;
/** A TTL: an entry in the `expires` map, the boxed deadline, and the expiry index's slot. */
export const TTL_ENTRY_BYTES = 96;
/** The object shell of a container (header, fields, inner table headers), beyond its elements. */
export const CONTAINER_SHELL_BYTES = 64;

/**
 * The encoding OBJECT ENCODING reports. Strings follow Redis's rule (`tryObjectEncoding`): a
 * decimal that fits a signed 64-bit integer in at most 20 bytes is `int`, up to 44 bytes `embstr`,
 * longer `raw`. Containers report their own structure's name, or their type when they name none.
 */
export function encodingOf(value: Value): string {
  if (typeof value === "string") {
    if (value.length <= 20 && LONG_RE.test(value)) {
      const n = BigInt(value);
      if (n >= LONG_MIN && n <= LONG_MAX) return "int";
    }
    return value.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
  }
  return value.encoding ?? value.type;
}

/**
 * Estimated bytes held by `key` and its value (MEMORY USAGE): the key string, the value (a string's
 * bytes, or a container's `memoryBytes()` plus its shell), the keyspace entry, and the TTL if any.
 */
export function memoryUsage(key: Bytes, value: Value, hasTtl: boolean): number {
  const valueBytes =
    typeof value === "string" ? stringHeapBytes(value.length) : CONTAINER_SHELL_BYTES + value.memoryBytes();
  return stringHeapBytes(key.length) + valueBytes + MAP_ENTRY_BYTES + (hasTtl ? TTL_ENTRY_BYTES : 0);
}
