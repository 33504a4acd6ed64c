import type { Bytes } from "./bytes.js";
import type { Limits } from "./command.js";
import { StoreError } from "./errors.js";
import { parseInt64 } from "./parse.js";
import { checkReplyLength } from "./reply-limit.js";

/**
 * The count argument of HRANDFIELD, SRANDMEMBER (and ZRANDMEMBER): a positive count asks for
 * distinct elements, a negative one for that many draws with repeats.
 */

const LONG_MAX_HALF = 4_611_686_018_427_387_903n;

/**
 * Parses the count within ±(2^63 − 1) as Redis does. Counts beyond JS's safe integers are
 * clamped (a positive one already exceeds any collection; a negative one exceeds any reply
 * {@link checkRepeats} lets through). With `withValues`, Redis also refuses counts beyond ±(2^62 − 1).
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

/**
 * Refuses a negative count whose draws (two reply elements each with `withValues`) would pass the
 * reply limit (reply-limit.ts), before drawing anything: no data bounds these draws, so the check
 * cannot wait for the reply. Redis has no bound here (7.0 runs `ZRANDMEMBER z -9223372036854775807`
 * until memory runs out).
 */
export function checkRepeats(limits: Limits, draws: number, withValues: boolean): void {
  checkReplyLength(limits, withValues ? draws * 2 : draws);
}
