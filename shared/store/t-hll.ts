import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { StoreError, wrongType } from "./errors.js";
import { HLL_REGISTERS, Hll, hllCountHistogram, isHllValue, rawHistogram } from "./hyperloglog.js";
import { OK, type Reply, Status } from "./reply.js";

/*
 * The HyperLogLog commands (Redis 7.0's hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, on
 * string values in Redis's exact representation (hyperloglog.ts).
 */

/** `WRONGTYPE Key is not a valid HyperLogLog string value.` (a string that is not an HLL). */
const notHll = (): StoreError => new StoreError("WRONGTYPE", "WRONGTYPE Key is not a valid HyperLogLog string value.");

/** `INVALIDOBJ Corrupted HLL object detected` (sparse runs that do not add up). */
const corrupt = (): StoreError => new StoreError("INVALIDOBJ", "INVALIDOBJ Corrupted HLL object detected");

/** The HyperLogLog at `key`, undefined when missing; WRONGTYPE for another type or a non-HLL string. */
function lookupHll(ctx: CommandContext, key: Bytes): Hll | undefined {
  const v = ctx.db.lookup(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw wrongType();
  if (!isHllValue(v)) throw notHll();
  return Hll.from(v);
}

/* PFADD key [element [element ...]] */
function pfadd(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  let hll = lookupHll(ctx, key);
  let updated = 0;
  if (hll === undefined) {
    hll = Hll.create();
    updated++;
  }
  for (let j = 2; j < argv.length; j++) {
    const r = hll.add(argv[j] as Bytes);
    if (r === -1) {
      // Redis changes the value in place: the registers set before the corrupt run stay set
      // (without an event), and the command fails.
      if (updated > 0) ctx.db.put(key, hll.toBytes(), true);
      throw corrupt();
    }
    updated += r;
  }
  if (updated > 0) {
    hll.invalidateCache();
    ctx.db.put(key, hll.toBytes(), true);
    ctx.notify("string", "pfadd", key);
  }
  return updated > 0 ? 1 : 0;
}

/* PFCOUNT key [key ...] */
function pfcount(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  if (argv.length > 2) {
    // The union, in raw 8-bit registers; missing keys are empty.
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const hll = lookupHll(ctx, argv[j] as Bytes);
      if (hll !== undefined && !hll.mergeInto(max)) throw corrupt();
    }
    return hllCountHistogram(rawHistogram(max));
  }
  const key = argv[1] as Bytes;
  const hll = lookupHll(ctx, key);
  if (hll === undefined) return 0;
  const cached = hll.cachedCardinality();
  if (cached !== undefined) return cached;
  const histogram = hll.histogram();
  if (histogram === undefined) throw corrupt();
  const card = hllCountHistogram(histogram);
  // As Redis, the count is cached in the value itself (no event; WATCH sees the change), where
  // the engine lets a read-only command write (a synchronous one; elsewhere the cache stays invalid).
  if (ctx.readsMayWrite === true) {
    hll.setCachedCardinality(card);
    ctx.db.put(key, hll.toBytes(), true);
  }
  return card;
}

/* PFMERGE destkey [sourcekey [sourcekey ...]] */
function pfmerge(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  // The destination is a source too (Redis reads argv[1..]).
  for (let j = 1; j < argv.length; j++) {
    const hll = lookupHll(ctx, argv[j] as Bytes);
    if (hll === undefined) continue;
    if (hll.dense) useDense = true;
    if (!hll.mergeInto(max)) throw corrupt();
  }
  const dest = argv[1] as Bytes;
  const hll = lookupHll(ctx, dest) ?? Hll.create();
  if (useDense && !hll.toDense()) throw corrupt();
  for (let j = 0; j < HLL_REGISTERS; j++) {
    const v = max[j] as number;
    if (v !== 0) hll.set(j, v);
  }
  hll.invalidateCache();
  ctx.db.put(dest, hll.toBytes(), true);
  ctx.notify("string", "pfadd", dest);
  return OK;
}

/* PFDEBUG GETREG | DECODE | ENCODING | TODENSE key */
function pfdebug(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const sub = argv[1] as Bytes;
  const key = argv[2] as Bytes;
  const hll = lookupHll(ctx, key);
  if (hll === undefined) throw new StoreError("ERR", "ERR The specified key does not exist");
  const name = sub.toLowerCase();
  if (!["getreg", "decode", "encoding", "todense"].includes(name)) {
    throw new StoreError("ERR", `ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
  if (argv.length !== 3) throw new StoreError("ERR", `ERR Wrong number of arguments for the '${sub}' subcommand`);
  if (name === "encoding") return new Status(hll.dense ? "dense" : "sparse");
  if (name === "decode") {
    if (hll.dense) throw new StoreError("ERR", "ERR HLL encoding is not sparse");
    return hll.decode();
  }
  const wasSparse = !hll.dense;
  if (wasSparse) {
    if (!hll.toDense()) throw corrupt();
    ctx.db.put(key, hll.toBytes(), true);
  }
  return name === "todense" ? (wasSparse ? 1 : 0) : hll.registers();
}

const ALL_KEYS = { firstKey: 1, lastKey: -1, step: 1, group: "hyperloglog" } as const;

/** The HyperLogLog commands. */
export const hllCommands: CommandSpec[] = [
  {
    name: "PFADD",
    arity: -2,
    flags: ["write", "denyoom", "fast"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "hyperloglog",
    complexity: "O(1) to add every element.",
    summary: "Adds the specified elements to the specified HyperLogLog.",
    syntax: "PFADD key [element [element ...]]",
    handler: pfadd,
  },
  {
    name: "PFCOUNT",
    arity: -2,
    flags: ["readonly"],
    ...ALL_KEYS,
    complexity:
      "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    syntax: "PFCOUNT key [key ...]",
    writesCache: true,
    handler: pfcount,
  },
  {
    name: "PFMERGE",
    arity: -2,
    flags: ["write", "denyoom"],
    ...ALL_KEYS,
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
    summary: "Merge N different HyperLogLogs into a single one.",
    syntax: "PFMERGE destkey [sourcekey [sourcekey ...]]",
    handler: pfmerge,
  },
  {
    name: "PFDEBUG",
    arity: 3,
    flags: ["write", "denyoom", "admin"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "hyperloglog",
    complexity: "N/A",
    summary: "Internal commands for debugging HyperLogLog values",
    syntax: "PFDEBUG subcommand key",
    handler: pfdebug,
  },
];
