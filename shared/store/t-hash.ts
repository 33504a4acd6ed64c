import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { genericError, notFloat, StoreError, syntaxError, wrongArity, wrongType } from "./errors.js";
import { HashValue } from "./hash-value.js";
import { addLongDouble, formatLongDouble, parseLongDouble } from "./long-double.js";
import { parseInt64, parseScanCursor } from "./parse.js";
import { checkRepeats, parseRandomCount, randomCount } from "./random-count.js";
import { OK, type Reply } from "./reply.js";
import { parseElementScanOptions, scanElements } from "./scan-elements.js";

/**
 * The hash commands (Redis's t_hash.c). The type API is {@link HashValue}; this file holds the
 * commands: look up → check type → change → touch → notify → reply.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The hash at `key`, or undefined when missing; WRONGTYPE for another type. */
function lookupHash(ctx: CommandContext, key: Bytes): HashValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined) return undefined;
  if (!(value instanceof HashValue)) throw wrongType();
  return value;
}

/** A new empty hash stored at `key` (which is missing): the caller fills it at once. */
function createHash(ctx: CommandContext, key: Bytes): HashValue {
  const hash = new HashValue();
  ctx.db.put(key, hash);
  return hash;
}

/** Marks an in-place change and emits its event. */
function changed(ctx: CommandContext, key: Bytes, event: string): void {
  ctx.db.touch(key);
  ctx.notify("hash", event, key);
}

/** Removes the key when its hash became empty (with a `del` event). */
function removeIfEmpty(ctx: CommandContext, key: Bytes, hash: HashValue): void {
  if (hash.size === 0) {
    ctx.db.remove(key);
    ctx.notify("generic", "del", key);
  }
}

/* HSET key field value [field value ...]  and  HMSET key field value [field value ...] */
function hsetGeneric(ctx: CommandContext, argv: readonly Bytes[], name: string): Reply {
  if (argv.length % 2 === 1) throw wrongArity(name);
  const key = argv[1] as Bytes;
  const existing = lookupHash(ctx, key);
  const hash = existing ?? createHash(ctx, key);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.set(argv[i] as Bytes, argv[i + 1] as Bytes)) created++;
  }
  if (existing === undefined) hash.compact();
  changed(ctx, key, "hset");
  return name === "HSET" ? created : OK;
}

/* HSETNX key field value */
function hsetnx(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const field = argv[2] as Bytes;
  const hash = lookupHash(ctx, key);
  if (hash?.has(field)) return 0;
  (hash ?? createHash(ctx, key)).set(field, argv[3] as Bytes);
  changed(ctx, key, "hset");
  return 1;
}

/* HGET key field */
function hget(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.get(argv[2] as Bytes) ?? null;
}

/* HMGET key field [field ...] */
function hmget(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const hash = lookupHash(ctx, argv[1] as Bytes);
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) out.push(hash?.get(argv[i] as Bytes) ?? null);
  return out;
}

/* HDEL key field [field ...] */
function hdel(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const hash = lookupHash(ctx, key);
  if (hash === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < argv.length && hash.size > 0; i++) {
    if (hash.remove(argv[i] as Bytes)) deleted++;
  }
  if (deleted > 0) {
    changed(ctx, key, "hdel");
    removeIfEmpty(ctx, key, hash);
  }
  return deleted;
}

/* HLEN key */
function hlen(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.size ?? 0;
}

/* HSTRLEN key field */
function hstrlen(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.get(argv[2] as Bytes)?.length ?? 0;
}

/* HEXISTS key field */
function hexists(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.has(argv[2] as Bytes) ? 1 : 0;
}

/* HGETALL key */
function hgetall(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.flatEntries() ?? [];
}

/* HKEYS key */
function hkeys(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.nameList() ?? [];
}

/* HVALS key */
function hvals(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupHash(ctx, argv[1] as Bytes)?.valueList() ?? [];
}

/* HINCRBY key field increment */
function hincrby(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const field = argv[2] as Bytes;
  const incr = parseInt64(argv[3] as Bytes);
  const hash = lookupHash(ctx, key);
  const current = hash?.get(field);
  let old: number | bigint = 0;
  if (current !== undefined) {
    try {
      old = parseInt64(current);
    } catch {
      throw genericError("hash value is not an integer");
    }
  }
  let result: number | bigint;
  if (typeof old === "number" && typeof incr === "number" && Number.isSafeInteger(old + incr)) {
    result = old + incr;
  } else {
    const sum = BigInt(old) + BigInt(incr);
    if (sum < INT64_MIN || sum > INT64_MAX) throw new StoreError("OVERFLOW");
    result = sum >= BigInt(Number.MIN_SAFE_INTEGER) && sum <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sum) : sum;
  }
  (hash ?? createHash(ctx, key)).set(field, String(result));
  changed(ctx, key, "hincrby");
  return result;
}

/* HINCRBYFLOAT key field increment */
function hincrbyfloat(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const field = argv[2] as Bytes;
  const incr = parseLongDouble(argv[3] as Bytes);
  if (incr === undefined) throw notFloat();
  if (incr.inf) throw genericError("value is NaN or Infinity");
  const hash = lookupHash(ctx, key);
  const current = hash?.get(field);
  let sum = incr;
  if (current !== undefined) {
    const old = parseLongDouble(current);
    if (old === undefined) throw genericError("hash value is not a float");
    const added = addLongDouble(old, incr);
    if (added === undefined || added.inf) throw genericError("increment would produce NaN or Infinity");
    sum = added;
  }
  // Redis stores (and replicates) the formatted text, so the next increment parses the same text.
  const text = formatLongDouble(sum);
  (hash ?? createHash(ctx, key)).set(field, text);
  changed(ctx, key, "hincrbyfloat");
  return text;
}

/* HRANDFIELD key [count [WITHVALUES]] */
function hrandfield(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  if (argv.length === 2) {
    const hash = lookupHash(ctx, key);
    if (hash === undefined) return null;
    return hash.nameAt(hash.randomSlot(ctx.random));
  }
  const raw = parseRandomCount(argv[2] as Bytes);
  if (argv.length > 4 || (argv.length === 4 && (argv[3] as Bytes).toUpperCase() !== "WITHVALUES")) {
    throw syntaxError();
  }
  const withValues = argv.length === 4;
  const count = randomCount(raw, withValues);
  const hash = lookupHash(ctx, key);
  if (hash === undefined || count === 0) return [];
  const out: Reply[] = [];
  const emit = (slot: number): void => {
    out.push(hash.nameAt(slot));
    if (withValues) out.push(hash.valueAt(slot));
  };
  if (count < 0 || count === 1) {
    // Draws with repeats, each uniform over the whole hash.
    const draws = Math.abs(count);
    checkRepeats(ctx.limits, draws, withValues);
    for (let i = 0; i < draws; i++) emit(hash.randomSlot(ctx.random));
  } else if (count >= hash.size) {
    for (let slot = 0; slot < hash.size; slot++) emit(slot);
  } else {
    for (const slot of hash.randomSlots(count, ctx.random)) emit(slot);
  }
  return out;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES] */
function hscan(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  // Parsed before the key is looked at, as Redis does: a bad cursor errs even on a missing key.
  const cursor = parseScanCursor(argv[2] as Bytes);
  const hash = lookupHash(ctx, key);
  if (hash === undefined) return ["0", []];
  const options = parseElementScanOptions(ctx, argv, 3, true);
  return scanElements(
    ctx,
    key,
    cursor,
    // A small (unindexed) table is returned whole whatever COUNT says, as Redis does for listpacks.
    hash.indexed ? hash.size : 0,
    () => hash.scanNames(),
    (field) => field,
    (field, out) => {
      const value = hash.get(field);
      if (value === undefined) return; // removed since the iterator yielded it
      out.push(field);
      if (!options.noValues) out.push(value);
    },
    options,
  );
}

const SCAN_COMPLEXITY =
  "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.";

/** Key spec and group of the commands whose only key is argv[1]. */
const ONE_KEY = oneKey("hash");

/** The hash commands (group `hash`). */
export const hashCommands: CommandSpec[] = [
  {
    name: "HSET",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity:
      "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    summary: "Set the string value of a hash field",
    syntax: "HSET key field value [field value ...]",
    handler: (ctx, argv) => hsetGeneric(ctx, argv, "HSET"),
  },
  {
    name: "HMSET",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of fields being set.",
    summary: "Set multiple hash fields to multiple values",
    syntax: "HMSET key field value [field value ...]",
    handler: (ctx, argv) => hsetGeneric(ctx, argv, "HMSET"),
  },
  {
    name: "HSETNX",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the value of a hash field, only if the field does not exist",
    syntax: "HSETNX key field value",
    handler: hsetnx,
  },
  {
    name: "HGET",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the value of a hash field",
    syntax: "HGET key field",
    handler: hget,
  },
  {
    name: "HMGET",
    arity: -3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of fields being requested.",
    summary: "Get the values of all the given hash fields",
    syntax: "HMGET key field [field ...]",
    handler: hmget,
  },
  {
    name: "HDEL",
    arity: -3,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of fields to be removed.",
    summary: "Delete one or more hash fields",
    syntax: "HDEL key field [field ...]",
    handler: hdel,
  },
  {
    name: "HGETALL",
    arity: 2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the fields and values in a hash",
    syntax: "HGETALL key",
    handler: hgetall,
  },
  {
    name: "HEXISTS",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Determine if a hash field exists",
    syntax: "HEXISTS key field",
    handler: hexists,
  },
  {
    name: "HLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the number of fields in a hash",
    syntax: "HLEN key",
    handler: hlen,
  },
  {
    name: "HKEYS",
    arity: 2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the fields in a hash",
    syntax: "HKEYS key",
    handler: hkeys,
  },
  {
    name: "HVALS",
    arity: 2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the values in a hash",
    syntax: "HVALS key",
    handler: hvals,
  },
  {
    name: "HINCRBY",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Increment the integer value of a hash field by the given number",
    syntax: "HINCRBY key field increment",
    handler: hincrby,
  },
  {
    name: "HINCRBYFLOAT",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Increment the float value of a hash field by the given amount",
    syntax: "HINCRBYFLOAT key field increment",
    handler: hincrbyfloat,
  },
  {
    name: "HSTRLEN",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the length of the value of a hash field",
    syntax: "HSTRLEN key field",
    handler: hstrlen,
  },
  {
    name: "HRANDFIELD",
    arity: -2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N) where N is the number of fields returned",
    summary: "Get one or multiple random fields from a hash",
    syntax: "HRANDFIELD key [count [WITHVALUES]]",
    handler: hrandfield,
  },
  {
    name: "HSCAN",
    arity: -3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: SCAN_COMPLEXITY,
    summary: "Incrementally iterate hash fields and associated values",
    syntax: "HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]",
    handler: hscan,
  },
];
