import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandInfo, type CommandSpec, commandKeys, noKeys } from "./command.js";
import { findRegisteredCommand, registeredCommands } from "./command-registry.js";
import { genericError, syntaxError, wrongArity } from "./errors.js";
import { compileGlob } from "./glob.js";
import { memoryUsage } from "./object-info.js";
import { parseInt64 } from "./parse.js";
import { type Reply, Status } from "./reply.js";
import { helpReply, unknownSubcommand } from "./subcommands.js";

/*
 * The server commands: PING, ECHO, TIME, COMMAND (the command table as data, introspected) and
 * MEMORY USAGE.
 */

// ---------------------------------------------------------------------------------------------
// The command table, introspected (COMMAND)
// ---------------------------------------------------------------------------------------------

const GROUP_CATEGORY: Record<CommandInfo["group"], string | undefined> = {
  generic: "@keyspace",
  string: "@string",
  list: "@list",
  hash: "@hash",
  set: "@set",
  "sorted-set": "@sortedset",
  stream: "@stream",
  transactions: "@transaction",
  server: undefined,
  bitmap: "@bitmap",
  hyperloglog: "@hyperloglog",
  geo: "@geo",
};

/** ACL-style categories derived from a command's flags and group (as Redis assigns them). */
export function commandCategories(info: CommandInfo): string[] {
  const out: string[] = [];
  if (info.flags.includes("write")) out.push("@write");
  if (info.flags.includes("readonly")) out.push("@read");
  const group = GROUP_CATEGORY[info.group];
  if (group !== undefined) out.push(group);
  else if (info.flags.includes("keyspace")) out.push("@keyspace");
  out.push(info.flags.includes("fast") ? "@fast" : "@slow");
  if (info.flags.includes("admin")) out.push("@admin", "@dangerous");
  if (info.flags.includes("blocking")) out.push("@blocking");
  return out;
}

/** A RESP2 map: a flat array of alternating names and values. */
function flatMap(entries: readonly [string, Reply][]): Reply[] {
  const out: Reply[] = [];
  for (const [k, v] of entries) out.push(k, v);
  return out;
}

/** The key specs of COMMAND INFO, derived from firstKey/lastKey/step. */
function keySpecs(spec: CommandSpec): Reply[] {
  if (spec.firstKey === 0 && spec.keys === undefined) return [];
  const access = spec.flags.includes("write") ? "RW" : "RO";
  const findKeys: Reply[] =
    spec.keys === undefined
      ? flatMap([
          ["type", "range"],
          [
            "spec",
            flatMap([
              // Redis's range spec counts lastkey from the first key when it is not negative.
              ["lastkey", spec.lastKey >= 0 ? spec.lastKey - spec.firstKey : spec.lastKey],
              ["keystep", spec.step],
              ["limit", 0],
            ]),
          ],
        ])
      : flatMap([
          ["type", "unknown"],
          ["spec", []],
        ]);
  return [
    flatMap([
      ["flags", [new Status(access)]],
      [
        "begin_search",
        flatMap([
          ["type", "index"],
          ["spec", flatMap([["index", spec.firstKey]])],
        ]),
      ],
      ["find_keys", findKeys],
    ]),
  ];
}

/** One COMMAND INFO entry: name, arity, flags, first key, last key, step, categories, tips, key specs, subcommands. */
function commandInfoReply(spec: CommandSpec | undefined): Reply {
  if (spec === undefined) return null;
  return [
    spec.name.toLowerCase(),
    spec.arity,
    spec.flags.map((f) => new Status(f)),
    spec.firstKey,
    spec.lastKey,
    spec.step,
    commandCategories(spec).map((c) => new Status(c)),
    [],
    keySpecs(spec),
    [],
  ];
}

/** One COMMAND DOCS entry (a RESP2 map). */
function commandDocsReply(spec: CommandSpec): Reply {
  return flatMap([
    ["summary", spec.summary],
    ["group", spec.group],
    ["complexity", spec.complexity],
    ["syntax", spec.syntax],
  ]);
}

const COMMAND_HELP: readonly string[] = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all commands.",
  "COUNT",
  "    Return the total number of commands in this store.",
  "LIST",
  "    Return a list of all commands in this store.",
  "INFO [<command-name> ...]",
  "    Return details about multiple commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full command.",
  "HELP",
  "    Prints this help.",
];

/* COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern] */
function commandList(argv: readonly Bytes[]): Reply {
  if (argv.length === 2) return registeredCommands().map((s) => s.name.toLowerCase());
  if (argv.length !== 5 || (argv[2] as Bytes).toUpperCase() !== "FILTERBY") throw syntaxError();
  const kind = (argv[3] as Bytes).toUpperCase();
  const arg = argv[4] as Bytes;
  let keep: (spec: CommandSpec) => boolean;
  if (kind === "MODULE")
    keep = () => false; // no modules here
  else if (kind === "ACLCAT") {
    const category = `@${arg.toLowerCase()}`;
    keep = (spec) => commandCategories(spec).includes(category);
  } else if (kind === "PATTERN") {
    // Redis matches the pattern case-insensitively against the lower-case name.
    const match = compileGlob(arg.toLowerCase());
    keep = (spec) => match(spec.name.toLowerCase());
  } else throw syntaxError();
  return registeredCommands()
    .filter(keep)
    .map((s) => s.name.toLowerCase());
}

/* COMMAND GETKEYS command [arg ...] */
function commandGetKeys(argv: readonly Bytes[]): Reply {
  const target = argv.slice(2);
  const spec = findRegisteredCommand(target[0] as Bytes);
  if (spec === undefined) throw genericError("Invalid command specified");
  if (spec.firstKey === 0 && spec.keys === undefined) throw genericError("The command has no key arguments");
  const n = target.length;
  if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) {
    throw genericError("Invalid number of arguments specified for command");
  }
  const keys = commandKeys(spec, target);
  if (keys.length === 0) throw genericError("Invalid arguments specified for command");
  return keys;
}

const COMMAND_SUBCOMMANDS: Record<string, number> = { COUNT: 2, LIST: -2, INFO: -2, DOCS: -2, GETKEYS: -4, HELP: 2 };

/* COMMAND [COUNT | LIST … | INFO [name …] | DOCS [name …] | GETKEYS command [arg …] | HELP] */
function commandCommand(_ctx: CommandContext, argv: readonly Bytes[]): Reply {
  if (argv.length === 1) return registeredCommands().map(commandInfoReply);
  const sub = (argv[1] as Bytes).toUpperCase();
  const arity = COMMAND_SUBCOMMANDS[sub];
  if (arity === undefined) throw unknownSubcommand(argv[1] as Bytes, "COMMAND");
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) throw wrongArity(`command|${sub.toLowerCase()}`);
  switch (sub) {
    case "COUNT":
      return registeredCommands().length;
    case "LIST":
      return commandList(argv);
    case "INFO":
      if (argv.length === 2) return registeredCommands().map(commandInfoReply);
      return argv.slice(2).map((name) => commandInfoReply(findRegisteredCommand(name)));
    case "DOCS": {
      const out: Reply[] = [];
      const specs = argv.length === 2 ? registeredCommands() : argv.slice(2).map(findRegisteredCommand);
      for (const spec of specs) {
        if (spec === undefined) continue; // unknown names are left out, as Redis does
        out.push(spec.name.toLowerCase(), commandDocsReply(spec));
      }
      return out;
    }
    case "GETKEYS":
      return commandGetKeys(argv);
    default:
      return helpReply(COMMAND_HELP);
  }
}

// ---------------------------------------------------------------------------------------------
// MEMORY
// ---------------------------------------------------------------------------------------------

const MEMORY_HELP: readonly string[] = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "USAGE <key> [SAMPLES <count>]",
  "    Return an estimate of the bytes used by <key>, its value and its TTL. The estimate",
  "    covers the whole value (SAMPLES is accepted and ignored).",
  "HELP",
  "    Prints this help.",
];

/* MEMORY USAGE key [SAMPLES count] | MEMORY HELP */
function memoryCommand(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  const sub = (argv[1] as Bytes).toUpperCase();
  if (sub === "HELP") {
    if (argv.length !== 2) throw wrongArity("memory|help");
    return helpReply(MEMORY_HELP);
  }
  if (sub !== "USAGE") throw unknownSubcommand(argv[1] as Bytes, "MEMORY");
  if (argv.length < 3) throw wrongArity("memory|usage");
  for (let i = 3; i < argv.length; i++) {
    if ((argv[i] as Bytes).toUpperCase() === "SAMPLES" && i + 1 < argv.length) {
      if (parseInt64(argv[++i] as Bytes) < 0) throw syntaxError();
    } else {
      throw syntaxError();
    }
  }
  const key = argv[2] as Bytes;
  const value = ctx.db.lookup(key);
  if (value === undefined) return null;
  return memoryUsage(key, value, ctx.db.expireAt(key) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// The command table
// ---------------------------------------------------------------------------------------------

/** The server commands. */
export const serverCommands: CommandSpec[] = [
  {
    name: "PING",
    arity: -1,
    flags: ["fast"],
    ...noKeys("server"),
    complexity: "O(1)",
    summary: "Ping the server",
    syntax: "PING [message]",
    /* PING [message] */
    handler: (_ctx, argv) => {
      if (argv.length > 2) throw wrongArity("ping");
      return argv.length === 2 ? (argv[1] as Bytes) : new Status("PONG");
    },
  },
  {
    name: "ECHO",
    arity: 2,
    flags: ["fast"],
    ...noKeys("server"),
    complexity: "O(1)",
    summary: "Echo the given string",
    syntax: "ECHO message",
    /* ECHO message */
    handler: (_ctx, argv) => argv[1] as Bytes,
  },
  {
    name: "TIME",
    arity: 1,
    flags: ["fast"],
    ...noKeys("server"),
    complexity: "O(1)",
    summary: "Return the current server time (the store's clock, millisecond resolution)",
    syntax: "TIME",
    /* TIME — [unix seconds, microseconds] as bulk strings */
    handler: (ctx) => {
      const seconds = Math.floor(ctx.now / 1000);
      return [String(seconds), String((ctx.now - seconds * 1000) * 1000)];
    },
  },
  {
    name: "COMMAND",
    arity: -1,
    flags: [],
    ...noKeys("server"),
    complexity: "O(N) where N is the total number of commands",
    summary: "Get array of command details (COUNT, LIST, INFO, DOCS, GETKEYS, HELP)",
    syntax:
      "COMMAND [COUNT | LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern] | INFO [command-name ...] | DOCS [command-name ...] | GETKEYS command [arg ...] | HELP]",
    handler: commandCommand,
  },
  {
    name: "MEMORY",
    arity: -2,
    flags: ["readonly"],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "server",
    complexity: "O(1) for strings, O(N) for containers, where N is the number of elements",
    summary: "Estimate the memory usage of a key",
    syntax: "MEMORY USAGE key [SAMPLES count] | MEMORY HELP",
    handler: memoryCommand,
  },
];
