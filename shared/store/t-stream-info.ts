import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { echoInput, genericError, StoreError, wrongArity } from "./errors.js";
import { parseInt64 } from "./parse.js";
import type { Reply } from "./reply.js";
import { checkReplyLength } from "./reply-limit.js";
import { type ConsumerGroup, INVALID_ENTRIES_READ } from "./stream-group.js";
import { formatId, ID_MAX, ID_MIN } from "./stream-id.js";
import type { StreamValue } from "./stream-value.js";
import { helpReply, unknownSubcommand } from "./subcommands.js";
import { entryReply, lookupStream } from "./t-stream.js";
import { estimateDistance, rangeHasTombstones } from "./t-stream-read.js";

/**
 * XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS (Redis's `xinfoCommand`). Replies are RESP2
 * flat field/value arrays (the RESP3 port reshapes them into maps, as Redis does).
 * `radix-tree-keys` and `radix-tree-nodes` report our blocks (see stream-value.ts): the number of
 * blocks for both — they match Redis's node count (same split rule), not its rax's inner nodes.
 */

/** Redis's `streamReplyWithCGLag`: the group's lag, or null when it cannot be known. */
function lagOf(s: StreamValue, g: ConsumerGroup): Reply {
  if (!s.entriesAdded) return 0;
  if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, g.lastId)) return s.entriesAdded - g.entriesRead;
  const read = estimateDistance(s, g.lastId);
  return read !== INVALID_ENTRIES_READ ? s.entriesAdded - read : null;
}

const entriesRead = (g: ConsumerGroup): Reply => (g.entriesRead !== INVALID_ENTRIES_READ ? g.entriesRead : null);

function sortedGroups(s: StreamValue): ConsumerGroup[] {
  if (s.groups === null) return [];
  return [...s.groups.keys()].sort().map((n) => s.groups?.get(n) as ConsumerGroup);
}

const XINFO_HELP: readonly string[] = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

const XINFO_ARITY: Readonly<Record<string, number>> = { CONSUMERS: 4, GROUPS: 3, STREAM: -3, HELP: 2 };

function subcommandSyntax(argv: readonly Bytes[]): StoreError {
  return genericError(
    `unknown subcommand or wrong number of arguments for '${echoInput(argv[1] as Bytes)}'. Try XINFO HELP.`,
  );
}

function streamInfo(ctx: CommandContext, s: StreamValue, argv: readonly Bytes[]): Reply {
  const opts = argv.slice(3);
  let full = false;
  let count = 10;
  if (opts.length > 0) {
    if (opts.length !== 1 && opts.length !== 3) throw subcommandSyntax(argv);
    if ((opts[0] as Bytes).toUpperCase() !== "FULL") throw subcommandSyntax(argv);
    full = true;
    if (opts.length === 3) {
      if ((opts[1] as Bytes).toUpperCase() !== "COUNT") throw subcommandSyntax(argv);
      const n = Number(parseInt64(opts[2] as Bytes));
      count = n < 0 ? 10 : n;
    }
  }
  const out: Reply[] = [
    "length",
    s.length,
    "radix-tree-keys",
    s.blockCount,
    "radix-tree-nodes",
    s.blockCount,
    "last-generated-id",
    formatId(s.lastId),
    "max-deleted-entry-id",
    formatId(s.maxDeletedId),
    "entries-added",
    s.entriesAdded,
    "recorded-first-entry-id",
    formatId(s.firstId),
  ];
  if (!full) {
    const first = s.edgeEntry(false);
    const last = s.edgeEntry(true);
    out.push(
      "groups",
      s.groups?.size ?? 0,
      "first-entry",
      first ? entryReply(first) : null,
      "last-entry",
      last ? entryReply(last) : null,
    );
    return out;
  }
  const limit = count === 0 ? 0 : count;
  checkReplyLength(ctx.limits, limit === 0 ? s.length * 3 : Math.min(limit, s.length) * 3);
  const groups: Reply[] = [];
  for (const g of sortedGroups(s)) {
    const pending: Reply[] = [];
    for (const [id, nack] of g.pel.entries()) {
      if (limit && pending.length >= limit) break;
      pending.push([formatId(id), nack.consumer.name, nack.deliveryTime, nack.deliveryCount]);
    }
    const consumers: Reply[] = [];
    for (const c of g.sortedConsumers()) {
      const cpel: Reply[] = [];
      for (const [id, nack] of c.pel.entries()) {
        if (limit && cpel.length >= limit) break;
        cpel.push([formatId(id), nack.deliveryTime, nack.deliveryCount]);
      }
      consumers.push(["name", c.name, "seen-time", c.seenTime, "pel-count", c.pel.size, "pending", cpel]);
    }
    groups.push([
      "name",
      g.name,
      "last-delivered-id",
      formatId(g.lastId),
      "entries-read",
      entriesRead(g),
      "lag",
      lagOf(s, g),
      "pel-count",
      g.pel.size,
      "pending",
      pending,
      "consumers",
      consumers,
    ]);
  }
  out.push("entries", s.range(ID_MIN, ID_MAX, limit, false).map(entryReply), "groups", groups);
  return out;
}

/* XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT count]] | HELP */
function xinfo(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const sub = (argv[1] as Bytes).toUpperCase();
  const arity = XINFO_ARITY[sub];
  if (arity === undefined) throw unknownSubcommand(argv[1] as Bytes, "XINFO");
  if ((arity > 0 && argv.length !== arity) || (arity < 0 && argv.length < -arity)) {
    throw wrongArity(`xinfo|${sub.toLowerCase()}`);
  }
  if (sub === "HELP") return helpReply(XINFO_HELP);
  const key = argv[2] as Bytes;
  const s = lookupStream(ctx, key);
  if (s === undefined) throw new StoreError("NO_SUCH_KEY");
  if (sub === "CONSUMERS") {
    const g = s.groups?.get(argv[3] as Bytes);
    if (g === undefined) {
      throw new StoreError(
        "NOGROUP",
        `NOGROUP No such consumer group '${echoInput(argv[3] as Bytes)}' for key name '${echoInput(key)}'`,
      );
    }
    return g
      .sortedConsumers()
      .map((c) => ["name", c.name, "pending", c.pel.size, "idle", Math.max(0, ctx.now - c.seenTime)]);
  }
  if (sub === "GROUPS") {
    return sortedGroups(s).map((g) => [
      "name",
      g.name,
      "consumers",
      g.consumers.size,
      "pending",
      g.pel.size,
      "last-delivered-id",
      formatId(g.lastId),
      "entries-read",
      entriesRead(g),
      "lag",
      lagOf(s, g),
    ]);
  }
  return streamInfo(ctx, s, argv);
}

/** XINFO. */
export const streamInfoCommands: CommandSpec[] = [
  {
    name: "XINFO",
    arity: -2,
    flags: ["readonly"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "stream",
    complexity:
      "STREAM O(1) (FULL: O(N) with N the number of entries, groups and pending entries returned); GROUPS O(M) with M the number of groups; CONSUMERS O(1) per consumer.",
    summary: "A container for stream introspection commands",
    syntax: "XINFO CONSUMERS key group | XINFO GROUPS key | XINFO STREAM key [FULL [COUNT count]] | XINFO HELP",
    handler: xinfo,
  },
];
