import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { StoreError, syntaxError, wrongArity, wrongType } from "./errors.js";
import { ListValue } from "./list-deque.js";
import { parseInt64 } from "./parse.js";
import { OK, type Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { typeOf } from "./value.js";

/**
 * The list commands (Redis's `t_list.c`): the keyspace side of the list type, over the
 * {@link ListValue} deque. The blocking variants (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) are in
 * t-list-blocking.ts, over the helpers exported here.
 */

// ---------------------------------------------------------------------------------------------
// Type API: keyspace access and argument parsing shared by the list commands.
// ---------------------------------------------------------------------------------------------

/** The list at `key`, or undefined when there is none. Throws WRONGTYPE when `key` holds another type. */
export function lookupList(ctx: CommandContext, key: Bytes): ListValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined) return undefined;
  if (typeOf(value) !== "list") throw wrongType();
  return value as ListValue;
}

/**
 * Finishes a command that removed elements from `list`: emits `event`, then deletes the key (with a
 * `del` event) when the list is now empty, as Redis never keeps an empty list; otherwise marks
 * the key modified.
 */
export function afterRemoval(ctx: CommandContext, key: Bytes, list: ListValue, event: string): void {
  ctx.notify("list", event, key);
  if (list.size === 0) {
    ctx.db.remove(key);
    ctx.notify("generic", "del", key);
  } else {
    ctx.db.touch(key);
  }
}

/** Parses a Redis `long`. Values past ±2^53 are approximated: no list is that long, so none matters. */
function parseLong(arg: Bytes): number {
  const n = parseInt64(arg);
  return typeof n === "bigint" ? Number(n) : n;
}

/**
 * Parses an integer that must be at least `min`, with Redis's `getRangeLongFromObjectOrReply`
 * behaviour when given a message: the same `message` for a non-integer and for a value below `min`.
 */
export function parseAtLeast(arg: Bytes, min: number, message: string): number {
  let n: number;
  try {
    n = parseLong(arg);
  } catch {
    throw new StoreError("NOT_INTEGER", `ERR ${message}`);
  }
  if (n < min) throw new StoreError("NOT_INTEGER", `ERR ${message}`);
  return n;
}

/** Parses `LEFT` or `RIGHT` (any case): true for the head. Anything else is a syntax error. */
export function parseEnd(arg: Bytes): boolean {
  const word = arg.toLowerCase();
  if (word === "left") return true;
  if (word === "right") return false;
  throw syntaxError();
}

/** Removes up to `count` elements from one end, in pop order (for LPOP/RPOP count and LMPOP). */
export function popMany(list: ListValue, head: boolean, count: number): Bytes[] {
  const n = Math.min(count, list.size);
  if (head) {
    const out = list.slice(0, n - 1);
    list.drop(n, 0);
    return out;
  }
  const out = list.slice(list.size - n, list.size - 1, true);
  list.drop(0, n);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands.
// ---------------------------------------------------------------------------------------------

/* LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...] */
function push(ctx: CommandContext, argv: readonly Bytes[], head: boolean, onlyIfExists: boolean): Reply {
  const key = argv[1] as Bytes;
  const existing = lookupList(ctx, key);
  if (existing === undefined && onlyIfExists) return 0;
  const list = existing ?? new ListValue();
  for (let i = 2; i < argv.length; i++) {
    if (head) list.pushHead(argv[i] as Bytes);
    else list.pushTail(argv[i] as Bytes);
  }
  // A new list is stored once filled; an existing one changed in place (its TTL stays).
  if (existing === undefined) ctx.db.put(key, list);
  else ctx.db.touch(key);
  ctx.notify("list", head ? "lpush" : "rpush", key);
  return list.size;
}

/* LPOP/RPOP key [count] */
function pop(ctx: CommandContext, argv: readonly Bytes[], head: boolean): Reply {
  if (argv.length > 3) throw wrongArity(head ? "lpop" : "rpop");
  const hasCount = argv.length === 3;
  const count = hasCount ? parseAtLeast(argv[2] as Bytes, 0, "value is out of range, must be positive") : 1;
  const key = argv[1] as Bytes;
  const list = lookupList(ctx, key);
  // A missing key is nil without a count, and a nil array with one (also nil in RESP2).
  if (list === undefined) return null;
  if (hasCount && count === 0) return [];
  const event = head ? "lpop" : "rpop";
  if (!hasCount) {
    const element = (head ? list.popHead() : list.popTail()) as Bytes;
    afterRemoval(ctx, key, list, event);
    return element;
  }
  checkReplyLength(ctx.limits, Math.min(count, list.size)); // before anything is removed
  const out = popMany(list, head, count);
  afterRemoval(ctx, key, list, event);
  return out;
}

/* LRANGE key start stop */
function lrange(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const start = parseLong(argv[2] as Bytes);
  const stop = parseLong(argv[3] as Bytes);
  const list = lookupList(ctx, argv[1] as Bytes);
  return list === undefined ? [] : list.range(start, stop);
}

/* LLEN key */
function llen(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupList(ctx, argv[1] as Bytes)?.size ?? 0;
}

/* LINDEX key index */
function lindex(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  // Redis looks the key up before parsing the index: a missing key is nil even for a bad index.
  const list = lookupList(ctx, argv[1] as Bytes);
  if (list === undefined) return null;
  return list.at(parseLong(argv[2] as Bytes)) ?? null;
}

/* LSET key index element */
function lset(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const list = lookupList(ctx, key);
  if (list === undefined) throw new StoreError("NO_SUCH_KEY");
  if (!list.set(parseLong(argv[2] as Bytes), argv[3] as Bytes)) throw new StoreError("INDEX_OUT_OF_RANGE");
  ctx.db.touch(key);
  ctx.notify("list", "lset", key);
  return OK;
}

/* LREM key count element */
function lrem(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const count = parseLong(argv[2] as Bytes);
  const key = argv[1] as Bytes;
  const list = lookupList(ctx, key);
  if (list === undefined) return 0;
  // count > 0: the first `count` from the head; < 0: from the tail; 0: all.
  const removed = list.removeMatching(argv[3] as Bytes, Math.abs(count), count < 0);
  if (removed !== 0) afterRemoval(ctx, key, list, "lrem");
  return removed;
}

/* LTRIM key start stop */
function ltrim(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const start = parseLong(argv[2] as Bytes);
  const stop = parseLong(argv[3] as Bytes);
  const key = argv[1] as Bytes;
  const list = lookupList(ctx, key);
  if (list === undefined) return OK;
  list.trim(start, stop);
  // Redis emits `ltrim` even when the range kept everything.
  afterRemoval(ctx, key, list, "ltrim");
  return OK;
}

/* LINSERT key BEFORE|AFTER pivot element */
function linsert(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const where = (argv[2] as Bytes).toLowerCase();
  if (where !== "before" && where !== "after") throw syntaxError();
  const key = argv[1] as Bytes;
  const list = lookupList(ctx, key);
  if (list === undefined) return 0;
  const pivot = list.indexOf(argv[3] as Bytes);
  if (pivot < 0) return -1;
  list.insert(where === "after" ? pivot + 1 : pivot, argv[4] as Bytes);
  ctx.db.touch(key);
  ctx.notify("list", "linsert", key);
  return list.size;
}

const RANK_ZERO =
  "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  let rank = 1;
  let count = -1; // -1: no COUNT option (reply with one index, not an array)
  let maxlen = 0; // 0: scan the whole list
  for (let i = 3; i < argv.length; i++) {
    const opt = (argv[i] as Bytes).toLowerCase();
    const more = i + 1 < argv.length;
    if (opt === "rank" && more) {
      const n = parseInt64(argv[++i] as Bytes);
      // Redis 7.0 negates LONG_MIN into itself, which then matches from the tail at rank 1.
      rank = n === -(2n ** 63n) ? -1 : Number(n);
      if (rank === 0) throw new StoreError("ERR", `ERR ${RANK_ZERO}`);
    } else if (opt === "count" && more) {
      count = parseAtLeast(argv[++i] as Bytes, 0, "COUNT can't be negative");
    } else if (opt === "maxlen" && more) {
      maxlen = parseAtLeast(argv[++i] as Bytes, 0, "MAXLEN can't be negative");
    } else {
      throw syntaxError();
    }
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const list = lookupList(ctx, argv[1] as Bytes);
  if (list === undefined) return count === -1 ? null : [];
  const element = argv[2] as Bytes;
  const n = list.size;
  const limit = maxlen === 0 ? n : Math.min(n, maxlen);
  const found: number[] = [];
  let matches = 0;
  for (let k = 0; k < limit; k++) {
    const index = fromTail ? n - 1 - k : k;
    if (list.at(index) !== element) continue;
    matches++;
    if (matches < rank) continue;
    if (count === -1) return index;
    found.push(index);
    if (count !== 0 && found.length >= count) break;
  }
  return count === -1 ? null : found;
}

/** Pops from `src` and pushes onto `dst` (LMOVE, RPOPLPUSH); both may be the same key (rotation). */
export function move(ctx: CommandContext, src: Bytes, dst: Bytes, fromHead: boolean, toHead: boolean): Reply {
  const source = lookupList(ctx, src);
  if (source === undefined) return null;
  // The destination's type is checked before anything changes.
  const existing = lookupList(ctx, dst);
  const element = (fromHead ? source.popHead() : source.popTail()) as Bytes;
  if (existing === undefined) {
    ctx.db.put(dst, new ListValue([element]));
  } else {
    if (toHead) existing.pushHead(element);
    else existing.pushTail(element);
    ctx.db.touch(dst);
  }
  // Redis's order: the push event on the destination, then the pop (and `del`) on the source.
  ctx.notify("list", toHead ? "lpush" : "rpush", dst);
  afterRemoval(ctx, src, source, fromHead ? "lpop" : "rpop");
  return element;
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
function lmove(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const fromHead = parseEnd(argv[3] as Bytes);
  const toHead = parseEnd(argv[4] as Bytes);
  return move(ctx, argv[1] as Bytes, argv[2] as Bytes, fromHead, toHead);
}

/* RPOPLPUSH source destination */
function rpoplpush(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return move(ctx, argv[1] as Bytes, argv[2] as Bytes, false, true);
}

const NUMKEYS_RE = /^[1-9][0-9]*$/;

/** The keys of a `numkeys key [key ...]` form whose numkeys is at `at`: as many as it says, within argv. */
export function numkeysKeys(argv: readonly Bytes[], at: number): Bytes[] {
  const arg = argv[at] as Bytes;
  if (arg === undefined || !NUMKEYS_RE.test(arg)) return [];
  return argv.slice(at + 1, Math.min(argv.length, at + 1 + Number(arg)));
}

/** The keys of `LMPOP numkeys key [key ...] …`. */
function lmpopKeys(argv: readonly Bytes[]): Bytes[] {
  return numkeysKeys(argv, 1);
}

/** The parsed arguments of LMPOP / BLMPOP: keys argv[first, end), the end, the count. */
export interface MpopArgs {
  readonly first: number;
  readonly end: number;
  /** LEFT (head) or RIGHT; for ZMPOP, MIN (true) or MAX. */
  readonly head: boolean;
  readonly count: number;
}

/**
 * Parses `numkeys key [key ...] WHERE [COUNT count]` with numkeys at `at`, as Redis's
 * `lmpopGenericCommand`/`zmpopGenericCommand` do (numkeys, then where, then the options).
 * `where` parses the end word (throwing a syntax error for anything else).
 */
export function parseMpop(argv: readonly Bytes[], at: number, where: (arg: Bytes) => boolean): MpopArgs {
  const numkeys = parseAtLeast(argv[at] as Bytes, 1, "numkeys should be greater than 0");
  const whereIndex = at + 1 + numkeys;
  if (whereIndex >= argv.length) throw syntaxError();
  const head = where(argv[whereIndex] as Bytes);
  let count = -1;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count === -1 && (argv[i] as Bytes).toLowerCase() === "count" && i + 1 < argv.length) {
      count = parseAtLeast(argv[++i] as Bytes, 1, "count should be greater than 0");
    } else {
      throw syntaxError();
    }
  }
  return { first: at + 1, end: whereIndex, head, count: count === -1 ? 1 : count };
}

/** Pops up to `count` elements of the list at `key` from one end: `[key, [elements]]`. */
export function popRangeWithKey(ctx: CommandContext, key: Bytes, list: ListValue, head: boolean, count: number): Reply {
  checkReplyLength(ctx.limits, 2 + Math.min(count, list.size)); // [key, [elements]], before removing
  const out = popMany(list, head, count);
  afterRemoval(ctx, key, list, head ? "lpop" : "rpop");
  return [key, out];
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function lmpop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const { first, end, head, count } = parseMpop(argv, 1, parseEnd);
  for (let i = first; i < end; i++) {
    const key = argv[i] as Bytes;
    const list = lookupList(ctx, key);
    if (list !== undefined) return popRangeWithKey(ctx, key, list, head, count);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The command table.
// ---------------------------------------------------------------------------------------------

const PUSH_COMPLEXITY =
  "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

/** Key spec and group of the commands whose only key is argv[1]. */
const ONE_KEY = oneKey("list");

/** The list commands, as command table entries. */
export const listCommands: CommandSpec[] = [
  {
    name: "LPUSH",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: PUSH_COMPLEXITY,
    summary: "Prepend one or multiple elements to a list",
    syntax: "LPUSH key element [element ...]",
    handler: (ctx, argv) => push(ctx, argv, true, false),
  },
  {
    name: "RPUSH",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: PUSH_COMPLEXITY,
    summary: "Append one or multiple elements to a list",
    syntax: "RPUSH key element [element ...]",
    handler: (ctx, argv) => push(ctx, argv, false, false),
  },
  {
    name: "LPUSHX",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: PUSH_COMPLEXITY,
    summary: "Prepend an element to a list, only if the list exists",
    syntax: "LPUSHX key element [element ...]",
    handler: (ctx, argv) => push(ctx, argv, true, true),
  },
  {
    name: "RPUSHX",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: PUSH_COMPLEXITY,
    summary: "Append an element to a list, only if the list exists",
    syntax: "RPUSHX key element [element ...]",
    handler: (ctx, argv) => push(ctx, argv, false, true),
  },
  {
    name: "LPOP",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of elements returned",
    summary: "Remove and get the first elements in a list",
    syntax: "LPOP key [count]",
    handler: (ctx, argv) => pop(ctx, argv, true),
  },
  {
    name: "RPOP",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of elements returned",
    summary: "Remove and get the last elements in a list",
    syntax: "RPOP key [count]",
    handler: (ctx, argv) => pop(ctx, argv, false),
  },
  {
    name: "LRANGE",
    arity: 4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    summary: "Get a range of elements from a list",
    syntax: "LRANGE key start stop",
    handler: lrange,
  },
  {
    name: "LLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the length of a list",
    syntax: "LLEN key",
    handler: llen,
  },
  {
    name: "LINDEX",
    arity: 3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    summary: "Get an element from a list by its index",
    syntax: "LINDEX key index",
    handler: lindex,
  },
  {
    name: "LSET",
    arity: 4,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity:
      "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    summary: "Set the value of an element in a list by its index",
    syntax: "LSET key index element",
    handler: lset,
  },
  {
    name: "LREM",
    arity: 4,
    flags: ["write"],
    ...ONE_KEY,
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
    summary: "Remove elements from a list",
    syntax: "LREM key count element",
    handler: lrem,
  },
  {
    name: "LTRIM",
    arity: 4,
    flags: ["write"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
    summary: "Trim a list to the specified range",
    syntax: "LTRIM key start stop",
    handler: ltrim,
  },
  {
    name: "LINSERT",
    arity: 5,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity:
      "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    summary: "Insert an element before or after another element in a list",
    syntax: "LINSERT key BEFORE | AFTER pivot element",
    handler: linsert,
  },
  {
    name: "LPOS",
    arity: -3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity:
      "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    summary: "Return the index of matching elements on a list",
    syntax: "LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
    handler: lpos,
  },
  {
    name: "LMOVE",
    arity: 5,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "list",
    complexity: "O(1)",
    summary: "Pop an element from a list, push it to another list and return it",
    syntax: "LMOVE source destination LEFT | RIGHT LEFT | RIGHT",
    handler: lmove,
  },
  {
    name: "RPOPLPUSH",
    arity: 3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "list",
    complexity: "O(1)",
    summary: "Remove the last element in a list, prepend it to another list and return it",
    syntax: "RPOPLPUSH source destination",
    handler: rpoplpush,
  },
  {
    name: "LMPOP",
    arity: -4,
    flags: ["write"],
    // The first key is at 2; how many follow is numkeys's to say, so `keys` is authoritative.
    firstKey: 2,
    lastKey: 2,
    step: 1,
    keys: lmpopKeys,
    group: "list",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    summary: "Pop elements from a list",
    syntax: "LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]",
    handler: lmpop,
  },
];
