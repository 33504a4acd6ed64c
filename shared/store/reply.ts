import type { Bytes } from "./bytes.js";
import type { StoreError } from "./errors.js";

/** A status reply such as `OK` or `QUEUED` (RESP simple string). */
export class Status {
  constructor(readonly text: string) {}
}

/** The `OK` status. */
export const OK: Status = new Status("OK");

/**
 * A command's reply, shaped as RESP2 replies are:
 * - `null`: nil (a missing value, or a nil array);
 * - `number`: an integer (a `bigint` only beyond ±2^53, e.g. INCRBY near the int64 limits);
 * - `string`: a bulk string, as {@link Bytes} (doubles are formatted bulk strings, as in RESP2);
 * - {@link Status}: a simple string such as `OK`;
 * - `Reply[]`: an array (HGETALL and WITHSCORES are flat, as in RESP2);
 * - {@link StoreError}: an error inside an array (only in EXEC results).
 */
export type Reply = null | number | bigint | Bytes | Status | StoreError | readonly Reply[];

/** Formats a double the way Redis replies with one (`inf`, `-inf`, shortest round-trip digits). */
export function formatDouble(n: number): Bytes {
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  if (Object.is(n, -0)) return "-0";
  return String(n);
}
