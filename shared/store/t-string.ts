import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { invalidExpire, notFloat, notInteger, StoreError, syntaxError, wrongArity, wrongType } from "./errors.js";
import { type LcsOptions, lcs } from "./lcs.js";
import { addLongDouble, formatLongDouble, type LongDouble, parseLongDouble } from "./long-double.js";
import { checkedDeadline, parseInt64 } from "./parse.js";
import { OK, type Reply } from "./reply.js";

/*
 * The string commands (Redis's t_string.c), in two layers: the type API (read, write, parse
 * the integer a string holds, expire deadlines), then the command specs.
 */

// ---------------------------------------------------------------------------------------------
// Type API
// ---------------------------------------------------------------------------------------------

/** What the type API needs of a command context. */
export type StringContext = Pick<CommandContext, "db">;

/** The string at `key`, or undefined when the key is missing. Throws WRONGTYPE for other types. */
export function getStringValue(ctx: StringContext, key: Bytes): Bytes | undefined {
  const v = ctx.db.lookup(key);
  if (v === undefined || typeof v === "string") return v;
  throw wrongType();
}

/**
 * Stores the string `value` at `key`, overwriting any value of any type. Clears the TTL unless
 * `keepTtl`. Emits no event: the caller notifies (`set`, `append`, …) as its command requires.
 */
export function setStringValue(ctx: StringContext, key: Bytes, value: Bytes, keepTtl = false): void {
  ctx.db.put(key, value, keepTtl);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 as a reply: a number when it is a safe integer, else a bigint. */
export function int64Reply(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/**
 * Parses a signed 64-bit integer with Redis's `string2ll` rules (no sign but `-`, no spaces, no
 * leading zeros, and `-0` refused). Throws NOT_INTEGER.
 */
export function parseLongLong(arg: Bytes): number | bigint {
  if (arg === "-0") throw notInteger();
  return parseInt64(arg);
}

/**
 * Adds two int64 values; throws `ERR increment or decrement would overflow` when the result
 * leaves the int64 range. Numbers stay numbers while the result is a safe integer.
 */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  if (sum < INT64_MIN || sum > INT64_MAX) throw new StoreError("OVERFLOW");
  return int64Reply(sum);
}

/** How an expire argument is to be read. */
export interface ExpireUnit {
  /** Seconds (EX, EXAT, SETEX) rather than milliseconds (PX, PXAT, PSETEX). */
  readonly seconds: boolean;
  /** An absolute Unix time (EXAT, PXAT) rather than a time to live (EX, PX). */
  readonly absolute: boolean;
}

/**
 * Turns an expire argument of SET/SETEX/PSETEX/GETEX into an absolute deadline (ms since the
 * epoch), with Redis's checks: not positive, or overflowing int64 once in milliseconds (or once
 * `now` is added) or past `MAX_DEADLINE_MS` (parse.ts), is `ERR invalid expire time in '<command>'
 * command`. A deadline in the past is accepted (the key then expires).
 */
export function parseExpireDeadline(arg: Bytes, unit: ExpireUnit, nowMs: number, command: string): number {
  const n = parseLongLong(arg);
  if (typeof n === "number") {
    if (n <= 0) throw invalidExpire(command);
    const ms = unit.seconds ? n * 1000 : n;
    const at = unit.absolute ? ms : ms + nowMs;
    if (Number.isSafeInteger(at)) return at;
  }
  let ms = BigInt(n);
  if (ms <= 0n || (unit.seconds && ms > INT64_MAX / 1000n)) throw invalidExpire(command);
  if (unit.seconds) ms *= 1000n;
  if (!unit.absolute) ms += BigInt(nowMs);
  return checkedDeadline(ms, command);
}

/** `ERR string exceeds maximum allowed size (proto-max-bulk-len)` unless size + grow fits. */
function checkStringLength(ctx: CommandContext, size: number | bigint, grow: number): void {
  const total = typeof size === "bigint" ? size + BigInt(grow) : size + grow;
  if (total > ctx.limits.maxValueBytes) {
    throw new StoreError("LIMIT", "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
}

// ---------------------------------------------------------------------------------------------
// SET / GETEX option parsing (parseExtendedStringArgumentsOrReply)
// ---------------------------------------------------------------------------------------------

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  /** The expire argument and how to read it, when one of EX/PX/EXAT/PXAT was given. */
  expire: { arg: Bytes; unit: ExpireUnit } | undefined;
}

const EX: ExpireUnit = { seconds: true, absolute: false };
const PX: ExpireUnit = { seconds: false, absolute: false };
const EXPIRE_UNITS: ReadonlyMap<string, ExpireUnit> = new Map([
  ["EX", EX],
  ["PX", PX],
  ["EXAT", { seconds: true, absolute: true }],
  ["PXAT", { seconds: false, absolute: true }],
]);

/**
 * Parses SET's options (`forSet`) or GETEX's from `argv[from]` on. As in Redis, a repeated option
 * is accepted (the last expire wins) but conflicting ones are a syntax error.
 */
function parseStringOptions(argv: readonly Bytes[], from: number, forSet: boolean): StringOptions {
  const o: StringOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expire: undefined };
  for (let j = from; j < argv.length; j++) {
    const opt = (argv[j] as Bytes).toUpperCase();
    const hasNext = j + 1 < argv.length;
    const unit = EXPIRE_UNITS.get(opt);
    if (forSet && opt === "NX" && !o.xx) o.nx = true;
    else if (forSet && opt === "XX" && !o.nx) o.xx = true;
    else if (forSet && opt === "GET") o.get = true;
    else if (forSet && opt === "KEEPTTL" && o.expire === undefined) o.keepTtl = true;
    else if (!forSet && opt === "PERSIST" && o.expire === undefined) o.persist = true;
    else if (unit !== undefined && hasNext && !o.keepTtl && !o.persist) {
      // The same option again is accepted; a different expire option is a conflict.
      if (o.expire !== undefined && o.expire.unit !== unit) throw syntaxError();
      o.expire = { arg: argv[++j] as Bytes, unit };
    } else throw syntaxError();
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/**
 * SET and its variants (setGenericCommand): validate the expire, GET the old value, honour
 * NX/XX, store, notify `set` (and `expire`). Returns `ok` when set, `abort` when NX/XX refused,
 * or the old value with GET.
 */
function setGeneric(
  ctx: CommandContext,
  command: string,
  key: Bytes,
  value: Bytes,
  o: StringOptions,
  ok: Reply,
  abort: Reply,
): Reply {
  const at = o.expire === undefined ? undefined : parseExpireDeadline(o.expire.arg, o.expire.unit, ctx.now, command);
  const old = ctx.db.lookup(key);
  if (o.get && old !== undefined && typeof old !== "string") throw wrongType();
  const found = old !== undefined;
  const reply = o.get ? ((old as Bytes | undefined) ?? null) : ok;
  if ((o.nx && found) || (o.xx && !found)) return o.get ? reply : abort;
  ctx.db.put(key, value, o.keepTtl);
  ctx.notify("string", "set", key);
  if (at !== undefined) {
    ctx.db.setExpireAt(key, at);
    ctx.notify("generic", "expire", key);
  }
  return reply;
}

/** True when SET's options make it a blind overwrite: no NX, XX, GET or KEEPTTL (a syntax error is not blind). */
function blindSetOptions(argv: readonly Bytes[], from: number): boolean {
  try {
    const o = parseStringOptions(argv, from, true);
    return !o.nx && !o.xx && !o.get && !o.keepTtl;
  } catch {
    return false;
  }
}

const NO_OPTIONS: StringOptions = {
  nx: false,
  xx: false,
  get: false,
  keepTtl: false,
  persist: false,
  expire: undefined,
};

/** GET's reply for `key`: the string, nil when missing; WRONGTYPE otherwise. */
function getGeneric(ctx: CommandContext, key: Bytes): Bytes | null {
  return getStringValue(ctx, key) ?? null;
}

/** Redis's OBJ_SHARED_INTEGERS: the integers 0 to 9999 stored as one shared string each. */
const SHARED_INTEGERS = 10_000;
/** Their strings, made on first use ("" until then: a packed array of one element kind). */
const sharedIntegers: string[] = new Array<string>(SHARED_INTEGERS).fill("");

/**
 * `n` as the string a key stores: the shared one for 0–9999 (as Redis shares its integer objects),
 * so counters kept by INCR allocate nothing and leave no old value behind for the collector.
 */
function integerText(n: number | bigint): Bytes {
  if (typeof n === "number" && n >= 0 && n < SHARED_INTEGERS) {
    const shared = sharedIntegers[n] as string;
    if (shared !== "") return shared;
    return (sharedIntegers[n] = String(n));
  }
  return String(n);
}

/* INCR key | DECR key | INCRBY key increment | DECRBY key decrement */
function incrDecr(ctx: CommandContext, key: Bytes, incr: number | bigint): Reply {
  const current = getStringValue(ctx, key);
  const value = current === undefined ? 0 : parseLongLong(current);
  const result = addInt64(value, incr);
  ctx.db.put(key, integerText(result), true);
  ctx.notify("string", "incrby", key);
  return result;
}

const LONG_DOUBLE_ZERO = parseLongDouble("0") as LongDouble;

/* GETRANGE key start end (7.0 index rules: an end before the start clamps to 0) */
function getRange(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  // Indexes past the safe range behave like ±infinity against any string length.
  let start = Number(parseLongLong(argv[2] as Bytes));
  let end = Number(parseLongLong(argv[3] as Bytes));
  const s = getStringValue(ctx, argv[1] as Bytes);
  if (s === undefined) return "";
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return "";
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return "";
  return s.slice(start, end + 1);
}

/* MSET key value [key value ...] | MSETNX key value [key value ...] */
function msetGeneric(ctx: CommandContext, argv: readonly Bytes[], nx: boolean): Reply {
  if (argv.length % 2 === 0) throw wrongArity(nx ? "msetnx" : "mset");
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) if (ctx.db.lookup(argv[j] as Bytes) !== undefined) return 0;
  }
  for (let j = 1; j < argv.length; j += 2) {
    const key = argv[j] as Bytes;
    ctx.db.put(key, argv[j + 1] as Bytes);
    ctx.notify("string", "set", key);
  }
  return nx ? 1 : OK;
}

/** Parses LCS's options; key lookups and the type check come first, as in Redis. */
function parseLcsOptions(argv: readonly Bytes[]): LcsOptions {
  const o = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as Bytes).toUpperCase();
    if (opt === "IDX") o.idx = true;
    else if (opt === "LEN") o.len = true;
    else if (opt === "WITHMATCHLEN") o.withMatchLen = true;
    else if (opt === "MINMATCHLEN" && j + 1 < argv.length) {
      const n = parseLongLong(argv[++j] as Bytes);
      o.minMatchLen = n < 0 ? 0 : Number(n);
    } else throw syntaxError();
  }
  if (o.len && o.idx) throw new StoreError("ERR", "ERR If you want both the length and indexes, please just use IDX.");
  return o;
}

/** Shared table fields of the one-key string commands. */
const ONE_KEY = oneKey("string");

const GETRANGE_COMPLEXITY =
  "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

/** The string commands. */
export const stringCommands: CommandSpec[] = [
  {
    name: "GET",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the value of a key",
    syntax: "GET key",
    /* GET key */
    handler: (ctx, argv) => getGeneric(ctx, argv[1] as Bytes),
  },
  {
    name: "SET",
    arity: -3,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the string value of a key",
    syntax:
      "SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
    /* SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] */
    handler: (ctx, argv) => {
      const options = argv.length === 3 ? NO_OPTIONS : parseStringOptions(argv, 3, true);
      return setGeneric(ctx, "set", argv[1] as Bytes, argv[2] as Bytes, options, OK, null);
    },
    blindWrite: (argv) => argv.length === 3 || blindSetOptions(argv, 3),
  },
  {
    name: "SETNX",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the value of a key, only if the key does not exist",
    syntax: "SETNX key value",
    /* SETNX key value */
    handler: (ctx, argv) =>
      setGeneric(ctx, "setnx", argv[1] as Bytes, argv[2] as Bytes, { ...NO_OPTIONS, nx: true }, 1, 0),
  },
  {
    name: "SETEX",
    arity: 4,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the value and expiration of a key",
    syntax: "SETEX key seconds value",
    /* SETEX key seconds value */
    handler: (ctx, argv) =>
      setGeneric(
        ctx,
        "setex",
        argv[1] as Bytes,
        argv[3] as Bytes,
        { ...NO_OPTIONS, expire: { arg: argv[2] as Bytes, unit: EX } },
        OK,
        null,
      ),
    blindWrite: () => true,
  },
  {
    name: "PSETEX",
    arity: 4,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the value and expiration in milliseconds of a key",
    syntax: "PSETEX key milliseconds value",
    /* PSETEX key milliseconds value */
    handler: (ctx, argv) =>
      setGeneric(
        ctx,
        "psetex",
        argv[1] as Bytes,
        argv[3] as Bytes,
        { ...NO_OPTIONS, expire: { arg: argv[2] as Bytes, unit: PX } },
        OK,
        null,
      ),
    blindWrite: () => true,
  },
  {
    name: "GETSET",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Set the string value of a key and return its old value",
    syntax: "GETSET key value",
    /* GETSET key value (deprecated since 6.2: SET key value GET) */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const old = getGeneric(ctx, key);
      ctx.db.put(key, argv[2] as Bytes);
      ctx.notify("string", "set", key);
      return old;
    },
  },
  {
    name: "GETDEL",
    arity: 2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the value of a key and delete the key",
    syntax: "GETDEL key",
    /* GETDEL key */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const old = getGeneric(ctx, key);
      if (old !== null && ctx.db.remove(key)) ctx.notify("generic", "del", key);
      return old;
    },
  },
  {
    name: "GETEX",
    arity: -2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the value of a key and optionally set its expiration",
    syntax: "GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
    /* GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] */
    handler: (ctx, argv) => {
      const o = parseStringOptions(argv, 2, false);
      const key = argv[1] as Bytes;
      const value = getStringValue(ctx, key);
      if (value === undefined) return null;
      // The expire is validated only once the key is known to hold a string.
      if (o.expire !== undefined) {
        const at = parseExpireDeadline(o.expire.arg, o.expire.unit, ctx.now, "getex");
        if (o.expire.unit.absolute && at <= ctx.now) {
          ctx.db.remove(key);
          ctx.notify("generic", "del", key);
        } else {
          ctx.db.setExpireAt(key, at);
          ctx.notify("generic", "expire", key);
        }
      } else if (o.persist && ctx.db.persist(key)) {
        ctx.notify("generic", "persist", key);
      }
      return value;
    },
  },
  {
    name: "MGET",
    arity: -2,
    flags: ["readonly", "fast"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "string",
    complexity: "O(N) where N is the number of keys to retrieve.",
    summary: "Get the values of all the given keys",
    syntax: "MGET key [key ...]",
    /* MGET key [key ...] */
    handler: (ctx, argv) => {
      const out: Reply[] = new Array(argv.length - 1);
      for (let j = 1; j < argv.length; j++) {
        const v = ctx.db.lookup(argv[j] as Bytes);
        out[j - 1] = typeof v === "string" ? v : null;
      }
      return out;
    },
  },
  {
    name: "MSET",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    group: "string",
    complexity: "O(N) where N is the number of keys to set.",
    summary: "Set multiple keys to multiple values",
    syntax: "MSET key value [key value ...]",
    /* MSET key value [key value ...] */
    handler: (ctx, argv) => msetGeneric(ctx, argv, false),
    blindWrite: () => true,
  },
  {
    name: "MSETNX",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    group: "string",
    complexity: "O(N) where N is the number of keys to set.",
    summary: "Set multiple keys to multiple values, only if none of the keys exist",
    syntax: "MSETNX key value [key value ...]",
    /* MSETNX key value [key value ...] */
    handler: (ctx, argv) => msetGeneric(ctx, argv, true),
  },
  {
    name: "INCR",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: "O(1)",
    summary: "Increment the integer value of a key by one",
    syntax: "INCR key",
    /* INCR key */
    handler: (ctx, argv) => incrDecr(ctx, argv[1] as Bytes, 1),
  },
  {
    name: "DECR",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: "O(1)",
    summary: "Decrement the integer value of a key by one",
    syntax: "DECR key",
    /* DECR key */
    handler: (ctx, argv) => incrDecr(ctx, argv[1] as Bytes, -1),
  },
  {
    name: "INCRBY",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: "O(1)",
    summary: "Increment the integer value of a key by the given amount",
    syntax: "INCRBY key increment",
    /* INCRBY key increment */
    handler: (ctx, argv) => incrDecr(ctx, argv[1] as Bytes, parseLongLong(argv[2] as Bytes)),
  },
  {
    name: "DECRBY",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    clockFree: true,
    complexity: "O(1)",
    summary: "Decrement the integer value of a key by the given number",
    syntax: "DECRBY key decrement",
    /* DECRBY key decrement */
    handler: (ctx, argv) => {
      const decr = parseLongLong(argv[2] as Bytes);
      // Negating INT64_MIN would overflow.
      if (decr === INT64_MIN) throw new StoreError("OVERFLOW", "ERR decrement would overflow");
      return incrDecr(ctx, argv[1] as Bytes, typeof decr === "bigint" ? -decr : -decr || 0);
    },
  },
  {
    name: "INCRBYFLOAT",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Increment the float value of a key by the given amount",
    syntax: "INCRBYFLOAT key increment",
    /* INCRBYFLOAT key increment */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const current = getStringValue(ctx, key);
      const value = current === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(current);
      if (value === undefined) throw notFloat();
      const incr = parseLongDouble(argv[2] as Bytes);
      if (incr === undefined) throw notFloat();
      const sum = addLongDouble(value, incr);
      if (sum === undefined || sum.inf) {
        throw new StoreError("NAN", "ERR increment would produce NaN or Infinity");
      }
      const text = formatLongDouble(sum);
      ctx.db.put(key, text, true);
      ctx.notify("string", "incrbyfloat", key);
      return text;
    },
  },
  {
    name: "APPEND",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    ...ONE_KEY,
    complexity:
      "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    summary: "Append a value to a key",
    syntax: "APPEND key value",
    /* APPEND key value */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const tail = argv[2] as Bytes;
      const current = getStringValue(ctx, key);
      let next = tail;
      if (current !== undefined) {
        checkStringLength(ctx, current.length, tail.length);
        next = current + tail;
      }
      ctx.db.put(key, next, true);
      ctx.notify("string", "append", key);
      return next.length;
    },
  },
  {
    name: "STRLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Get the length of the value stored in a key",
    syntax: "STRLEN key",
    /* STRLEN key */
    handler: (ctx, argv) => getStringValue(ctx, argv[1] as Bytes)?.length ?? 0,
  },
  {
    name: "GETRANGE",
    arity: 4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: GETRANGE_COMPLEXITY,
    summary: "Get a substring of the string stored at a key",
    syntax: "GETRANGE key start end",
    /* GETRANGE key start end */
    handler: getRange,
  },
  {
    name: "SUBSTR",
    arity: 4,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: GETRANGE_COMPLEXITY,
    summary: "Get a substring of the string stored at a key",
    syntax: "SUBSTR key start end",
    /* SUBSTR key start end (deprecated since 2.0: GETRANGE) */
    handler: getRange,
  },
  {
    name: "SETRANGE",
    arity: 4,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity:
      "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    summary: "Overwrite part of a string at key starting at the specified offset",
    syntax: "SETRANGE key offset value",
    /* SETRANGE key offset value */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const offset = parseLongLong(argv[2] as Bytes);
      const patch = argv[3] as Bytes;
      if (offset < 0) throw new StoreError("INDEX_OUT_OF_RANGE", "ERR offset is out of range");
      const current = getStringValue(ctx, key);
      // Setting nothing creates nothing, and changes nothing.
      if (patch.length === 0) return current?.length ?? 0;
      checkStringLength(ctx, offset, patch.length);
      const at = Number(offset);
      const base = current ?? "";
      const next =
        base.length >= at
          ? base.slice(0, at) + patch + base.slice(at + patch.length)
          : base + "\0".repeat(at - base.length) + patch;
      ctx.db.put(key, next, true);
      ctx.notify("string", "setrange", key);
      return next.length;
    },
  },
  {
    name: "LCS",
    arity: -3,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "string",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
    summary: "Find longest common substring",
    syntax: "LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",
    /* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN] */
    handler: (ctx, argv) => {
      const a = ctx.db.lookup(argv[1] as Bytes);
      const b = ctx.db.lookup(argv[2] as Bytes);
      if ((a !== undefined && typeof a !== "string") || (b !== undefined && typeof b !== "string")) {
        throw new StoreError("WRONGTYPE", "ERR The specified keys must contain string values");
      }
      const options = parseLcsOptions(argv);
      const sa = (a as Bytes | undefined) ?? "";
      const sb = (b as Bytes | undefined) ?? "";
      // The DP table is (|a|+1)(|b|+1) 32-bit cells; Redis caps it at proto-max-bulk-len.
      if ((sa.length + 1) * (sb.length + 1) * 4 > ctx.limits.maxValueBytes) {
        throw new StoreError("LIMIT", "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
      }
      return lcs(sa, sb, options);
    },
  },
];
