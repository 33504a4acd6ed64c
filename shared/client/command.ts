/**
 * Typed command builders for Exec, Batch and Pipeline: `command("set", { key, value })` builds a
 * `Command` whose `kind` case and request type are checked together.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Command, CommandResult } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { CommandSchema } from "../gen/memorabilia/v1/transaction_service_pb.js";

/** The name of a typed command (`"get"`, `"set"`, `"hSet"`, …; `"raw"` for CommandService.Execute). */
export type CommandName = NonNullable<Command["kind"]["case"]>;

/** The request message a command of that name carries. */
export type CommandRequest<N extends CommandName> = Extract<Command["kind"], { case: N }>["value"];

/** The fields of a command's request, as an initializer (a plain object; nested messages as plain objects too). */
export type CommandInit<N extends CommandName> = MessageInitShape<GenMessage<CommandRequest<N>>>;

/** A command's result, narrowed to its `kind` case (`result.kind.case` is the name, or `"error"`). */
export type CommandResultKind = CommandResult["kind"];

/**
 * Builds a typed command for {@link batch}, {@link Pipeline} or TransactionService.Exec.
 *
 * @example
 * ```ts
 * const commands = [command("set", { key: "a", value: utf8("1") }), command("incrBy", { key: "a", delta: 2n })];
 * ```
 */
export function command<N extends CommandName>(name: N, request: CommandInit<N>): Command {
  return create(CommandSchema, { kind: { case: name, value: request } } as never);
}

/**
 * Builds a raw command (`CommandService.Execute`-style argument vector) for Batch or Pipeline:
 * `raw("SET", "k", "v")`. Strings are sent as UTF-8.
 */
export function raw(...args: readonly (string | Uint8Array)[]): Command {
  const encoder = new TextEncoder();
  return command("raw", { args: args.map((a) => (typeof a === "string" ? encoder.encode(a) : a)) });
}
