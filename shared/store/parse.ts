import type { Bytes } from "./bytes.js";
import { notFloat, notInteger, StoreError } from "./errors.js";

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
  if (arg.length === 0 || arg.length > 20 || !INT_RE.test(arg)) throw notInteger();
  if (arg.length < 16) return Number(arg);
  const big = BigInt(arg);
  if (big < INT64_MIN || big > INT64_MAX) throw notInteger();
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
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
