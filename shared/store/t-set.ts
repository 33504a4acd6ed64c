import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, noKeys, oneKey } from "./command.js";
import { genericError, StoreError, syntaxError, wrongType } from "./errors.js";
import { parseInt64, parseScanCursor } from "./parse.js";
import { checkRepeats, parseRandomCount, randomCount } from "./random-count.js";
import type { Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { parseElementScanOptions, scanElements } from "./scan-elements.js";
import { SetValue } from "./set-value.js";

/**
 * The set commands (Redis's t_set.c). The type API is {@link SetValue}; this file holds the
 * commands: look up → check type → change → touch → notify → reply.
 */

/** The set at `key`, or undefined when missing; WRONGTYPE for another type. */
function lookupSet(ctx: CommandContext, key: Bytes): SetValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined) return undefined;
  if (!(value instanceof SetValue)) throw wrongType();
  return value;
}

/** A new empty set stored at `key` (which is missing): the caller fills it at once. */
function createSet(ctx: CommandContext, key: Bytes): SetValue {
  const set = new SetValue();
  ctx.db.put(key, set);
  return set;
}

/** Removes the key when its set became empty (with a `del` event). True when removed. */
function removeIfEmpty(ctx: CommandContext, key: Bytes, set: SetValue): boolean {
  if (set.size !== 0) return false;
  ctx.db.remove(key);
  ctx.notify("generic", "del", key);
  return true;
}

/* SADD key member [member ...] */
function sadd(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const existing = lookupSet(ctx, key);
  const set = existing ?? createSet(ctx, key);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i] as Bytes)) added++;
  if (existing === undefined) set.compact();
  if (added > 0) {
    ctx.db.touch(key);
    ctx.notify("set", "sadd", key);
  }
  return added;
}

/* SREM key member [member ...] */
function srem(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const set = lookupSet(ctx, key);
  if (set === undefined) return 0;
  let removed = 0;
  for (let i = 2; i < argv.length && set.size > 0; i++) if (set.remove(argv[i] as Bytes)) removed++;
  if (removed > 0) {
    ctx.db.touch(key);
    ctx.notify("set", "srem", key);
    removeIfEmpty(ctx, key, set);
  }
  return removed;
}

/* SMOVE source destination member */
function smove(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const srcKey = argv[1] as Bytes;
  const dstKey = argv[2] as Bytes;
  const member = argv[3] as Bytes;
  const srcValue = ctx.db.lookup(srcKey);
  const dstValue = ctx.db.lookup(dstKey);
  if (srcValue === undefined) return 0;
  if (!(srcValue instanceof SetValue)) throw wrongType();
  if (dstValue !== undefined && !(dstValue instanceof SetValue)) throw wrongType();
  if (srcValue === dstValue) return srcValue.has(member) ? 1 : 0;
  if (!srcValue.remove(member)) return 0;
  ctx.db.touch(srcKey);
  ctx.notify("set", "srem", srcKey);
  removeIfEmpty(ctx, srcKey, srcValue);
  const dst = dstValue ?? createSet(ctx, dstKey);
  if (dst.add(member)) {
    ctx.db.touch(dstKey);
    ctx.notify("set", "sadd", dstKey);
  }
  return 1;
}

/* SISMEMBER key member */
function sismember(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupSet(ctx, argv[1] as Bytes)?.has(argv[2] as Bytes) ? 1 : 0;
}

/* SMISMEMBER key member [member ...] */
function smismember(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const set = lookupSet(ctx, argv[1] as Bytes);
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) out.push(set?.has(argv[i] as Bytes) ? 1 : 0);
  return out;
}

/* SCARD key */
function scard(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupSet(ctx, argv[1] as Bytes)?.size ?? 0;
}

/* SMEMBERS key */
function smembers(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupSet(ctx, argv[1] as Bytes)?.nameList() ?? [];
}

/** SPOP's count: anything but a non-negative integer is the same error in Redis. */
function parsePopCount(arg: Bytes): number {
  let n: number | bigint;
  try {
    n = parseInt64(arg);
  } catch {
    n = -1;
  }
  if (n < 0) throw new StoreError("NOT_INTEGER", "ERR value is out of range, must be positive");
  return typeof n === "bigint" ? Number.MAX_SAFE_INTEGER : n;
}

/* SPOP key [count] */
function spop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  if (argv.length > 3) throw syntaxError();
  const key = argv[1] as Bytes;
  if (argv.length === 2) {
    const set = lookupSet(ctx, key);
    if (set === undefined) return null;
    const slot = set.randomSlot(ctx.random);
    const member = set.nameAt(slot);
    set.removeAt(slot);
    ctx.db.touch(key);
    ctx.notify("set", "spop", key);
    removeIfEmpty(ctx, key, set);
    return member;
  }
  const count = parsePopCount(argv[2] as Bytes);
  const set = lookupSet(ctx, key);
  if (set === undefined || count === 0) return [];
  checkReplyLength(ctx.limits, Math.min(count, set.size)); // before anything is removed
  ctx.notify("set", "spop", key);
  if (count >= set.size) {
    const all = set.nameList();
    ctx.db.remove(key);
    ctx.notify("generic", "del", key);
    return all;
  }
  // O(1) per popped member: draw a slot, take its member, swap-remove it.
  const out: Reply[] = [];
  for (let i = 0; i < count; i++) {
    const slot = set.randomSlot(ctx.random);
    out.push(set.nameAt(slot));
    set.removeAt(slot);
  }
  ctx.db.touch(key);
  return out;
}

/* SRANDMEMBER key [count] */
function srandmember(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  if (argv.length > 3) throw syntaxError();
  const key = argv[1] as Bytes;
  if (argv.length === 2) {
    const set = lookupSet(ctx, key);
    if (set === undefined) return null;
    return set.nameAt(set.randomSlot(ctx.random));
  }
  const count = randomCount(parseRandomCount(argv[2] as Bytes), false);
  const set = lookupSet(ctx, key);
  if (set === undefined || count === 0) return [];
  if (count < 0 || count === 1) {
    const draws = Math.abs(count);
    checkRepeats(ctx.limits, draws, false);
    const out: Reply[] = [];
    for (let i = 0; i < draws; i++) out.push(set.nameAt(set.randomSlot(ctx.random)));
    return out;
  }
  if (count >= set.size) return set.nameList();
  return set.randomSlots(count, ctx.random).map((slot) => set.nameAt(slot));
}

/**
 * The sets at `keys` (undefined for a missing key); WRONGTYPE if any key holds another type. A key
 * named twice is looked up (and type-checked) each time but returned once: union, intersection
 * and what is subtracted are the same without repeats, and `SINTER s s s …` (a request of 100,000
 * copies of one key) would otherwise visit the set once per copy. The first key stays first
 * (SDIFF subtracts the others from it; repeated among them, it empties the result as before).
 */
function lookupSets(ctx: CommandContext, keys: readonly Bytes[]): (SetValue | undefined)[] {
  const sets = keys.map((key) => lookupSet(ctx, key));
  const [first, ...others] = sets;
  return sets.length <= 1 ? sets : [first, ...new Set(others)];
}

/**
 * The members common to every set, in the smallest set's order; stops after `limit` members
 * (0: no limit). A missing key is an empty set, so the intersection is empty.
 */
function intersect(sets: readonly (SetValue | undefined)[], limit: number): Bytes[] {
  if (sets.some((s) => s === undefined)) return [];
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = sorted as [SetValue, ...SetValue[]];
  const out: Bytes[] = [];
  for (const member of smallest.nameList()) {
    if (others.every((s) => s === smallest || s.has(member))) {
      out.push(member);
      if (limit > 0 && out.length >= limit) break;
    }
  }
  return out;
}

/** The members of any of the sets, without duplicates. */
function union(sets: readonly (SetValue | undefined)[]): SetValue {
  const out = new SetValue();
  for (const set of sets) {
    if (set === undefined) continue;
    for (const member of set.nameList()) out.add(member);
  }
  return out;
}

/**
 * The members of the first set that are in none of the others. As Redis does, it picks the
 * cheaper of two methods: test each member of the first set against every other set
 * (O(N·M)), or copy the first set and remove every member of the others (O(total size)).
 */
function difference(sets: readonly (SetValue | undefined)[]): SetValue {
  const [first, ...others] = sets;
  if (first === undefined) return new SetValue();
  const present = others.filter((s): s is SetValue => s !== undefined);
  const testWork = (first.size * present.length) / 2;
  const removeWork = present.reduce((n, s) => n + s.size, first.size);
  if (testWork <= removeWork) {
    // Test the larger sets first: a member is more likely to be found (and dropped) early.
    const ordered = present.slice().sort((a, b) => b.size - a.size);
    const out = new SetValue();
    for (const member of first.nameList()) {
      if (!ordered.some((s) => s.has(member))) out.add(member);
    }
    return out;
  }
  const out = first.clone();
  for (const set of present) {
    for (const member of set.nameList()) out.remove(member);
    if (out.size === 0) break;
  }
  return out;
}

/**
 * Stores `result` at `dst` (overwriting any type, clearing any TTL) with `event`, or deletes
 * `dst` when the result is empty. Replies with the result's size.
 */
function storeResult(ctx: CommandContext, dst: Bytes, result: SetValue, event: string): Reply {
  if (result.size === 0) {
    if (ctx.db.remove(dst)) ctx.notify("generic", "del", dst);
    return 0;
  }
  result.compact();
  ctx.db.put(dst, result);
  ctx.notify("set", event, dst);
  return result.size;
}

/* SINTER key [key ...] */
function sinter(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return intersect(lookupSets(ctx, argv.slice(1)), 0);
}

/* SINTERSTORE destination key [key ...] */
function sinterstore(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const result = SetValue.of(intersect(lookupSets(ctx, argv.slice(2)), 0));
  return storeResult(ctx, argv[1] as Bytes, result, "sinterstore");
}

/* SUNION key [key ...] */
function sunion(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return union(lookupSets(ctx, argv.slice(1))).nameList();
}

/* SUNIONSTORE destination key [key ...] */
function sunionstore(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return storeResult(ctx, argv[1] as Bytes, union(lookupSets(ctx, argv.slice(2))), "sunionstore");
}

/* SDIFF key [key ...] */
function sdiff(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return difference(lookupSets(ctx, argv.slice(1))).nameList();
}

/* SDIFFSTORE destination key [key ...] */
function sdiffstore(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return storeResult(ctx, argv[1] as Bytes, difference(lookupSets(ctx, argv.slice(2))), "sdiffstore");
}

/** SINTERCARD's numkeys: a positive integer, or `ERR numkeys should be greater than 0`. */
function parseNumKeys(arg: Bytes): number {
  let n: number | bigint;
  try {
    n = parseInt64(arg);
  } catch {
    n = 0;
  }
  if (n <= 0) throw genericError("numkeys should be greater than 0");
  return typeof n === "bigint" ? Number.MAX_SAFE_INTEGER : n;
}

/** The keys of SINTERCARD (`numkeys key [key ...]`); none when numkeys is malformed. */
function sintercardKeys(argv: readonly Bytes[]): Bytes[] {
  let n: number;
  try {
    n = parseNumKeys(argv[1] as Bytes);
  } catch {
    return [];
  }
  return argv.slice(2, 2 + Math.min(n, argv.length - 2));
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
function sintercard(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const numKeys = parseNumKeys(argv[1] as Bytes);
  if (numKeys > argv.length - 2) throw genericError("Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numKeys; i < argv.length; i++) {
    if ((argv[i] as Bytes).toUpperCase() === "LIMIT" && i + 1 < argv.length) {
      let n: number | bigint;
      try {
        n = parseInt64(argv[++i] as Bytes);
      } catch {
        n = -1;
      }
      if (n < 0) throw genericError("LIMIT can't be negative");
      limit = typeof n === "bigint" ? 0 : n;
    } else {
      throw syntaxError();
    }
  }
  return intersect(lookupSets(ctx, argv.slice(2, 2 + numKeys)), limit).length;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] */
function sscan(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  // Parsed before the key is looked at, as Redis does: a bad cursor errs even on a missing key.
  const cursor = parseScanCursor(argv[2] as Bytes);
  const set = lookupSet(ctx, key);
  if (set === undefined) return ["0", []];
  const options = parseElementScanOptions(ctx, argv, 3);
  return scanElements(
    ctx,
    key,
    cursor,
    // A small (unindexed) table is returned whole whatever COUNT says, as Redis does for listpacks.
    set.indexed ? set.size : 0,
    () => set.scanNames(),
    (member) => member,
    (member, out) => {
      out.push(member);
    },
    options,
  );
}

const SCAN_COMPLEXITY =
  "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.";
const INTER_COMPLEXITY =
  "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
const ALL_SETS_COMPLEXITY = "O(N) where N is the total number of elements in all given sets.";

/** Key spec and group of the commands whose only key is argv[1]. */
const ONE_KEY = oneKey("set");

/** The set commands (group `set`). */
export const setCommands: CommandSpec[] = [
  {
    name: "SADD",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity:
      "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    summary: "Add one or more members to a set",
    syntax: "SADD key member [member ...]",
    handler: sadd,
  },
  {
    name: "SREM",
    arity: -3,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of members to be removed.",
    summary: "Remove one or more members from a set",
    syntax: "SREM key member [member ...]",
    handler: srem,
  },
  {
    name: "SMEMBERS",
    arity: 2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the set cardinality.",
    summary: "Get all the members in a set",
    syntax: "SMEMBERS key",
    handler: smembers,
  },
  {
    name: "SISMEMBER",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Determine if a given value is a member of a set",
    syntax: "SISMEMBER key member",
    handler: sismember,
  },
  {
    name: "SMISMEMBER",
    arity: -3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of elements being checked for membership",
    summary: "Returns the membership associated with the given elements for a set",
    syntax: "SMISMEMBER key member [member ...]",
    handler: smismember,
  },
  {
    name: "SCARD",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the number of members in a set",
    syntax: "SCARD key",
    handler: scard,
  },
  {
    name: "SPOP",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    summary: "Remove and return one or multiple random members from a set",
    syntax: "SPOP key [count]",
    handler: spop,
  },
  {
    name: "SRANDMEMBER",
    arity: -2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    summary: "Get one or multiple random members from a set",
    syntax: "SRANDMEMBER key [count]",
    handler: srandmember,
  },
  {
    name: "SMOVE",
    arity: 4,
    flags: ["write", "fast"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "set",
    complexity: "O(1)",
    summary: "Move a member from one set to another",
    syntax: "SMOVE source destination member",
    handler: smove,
  },
  {
    name: "SINTER",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: INTER_COMPLEXITY,
    summary: "Intersect multiple sets",
    syntax: "SINTER key [key ...]",
    handler: sinter,
  },
  {
    name: "SINTERCARD",
    arity: -3,
    flags: ["readonly"],
    // Movable keys (numkeys): the legacy key spec is 0,0,0 as in Redis; `keys` extracts them.
    ...noKeys("set"),
    complexity: INTER_COMPLEXITY,
    summary: "Intersect multiple sets and return the cardinality of the result",
    syntax: "SINTERCARD numkeys key [key ...] [LIMIT limit]",
    keys: sintercardKeys,
    handler: sintercard,
  },
  {
    name: "SINTERSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: INTER_COMPLEXITY,
    summary: "Intersect multiple sets and store the resulting set in a key",
    syntax: "SINTERSTORE destination key [key ...]",
    handler: sinterstore,
  },
  {
    name: "SUNION",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: ALL_SETS_COMPLEXITY,
    summary: "Add multiple sets",
    syntax: "SUNION key [key ...]",
    handler: sunion,
  },
  {
    name: "SUNIONSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: ALL_SETS_COMPLEXITY,
    summary: "Add multiple sets and store the resulting set in a key",
    syntax: "SUNIONSTORE destination key [key ...]",
    handler: sunionstore,
  },
  {
    name: "SDIFF",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: ALL_SETS_COMPLEXITY,
    summary: "Subtract multiple sets",
    syntax: "SDIFF key [key ...]",
    handler: sdiff,
  },
  {
    name: "SDIFFSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "set",
    complexity: ALL_SETS_COMPLEXITY,
    summary: "Subtract multiple sets and store the resulting set in a key",
    syntax: "SDIFFSTORE destination key [key ...]",
    handler: sdiffstore,
  },
  {
    name: "SSCAN",
    arity: -3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: SCAN_COMPLEXITY,
    summary: "Incrementally iterate Set elements",
    syntax: "SSCAN key cursor [MATCH pattern] [COUNT count]",
    handler: sscan,
  },
];
