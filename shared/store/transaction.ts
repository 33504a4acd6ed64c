import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import type { KeyspaceEvent } from "./events.js";
import type { Reply } from "./reply.js";
import type { KeyView, Repository, WatchHandle } from "./repository.js";

/** What the store lends a transaction. */
export interface TransactionHost {
  readonly repository: Repository;
  /** Resolves a command: throws UNKNOWN_COMMAND / WRONG_ARITY / LIMIT errors. */
  resolve(argv: readonly Bytes[]): CommandSpec;
  /** A command context over `view` at `now` whose events go to `sink` instead of the bus. */
  context(view: KeyView, now: number, sink: (event: KeyspaceEvent) => void): CommandContext;
  /** Publishes events after commit. */
  publish(events: readonly KeyspaceEvent[]): void;
  /** The clock. */
  now(): number;
}

/** PLACEHOLDER (being written): runs commands atomically; null when a watched key changed. */
export function runTransaction(
  host: TransactionHost,
  commands: readonly (readonly Bytes[])[],
  watch?: WatchHandle,
): Reply[] | null | Promise<Reply[] | null> {
  const specs = commands.map((argv) => host.resolve(argv));
  const now = host.now();
  return host.repository.atomic(null, now, (view) => {
    if (watch?.changed()) return null;
    const events: KeyspaceEvent[] = [];
    const ctx = host.context(view, now, (e) => events.push(e));
    const out = specs.map((spec, i) => spec.handler(ctx, commands[i] as Bytes[]));
    host.publish(events);
    return out;
  });
}
