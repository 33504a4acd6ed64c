import { type BlockingSpec, parseBlockTimeout } from "./blocking.js";
import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import type { ListValue } from "./list-deque.js";
import type { Reply } from "./reply.js";
import { afterRemoval, lookupList, move, numkeysKeys, parseEnd, parseMpop, popRangeWithKey } from "./t-list.js";
import { typeOf } from "./value.js";

/**
 * The blocking list commands (Redis 7.0's `t_list.c` and `blocked.c`): BLPOP, BRPOP, BLMPOP,
 * BLMOVE and BRPOPLPUSH. Each handler is the non-blocking form — it validates the arguments in
 * Redis's order, serves from the first non-empty key, and replies nil when it would block (what
 * the command does inside MULTI); `blocking` says what a caller allowed to wait waits on and how
 * it is served from the key a write made ready (blocking.ts).
 */

/** The list at `key` when it can serve a blocked caller (Redis 7.0 leaves other types waiting). */
function servableList(ctx: CommandContext, key: Bytes): ListValue | undefined {
  const value = ctx.db.lookup(key);
  if (value === undefined || typeOf(value) !== "list") return undefined;
  return value as ListValue;
}

/** Pops one element of `list` at `key`: `[key, element]` (BLPOP's reply). */
function popOneWithKey(ctx: CommandContext, key: Bytes, list: ListValue, head: boolean): Reply {
  const element = (head ? list.popHead() : list.popTail()) as Bytes;
  afterRemoval(ctx, key, list, head ? "lpop" : "rpop");
  return [key, element];
}

/* BLPOP/BRPOP key [key ...] timeout */
function bpop(ctx: CommandContext, argv: readonly Bytes[], head: boolean): Reply {
  parseBlockTimeout(argv[argv.length - 1] as Bytes, ctx.now); // the timeout is checked first
  for (let i = 1; i < argv.length - 1; i++) {
    const key = argv[i] as Bytes;
    const list = lookupList(ctx, key);
    if (list !== undefined) return popOneWithKey(ctx, key, list, head);
  }
  return null;
}

function bpopBlocking(head: boolean): BlockingSpec {
  return {
    wait: (argv, now) => ({
      keys: argv.slice(1, -1),
      deadline: parseBlockTimeout(argv[argv.length - 1] as Bytes, now),
    }),
    serveKeys: (key) => [key],
    serve(ctx, key) {
      const list = servableList(ctx, key);
      return list === undefined ? undefined : popOneWithKey(ctx, key, list, head);
    },
  };
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function blmpop(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const { first, end, head, count } = parseMpop(argv, 2, parseEnd); // before the timeout, as Redis
  parseBlockTimeout(argv[1] as Bytes, ctx.now);
  for (let i = first; i < end; i++) {
    const key = argv[i] as Bytes;
    const list = lookupList(ctx, key);
    if (list !== undefined) return popRangeWithKey(ctx, key, list, head, count);
  }
  return null;
}

const BLMPOP_BLOCKING: BlockingSpec = {
  wait(argv, now) {
    const { first, end } = parseMpop(argv, 2, parseEnd);
    return { keys: argv.slice(first, end), deadline: parseBlockTimeout(argv[1] as Bytes, now) };
  },
  serveKeys: (key) => [key],
  serve(ctx, key, argv) {
    const list = servableList(ctx, key);
    if (list === undefined) return undefined;
    const { head, count } = parseMpop(argv, 2, parseEnd);
    return popRangeWithKey(ctx, key, list, head, count);
  },
};

/** Where BLMOVE / BRPOPLPUSH pop from, push to, and their timeout argument. */
interface MoveArgs {
  readonly fromHead: boolean;
  readonly toHead: boolean;
  readonly timeout: Bytes;
}

function blmoveArgs(argv: readonly Bytes[]): MoveArgs {
  // blmoveCommand: both ends, then the timeout.
  return { fromHead: parseEnd(argv[3] as Bytes), toHead: parseEnd(argv[4] as Bytes), timeout: argv[5] as Bytes };
}

function brpoplpushArgs(argv: readonly Bytes[]): MoveArgs {
  return { fromHead: false, toHead: true, timeout: argv[3] as Bytes };
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
 * BRPOPLPUSH source destination timeout */
function bmove(ctx: CommandContext, argv: readonly Bytes[], parse: (argv: readonly Bytes[]) => MoveArgs): Reply {
  const { fromHead, toHead, timeout } = parse(argv);
  parseBlockTimeout(timeout, ctx.now);
  // blmoveGenericCommand: the source's type; an empty source blocks without looking at the destination.
  if (lookupList(ctx, argv[1] as Bytes) === undefined) return null;
  return move(ctx, argv[1] as Bytes, argv[2] as Bytes, fromHead, toHead);
}

function bmoveBlocking(parse: (argv: readonly Bytes[]) => MoveArgs): BlockingSpec {
  return {
    wait: (argv, now) => ({ keys: [argv[1] as Bytes], deadline: parseBlockTimeout(parse(argv).timeout, now) }),
    serveKeys: (key, argv) => [key, argv[2] as Bytes],
    serve(ctx, key, argv) {
      if (servableList(ctx, key) === undefined) return undefined;
      const { fromHead, toHead } = parse(argv);
      // A destination of another type ends this caller with WRONGTYPE, nothing moved (Redis
      // pushes the popped element back; here the type is checked before the pop).
      return move(ctx, key, argv[2] as Bytes, fromHead, toHead);
    },
  };
}

const BLOCKING_FLAGS = ["write", "blocking"] as const;

/** The blocking list commands, as command table entries. */
export const blockingListCommands: CommandSpec[] = [
  {
    name: "BLPOP",
    arity: -3,
    flags: [...BLOCKING_FLAGS],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: "list",
    complexity: "O(N) where N is the number of provided keys.",
    summary: "Remove and get the first element in a list, or block until one is available",
    syntax: "BLPOP key [key ...] timeout",
    handler: (ctx, argv) => bpop(ctx, argv, true),
    blocking: bpopBlocking(true),
  },
  {
    name: "BRPOP",
    arity: -3,
    flags: [...BLOCKING_FLAGS],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: "list",
    complexity: "O(N) where N is the number of provided keys.",
    summary: "Remove and get the last element in a list, or block until one is available",
    syntax: "BRPOP key [key ...] timeout",
    handler: (ctx, argv) => bpop(ctx, argv, false),
    blocking: bpopBlocking(false),
  },
  {
    name: "BLMPOP",
    arity: -5,
    flags: [...BLOCKING_FLAGS],
    // The first key is at 3; how many follow is numkeys's to say, so `keys` is authoritative.
    firstKey: 3,
    lastKey: 3,
    step: 1,
    keys: (argv) => numkeysKeys(argv, 2),
    group: "list",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    summary: "Pop elements from a list, or block until one is available",
    syntax: "BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]",
    handler: blmpop,
    blocking: BLMPOP_BLOCKING,
  },
  {
    name: "BLMOVE",
    arity: 6,
    flags: ["write", "denyoom", "blocking"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "list",
    complexity: "O(1)",
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    syntax: "BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout",
    handler: (ctx, argv) => bmove(ctx, argv, blmoveArgs),
    blocking: bmoveBlocking(blmoveArgs),
  },
  {
    name: "BRPOPLPUSH",
    arity: 4,
    flags: ["write", "denyoom", "blocking"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "list",
    complexity: "O(1)",
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    syntax: "BRPOPLPUSH source destination timeout",
    handler: (ctx, argv) => bmove(ctx, argv, brpoplpushArgs),
    blocking: bmoveBlocking(brpoplpushArgs),
  },
];
