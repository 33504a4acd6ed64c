/**
 * The CLI's commands as data: name, usage, options and what each runs over the client. One-shot
 * mode and the REPL both dispatch through this table.
 */
import { toJson as protoToJson } from "@bufbuild/protobuf";
import { formatDuration, type MemorabiliaClient, ttl, utf8, watch } from "../../shared/client/index.js";
import { ServerInfoSchema } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import { SetCondition } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { KeyType, TtlStatus } from "../../shared/gen/memorabilia/v1/types_pb.js";
import { jsonReply, type OutputMode, prettyReply, quoteBytes, rawReply, toJson } from "./format.js";

/** What a command gets: the client, its positionals and options, where to print, and a signal. */
export interface CommandContext {
  readonly client: MemorabiliaClient;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly mode: OutputMode;
  readonly print: (line: string) => void;
  /** Aborted on Ctrl-C (long-running commands such as watch end on it). */
  readonly signal: AbortSignal;
}

/** One CLI command. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /** Least and most positionals (Infinity: no upper bound). */
  readonly arity: readonly [number, number];
  /** Its own options (node:util parseArgs shapes). */
  readonly options: Readonly<Record<string, { type: "string" | "boolean" }>>;
  /** Runs it; resolves with the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

const KEY_TYPES: Readonly<Record<string, KeyType>> = {
  string: KeyType.STRING,
  list: KeyType.LIST,
  hash: KeyType.HASH,
  set: KeyType.SET,
  zset: KeyType.ZSET,
  stream: KeyType.STREAM,
};

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(KEY_TYPES).map(([name, value]) => [value, name]),
);

function printValue(ctx: CommandContext, value: Uint8Array | undefined, json: unknown): void {
  if (ctx.mode === "json") ctx.print(toJson(json));
  else if (value === undefined) ctx.print(ctx.mode === "raw" ? "" : "(nil)");
  else ctx.print(ctx.mode === "raw" ? new TextDecoder().decode(value) : quoteBytes(value));
}

function printInteger(ctx: CommandContext, n: bigint, json: unknown): void {
  if (ctx.mode === "json") ctx.print(toJson(json));
  else ctx.print(ctx.mode === "raw" ? String(n) : `(integer) ${n}`);
}

/** Every CLI command, by name. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  {
    name: "get",
    usage: "get <key>",
    summary: "Print a string value ((nil) when the key does not exist).",
    arity: [1, 1],
    options: {},
    async run(ctx) {
      const key = ctx.args[0] as string;
      const { value } = await ctx.client.strings.get({ key });
      printValue(ctx, value, { key, value: value === undefined ? null : value });
      return 0;
    },
  },
  {
    name: "set",
    usage: "set <key> <value> [--ttl 10s] [--nx | --xx] [--keep-ttl]",
    summary: "Set a string value, optionally with a time to live (10s, 1m30s, 250ms) or a condition.",
    arity: [2, 2],
    options: {
      ttl: { type: "string" },
      nx: { type: "boolean" },
      xx: { type: "boolean" },
      "keep-ttl": { type: "boolean" },
    },
    async run(ctx) {
      const [key, value] = ctx.args as [string, string];
      const { ttl: duration, nx, xx } = ctx.options;
      if (nx && xx) throw new UsageError("--nx and --xx are mutually exclusive");
      if (typeof duration === "string" && ctx.options["keep-ttl"])
        throw new UsageError("--ttl and --keep-ttl are mutually exclusive");
      const expiry =
        typeof duration === "string"
          ? { case: "ttlMs" as const, value: ttl(duration) }
          : ctx.options["keep-ttl"]
            ? { case: "keepTtl" as const, value: true }
            : { case: undefined };
      const condition = nx ? SetCondition.NX : xx ? SetCondition.XX : SetCondition.UNSPECIFIED;
      const { applied } = await ctx.client.strings.set({ key, value: utf8(value), expiry, condition });
      if (ctx.mode === "json") ctx.print(toJson({ key, applied }));
      else ctx.print(applied ? "OK" : ctx.mode === "raw" ? "" : "(nil)");
      return 0;
    },
  },
  {
    name: "del",
    usage: "del <key> [key ...]",
    summary: "Delete keys; prints how many existed.",
    arity: [1, Number.POSITIVE_INFINITY],
    options: {},
    async run(ctx) {
      const { deleted } = await ctx.client.keys.del({ keys: [...ctx.args] });
      printInteger(ctx, deleted, { deleted });
      return 0;
    },
  },
  {
    name: "ttl",
    usage: "ttl <key>",
    summary: "Print a key's time to live (no such key / no expiry / e.g. 9.5s).",
    arity: [1, 1],
    options: {},
    async run(ctx) {
      const key = ctx.args[0] as string;
      const { ttl: t } = await ctx.client.keys.ttl({ key });
      const status = t?.status ?? TtlStatus.UNSPECIFIED;
      if (ctx.mode === "json") {
        const name =
          status === TtlStatus.EXPIRES ? "expires" : status === TtlStatus.NO_EXPIRY ? "no_expiry" : "no_such_key";
        ctx.print(
          toJson({ key, status: name, ...(status === TtlStatus.EXPIRES ? { ttlMs: t?.ttlMs, atMs: t?.atMs } : {}) }),
        );
      } else if (status === TtlStatus.EXPIRES) {
        ctx.print(ctx.mode === "raw" ? String(t?.ttlMs) : formatDuration(t?.ttlMs ?? 0n));
      } else {
        ctx.print(status === TtlStatus.NO_EXPIRY ? "(no expiry)" : "(no such key)");
      }
      return 0;
    },
  },
  {
    name: "keys",
    usage: "keys [pattern] [--type string|list|hash|set|zset] [--count N]",
    summary: "List the keys matching a glob, incrementally with SCAN (never blocks the server).",
    arity: [0, 1],
    options: { type: { type: "string" }, count: { type: "string" } },
    async run(ctx) {
      const match = ctx.args[0];
      const typeName = ctx.options.type;
      const type = typeof typeName === "string" ? KEY_TYPES[typeName] : KeyType.UNSPECIFIED;
      if (type === undefined) throw new UsageError(`unknown type "${typeName}" (string, list, hash, set, zset)`);
      const count = typeof ctx.options.count === "string" ? Number(ctx.options.count) : 0;
      if (!Number.isInteger(count) || count < 0) throw new UsageError("--count must be a positive integer");
      let cursor = "0";
      do {
        const page = await ctx.client.keys.scan({ cursor, ...(match !== undefined ? { match } : {}), count, type });
        for (const info of page.keys) {
          if (ctx.mode === "json") {
            ctx.print(
              toJson({
                key: info.key,
                type: TYPE_NAMES[info.type] ?? "none",
                ttlMs: info.ttl?.status === TtlStatus.EXPIRES ? info.ttl.ttlMs : null,
                size: info.size,
              }),
            );
          } else ctx.print(info.key);
        }
        cursor = page.cursor;
      } while (cursor !== "0" && !ctx.signal.aborted);
      return 0;
    },
  },
  {
    name: "watch",
    usage: "watch [pattern] [--snapshot] [--events set,del,...]",
    summary: "Stream keyspace events for keys matching a glob until Ctrl-C.",
    arity: [0, 1],
    options: { snapshot: { type: "boolean" }, events: { type: "string" } },
    async run(ctx) {
      const pattern = ctx.args[0] ?? "*";
      const events = typeof ctx.options.events === "string" ? ctx.options.events.split(",").filter(Boolean) : [];
      const items = watch(ctx.client.watch, pattern, {
        snapshot: ctx.options.snapshot === true,
        events,
        includeTtl: true,
        signal: ctx.signal,
      });
      for await (const item of items) {
        if (item.kind === "snapshot") {
          for (const info of item.keys) {
            if (ctx.mode === "json")
              ctx.print(toJson({ snapshot: true, key: info.key, type: TYPE_NAMES[info.type] ?? "none" }));
            else ctx.print(`snapshot ${info.key} ${TYPE_NAMES[info.type] ?? "none"}`);
          }
        } else if (item.kind === "event") {
          const e = item.event;
          if (ctx.mode === "json")
            ctx.print(
              toJson({
                event: e.event,
                key: e.key,
                atMs: e.atMs,
                ...(e.ttl?.status === TtlStatus.EXPIRES ? { ttlMs: e.ttl.ttlMs } : {}),
              }),
            );
          else
            ctx.print(
              `${e.event} ${e.key}${e.ttl?.status === TtlStatus.EXPIRES ? ` ttl=${formatDuration(e.ttl.ttlMs)}` : ""}`,
            );
        }
      }
      return 0;
    },
  },
  {
    name: "info",
    usage: "info",
    summary: "Print the server's counters (keys, memory, ops/s, expiry, uptime, version).",
    arity: [0, 0],
    options: {},
    async run(ctx) {
      const { info } = await ctx.client.server.info({});
      const json = info ? (protoToJson(ServerInfoSchema, info) as Record<string, unknown>) : {};
      if (ctx.mode === "json") {
        ctx.print(JSON.stringify(json));
        return 0;
      }
      for (const line of infoLines(json)) ctx.print(line);
      return 0;
    },
  },
  {
    name: "exec",
    usage: "exec <COMMAND> [arg ...]",
    summary: "Run any command (e.g. exec HSET h f v) and print the reply as redis-cli does.",
    arity: [1, Number.POSITIVE_INFINITY],
    options: {},
    async run(ctx) {
      const { reply } = await ctx.client.command.execute({ args: ctx.args.map(utf8) });
      printReply(ctx, reply);
      return reply?.kind.case === "error" ? 1 : 0;
    },
  },
];

/** Prints a raw command's reply in the context's output mode. */
export function printReply(
  ctx: Pick<CommandContext, "mode" | "print">,
  reply: Parameters<typeof prettyReply>[0],
): void {
  if (ctx.mode === "json") ctx.print(toJson(jsonReply(reply)));
  else for (const line of ctx.mode === "raw" ? rawReply(reply) : prettyReply(reply)) ctx.print(line);
}

/** `field:value` lines, nested objects as `section_field:value` (the shape of Redis INFO). */
function infoLines(json: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(json).flatMap(([k, v]) =>
    v !== null && typeof v === "object"
      ? infoLines(v as Record<string, unknown>, `${prefix}${k}_`)
      : [`${prefix}${k}:${v}`],
  );
}

/** A mistake in how the CLI was called (exit code 2, with the usage). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The command of that name, if any. */
export function findCommand(name: string): CliCommand | undefined {
  return CLI_COMMANDS.find((c) => c.name === name.toLowerCase());
}
