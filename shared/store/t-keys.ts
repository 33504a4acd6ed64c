import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, type KeyspaceContext, noKeys, oneKey } from "./command.js";
import { genericError, invalidExpire, notInteger, StoreError, syntaxError, wrongArity } from "./errors.js";
import { inKeyspaceView, isAsyncPages, thenMaybe } from "./keyspace-ops.js";
import { encodingOf } from "./object-info.js";
import { checkedDeadline, parseInt64, parseScanCursor } from "./parse.js";
import { OK, type Reply, Status } from "./reply.js";
import type { MaybePromise, ScanFilter } from "./repository.js";
import { helpReply, unknownSubcommand } from "./subcommands.js";
import { type KeyType, typeOf, type Value } from "./value.js";

/*
 * The generic (keyspace) commands, as in redis/src/db.c and expire.c: DEL, EXISTS, TYPE, RENAME,
 * the EXPIRE family, TTL family, SCAN, KEYS, COPY, OBJECT… First the shared logic, then the specs.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MAX_NUMBER = 2 ** 63;

/** An integer reply: a number when it is safe, else a bigint (clamped to int64). */
function intReply(n: number): number | bigint {
  if (Number.isSafeInteger(n)) return n;
  return n >= INT64_MAX_NUMBER ? INT64_MAX : BigInt(n);
}

// ---------------------------------------------------------------------------------------------
// Expiry: EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT, TTL / PTTL / EXPIRETIME / PEXPIRETIME
// ---------------------------------------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Parses `[NX | XX | GT | LT]` (repeats allowed, as in Redis) from argv[3] on. */
function parseExpireFlags(argv: readonly Bytes[]): number {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i] as Bytes;
    switch (opt.toUpperCase()) {
      case "NX":
        flags |= EXPIRE_NX;
        break;
      case "XX":
        flags |= EXPIRE_XX;
        break;
      case "GT":
        flags |= EXPIRE_GT;
        break;
      case "LT":
        flags |= EXPIRE_LT;
        break;
      default:
        throw new StoreError("SYNTAX", `ERR Unsupported option ${opt}`);
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    throw new StoreError("SYNTAX", "ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    throw new StoreError("SYNTAX", "ERR GT and LT options at the same time are not compatible");
  }
  return flags;
}

/**
 * The EXPIRE family (Redis's expireGenericCommand). `basetime` is 0 for the *AT forms and now for
 * the relative ones; `seconds` says the argument's unit. Overflow is checked in int64 as Redis does.
 * A deadline not after now deletes the key at once (Redis's checkAlreadyExpired) with a `del` event.
 */
function expireGeneric(
  ctx: CommandContext,
  argv: readonly Bytes[],
  command: string,
  basetime: number,
  seconds: boolean,
): Reply {
  const key = argv[1] as Bytes;
  const flags = parseExpireFlags(argv);
  let when = BigInt(parseInt64(argv[2] as Bytes));
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalidExpire(command);
    when *= 1000n;
  }
  const base = BigInt(basetime);
  if (when > INT64_MAX - base) throw invalidExpire(command);
  when += base;
  // Past MAX_DEADLINE_MS a deadline would be stored rounded: refused (Redis takes any int64).
  const at = when <= BigInt(ctx.now) ? Number(when) : checkedDeadline(when, command);

  if (ctx.db.lookup(key) === undefined) return 0;
  if (flags !== 0) {
    // A key without a TTL has an infinite one: GT never succeeds on it, LT always may.
    const current = ctx.db.expireAt(key);
    if (flags & EXPIRE_NX && current !== undefined) return 0;
    if (flags & EXPIRE_XX && current === undefined) return 0;
    if (flags & EXPIRE_GT && (current === undefined || at <= current)) return 0;
    if (flags & EXPIRE_LT && current !== undefined && at >= current) return 0;
  }
  if (when <= BigInt(ctx.now)) {
    ctx.db.remove(key);
    ctx.notify("generic", "del", key);
    return 1;
  }
  ctx.db.setExpireAt(key, at);
  ctx.notify("generic", "expire", key);
  return 1;
}

/** TTL / PTTL / EXPIRETIME / PEXPIRETIME (Redis's ttlGenericCommand): seconds are rounded. */
function ttlGeneric(ctx: CommandContext, key: Bytes, ms: boolean, absolute: boolean): Reply {
  if (ctx.db.lookup(key) === undefined) return -2;
  const at = ctx.db.expireAt(key);
  if (at === undefined) return -1;
  const ttl = Math.max(0, absolute ? at : at - ctx.now);
  if (ms) return intReply(ttl);
  if (Number.isSafeInteger(ttl + 500)) return Math.floor((ttl + 500) / 1000);
  // Past 2^53 ms (deadlines beyond year 287,000), round in exact integer arithmetic.
  const seconds = (BigInt(Math.min(ttl, INT64_MAX_NUMBER - 1024)) + 500n) / 1000n;
  return seconds <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seconds) : seconds;
}

// ---------------------------------------------------------------------------------------------
// RENAME / RENAMENX, COPY
// ---------------------------------------------------------------------------------------------

/** RENAME and RENAMENX (Redis's renameGenericCommand): the value moves with its TTL. */
function renameGeneric(ctx: CommandContext, argv: readonly Bytes[], nx: boolean): Reply {
  const src = argv[1] as Bytes;
  const dst = argv[2] as Bytes;
  const value = ctx.db.lookup(src);
  if (value === undefined) throw new StoreError("NO_SUCH_KEY");
  if (src === dst) return nx ? 0 : OK;
  const at = ctx.db.expireAt(src);
  if (nx && ctx.db.lookup(dst) !== undefined) return 0;
  ctx.db.remove(src);
  ctx.db.put(dst, value); // overwrites dst and clears its TTL, as Redis's dbDelete + dbAdd
  if (at !== undefined) ctx.db.setExpireAt(dst, at);
  ctx.notify("generic", "rename_from", src);
  ctx.notify("generic", "rename_to", dst);
  return nx ? 1 : OK;
}

/** A deep copy of a value: strings are immutable, containers clone themselves. */
function duplicate(value: Value): Value {
  return typeof value === "string" ? value : value.clone();
}

/** Parses a `DB index` argument: the store has one database, index 0. */
function checkDbIndex(arg: Bytes): void {
  const n = parseInt64(arg);
  if (typeof n === "bigint" || n < -(2 ** 31) || n >= 2 ** 31) throw notInteger();
  if (n !== 0) throw genericError("DB index is out of range");
}

// ---------------------------------------------------------------------------------------------
// SCAN, KEYS
// ---------------------------------------------------------------------------------------------

const KEY_TYPES: ReadonlySet<string> = new Set<KeyType>(["string", "list", "hash", "set", "zset", "stream"]);

/** SCAN's COUNT: an integer, at least 1 (else syntax error, as Redis), at most the limit. */
function parseScanCount(ctx: KeyspaceContext, arg: Bytes): number {
  const n = parseInt64(arg);
  if (n < 1) throw syntaxError();
  const max = ctx.limits.maxScanCount;
  if (typeof n === "bigint" || n > max) throw new StoreError("LIMIT", `ERR COUNT exceeds the maximum (${max})`);
  return n;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scanCommand(ctx: KeyspaceContext, argv: readonly Bytes[]): MaybePromise<Reply> {
  const cursor = parseScanCursor(argv[1] as Bytes);
  let count = 10;
  let match: Bytes | undefined;
  let type: string | undefined;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = (argv[i] as Bytes).toUpperCase();
    if (i + 1 >= argv.length) throw syntaxError();
    const arg = argv[i + 1] as Bytes;
    if (opt === "COUNT") count = parseScanCount(ctx, arg);
    else if (opt === "MATCH") match = arg === "*" ? undefined : arg;
    else if (opt === "TYPE") type = arg.toLowerCase();
    else throw syntaxError();
  }
  // A type we do not hold (e.g. "stream") matches no key, but the cursor still advances.
  const known = type === undefined || KEY_TYPES.has(type);
  const filter: ScanFilter = { match, type: known ? (type as KeyType | undefined) : undefined };
  return thenMaybe(ctx.keyspace.scan(cursor, count, filter), (page): Reply => [page.cursor, known ? page.keys : []]);
}

/** Keys KEYS examines per page; between pages it may yield to other clients. */
const KEYS_PAGE = 10_000;

function append(out: Bytes[], page: readonly Bytes[]): void {
  for (let i = 0; i < page.length; i++) out.push(page[i] as Bytes);
}

/** One macrotask: lets other clients' commands run between two pages of KEYS. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/* KEYS pattern */
function keysCommand(ctx: KeyspaceContext, argv: readonly Bytes[]): MaybePromise<Reply> {
  const pattern = argv[1] as Bytes;
  const pages = ctx.keyspace.list({ match: pattern === "*" ? undefined : pattern }, KEYS_PAGE);
  const out: Bytes[] = [];
  if (isAsyncPages(pages)) {
    return (async () => {
      for await (const page of pages) append(out, page);
      return out;
    })();
  }
  // A keyspace of up to two pages answers in this turn; past that, one page per turn, so a huge
  // keyspace does not stall other clients (each key present throughout is listed once).
  const iter = pages[Symbol.iterator]();
  for (let turnPages = 0; ; ) {
    const next = iter.next();
    if (next.done) return out;
    append(out, next.value);
    if (ctx.mayYield && ++turnPages >= 2) break;
  }
  return (async () => {
    for (;;) {
      await nextTurn();
      const next = iter.next();
      if (next.done) return out;
      append(out, next.value);
    }
  })();
}

// ---------------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------------

const OBJECT_HELP: readonly string[] = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Not tracked: this store keeps no access frequency (answers an error for an existing key).",
  "IDLETIME <key>",
  "    Not tracked: this store keeps no access time (answers an error for an existing key).",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key> (always 1: every key owns its value).",
  "HELP",
  "    Prints this help.",
];

/* OBJECT <ENCODING | FREQ | IDLETIME | REFCOUNT> key | OBJECT HELP */
function objectCommand(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const sub = (argv[1] as Bytes).toUpperCase();
  if (sub === "HELP") {
    if (argv.length !== 2) throw wrongArity("object|help");
    return helpReply(OBJECT_HELP);
  }
  if (sub !== "ENCODING" && sub !== "FREQ" && sub !== "IDLETIME" && sub !== "REFCOUNT") {
    throw unknownSubcommand(argv[1] as Bytes, "OBJECT");
  }
  if (argv.length !== 3) throw wrongArity(`object|${sub.toLowerCase()}`);
  const value = ctx.db.lookup(argv[2] as Bytes);
  if (value === undefined) return null;
  switch (sub) {
    case "ENCODING":
      return encodingOf(value);
    case "REFCOUNT":
      return 1;
    case "FREQ":
      // Redis's own answer when no LFU policy is in force; we never track frequency.
      throw genericError(
        "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
      );
    default:
      throw genericError("idle time not tracked: this store keeps no per-key access time");
  }
}

// ---------------------------------------------------------------------------------------------
// DEL, EXISTS, FLUSH, COPY
// ---------------------------------------------------------------------------------------------

/* DEL / UNLINK key [key ...] */
function deleteKeys(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i] as Bytes;
    if (ctx.db.remove(key)) {
      ctx.notify("generic", "del", key);
      n++;
    }
  }
  return n;
}

/* EXISTS / TOUCH key [key ...] */
function countLive(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.lookup(argv[i] as Bytes) !== undefined) n++;
  return n;
}

/* FLUSHALL / FLUSHDB [ASYNC | SYNC] */
function flushCommand(ctx: KeyspaceContext, argv: readonly Bytes[]): MaybePromise<Reply> {
  if (argv.length > 2) throw syntaxError();
  if (argv.length === 2) {
    const mode = (argv[1] as Bytes).toUpperCase();
    if (mode !== "ASYNC" && mode !== "SYNC") throw syntaxError();
  }
  return thenMaybe(ctx.keyspace.flush(), (): Reply => {
    // Parked element scans iterate collections that are gone now.
    ctx.elementCursors.clear();
    return OK;
  });
}

/* RANDOMKEY */
function randomKeyCommand(ctx: KeyspaceContext): MaybePromise<Reply> {
  return thenMaybe(ctx.keyspace.randomKey(), (key): Reply => key ?? null);
}

/* DBSIZE */
function dbsizeCommand(ctx: KeyspaceContext): MaybePromise<Reply> {
  return ctx.keyspace.count();
}

/* COPY source destination [DB destination-db] [REPLACE] */
function copyCommand(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = (argv[i] as Bytes).toUpperCase();
    if (opt === "REPLACE") replace = true;
    else if (opt === "DB" && i + 1 < argv.length) checkDbIndex(argv[++i] as Bytes);
    else throw syntaxError();
  }
  const src = argv[1] as Bytes;
  const dst = argv[2] as Bytes;
  if (src === dst) throw genericError("source and destination objects are the same");
  const value = ctx.db.lookup(src);
  if (value === undefined) return 0;
  const at = ctx.db.expireAt(src);
  if (!replace && ctx.db.lookup(dst) !== undefined) return 0;
  ctx.db.put(dst, duplicate(value));
  if (at !== undefined) ctx.db.setExpireAt(dst, at);
  ctx.notify("generic", "copy_to", dst);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// The command table
// ---------------------------------------------------------------------------------------------

/** Key spec and group of the commands whose only key is argv[1]. */
const ONE_KEY = oneKey("generic");

/** The generic (keyspace) commands. */
export const keyCommands: CommandSpec[] = [
  {
    name: "DEL",
    arity: -2,
    flags: ["write"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    complexity:
      "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    summary: "Delete a key",
    syntax: "DEL key [key ...]",
    /* DEL key [key ...] */
    handler: (ctx, argv) => deleteKeys(ctx, argv),
  },
  {
    name: "UNLINK",
    arity: -2,
    flags: ["write", "fast"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    complexity: "O(1) for each key removed regardless of its size.",
    summary: "Delete a key (the same as DEL here: memory is reclaimed by the garbage collector)",
    syntax: "UNLINK key [key ...]",
    /* UNLINK key [key ...] */
    handler: (ctx, argv) => deleteKeys(ctx, argv),
  },
  {
    name: "EXISTS",
    arity: -2,
    flags: ["readonly", "fast"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    complexity: "O(N) where N is the number of keys to check.",
    summary: "Determine if a key exists",
    syntax: "EXISTS key [key ...]",
    /* EXISTS key [key ...] — a key named twice counts twice */
    handler: (ctx, argv) => countLive(ctx, argv),
  },
  {
    name: "TYPE",
    arity: 2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Determine the type stored at key",
    syntax: "TYPE key",
    /* TYPE key */
    handler: (ctx, argv) => {
      const value = ctx.db.lookup(argv[1] as Bytes);
      return new Status(value === undefined ? "none" : typeOf(value));
    },
  },
  {
    name: "RENAME",
    arity: 3,
    flags: ["write"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "generic",
    complexity: "O(1)",
    summary: "Rename a key",
    syntax: "RENAME key newkey",
    /* RENAME key newkey */
    handler: (ctx, argv) => renameGeneric(ctx, argv, false),
  },
  {
    name: "RENAMENX",
    arity: 3,
    flags: ["write", "fast"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "generic",
    complexity: "O(1)",
    summary: "Rename a key, only if the new key does not exist",
    syntax: "RENAMENX key newkey",
    /* RENAMENX key newkey */
    handler: (ctx, argv) => renameGeneric(ctx, argv, true),
  },
  ...(
    [
      ["EXPIRE", "seconds", "Set a key's time to live in seconds", true, true],
      ["PEXPIRE", "milliseconds", "Set a key's time to live in milliseconds", true, false],
      ["EXPIREAT", "unix-time-seconds", "Set the expiration for a key as a UNIX timestamp", false, true],
      [
        "PEXPIREAT",
        "unix-time-milliseconds",
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        false,
        false,
      ],
    ] as const
  ).map(
    ([name, arg, summary, relative, seconds]): CommandSpec => ({
      name,
      arity: -3,
      flags: ["write", "fast"],
      ...ONE_KEY,
      complexity: "O(1)",
      summary,
      syntax: `${name} key ${arg} [NX | XX | GT | LT]`,
      /* EXPIRE key seconds [NX | XX | GT | LT] (and PEXPIRE, EXPIREAT, PEXPIREAT) */
      handler: (ctx, argv) => expireGeneric(ctx, argv, name.toLowerCase(), relative ? ctx.now : 0, seconds),
    }),
  ),
  ...(
    [
      ["TTL", "Get the time to live for a key in seconds", false, false],
      ["PTTL", "Get the time to live for a key in milliseconds", true, false],
      ["EXPIRETIME", "Get the expiration Unix timestamp for a key", false, true],
      ["PEXPIRETIME", "Get the expiration Unix timestamp for a key in milliseconds", true, true],
    ] as const
  ).map(
    ([name, summary, ms, absolute]): CommandSpec => ({
      name,
      arity: 2,
      flags: ["readonly", "fast"],
      ...ONE_KEY,
      complexity: "O(1)",
      summary,
      syntax: `${name} key`,
      /* TTL key (and PTTL, EXPIRETIME, PEXPIRETIME): -2 missing, -1 no TTL */
      handler: (ctx, argv) => ttlGeneric(ctx, argv[1] as Bytes, ms, absolute),
    }),
  ),
  {
    name: "PERSIST",
    arity: 2,
    flags: ["write", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Remove the expiration from a key",
    syntax: "PERSIST key",
    /* PERSIST key */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      if (ctx.db.lookup(key) === undefined || !ctx.db.persist(key)) return 0;
      ctx.notify("generic", "persist", key);
      return 1;
    },
  },
  {
    name: "SCAN",
    arity: -2,
    flags: ["readonly", "keyspace"],
    ...noKeys("generic"),
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    summary: "Incrementally iterate the keys space",
    syntax: "SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]",
    keyspace: scanCommand,
    handler: inKeyspaceView(scanCommand),
  },
  {
    name: "KEYS",
    arity: 2,
    flags: ["readonly", "keyspace"],
    ...noKeys("generic"),
    complexity:
      "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    summary: "Find all keys matching the given pattern",
    syntax: "KEYS pattern",
    keyspace: keysCommand,
    handler: inKeyspaceView(keysCommand),
  },
  {
    name: "RANDOMKEY",
    arity: 1,
    flags: ["readonly", "keyspace"],
    ...noKeys("generic"),
    complexity: "O(1)",
    summary: "Return a random key from the keyspace",
    syntax: "RANDOMKEY",
    keyspace: randomKeyCommand,
    handler: inKeyspaceView(randomKeyCommand),
  },
  {
    name: "DBSIZE",
    arity: 1,
    flags: ["readonly", "fast", "keyspace"],
    ...noKeys("server"),
    complexity: "O(1)",
    summary: "Return the number of keys in the selected database",
    syntax: "DBSIZE",
    keyspace: dbsizeCommand,
    handler: inKeyspaceView(dbsizeCommand),
  },
  {
    name: "FLUSHALL",
    arity: -1,
    flags: ["write", "keyspace"],
    ...noKeys("server"),
    complexity: "O(N) where N is the total number of keys in all databases",
    summary: "Remove all keys from all databases (ASYNC and SYNC both flush at once)",
    syntax: "FLUSHALL [ASYNC | SYNC]",
    keyspace: flushCommand,
    handler: inKeyspaceView(flushCommand),
  },
  {
    name: "FLUSHDB",
    arity: -1,
    flags: ["write", "keyspace"],
    ...noKeys("server"),
    complexity: "O(N) where N is the number of keys in the selected database",
    summary: "Remove all keys from the current database (ASYNC and SYNC both flush at once)",
    syntax: "FLUSHDB [ASYNC | SYNC]",
    keyspace: flushCommand,
    handler: inKeyspaceView(flushCommand),
  },
  {
    name: "COPY",
    arity: -3,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "generic",
    complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    summary: "Copy a key",
    syntax: "COPY source destination [DB destination-db] [REPLACE]",
    handler: copyCommand,
  },
  {
    name: "TOUCH",
    arity: -2,
    flags: ["readonly", "fast"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    complexity: "O(N) where N is the number of keys that will be touched.",
    summary: "Returns the number of existing keys specified (no access time is kept to alter)",
    syntax: "TOUCH key [key ...]",
    /* TOUCH key [key ...] */
    handler: (ctx, argv) => countLive(ctx, argv),
  },
  {
    name: "OBJECT",
    arity: -2,
    flags: ["readonly"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "generic",
    complexity: "O(1)",
    summary: "Inspect the internals of a key's value (encoding; reference count)",
    syntax: "OBJECT ENCODING key | OBJECT FREQ key | OBJECT IDLETIME key | OBJECT REFCOUNT key | OBJECT HELP",
    handler: objectCommand,
  },
];
