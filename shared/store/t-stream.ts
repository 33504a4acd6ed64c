import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, oneKey } from "./command.js";
import { genericError, StoreError, syntaxError, wrongArity, wrongType } from "./errors.js";
import { parseInt64 } from "./parse.js";
import { OK, type Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import {
  formatId,
  ID_MAX,
  ID_MIN,
  type IdKey,
  idDecr,
  idFromNumbers,
  idIncr,
  idMs,
  parseId,
  parseRangeId,
  sameMs,
  seqIsMax,
  U64_MAX,
} from "./stream-id.js";
import { type StreamEntry, StreamValue, type TrimArgs } from "./stream-value.js";

/**
 * The stream commands without consumer groups (Redis's t_stream.c): XADD, XRANGE, XREVRANGE,
 * XLEN, XDEL, XTRIM, XSETID. The type is {@link StreamValue}; errors and reply shapes are Redis
 * 7.0's. Unlike the other containers, a stream that becomes empty stays (as in Redis).
 */

/** The stream at `key`, or undefined; WRONGTYPE for another type. */
export function lookupStream(ctx: CommandContext, key: Bytes): StreamValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined) return undefined;
  if (!(value instanceof StreamValue)) throw wrongType();
  return value;
}

/** Replies one entry: `[id, [field, value, …]]`. */
export function entryReply(e: StreamEntry): Reply {
  return [formatId(e.id), e.fields];
}

/** Largest total of field and value bytes in one entry (Redis's `STREAM_LISTPACK_MAX_SIZE`). */
const LISTPACK_MAX_SIZE = 1 << 30;

/** An integer argument as a number (int64 past 2^53 kept approximately: only compared to lengths). */
function int64Arg(arg: Bytes): number {
  return Number(parseInt64(arg));
}

/** Parsed XADD/XTRIM options. */
interface AddTrimArgs {
  trim: TrimArgs | null;
  /** XADD: the ID argument's position. */
  idPos: number;
  id: IdKey | null;
  seqGiven: boolean;
  noMkStream: boolean;
}

/** Redis's `streamParseAddOrTrimArgsOrReply`. */
function parseAddOrTrim(argv: readonly Bytes[], xadd: boolean): AddTrimArgs {
  let strategy: "maxlen" | "minid" | null = null;
  let approx = false;
  let maxlen = 0;
  let minid = ID_MIN;
  let limit = 0;
  let limitGiven = false;
  let id: IdKey | null = null;
  let seqGiven = true;
  let noMkStream = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const moreargs = argv.length - 1 - i;
    const opt = argv[i] as Bytes;
    const upper = opt.toUpperCase();
    if (xadd && opt === "*") break;
    if ((upper === "MAXLEN" || upper === "MINID") && moreargs > 0) {
      if (strategy !== null) {
        throw genericError("syntax error, MAXLEN and MINID options at the same time are not compatible");
      }
      approx = false;
      const next = argv[i + 1] as Bytes;
      if (moreargs >= 2 && next === "~") {
        approx = true;
        i++;
      } else if (moreargs >= 2 && next === "=") {
        i++;
      }
      if (upper === "MAXLEN") {
        maxlen = int64Arg(argv[i + 1] as Bytes);
        if (maxlen < 0) throw genericError("The MAXLEN argument must be >= 0.");
      } else {
        minid = parseId(argv[i + 1] as Bytes, 0n, true).id;
      }
      i++;
      strategy = upper === "MAXLEN" ? "maxlen" : "minid";
    } else if (upper === "LIMIT" && moreargs > 0) {
      limit = int64Arg(argv[i + 1] as Bytes);
      if (limit < 0) throw genericError("The LIMIT argument must be >= 0.");
      limitGiven = true;
      i++;
    } else if (xadd && upper === "NOMKSTREAM") {
      noMkStream = true;
    } else if (xadd) {
      const parsed = parseId(opt, 0n, true, true);
      id = parsed.id;
      seqGiven = parsed.seqGiven;
      break;
    } else {
      throw syntaxError();
    }
  }
  if (limit && strategy === null) {
    throw genericError("syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!xadd && strategy === null) throw genericError("syntax error, XTRIM must be called with a trimming strategy");
  if (limitGiven) {
    if (!approx) throw genericError("syntax error, LIMIT cannot be used without the special ~ option");
  } else {
    // Redis bounds approximate trimming to 100 nodes' worth unless told otherwise.
    limit = approx ? 10_000 : 0;
  }
  return {
    trim: strategy === null ? null : { strategy, maxlen, minid, approx, limit },
    idPos: i,
    id,
    seqGiven,
    noMkStream,
  };
}

/** The ID XADD gives a new entry, or an error (Redis's `streamAppendItem` checks). */
function nextId(s: StreamValue, args: AddTrimArgs, now: number): IdKey {
  let id: IdKey;
  const last = s.lastId;
  if (args.id !== null) {
    if (args.seqGiven) {
      id = args.id;
    } else if (sameMs(last, args.id)) {
      if (seqIsMax(last)) throw tooSmall();
      id = idIncr(last) as IdKey;
    } else {
      id = args.id;
    }
  } else {
    const lastMs = idMs(last);
    id = now > lastMs ? idFromNumbers(now, 0) : (idIncr(last) ?? ID_MIN);
  }
  if (id <= last) throw tooSmall();
  return id;
}

const tooSmall = (): StoreError =>
  genericError("The ID specified in XADD is equal or smaller than the target stream top item");

/* XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...] */
function xadd(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const args = parseAddOrTrim(argv, true);
  const fieldPos = args.idPos + 1;
  if (argv.length - fieldPos < 2 || (argv.length - fieldPos) % 2 === 1) throw wrongArity("xadd");
  if (args.id !== null && args.seqGiven && args.id === ID_MIN) {
    throw genericError("The ID specified in XADD must be greater than 0-0");
  }
  let s = lookupStream(ctx, key);
  if (s === undefined && args.noMkStream) return null;
  if (s !== undefined && s.lastId === ID_MAX) {
    throw genericError("The stream has exhausted the last possible ID, unable to add more items");
  }
  const id = nextId(s ?? new StreamValue(), args, ctx.now);
  const fieldValues = argv.slice(fieldPos);
  let total = 0;
  for (const e of fieldValues) total += e.length;
  if (total > LISTPACK_MAX_SIZE) throw genericError("Elements are too large to be stored");
  if (s === undefined) {
    s = new StreamValue();
    ctx.db.put(key, s);
  }
  s.append(id, fieldValues);
  ctx.db.touch(key);
  ctx.notify("stream", "xadd", key);
  if (args.trim !== null && s.trim(args.trim) > 0) ctx.notify("stream", "xtrim", key);
  return formatId(id);
}

/** XRANGE / XREVRANGE. */
function xrangeGeneric(ctx: CommandContext, argv: readonly Bytes[], rev: boolean): Reply {
  const startArg = (rev ? argv[3] : argv[2]) as Bytes;
  const endArg = (rev ? argv[2] : argv[3]) as Bytes;
  const startBound = parseRangeId(startArg, 0n);
  let start = startBound.id;
  if (startBound.exclusive) {
    const next = idIncr(start);
    if (next === undefined) throw genericError("invalid start ID for the interval");
    start = next;
  }
  const endBound = parseRangeId(endArg, U64_MAX);
  let end = endBound.id;
  if (endBound.exclusive) {
    const prev = idDecr(end);
    if (prev === undefined) throw genericError("invalid end ID for the interval");
    end = prev;
  }
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if ((argv[j] as Bytes).toUpperCase() === "COUNT" && argv.length - j - 1 >= 1) {
      count = int64Arg(argv[j + 1] as Bytes);
      if (count < 0) count = 0;
      j++;
    } else {
      throw syntaxError();
    }
  }
  const s = lookupStream(ctx, argv[1] as Bytes);
  if (s === undefined) return [];
  if (count === 0) return null;
  checkRangeSize(ctx, s, start, end, rev, count);
  return s.range(start, end, count === -1 ? 0 : count, rev).map(entryReply);
}

/**
 * LIMIT before building a range reply that could not be sent: each entry is at least 3 reply
 * elements (the pair, its ID, its field array), so count entries up to the cap without decoding.
 */
export function checkRangeSize(
  ctx: CommandContext,
  s: StreamValue,
  start: IdKey,
  end: IdKey,
  rev: boolean,
  count: number,
): void {
  const most = Math.floor(ctx.limits.maxReplyElements / 3) + 1;
  if (Math.min(s.length, count > 0 ? count : s.length) < most) return;
  let n = 0;
  s.walk(start, end, rev, () => ++n < most && (count <= 0 || n < count));
  checkReplyLength(ctx.limits, n * 3);
}

/* XLEN key */
function xlen(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  return lookupStream(ctx, argv[1] as Bytes)?.length ?? 0;
}

/* XDEL key id [id ...] */
function xdel(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const s = lookupStream(ctx, key);
  if (s === undefined) return 0;
  const ids: IdKey[] = [];
  for (let j = 2; j < argv.length; j++) ids.push(parseId(argv[j] as Bytes, 0n, true).id);
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (s.delete(id)) {
      if (id === s.firstId) firstEntry = true;
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = ID_MIN;
    else if (firstEntry) s.refreshFirstId();
    ctx.db.touch(key);
    ctx.notify("stream", "xdel", key);
  }
  return deleted;
}

/* XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
function xtrim(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const args = parseAddOrTrim(argv, false);
  const s = lookupStream(ctx, key);
  if (s === undefined) return 0;
  const deleted = s.trim(args.trim as TrimArgs);
  if (deleted > 0) {
    ctx.db.touch(key);
    ctx.notify("stream", "xtrim", key);
  }
  return deleted;
}

/* XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const key = argv[1] as Bytes;
  const id = parseId(argv[2] as Bytes, 0n, true).id;
  let entriesAdded = -1;
  let maxDeleted = ID_MIN;
  for (let i = 3; i < argv.length; ) {
    const moreargs = argv.length - 1 - i;
    const opt = (argv[i] as Bytes).toUpperCase();
    if (opt === "ENTRIESADDED" && moreargs > 0) {
      entriesAdded = int64Arg(argv[i + 1] as Bytes);
      if (entriesAdded < 0) throw genericError("entries_added must be positive");
      i += 2;
    } else if (opt === "MAXDELETEDID" && moreargs > 0) {
      maxDeleted = parseId(argv[i + 1] as Bytes, 0n, true).id;
      if (id < maxDeleted) {
        throw genericError("The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
      i += 2;
    } else {
      throw syntaxError();
    }
  }
  const s = lookupStream(ctx, key);
  if (s === undefined) throw new StoreError("NO_SUCH_KEY");
  if (s.length > 0) {
    const top = s.edgeEntry(true)?.id ?? ID_MIN;
    if (id < top) throw genericError("The ID specified in XSETID is smaller than the target stream top item");
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      throw genericError("The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDeleted !== ID_MIN) s.maxDeletedId = maxDeleted;
  ctx.db.touch(key);
  ctx.notify("stream", "xsetid", key);
  return OK;
}

const STREAM = oneKey("stream");

/** The stream commands without consumer groups. */
export const streamCommands: CommandSpec[] = [
  {
    name: "XADD",
    arity: -5,
    flags: ["write", "denyoom", "fast"],
    ...STREAM,
    complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
    summary: "Appends a new entry to a stream",
    syntax:
      "XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]",
    handler: xadd,
  },
  {
    name: "XRANGE",
    arity: -4,
    flags: ["readonly"],
    ...STREAM,
    complexity:
      "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
    syntax: "XRANGE key start end [COUNT count]",
    handler: (ctx, argv) => xrangeGeneric(ctx, argv, false),
  },
  {
    name: "XREVRANGE",
    arity: -4,
    flags: ["readonly"],
    ...STREAM,
    complexity:
      "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    summary:
      "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
    syntax: "XREVRANGE key end start [COUNT count]",
    handler: (ctx, argv) => xrangeGeneric(ctx, argv, true),
  },
  {
    name: "XLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    ...STREAM,
    complexity: "O(1)",
    summary: "Return the number of entries in a stream",
    syntax: "XLEN key",
    handler: xlen,
  },
  {
    name: "XDEL",
    arity: -3,
    flags: ["write", "fast"],
    ...STREAM,
    complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
    summary:
      "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
    syntax: "XDEL key id [id ...]",
    handler: xdel,
  },
  {
    name: "XTRIM",
    arity: -4,
    flags: ["write"],
    ...STREAM,
    complexity:
      "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
    summary: "Trims the stream to (approximately if '~' is passed) a certain size",
    syntax: "XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]",
    handler: xtrim,
  },
  {
    name: "XSETID",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    ...STREAM,
    complexity: "O(1)",
    summary: "An internal command for replicating stream values",
    syntax: "XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]",
    handler: xsetid,
  },
];
