/**
 * How large a reply may be. A client chooses the size of many replies with a few bytes of request
 * (`SRANDMEMBER s -100000`, `MGET k k k …` of one large value, `LRANGE l 0 -1` of a long list, the
 * union of large sets), and every element then costs the host far more than it costs the store
 * (an API reply element is a message of its own). So an array reply holds at most
 * `maxReplyElements` elements (1,000,000 by default: the big replies Redis users make — HGETALL
 * of a 500,000-field hash — pass, a count of 2^31 does not) and at most `maxReplyBytes` bytes of
 * bulk strings; past either, the command fails with LIMIT (RESOURCE_EXHAUSTED) and a message that
 * says how to ask for less. Redis has no such bound (its output buffer grows until the client
 * reads it or the process runs out of memory); SECURITY.md lists the difference.
 *
 * Commands whose reply size is known before the work (a negative RANDMEMBER count: draws that no
 * data bounds) check it first with {@link checkReplyLength}, and so do the commands that write
 * and reply an array (SPOP, LPOP/RPOP, LMPOP, ZPOPMIN/ZPOPMAX with a count), which must refuse
 * before they remove anything. Every read-only command's array reply is measured by
 * {@link checkCommandReply} before it leaves the store, whatever produced it; inside a
 * transaction every reply is, since a refusal there rolls back.
 */
import type { CommandSpec, Limits } from "./command.js";
import { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";

/** LIMIT: a reply of `what` would pass `limit`. */
function replyTooLarge(what: string, limit: string): StoreError {
  return new StoreError(
    "LIMIT",
    `ERR reply too large: ${what} (${limit}); ask for less (a range, LIMIT or COUNT) or page with the SCAN family`,
  );
}

/** Throws LIMIT unless a reply of `elements` elements fits `maxReplyElements`. */
export function checkReplyLength(limits: Limits, elements: number): void {
  if (elements > limits.maxReplyElements) {
    throw replyTooLarge(`${elements} elements`, `max-reply-elements ${limits.maxReplyElements}`);
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

/**
 * {@link checkReply} for one command's reply outside a transaction: read-only commands only, as
 * a write has happened by now and must not be answered with an error (the writes that reply
 * arrays check their size before removing anything).
 */
export function checkCommandReply(spec: CommandSpec, reply: Reply, limits: Limits): Reply {
  return Array.isArray(reply) && spec.flags.includes("readonly") ? checkReply(reply, limits) : reply;
}

/**
 * Most member visits one sorted-set algebra command (ZUNION, ZINTER, ZDIFF, their STORE forms,
 * ZINTERCARD) may make: 2^24, about a second of one core. A request may name one large key
 * 100,000 times (`ZINTERSTORE d 100000 z z z …`), and with WEIGHTS or SUM each copy counts, so the
 * repeats cannot simply be dropped as they are for sets (t-set.ts). Redis has no bound here.
 */
export const MAX_ALGEBRA_VISITS = 16_777_216;

/** Throws LIMIT when `command` would visit more than {@link MAX_ALGEBRA_VISITS} members. */
export function checkAlgebraWork(command: string, visits: number): void {
  if (visits > MAX_ALGEBRA_VISITS) {
    throw new StoreError(
      "LIMIT",
      `ERR too much work: '${command}' would visit ${visits} members (max ${MAX_ALGEBRA_VISITS}); name each key once`,
    );
  }
}
