/**
 * The one authorization policy: may this caller run this RPC, this command, on these keys?
 * Deny by default: an RPC or a command the policy does not classify is refused to everyone, and
 * a host that cannot say who calls must refuse too (never treat "no caller" as "anyone").
 *
 * Hosts: the Node server checks RPCs in its auth interceptor and every command (with its keys)
 * in the store's admission hook; the edge handler, which has no per-call context in the store,
 * judges a request's commands ahead ({@link requestAccess}); the RESP port calls
 * {@link authorize} for each command line.
 */
import type { Bytes } from "../store/bytes.js";
import { type CommandSpec, commandKeys } from "../store/command.js";
import { StoreError } from "../store/errors.js";
import { type Access, type Caller, keyAllowed, patternCovered, roleAtLeast, roleMay } from "./caller.js";
import { commandAccess, PROTOCOL_COMMANDS, protocolCommandAccess } from "./command-access.js";
import type { RpcRule } from "./rpc-rules.js";

const noperm = (caller: Caller | undefined, what: string): StoreError =>
  new StoreError(
    "NOPERM",
    caller === undefined
      ? `NOPERM no authenticated caller may ${what}`
      : `NOPERM token '${caller.name}' (${caller.role}) has no permissions to ${what}`,
  );

/** The MATCH argument of SCAN (`*` when absent). */
function scanMatch(argv: readonly Bytes[]): Bytes {
  for (let i = 2; i + 1 < argv.length; i++)
    if ((argv[i] as Bytes).toUpperCase() === "MATCH") return argv[i + 1] as Bytes;
  return "*";
}

/**
 * Throws NOPERM unless `caller` may run `spec` with `argv` (its role, and its key patterns over
 * every key the command names). `undefined`: the host found no caller; refused.
 */
export function authorizeCommand(caller: Caller | undefined, spec: CommandSpec, argv: readonly Bytes[]): void {
  const name = spec.name.toLowerCase();
  if (caller === undefined) throw noperm(caller, `run the '${name}' command`);
  const access = commandAccess(spec);
  if (access === undefined)
    throw noperm(caller, `run the '${name}' command (the authorization policy does not classify it)`);
  if (!roleMay(caller.role, access))
    throw noperm(
      caller,
      `run the '${name}' command (${access === "admin" ? "admin only" : access === "write" ? "read-only token" : access})`,
    );
  if (caller.matchers === null) return;
  if (spec.flags.includes("keyspace")) {
    // Whole-keyspace commands: a token limited to some keys may only list keys it covers.
    if (access !== "read") throw noperm(caller, `run the '${name}' command (it touches every key)`);
    if (name === "keys" && patternCovered(caller, argv[1] as Bytes)) return;
    if (name === "scan" && patternCovered(caller, scanMatch(argv))) return;
    if (name === "dbsize") return;
    throw noperm(caller, `run '${name}' beyond its key patterns (give a MATCH pattern they cover)`);
  }
  const patternOption = spec.readsPatternKeys?.(argv);
  if (patternOption !== undefined) {
    throw noperm(
      caller,
      `use the ${patternOption} option of '${name}' (its patterns read keys no key spec names; only a token with every key may)`,
    );
  }
  for (const key of commandKeys(spec, argv)) {
    if (!keyAllowed(caller, key)) throw noperm(caller, `access key '${key.slice(0, 128)}' (outside its key patterns)`);
  }
}

/**
 * The RESP port's check of one command line: `argv[0]` is the command's name. A store command
 * is checked as {@link authorizeCommand} (role and keys); a command the protocol host answers
 * itself by {@link PROTOCOL_COMMANDS} (`public` ones even without a caller, to authenticate).
 * Unknown commands pass: the host answers `ERR unknown command` as Redis does.
 */
export function authorize(
  caller: Caller | undefined,
  argv: readonly Bytes[],
  commandTable: ReadonlyMap<string, CommandSpec>,
): void {
  const name = (argv[0] ?? "").toUpperCase();
  const spec = commandTable.get(name);
  if (spec !== undefined) {
    authorizeCommand(caller, spec, argv);
    return;
  }
  const access = protocolCommandAccess(argv);
  if (access === "public" || access === undefined) return;
  const what =
    argv.length > 1 && PROTOCOL_COMMANDS[`${name}|${(argv[1] as Bytes).toUpperCase()}`] !== undefined
      ? `${name}|${(argv[1] as Bytes).toUpperCase()}`.toLowerCase()
      : name.toLowerCase();
  if (caller === undefined) throw noperm(caller, `run the '${what}' command`);
  if (!roleMay(caller.role, access))
    throw noperm(caller, `run the '${what}' command (${access === "admin" ? "admin only" : "read-only token"})`);
}

/** How a host applies an RPC rule. */
export interface RpcCheck {
  /** The request message (a server stream's one message), when known. */
  readonly message?: unknown;
  /**
   * The access the request's commands need, judged ahead by a host that cannot check each
   * command as it runs ({@link requestAccess}); omitted by hosts that do (the Node server).
   */
  readonly ahead?: Access | undefined | "unclassified";
}

/**
 * Why `caller` may not call an RPC of rule `rule` (`method` names it in the message), or
 * undefined when it may. `undefined` rule: unclassified, refused.
 */
export function rpcDenial(
  caller: Caller,
  method: string,
  rule: RpcRule | undefined,
  check: RpcCheck = {},
): string | undefined {
  const who = `token '${caller.name}' (${caller.role})`;
  if (rule === undefined) return `${who} may not call ${method}: the authorization policy does not classify it`;
  switch (rule.kind) {
    case "public":
      return undefined;
    case "role":
      return roleAtLeast(caller.role, rule.role) ? undefined : `${who} may not call ${method}: it needs ${rule.role}`;
    case "pattern": {
      if (!roleAtLeast(caller.role, rule.role)) return `${who} may not call ${method}: it needs ${rule.role}`;
      const pattern = (check.message as { pattern?: string } | undefined)?.pattern || "*";
      return patternCovered(caller, pattern)
        ? undefined
        : `token '${caller.name}' may not watch '${pattern}': it is limited to ${caller.patterns.join(", ")}`;
    }
    case "commands":
    case "argv": {
      const ahead = check.ahead;
      if (ahead === undefined) return undefined;
      if (ahead === "unclassified")
        return `${who} may not call ${method}: it runs a command the authorization policy does not classify`;
      return roleMay(caller.role, ahead) ? undefined : `${who} may not call ${method}: it needs ${ahead} access`;
    }
  }
}
