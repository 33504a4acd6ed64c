import type { BlockingSpec, BlockingWait } from "./blocking.js";
import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { echoInput, genericError, StoreError, syntaxError } from "./errors.js";
import { MAX_DEADLINE_MS, parseInt64 } from "./parse.js";
import type { Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { type Consumer, type ConsumerGroup, INVALID_ENTRIES_READ, type Nack } from "./stream-group.js";
import { formatId, ID_MAX, ID_MIN, type IdKey, idIncr, parseId } from "./stream-id.js";
import { type StreamValue, StreamValue as StreamValueClass } from "./stream-value.js";
import { entryReply, lookupStream } from "./t-stream.js";

/**
 * XREAD and XREADGROUP (Redis's `xreadCommand` and `streamReplyWithRange`): the non-blocking form
 * here; the blocking side (BLOCK) waits through blocking.ts and serves with {@link serveStream}.
 */

/** Redis's default COUNT for a blocked XREAD served later (`XREAD_BLOCKED_DEFAULT_COUNT`). */
export const BLOCKED_DEFAULT_COUNT = 1000;

/** A parsed XREAD / XREADGROUP. */
export interface ReadArgs {
  readonly group: Bytes | null;
  readonly consumer: Bytes | null;
  readonly noack: boolean;
  /** 0 = no COUNT. */
  readonly count: number;
  /** The BLOCK argument in ms, or -1 without BLOCK. */
  readonly blockMs: number;
  readonly keys: Bytes[];
  /** The ID arguments as sent (`$`, `>`, or an ID). */
  readonly idArgs: Bytes[];
}

/** Parses the options of XREAD (`group` false) or XREADGROUP, with Redis's checks and errors. */
export function parseRead(argv: readonly Bytes[], xreadgroup: boolean): ReadArgs {
  let blockMs = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let group: Bytes | null = null;
  let consumer: Bytes | null = null;
  let noack = false;
  const name = (argv[0] as Bytes).toUpperCase();
  for (let i = 1; i < argv.length; i++) {
    const moreargs = argv.length - i - 1;
    const o = (argv[i] as Bytes).toUpperCase();
    if (o === "BLOCK" && moreargs > 0) {
      i++;
      blockMs = parseBlockMs(argv[i] as Bytes);
    } else if (o === "COUNT" && moreargs > 0) {
      i++;
      const n = parseInt64(argv[i] as Bytes);
      count = n < 0 ? 0 : Number(n);
    } else if (o === "STREAMS" && moreargs > 0) {
      streamsArg = i + 1;
      streamsCount = argv.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        throw genericError("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamsCount /= 2;
      break;
    } else if (o === "GROUP" && moreargs >= 2) {
      if (!xreadgroup)
        throw genericError("The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      group = argv[i + 1] as Bytes;
      consumer = argv[i + 2] as Bytes;
      i += 2;
    } else if (o === "NOACK") {
      if (!xreadgroup)
        throw genericError("The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      noack = true;
    } else {
      throw syntaxError();
    }
  }
  if (streamsArg === 0) throw syntaxError();
  if (xreadgroup && group === null) throw genericError("Missing GROUP option for XREADGROUP");
  void name;
  return {
    group,
    consumer,
    noack,
    count,
    blockMs,
    keys: argv.slice(streamsArg, streamsArg + streamsCount) as Bytes[],
    idArgs: argv.slice(streamsArg + streamsCount) as Bytes[],
  };
}

/** BLOCK's milliseconds as Redis's `getTimeoutFromObjectOrReply(…, UNIT_MILLISECONDS)` reads them. */
function parseBlockMs(arg: Bytes): number {
  let n: number | bigint;
  try {
    n = parseInt64(arg);
  } catch {
    throw new StoreError("NOT_INTEGER", "ERR timeout is not an integer or out of range");
  }
  if (n < 0) throw genericError("timeout is negative");
  return Number(n);
}

/** `NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option` */
function noGroupForRead(key: Bytes, group: Bytes): StoreError {
  return new StoreError(
    "NOGROUP",
    `NOGROUP No such key '${echoInput(key)}' or consumer group '${echoInput(group)}' in XREADGROUP with GROUP option`,
  );
}

/** The consumer `name` of `group`, its seen-time refreshed, created (with its event) when missing. */
export function lookupOrCreateConsumer(ctx: CommandContext, key: Bytes, group: ConsumerGroup, name: Bytes): Consumer {
  const { consumer, created } = group.consumer(name, ctx.now);
  if (created) ctx.notify("stream", "xgroup-createconsumer", key);
  else consumer.seenTime = ctx.now;
  return consumer;
}

/** Redis's `streamRangeHasTombstones(s, start, NULL)`. */
export function rangeHasTombstones(s: StreamValue, start: IdKey): boolean {
  if (s.length === 0 || s.maxDeletedId === ID_MIN) return false;
  if (s.firstId > s.maxDeletedId) return false;
  return start <= s.maxDeletedId;
}

/** Redis's `streamEstimateDistanceFromFirstEverEntry`. */
export function estimateDistance(s: StreamValue, id: IdKey): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  if (s.maxDeletedId === ID_MIN || s.maxDeletedId < s.firstId) {
    if (id < s.firstId) return s.entriesAdded - s.length;
    if (id === s.firstId) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

/**
 * Redis's `streamReplyWithRange` from `start` to the end, at most `count` entries (0: all), for a
 * plain read (no group) or a group read: the group's last ID and read counter advance, and unless
 * `noack` each entry delivered enters the PEL of the group and of `consumer` (taken from another
 * consumer if it was pending there).
 */
export function readEntries(
  ctx: CommandContext,
  s: StreamValue,
  start: IdKey,
  count: number,
  group: ConsumerGroup | null,
  consumer: Consumer | null,
  noack: boolean,
): Reply[] {
  const entries = s.range(start, ID_MAX, count, false);
  const out: Reply[] = [];
  for (const e of entries) {
    if (group !== null && e.id > group.lastId) {
      if (group.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, e.id)) {
        group.entriesRead++;
      } else if (s.entriesAdded) {
        group.entriesRead = estimateDistance(s, e.id);
      }
      group.lastId = e.id;
    }
    out.push(entryReply(e));
    if (group !== null && consumer !== null && !noack) {
      const nack = group.pel.get(e.id);
      if (nack === undefined) {
        const created: Nack = { deliveryTime: ctx.now, deliveryCount: 1, consumer };
        group.pel.set(e.id, created);
        consumer.pel.set(e.id, created);
      } else {
        nack.consumer.pel.delete(e.id);
        nack.consumer = consumer;
        nack.deliveryTime = ctx.now;
        nack.deliveryCount = 1;
        consumer.pel.set(e.id, nack);
      }
    }
  }
  return out;
}

/**
 * Redis's `streamReplyWithRangeFromConsumerPEL`: the consumer's own pending entries from `start`
 * (XREADGROUP with an ID): each delivered again (time, count), or `[id, nil]` when the entry was
 * deleted meanwhile.
 */
function readHistory(ctx: CommandContext, s: StreamValue, start: IdKey, count: number, consumer: Consumer): Reply[] {
  const out: Reply[] = [];
  for (const [id, nack] of consumer.pel.from(start)) {
    if (count && out.length >= count) break;
    const e = s.get(id);
    if (e === undefined) {
      out.push([formatId(id), null]);
    } else {
      nack.deliveryTime = ctx.now;
      nack.deliveryCount++;
      out.push(entryReply(e));
    }
  }
  return out;
}

/** XREAD / XREADGROUP without blocking: `[[key, entries], …]`, or null when nothing is served. */
function xreadGeneric(ctx: CommandContext, argv: readonly Bytes[], xreadgroup: boolean): Reply {
  const args = parseRead(argv, xreadgroup);
  const streams: (StreamValue | undefined)[] = [];
  const groups: (ConsumerGroup | null)[] = [];
  const gts: IdKey[] = [];
  for (let i = 0; i < args.keys.length; i++) {
    const key = args.keys[i] as Bytes;
    const s = lookupStream(ctx, key);
    streams.push(s);
    let group: ConsumerGroup | null = null;
    if (args.group !== null) {
      group = s?.groups?.get(args.group) ?? null;
      if (group === null) throw noGroupForRead(key, args.group);
    }
    groups.push(group);
    const idArg = args.idArgs[i] as Bytes;
    if (idArg === "$") {
      if (xreadgroup) {
        throw genericError(
          "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      gts.push(s?.lastId ?? ID_MIN);
    } else if (idArg === ">") {
      if (!xreadgroup) {
        throw genericError(
          "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
      }
      gts.push(ID_MAX);
    } else {
      gts.push(parseId(idArg, 0n, true).id);
    }
  }
  recordResolvedIds(argv, gts);
  const out: Reply[] = [];
  for (let i = 0; i < args.keys.length; i++) {
    const s = streams[i];
    if (s === undefined) continue;
    const key = args.keys[i] as Bytes;
    const group = groups[i] as ConsumerGroup | null;
    let gt = gts[i] as IdKey;
    let serve = false;
    let history = false;
    if (group !== null) {
      if (gt !== ID_MAX) {
        serve = true;
        history = true;
      } else if (s.length > 0 && lastLiveId(s) > group.lastId) {
        serve = true;
        gt = group.lastId;
      }
    } else if (s.length > 0 && lastLiveId(s) > gt) {
      serve = true;
    }
    if (!serve) continue;
    if (args.count > 0) checkReplyLength(ctx.limits, args.count * 3);
    else checkReplyLength(ctx.limits, history ? (group as ConsumerGroup).pel.size : s.length * 3);
    const start = idIncr(gt) ?? ID_MIN;
    let consumer: Consumer | null = null;
    if (group !== null) consumer = lookupOrCreateConsumer(ctx, key, group, args.consumer as Bytes);
    const entries =
      history && consumer !== null
        ? readHistory(ctx, s, start, args.count, consumer)
        : readEntries(ctx, s, start, args.count, group, consumer, args.noack);
    if (group !== null) ctx.db.touch(key);
    out.push([key, entries]);
  }
  return out.length > 0 ? out : null;
}

/** The last live entry's ID (Redis's `streamLastValidID`). */
function lastLiveId(s: StreamValue): IdKey {
  return s.edgeEntry(true)?.id ?? ID_MIN;
}

/**
 * The IDs a call resolved (`$` is the stream's last ID when XREAD was called), by its argv: a
 * blocked XREAD is served later with the same argv array, and must wait for entries after the
 * last ID of the time it was called, not of the time it is served.
 */
const resolvedIds = new WeakMap<readonly Bytes[], IdKey[]>();

function recordResolvedIds(argv: readonly Bytes[], ids: IdKey[]): void {
  if (argv.some((a) => a === "$")) resolvedIds.set(argv, ids);
}

/** The IDs XREAD resolved for `argv` (its `$`), if it recorded any. */
export function resolvedIdsOf(argv: readonly Bytes[]): IdKey[] | undefined {
  return resolvedIds.get(argv);
}

/** `ERR …` for a bad argv: the store checks arity first; XREAD's keys come from its STREAMS list. */
export function readKeys(argv: readonly Bytes[]): Bytes[] {
  for (let i = 1; i < argv.length; i++) {
    if ((argv[i] as Bytes).toUpperCase() === "STREAMS") {
      const n = Math.floor((argv.length - i - 1) / 2);
      return argv.slice(i + 1, i + 1 + n) as Bytes[];
    }
  }
  return [];
}

/**
 * The wait of XREAD/XREADGROUP … BLOCK ms: the keys (each once), the deadline (BLOCK 0 waits
 * forever); none without BLOCK.
 */
function readWait(argv: readonly Bytes[], now: number, xreadgroup: boolean): BlockingWait | undefined {
  const args = parseRead(argv, xreadgroup);
  if (args.blockMs < 0) return undefined;
  const deadline = args.blockMs === 0 ? 0 : now + args.blockMs;
  return { keys: [...new Set(args.keys)], deadline: deadline >= MAX_DEADLINE_MS ? 0 : deadline };
}

/** `UNBLOCKED the stream key no longer exists` (XREADGROUP blocked on a key deleted or overwritten). */
function keyGone(): StoreError {
  return new StoreError("ABORTED", "UNBLOCKED the stream key no longer exists");
}

/**
 * Serves a blocked XREAD/XREADGROUP from `key` (Redis 7.0's `serveClientsBlockedOnStreamKey`):
 * `[[key, entries]]` when the stream has entries past the caller's ID (a group's last delivered
 * ID, read now), undefined to keep waiting. XREADGROUP fails when its group or key is gone.
 */
function serveRead(ctx: CommandContext, key: Bytes, argv: readonly Bytes[], xreadgroup: boolean): Reply | undefined {
  const args = parseRead(argv, xreadgroup);
  const index = args.keys.indexOf(key);
  if (index < 0) return undefined;
  const value = ctx.db.lookup(key);
  if (value === undefined || !(value instanceof StreamValueClass)) {
    if (xreadgroup) throw keyGone();
    return undefined;
  }
  const s = value;
  let group: ConsumerGroup | null = null;
  let gt: IdKey;
  if (xreadgroup) {
    group = s.groups?.get(args.group as Bytes) ?? null;
    if (group === null) {
      throw new StoreError("NOGROUP", "NOGROUP the consumer group this client was blocked on no longer exists");
    }
    gt = group.lastId;
  } else {
    const idArg = args.idArgs[index] as Bytes;
    gt = idArg === "$" ? (resolvedIdsOf(argv)?.[index] ?? s.lastId) : parseId(idArg, 0n, true).id;
  }
  if (!(s.lastId > gt)) return undefined;
  const start = idIncr(gt) ?? ID_MIN;
  const count = args.count > 0 ? args.count : BLOCKED_DEFAULT_COUNT;
  // Nothing to deliver (the entries past the ID were deleted): keep waiting rather than reply empty.
  if (s.range(start, ID_MAX, 1, false).length === 0) return undefined;
  let consumer: Consumer | null = null;
  if (group !== null) consumer = lookupOrCreateConsumer(ctx, key, group, args.consumer as Bytes);
  const entries = readEntries(ctx, s, start, count, group, consumer, args.noack);
  if (group !== null) ctx.db.touch(key);
  return [[key, entries]];
}

function readBlocking(xreadgroup: boolean): BlockingSpec {
  return {
    servesEach: true,
    wait: (argv, now) => readWait(argv, now, xreadgroup),
    serveKeys: (key) => [key],
    serve: (ctx, key, argv) => serveRead(ctx, key, argv, xreadgroup),
  };
}

/** XREAD and XREADGROUP. */
export const streamReadCommands: CommandSpec[] = [
  {
    name: "XREAD",
    arity: -4,
    flags: ["readonly", "blocking"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "stream",
    keys: readKeys,
    complexity:
      "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
    summary:
      "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
    syntax: "XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
    handler: (ctx, argv) => xreadGeneric(ctx, argv, false),
    blocking: readBlocking(false),
  },
  {
    name: "XREADGROUP",
    arity: -7,
    flags: ["write", "blocking"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "stream",
    keys: readKeys,
    complexity:
      "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
    summary:
      "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
    syntax:
      "XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
    handler: (ctx, argv) => xreadGeneric(ctx, argv, true),
    blocking: readBlocking(true),
  },
];
