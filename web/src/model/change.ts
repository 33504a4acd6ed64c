/**
 * An edit as a precise, atomic change: the exact commands that turn what the console read into
 * what the user asked for, run by TransactionService.Exec under preconditions stating what the
 * console read. A concurrent change by another client fails a precondition and nothing runs, so
 * the console can ask the user instead of overwriting it.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Command, PreconditionSchema } from "../../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import type { Clients } from "../api/clients.js";

/** A precondition of a change, with the sentence that explains it to the user when it fails. */
export interface Guard {
  readonly precondition: MessageInitShape<typeof PreconditionSchema>;
  /** Why the change was not made when this does not hold ("“beta” is already a member"). */
  readonly reason: string;
}

/** A change to one or more keys: commands run atomically, only if every guard holds. */
export interface Change {
  readonly commands: readonly Command[];
  readonly guards: readonly Guard[];
}

/** What came of a change. */
export type ChangeOutcome =
  | { readonly committed: true }
  /** A guard failed: nothing ran. `reasons` are the failed guards' sentences. */
  | { readonly committed: false; readonly reasons: readonly string[] };

/**
 * Runs `change` atomically (Exec). With `force`, the guards are dropped: the user chose to
 * overwrite what changed.
 */
export async function applyChange(clients: Clients, change: Change, force = false): Promise<ChangeOutcome> {
  const guards = force ? [] : change.guards;
  const res = await clients.transaction.exec({
    commands: [...change.commands],
    preconditions: guards.map((g) => g.precondition),
  });
  if (res.committed) return { committed: true };
  return {
    committed: false,
    reasons: res.failedPreconditions.map((i) => guards[i]?.reason ?? "a precondition failed"),
  };
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
