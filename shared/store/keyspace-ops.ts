/**
 * The two ways a `keyspace` command (SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHALL) reaches the whole
 * keyspace, behind one {@link KeyspaceOps} shape so each command is written once:
 *
 * - alone: the repository's paged operations at the command's time ({@link repositoryKeyspace}),
 *   asynchronous on a remote engine;
 * - inside a transaction: the synchronous reads of the {@link KeyspaceView} that the repository's
 *   `atomicKeyspace` lends ({@link inKeyspaceView}), which see the transaction's own writes.
 */
import type { Bytes } from "./bytes.js";
import type { CommandContext, KeyspaceContext, KeyspaceHandler, KeyspaceOps } from "./command.js";
import type { Reply } from "./reply.js";
import type { KeyPages, KeyspaceView, KeyView, MaybePromise, Repository } from "./repository.js";

/** `value` passed to `fn`, now or once it resolves. */
export function thenMaybe<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** True when `pages` comes from a remote engine (one request per page). */
export function isAsyncPages(pages: KeyPages): pages is AsyncIterable<readonly Bytes[]> {
  return typeof (pages as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function";
}

/** The repository's whole-keyspace operations at `nowMs` (a single keyspace command). */
export function repositoryKeyspace(repository: Repository, nowMs: number): KeyspaceOps {
  return {
    scan: (cursor, count, filter) => repository.scanKeys(cursor, count, filter, nowMs),
    list: (filter, pageSize) => repository.listKeys(filter, pageSize, nowMs),
    count: () => repository.countKeys(nowMs),
    randomKey: () => repository.randomKey(nowMs),
    flush: () => repository.flushKeys(nowMs),
  };
}

/** True when `view` offers the whole-keyspace reads (it came from `atomicKeyspace`). */
export function isKeyspaceView(view: KeyView): view is KeyspaceView {
  const v = view as Partial<KeyspaceView>;
  return typeof v.size === "function" && typeof v.scan === "function" && typeof v.randomKey === "function";
}

/** The synchronous operations of a whole-keyspace view: KEYS is one complete page. */
function viewKeyspace(view: KeyspaceView): KeyspaceOps {
  return {
    scan: (cursor, count, filter) => view.scan(cursor, count, filter),
    list: (filter) => [view.scan("0", Number.MAX_SAFE_INTEGER, filter).keys],
    count: () => view.size(),
    randomKey: () => view.randomKey(),
    flush: () => view.flush(),
  };
}

/**
 * The `handler` of a keyspace command: the same command over a transaction's whole-keyspace view,
 * in one turn (no yielding). A view without whole-keyspace reads is a wiring bug (transactions run
 * keyspace commands only inside `atomicKeyspace`).
 */
export function inKeyspaceView(command: KeyspaceHandler): (ctx: CommandContext, argv: readonly Bytes[]) => Reply {
  return (ctx, argv) => {
    const view = ctx.db;
    if (!isKeyspaceView(view)) {
      throw new TypeError(`${argv[0] ?? "command"}: a keyspace command needs the repository's atomicKeyspace view`);
    }
    const kctx: KeyspaceContext = {
      now: ctx.now,
      keyspace: viewKeyspace(view),
      limits: ctx.limits,
      elementCursors: ctx.elementCursors,
      mayYield: false,
    };
    const reply = command(kctx, argv);
    if (reply instanceof Promise)
      throw new TypeError(`${argv[0] ?? "command"}: a synchronous view answered asynchronously`);
    return reply;
  };
}
