/**
 * What each command needs (read, write, admin), for every host: the store's commands by their
 * flags, the few without a data flag by name, and the commands a protocol host answers itself
 * (the RESP port's AUTH, SUBSCRIBE, CONFIG, …). A command none of these classify is refused to
 * everyone (deny by default); `command-access.test.ts` fails when the table grows one.
 */
import type { CommandSpec } from "../store/command.js";
import type { Access } from "./caller.js";

/** Store commands whose flags say neither `readonly` nor `write`: they touch no data. */
export const FLAGLESS_COMMANDS: Readonly<Record<string, Access>> = {
  PING: "read",
  ECHO: "read",
  TIME: "read",
  COMMAND: "read",
  // Scripting (server/scripting): loading and flushing scripts changes what EVALSHA runs.
  SCRIPT: "write",
};

/**
 * Commands outside the store's table that a protocol host answers itself. `public`: allowed
 * before authentication (to authenticate, or to leave). The commands a transaction or a
 * subscription carries are checked one by one as they run, so MULTI/EXEC/SUBSCRIBE need little.
 * `NAME|SUBCOMMAND` entries take precedence over `NAME` (CLIENT LIST and KILL see other clients).
 */
export const PROTOCOL_COMMANDS: Readonly<Record<string, Access | "public">> = {
  AUTH: "public",
  HELLO: "public",
  QUIT: "public",
  RESET: "public",
  SELECT: "read",
  CLIENT: "read",
  "CLIENT|LIST": "admin",
  "CLIENT|KILL": "admin",
  INFO: "read",
  MULTI: "read",
  EXEC: "read",
  DISCARD: "read",
  WATCH: "read",
  UNWATCH: "read",
  SUBSCRIBE: "read",
  PSUBSCRIBE: "read",
  UNSUBSCRIBE: "read",
  PUNSUBSCRIBE: "read",
  PUBSUB: "read",
  PUBLISH: "write",
  // As Redis (@admin) and as ServerService.GetConfig/SetConfig: configuration is administration.
  CONFIG: "admin",
  // Redis's @admin: the slow log and the monitor show every client's commands and arguments.
  SLOWLOG: "admin",
  MONITOR: "admin",
};

/** The access of a command a protocol host answers itself (`argv[0]` its name), or undefined when none is listed. */
export function protocolCommandAccess(argv: readonly string[]): Access | "public" | undefined {
  const name = (argv[0] ?? "").toUpperCase();
  if (argv.length > 1) {
    const sub = PROTOCOL_COMMANDS[`${name}|${(argv[1] as string).toUpperCase()}`];
    if (sub !== undefined) return sub;
  }
  return PROTOCOL_COMMANDS[name];
}

/**
 * The access a store command needs, or undefined when the policy does not classify it (then
 * every caller is refused). An `admin` flag, or a write over the whole keyspace (FLUSHALL,
 * FLUSHDB), is administration.
 */
export function commandAccess(spec: CommandSpec): Access | undefined {
  const flags = spec.flags;
  if (flags.includes("admin") || (flags.includes("write") && flags.includes("keyspace"))) return "admin";
  if (flags.includes("write")) return "write";
  if (flags.includes("readonly")) return "read";
  return FLAGLESS_COMMANDS[spec.name.toUpperCase()];
}
