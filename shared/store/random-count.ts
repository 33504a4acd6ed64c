import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";
import { parseInt64 } from "./parse.js";

/**
 * The count argument of HRANDFIELD, SRANDMEMBER (and ZRANDMEMBER): a positive count asks for
 * distinct elements, a negative one for that many draws with repeats.
 */

/** Most draws one negative-count call may return (a reply is built in memory at once). */
export const MAX_RANDOM_REPEATS = 16_777_216;

const LONG_MAX_HALF = 4_611_686_018_427_387_903n;

/**
 * Parses the count within ±(2^63 − 1) as Redis does. Counts beyond JS's safe integers are
 * clamped (a positive one already exceeds any collection; a negative one exceeds
 * {@link MAX_RANDOM_REPEATS}). With `withValues`, Redis also refuses counts beyond ±(2^62 − 1).
 */
export function parseRandomCount(arg: Bytes): number | bigint {
  const n = parseInt64(arg);
  if (n === -(2n ** 63n)) {
    throw new StoreError(
      "NOT_INTEGER",
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  return n;
}

/** The WITHVALUES / WITHSCORES range check (`ERR value is out of range`), then the count as a safe number. */
export function randomCount(raw: number | bigint, withValues: boolean): number {
  if (typeof raw === "number") return raw;
  if (withValues && (raw > LONG_MAX_HALF || raw < -LONG_MAX_HALF)) {
    throw new StoreError("NOT_INTEGER", "ERR value is out of range");
  }
  return raw > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
}

/** Refuses a negative count whose reply would exceed {@link MAX_RANDOM_REPEATS} draws. */
export function checkRepeats(draws: number): void {
  if (draws > MAX_RANDOM_REPEATS) {
    throw new StoreError("LIMIT", `ERR count exceeds the maximum (${MAX_RANDOM_REPEATS})`);
  }
}
