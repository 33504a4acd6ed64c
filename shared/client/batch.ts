/**
 * `batch()`: several typed commands in one unary call (TransactionService.Batch), usable from
 * browsers. Not atomic: each command runs on its own, and a failing one fails only its result.
 */
import type { CallOptions, Client } from "@connectrpc/connect";
import type { Command, CommandResult, TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";

/**
 * Runs `commands` in order in one round trip and returns one result per command, in order. A
 * command that fails yields a result whose `kind.case` is `"error"` (the others still run).
 *
 * @example
 * ```ts
 * const [set, incr] = await batch(client.transaction, [
 *   command("set", { key: "n", value: utf8("1") }),
 *   command("incrBy", { key: "n", delta: 41n }),
 * ]);
 * ```
 */
export async function batch(
  transaction: Client<typeof TransactionService>,
  commands: readonly Command[],
  options?: CallOptions,
): Promise<CommandResult[]> {
  const response = await transaction.batch({ commands: [...commands] }, options);
  return response.results;
}
