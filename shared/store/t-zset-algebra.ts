import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { genericError, StoreError, syntaxError, wrongType } from "./errors.js";
import { parseInt64 } from "./parse.js";
import { formatDouble, type Reply } from "./reply.js";
import { checkAlgebraWork } from "./reply-limit.js";
import type { SetValue } from "./set-value.js";
import { parseScore } from "./zset-parse.js";
import { ZSetValue } from "./zset-value.js";

/**
 * Sorted-set algebra (redis `zunionInterDiffGenericCommand`): ZUNIONSTORE, ZINTERSTORE,
 * ZDIFFSTORE, ZUNION, ZINTER, ZDIFF and ZINTERCARD. Inputs may be sorted sets or plain sets (whose
 * members score 1); a missing key is an empty input.
 */

/** One input: its size, a score lookup and its (member, score) pairs. */
interface Source {
  readonly size: number;
  score(member: Bytes): number | undefined;
  entries(): Iterable<readonly [Bytes, number]>;
  weight: number;
}

const EMPTY: Source = { size: 0, score: () => undefined, entries: () => [], weight: 1 };

/** Wraps the value at `key` as a {@link Source}; WRONGTYPE unless it is a set or sorted set. */
function sourceAt(ctx: CommandContext, key: Bytes): Source {
  const value = ctx.db.lookup(key);
  if (value === undefined) return { ...EMPTY };
  if (typeof value === "string") throw wrongType();
  if (value.type === "zset") {
    const zset = value as ZSetValue;
    return {
      size: zset.size,
      score: (m) => zset.score(m),
      *entries() {
        for (const node of zset.ordered) yield [node.member, node.score] as const;
      },
      weight: 1,
    };
  }
  if (value.type === "set") {
    const set = value as SetValue;
    return {
      size: set.size,
      score: (m) => (set.has(m) ? 1 : undefined),
      entries: () => set.nameList().map((m) => [m, 1] as const),
      weight: 1,
    };
  }
  throw wrongType();
}

type Op = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** Folds `value` into `target` (redis `zunionInterAggregate`; a NaN sum becomes 0). */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  // Not Math.min/max: a NaN value (0 * inf) must leave the target as it is, as in C.
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  if (how === "min") return value < target ? value : target;
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  return value > target ? value : target;
}

/** `weight * score`, with NaN (0 * inf) as 0. */
function weighted(score: number, weight: number): number {
  const v = weight * score;
  return Number.isNaN(v) ? 0 : v;
}

/** What the generic command produces. */
type Mode = { readonly kind: "store"; readonly dst: Bytes } | { readonly kind: "reply" } | { readonly kind: "card" };

/**
 * ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
 * ZUNION / ZINTER / ZDIFF numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
 * ZINTERCARD numkeys key [key ...] [LIMIT limit]
 */
function zsetAlgebra(ctx: CommandContext, argv: readonly Bytes[], numkeysAt: number, op: Op, mode: Mode): Reply {
  const numkeys = Number(parseInt64(argv[numkeysAt] as Bytes));
  if (numkeys < 1) {
    throw genericError(`at least 1 input key is needed for '${(argv[0] as Bytes).toLowerCase()}' command`);
  }
  if (numkeys > argv.length - (numkeysAt + 1)) throw syntaxError();
  const sources: Source[] = [];
  let j = numkeysAt + 1;
  for (let i = 0; i < numkeys; i++, j++) sources.push(sourceAt(ctx, argv[j] as Bytes));

  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  const full = op !== "diff" && mode.kind !== "card";
  while (j < argv.length) {
    const opt = (argv[j] as Bytes).toLowerCase();
    const remaining = argv.length - j;
    if (full && remaining >= numkeys + 1 && opt === "weights") {
      j++;
      for (const src of sources) src.weight = parseScore(argv[j++] as Bytes, "weight value is not a float");
    } else if (full && remaining >= 2 && opt === "aggregate") {
      const name = (argv[j + 1] as Bytes).toLowerCase();
      if (name !== "sum" && name !== "min" && name !== "max") throw syntaxError();
      how = name;
      j += 2;
    } else if (mode.kind === "reply" && opt === "withscores") {
      withScores = true;
      j++;
    } else if (mode.kind === "card" && remaining >= 2 && opt === "limit") {
      const raw = argv[j + 1] as Bytes;
      let n: number;
      try {
        n = Number(parseInt64(raw));
      } catch {
        throw genericError("LIMIT can't be negative");
      }
      if (n < 0) throw genericError("LIMIT can't be negative");
      limit = n;
      j += 2;
    } else {
      throw syntaxError();
    }
  }

  // Smallest input first: intersections probe the others for each of its members.
  if (op !== "diff") sources.sort((a, b) => a.size - b.size);
  // What the loops below visit: every member of every input for a union, else the first input's
  // members once per input (each probe may miss early, but the bound is what counts).
  const visits =
    op === "union" && mode.kind !== "card"
      ? sources.reduce((n, src) => n + src.size, 0)
      : (sources[0] as Source).size * sources.length;
  checkAlgebraWork((argv[0] as Bytes).toLowerCase(), visits);

  if (mode.kind === "card") return interCard(sources, limit);
  const result = op === "union" ? union(sources, how) : op === "inter" ? inter(sources, how) : diff(sources);
  const dst = new ZSetValue(Math.floor(ctx.random() * 0x1_0000_0000));
  for (const [member, score] of result) dst.set(member, score);

  if (mode.kind === "store") {
    if (dst.size === 0) {
      if (ctx.db.remove(mode.dst)) ctx.notify("generic", "del", mode.dst);
      return 0;
    }
    ctx.db.put(mode.dst, dst);
    ctx.notify("zset", `z${op}store`, mode.dst);
    return dst.size;
  }
  const out: Reply[] = [];
  for (const node of dst.ordered) {
    out.push(node.member);
    if (withScores) out.push(formatDouble(node.score));
  }
  return out;
}

/** Members of every input, scores aggregated. */
function union(sources: readonly Source[], how: Aggregate): Map<Bytes, number> {
  const acc = new Map<Bytes, number>();
  for (const src of sources) {
    for (const [member, score] of src.entries()) {
      const value = weighted(score, src.weight);
      const prev = acc.get(member);
      acc.set(member, prev === undefined ? value : aggregate(prev, value, how));
    }
  }
  return acc;
}

/** Members present in every input, scores aggregated (`sources` sorted by size). */
function inter(sources: readonly Source[], how: Aggregate): Map<Bytes, number> {
  const acc = new Map<Bytes, number>();
  const [first, ...others] = sources as [Source, ...Source[]];
  if (first.size === 0) return acc;
  outer: for (const [member, score0] of first.entries()) {
    let score = weighted(score0, first.weight);
    for (const src of others) {
      const s = src.score(member);
      if (s === undefined) continue outer;
      score = aggregate(score, s * src.weight, how);
    }
    acc.set(member, score);
  }
  return acc;
}

/** ZINTERCARD: how many members are in every input, stopping at `limit` (0: no limit). */
function interCard(sources: readonly Source[], limit: number): number {
  const [first, ...others] = sources as [Source, ...Source[]];
  let count = 0;
  for (const [member] of first.entries()) {
    if (others.every((src) => src.score(member) !== undefined)) {
      count++;
      if (limit > 0 && count >= limit) break;
    }
  }
  return count;
}

/** Members of the first input that are in no other, with their first-input scores. */
function diff(sources: readonly Source[]): Map<Bytes, number> {
  const acc = new Map<Bytes, number>();
  const [first, ...others] = sources as [Source, ...Source[]];
  for (const [member, score] of first.entries()) {
    if (others.every((src) => src.score(member) === undefined)) acc.set(member, score);
  }
  return acc;
}

/** Key extraction for the numkeys forms: the destination (if any), then `numkeys` inputs. */
function numkeysKeys(numkeysAt: number, withDst: boolean): (argv: readonly Bytes[]) => Bytes[] {
  return (argv) => {
    const keys: Bytes[] = withDst && argv.length > 1 ? [argv[1] as Bytes] : [];
    let n = 0;
    try {
      n = Number(parseInt64(argv[numkeysAt] ?? ""));
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
    }
    for (let i = 0; i < n && numkeysAt + 1 + i < argv.length; i++) keys.push(argv[numkeysAt + 1 + i] as Bytes);
    return keys;
  };
}

const ZSET = "sorted-set" as const;
const UNION_COMPLEXITY =
  "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.";
const INTER_COMPLEXITY =
  "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_COMPLEXITY =
  "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";

/** A STORE variant's table entry. */
function storeSpec(op: Op, complexity: string, summary: string, syntax: string): CommandSpec {
  return {
    name: `Z${op.toUpperCase()}STORE`,
    arity: -4,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: ZSET,
    complexity,
    summary,
    syntax,
    keys: numkeysKeys(2, true),
    handler: (ctx, argv) => zsetAlgebra(ctx, argv, 2, op, { kind: "store", dst: argv[1] as Bytes }),
  };
}

/** A reply variant's table entry. */
function replySpec(op: Op, complexity: string, summary: string, syntax: string): CommandSpec {
  return {
    name: `Z${op.toUpperCase()}`,
    arity: -3,
    flags: ["readonly"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: ZSET,
    complexity,
    summary,
    syntax,
    keys: numkeysKeys(1, false),
    handler: (ctx, argv) => zsetAlgebra(ctx, argv, 1, op, { kind: "reply" }),
  };
}

/** The sorted-set algebra commands. */
export const zsetAlgebraCommands: CommandSpec[] = [
  storeSpec(
    "union",
    "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    "Stores the union of multiple sorted sets in a key.",
    "ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
  ),
  storeSpec(
    "inter",
    INTER_COMPLEXITY,
    "Stores the intersect of multiple sorted sets in a key.",
    "ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
  ),
  storeSpec(
    "diff",
    DIFF_COMPLEXITY,
    "Stores the difference of multiple sorted sets in a key.",
    "ZDIFFSTORE destination numkeys key [key ...]",
  ),
  replySpec(
    "union",
    UNION_COMPLEXITY,
    "Returns the union of multiple sorted sets.",
    "ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
  ),
  replySpec(
    "inter",
    INTER_COMPLEXITY,
    "Returns the intersect of multiple sorted sets.",
    "ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
  ),
  replySpec(
    "diff",
    DIFF_COMPLEXITY,
    "Returns the difference between multiple sorted sets.",
    "ZDIFF numkeys key [key ...] [WITHSCORES]",
  ),
  {
    name: "ZINTERCARD",
    arity: -3,
    flags: ["readonly"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: ZSET,
    complexity:
      "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    summary: "Returns the number of members of the intersect of multiple sorted sets.",
    syntax: "ZINTERCARD numkeys key [key ...] [LIMIT limit]",
    keys: numkeysKeys(1, false),
    handler: (ctx, argv) => zsetAlgebra(ctx, argv, 1, "inter", { kind: "card" }),
  },
];
