/**
 * Request fields -> command arguments (byte strings), and the edge validation the Redis syntax
 * cannot express (required oneofs, enums in range).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type Bytes, bytesFromArray, bytesFromUtf8 } from "../store/bytes.js";
import { formatDouble } from "../store/reply.js";

/** A key (UTF-8 text) as bytes. */
export const key = (text: string): Bytes => bytesFromUtf8(text);

/** Keys as bytes. */
export const keys = (texts: readonly string[]): Bytes[] => texts.map(bytesFromUtf8);

/** A binary value, element, field or member as bytes. */
export const bin = (array: Uint8Array): Bytes => bytesFromArray(array);

/** Binary values as bytes. */
export const bins = (arrays: readonly Uint8Array[]): Bytes[] => arrays.map(bytesFromArray);

/** An integer argument (ASCII digits are already bytes). */
export const int = (n: bigint | number): Bytes => String(n);

/** A float argument, as Redis spells it (`inf`, `-inf`; NaN stays `NaN`, which the store rejects). */
export const float = (n: number): Bytes => formatDouble(n);

/**
 * A blocking command's timeout in seconds as its argument: the number's shortest decimal form
 * (JS's), which Redis's timeout parser reads back exactly; NaN, negatives and infinities reach
 * the store and fail with Redis's own errors.
 */
export const seconds = (n: number): Bytes => String(n);

/** An INVALID_ARGUMENT error raised at the edge, before any command runs. */
export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** The cursor of a SCAN-family request: empty means a new scan (`0`). */
export const cursorArg = (cursor: string): Bytes => (cursor === "" ? "0" : bytesFromUtf8(cursor));

/** `[MATCH pattern] [COUNT count]` of the SCAN family. */
export function scanOptions(match: Bytes | undefined, count: number): Bytes[] {
  const out: Bytes[] = [];
  if (match !== undefined) out.push("MATCH", match);
  if (count !== 0) out.push("COUNT", int(count));
  return out;
}

/**
 * Picks the Redis token for an enum value, throwing INVALID_ARGUMENT for a value outside the
 * table (an unspecified value where one is required, or a number this API version does not know).
 */
export function token<E extends number>(value: E, table: Partial<Record<E, Bytes>>, field: string): Bytes {
  const t = table[value];
  if (t === undefined) throw invalidArgument(`${field}: invalid value ${value}`);
  return t;
}

/** Throws INVALID_ARGUMENT unless a boolean oneof member (`keep_ttl`, `persist`, `unbounded`) is true. */
export function requireTrue(value: boolean, field: string): void {
  if (!value) throw invalidArgument(`${field} must be true when set`);
}

/** Throws INVALID_ARGUMENT when a required message or oneof is missing. */
export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw invalidArgument(`${field} is required`);
  return value;
}
