import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { genericError, StoreError, syntaxError, wrongArity, wrongType } from "./errors.js";
import { parseScanCursor } from "./parse.js";
import { checkRepeats, parseRandomCount, randomCount } from "./random-count.js";
import { formatDouble, type Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { parseElementScanOptions, scanElements } from "./scan-elements.js";
import { zsetAlgebraCommands } from "./t-zset-algebra.js";
import { parseLexRange, parseLong, parseScore, parseScoreRange } from "./zset-parse.js";
import { gteMin, lexGteMin, lexLteMax, lteMax, ZSetValue } from "./zset-value.js";

/**
 * The sorted-set commands (redis t_zset.c): ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT,
 * ZLEXCOUNT, ZRANK, ZREVRANK, the ZRANGE family and ZRANGESTORE, the ZREMRANGEBY* trio, ZPOPMIN,
 * ZPOPMAX, ZRANDMEMBER and ZSCAN. Set algebra (ZUNIONSTORE, …) lives in t-zset-algebra.ts.
 */

/** The sorted set at `key`, or undefined; WRONGTYPE when it holds another type. */
export function lookupZSet(ctx: CommandContext, key: Bytes): ZSetValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined) return undefined;
  if (typeof value === "string" || value.type !== "zset") throw wrongType();
  return value as ZSetValue;
}

/** A new, empty sorted set whose skip list is seeded from the command's random source. */
export function newZSet(ctx: CommandContext): ZSetValue {
  return new ZSetValue(Math.floor(ctx.random() * 0x1_0000_0000));
}

/** Removes `key` when its sorted set became empty, with the `del` event. True when removed. */
export function removeIfEmpty(ctx: CommandContext, key: Bytes, zset: ZSetValue): boolean {
  if (zset.size > 0) return false;
  ctx.db.remove(key);
  ctx.notify("generic", "del", key);
  return true;
}

/* ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
 * ZINCRBY key increment member */
function zaddGeneric(ctx: CommandContext, argv: readonly Bytes[], incrCommand: boolean): Reply {
  const key = argv[1] as Bytes;
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCommand;
  let i = 2;
  for (; i < argv.length; i++) {
    const opt = (argv[i] as Bytes).toLowerCase();
    if (opt === "nx") nx = true;
    else if (opt === "xx") xx = true;
    else if (opt === "ch") ch = true;
    else if (opt === "incr") incr = true;
    else if (opt === "gt") gt = true;
    else if (opt === "lt") lt = true;
    else break;
  }
  const rest = argv.length - i;
  if (rest === 0 || rest % 2 !== 0) throw syntaxError();
  if (nx && xx) throw genericError("XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw genericError("GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && rest > 2) throw genericError("INCR option supports a single increment-element pair");
  // Every score is parsed before anything changes: the command runs fully or not at all.
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 2) scores.push(parseScore(argv[j] as Bytes));

  let zset = lookupZSet(ctx, key);
  let created = false;
  if (zset === undefined) {
    if (xx) return incr ? null : 0;
    zset = newZSet(ctx);
    created = true;
  }
  const flags = { nx, xx, gt, lt, incr };
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  for (let p = 0; p < scores.length; p++) {
    const outcome = zset.add(argv[i + 2 * p + 1] as Bytes, scores[p] as number, flags);
    if (outcome.kind === "nan") throw new StoreError("NAN");
    if (outcome.kind === "nop") continue;
    processed++;
    if (outcome.kind === "added") added++;
    else if (outcome.kind === "updated") updated++;
    score = outcome.score;
  }
  if (created && zset.size > 0) ctx.db.put(key, zset);
  else if (added + updated > 0) ctx.db.touch(key);
  if (added + updated > 0) ctx.notify("zset", incr ? "zincr" : "zadd", key);
  if (incr) return processed > 0 ? formatDouble(score) : null;
  return ch ? added + updated : added;
}

/* ZREM key member [member ...] */
function zrem(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const zset = lookupZSet(ctx, key);
  if (zset === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < argv.length && zset.size > 0; i++) if (zset.remove(argv[i] as Bytes)) deleted++;
  if (deleted > 0) {
    ctx.notify("zset", "zrem", key);
    if (!removeIfEmpty(ctx, key, zset)) ctx.db.touch(key);
  }
  return deleted;
}

/* ZSCORE key member */
function zscore(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const score = lookupZSet(ctx, argv[1] as Bytes)?.score(argv[2] as Bytes);
  return score === undefined ? null : formatDouble(score);
}

/* ZMSCORE key member [member ...] */
function zmscore(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const zset = lookupZSet(ctx, argv[1] as Bytes);
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as Bytes);
    out.push(score === undefined ? null : formatDouble(score));
  }
  return out;
}

/* ZCARD key */
function zcard(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupZSet(ctx, argv[1] as Bytes)?.size ?? 0;
}

/* ZCOUNT key min max */
function zcount(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const range = parseScoreRange(argv[2] as Bytes, argv[3] as Bytes);
  const zset = lookupZSet(ctx, argv[1] as Bytes);
  if (zset === undefined) return 0;
  const first = zset.firstInScoreRange(range);
  const last = first && zset.lastInScoreRange(range);
  return first && last ? last.rank - first.rank + 1 : 0;
}

/* ZLEXCOUNT key min max */
function zlexcount(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const range = parseLexRange(argv[2] as Bytes, argv[3] as Bytes);
  const zset = lookupZSet(ctx, argv[1] as Bytes);
  if (zset === undefined) return 0;
  const first = zset.firstInLexRange(range);
  const last = first && zset.lastInLexRange(range);
  return first && last ? last.rank - first.rank + 1 : 0;
}

/* ZRANK key member [WITHSCORE]
 * ZREVRANK key member [WITHSCORE] */
function zrankGeneric(ctx: CommandContext, argv: readonly Bytes[], reverse: boolean): Reply {
  if (argv.length > 4) throw wrongArity(argv[0] as Bytes);
  let withScore = false;
  if (argv.length === 4) {
    if ((argv[3] as Bytes).toLowerCase() !== "withscore") throw syntaxError();
    withScore = true;
  }
  const zset = lookupZSet(ctx, argv[1] as Bytes);
  if (zset === undefined) return null;
  const member = argv[2] as Bytes;
  const rank = zset.rank(member, reverse);
  if (rank < 0) return null;
  return withScore ? [rank, formatDouble(zset.score(member) as number)] : rank;
}

/** Which index ZRANGE interprets its bounds as. */
type RangeType = "auto" | "rank" | "score" | "lex";
/** ZRANGE's direction; "auto" until REV is seen. */
type Direction = "auto" | "forward" | "reverse";

/**
 * The ZRANGE family and ZRANGESTORE (redis `zrangeGenericCommand`). `at` is the index of the
 * source key; `dst` is ZRANGESTORE's destination (null for a reply).
 */
function zrangeGeneric(
  ctx: CommandContext,
  argv: readonly Bytes[],
  at: number,
  dst: Bytes | null,
  type: RangeType,
  direction: Direction,
): Reply {
  const store = dst !== null;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const opt = (argv[j] as Bytes).toLowerCase();
    const left = argv.length - j - 1;
    if (!store && opt === "withscores") withScores = true;
    else if (opt === "limit" && left >= 2) {
      offset = parseLong(argv[j + 1] as Bytes);
      limit = parseLong(argv[j + 2] as Bytes);
      j += 2;
    } else if (direction === "auto" && opt === "rev") direction = "reverse";
    else if (type === "auto" && opt === "bylex") type = "lex";
    else if (type === "auto" && opt === "byscore") type = "score";
    else throw syntaxError();
  }
  const reverse = direction === "reverse";
  const kind = type === "auto" ? "rank" : type;
  // Redis checks `limit != -1`: an explicit `LIMIT x -1` with a rank range passes.
  if (limit !== -1 && kind === "rank") {
    throw genericError("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withScores && kind === "lex") {
    throw genericError("syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  // Reverse score and lex ranges are given as max, min.
  const minArg = argv[reverse && kind !== "rank" ? at + 2 : at + 1] as Bytes;
  const maxArg = argv[reverse && kind !== "rank" ? at + 1 : at + 2] as Bytes;
  let collect: (zset: ZSetValue) => [Bytes, number][];
  if (kind === "rank") {
    const start = parseLong(minArg);
    const end = parseLong(maxArg);
    collect = (zset) => rangeByRank(zset, start, end, reverse);
  } else if (kind === "score") {
    const range = parseScoreRange(minArg, maxArg);
    collect = (zset) =>
      rangeByBounds(
        zset,
        reverse ? zset.lastInScoreRange(range) : zset.firstInScoreRange(range),
        (score) => (reverse ? gteMin(score, range) : lteMax(score, range)),
        () => true,
        offset,
        limit,
        reverse,
      );
  } else {
    const range = parseLexRange(minArg, maxArg);
    collect = (zset) =>
      rangeByBounds(
        zset,
        reverse ? zset.lastInLexRange(range) : zset.firstInLexRange(range),
        () => true,
        (member) => (reverse ? lexGteMin(member, range) : lexLteMax(member, range)),
        offset,
        limit,
        reverse,
      );
  }

  const zset = lookupZSet(ctx, argv[at] as Bytes);
  const items = zset === undefined ? [] : collect(zset);
  if (dst !== null) return storeRange(ctx, dst, items);
  const out: Reply[] = [];
  for (const [member, score] of items) {
    out.push(member);
    if (withScores) out.push(formatDouble(score));
  }
  return out;
}

/** Members and scores of ranks start..stop (negative from the end), as ZRANGE by index. */
function rangeByRank(zset: ZSetValue, start: number, stop: number, reverse: boolean): [Bytes, number][] {
  const n = zset.size;
  let s = start < 0 ? n + start : start;
  let e = stop < 0 ? n + stop : stop;
  if (s < 0) s = 0;
  if (s > e || s >= n) return [];
  if (e >= n) e = n - 1;
  const out: [Bytes, number][] = [];
  let node = zset.at(reverse ? n - 1 - s : s);
  for (let k = e - s + 1; k > 0 && node; k--) {
    out.push([node.member, node.score]);
    node = reverse ? node.backward : node.next;
  }
  return out;
}

/**
 * Walks from the first node inside a score or lex range (`from`, the last one when `reverse`),
 * skipping `offset` nodes and taking up to `limit` (negative: all) while the far bound holds.
 */
function rangeByBounds(
  zset: ZSetValue,
  from: { node: { member: Bytes; score: number }; rank: number } | null,
  scoreOk: (score: number) => boolean,
  memberOk: (member: Bytes) => boolean,
  offset: number,
  limit: number,
  reverse: boolean,
): [Bytes, number][] {
  // A negative offset walks off the end in Redis: nothing is returned.
  if (from === null || offset < 0 || (offset > 0 && offset >= zset.size)) return [];
  const startRank = reverse ? from.rank - offset : from.rank + offset;
  let node = zset.at(startRank - 1);
  const out: [Bytes, number][] = [];
  for (let left = limit; node && left !== 0; left--) {
    if (!scoreOk(node.score) || !memberOk(node.member)) break;
    out.push([node.member, node.score]);
    node = reverse ? node.backward : node.next;
  }
  return out;
}

/** ZRANGESTORE's result: stores `items` at `dst` (or deletes it when empty); replies the count. */
function storeRange(ctx: CommandContext, dst: Bytes, items: readonly [Bytes, number][]): Reply {
  if (items.length === 0) {
    if (ctx.db.remove(dst)) ctx.notify("generic", "del", dst);
    return 0;
  }
  const out = newZSet(ctx);
  for (const [member, score] of items) out.set(member, score);
  ctx.db.put(dst, out);
  ctx.notify("zset", "zrangestore", dst);
  return items.length;
}

/* ZREMRANGEBYRANK key start stop
 * ZREMRANGEBYSCORE key min max
 * ZREMRANGEBYLEX key min max */
function zremrangeGeneric(ctx: CommandContext, argv: readonly Bytes[], kind: "rank" | "score" | "lex"): Reply {
  const key = argv[1] as Bytes;
  const a = argv[2] as Bytes;
  const b = argv[3] as Bytes;
  let bounds: (zset: ZSetValue) => [number, number] | null;
  if (kind === "rank") {
    const start = parseLong(a);
    const stop = parseLong(b);
    bounds = (zset) => {
      const n = zset.size;
      let s = start < 0 ? n + start : start;
      const e = stop < 0 ? n + stop : stop;
      if (s < 0) s = 0;
      if (s > e || s >= n) return null;
      return [s, Math.min(e, n - 1)];
    };
  } else if (kind === "score") {
    const range = parseScoreRange(a, b);
    bounds = (zset) => {
      const first = zset.firstInScoreRange(range);
      const last = first && zset.lastInScoreRange(range);
      return first && last ? [first.rank - 1, last.rank - 1] : null;
    };
  } else {
    const range = parseLexRange(a, b);
    bounds = (zset) => {
      const first = zset.firstInLexRange(range);
      const last = first && zset.lastInLexRange(range);
      return first && last ? [first.rank - 1, last.rank - 1] : null;
    };
  }
  const zset = lookupZSet(ctx, key);
  if (zset === undefined) return 0;
  const span = bounds(zset);
  if (span === null) return 0;
  const deleted = zset.removeRankRange(span[0], span[1]);
  if (deleted > 0) {
    ctx.notify("zset", `zremrangeby${kind}`, key);
    if (!removeIfEmpty(ctx, key, zset)) ctx.db.touch(key);
  }
  return deleted;
}

/* ZPOPMIN key [count]
 * ZPOPMAX key [count] */
function zpopGeneric(ctx: CommandContext, argv: readonly Bytes[], max: boolean): Reply {
  if (argv.length > 3) throw syntaxError();
  let count = 1;
  if (argv.length === 3) {
    // getPositiveLongFromObjectOrReply: one message for a non-integer and a negative count.
    const outOfRange = () => new StoreError("NOT_INTEGER", "ERR value is out of range, must be positive");
    try {
      count = parseLong(argv[2] as Bytes);
    } catch {
      throw outOfRange();
    }
    if (count < 0) throw outOfRange();
  }
  const key = argv[1] as Bytes;
  const zset = lookupZSet(ctx, key);
  if (zset === undefined || count === 0) return [];
  checkReplyLength(ctx.limits, 2 * Math.min(count, zset.size)); // member and score, before removing
  const out: Reply[] = [];
  for (let k = Math.min(count, zset.size); k > 0; k--) {
    const node = (max ? zset.ordered.last : zset.ordered.first) as NonNullable<typeof zset.ordered.first>;
    zset.remove(node.member);
    out.push(node.member, formatDouble(node.score));
  }
  ctx.notify("zset", max ? "zpopmax" : "zpopmin", key);
  if (!removeIfEmpty(ctx, key, zset)) ctx.db.touch(key);
  return out;
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
function zrandmember(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  if (argv.length === 2) {
    const zset = lookupZSet(ctx, key);
    if (zset === undefined) return null;
    return (zset.at(Math.floor(ctx.random() * zset.size)) as NonNullable<ReturnType<typeof zset.at>>).member;
  }
  // The count's range, then the syntax, then WITHSCORES's narrower range: HRANDFIELD's order.
  const raw = parseRandomCount(argv[2] as Bytes);
  if (argv.length > 4 || (argv.length === 4 && (argv[3] as Bytes).toLowerCase() !== "withscores")) {
    throw syntaxError();
  }
  const withScores = argv.length === 4;
  const l = randomCount(raw, withScores);
  const zset = lookupZSet(ctx, key);
  if (zset === undefined || l === 0) return [];
  const size = zset.size;
  const out: Reply[] = [];
  const emit = (member: Bytes, score: number): void => {
    out.push(member);
    if (withScores) out.push(formatDouble(score));
  };
  const pick = () => zset.at(Math.floor(ctx.random() * size)) as NonNullable<ReturnType<typeof zset.at>>;
  // Negative count (or 1): independent draws, repeats allowed.
  if (l < 0 || l === 1) {
    const count = Math.abs(l);
    checkRepeats(ctx.limits, count, withScores);
    for (let k = 0; k < count; k++) {
      const node = pick();
      emit(node.member, node.score);
    }
    return out;
  }
  // The whole set, highest first (Redis iterates sorted sets backward here).
  if (l >= size) {
    for (let node = zset.ordered.last; node; node = node.backward) emit(node.member, node.score);
    return out;
  }
  // Close to the whole set: drop random members from a copy (no retry loop).
  if (l * 3 > size) {
    const members = [...zset.ordered].map((n) => [n.member, n.score] as const);
    while (members.length > l) {
      const i = Math.floor(ctx.random() * members.length);
      members[i] = members[members.length - 1] as (typeof members)[number];
      members.pop();
    }
    for (const [member, score] of members) emit(member, score);
    return out;
  }
  // Far fewer than the set: draw until `l` distinct members were seen.
  const seen = new Set<Bytes>();
  while (seen.size < l) {
    const node = pick();
    if (seen.has(node.member)) continue;
    seen.add(node.member);
    emit(node.member, node.score);
  }
  return out;
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
function zscan(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  // Parsed before the key is looked at, as Redis does: a bad cursor errs even on a missing key.
  const cursor = parseScanCursor(argv[2] as Bytes);
  const zset = lookupZSet(ctx, key);
  if (zset === undefined) return ["0", []];
  const options = parseElementScanOptions(ctx, argv, 3);
  const [next, items] = scanElements(
    ctx,
    key,
    cursor,
    zset.size,
    () => zset.entries(),
    (entry) => entry[0],
    (entry, out) => {
      out.push(entry[0], formatDouble(entry[1]));
    },
    options,
  );
  return [next, items];
}

const RANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const REMRANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
const POP_COMPLEXITY =
  "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";

/** Key spec and group of the commands whose only key is argv[1]. */
const ONE_KEY = oneKey("sorted-set");

/** The sorted-set commands. */
export const zsetCommands: CommandSpec[] = [
  {
    name: "ZADD",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
    syntax: "ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
    handler: (ctx, argv) => zaddGeneric(ctx, argv, false),
  },
  {
    name: "ZINCRBY",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N)) where N is the number of elements in the sorted set.",
    summary: "Increments the score of a member in a sorted set.",
    syntax: "ZINCRBY key increment member",
    handler: (ctx, argv) => zaddGeneric(ctx, argv, true),
  },
  {
    name: "ZREM",
    arity: -3,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity:
      "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
    summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
    syntax: "ZREM key member [member ...]",
    handler: zrem,
  },
  {
    name: "ZSCORE",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Returns the score of a member in a sorted set.",
    syntax: "ZSCORE key member",
    handler: zscore,
  },
  {
    name: "ZMSCORE",
    arity: -3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of members being requested.",
    summary: "Returns the score of one or more members in a sorted set.",
    syntax: "ZMSCORE key member [member ...]",
    handler: zmscore,
  },
  {
    name: "ZCARD",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Returns the number of members in a sorted set.",
    syntax: "ZCARD key",
    handler: zcard,
  },
  {
    name: "ZCOUNT",
    arity: 4,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Returns the count of members in a sorted set that have scores within a range.",
    syntax: "ZCOUNT key min max",
    handler: zcount,
  },
  {
    name: "ZLEXCOUNT",
    arity: 4,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Returns the number of members in a sorted set within a lexicographical range.",
    syntax: "ZLEXCOUNT key min max",
    handler: zlexcount,
  },
  {
    name: "ZRANK",
    arity: -3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N))",
    summary: "Returns the index of a member in a sorted set ordered by ascending scores.",
    syntax: "ZRANK key member [WITHSCORE]",
    handler: (ctx, argv) => zrankGeneric(ctx, argv, false),
  },
  {
    name: "ZREVRANK",
    arity: -3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(log(N))",
    summary: "Returns the index of a member in a sorted set ordered by descending scores.",
    syntax: "ZREVRANK key member [WITHSCORE]",
    handler: (ctx, argv) => zrankGeneric(ctx, argv, true),
  },
  {
    name: "ZRANGE",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    summary: "Returns members in a sorted set within a range of indexes.",
    syntax: "ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "auto", "auto"),
  },
  {
    name: "ZRANGESTORE",
    arity: -5,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "sorted-set",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
    summary: "Stores a range of members from sorted set in a key.",
    syntax: "ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 2, argv[1] as Bytes, "auto", "auto"),
  },
  {
    name: "ZREVRANGE",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    summary: "Returns members in a sorted set within a range of indexes in reverse order.",
    syntax: "ZREVRANGE key start stop [WITHSCORES]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "rank", "reverse"),
  },
  {
    name: "ZRANGEBYSCORE",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: RANGE_COMPLEXITY,
    summary: "Returns members in a sorted set within a range of scores.",
    syntax: "ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "score", "forward"),
  },
  {
    name: "ZREVRANGEBYSCORE",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: RANGE_COMPLEXITY,
    summary: "Returns members in a sorted set within a range of scores in reverse order.",
    syntax: "ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "score", "reverse"),
  },
  {
    name: "ZRANGEBYLEX",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: RANGE_COMPLEXITY,
    summary: "Returns members in a sorted set within a lexicographical range.",
    syntax: "ZRANGEBYLEX key min max [LIMIT offset count]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "lex", "forward"),
  },
  {
    name: "ZREVRANGEBYLEX",
    arity: -4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: RANGE_COMPLEXITY,
    summary: "Returns members in a sorted set within a lexicographical range in reverse order.",
    syntax: "ZREVRANGEBYLEX key max min [LIMIT offset count]",
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, "lex", "reverse"),
  },
  {
    name: "ZREMRANGEBYRANK",
    arity: 4,
    flags: ["write"],
    ...ONE_KEY,
    complexity: REMRANGE_COMPLEXITY,
    summary:
      "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
    syntax: "ZREMRANGEBYRANK key start stop",
    handler: (ctx, argv) => zremrangeGeneric(ctx, argv, "rank"),
  },
  {
    name: "ZREMRANGEBYSCORE",
    arity: 4,
    flags: ["write"],
    ...ONE_KEY,
    complexity: REMRANGE_COMPLEXITY,
    summary:
      "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
    syntax: "ZREMRANGEBYSCORE key min max",
    handler: (ctx, argv) => zremrangeGeneric(ctx, argv, "score"),
  },
  {
    name: "ZREMRANGEBYLEX",
    arity: 4,
    flags: ["write"],
    ...ONE_KEY,
    complexity: REMRANGE_COMPLEXITY,
    summary:
      "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
    syntax: "ZREMRANGEBYLEX key min max",
    handler: (ctx, argv) => zremrangeGeneric(ctx, argv, "lex"),
  },
  {
    name: "ZPOPMIN",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: POP_COMPLEXITY,
    summary:
      "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    syntax: "ZPOPMIN key [count]",
    handler: (ctx, argv) => zpopGeneric(ctx, argv, false),
  },
  {
    name: "ZPOPMAX",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: POP_COMPLEXITY,
    summary:
      "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    syntax: "ZPOPMAX key [count]",
    handler: (ctx, argv) => zpopGeneric(ctx, argv, true),
  },
  {
    name: "ZRANDMEMBER",
    arity: -2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of members returned",
    summary: "Returns one or more random members from a sorted set.",
    syntax: "ZRANDMEMBER key [count [WITHSCORES]]",
    handler: zrandmember,
  },
  {
    name: "ZSCAN",
    arity: -3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    summary: "Iterates over members and scores of a sorted set.",
    syntax: "ZSCAN key cursor [MATCH pattern] [COUNT count]",
    handler: zscan,
  },
  ...zsetAlgebraCommands,
];
