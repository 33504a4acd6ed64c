import type { Bytes } from "./bytes.js";
import { invalidExpire, notFloat, notInteger, StoreError } from "./errors.js";

/**
 * Argument parsing shared by every command, with Redis's rules (`string2ll`, `string2ld`).
 */

const INT_RE = /^(0|-?[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a signed 64-bit integer as Redis does (no spaces, no `+`, no leading zeros).
 * Returns a number when it is a safe integer, else a bigint. Throws NOT_INTEGER otherwise.
 */
export function parseInt64(arg: Bytes): number | bigint {
  const n = arg.length;
  if (n !== 0 && n < 16) {
    // Up to 15 characters (every TTL, count and index in practice): the digits read in one pass,
    // no regex call; the value stays below 10^15, exact as a number.
    const negative = arg.charCodeAt(0) === 0x2d;
    if (negative && n === 1) throw notInteger();
    let i = negative ? 1 : 0;
    const c = arg.charCodeAt(i);
    // "0" alone; no leading zero otherwise, and no "-0" (Redis's string2ll).
    if (c === 0x30) {
      if (n === 1) return 0;
      throw notInteger();
    }
    let v = 0;
    for (; i < n; i++) {
      const d = arg.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) throw notInteger();
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }
  if (n === 0 || n > 20 || !INT_RE.test(arg)) throw notInteger();
  const big = BigInt(arg);
  if (big < INT64_MIN || big > INT64_MAX) throw notInteger();
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/**
 * The latest deadline a key may have, in ms since the epoch: 2^53 - 1 (year 287,396). Deadlines
 * are kept as JavaScript numbers, exact only up to here; Redis takes any int64, but past this a
 * deadline would be stored rounded (PEXPIRETIME off, GT/LT comparing wrongly). Later ones are
 * refused as Redis refuses an int64 overflow: `ERR invalid expire time in '<command>' command`.
 */
export const MAX_DEADLINE_MS = Number.MAX_SAFE_INTEGER;

/** `at` as a number, or INVALID_EXPIRE for `command` when it is past {@link MAX_DEADLINE_MS}. */
export function checkedDeadline(at: bigint | number, command: string): number {
  if (at > MAX_DEADLINE_MS) throw invalidExpire(command);
  return Number(at);
}

/** Parses an integer that must fit a JS safe integer (indexes, counts, TTLs). Throws NOT_INTEGER. */
export function parseSafeInt(arg: Bytes): number {
  const n = parseInt64(arg);
  if (typeof n === "bigint") throw notInteger();
  return n;
}

/**
 * Parses a non-negative COUNT-style argument: NOT_INTEGER when not an integer, `ERR value is out
 * of range, must be positive` when negative, LIMIT when above `max`.
 */
export function parseCount(arg: Bytes, max = Number.MAX_SAFE_INTEGER): number {
  const n = parseSafeInt(arg);
  if (n < 0) throw new StoreError("NOT_INTEGER", "ERR value is out of range, must be positive");
  if (n > max) throw new StoreError("LIMIT", `ERR COUNT exceeds the maximum (${max})`);
  return n;
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)$/i;

/**
 * Parses a double as Redis does (`strtold`): decimal or exponent notation, `inf`/`-inf`/`+inf`.
 * NaN and trailing garbage are NOT_FLOAT.
 */
export function parseDouble(arg: Bytes): number {
  if (arg.length === 0 || !FLOAT_RE.test(arg)) throw notFloat();
  const lower = arg.toLowerCase();
  if (lower.endsWith("inf") || lower.endsWith("infinity")) {
    return lower.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const n = Number(arg);
  if (Number.isNaN(n)) throw notFloat();
  return n;
}

const CURSOR_RE = /^([+-]?)([0-9]*)$/;
const UINT64_MOD = 2n ** 64n;

/**
 * Parses a SCAN-family cursor (SCAN, HSCAN, SSCAN, ZSCAN) as Redis 7.0 does (`strtoul` in
 * `parseScanCursorOrReply`): an optional `+` or `-`, then decimal digits, leading zeros allowed;
 * a `-` wraps modulo 2^64 as C does; an empty string is 0. Spaces, other characters, a lone sign
 * and magnitudes above 2^64-1 are `ERR invalid cursor`.
 *
 * Returns the cursor's canonical decimal form: `"0"` (start a new scan) for "0", "+0", "-0",
 * "000" or ""; `"7"` for "007". Unlike Redis, whose cursor encodes a hash-table position so any
 * number resumes somewhere, our cursors are ids of parked live iterators (`CursorRegistry`): an
 * arbitrary number cannot resume anything, so callers answer an unknown or expired id with
 * `ERR invalid cursor` rather than inventing a position.
 */
export function parseScanCursor(arg: Bytes): string {
  const m = CURSOR_RE.exec(arg);
  if (m === null) throw new StoreError("INVALID_CURSOR");
  const sign = m[1] as string;
  const digits = m[2] as string;
  if (digits.length === 0) {
    // strtoul("") is 0 with nothing left over; "+" or "-" alone leaves the sign unparsed.
    if (sign !== "") throw new StoreError("INVALID_CURSOR");
    return "0";
  }
  const magnitude = BigInt(digits);
  if (magnitude >= UINT64_MOD) throw new StoreError("INVALID_CURSOR");
  return String(sign === "-" ? (UINT64_MOD - magnitude) % UINT64_MOD : magnitude);
}
