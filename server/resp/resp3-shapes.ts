/**
 * RESP3 reply shapes. The store replies in RESP2 shapes (flat field/value arrays, scores as bulk
 * strings); over RESP3 Redis gives some commands richer types: maps (HGETALL), sets (SMEMBERS),
 * doubles (ZSCORE) and [member, score] pairs (WITHSCORES). This table reshapes a reply for a
 * RESP3 connection, as Redis 7 does; commands not listed keep their shape.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import type { Reply } from "../../shared/store/reply.js";
import { NULL_ARRAY, RespDouble, RespMap, RespSet, type RespValue } from "./resp-encode.js";

type Shape = (reply: Reply, argv: readonly Bytes[]) => RespValue;

const double = (r: Reply): RespValue => (typeof r === "string" ? new RespDouble(r) : r);
const doubles = (r: Reply): RespValue => (Array.isArray(r) ? r.map(double) : r);
const set = (r: Reply): RespValue => (Array.isArray(r) ? new RespSet(r) : r);

function map(r: Reply): RespValue {
  if (!Array.isArray(r)) return r;
  const entries: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < r.length; i += 2) entries.push([r[i] as Reply, r[i + 1] as Reply]);
  return new RespMap(entries);
}

/** A flat [member, score, …] array as [[member, score-double], …]. */
function scorePairs(r: Reply): RespValue {
  if (!Array.isArray(r)) return r;
  const out: RespValue[] = [];
  for (let i = 0; i + 1 < r.length; i += 2) out.push([r[i] as Reply, double(r[i + 1] as Reply)]);
  return out;
}

/** A flat [field, value, …] array as [[field, value], …]. */
function pairs(r: Reply): RespValue {
  if (!Array.isArray(r)) return r;
  const out: RespValue[] = [];
  for (let i = 0; i + 1 < r.length; i += 2) out.push([r[i] as Reply, r[i + 1] as Reply]);
  return out;
}

function hasToken(argv: readonly Bytes[], token: string, from = 2): boolean {
  for (let i = from; i < argv.length; i++) if ((argv[i] as Bytes).toUpperCase() === token) return true;
  return false;
}

const withScores: Shape = (r, argv) => (hasToken(argv, "WITHSCORES") ? scorePairs(r) : r);

const SHAPES: Readonly<Record<string, Shape>> = {
  HGETALL: map,
  SMEMBERS: set,
  SINTER: set,
  SUNION: set,
  SDIFF: set,
  ZSCORE: double,
  ZINCRBY: double,
  ZMSCORE: doubles,
  ZADD: (r, argv) => (hasToken(argv, "INCR") ? double(r) : r),
  ZRANGE: withScores,
  ZRANGEBYSCORE: withScores,
  ZREVRANGE: withScores,
  ZREVRANGEBYSCORE: withScores,
  ZUNION: withScores,
  ZINTER: withScores,
  ZDIFF: withScores,
  ZRANDMEMBER: withScores,
  // Without a count Redis 7 replies one flat [member, score] pair; with one, a list of pairs.
  ZPOPMIN: (r, argv) =>
    argv.length > 2 ? scorePairs(r) : Array.isArray(r) && r.length === 2 ? [r[0] as Reply, double(r[1] as Reply)] : r,
  ZPOPMAX: (r, argv) =>
    argv.length > 2 ? scorePairs(r) : Array.isArray(r) && r.length === 2 ? [r[0] as Reply, double(r[1] as Reply)] : r,
  ZRANK: (r, argv) => (hasToken(argv, "WITHSCORE", 3) && Array.isArray(r) ? [r[0] as Reply, double(r[1] as Reply)] : r),
  ZREVRANK: (r, argv) =>
    hasToken(argv, "WITHSCORE", 3) && Array.isArray(r) ? [r[0] as Reply, double(r[1] as Reply)] : r,
  HRANDFIELD: (r, argv) => (hasToken(argv, "WITHVALUES", 3) ? pairs(r) : r),
  // [key, member, score]: the score a double.
  BZPOPMIN: bzpopShape,
  BZPOPMAX: bzpopShape,
  // [key, [[member, score], …]]: each score a double.
  ZMPOP: mpopShape,
  BZMPOP: mpopShape,
  XREAD: streamsMap,
  XREADGROUP: streamsMap,
  XINFO: xinfoShape,
};

/**
 * Nils nested in a reply that Redis sends as null arrays (`addReplyNullArray`: `*-1` in RESP2, `_`
 * in RESP3 like any null): XPENDING's consumer list in its summary when nothing is pending, and
 * XREADGROUP's entry whose message was deleted from the stream while pending ([id, *-1]).
 */
function nestedNulls(r: Reply, argv: readonly Bytes[]): RespValue {
  if (!Array.isArray(r)) return r;
  const name = (argv[0] as Bytes).toUpperCase();
  if (name === "XPENDING") {
    return argv.length === 3 && r.length === 4 && r[3] === null
      ? [r[0] as Reply, r[1] as Reply, r[2] as Reply, NULL_ARRAY]
      : r;
  }
  // XREADGROUP: [[stream, [[id, fields | null], …]], …]
  return r.map((stream) => {
    if (
      !Array.isArray(stream) ||
      !Array.isArray(stream[1]) ||
      !stream[1].some((e) => Array.isArray(e) && e[1] === null)
    )
      return stream;
    const entries = (stream[1] as Reply[]).map(
      (e): RespValue => (Array.isArray(e) && e[1] === null ? [e[0] as Reply, NULL_ARRAY] : e),
    );
    return [stream[0] as Reply, entries];
  });
}

/** RESP2 reshapes (nested null arrays), by upper-case name; see {@link nestedNulls}. */
const SHAPES2: Readonly<Record<string, Shape>> = { XPENDING: nestedNulls, XREADGROUP: nestedNulls };

/** XREAD/XREADGROUP: [[stream, entries], …] as a map of stream → entries (Redis 7 under RESP3). */
function streamsMap(r: Reply): RespValue {
  if (!Array.isArray(r)) return r;
  const entries: [RespValue, RespValue][] = [];
  for (const pair of r) if (Array.isArray(pair)) entries.push([pair[0] as Reply, pair[1] as Reply]);
  return new RespMap(entries);
}

/** A flat [field, value, …] array as a map, with `nested` reshaping the value of some fields. */
function fieldsMap(r: Reply, nested?: Readonly<Record<string, (v: Reply) => RespValue>>): RespValue {
  if (!Array.isArray(r)) return r;
  const entries: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < r.length; i += 2) {
    const k = r[i] as Reply;
    const v = r[i + 1] as Reply;
    const shape = nested !== undefined && typeof k === "string" ? nested[k] : undefined;
    entries.push([k, shape === undefined ? v : shape(v)]);
  }
  return new RespMap(entries);
}

/** An array of flat field/value arrays as an array of maps. */
const mapsOf =
  (nested?: Readonly<Record<string, (v: Reply) => RespValue>>) =>
  (r: Reply): RespValue =>
    Array.isArray(r) ? r.map((x) => fieldsMap(x, nested)) : r;

/** XINFO STREAM [FULL], GROUPS, CONSUMERS: maps, as Redis 7 (FULL's groups and their consumers too). */
function xinfoShape(r: Reply, argv: readonly Bytes[]): RespValue {
  const sub = (argv[1] as Bytes).toUpperCase();
  if (sub === "STREAM") return fieldsMap(r, { groups: mapsOf({ consumers: mapsOf() }) });
  if (sub === "GROUPS" || sub === "CONSUMERS") return mapsOf()(r);
  return r;
}

function bzpopShape(r: Reply): RespValue {
  return Array.isArray(r) && r.length === 3 ? [r[0] as Reply, r[1] as Reply, double(r[2] as Reply)] : r;
}

function mpopShape(r: Reply): RespValue {
  if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(r[1])) return r;
  return [r[0] as Reply, (r[1] as Reply[]).map((p) => (Array.isArray(p) ? [p[0] as Reply, double(p[1] as Reply)] : p))];
}

/**
 * Commands whose nil is a null ARRAY in RESP2 (`*-1`, Redis's `addReplyNullArray`), not a null
 * bulk string: the pops that reply arrays, when nothing was there or their wait timed out. A
 * BLMOVE/BRPOPLPUSH that timed out too (`replyToBlockedClientTimedOut`), but not one that could
 * not block (`$-1`): the connection passes `blocked`.
 */
const NULL_ARRAY_NILS = new Set([
  "BLPOP",
  "BRPOP",
  "BLMPOP",
  "LMPOP",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
  "ZMPOP",
  // Nothing read (or a BLOCK that timed out), and XRANGE/XREVRANGE with COUNT 0.
  "XREAD",
  "XREADGROUP",
  "XRANGE",
  "XREVRANGE",
]);

/** {@link nilIsNullArray} without `blocked`, by the name as sent (GET's nil is the common one). */
const nullArrayByName = new Map<string, boolean>();

/**
 * True when the nil reply of `argv` is a null array in RESP2 (see {@link NULL_ARRAY_NILS}; LPOP
 * and RPOP with a count too, as Redis 7 replies them).
 */
export function nilIsNullArray(argv: readonly Bytes[], blocked: boolean): boolean {
  const name = argv[0] as Bytes;
  if (!blocked) {
    let known = nullArrayByName.get(name);
    if (known === undefined) {
      known = NULL_ARRAY_NILS.has(name.toUpperCase());
      // Bounded: every mixed-case spelling of every command is a name too.
      if (nullArrayByName.size < 256) nullArrayByName.set(name, known);
    }
    if (known) return true;
    if (argv.length !== 3) return false;
    const upper = name.toUpperCase();
    return upper === "LPOP" || upper === "RPOP";
  }
  const upper = name.toUpperCase();
  return NULL_ARRAY_NILS.has(upper) || upper === "BLMOVE" || upper === "BRPOPLPUSH";
}

/** The RESP2 reshape of `name`'s reply (nested null arrays), or undefined when there is none. */
export function resp2Shape(name: string): Shape | undefined {
  return SHAPES2[name.toUpperCase()];
}

/**
 * `reply` as the RESP port sends it for `argv` in protocol 2 or 3: RESP2's null arrays (top-level
 * and nested) and RESP3's richer types. The one place both the connection and EXEC encode through.
 */
export function respShape(reply: Reply, argv: readonly Bytes[], protocol: 2 | 3, blocked = false): RespValue {
  const name = argv[0] as Bytes;
  if (protocol === 2) {
    if (reply === null) return nilIsNullArray(argv, blocked) ? NULL_ARRAY : null;
    if (!Array.isArray(reply)) return reply;
    const shape = resp2Shape(name);
    return shape === undefined ? reply : shape(reply, argv);
  }
  const shape = resp3Shape(name);
  return shape === undefined ? reply : shape(reply, argv);
}

/** The shape of `name`'s reply over RESP3, or undefined when it is the RESP2 one. */
export function resp3Shape(name: string): Shape | undefined {
  return SHAPES[name.toUpperCase()];
}
