/**
 * Judging a request's commands ahead, for hosts that cannot check each command as it runs (the
 * edge handler: its store has no per-call context). The Node server checks each command, with
 * its keys, in the store's admission hook instead, and needs none of this.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { COMMAND_ROUTES } from "../api/command-dispatch.js";
import type { CommandSpec } from "../store/command.js";
import { type Access, maxAccess } from "./caller.js";
import { commandAccess } from "./command-access.js";
import { rpcRule } from "./rpc-rules.js";

/** The access a request needs, or `unclassified` when it runs a command the policy does not classify. */
export type AheadAccess = Access | "unclassified";

type Argv = readonly (Uint8Array | string)[];

const maxAhead = (a: AheadAccess, b: AheadAccess): AheadAccess =>
  a === "unclassified" || b === "unclassified" ? "unclassified" : maxAccess(a, b);

/**
 * The access a command line needs (its first element is the command name, as bytes or text).
 * An unknown command needs `write` (it fails anyway; this keeps read-only tokens closed).
 */
export function argvAccess(commands: ReadonlyMap<string, CommandSpec>, argv: Argv): AheadAccess {
  const first = argv[0];
  if (first === undefined) return "read";
  const name = typeof first === "string" ? first : String.fromCharCode(...first.subarray(0, 64));
  const spec = commands.get(name.toUpperCase());
  if (spec === undefined) return "write";
  return commandAccess(spec) ?? "unclassified";
}

/**
 * The RPC of each typed batch command, by its `Command` case (`get`, `hmGet`, `zmPop`): the case's
 * spelling is the oneof field's, not always the method's (`hMGet`), so the dispatcher's own routes
 * are used.
 */
const DATA_METHODS = new Map<string, DescMethod>([...COMMAND_ROUTES].map(([name, route]) => [name, route.method]));

/**
 * The access `method` needs with request `message`, or undefined for an RPC that runs no store
 * command (its rule says what it needs). A request carrying command lines (`{args}` of Execute,
 * `{commands}` of Exec and Batch) is judged by its most demanding command; without a message
 * (a client stream such as Pipeline cannot be read ahead) it needs `admin`.
 */
export function requestAccess(
  commands: ReadonlyMap<string, CommandSpec>,
  method: DescMethod,
  message?: unknown,
): AheadAccess | undefined {
  const rule = rpcRule(method.parent.typeName, method.name, commands);
  if (rule === undefined) return "unclassified";
  if (rule.kind === "commands")
    return rule.commands.reduce<AheadAccess>((acc, name) => {
      const spec = commands.get(name);
      return maxAhead(acc, spec === undefined ? "unclassified" : (commandAccess(spec) ?? "unclassified"));
    }, "read");
  if (rule.kind !== "argv") return undefined;
  return commandsAccess(commands, message) ?? "admin";
}

/** The access of `{args}` or `{commands: [...]}`, or undefined when the message carries neither. */
function commandsAccess(commands: ReadonlyMap<string, CommandSpec>, message: unknown): AheadAccess | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as { args?: unknown; commands?: unknown };
  if (Array.isArray(m.args)) return argvAccess(commands, m.args as Argv);
  if (!Array.isArray(m.commands)) return undefined;
  return m.commands.reduce<AheadAccess>((acc, c: unknown) => maxAhead(acc, oneCommandAccess(commands, c)), "read");
}

/** One command of Exec or Batch: raw (`{args}` or `{kind: raw}`) or typed (`{kind: {case: "get"}}`). */
function oneCommandAccess(commands: ReadonlyMap<string, CommandSpec>, command: unknown): AheadAccess {
  if (typeof command !== "object" || command === null) return "admin";
  const c = command as { args?: unknown; kind?: { case?: unknown; value?: unknown } };
  if (Array.isArray(c.args)) return argvAccess(commands, c.args as Argv);
  const kind = c.kind;
  if (kind?.case === "raw") return commandsAccess(commands, kind.value) ?? "admin";
  const method = typeof kind?.case === "string" ? DATA_METHODS.get(kind.case) : undefined;
  return method === undefined ? "admin" : (requestAccess(commands, method, kind?.value) ?? "admin");
}
