import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";
import { type Reply, Status } from "./reply.js";

/**
 * Helpers for container commands with subcommands (OBJECT, MEMORY, COMMAND): help text and the
 * errors Redis gives for an unknown subcommand.
 */

/** A help reply: one status line per line of text, as Redis's addReplyHelp. */
export function helpReply(lines: readonly string[]): Reply {
  return lines.map((line) => new Status(line));
}

/** `ERR unknown subcommand 'x'. Try OBJECT HELP.` (the subcommand as sent, at most 128 bytes). */
export function unknownSubcommand(sub: Bytes, command: string): StoreError {
  return new StoreError("UNKNOWN_COMMAND", `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${command} HELP.`);
}
