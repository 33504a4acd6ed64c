/**
 * SortedSetsService: the sorted-set commands over the store. Score and lex bounds arrive as
 * explicit messages and are spelled here in Redis's syntax (`(1.5`, `-inf`, `[a`, `+`).
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type IndexRange,
  type LexBound,
  type LexRange,
  type RangeLimit,
  type ScoreBound,
  ScoreEnd,
  type ScoreRange,
  SortedSetsService,
  ZAddComparison,
  ZAddCondition,
} from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import {
  bin,
  bins,
  cursorArg,
  float,
  int,
  invalidArgument,
  key,
  keys,
  required,
  requireTrue,
  scanOptions,
  seconds,
  token,
} from "./args.js";
import { invoke, invokeAll } from "./invoke.js";
import {
  arrayOf,
  bytesListOf,
  bytesOf,
  doubleOf,
  int64Of,
  optionalDoubleOf,
  pairsOf,
  scanPageOf,
  textOf,
} from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

type Side = "min" | "max";

/* A score bound: `1.5`, `(1.5`, `-inf` / `+inf`. */
function scoreBound(bound: ScoreBound | undefined, side: Side): Bytes {
  const b = required(bound, side).bound;
  switch (b.case) {
    case "inclusive":
      return float(b.value);
    case "exclusive":
      return `(${float(b.value)}`;
    case "unbounded":
      requireTrue(b.value, `${side}.unbounded`);
      return side === "min" ? "-inf" : "+inf";
    default:
      throw invalidArgument(`${side} bound is required`);
  }
}

/* A lex bound: `[member`, `(member`, `-` / `+`. */
function lexBound(bound: LexBound | undefined, side: Side): Bytes {
  const b = required(bound, side).bound;
  switch (b.case) {
    case "inclusive":
      return `[${bin(b.value)}`;
    case "exclusive":
      return `(${bin(b.value)}`;
    case "unbounded":
      requireTrue(b.value, `${side}.unbounded`);
      return side === "min" ? "-" : "+";
    default:
      throw invalidArgument(`${side} bound is required`);
  }
}

const scoreRange = (r: ScoreRange | undefined): [Bytes, Bytes] => {
  const range = required(r, "range");
  return [scoreBound(range.min, "min"), scoreBound(range.max, "max")];
};

const lexRange = (r: LexRange | undefined): [Bytes, Bytes] => {
  const range = required(r, "range");
  return [lexBound(range.min, "min"), lexBound(range.max, "max")];
};

type RangeChoice =
  | { case: "byIndex"; value: IndexRange }
  | { case: "byScore"; value: ScoreRange }
  | { case: "byLex"; value: LexRange }
  | { case: undefined; value?: undefined };

/**
 * `start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count]` of ZRANGE / ZRANGESTORE. Requests give
 * score and lex ranges lowest first; REV wants them highest first, so they are swapped.
 */
function rangeArgs(range: RangeChoice, reverse: boolean, limit: RangeLimit | undefined): Bytes[] {
  const out: Bytes[] = [];
  switch (range.case) {
    case "byIndex":
      out.push(int(range.value.start), int(range.value.stop));
      break;
    case "byScore": {
      const [min, max] = scoreRange(range.value);
      out.push(...(reverse ? [max, min] : [min, max]), "BYSCORE");
      break;
    }
    case "byLex": {
      const [min, max] = lexRange(range.value);
      out.push(...(reverse ? [max, min] : [min, max]), "BYLEX");
      break;
    }
    default:
      throw invalidArgument("range (by_index, by_score or by_lex) is required");
  }
  if (reverse) out.push("REV");
  if (limit !== undefined) out.push("LIMIT", int(limit.offset), int(limit.count));
  return out;
}

/** `[member, score, …]` as ScoredMember inits. */
const scoredMembers = (flat: Reply): { member: Uint8Array; score: number }[] =>
  pairsOf(flat).map(([m, s]) => ({ member: bytesOf(m), score: doubleOf(s) }));

/** Members and (optionally) scores of a flat or plain array reply, as parallel lists. */
function membersAndScores(reply: Reply, withScores: boolean): { members: Uint8Array[]; scores: number[] } {
  if (!withScores) return { members: bytesListOf(reply), scores: [] };
  const pairs = pairsOf(reply);
  return { members: pairs.map(([m]) => bytesOf(m)), scores: pairs.map(([, s]) => doubleOf(s)) };
}

const CONDITIONS: Partial<Record<ZAddCondition, Bytes>> = { [ZAddCondition.NX]: "NX", [ZAddCondition.XX]: "XX" };
const COMPARISONS: Partial<Record<ZAddComparison, Bytes>> = { [ZAddComparison.GT]: "GT", [ZAddComparison.LT]: "LT" };
const POP_COMMANDS: Partial<Record<ScoreEnd, Bytes>> = { [ScoreEnd.MIN]: "ZPOPMIN", [ScoreEnd.MAX]: "ZPOPMAX" };
const BLOCKING_POP_COMMANDS: Partial<Record<ScoreEnd, Bytes>> = {
  [ScoreEnd.MIN]: "BZPOPMIN",
  [ScoreEnd.MAX]: "BZPOPMAX",
};
const MPOP_ENDS: Partial<Record<ScoreEnd, Bytes>> = { [ScoreEnd.MIN]: "MIN", [ScoreEnd.MAX]: "MAX" };

/** `[key, [[member, score], …]]` (ZMPOP, BZMPOP) as a response; nil as an empty one. */
function mpopResponse(reply: Reply): { key?: string; members: { member: Uint8Array; score: number }[] } {
  if (reply === null) return { members: [] };
  const [from, pairs] = arrayOf(reply);
  return {
    key: textOf(from ?? null),
    members: arrayOf(pairs ?? null).map((pair) => {
      const [m, s] = arrayOf(pair);
      return { member: bytesOf(m ?? null), score: doubleOf(s ?? null) };
    }),
  };
}

/** `numkeys key [key ...] MIN | MAX [COUNT count]` of ZMPOP and BZMPOP. */
function mpopArgs(req: { keys: string[]; end: ScoreEnd; count?: bigint }): Bytes[] {
  const argv: Bytes[] = [int(req.keys.length), ...keys(req.keys), token(req.end, MPOP_ENDS, "end")];
  if (req.count !== undefined) argv.push("COUNT", int(req.count));
  return argv;
}

/** Creates the SortedSetsService implementation over `store`. */
export function createSortedSetsService(
  store: Store,
  options: ServiceOptions = {},
): ServiceImpl<typeof SortedSetsService> {
  const count = async (argv: Bytes[], ctx: HandlerContext) => ({
    count: int64Of(await invoke(store, argv, ctx)),
  });
  return guarded(
    SortedSetsService,
    {
      /* ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...] */
      async zAdd(req, ctx) {
        const argv: Bytes[] = ["ZADD", key(req.key)];
        if (req.condition !== ZAddCondition.UNSPECIFIED) argv.push(token(req.condition, CONDITIONS, "condition"));
        if (req.comparison !== ZAddComparison.UNSPECIFIED) argv.push(token(req.comparison, COMPARISONS, "comparison"));
        if (req.changed) argv.push("CH");
        if (req.incr) argv.push("INCR");
        for (const m of req.members) argv.push(float(m.score), bin(m.member));
        const reply = await invoke(store, argv, ctx);
        return req.incr ? { score: optionalDoubleOf(reply) } : { count: int64Of(reply) };
      },
      async zRem(req, ctx) {
        return { removed: int64Of(await invoke(store, ["ZREM", key(req.key), ...bins(req.members)], ctx)) };
      },
      async zScore(req, ctx) {
        return { score: optionalDoubleOf(await invoke(store, ["ZSCORE", key(req.key), bin(req.member)], ctx)) };
      },
      async zMScore(req, ctx) {
        const reply = await invoke(store, ["ZMSCORE", key(req.key), ...bins(req.members)], ctx);
        return { scores: arrayOf(reply).map((s) => ({ value: optionalDoubleOf(s) })) };
      },
      async zIncrBy(req, ctx) {
        const argv = ["ZINCRBY", key(req.key), float(req.increment), bin(req.member)];
        return { score: doubleOf(await invoke(store, argv, ctx)) };
      },
      async zCard(req, ctx) {
        return { cardinality: int64Of(await invoke(store, ["ZCARD", key(req.key)], ctx)) };
      },
      zCount: (req, ctx) => count(["ZCOUNT", key(req.key), ...scoreRange(req.range)], ctx),
      zLexCount: (req, ctx) => count(["ZLEXCOUNT", key(req.key), ...lexRange(req.range)], ctx),
      /* ZRANK | ZREVRANK key member, with ZSCORE key member in the same batch for the score */
      async zRank(req, ctx) {
        const k = key(req.key);
        const m = bin(req.member);
        const rank: Bytes[] = [req.reverse ? "ZREVRANK" : "ZRANK", k, m];
        if (!req.withScore) {
          const reply = await invoke(store, rank, ctx);
          return { rank: reply === null ? undefined : int64Of(reply) };
        }
        const [r, s] = await invokeAll(store, [rank, ["ZSCORE", k, m]], ctx);
        if (r === null || r === undefined) return {};
        return { rank: int64Of(r), score: optionalDoubleOf(s ?? null) };
      },
      /* ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
      async zRange(req, ctx) {
        const argv = ["ZRANGE", key(req.key), ...rangeArgs(req.range, req.reverse, req.limit)];
        if (req.withScores) argv.push("WITHSCORES");
        return membersAndScores(await invoke(store, argv, ctx), req.withScores);
      },
      /* ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count] */
      async zRangeStore(req, ctx) {
        const argv = [
          "ZRANGESTORE",
          key(req.destination),
          key(req.key),
          ...rangeArgs(req.range, req.reverse, req.limit),
        ];
        return { stored: int64Of(await invoke(store, argv, ctx)) };
      },
      /* ZREMRANGEBYRANK key start stop | ZREMRANGEBYSCORE key min max | ZREMRANGEBYLEX key min max */
      async zRemRange(req, ctx) {
        const k = key(req.key);
        let argv: Bytes[];
        switch (req.range.case) {
          case "byIndex":
            argv = ["ZREMRANGEBYRANK", k, int(req.range.value.start), int(req.range.value.stop)];
            break;
          case "byScore":
            argv = ["ZREMRANGEBYSCORE", k, ...scoreRange(req.range.value)];
            break;
          case "byLex":
            argv = ["ZREMRANGEBYLEX", k, ...lexRange(req.range.value)];
            break;
          default:
            throw invalidArgument("range (by_index, by_score or by_lex) is required");
        }
        return { removed: int64Of(await invoke(store, argv, ctx)) };
      },
      /* ZPOPMIN | ZPOPMAX key [count] */
      async zPop(req, ctx) {
        const argv: Bytes[] = [token(req.end, POP_COMMANDS, "end"), key(req.key)];
        if (req.count !== undefined) argv.push(int(req.count));
        return { members: scoredMembers(await invoke(store, argv, ctx)) };
      },
      /* ZMPOP numkeys key [key ...] MIN | MAX [COUNT count] */
      async zMPop(req, ctx) {
        return mpopResponse(await invoke(store, ["ZMPOP", ...mpopArgs(req)], ctx));
      },
      /* BZPOPMIN | BZPOPMAX key [key ...] timeout */
      async bZPop(req, ctx) {
        const argv = [token(req.end, BLOCKING_POP_COMMANDS, "end"), ...keys(req.keys), seconds(req.timeout)];
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        const [from, member, score] = arrayOf(reply);
        return {
          key: textOf(from ?? null),
          member: { member: bytesOf(member ?? null), score: doubleOf(score ?? null) },
        };
      },
      /* BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count] */
      async bZMPop(req, ctx) {
        return mpopResponse(await invoke(store, ["BZMPOP", seconds(req.timeout), ...mpopArgs(req)], ctx));
      },
      /* ZRANDMEMBER key [count [WITHSCORES]] */
      async zRandMember(req, ctx) {
        const argv: Bytes[] = ["ZRANDMEMBER", key(req.key)];
        if (req.count !== undefined) argv.push(int(req.count));
        if (req.withScores) {
          if (req.count === undefined) throw invalidArgument("with_scores requires count");
          argv.push("WITHSCORES");
        }
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        if (req.count === undefined) return { members: [bytesOf(reply)] };
        return membersAndScores(reply, req.withScores);
      },
      /* ZSCAN key cursor [MATCH pattern] [COUNT count] */
      async zScan(req, ctx) {
        const match = req.match === undefined ? undefined : bin(req.match);
        const argv = ["ZSCAN", key(req.key), cursorArg(req.cursor), ...scanOptions(match, req.count)];
        const page = scanPageOf(await invoke(store, argv, ctx));
        return { cursor: page.cursor, members: scoredMembers(page.items as Reply) };
      },
    },
    options,
  );
}
