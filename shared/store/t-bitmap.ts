import {
  findBit,
  getBit,
  getField,
  type Overflow,
  PatchedBytes,
  patchBytes,
  popcount,
  popcountByte,
  setField,
  signedOverflow,
  unsignedOverflow,
  zeroPadded,
} from "./bitmap.js";
import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { StoreError, syntaxError, wrongType } from "./errors.js";
import type { Reply } from "./reply.js";
import { parseLongLong } from "./t-string.js";

/*
 * The bitmap commands (Redis 7.0's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
 * BITFIELD_RO, on string values (bitmap.ts has the bit-level operations).
 */

const OFFSET_ERROR = "ERR bit offset is not an integer or out of range";

/**
 * A bit offset argument (getBitOffsetFromArgument): a non-negative int64 whose byte lies below
 * the longest string (`maxValueBytes`, Redis's proto-max-bulk-len). With `fieldBits`, the `#N`
 * form means N × fieldBits (int64 multiplication, wrapping as in C).
 */
function parseBitOffset(ctx: CommandContext, arg: Bytes, fieldBits = 0): number {
  const hash = fieldBits > 0 && arg.charCodeAt(0) === 0x23; /* # */
  let n: bigint;
  try {
    n = BigInt(parseLongLong(hash ? arg.slice(1) : arg));
  } catch {
    throw new StoreError("INDEX_OUT_OF_RANGE", OFFSET_ERROR);
  }
  if (hash) n = BigInt.asIntN(64, n * BigInt(fieldBits));
  if (n < 0n || n >> 3n >= BigInt(ctx.limits.maxValueBytes)) throw new StoreError("INDEX_OUT_OF_RANGE", OFFSET_ERROR);
  return Number(n);
}

/** The string at `key` for a bitmap read: undefined when missing, WRONGTYPE for other types. */
function readString(ctx: CommandContext, key: Bytes): Bytes | undefined {
  const v = ctx.db.lookup(key);
  if (v === undefined || typeof v === "string") return v;
  throw wrongType();
}

/**
 * lookupStringForBitCommand: the string at `key` grown with zero bytes to hold bit `maxBit`
 * (a missing key counts as empty). `grown` tells whether the value changed by growing.
 */
function stringForBitWrite(ctx: CommandContext, key: Bytes, maxBit: number): { s: Bytes; grown: boolean } {
  const current = readString(ctx, key);
  const length = Math.floor(maxBit / 8) + 1;
  if (length > ctx.limits.maxValueBytes) {
    throw new StoreError("LIMIT", "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  const s = zeroPadded(current ?? "", length);
  return { s, grown: current === undefined || s.length !== current.length };
}

/**
 * A BITCOUNT/BITPOS range in bytes or bits, resolved as Redis does (negative indexes from the
 * end, clamped), with bigint arithmetic so int64 extremes compare as in C. Returns undefined for
 * an empty range, else the inclusive bit range.
 */
function resolveRange(
  start: bigint,
  end: bigint,
  strlen: number,
  isBit: boolean,
): { startBit: number; endBit: number } | undefined {
  const total = BigInt(isBit ? strlen * 8 : strlen);
  if (start < 0n) start += total;
  if (end < 0n) end += total;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= total) end = total - 1n;
  if (start > end) return undefined;
  const s = Number(start);
  const e = Number(end);
  return isBit ? { startBit: s, endBit: e } : { startBit: s * 8, endBit: e * 8 + 7 };
}

/** BYTE or BIT (case-insensitive); anything else is a syntax error. */
function parseUnit(arg: Bytes): boolean {
  const u = arg.toUpperCase();
  if (u === "BIT") return true;
  if (u === "BYTE") return false;
  throw syntaxError();
}

const bigArg = (arg: Bytes): bigint => BigInt(parseLongLong(arg));

/** Set bits in bits [startBit, endBit] of `s`. */
function countBits(s: Bytes, startBit: number, endBit: number): number {
  const firstByte = Math.floor(startBit / 8);
  const lastByte = Math.floor(endBit / 8);
  let n = popcount(s, firstByte, lastByte);
  const head = startBit % 8;
  if (head !== 0) n -= popcountByte(s.charCodeAt(firstByte) & ~(0xff >> head));
  const tail = 7 - (endBit % 8);
  if (tail !== 0) n -= popcountByte(s.charCodeAt(lastByte) & ((1 << tail) - 1));
  return n;
}

/* BITCOUNT key [start end [BYTE | BIT]] (7.0: a missing key answers 0 before the arguments are read) */
function bitcount(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const s = readString(ctx, argv[1] as Bytes);
  if (s === undefined) return 0;
  if (argv.length === 2) return s.length === 0 ? 0 : popcount(s, 0, s.length - 1);
  if (argv.length !== 4 && argv.length !== 5) throw syntaxError();
  const start = bigArg(argv[2] as Bytes);
  const end = bigArg(argv[3] as Bytes);
  // 7.0 answers an inverted negative range before it reads the unit.
  if (start < 0n && end < 0n && start > end) return 0;
  const isBit = argv.length === 5 ? parseUnit(argv[4] as Bytes) : false;
  const range = resolveRange(start, end, s.length, isBit);
  return range === undefined ? 0 : countBits(s, range.startBit, range.endBit);
}

/* BITPOS key bit [start [end [BYTE | BIT]]] */
function bitpos(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const b = parseLongLong(argv[2] as Bytes);
  if (b !== 0 && b !== 1) throw new StoreError("ERR", "ERR The bit argument must be 1 or 0.");
  const s = readString(ctx, argv[1] as Bytes);
  // A missing key is an infinite run of 0 bits.
  if (s === undefined) return b === 1 ? -1 : 0;
  if (argv.length > 6) throw syntaxError();
  let range: { startBit: number; endBit: number } | undefined;
  let endGiven = false;
  if (argv.length === 3) {
    range = s.length === 0 ? undefined : { startBit: 0, endBit: s.length * 8 - 1 };
  } else {
    const start = bigArg(argv[3] as Bytes);
    const isBit = argv.length === 6 ? parseUnit(argv[5] as Bytes) : false;
    let end: bigint;
    if (argv.length >= 5) {
      end = bigArg(argv[4] as Bytes);
      endGiven = true;
    } else end = BigInt(isBit ? s.length * 8 + 7 : s.length - 1);
    range = resolveRange(start, end, s.length, isBit);
  }
  if (range === undefined) return -1;
  const pos = findBit(s, b, range.startBit, range.endBit);
  if (pos !== -1) return pos;
  // Looking for a clear bit without an explicit end: the string continues with zero padding,
  // so the answer is the first bit after the range's last byte.
  if (b === 0 && !endGiven) return (Math.floor(range.endBit / 8) + 1) * 8;
  return -1;
}

/* BITOP AND | OR | XOR | NOT destkey key [key ...] */
function bitop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const op = (argv[1] as Bytes).toUpperCase();
  if (op !== "AND" && op !== "OR" && op !== "XOR" && op !== "NOT") throw syntaxError();
  if (op === "NOT" && argv.length !== 4) {
    throw new StoreError("ERR", "ERR BITOP NOT must be called with a single source key.");
  }
  const dest = argv[2] as Bytes;
  const sources: Bytes[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const s = readString(ctx, argv[j] as Bytes) ?? "";
    sources.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  if (maxlen === 0) {
    if (ctx.db.remove(dest)) ctx.notify("generic", "del", dest);
    return 0;
  }
  const out = new Uint8Array(maxlen);
  const first = sources[0] as Bytes;
  for (let i = 0; i < maxlen; i++) out[i] = i < first.length ? first.charCodeAt(i) : 0;
  if (op === "NOT") for (let i = 0; i < maxlen; i++) out[i] = ~(out[i] as number) & 0xff;
  for (let k = 1; k < sources.length; k++) {
    const s = sources[k] as Bytes;
    const n = s.length;
    if (op === "AND") for (let i = 0; i < maxlen; i++) out[i] = i < n ? (out[i] as number) & s.charCodeAt(i) : 0;
    else if (op === "OR") for (let i = 0; i < n; i++) out[i] = (out[i] as number) | s.charCodeAt(i);
    else for (let i = 0; i < n; i++) out[i] = (out[i] as number) ^ s.charCodeAt(i);
  }
  let result = "";
  for (let i = 0; i < maxlen; i += 8192) {
    result += String.fromCharCode.apply(null, out.subarray(i, i + 8192) as unknown as number[]);
  }
  ctx.db.put(dest, result);
  ctx.notify("string", "set", dest);
  return maxlen;
}

const TYPE_ERROR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/** A BITFIELD type (`i1`…`i64`, `u1`…`u63`; lower case only, as Redis). */
function parseFieldType(arg: Bytes): { signed: boolean; bits: number } {
  const c = arg.charCodeAt(0);
  if (c !== 0x69 /* i */ && c !== 0x75 /* u */) throw new StoreError("ERR", TYPE_ERROR);
  const signed = c === 0x69;
  // Redis reads the width as a C string (up to a NUL byte).
  const nul = arg.indexOf("\0");
  const width = arg.slice(1, nul === -1 ? undefined : nul);
  let bits: number | bigint;
  try {
    bits = parseLongLong(width);
  } catch {
    throw new StoreError("ERR", TYPE_ERROR);
  }
  if (bits < 1 || bits > (signed ? 64 : 63)) throw new StoreError("ERR", TYPE_ERROR);
  return { signed, bits: Number(bits) };
}

interface FieldOp {
  readonly op: "GET" | "SET" | "INCRBY";
  readonly signed: boolean;
  readonly bits: number;
  readonly offset: number;
  readonly value: bigint;
  readonly overflow: Overflow;
}

/** Parses BITFIELD's subcommands, in order, with the OVERFLOW mode in force for each. */
function parseFieldOps(ctx: CommandContext, argv: readonly Bytes[]): FieldOp[] {
  const ops: FieldOp[] = [];
  let overflow: Overflow = "WRAP";
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = (argv[j] as Bytes).toUpperCase();
    let op: FieldOp["op"];
    if (sub === "GET" && rem >= 2) op = "GET";
    else if (sub === "SET" && rem >= 3) op = "SET";
    else if (sub === "INCRBY" && rem >= 3) op = "INCRBY";
    else if (sub === "OVERFLOW" && rem >= 1) {
      const how = (argv[++j] as Bytes).toUpperCase();
      if (how !== "WRAP" && how !== "SAT" && how !== "FAIL") {
        throw new StoreError("ERR", "ERR Invalid OVERFLOW type specified");
      }
      overflow = how;
      continue;
    } else throw syntaxError();
    const { signed, bits } = parseFieldType(argv[j + 1] as Bytes);
    const offset = parseBitOffset(ctx, argv[j + 2] as Bytes, bits);
    const value = op === "GET" ? 0n : bigArg(argv[j + 3] as Bytes);
    ops.push({ op, signed, bits, offset, value, overflow });
    j += op === "GET" ? 2 : 3;
  }
  return ops;
}

/* BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL] SET type offset value | INCRBY type offset increment ...] */
function bitfield(ctx: CommandContext, argv: readonly Bytes[], readonly: boolean): Reply {
  const key = argv[1] as Bytes;
  const ops = parseFieldOps(ctx, argv);
  let highest = -1;
  for (const o of ops) if (o.op !== "GET") highest = Math.max(highest, o.offset + o.bits - 1);
  let s: Bytes;
  let grown = false;
  // As Redis 7.0: an event only when a written field changed value, or the write created or
  // grew the string (a growth is kept even when every write failed, but then without an event).
  let changed = false;
  if (highest < 0) s = readString(ctx, key) ?? "";
  else {
    if (readonly) throw new StoreError("ERR", "ERR BITFIELD_RO only supports the GET subcommand");
    ({ s, grown } = stringForBitWrite(ctx, key, highest));
  }
  const out: Reply[] = [];
  const bytes = new PatchedBytes(s);
  for (const o of ops) {
    const old = getField(bytes, o.offset, o.bits, o.signed);
    if (o.op === "GET") {
      out.push(int64(old));
      continue;
    }
    let next: bigint;
    let reply: bigint;
    let result: { overflow: boolean; limit: bigint };
    if (o.op === "INCRBY") {
      result = o.signed
        ? signedOverflow(old, o.value, o.bits, o.overflow)
        : unsignedOverflow(old, o.value, o.bits, o.overflow);
      next = result.overflow ? result.limit : old + o.value;
      reply = next;
    } else {
      // SET: an unsigned field takes the int64 argument reinterpreted as a uint64.
      const v = o.signed ? o.value : BigInt.asUintN(64, o.value);
      result = o.signed ? signedOverflow(v, 0n, o.bits, o.overflow) : unsignedOverflow(v, 0n, o.bits, o.overflow);
      next = result.overflow ? result.limit : v;
      reply = old;
    }
    if (result.overflow && o.overflow === "FAIL") {
      out.push(null);
      continue;
    }
    out.push(int64(o.signed ? reply : BigInt.asIntN(64, reply)));
    if (grown || BigInt.asUintN(o.bits, next) !== BigInt.asUintN(o.bits, old)) {
      setField(bytes, o.offset, o.bits, next);
      changed = true;
    }
  }
  if (changed || grown) ctx.db.put(key, bytes.toBytes(), true);
  if (changed) ctx.notify("string", "setbit", key);
  return out;
}

/** An int64 reply: a number when safe, else a bigint. */
function int64(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

const ONE_KEY = oneKey("bitmap");

const BITFIELD_SYNTAX =
  "BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | [OVERFLOW WRAP | SAT | FAIL] INCRBY encoding offset increment [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | [OVERFLOW WRAP | SAT | FAIL] INCRBY encoding offset increment ...]]";

/** The bitmap commands. */
export const bitmapCommands: CommandSpec[] = [
  {
    name: "SETBIT",
    arity: 4,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Sets or clears the bit at offset in the string value stored at key",
    syntax: "SETBIT key offset value",
    /* SETBIT key offset value */
    handler: (ctx, argv) => {
      const key = argv[1] as Bytes;
      const offset = parseBitOffset(ctx, argv[2] as Bytes);
      const v = argv[3] as Bytes;
      if (v !== "0" && v !== "1") throw new StoreError("ERR", "ERR bit is not an integer or out of range");
      const on = v === "1" ? 1 : 0;
      const { s, grown } = stringForBitWrite(ctx, key, offset);
      const old = getBit(s, offset);
      // As Redis 7.0: no write, no event when the bit already has the value and nothing grew.
      if (grown || old !== on) {
        const byte = Math.floor(offset / 8);
        const mask = 1 << (7 - (offset % 8));
        const b = s.charCodeAt(byte);
        ctx.db.put(key, patchBytes(s, byte, [on === 1 ? b | mask : b & ~mask]), true);
        ctx.notify("string", "setbit", key);
      }
      return old;
    },
  },
  {
    name: "GETBIT",
    arity: 3,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1)",
    summary: "Returns the bit value at offset in the string value stored at key",
    syntax: "GETBIT key offset",
    /* GETBIT key offset */
    handler: (ctx, argv) => {
      const offset = parseBitOffset(ctx, argv[2] as Bytes);
      const s = readString(ctx, argv[1] as Bytes);
      return s === undefined ? 0 : getBit(s, offset);
    },
  },
  {
    name: "BITCOUNT",
    arity: -2,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N)",
    summary: "Count set bits in a string",
    syntax: "BITCOUNT key [start end [BYTE | BIT]]",
    handler: bitcount,
  },
  {
    name: "BITPOS",
    arity: -3,
    flags: ["readonly"],
    ...ONE_KEY,
    complexity: "O(N)",
    summary: "Find first bit set or clear in a string",
    syntax: "BITPOS key bit [start [end [BYTE | BIT]]]",
    handler: bitpos,
  },
  {
    name: "BITOP",
    arity: -4,
    flags: ["write", "denyoom"],
    firstKey: 2,
    lastKey: -1,
    step: 1,
    group: "bitmap",
    complexity: "O(N)",
    summary: "Perform bitwise operations between strings",
    syntax: "BITOP operation destkey key [key ...]",
    handler: bitop,
  },
  {
    name: "BITFIELD",
    arity: -2,
    flags: ["write", "denyoom"],
    ...ONE_KEY,
    complexity: "O(1) for each subcommand specified",
    summary: "Perform arbitrary bitfield integer operations on strings",
    syntax: BITFIELD_SYNTAX,
    handler: (ctx, argv) => bitfield(ctx, argv, false),
  },
  {
    name: "BITFIELD_RO",
    arity: -2,
    flags: ["readonly", "fast"],
    ...ONE_KEY,
    complexity: "O(1) for each subcommand specified",
    summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    syntax: "BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]",
    handler: (ctx, argv) => bitfield(ctx, argv, true),
  },
];
