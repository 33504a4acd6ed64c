import { type BlockingSpec, parseBlockTimeout } from "./blocking.js";
import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { syntaxError } from "./errors.js";
import { formatDouble, type Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { numkeysKeys, parseMpop } from "./t-list.js";
import { lookupZSet, removeIfEmpty } from "./t-zset.js";
import type { ZSetValue } from "./zset-value.js";

/**
 * ZMPOP and the blocking sorted-set pops, BZPOPMIN, BZPOPMAX and BZMPOP (Redis 7.0's
 * `genericZpopCommand`, `blockingGenericZpopCommand`, `zmpopGenericCommand`). The blocking
 * handlers are the non-blocking forms (nil when they would block: inside MULTI); `blocking` is
 * how a caller allowed to wait is served (blocking.ts).
 */

/** Parses MIN or MAX (any case): true for MIN. Anything else is a syntax error. */
function parseMinMax(arg: Bytes): boolean {
  const word = arg.toLowerCase();
  if (word === "min") return true;
  if (word === "max") return false;
  throw syntaxError();
}

/** The sorted set at `key` when it can serve a blocked caller (another type keeps it waiting). */
function servableZSet(ctx: CommandContext, key: Bytes): ZSetValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined || typeof value === "string" || value.type !== "zset") return undefined;
  return value as ZSetValue;
}

/** Removes up to `count` lowest (min) or highest members: [member, score] pairs, with the events. */
function popPairs(ctx: CommandContext, key: Bytes, zset: ZSetValue, min: boolean, count: number): [Bytes, Bytes][] {
  const out: [Bytes, Bytes][] = [];
  for (let k = Math.min(count, zset.size); k > 0; k--) {
    const node = (min ? zset.ordered.first : zset.ordered.last) as NonNullable<typeof zset.ordered.first>;
    zset.remove(node.member);
    out.push([node.member, formatDouble(node.score)]);
  }
  ctx.notify("zset", min ? "zpopmin" : "zpopmax", key);
  if (!removeIfEmpty(ctx, key, zset)) ctx.db.touch(key);
  return out;
}

/** ZMPOP / BZMPOP's reply: `[key, [[member, score], …]]`. */
function popNested(ctx: CommandContext, key: Bytes, zset: ZSetValue, min: boolean, count: number): Reply {
  checkReplyLength(ctx.limits, 2 + 3 * Math.min(count, zset.size)); // before removing
  return [key, popPairs(ctx, key, zset, min, count)];
}

/** BZPOPMIN / BZPOPMAX's reply: `[key, member, score]`. */
function popFlat(ctx: CommandContext, key: Bytes, zset: ZSetValue, min: boolean): Reply {
  const [pair] = popPairs(ctx, key, zset, min, 1) as [[Bytes, Bytes]];
  return [key, pair[0], pair[1]];
}

/** The first existing key's sorted set (WRONGTYPE on the way, as Redis checks each existing key in order). */
function firstZSet(ctx: CommandContext, argv: readonly Bytes[], first: number, end: number) {
  for (let i = first; i < end; i++) {
    const key = argv[i] as Bytes;
    const zset = lookupZSet(ctx, key);
    if (zset !== undefined) return { key, zset };
  }
  return undefined;
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
function zmpop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const { first, end, head: min, count } = parseMpop(argv, 1, parseMinMax);
  const found = firstZSet(ctx, argv, first, end);
  return found === undefined ? null : popNested(ctx, found.key, found.zset, min, count);
}

/* BZPOPMIN/BZPOPMAX key [key ...] timeout */
function bzpop(ctx: CommandContext, argv: readonly Bytes[], min: boolean): Reply {
  parseBlockTimeout(argv[argv.length - 1] as Bytes, ctx.now); // the timeout is checked first
  const found = firstZSet(ctx, argv, 1, argv.length - 1);
  return found === undefined ? null : popFlat(ctx, found.key, found.zset, min);
}

function bzpopBlocking(min: boolean): BlockingSpec {
  return {
    wait: (argv, now) => ({
      keys: argv.slice(1, -1),
      deadline: parseBlockTimeout(argv[argv.length - 1] as Bytes, now),
    }),
    serveKeys: (key) => [key],
    serve(ctx, key) {
      const zset = servableZSet(ctx, key);
      return zset === undefined ? undefined : popFlat(ctx, key, zset, min);
    },
  };
}

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
function bzmpop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const { first, end, head: min, count } = parseMpop(argv, 2, parseMinMax); // before the timeout
  parseBlockTimeout(argv[1] as Bytes, ctx.now);
  const found = firstZSet(ctx, argv, first, end);
  return found === undefined ? null : popNested(ctx, found.key, found.zset, min, count);
}

const BZMPOP_BLOCKING: BlockingSpec = {
  wait(argv, now) {
    const { first, end } = parseMpop(argv, 2, parseMinMax);
    return { keys: argv.slice(first, end), deadline: parseBlockTimeout(argv[1] as Bytes, now) };
  },
  serveKeys: (key) => [key],
  serve(ctx, key, argv) {
    const zset = servableZSet(ctx, key);
    if (zset === undefined) return undefined;
    const { head: min, count } = parseMpop(argv, 2, parseMinMax);
    return popNested(ctx, key, zset, min, count);
  },
};

const BZPOP_COMPLEXITY = "O(log(N)) with N being the number of elements in the sorted set.";
const MPOP_COMPLEXITY =
  "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.";

/** ZMPOP, BZPOPMIN, BZPOPMAX and BZMPOP, as command table entries. */
export const zsetPopCommands: CommandSpec[] = [
  {
    name: "ZMPOP",
    arity: -4,
    flags: ["write"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    keys: (argv) => numkeysKeys(argv, 1),
    group: "sorted-set",
    complexity: MPOP_COMPLEXITY,
    summary: "Remove and return members with scores in a sorted set",
    syntax: "ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]",
    handler: zmpop,
  },
  {
    name: "BZPOPMIN",
    arity: -3,
    flags: ["write", "fast", "blocking"],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: "sorted-set",
    complexity: BZPOP_COMPLEXITY,
    summary:
      "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
    syntax: "BZPOPMIN key [key ...] timeout",
    handler: (ctx, argv) => bzpop(ctx, argv, true),
    blocking: bzpopBlocking(true),
  },
  {
    name: "BZPOPMAX",
    arity: -3,
    flags: ["write", "fast", "blocking"],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: "sorted-set",
    complexity: BZPOP_COMPLEXITY,
    summary:
      "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
    syntax: "BZPOPMAX key [key ...] timeout",
    handler: (ctx, argv) => bzpop(ctx, argv, false),
    blocking: bzpopBlocking(false),
  },
  {
    name: "BZMPOP",
    arity: -5,
    flags: ["write", "blocking"],
    firstKey: 3,
    lastKey: 3,
    step: 1,
    keys: (argv) => numkeysKeys(argv, 2),
    group: "sorted-set",
    complexity: MPOP_COMPLEXITY,
    summary: "Remove and return members with scores in a sorted set or block until one is available",
    syntax: "BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]",
    handler: bzmpop,
    blocking: BZMPOP_BLOCKING,
  },
];
