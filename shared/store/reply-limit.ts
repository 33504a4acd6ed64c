/**
 * How large a reply may be. A client chooses the size of many replies with a few bytes of request
 * (`SRANDMEMBER s -100000`, `MGET k k k …` of one large value, `LRANGE l 0 -1` of a long list, the
 * union of large sets), and every element then costs the host far more than it costs the store
 * (an API reply element is a message of its own). So an array reply holds at most `maxArgs`
 * elements, the bound a request already has, and at most `maxReplyBytes` bytes of bulk strings;
 * past either, the command fails with LIMIT (RESOURCE_EXHAUSTED) and a message that says how to
 * ask for less. Redis has no such bound (its output buffer grows until the client reads it or the
 * process runs out of memory); SECURITY.md lists the difference.
 *
 * Commands whose reply size is known before the work (a negative RANDMEMBER count: draws that no
 * data bounds) check it first with {@link checkReplyLength}; every array reply is measured once
 * more by {@link checkReply} before it leaves the store, whatever produced it.
 */
import type { Limits } from "./command.js";
import { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";

/** LIMIT: a reply of `what` would pass `limit`. */
function replyTooLarge(what: string, limit: string): StoreError {
  return new StoreError(
    "LIMIT",
    `ERR reply too large: ${what} (${limit}); ask for less (a range, LIMIT or COUNT) or page with the SCAN family`,
  );
}

/** Throws LIMIT unless a reply of `elements` elements fits `maxArgs`. */
export function checkReplyLength(limits: Limits, elements: number): void {
  if (elements > limits.maxArgs) {
    throw replyTooLarge(`${elements} elements`, `max-args ${limits.maxArgs}`);
  }
}

/**
 * Returns `reply` when it fits the limits, else throws LIMIT. Only arrays are measured: a single
 * bulk string is bounded by `maxValueBytes` when it is stored. Elements of nested arrays count.
 */
export function checkReply(reply: Reply, limits: Limits): Reply {
  if (!Array.isArray(reply)) return reply;
  checkReplyLength(limits, reply.length);
  let elements = 0;
  let bytes = 0;
  const walk = (items: readonly Reply[]): void => {
    for (const item of items) {
      elements++;
      if (typeof item === "string") bytes += item.length;
      else if (Array.isArray(item)) walk(item);
    }
  };
  walk(reply);
  checkReplyLength(limits, elements);
  if (bytes > limits.maxReplyBytes) {
    throw replyTooLarge(`${bytes} bytes`, `max-reply-bytes ${limits.maxReplyBytes}`);
  }
  return reply;
}
