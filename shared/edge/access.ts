/**
 * What an RPC may do to the keyspace (read, write, administer), derived from the command table's
 * flags so the roles follow the commands they run: a readonly token may only call RPCs whose
 * commands are all `readonly` (or touch no data).
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MEMORABILIA_SERVICES } from "../api/register.js";
import type { CommandSpec } from "../store/command.js";

/** What an RPC needs, from least to most. */
export type Access = "read" | "write" | "admin";

/**
 * RPCs whose name is not (only) the command they run: they run several commands, or none.
 * Everything else is looked up in the command table by its upper-cased method name.
 */
export const EXPLICIT_ACCESS: Readonly<Record<string, Access>> = {
  "memorabilia.v1.KeysService/FlushAll": "admin",
  "memorabilia.v1.KeysService/ObjectEncoding": "read",
  "memorabilia.v1.KeysService/MemoryUsage": "read",
  "memorabilia.v1.ListsService/Push": "write",
  "memorabilia.v1.ListsService/Pop": "write",
  "memorabilia.v1.SortedSetsService/ZRemRange": "write",
  "memorabilia.v1.SortedSetsService/ZPop": "write",
  "memorabilia.v1.CommandService/ListCommands": "read",
  "memorabilia.v1.AuthService/WhoAmI": "read",
  "memorabilia.v1.WatchService/Watch": "read",
  "memorabilia.v1.PubSubService/Subscribe": "read",
  "memorabilia.v1.PubSubService/Channels": "read",
  "memorabilia.v1.PubSubService/Publish": "write",
  // A bidi stream cannot be judged ahead (and cannot cross a Fetch handler anyway).
  "memorabilia.v1.TransactionService/Pipeline": "write",
  "memorabilia.v1.ServerService/Info": "read",
  "memorabilia.v1.ServerService/InfoStream": "read",
  // Configuration is administration (as Redis's CONFIG GET/SET).
  "memorabilia.v1.ServerService/GetConfig": "admin",
  "memorabilia.v1.ServerService/SetConfig": "admin",
  "grpc.health.v1.Health/Check": "read",
  "grpc.health.v1.Health/Watch": "read",
  "grpc.health.v1.Health/List": "read",
};

/** The access a command needs: FLUSHALL-like keyspace writes are administration. */
export function commandAccess(spec: CommandSpec | undefined): Access {
  // An unknown command fails anyway; classifying it as a write keeps readonly tokens closed.
  if (spec === undefined) return "write";
  if (spec.flags.includes("admin") || (spec.flags.includes("write") && spec.flags.includes("keyspace"))) return "admin";
  return spec.flags.includes("write") ? "write" : "read";
}

/** The larger of two accesses. */
export const maxAccess = (a: Access, b: Access): Access =>
  a === "admin" || b === "admin" ? "admin" : a === "write" || b === "write" ? "write" : "read";

/** The access an argument vector needs (its first element is the command name, as bytes or text). */
export function argvAccess(commands: ReadonlyMap<string, CommandSpec>, argv: readonly (Uint8Array | string)[]): Access {
  const first = argv[0];
  if (first === undefined) return "read";
  const name = typeof first === "string" ? first : String.fromCharCode(...first.subarray(0, 64));
  return commandAccess(commands.get(name.toUpperCase()));
}

/**
 * The access `method` needs. Methods whose request carries commands (a field `args`, as
 * CommandService.Execute, or `commands`, as TransactionService.Exec and Batch) are judged by
 * those commands when `message` is given, and count as writes without it (a client stream such
 * as Pipeline cannot be read ahead, so a readonly token cannot pipeline).
 */
export function rpcAccess(commands: ReadonlyMap<string, CommandSpec>, method: DescMethod, message?: unknown): Access {
  const explicit = EXPLICIT_ACCESS[`${method.parent.typeName}/${method.name}`];
  if (explicit !== undefined) return explicit;
  if (method.input.fields.some((f) => f.localName === "args" || f.localName === "commands")) {
    return commandsAccess(commands, message) ?? "write";
  }
  // Get -> GET, HGetAll -> HGETALL, ZRangeStore -> ZRANGESTORE; anything else counts as a write.
  if (method.parent.typeName.startsWith("memorabilia.v1."))
    return commandAccess(commands.get(method.name.toUpperCase()));
  return "write";
}

type Argv = readonly (Uint8Array | string)[];

/** The data RPCs by local name (`get`, `hGetAll`, `zRangeStore`), for typed batch commands. */
const DATA_METHODS = new Map<string, DescMethod>(
  MEMORABILIA_SERVICES.flatMap((service) => service.methods.map((m) => [m.localName, m] as const)),
);

/**
 * The access a request carrying commands needs, or undefined when it carries none: `{args}`
 * (Execute), `{commands: [...]}` (Exec, Batch) of raw command lines (`{args}`) or typed commands
 * (`{kind: {case: "get", value: GetRequest}}`), judged as the RPC of the same name. Anything
 * else inside counts as a write.
 */
function commandsAccess(commands: ReadonlyMap<string, CommandSpec>, message: unknown): Access | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as { args?: unknown; commands?: unknown };
  if (Array.isArray(m.args)) return argvAccess(commands, m.args as Argv);
  if (!Array.isArray(m.commands)) return undefined;
  return m.commands.reduce<Access>((acc, c: unknown) => maxAccess(acc, oneCommandAccess(commands, c)), "read");
}

function oneCommandAccess(commands: ReadonlyMap<string, CommandSpec>, command: unknown): Access {
  if (typeof command !== "object" || command === null) return "write";
  const c = command as { args?: unknown; kind?: { case?: unknown; value?: unknown } };
  if (Array.isArray(c.args)) return argvAccess(commands, c.args as Argv);
  const kind = c.kind;
  if (kind?.case === "raw") return commandsAccess(commands, kind.value) ?? "write";
  const method = typeof kind?.case === "string" ? DATA_METHODS.get(kind.case) : undefined;
  return method === undefined ? "write" : rpcAccess(commands, method, kind?.value);
}
