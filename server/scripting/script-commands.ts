/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Redis's Lua scripting as commands of the store's
 * table, so every host that runs the table (the RESP port, `CommandService.Execute`, the CLI)
 * serves them. A script's `redis.call` runs a command of the same table in the same keyspace view
 * and turn — atomic, as in Redis — after the same checks as a command sent alone (arity, limits,
 * the caller's token and key patterns, MISCONF, maxmemory).
 *
 * Scripts run on the in-memory engine in place, and on an engine that stages writes (`--engine
 * etcd`) as one compare-and-swap transaction, re-run from the start when it conflicts or needs a key
 * it did not fetch: atomic fleet-wide. An engine that neither runs in one turn nor stages writes
 * cannot run a script's commands atomically, so EVAL says so instead.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import type { CommandContext, CommandSpec } from "../../shared/store/command.js";
import { noKeys } from "../../shared/store/command.js";
import type { ScriptCall } from "../../shared/store/command-log.js";
import { StoreError } from "../../shared/store/errors.js";
import { parseInt64 } from "../../shared/store/parse.js";
import { OK, type Reply } from "../../shared/store/reply.js";
import { checkCommandReply } from "../../shared/store/reply-limit.js";
import type { Store } from "../../shared/store/store.js";
import { helpReply, unknownSubcommand } from "../../shared/store/subcommands.js";
import { ScriptRuntime, type ScriptRuntimeOptions } from "./script-runtime.js";

/** Commands a script may not call (Redis's `noscript` flag): scripting itself, and what blocks. */
const NOT_FROM_SCRIPTS = new Set([
  "EVAL",
  "EVALSHA",
  "EVAL_RO",
  "EVALSHA_RO",
  "SCRIPT",
  "BLPOP",
  "BRPOP",
  "BLMOVE",
  "BLMPOP",
  "BRPOPLPUSH",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
]);

/** Scripting for one store: its commands, and the Lua runtime behind them. */
export interface Scripting {
  /** EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT: add them to the store's command table. */
  readonly commands: readonly CommandSpec[];
  /** Binds the store whose table the scripts' `redis.call`s resolve in (once it exists). */
  attach(store: Store): void;
  /** The runtime (script cache size for INFO). */
  readonly runtime: ScriptRuntime;
}

/** The keys of `EVAL script numkeys key… arg…` (none when numkeys is not valid: the handler then says why). */
function evalKeys(argv: readonly Bytes[]): Bytes[] {
  const n = Number(argv[2]);
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return argv.slice(3, 3 + n) as Bytes[];
}

/** numkeys, checked as Redis checks it. */
function numKeys(argv: readonly Bytes[]): number {
  const n = parseInt64(argv[2] as Bytes);
  if (n < 0) throw new StoreError("ERR", "ERR Number of keys can't be negative");
  if (n > argv.length - 3) throw new StoreError("ERR", "ERR Number of keys can't be greater than number of args");
  return Number(n);
}

/** Creates the scripting commands over a fresh Lua runtime. */
export function createScripting(options: ScriptRuntimeOptions): Scripting {
  const runtime = new ScriptRuntime(options);
  let store: Store | undefined;

  /** Runs one command for a script, in the script's context (noted in `calls` for monitors). */
  const callFor =
    (ctx: CommandContext, readOnly: boolean, calls: ScriptCall[] | undefined) =>
    (argv: Bytes[]): Reply => {
      const s = store as Store;
      let spec: CommandSpec;
      try {
        spec = s.resolve(argv);
      } catch (error) {
        if (error instanceof StoreError && error.code === "UNKNOWN_COMMAND" && !/subcommand/.test(error.message)) {
          throw new StoreError("ERR", "ERR Unknown Redis command called from script");
        }
        if (error instanceof StoreError && error.code === "WRONG_ARITY") {
          throw new StoreError("ERR", "ERR Wrong number of args calling Redis command from script");
        }
        throw error;
      }
      if (NOT_FROM_SCRIPTS.has(spec.name) || spec.flags.includes("no-multi")) {
        throw new StoreError("ERR", "ERR This Redis command is not allowed from script");
      }
      if (readOnly && spec.flags.includes("write")) {
        throw new StoreError("ERR", "ERR Write commands are not allowed from read-only scripts.");
      }
      // Shown to monitors once it passed the checks, even when it then fails (as Redis does).
      if (calls === undefined) return checkCommandReply(spec, spec.handler(ctx, argv), ctx.limits);
      const startedMs = performance.now();
      try {
        return checkCommandReply(spec, spec.handler(ctx, argv), ctx.limits);
      } finally {
        calls.push({ argv, startedMs, endedMs: performance.now() });
      }
    };

  const run = (
    ctx: CommandContext,
    sha: string,
    argv: readonly Bytes[],
    readOnly: boolean,
    calls: ScriptCall[] | undefined,
  ): Reply => {
    const s = store;
    // A synchronous engine runs the script in place, in one turn. An engine that stages writes
    // (etcd) runs it on a staged view and commits it as one compare-and-swap; when a `redis.call`
    // needs something the view lacks (a key not in KEYS), the engine's signal stops the script
    // (see ScriptRuntime.run), nothing staged is kept, and the engine runs it again from the start.
    const engine = s?.repository.capabilities;
    if (s === undefined || engine === undefined || !(engine.synchronous || engine.stagesWrites)) {
      throw new StoreError(
        "ERR",
        "ERR scripts need an engine that runs them atomically: this engine neither runs a command in one turn nor stages its writes",
      );
    }
    const n = numKeys(argv);
    return runtime.run(sha, argv.slice(3, 3 + n), argv.slice(3 + n), callFor(ctx, readOnly, calls));
  };

  /**
   * Runs a script command, handing the command log what its script ran (while it times commands),
   * once per run whatever the outcome, except when the engine stops the run to run it again.
   */
  const logged = (body: (calls: ScriptCall[] | undefined) => Reply): Reply => {
    const log = store?.commandLog;
    const calls = log?.timing ? [] : undefined;
    try {
      const reply = body(calls);
      if (calls !== undefined) log?.scriptRan(calls);
      return reply;
    } catch (error) {
      if (calls !== undefined && error instanceof StoreError) log?.scriptRan(calls);
      throw error;
    }
  };

  const common = {
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "server",
    keys: evalKeys,
  } as const;
  const evalSpec = (name: string, readOnly: boolean, bySha: boolean): CommandSpec => ({
    name,
    arity: -3,
    flags: readOnly ? ["readonly"] : ["write"],
    ...common,
    complexity: "Depends on the script that is executed.",
    summary: bySha
      ? `Executes a ${readOnly ? "read-only " : ""}server-side Lua script by SHA1 digest.`
      : `Executes a ${readOnly ? "read-only " : ""}server-side Lua script.`,
    syntax: `${name} ${bySha ? "sha1" : "script"} numkeys [key [key ...]] [arg [arg ...]]`,
    handler: (ctx, argv) =>
      logged((calls) => {
        const sha = bySha ? (argv[1] as Bytes).toLowerCase() : runtime.load(argv[1] as Bytes);
        return run(ctx, sha, argv, readOnly, calls);
      }),
  });

  const script: CommandSpec = {
    name: "SCRIPT",
    arity: -2,
    flags: [],
    ...noKeys("server"),
    complexity: "Depends on subcommand.",
    summary: "A container for Lua scripts management commands (LOAD, EXISTS, FLUSH, KILL).",
    syntax: "SCRIPT <subcommand> [arguments]",
    handler: (_ctx, argv) => {
      const sub = (argv[1] as Bytes).toUpperCase();
      const arity = (n: number) => {
        if (argv.length !== n) {
          throw new StoreError(
            "WRONG_ARITY",
            `ERR wrong number of arguments for 'script|${sub.toLowerCase()}' command`,
          );
        }
      };
      switch (sub) {
        case "LOAD":
          arity(3);
          return runtime.load(argv[2] as Bytes);
        case "EXISTS":
          if (argv.length < 3) arity(3);
          return argv.slice(2).map((sha) => (runtime.has(sha) ? 1 : 0));
        case "FLUSH": {
          const mode = argv[2]?.toUpperCase();
          if (argv.length > 3 || (mode !== undefined && mode !== "ASYNC" && mode !== "SYNC")) {
            throw new StoreError("ERR", "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
          }
          runtime.flush();
          return OK;
        }
        case "KILL":
          // A script runs on the server's only thread: none is ever running while a command is served.
          throw new StoreError("ERR", "NOTBUSY No scripts in execution right now.");
        case "HELP":
          return helpReply([
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script (never running here: see docs/RESP.md).",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Print this help.",
          ]);
        default:
          throw unknownSubcommand(argv[1] as Bytes, "SCRIPT");
      }
    },
  };

  return {
    commands: [
      evalSpec("EVAL", false, false),
      evalSpec("EVALSHA", false, true),
      evalSpec("EVAL_RO", true, false),
      evalSpec("EVALSHA_RO", true, true),
      script,
    ],
    attach(s: Store) {
      store = s;
    },
    runtime,
  };
}
