/**
 * Test support (used by typed-raw-differential.test.ts only; not part of the public API): every
 * typed data RPC with a random request generator, the raw command(s) it stands for — written
 * here independently of the services, from the Redis syntax — and the raw replies its typed
 * response stands for. The differential test runs both sides and compares replies, errors and
 * the resulting keyspace.
 */
import type { DescService } from "@bufbuild/protobuf";
import { CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import { HashesService } from "../gen/memorabilia/v1/hashes_service_pb.js";
import { ExpireCondition, KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { InsertPosition, ListEnd, ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { SetsService } from "../gen/memorabilia/v1/sets_service_pb.js";
import {
  ScoreEnd,
  SortedSetsService,
  ZAddComparison,
  ZAddCondition,
} from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StreamsService } from "../gen/memorabilia/v1/streams_service_pb.js";
import { SetCondition, StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { KeyType, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { familyCases } from "./typed-raw-cases-families.js";

// biome-ignore lint/suspicious/noExplicitAny: requests and responses of ~90 RPCs, checked by the RPCs themselves
export type Msg = any;

/** A raw argument: text (encoded here as UTF-8) or bytes. */
export type RawArg = string | Uint8Array;

/**
 * A reply as plain data: nil, integer, bulk (`{ b: hex }`), status (`{ s }`), array; the typed
 * side may also say "a double" (`{ d }`: a bulk or integer of that value) or "text" (`{ t }`: a
 * bulk whose UTF-8 decoding, U+FFFD for invalid bytes, is that text).
 */
export type Plain = null | bigint | { b: string } | { s: string } | { d: number } | { t: string } | Plain[];

/** One typed RPC. */
export interface Case {
  readonly service: DescService;
  /** The method's local name (`hSet`). */
  readonly method: string;
  /** A random request (valid at the edge: every enum in range, every required field set). */
  gen(r: Gen): Msg;
  /** The raw command(s) the request stands for, in the order the RPC runs them. */
  raw(req: Msg): RawArg[][];
  /** The raw replies (one per raw command) the typed response stands for. */
  project(res: Msg, req: Msg): Plain[];
}

const utf8 = new TextEncoder();
/** Bytes of a raw argument. */
export const u8 = (a: RawArg): Uint8Array => (typeof a === "string" ? utf8.encode(a) : a);
/** Concatenated bytes. */
export function cat(...parts: RawArg[]): Uint8Array {
  const arrays = parts.map(u8);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
/** Hex of bytes. */
export const hex = (a: Uint8Array): string => Array.from(a, (x) => x.toString(16).padStart(2, "0")).join("");

/** A double as a raw argument, spelled here (not by the service's formatter). */
export function fmt(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  return Object.is(n, -0) ? "-0" : String(n);
}

// Projection leaves.
const B = (a: Uint8Array): Plain => ({ b: hex(a) });
const OB = (a: Uint8Array | undefined): Plain => (a === undefined ? null : B(a));
const I = (n: bigint | number | boolean): Plain => (typeof n === "boolean" ? (n ? 1n : 0n) : BigInt(n));
const D = (n: number): Plain => ({ d: n });
const OD = (n: number | undefined): Plain => (n === undefined ? null : D(n));
const T = (s: string): Plain => ({ t: s });
const OK: Plain = { s: "OK" };

/** Seeded random choices of arguments (keys collide on purpose, across types). */
export class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  many<T>(min: number, max: number, f: () => T): T[] {
    return Array.from({ length: min + this.int(max - min + 1) }, f);
  }
  /** Any bytes 0–255. */
  bytes(max = 8): Uint8Array {
    return Uint8Array.from({ length: this.int(max + 1) }, () => this.int(256));
  }
  /** A key (typed keys are text: NUL, Latin-1, multi-byte, the empty key). */
  key(): string {
    return this.pick(KEYS);
  }
  keys(): string[] {
    return this.many(1, 3, () => this.key());
  }
  /** A value: binary, empty, numeric text (extreme integers and doubles), UTF-8. */
  value(): Uint8Array {
    return this.chance(0.4) ? this.bytes() : u8(this.pick(VALUES));
  }
  /** A member, field or element: a small pool (so they collide), sometimes any bytes. */
  member(): Uint8Array {
    return this.chance(0.15) ? this.bytes(4) : u8(this.pick(MEMBERS));
  }
  members(): Uint8Array[] {
    return this.many(1, 4, () => this.member());
  }
  /** An integer, extremes included. */
  bigint(): bigint {
    return this.chance(0.5) ? BigInt(this.int(21) - 10) : this.pick(INTS);
  }
  /** A count or index: mostly small, sometimes extreme. */
  count(): bigint {
    return this.chance(0.85) ? BigInt(this.int(9) - 3) : this.pick(INTS);
  }
  /** A double, extremes, -0, infinities and NaN included. */
  double(): number {
    return this.chance(0.3) ? (this.int(2001) - 1000) / 8 : this.pick(DOUBLES);
  }
  /** A score: mostly finite, so sorted sets fill. */
  score(): number {
    return this.chance(0.8) ? this.int(9) - 4 : this.pick(DOUBLES);
  }
  ttl(): bigint {
    return this.pick(TTLS);
  }
  deadline(now: number): bigint {
    const at = BigInt(now) + this.pick(TTLS);
    return this.chance(0.6) && at < 2n ** 63n ? at : this.pick(INTS);
  }
  enum<E extends number>(...values: E[]): E {
    return this.pick(values);
  }
  scoreBound(): Msg {
    const k = this.int(5);
    if (k === 0) return { bound: { case: "unbounded", value: true } };
    return { bound: { case: k < 3 ? "inclusive" : "exclusive", value: this.score() } };
  }
  lexBound(): Msg {
    const k = this.int(5);
    if (k === 0) return { bound: { case: "unbounded", value: true } };
    return { bound: { case: k < 3 ? "inclusive" : "exclusive", value: this.member() } };
  }
  range(allowed: readonly ("byIndex" | "byScore" | "byLex")[]): Msg {
    const kind = this.pick(allowed);
    if (kind === "byIndex") return { case: kind, value: { start: this.count(), stop: this.count() } };
    if (kind === "byScore") return { case: kind, value: { min: this.scoreBound(), max: this.scoreBound() } };
    return { case: kind, value: { min: this.lexBound(), max: this.lexBound() } };
  }
}

const KEYS = ["k", "ké", "ÿ", "日本", "a\u0000b", "l", "h", "s", "z", "x\u0080y", ""];
const VALUES = [
  "",
  "0",
  "1",
  "-1",
  "10",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "3.5",
  "-0",
  "1e308",
  "inf",
  "nan",
  "é",
  "\u00ff",
];
const MEMBERS = ["", "a", "b", "c", "10", "é", "\u0000", "\u00ff"];
const INTS = [
  0n,
  1n,
  -1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 62n,
  2n ** 63n - 1n,
  -(2n ** 63n),
];
const DOUBLES = [
  0,
  -0,
  0.1,
  1.5,
  -1.5,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
];
const TTLS = [1n, 999n, 1500n, 10_000n, 0n, -1n, 2n ** 53n, 2n ** 62n, 2n ** 63n - 1n];

const END: Record<number, string> = { [ListEnd.LEFT]: "LEFT", [ListEnd.RIGHT]: "RIGHT" };
/**
 * Timeouts of the blocking RPCs: short (the typed call waits that long on empty keys, where the
 * raw command, run without waiting, replies nil at once: the same outcome) or invalid. Never 0,
 * which would wait forever.
 */
const TIMEOUTS = [
  0.001,
  0.002,
  0.0001,
  0.001,
  0.002,
  0.0001,
  0.001,
  0.002,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1e300,
];
/** A timeout as the raw command's argument (JS's shortest decimal form, as the service sends it). */
const secs = (n: number): string => String(n);
const SIDE: Record<number, string> = { [ListEnd.LEFT]: "L", [ListEnd.RIGHT]: "R" };
const EXPIRE_COND: Record<number, string[]> = {
  [ExpireCondition.UNSPECIFIED]: [],
  [ExpireCondition.NX]: ["NX"],
  [ExpireCondition.XX]: ["XX"],
  [ExpireCondition.GT]: ["GT"],
  [ExpireCondition.LT]: ["LT"],
};
const TYPE_NAMES: Record<number, string> = {
  [KeyType.NONE]: "none",
  [KeyType.STRING]: "string",
  [KeyType.LIST]: "list",
  [KeyType.HASH]: "hash",
  [KeyType.SET]: "set",
  [KeyType.ZSET]: "zset",
  [KeyType.STREAM]: "stream",
};

function scoreArg(b: Msg, side: "min" | "max"): RawArg {
  if (b.bound.case === "unbounded") return side === "min" ? "-inf" : "+inf";
  return `${b.bound.case === "exclusive" ? "(" : ""}${fmt(b.bound.value)}`;
}
function lexArg(b: Msg, side: "min" | "max"): RawArg {
  if (b.bound.case === "unbounded") return side === "min" ? "-" : "+";
  return cat(b.bound.case === "exclusive" ? "(" : "[", b.bound.value);
}
/** `start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]` of ZRANGE / ZRANGESTORE. */
function zrangeArgs(req: Msg): RawArg[] {
  const r = req.range;
  let out: RawArg[];
  if (r.case === "byIndex") out = [String(r.value.start), String(r.value.stop)];
  else {
    const arg = r.case === "byScore" ? scoreArg : lexArg;
    const lo = arg(r.value.min, "min");
    const hi = arg(r.value.max, "max");
    out = [...(req.reverse ? [hi, lo] : [lo, hi]), r.case === "byScore" ? "BYSCORE" : "BYLEX"];
  }
  if (req.reverse) out.push("REV");
  if (req.limit !== undefined) out.push("LIMIT", String(req.limit.offset), String(req.limit.count));
  return out;
}
const limit = (r: Gen): Msg => (r.chance(0.3) ? { offset: r.count(), count: r.count() } : undefined);
const opt = <T>(r: Gen, p: number, f: () => T): T | undefined => (r.chance(p) ? f() : undefined);
const scanMatch = (r: Gen): Uint8Array | undefined =>
  opt(r, 0.3, () => u8(r.pick(["*", "a*", "?", "[a-c]", "\u00ff*"])));
const scanCount = (r: Gen): number => r.pick([0, 1, 3, 100]);
const cursorOf = (c: string): RawArg => (c === "" ? "0" : c);
const scanOpts = (req: Msg): RawArg[] => [
  ...(req.match === undefined ? [] : ["MATCH", req.match]),
  ...(req.count === 0 ? [] : ["COUNT", String(req.count)]),
];
const pairsFlat = (items: { a: Uint8Array; b: Plain }[]): Plain[] => items.flatMap((x) => [B(x.a), x.b]);
/** SPOP/SRANDMEMBER-style: a bulk (or nil) without count, an array with one. */
const picked = (members: Uint8Array[], count: bigint | undefined): Plain =>
  count === undefined ? (members.length === 0 ? null : B(members[0] as Uint8Array)) : members.map(B);

// Streams: IDs in every form the commands take (valid, partial, exclusive, special, invalid).
const ADD_IDS = ["", "*", "1-*", "2-1", "3", "5-*", "7-0", "0-0", "x", "-"];
const RANGE_STARTS = ["", "-", "1", "(1-1", "2-0", "x", "+"];
const RANGE_ENDS = ["", "+", "5", "(5-0", "3", "-"];
const READ_IDS = ["", "$", "0", "1-1", "(0", "x"];
const GROUP_READ_IDS = ["", ">", ">", "0", "2-1", "$"];
const GROUPS = [u8("g"), u8("g"), u8("h"), Uint8Array.of(0xff)];
const CONSUMERS = [u8("a"), u8("b"), Uint8Array.of(0, 0xe9)];

/** A stream ID text for XDEL / XACK. */
const streamId = (r: Gen): string => r.pick(["1-1", "2-0", "2-1", "3-0", "5-0", "7-0", "0-0", "x", "-"]);

/** A random MAXLEN / MINID option (StreamTrim) and its raw arguments. */
function streamTrim(r: Gen): Msg {
  const threshold = r.chance(0.5)
    ? { case: "maxLen", value: BigInt(r.int(6) - 1) }
    : { case: "minId", value: r.pick(["0", "2-0", "3", "x", "+"]) };
  return { threshold, approximate: r.chance(0.3), ...(r.chance(0.2) ? { limit: BigInt(r.int(4) - 1) } : {}) };
}
function trimRaw(t: Msg): RawArg[] {
  const out: RawArg[] = [t.threshold.case === "maxLen" ? "MAXLEN" : "MINID"];
  if (t.approximate) out.push("~");
  out.push(String(t.threshold.value));
  if (t.limit !== undefined) out.push("LIMIT", String(t.limit));
  return out;
}
/** A StreamEntry as the raw `[id, [field, value, …]]` (or `[id, nil]` when deleted). */
const entryP = (e: Msg, deleted: readonly string[] = []): Plain =>
  deleted.includes(e.id) ? [T(e.id), null] : [T(e.id), e.fields.flatMap((f: Msg) => [B(f.field), B(f.value)])];
/** XREAD / XREADGROUP's typed streams as the raw reply (nil when none). */
const streamsP = (streams: Msg[]): Plain =>
  streams.length === 0 ? null : streams.map((s) => [T(s.key), s.entries.map((e: Msg) => entryP(e, s.deletedIds))]);
const offsets = (r: Gen, ids: readonly string[]): Msg[] =>
  r.many(1, 2, () => ({ key: r.pick(["s", "s", "k", r.key()]), id: r.pick(ids) }));
const streamsRaw = (streams: Msg[], fallback: string): RawArg[] => [
  "STREAMS",
  ...streams.map((s: Msg) => s.key),
  ...streams.map((s: Msg) => (s.id === "" ? fallback : s.id)),
];

/** Per service, per method: the cases. */
export function allCases(now: () => number): Case[] {
  const c = (service: DescService, method: string, rest: Omit<Case, "service" | "method">): Case => ({
    service,
    method,
    ...rest,
  });
  const K = KeysService;
  const S = StringsService;
  const L = ListsService;
  const H = HashesService;
  const St = SetsService;
  const Z = SortedSetsService;
  const X = StreamsService;
  const streamKey = (r: Gen): string => r.pick(["s", "s", "k", r.key()]);
  const cases: Case[] = [
    // StreamsService
    c(X, "xAdd", {
      gen: (r) => ({
        key: streamKey(r),
        id: r.pick(ADD_IDS),
        fields: r.many(r.chance(0.05) ? 0 : 1, 3, () => ({ field: r.member(), value: r.value() })),
        noMkstream: r.chance(0.15),
        ...(r.chance(0.3) ? { trim: streamTrim(r) } : {}),
      }),
      raw: (q) => [
        [
          "XADD",
          q.key,
          ...(q.noMkstream ? ["NOMKSTREAM"] : []),
          ...(q.trim === undefined ? [] : trimRaw(q.trim)),
          q.id === "" ? "*" : q.id,
          ...q.fields.flatMap((f: Msg) => [f.field, f.value]),
        ],
      ],
      project: (s) => [s.id === undefined ? null : T(s.id)],
    }),
    c(X, "xRange", {
      gen: (r) => ({
        key: streamKey(r),
        start: r.pick(RANGE_STARTS),
        end: r.pick(RANGE_ENDS),
        ...(r.chance(0.4) ? { count: BigInt(1 + r.int(3)) } : {}),
      }),
      raw: (q) => [
        [
          "XRANGE",
          q.key,
          q.start === "" ? "-" : q.start,
          q.end === "" ? "+" : q.end,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.entries.map((e: Msg) => entryP(e))],
    }),
    c(X, "xRevRange", {
      gen: (r) => ({
        key: streamKey(r),
        end: r.pick(RANGE_ENDS),
        start: r.pick(RANGE_STARTS),
        ...(r.chance(0.4) ? { count: BigInt(1 + r.int(3)) } : {}),
      }),
      raw: (q) => [
        [
          "XREVRANGE",
          q.key,
          q.end === "" ? "+" : q.end,
          q.start === "" ? "-" : q.start,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.entries.map((e: Msg) => entryP(e))],
    }),
    c(X, "xLen", { gen: (r) => ({ key: streamKey(r) }), raw: (q) => [["XLEN", q.key]], project: (s) => [I(s.length)] }),
    c(X, "xDel", {
      gen: (r) => ({ key: streamKey(r), ids: r.many(1, 3, () => streamId(r)) }),
      raw: (q) => [["XDEL", q.key, ...q.ids]],
      project: (s) => [I(s.deleted)],
    }),
    c(X, "xTrim", {
      gen: (r) => ({ key: streamKey(r), trim: streamTrim(r) }),
      raw: (q) => [["XTRIM", q.key, ...trimRaw(q.trim)]],
      project: (s) => [I(s.removed)],
    }),
    c(X, "xRead", {
      gen: (r) => ({ streams: offsets(r, READ_IDS), ...(r.chance(0.4) ? { count: BigInt(1 + r.int(3)) } : {}) }),
      raw: (q) => [
        ["XREAD", ...(q.count === undefined ? [] : ["COUNT", String(q.count)]), ...streamsRaw(q.streams, "$")],
      ],
      project: (s) => [streamsP(s.streams)],
    }),
    c(X, "xReadGroup", {
      gen: (r) => ({
        group: r.pick(GROUPS),
        consumer: r.pick(CONSUMERS),
        streams: offsets(r, GROUP_READ_IDS),
        noAck: r.chance(0.2),
        ...(r.chance(0.4) ? { count: BigInt(1 + r.int(3)) } : {}),
      }),
      raw: (q) => [
        [
          "XREADGROUP",
          "GROUP",
          q.group,
          q.consumer,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
          ...(q.noAck ? ["NOACK"] : []),
          ...streamsRaw(q.streams, ">"),
        ],
      ],
      project: (s) => [streamsP(s.streams)],
    }),
    c(X, "xAck", {
      gen: (r) => ({ key: streamKey(r), group: r.pick(GROUPS), ids: r.many(1, 3, () => streamId(r)) }),
      raw: (q) => [["XACK", q.key, q.group, ...q.ids]],
      project: (s) => [I(s.acknowledged)],
    }),
    c(X, "xGroupCreate", {
      gen: (r) => ({
        key: streamKey(r),
        group: r.pick(GROUPS),
        id: r.pick(["", "$", "0", "2-0", "x"]),
        mkstream: r.chance(0.5),
        ...(r.chance(0.2) ? { entriesRead: BigInt(r.int(5) - 2) } : {}),
      }),
      raw: (q) => [
        [
          "XGROUP",
          "CREATE",
          q.key,
          q.group,
          q.id === "" ? "$" : q.id,
          ...(q.mkstream ? ["MKSTREAM"] : []),
          ...(q.entriesRead === undefined ? [] : ["ENTRIESREAD", String(q.entriesRead)]),
        ],
      ],
      project: () => [OK],
    }),
    c(X, "xGroupDestroy", {
      gen: (r) => ({ key: streamKey(r), group: r.pick(GROUPS) }),
      raw: (q) => [["XGROUP", "DESTROY", q.key, q.group]],
      project: (s) => [I(s.destroyed)],
    }),
    c(X, "xPending", {
      gen: (r) => ({ key: streamKey(r), group: r.pick(GROUPS) }),
      raw: (q) => [["XPENDING", q.key, q.group]],
      project: (s) => [
        [
          I(s.pending),
          s.smallestId === undefined ? null : T(s.smallestId),
          s.largestId === undefined ? null : T(s.largestId),
          s.pending === 0n ? null : s.consumers.map((c: Msg) => [B(c.consumer), T(String(c.pending))]),
        ],
      ],
    }),
    c(X, "xAutoClaim", {
      gen: (r) => ({
        key: streamKey(r),
        group: r.pick(GROUPS),
        consumer: r.pick(CONSUMERS),
        minIdleMs: r.pick([0n, 0n, 1000n]),
        start: r.pick(["", "0", "-", "2-1", "x"]),
        justId: r.chance(0.3),
        ...(r.chance(0.4) ? { count: BigInt(1 + r.int(3)) } : {}),
      }),
      raw: (q) => [
        [
          "XAUTOCLAIM",
          q.key,
          q.group,
          q.consumer,
          String(q.minIdleMs),
          q.start === "" ? "0-0" : q.start,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
          ...(q.justId ? ["JUSTID"] : []),
        ],
      ],
      project: (s, q) => [
        [T(s.nextStart), q.justId ? s.ids.map(T) : s.entries.map((e: Msg) => entryP(e)), s.deletedIds.map(T)],
      ],
    }),
    // KeysService
    c(K, "del", { gen: (r) => ({ keys: r.keys() }), raw: (q) => [["DEL", ...q.keys]], project: (s) => [I(s.deleted)] }),
    c(K, "unlink", {
      gen: (r) => ({ keys: r.keys() }),
      raw: (q) => [["UNLINK", ...q.keys]],
      project: (s) => [I(s.deleted)],
    }),
    c(K, "exists", {
      gen: (r) => ({ keys: r.keys() }),
      raw: (q) => [["EXISTS", ...q.keys]],
      project: (s) => [I(s.count)],
    }),
    c(K, "type", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["TYPE", q.key]],
      project: (s) => [{ s: s.type === KeyType.NONE ? "none" : (TYPE_NAMES[s.type] as string) }],
    }),
    c(K, "rename", {
      gen: (r) => ({ key: r.key(), newKey: r.key() }),
      raw: (q) => [["RENAME", q.key, q.newKey]],
      project: () => [OK],
    }),
    c(K, "renameNx", {
      gen: (r) => ({ key: r.key(), newKey: r.key() }),
      raw: (q) => [["RENAMENX", q.key, q.newKey]],
      project: (s) => [I(s.renamed)],
    }),
    c(K, "expire", {
      gen: (r) => ({
        key: r.key(),
        when: r.chance(0.5) ? { case: "ttlMs", value: r.ttl() } : { case: "atMs", value: r.deadline(now()) },
        condition: r.enum(
          ExpireCondition.UNSPECIFIED,
          ExpireCondition.NX,
          ExpireCondition.XX,
          ExpireCondition.GT,
          ExpireCondition.LT,
        ),
      }),
      raw: (q) => [
        [
          q.when.case === "ttlMs" ? "PEXPIRE" : "PEXPIREAT",
          q.key,
          String(q.when.value),
          ...(EXPIRE_COND[q.condition] as string[]),
        ],
      ],
      project: (s) => [I(s.applied)],
    }),
    c(K, "ttl", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [
        ["PTTL", q.key],
        ["PEXPIRETIME", q.key],
      ],
      project: (s) => {
        const t = s.ttl;
        if (t.status === TtlStatus.NO_SUCH_KEY) return [-2n, -2n];
        if (t.status === TtlStatus.NO_EXPIRY) return [-1n, -1n];
        return [I(t.ttlMs), I(t.atMs)];
      },
    }),
    c(K, "persist", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["PERSIST", q.key]],
      project: (s) => [I(s.persisted)],
    }),
    c(K, "scan", {
      gen: (r) => ({
        cursor: "",
        match: opt(r, 0.3, () => r.pick(["*", "k*", "?", "[a-z]", "ÿ*"])),
        count: r.pick([0, 1, 3, 100]),
        type: r.enum(
          KeyType.UNSPECIFIED,
          KeyType.NONE,
          KeyType.STRING,
          KeyType.LIST,
          KeyType.HASH,
          KeyType.SET,
          KeyType.ZSET,
          KeyType.STREAM,
        ),
      }),
      raw: (q) => [
        [
          "SCAN",
          cursorOf(q.cursor),
          ...scanOpts(q),
          ...(q.type === KeyType.UNSPECIFIED ? [] : ["TYPE", TYPE_NAMES[q.type] as string]),
        ],
      ],
      project: (s) => [[T(s.cursor), s.keys.map((k: Msg) => T(k.key))]],
    }),
    c(K, "keys", {
      gen: (r) => ({ pattern: r.pick(["*", "k*", "?", "*é*", "[a-k]", "\\*"]) }),
      raw: (q) => [["KEYS", q.pattern]],
      project: (s) => [s.keys.map(T)],
    }),
    c(K, "randomKey", {
      gen: () => ({}),
      raw: () => [["RANDOMKEY"]],
      project: (s) => [s.key === undefined ? null : T(s.key)],
    }),
    c(K, "dbSize", { gen: () => ({}), raw: () => [["DBSIZE"]], project: (s) => [I(s.size)] }),
    c(K, "flushAll", { gen: () => ({}), raw: () => [["FLUSHALL"]], project: () => [OK] }),
    c(K, "copy", {
      gen: (r) => ({ source: r.key(), destination: r.key(), replace: r.chance(0.5) }),
      raw: (q) => [["COPY", q.source, q.destination, ...(q.replace ? ["REPLACE"] : [])]],
      project: (s) => [I(s.copied)],
    }),
    c(K, "touch", {
      gen: (r) => ({ keys: r.keys() }),
      raw: (q) => [["TOUCH", ...q.keys]],
      project: (s) => [I(s.touched)],
    }),
    c(K, "objectEncoding", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["OBJECT", "ENCODING", q.key]],
      project: (s) => [s.encoding === undefined ? null : T(s.encoding)],
    }),
    c(K, "memoryUsage", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["MEMORY", "USAGE", q.key]],
      project: (s) => [s.bytes === undefined ? null : I(s.bytes)],
    }),
    // StringsService
    c(S, "get", { gen: (r) => ({ key: r.key() }), raw: (q) => [["GET", q.key]], project: (s) => [OB(s.value)] }),
    c(S, "set", {
      gen: (r) => {
        const k = r.int(5);
        const expiry =
          k === 0
            ? { case: "ttlMs", value: r.ttl() }
            : k === 1
              ? { case: "atMs", value: r.deadline(now()) }
              : k === 2
                ? { case: "keepTtl", value: true }
                : undefined;
        return {
          key: r.key(),
          value: r.value(),
          expiry,
          condition: r.enum(SetCondition.UNSPECIFIED, SetCondition.NX, SetCondition.XX),
          get: r.chance(0.3),
        };
      },
      raw: (q) => {
        const argv: RawArg[] = ["SET", q.key, q.value];
        if (q.condition === SetCondition.NX) argv.push("NX");
        if (q.condition === SetCondition.XX) argv.push("XX");
        if (q.get) argv.push("GET");
        const e = q.expiry;
        if (e?.case === "ttlMs") argv.push("PX", String(e.value));
        if (e?.case === "atMs") argv.push("PXAT", String(e.value));
        if (e?.case === "keepTtl") argv.push("KEEPTTL");
        return [argv];
      },
      project: (s, q) => [q.get ? OB(s.previous) : s.applied ? OK : null],
    }),
    c(S, "getDel", { gen: (r) => ({ key: r.key() }), raw: (q) => [["GETDEL", q.key]], project: (s) => [OB(s.value)] }),
    c(S, "getEx", {
      gen: (r) => {
        const k = r.int(4);
        const expiry =
          k === 0
            ? { case: "ttlMs", value: r.ttl() }
            : k === 1
              ? { case: "atMs", value: r.deadline(now()) }
              : k === 2
                ? { case: "persist", value: true }
                : undefined;
        return { key: r.key(), expiry };
      },
      raw: (q) => {
        const e = q.expiry;
        const tail =
          e?.case === "ttlMs"
            ? ["PX", String(e.value)]
            : e?.case === "atMs"
              ? ["PXAT", String(e.value)]
              : e?.case === "persist"
                ? ["PERSIST"]
                : [];
        return [["GETEX", q.key, ...tail]];
      },
      project: (s) => [OB(s.value)],
    }),
    c(S, "mGet", {
      gen: (r) => ({ keys: r.keys() }),
      raw: (q) => [["MGET", ...q.keys]],
      project: (s) => [s.values.map((v: Msg) => OB(v.value))],
    }),
    c(S, "mSet", {
      gen: (r) => ({ entries: r.many(1, 3, () => ({ key: r.key(), value: r.value() })) }),
      raw: (q) => [["MSET", ...q.entries.flatMap((e: Msg) => [e.key, e.value])]],
      project: () => [OK],
    }),
    c(S, "mSetNx", {
      gen: (r) => ({ entries: r.many(1, 3, () => ({ key: r.key(), value: r.value() })) }),
      raw: (q) => [["MSETNX", ...q.entries.flatMap((e: Msg) => [e.key, e.value])]],
      project: (s) => [I(s.applied)],
    }),
    c(S, "incrBy", {
      gen: (r) => ({ key: r.key(), delta: r.bigint() }),
      raw: (q) => [["INCRBY", q.key, String(q.delta)]],
      project: (s) => [I(s.value)],
    }),
    c(S, "incrByFloat", {
      gen: (r) => ({ key: r.key(), delta: r.double() }),
      raw: (q) => [["INCRBYFLOAT", q.key, fmt(q.delta)]],
      project: (s) => [T(s.text)],
    }),
    c(S, "append", {
      gen: (r) => ({ key: r.key(), value: r.value() }),
      raw: (q) => [["APPEND", q.key, q.value]],
      project: (s) => [I(s.length)],
    }),
    c(S, "strLen", { gen: (r) => ({ key: r.key() }), raw: (q) => [["STRLEN", q.key]], project: (s) => [I(s.length)] }),
    c(S, "getRange", {
      gen: (r) => ({ key: r.key(), start: r.count(), end: r.count() }),
      raw: (q) => [["GETRANGE", q.key, String(q.start), String(q.end)]],
      project: (s) => [B(s.value)],
    }),
    c(S, "setRange", {
      gen: (r) => ({ key: r.key(), offset: r.chance(0.9) ? BigInt(r.int(12)) : r.count(), value: r.value() }),
      raw: (q) => [["SETRANGE", q.key, String(q.offset), q.value]],
      project: (s) => [I(s.length)],
    }),
    // ListsService
    c(L, "push", {
      gen: (r) => ({
        key: r.key(),
        end: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
        elements: r.members(),
        onlyIfExists: r.chance(0.2),
      }),
      raw: (q) => [[`${SIDE[q.end]}PUSH${q.onlyIfExists ? "X" : ""}`, q.key, ...q.elements]],
      project: (s) => [I(s.length)],
    }),
    c(L, "pop", {
      gen: (r) => ({ key: r.key(), end: r.enum(ListEnd.LEFT, ListEnd.RIGHT), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [[`${SIDE[q.end]}POP`, q.key, ...(q.count === undefined ? [] : [String(q.count)])]],
      project: (s, q) => [!s.found ? null : picked(s.elements, q.count)],
    }),
    c(L, "lRange", {
      gen: (r) => ({ key: r.key(), start: r.count(), stop: r.count() }),
      raw: (q) => [["LRANGE", q.key, String(q.start), String(q.stop)]],
      project: (s) => [s.elements.map(B)],
    }),
    c(L, "lLen", { gen: (r) => ({ key: r.key() }), raw: (q) => [["LLEN", q.key]], project: (s) => [I(s.length)] }),
    c(L, "lIndex", {
      gen: (r) => ({ key: r.key(), index: r.count() }),
      raw: (q) => [["LINDEX", q.key, String(q.index)]],
      project: (s) => [OB(s.element)],
    }),
    c(L, "lSet", {
      gen: (r) => ({ key: r.key(), index: r.count(), element: r.member() }),
      raw: (q) => [["LSET", q.key, String(q.index), q.element]],
      project: () => [OK],
    }),
    c(L, "lRem", {
      gen: (r) => ({ key: r.key(), count: r.count(), element: r.member() }),
      raw: (q) => [["LREM", q.key, String(q.count), q.element]],
      project: (s) => [I(s.removed)],
    }),
    c(L, "lTrim", {
      gen: (r) => ({ key: r.key(), start: r.count(), stop: r.count() }),
      raw: (q) => [["LTRIM", q.key, String(q.start), String(q.stop)]],
      project: () => [OK],
    }),
    c(L, "lInsert", {
      gen: (r) => ({
        key: r.key(),
        position: r.enum(InsertPosition.BEFORE, InsertPosition.AFTER),
        pivot: r.member(),
        element: r.member(),
      }),
      raw: (q) => [["LINSERT", q.key, q.position === InsertPosition.BEFORE ? "BEFORE" : "AFTER", q.pivot, q.element]],
      project: (s) => [!s.found ? 0n : !s.inserted ? -1n : I(s.length)],
    }),
    c(L, "lPos", {
      gen: (r) => ({
        key: r.key(),
        element: r.member(),
        rank: opt(r, 0.3, () => r.count()),
        count: opt(r, 0.4, () => r.count()),
        maxLen: opt(r, 0.2, () => r.count()),
      }),
      raw: (q) => [
        [
          "LPOS",
          q.key,
          q.element,
          ...(q.rank === undefined ? [] : ["RANK", String(q.rank)]),
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
          ...(q.maxLen === undefined ? [] : ["MAXLEN", String(q.maxLen)]),
        ],
      ],
      project: (s, q) => [
        q.count !== undefined ? s.positions.map(I) : s.positions.length === 0 ? null : I(s.positions[0]),
      ],
    }),
    c(L, "lMove", {
      gen: (r) => ({
        source: r.key(),
        destination: r.key(),
        from: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
        to: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
      }),
      raw: (q) => [["LMOVE", q.source, q.destination, END[q.from] as string, END[q.to] as string]],
      project: (s) => [OB(s.element)],
    }),
    c(L, "lMPop", {
      gen: (r) => ({ keys: r.keys(), end: r.enum(ListEnd.LEFT, ListEnd.RIGHT), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [
        [
          "LMPOP",
          String(q.keys.length),
          ...q.keys,
          END[q.end] as string,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.key === undefined ? null : [T(s.key), s.elements.map(B)]],
    }),
    c(L, "bPop", {
      gen: (r) => ({ keys: r.keys(), end: r.enum(ListEnd.LEFT, ListEnd.RIGHT), timeout: r.pick(TIMEOUTS) }),
      raw: (q) => [[q.end === ListEnd.LEFT ? "BLPOP" : "BRPOP", ...q.keys, secs(q.timeout)]],
      project: (s) => [s.key === undefined ? null : [T(s.key), B(s.element)]],
    }),
    c(L, "bLMove", {
      gen: (r) => ({
        source: r.key(),
        destination: r.key(),
        from: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
        to: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
        timeout: r.pick(TIMEOUTS),
      }),
      raw: (q) => [["BLMOVE", q.source, q.destination, END[q.from] as string, END[q.to] as string, secs(q.timeout)]],
      project: (s) => [OB(s.element)],
    }),
    c(L, "bLMPop", {
      gen: (r) => ({
        keys: r.keys(),
        end: r.enum(ListEnd.LEFT, ListEnd.RIGHT),
        count: opt(r, 0.5, () => r.count()),
        timeout: r.pick(TIMEOUTS),
      }),
      raw: (q) => [
        [
          "BLMPOP",
          secs(q.timeout),
          String(q.keys.length),
          ...q.keys,
          END[q.end] as string,
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.key === undefined ? null : [T(s.key), s.elements.map(B)]],
    }),
    // HashesService
    c(H, "hSet", {
      gen: (r) => ({ key: r.key(), fields: r.many(1, 3, () => ({ field: r.member(), value: r.value() })) }),
      raw: (q) => [["HSET", q.key, ...q.fields.flatMap((f: Msg) => [f.field, f.value])]],
      project: (s) => [I(s.added)],
    }),
    c(H, "hSetNx", {
      gen: (r) => ({ key: r.key(), field: r.member(), value: r.value() }),
      raw: (q) => [["HSETNX", q.key, q.field, q.value]],
      project: (s) => [I(s.applied)],
    }),
    c(H, "hGet", {
      gen: (r) => ({ key: r.key(), field: r.member() }),
      raw: (q) => [["HGET", q.key, q.field]],
      project: (s) => [OB(s.value)],
    }),
    c(H, "hMGet", {
      gen: (r) => ({ key: r.key(), fields: r.members() }),
      raw: (q) => [["HMGET", q.key, ...q.fields]],
      project: (s) => [s.values.map((v: Msg) => OB(v.value))],
    }),
    c(H, "hDel", {
      gen: (r) => ({ key: r.key(), fields: r.members() }),
      raw: (q) => [["HDEL", q.key, ...q.fields]],
      project: (s) => [I(s.removed)],
    }),
    c(H, "hGetAll", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["HGETALL", q.key]],
      project: (s) => [pairsFlat(s.fields.map((f: Msg) => ({ a: f.field, b: B(f.value) })))],
    }),
    c(H, "hExists", {
      gen: (r) => ({ key: r.key(), field: r.member() }),
      raw: (q) => [["HEXISTS", q.key, q.field]],
      project: (s) => [I(s.exists)],
    }),
    c(H, "hLen", { gen: (r) => ({ key: r.key() }), raw: (q) => [["HLEN", q.key]], project: (s) => [I(s.length)] }),
    c(H, "hKeys", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["HKEYS", q.key]],
      project: (s) => [s.fields.map(B)],
    }),
    c(H, "hVals", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["HVALS", q.key]],
      project: (s) => [s.values.map(B)],
    }),
    c(H, "hIncrBy", {
      gen: (r) => ({ key: r.key(), field: r.member(), delta: r.bigint() }),
      raw: (q) => [["HINCRBY", q.key, q.field, String(q.delta)]],
      project: (s) => [I(s.value)],
    }),
    c(H, "hIncrByFloat", {
      gen: (r) => ({ key: r.key(), field: r.member(), delta: r.double() }),
      raw: (q) => [["HINCRBYFLOAT", q.key, q.field, fmt(q.delta)]],
      project: (s) => [T(s.text)],
    }),
    c(H, "hStrLen", {
      gen: (r) => ({ key: r.key(), field: r.member() }),
      raw: (q) => [["HSTRLEN", q.key, q.field]],
      project: (s) => [I(s.length)],
    }),
    c(H, "hRandField", {
      gen: (r) => {
        const count = opt(r, 0.6, () => r.count());
        return { key: r.key(), count, withValues: count !== undefined && r.chance(0.5) };
      },
      raw: (q) => [
        [
          "HRANDFIELD",
          q.key,
          ...(q.count === undefined ? [] : [String(q.count)]),
          ...(q.withValues ? ["WITHVALUES"] : []),
        ],
      ],
      project: (s, q) => {
        if (q.count === undefined) return [s.fields.length === 0 ? null : B(s.fields[0])];
        if (!q.withValues) return [s.fields.map(B)];
        return [pairsFlat(s.fields.map((f: Uint8Array, i: number) => ({ a: f, b: B(s.values[i]) })))];
      },
    }),
    c(H, "hScan", {
      gen: (r) => ({ key: r.key(), cursor: "", match: scanMatch(r), count: scanCount(r) }),
      raw: (q) => [["HSCAN", q.key, cursorOf(q.cursor), ...scanOpts(q)]],
      project: (s) => [[T(s.cursor), pairsFlat(s.fields.map((f: Msg) => ({ a: f.field, b: B(f.value) })))]],
    }),
    // SetsService
    c(St, "sAdd", {
      gen: (r) => ({ key: r.key(), members: r.members() }),
      raw: (q) => [["SADD", q.key, ...q.members]],
      project: (s) => [I(s.added)],
    }),
    c(St, "sRem", {
      gen: (r) => ({ key: r.key(), members: r.members() }),
      raw: (q) => [["SREM", q.key, ...q.members]],
      project: (s) => [I(s.removed)],
    }),
    c(St, "sMembers", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["SMEMBERS", q.key]],
      project: (s) => [s.members.map(B)],
    }),
    c(St, "sIsMember", {
      gen: (r) => ({ key: r.key(), member: r.member() }),
      raw: (q) => [["SISMEMBER", q.key, q.member]],
      project: (s) => [I(s.isMember)],
    }),
    c(St, "sMIsMember", {
      gen: (r) => ({ key: r.key(), members: r.members() }),
      raw: (q) => [["SMISMEMBER", q.key, ...q.members]],
      project: (s) => [s.isMember.map(I)],
    }),
    c(St, "sCard", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["SCARD", q.key]],
      project: (s) => [I(s.cardinality)],
    }),
    c(St, "sPop", {
      gen: (r) => ({ key: r.key(), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [["SPOP", q.key, ...(q.count === undefined ? [] : [String(q.count)])]],
      project: (s, q) => [picked(s.members, q.count)],
    }),
    c(St, "sRandMember", {
      gen: (r) => ({ key: r.key(), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [["SRANDMEMBER", q.key, ...(q.count === undefined ? [] : [String(q.count)])]],
      project: (s, q) => [picked(s.members, q.count)],
    }),
    c(St, "sMove", {
      gen: (r) => ({ source: r.key(), destination: r.key(), member: r.member() }),
      raw: (q) => [["SMOVE", q.source, q.destination, q.member]],
      project: (s) => [I(s.moved)],
    }),
    ...(["sInter", "sUnion", "sDiff"] as const).map((m) =>
      c(St, m, {
        gen: (r) => ({ keys: r.keys(), destination: opt(r, 0.3, () => r.key()) }),
        raw: (q) => {
          const name = m.toUpperCase();
          return [q.destination === undefined ? [name, ...q.keys] : [`${name}STORE`, q.destination, ...q.keys]];
        },
        project: (s, q) => [q.destination === undefined ? s.members.map(B) : I(s.cardinality)],
      }),
    ),
    c(St, "sInterCard", {
      gen: (r) => ({ keys: r.keys(), limit: r.pick([0, 1, 2, 100]) }),
      raw: (q) => [
        ["SINTERCARD", String(q.keys.length), ...q.keys, ...(q.limit === 0 ? [] : ["LIMIT", String(q.limit)])],
      ],
      project: (s) => [I(s.cardinality)],
    }),
    c(St, "sScan", {
      gen: (r) => ({ key: r.key(), cursor: "", match: scanMatch(r), count: scanCount(r) }),
      raw: (q) => [["SSCAN", q.key, cursorOf(q.cursor), ...scanOpts(q)]],
      project: (s) => [[T(s.cursor), s.members.map(B)]],
    }),
    // SortedSetsService
    c(Z, "zAdd", {
      gen: (r) => {
        const incr = r.chance(0.2);
        return {
          key: r.key(),
          members: incr
            ? [{ score: r.score(), member: r.member() }]
            : r.many(1, 3, () => ({ score: r.score(), member: r.member() })),
          condition: r.enum(ZAddCondition.UNSPECIFIED, ZAddCondition.NX, ZAddCondition.XX),
          comparison: r.enum(ZAddComparison.UNSPECIFIED, ZAddComparison.GT, ZAddComparison.LT),
          changed: r.chance(0.3),
          incr,
        };
      },
      raw: (q) => [
        [
          "ZADD",
          q.key,
          ...(q.condition === ZAddCondition.NX ? ["NX"] : q.condition === ZAddCondition.XX ? ["XX"] : []),
          ...(q.comparison === ZAddComparison.GT ? ["GT"] : q.comparison === ZAddComparison.LT ? ["LT"] : []),
          ...(q.changed ? ["CH"] : []),
          ...(q.incr ? ["INCR"] : []),
          ...q.members.flatMap((m: Msg) => [fmt(m.score), m.member]),
        ],
      ],
      project: (s, q) => [q.incr ? OD(s.score) : I(s.count)],
    }),
    c(Z, "zRem", {
      gen: (r) => ({ key: r.key(), members: r.members() }),
      raw: (q) => [["ZREM", q.key, ...q.members]],
      project: (s) => [I(s.removed)],
    }),
    c(Z, "zScore", {
      gen: (r) => ({ key: r.key(), member: r.member() }),
      raw: (q) => [["ZSCORE", q.key, q.member]],
      project: (s) => [OD(s.score)],
    }),
    c(Z, "zMScore", {
      gen: (r) => ({ key: r.key(), members: r.members() }),
      raw: (q) => [["ZMSCORE", q.key, ...q.members]],
      project: (s) => [s.scores.map((v: Msg) => OD(v.value))],
    }),
    c(Z, "zIncrBy", {
      gen: (r) => ({ key: r.key(), increment: r.score(), member: r.member() }),
      raw: (q) => [["ZINCRBY", q.key, fmt(q.increment), q.member]],
      project: (s) => [D(s.score)],
    }),
    c(Z, "zCard", {
      gen: (r) => ({ key: r.key() }),
      raw: (q) => [["ZCARD", q.key]],
      project: (s) => [I(s.cardinality)],
    }),
    c(Z, "zCount", {
      gen: (r) => ({ key: r.key(), range: { min: r.scoreBound(), max: r.scoreBound() } }),
      raw: (q) => [["ZCOUNT", q.key, scoreArg(q.range.min, "min"), scoreArg(q.range.max, "max")]],
      project: (s) => [I(s.count)],
    }),
    c(Z, "zLexCount", {
      gen: (r) => ({ key: r.key(), range: { min: r.lexBound(), max: r.lexBound() } }),
      raw: (q) => [["ZLEXCOUNT", q.key, lexArg(q.range.min, "min"), lexArg(q.range.max, "max")]],
      project: (s) => [I(s.count)],
    }),
    c(Z, "zRank", {
      gen: (r) => ({ key: r.key(), member: r.member(), reverse: r.chance(0.5), withScore: r.chance(0.5) }),
      raw: (q) => {
        const rank = [q.reverse ? "ZREVRANK" : "ZRANK", q.key, q.member];
        return q.withScore ? [rank, ["ZSCORE", q.key, q.member]] : [rank];
      },
      project: (s, q) =>
        q.withScore
          ? s.rank === undefined
            ? [null, null]
            : [I(s.rank), OD(s.score)]
          : [s.rank === undefined ? null : I(s.rank)],
    }),
    c(Z, "zRange", {
      gen: (r) => ({
        key: r.key(),
        range: r.range(["byIndex", "byScore", "byLex"]),
        reverse: r.chance(0.3),
        limit: limit(r),
        withScores: r.chance(0.4),
      }),
      raw: (q) => [["ZRANGE", q.key, ...zrangeArgs(q), ...(q.withScores ? ["WITHSCORES"] : [])]],
      project: (s, q) => [
        q.withScores ? s.members.flatMap((m: Uint8Array, i: number) => [B(m), D(s.scores[i])]) : s.members.map(B),
      ],
    }),
    c(Z, "zRangeStore", {
      gen: (r) => ({
        destination: r.key(),
        key: r.key(),
        range: r.range(["byIndex", "byScore", "byLex"]),
        reverse: r.chance(0.3),
        limit: limit(r),
      }),
      raw: (q) => [["ZRANGESTORE", q.destination, q.key, ...zrangeArgs(q)]],
      project: (s) => [I(s.stored)],
    }),
    c(Z, "zRemRange", {
      gen: (r) => ({ key: r.key(), range: r.range(["byIndex", "byScore", "byLex"]) }),
      raw: (q) => {
        const v = q.range.value;
        if (q.range.case === "byIndex") return [["ZREMRANGEBYRANK", q.key, String(v.start), String(v.stop)]];
        if (q.range.case === "byScore")
          return [["ZREMRANGEBYSCORE", q.key, scoreArg(v.min, "min"), scoreArg(v.max, "max")]];
        return [["ZREMRANGEBYLEX", q.key, lexArg(v.min, "min"), lexArg(v.max, "max")]];
      },
      project: (s) => [I(s.removed)],
    }),
    c(Z, "zPop", {
      gen: (r) => ({ key: r.key(), end: r.enum(ScoreEnd.MIN, ScoreEnd.MAX), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [
        [q.end === ScoreEnd.MIN ? "ZPOPMIN" : "ZPOPMAX", q.key, ...(q.count === undefined ? [] : [String(q.count)])],
      ],
      project: (s) => [s.members.flatMap((m: Msg) => [B(m.member), D(m.score)])],
    }),
    c(Z, "zMPop", {
      gen: (r) => ({ keys: r.keys(), end: r.enum(ScoreEnd.MIN, ScoreEnd.MAX), count: opt(r, 0.5, () => r.count()) }),
      raw: (q) => [
        [
          "ZMPOP",
          String(q.keys.length),
          ...q.keys,
          q.end === ScoreEnd.MIN ? "MIN" : "MAX",
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.key === undefined ? null : [T(s.key), s.members.map((m: Msg) => [B(m.member), D(m.score)])]],
    }),
    c(Z, "bZPop", {
      gen: (r) => ({ keys: r.keys(), end: r.enum(ScoreEnd.MIN, ScoreEnd.MAX), timeout: r.pick(TIMEOUTS) }),
      raw: (q) => [[q.end === ScoreEnd.MIN ? "BZPOPMIN" : "BZPOPMAX", ...q.keys, secs(q.timeout)]],
      project: (s) => [s.key === undefined ? null : [T(s.key), B(s.member.member), D(s.member.score)]],
    }),
    c(Z, "bZMPop", {
      gen: (r) => ({
        keys: r.keys(),
        end: r.enum(ScoreEnd.MIN, ScoreEnd.MAX),
        count: opt(r, 0.5, () => r.count()),
        timeout: r.pick(TIMEOUTS),
      }),
      raw: (q) => [
        [
          "BZMPOP",
          secs(q.timeout),
          String(q.keys.length),
          ...q.keys,
          q.end === ScoreEnd.MIN ? "MIN" : "MAX",
          ...(q.count === undefined ? [] : ["COUNT", String(q.count)]),
        ],
      ],
      project: (s) => [s.key === undefined ? null : [T(s.key), s.members.map((m: Msg) => [B(m.member), D(m.score)])]],
    }),
    c(Z, "zRandMember", {
      gen: (r) => {
        const count = opt(r, 0.6, () => r.count());
        return { key: r.key(), count, withScores: count !== undefined && r.chance(0.5) };
      },
      raw: (q) => [
        [
          "ZRANDMEMBER",
          q.key,
          ...(q.count === undefined ? [] : [String(q.count)]),
          ...(q.withScores ? ["WITHSCORES"] : []),
        ],
      ],
      project: (s, q) => {
        if (q.count === undefined) return [s.members.length === 0 ? null : B(s.members[0])];
        if (!q.withScores) return [s.members.map(B)];
        return [s.members.flatMap((m: Uint8Array, i: number) => [B(m), D(s.scores[i])])];
      },
    }),
    c(Z, "zScan", {
      gen: (r) => ({ key: r.key(), cursor: "", match: scanMatch(r), count: scanCount(r) }),
      raw: (q) => [["ZSCAN", q.key, cursorOf(q.cursor), ...scanOpts(q)]],
      project: (s) => [[T(s.cursor), s.members.flatMap((m: Msg) => [B(m.member), D(m.score)])]],
    }),
    ...familyCases(c),
  ];
  // CommandService.Execute: a raw command is its own equivalent. Its arguments are another
  // case's raw command, sometimes with a key made of bytes that are not UTF-8 (typed keys are text).
  const typed = [...cases];
  cases.push(
    c(CommandService, "execute", {
      gen: (r) => {
        let argv: RawArg[] = [];
        while (argv.length === 0) {
          const other = r.pick(typed);
          argv = other.raw(other.gen(r))[0] ?? [];
        }
        const args = argv.map(u8);
        if (args.length > 1 && r.chance(0.3)) args[1] = r.pick(BINARY_KEYS);
        return { args };
      },
      raw: (q) => [q.args],
      project: () => {
        throw new TypeError("execute's reply is compared as is");
      },
    }),
  );
  return cases;
}

/** Keys only raw commands can name: bytes that are not UTF-8. */
const BINARY_KEYS = [Uint8Array.of(0xff), Uint8Array.of(0x80, 0x81), Uint8Array.of(0xc3), Uint8Array.of(0, 0xfe, 0xe9)];
