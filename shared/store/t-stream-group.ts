import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { echoInput, genericError, StoreError, syntaxError, wrongArity } from "./errors.js";
import { parseInt64 } from "./parse.js";
import { OK, type Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { type Consumer, ConsumerGroup, INVALID_ENTRIES_READ, type Nack } from "./stream-group.js";
import { formatId, ID_MIN, type IdKey, idDecr, idIncr, parseId, parseRangeId, U64_MAX } from "./stream-id.js";
import { StreamValue } from "./stream-value.js";
import { helpReply, unknownSubcommand } from "./subcommands.js";
import { entryReply, lookupStream } from "./t-stream.js";
import { lookupOrCreateConsumer } from "./t-stream-read.js";

/**
 * Consumer-group commands (Redis's t_stream.c): XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
 * Every change to a group touches the key (persistence, WATCH) without an event unless Redis
 * emits one (`xgroup-*`).
 */

/** An int64 argument, with `message` (Redis's custom text) when it is not one. */
function int64Or(arg: Bytes, message?: string): number {
  try {
    return Number(parseInt64(arg));
  } catch (error) {
    if (message !== undefined) throw genericError(message);
    throw error;
  }
}

/** `NOGROUP No such key 'k' or consumer group 'g'` */
export function noGroup(key: Bytes, group: Bytes): StoreError {
  return new StoreError("NOGROUP", `NOGROUP No such key '${echoInput(key)}' or consumer group '${echoInput(group)}'`);
}

/** The group `name` of the stream at `key`, or NOGROUP (WRONGTYPE first). */
function lookupGroup(ctx: CommandContext, key: Bytes, name: Bytes): { s: StreamValue; group: ConsumerGroup } {
  const s = lookupStream(ctx, key);
  const group = s?.groups?.get(name);
  if (s === undefined || group === undefined) throw noGroup(key, name);
  return { s, group };
}

/** Removes a pending entry from the group and its consumer. */
function dropNack(group: ConsumerGroup, id: IdKey, nack: Nack): void {
  group.pel.delete(id);
  nack.consumer.pel.delete(id);
}

const XGROUP_HELP: readonly string[] = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

/** XGROUP's subcommands and their Redis 7 arities (the name counted as in `XGROUP|CREATE`). */
const XGROUP_ARITY: Readonly<Record<string, number>> = {
  CREATE: -5,
  SETID: -5,
  DESTROY: 4,
  CREATECONSUMER: 5,
  DELCONSUMER: 5,
  HELP: 2,
};

/** Redis 7's subcommand dispatch: unknown subcommand, then the subcommand's arity. */
function checkSubcommand(argv: readonly Bytes[], command: string, arities: Readonly<Record<string, number>>): string {
  const sub = (argv[1] as Bytes).toUpperCase();
  const arity = arities[sub];
  if (arity === undefined) throw unknownSubcommand(argv[1] as Bytes, command);
  if ((arity > 0 && argv.length !== arity) || (arity < 0 && argv.length < -arity)) {
    throw wrongArity(`${command.toLowerCase()}|${sub.toLowerCase()}`);
  }
  return sub;
}

/** `ERR unknown subcommand or wrong number of arguments for 'x'. Try XGROUP HELP.` */
function subcommandSyntax(argv: readonly Bytes[], command: string): StoreError {
  return genericError(
    `unknown subcommand or wrong number of arguments for '${echoInput(argv[1] as Bytes)}'. Try ${command} HELP.`,
  );
}

/* XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP … */
function xgroup(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const sub = checkSubcommand(argv, "XGROUP", XGROUP_ARITY);
  if (sub === "HELP") return helpReply(XGROUP_HELP);
  const key = argv[2] as Bytes;
  const name = argv[3] as Bytes;
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < argv.length; ) {
    const opt = (argv[i] as Bytes).toUpperCase();
    if (sub === "CREATE" && opt === "MKSTREAM") {
      mkstream = true;
      i++;
    } else if ((sub === "CREATE" || sub === "SETID") && opt === "ENTRIESREAD" && i + 1 < argv.length) {
      entriesRead = Number(parseInt64(argv[i + 1] as Bytes));
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) {
        throw genericError("value for ENTRIESREAD must be positive or -1");
      }
      i += 2;
    } else {
      throw subcommandSyntax(argv, "XGROUP");
    }
  }
  let s = lookupStream(ctx, key);
  const group = s?.groups?.get(name);
  if (!mkstream) {
    if (s === undefined) {
      throw genericError(
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
    }
    if (group === undefined && (sub === "SETID" || sub === "CREATECONSUMER" || sub === "DELCONSUMER")) {
      throw new StoreError(
        "NOGROUP",
        `NOGROUP No such consumer group '${echoInput(name)}' for key name '${echoInput(key)}'`,
      );
    }
  }
  switch (sub) {
    case "CREATE": {
      if (argv.length > 8) throw subcommandSyntax(argv, "XGROUP");
      const idArg = argv[4] as Bytes;
      const id = idArg === "$" ? (s?.lastId ?? ID_MIN) : parseId(idArg, 0n, true).id;
      if (s === undefined) {
        s = new StreamValue();
        ctx.db.put(key, s);
      }
      s.groups ??= new Map();
      if (s.groups.has(name)) throw new StoreError("BUSYGROUP");
      s.groups.set(name, new ConsumerGroup(name, id, entriesRead));
      ctx.db.touch(key);
      ctx.notify("stream", "xgroup-create", key);
      return OK;
    }
    case "SETID": {
      if (argv.length !== 5 && argv.length !== 7) throw subcommandSyntax(argv, "XGROUP");
      const g = group as ConsumerGroup;
      const idArg = argv[4] as Bytes;
      g.lastId = idArg === "$" ? (s as StreamValue).lastId : parseId(idArg, 0n, false).id;
      g.entriesRead = entriesRead;
      ctx.db.touch(key);
      ctx.notify("stream", "xgroup-setid", key);
      return OK;
    }
    case "DESTROY": {
      if (group === undefined) return 0;
      (s as StreamValue).groups?.delete(name);
      ctx.db.touch(key);
      ctx.notify("stream", "xgroup-destroy", key);
      return 1;
    }
    case "CREATECONSUMER": {
      const { created } = (group as ConsumerGroup).consumer(argv[4] as Bytes, ctx.now);
      if (!created) return 0;
      ctx.db.touch(key);
      ctx.notify("stream", "xgroup-createconsumer", key);
      return 1;
    }
    default: {
      // DELCONSUMER
      const g = group as ConsumerGroup;
      const consumer = g.consumers.get(argv[4] as Bytes);
      if (consumer === undefined) return 0;
      const pending = g.deleteConsumer(consumer);
      ctx.db.touch(key);
      ctx.notify("stream", "xgroup-delconsumer", key);
      return pending;
    }
  }
}

/* XACK key group id [id ...] */
function xack(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const s = lookupStream(ctx, key);
  const group = s?.groups?.get(argv[2] as Bytes);
  if (group === undefined) return 0;
  const ids: IdKey[] = [];
  for (let j = 3; j < argv.length; j++) ids.push(parseId(argv[j] as Bytes, 0n, true).id);
  let acked = 0;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack !== undefined) {
      dropNack(group, id, nack);
      acked++;
    }
  }
  if (acked > 0) ctx.db.touch(key);
  return acked;
}

/* XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
function xpending(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const groupName = argv[2] as Bytes;
  const justinfo = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) throw syntaxError();
  let start = ID_MIN;
  let end = ID_MIN;
  let count = 0;
  let minidle = 0;
  let consumerName: Bytes | null = null;
  if (argv.length >= 6) {
    let startidx = 3;
    if ((argv[3] as Bytes).toUpperCase() === "IDLE") {
      minidle = int64Or(argv[4] as Bytes);
      if (argv.length < 8) throw syntaxError();
      startidx += 2;
    }
    count = int64Or(argv[startidx + 2] as Bytes);
    if (count < 0) count = 0;
    const s0 = parseRangeId(argv[startidx] as Bytes, 0n);
    start = s0.id;
    if (s0.exclusive) {
      const next = idIncr(start);
      if (next === undefined) throw genericError("invalid start ID for the interval");
      start = next;
    }
    const e0 = parseRangeId(argv[startidx + 1] as Bytes, U64_MAX);
    end = e0.id;
    if (e0.exclusive) {
      const prev = idDecr(end);
      if (prev === undefined) throw genericError("invalid end ID for the interval");
      end = prev;
    }
    if (startidx + 3 < argv.length) consumerName = argv[startidx + 3] as Bytes;
  }
  const { group } = lookupGroup(ctx, key, groupName);
  if (justinfo) {
    if (group.pel.size === 0) return [0, null, null, null];
    const consumers: Reply[] = [];
    for (const c of group.sortedConsumers()) {
      if (c.pel.size > 0) consumers.push([c.name, String(c.pel.size)]);
    }
    return [group.pel.size, formatId(group.pel.first() as IdKey), formatId(group.pel.last() as IdKey), consumers];
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) return [];
    pel = consumer.pel;
  }
  checkReplyLength(ctx.limits, Math.min(count, pel.size) * 5);
  const out: Reply[] = [];
  for (const [id, nack] of pel.from(start)) {
    if (count === 0 || id > end) break;
    if (minidle && ctx.now - nack.deliveryTime < minidle) continue;
    count--;
    out.push([formatId(id), nack.consumer.name, Math.max(0, ctx.now - nack.deliveryTime), nack.deliveryCount]);
  }
  return out;
}

/** Moves a pending entry to `consumer` (Redis's claim step shared by XCLAIM and XAUTOCLAIM). */
function claimTo(nack: Nack, id: IdKey, consumer: Consumer): void {
  if (nack.consumer !== consumer) {
    nack.consumer.pel.delete(id);
    nack.consumer = consumer;
    consumer.pel.set(id, nack);
  }
}

/* XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] */
function xclaim(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const { s, group } = lookupGroup(ctx, key, argv[2] as Bytes);
  let minidle = int64Or(argv[4] as Bytes, "Invalid min-idle-time argument for XCLAIM");
  if (minidle < 0) minidle = 0;
  const ids: IdKey[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    try {
      ids.push(parseId(argv[j] as Bytes, 0n, true).id);
    } catch {
      break;
    }
  }
  const now = ctx.now;
  let retrycount = -1;
  let deliverytime = -1;
  let force = false;
  let justid = false;
  let lastId = ID_MIN;
  for (; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = (argv[j] as Bytes).toUpperCase();
    if (opt === "FORCE") {
      force = true;
    } else if (opt === "JUSTID") {
      justid = true;
    } else if (opt === "IDLE" && moreargs > 0) {
      j++;
      deliverytime = now - int64Or(argv[j] as Bytes, "Invalid IDLE option argument for XCLAIM");
    } else if (opt === "TIME" && moreargs > 0) {
      j++;
      deliverytime = int64Or(argv[j] as Bytes, "Invalid TIME option argument for XCLAIM");
    } else if (opt === "RETRYCOUNT" && moreargs > 0) {
      j++;
      retrycount = int64Or(argv[j] as Bytes, "Invalid RETRYCOUNT option argument for XCLAIM");
    } else if (opt === "LASTID" && moreargs > 0) {
      j++;
      lastId = parseId(argv[j] as Bytes, 0n, true).id;
    } else {
      throw genericError(`Unrecognized XCLAIM option '${echoInput(argv[j] as Bytes)}'`);
    }
  }
  let changed = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    changed = true;
  }
  if (deliverytime !== -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else {
    deliverytime = now;
  }
  checkReplyLength(ctx.limits, ids.length * 3);
  let consumer: Consumer | undefined;
  const out: Reply[] = [];
  for (const id of ids) {
    let nack = group.pel.get(id);
    const entry = s.get(id);
    if (entry === undefined) {
      if (nack !== undefined) {
        dropNack(group, id, nack);
        changed = true;
      }
      continue;
    }
    let forced = false;
    if (force && nack === undefined) {
      forced = true;
      // A NACK owned by nobody yet (Redis creates it with a NULL consumer): no idle check.
      nack = { deliveryTime: now, deliveryCount: 1, consumer: undefined as unknown as Consumer };
      group.pel.set(id, nack);
    }
    if (nack === undefined) continue;
    if (!forced && minidle && now - nack.deliveryTime < minidle) continue;
    consumer ??= lookupOrCreateConsumer(ctx, key, group, argv[3] as Bytes);
    if (forced) {
      nack.consumer = consumer;
      consumer.pel.set(id, nack);
    } else {
      claimTo(nack, id, consumer);
    }
    nack.deliveryTime = deliverytime;
    if (retrycount >= 0) nack.deliveryCount = retrycount;
    else if (!justid) nack.deliveryCount++;
    out.push(justid ? formatId(id) : entryReply(entry));
    changed = true;
  }
  if (changed || consumer !== undefined) ctx.db.touch(key);
  return out;
}

/* XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  let minidle = int64Or(argv[4] as Bytes, "Invalid min-idle-time argument for XAUTOCLAIM");
  if (minidle < 0) minidle = 0;
  const s0 = parseRangeId(argv[5] as Bytes, 0n);
  let start = s0.id;
  if (s0.exclusive) {
    const next = idIncr(start);
    if (next === undefined) throw genericError("invalid start ID for the interval");
    start = next;
  }
  let count = 100;
  let justid = false;
  // LONG_MAX / max(sizeof(streamID), attempts factor 10) = LONG_MAX / 16.
  const maxCount = 576460752303423487n;
  for (let j = 6; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = (argv[j] as Bytes).toUpperCase();
    if (opt === "COUNT" && moreargs > 0) {
      let n: bigint;
      try {
        n = BigInt(parseInt64(argv[j + 1] as Bytes));
      } catch {
        throw genericError("COUNT must be > 0");
      }
      if (n < 1n || n > maxCount) throw genericError("COUNT must be > 0");
      count = Number(n);
      j++;
    } else if (opt === "JUSTID") {
      justid = true;
    } else {
      throw syntaxError();
    }
  }
  const { s, group } = lookupGroup(ctx, key, argv[2] as Bytes);
  checkReplyLength(ctx.limits, Math.min(count, group.pel.size) * 3);
  let attempts = count * 10;
  const now = ctx.now;
  let consumer: Consumer | undefined;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  const it = group.pel.from(start);
  let endId: IdKey = ID_MIN;
  let changed = false;
  for (;;) {
    if (attempts-- === 0 || count === 0) {
      const next = it.next();
      endId = next.done ? ID_MIN : next.value[0];
      break;
    }
    const step = it.next();
    if (step.done) break;
    const [id, nack] = step.value;
    const entry = s.get(id);
    if (entry === undefined) {
      dropNack(group, id, nack);
      deleted.push(formatId(id));
      count--;
      changed = true;
      continue;
    }
    if (minidle && now - nack.deliveryTime < minidle) continue;
    consumer ??= lookupOrCreateConsumer(ctx, key, group, argv[3] as Bytes);
    claimTo(nack, id, consumer);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    claimed.push(justid ? formatId(id) : entryReply(entry));
    count--;
    changed = true;
  }
  if (changed || consumer !== undefined) ctx.db.touch(key);
  return [formatId(endId), claimed, deleted];
}

const STREAM_KEY = { firstKey: 1, lastKey: 1, step: 1, group: "stream" } as const;

/** The consumer-group commands. */
export const streamGroupCommands: CommandSpec[] = [
  {
    name: "XGROUP",
    arity: -2,
    flags: ["write"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "stream",
    complexity:
      "CREATE O(1); SETID O(1); DESTROY O(N) where N is the number of entries in the group's pending entries list (PEL); CREATECONSUMER O(1); DELCONSUMER O(N) where N is the number of pending messages of the consumer.",
    summary: "A container for consumer groups commands",
    syntax:
      "XGROUP CREATE key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read] | XGROUP SETID key group <id | $> [ENTRIESREAD entries-read] | XGROUP DESTROY key group | XGROUP CREATECONSUMER key group consumer | XGROUP DELCONSUMER key group consumer | XGROUP HELP",
    handler: xgroup,
  },
  {
    name: "XACK",
    arity: -4,
    flags: ["write", "fast"],
    ...STREAM_KEY,
    complexity: "O(1) for each message ID processed.",
    summary:
      "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
    syntax: "XACK key group id [id ...]",
    handler: xack,
  },
  {
    name: "XPENDING",
    arity: -3,
    flags: ["readonly"],
    ...STREAM_KEY,
    complexity:
      "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
    summary:
      "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
    syntax: "XPENDING key group [[IDLE min-idle-time] start end count [consumer]]",
    handler: xpending,
  },
  {
    name: "XCLAIM",
    arity: -6,
    flags: ["write", "fast"],
    ...STREAM_KEY,
    complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
    summary:
      "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
    syntax:
      "XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
    handler: xclaim,
  },
  {
    name: "XAUTOCLAIM",
    arity: -6,
    flags: ["write", "fast"],
    ...STREAM_KEY,
    complexity: "O(1) if COUNT is small.",
    summary:
      "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
    syntax: "XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]",
    handler: xautoclaim,
  },
];
