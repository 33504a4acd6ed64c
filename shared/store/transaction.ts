import type { Bytes } from "./bytes.js";
import { type CommandContext, type CommandSpec, commandKeys } from "./command.js";
import { type ErrorCode, StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import type { AcquireOptions, KeyedLock } from "./lock.js";
import type { Reply } from "./reply.js";
import { checkCommandReply, checkReply } from "./reply-limit.js";
import type { KeyspaceView, KeyView, Repository, WatchHandle } from "./repository.js";
import type { Value } from "./value.js";

/**
 * MULTI/EXEC: a batch of commands run atomically and all-or-nothing.
 *
 * 1. Every command is resolved first: an unknown command, a wrong arity, a limit, a command
 *    flagged `no-multi`, or a keyspace-wide write rejects the whole batch with EXECABORT before
 *    anything runs (as Redis does for errors found while queueing).
 * 2. WATCH: when the handle reports a change, nothing runs and the result is null.
 * 3. All commands run in one `repository.atomic` call over the union of their keys and the
 *    WATCHed keys (a remote engine compares the revisions of all of them at commit). On the
 *    in-memory engine that is one JavaScript turn; on an asynchronous engine the store's
 *    {@link KeyedLock} is held for those keys across the await, so no other command of this store
 *    interleaves.
 * 4. On a runtime error, one of two {@link TransactionMode}s:
 *    - `"rollback"` (the API's Exec) — **a deliberate difference from Redis**: the values and TTLs
 *      of every key a non-read-only command declares are snapshotted first (containers
 *      deep-copied with `clone()`, so the cost is the size of those values); if any command
 *      throws, every snapshotted key is restored exactly (value, TTL, or absence) and the
 *      transaction rejects with a {@link TransactionError} naming the failed command.
 *      Keyspace-wide writes (FLUSHALL…) cannot be snapshotted cheaply and are refused.
 *    - `"continue"` (Redis's MULTI/EXEC, used by the RESP port): nothing is snapshotted; a command
 *      that fails at run time (WRONGTYPE, not an integer…) leaves its error in its place in the
 *      reply while the other commands still apply, as Redis does. Keyspace-wide writes are
 *      allowed where the engine can run the whole keyspace atomically.
 *    Keyspace-wide reads (KEYS, SCAN, DBSIZE) are allowed in both modes.
 * 5. Keyspace events are buffered and published only after commit; a rollback publishes none.
 */

/**
 * What a runtime error inside the transaction does: `"rollback"` undoes every command and rejects
 * (the API's all-or-nothing Exec); `"continue"` leaves the error in that command's place and
 * applies the others (Redis's MULTI/EXEC).
 */
export type TransactionMode = "rollback" | "continue";

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
  /** Held across the await of an asynchronous repository (the store's own, shared with single commands). */
  readonly locks: KeyedLock;
  /**
   * When set, each command's run is timed into it (`performance.now()` before and after), for
   * the command log: Redis logs and shows each command EXEC runs, with its own duration. Emptied
   * at the start of each run of the body (a remote engine may run it again).
   */
  readonly spans?: CommandSpan[];
}

/** One command of a transaction as it ran: its index and `performance.now()` readings. */
export interface CommandSpan {
  readonly index: number;
  readonly startedMs: number;
  readonly endedMs: number;
}

/**
 * Runs command `index` (`spec` over `argv`), timed into `spans` when there are spans to fill;
 * otherwise a plain call (no closure per command when nothing is timed).
 */
function runCommand(
  spans: CommandSpan[] | undefined,
  index: number,
  spec: CommandSpec,
  ctx: CommandContext,
  argv: readonly Bytes[],
): Reply {
  if (spans === undefined) return spec.handler(ctx, argv);
  const startedMs = performance.now();
  try {
    return spec.handler(ctx, argv);
  } finally {
    spans.push({ index, startedMs, endedMs: performance.now() });
  }
}

/**
 * A transaction that did not apply. `code` and `message` are those of the underlying error
 * (EXECABORT for a batch refused before running; the runtime error, e.g. WRONGTYPE, for a
 * rolled-back one); `index` says which command (0-based) and `cause` keeps the original error.
 */
export class TransactionError extends StoreError {
  /** The 0-based position of the offending command in the batch. */
  readonly index: number;
  /** Its name, as sent. */
  readonly command: string;

  constructor(code: ErrorCode, message: string, index: number, command: string, cause: StoreError) {
    super(code, message, { cause });
    this.index = index;
    this.command = command;
  }
}

/** EXECABORT (Redis's exact text) for a command refused before running; `cause` says why. */
function execAbort(cause: StoreError, index: number, command: string): TransactionError {
  return new TransactionError("EXEC_ABORT", new StoreError("EXEC_ABORT").message, index, command, cause);
}

/** The runtime error of command `index`, after rollback: same code, the message says where. */
function rolledBack(cause: StoreError, index: number, command: string): TransactionError {
  const where = `(command index ${index}, '${command.toLowerCase()}': the transaction was rolled back)`;
  return new TransactionError(cause.code, `${cause.message} ${where}`, index, command, cause);
}

/** What to run, and which keys it needs. */
interface Plan {
  readonly specs: readonly CommandSpec[];
  /** Keys read only (shared lock). */
  readonly readKeys: readonly Bytes[];
  /** Keys of non-read-only commands: locked exclusively, snapshotted for rollback. */
  readonly writeKeys: readonly Bytes[];
  /** Keys of read-only commands that may write a cache (PFCOUNT): snapshotted for rollback too. */
  readonly cacheKeys: readonly Bytes[];
  /** True when a command reads the whole keyspace (KEYS, SCAN, DBSIZE…). */
  readonly wholeKeyspace: boolean;
}

/** Resolves every command before anything runs; throws EXECABORT on the first refusal. */
function plan(host: TransactionHost, commands: readonly (readonly Bytes[])[], mode: TransactionMode): Plan {
  const specs: CommandSpec[] = [];
  const read = new Set<Bytes>();
  const write = new Set<Bytes>();
  const cache = new Set<Bytes>();
  let wholeKeyspace = false;
  commands.forEach((argv, i) => {
    const name = argv[0] ?? "";
    let spec: CommandSpec;
    try {
      spec = host.resolve(argv);
    } catch (error) {
      if (error instanceof StoreError) throw execAbort(error, i, name);
      throw error;
    }
    if (spec.flags.includes("no-multi")) {
      throw execAbort(new StoreError("ERR", "ERR Command not allowed inside a transaction"), i, name);
    }
    const readonly = spec.flags.includes("readonly");
    if (spec.flags.includes("keyspace")) {
      if (!readonly && mode === "rollback") {
        const why = `ERR '${spec.name.toLowerCase()}' is not allowed inside a transaction: it changes the whole keyspace, which cannot be rolled back`;
        throw execAbort(new StoreError("ERR", why), i, name);
      }
      if (host.repository.atomicKeyspace === undefined) {
        const why = `ERR '${spec.name.toLowerCase()}' is not allowed inside a transaction with this storage engine: it cannot read the whole keyspace atomically with other commands`;
        throw execAbort(new StoreError("ERR", why), i, name);
      }
      wholeKeyspace = true;
    }
    for (const key of commandKeys(spec, argv)) {
      (readonly ? read : write).add(key);
      if (spec.writesCache === true) cache.add(key);
    }
    specs.push(spec);
  });
  for (const key of write) {
    read.delete(key);
    cache.delete(key);
  }
  return { specs, readKeys: [...read], writeKeys: [...write], cacheKeys: [...cache], wholeKeyspace };
}

/** A key as it was before the transaction: undefined when absent. */
type SavedKey = { readonly value: Value; readonly atMs: number | undefined } | undefined;

function snapshot(view: KeyView, keys: readonly Bytes[]): Map<Bytes, SavedKey> {
  const saved = new Map<Bytes, SavedKey>();
  for (const key of keys) {
    const value = view.lookup(key);
    saved.set(
      key,
      value === undefined
        ? undefined
        : { value: typeof value === "string" ? value : value.clone(), atMs: view.expireAt(key) },
    );
  }
  return saved;
}

function restore(view: KeyView, saved: Map<Bytes, SavedKey>): void {
  for (const [key, entry] of saved) {
    if (entry === undefined) {
      view.remove(key);
      continue;
    }
    view.put(key, entry.value); // clears any TTL a command set
    if (entry.atMs !== undefined) view.setExpireAt(key, entry.atMs);
  }
}

interface Outcome {
  readonly replies: Reply[];
  readonly events: readonly KeyspaceEvent[];
}

/**
 * Where the commands' keyspace events go: to the engine's own record when it publishes them
 * (a remote engine orders them with the commit), else into `events`, published after commit.
 */
function eventSink(host: TransactionHost, view: KeyView, events: KeyspaceEvent[]): (event: KeyspaceEvent) => void {
  const record = view.record;
  return host.repository.capabilities.publishesEvents && record !== undefined
    ? (event) => record.call(view, event)
    : (event) => events.push(event);
}

/** The body run inside `repository.atomic`: watch check, snapshot, commands, rollback on error. */
function execute(
  host: TransactionHost,
  view: KeyView,
  now: number,
  work: Plan,
  commands: readonly (readonly Bytes[])[],
  watch: WatchHandle | undefined,
  mode: TransactionMode,
): Outcome | null {
  if (host.spans !== undefined) host.spans.length = 0;
  if (watch?.changed()) return null;
  const caps = host.repository.capabilities;
  if (mode === "continue") return executeEach(host, view, now, work, commands);
  // An engine that stages writes discards them itself when this function throws.
  const saved = caps.stagesWrites ? null : snapshot(view, [...work.writeKeys, ...work.cacheKeys]);
  const events: KeyspaceEvent[] = [];
  const ctx = host.context(view, now, eventSink(host, view, events));
  const replies: Reply[] = [];
  for (let i = 0; i < work.specs.length; i++) {
    const argv = commands[i] as readonly Bytes[];
    try {
      const spec = work.specs[i] as CommandSpec;
      replies.push(checkReply(runCommand(host.spans, i, spec, ctx, argv), ctx.limits));
      // EXEC's reply is one reply: bounded as a whole, before anything commits.
      if (i === work.specs.length - 1) checkReply(replies, ctx.limits);
    } catch (error) {
      if (saved !== null) restore(view, saved);
      if (!(error instanceof StoreError)) throw error;
      throw rolledBack(error, i, argv[0] as Bytes);
    }
  }
  return { replies, events };
}

/** The body of a `"continue"` transaction: every command runs; a runtime error takes its reply's place. */
function executeEach(
  host: TransactionHost,
  view: KeyView,
  now: number,
  work: Plan,
  commands: readonly (readonly Bytes[])[],
): Outcome {
  const events: KeyspaceEvent[] = [];
  const ctx = host.context(view, now, eventSink(host, view, events));
  const replies: Reply[] = [];
  for (let i = 0; i < work.specs.length; i++) {
    const spec = work.specs[i] as CommandSpec;
    try {
      // As outside a transaction: only a read's reply can still be refused for its size.
      const reply = runCommand(host.spans, i, spec, ctx, commands[i] as readonly Bytes[]);
      replies.push(checkCommandReply(spec, reply, ctx.limits));
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      replies.push(error);
    }
  }
  try {
    checkReply(replies, ctx.limits);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    // EXEC's reply as a whole is too large: the writes stand (nothing to undo in this mode), the
    // reads' array replies give way to the limit error, as one oversized read would alone.
    for (let i = 0; i < replies.length; i++) {
      if (Array.isArray(replies[i]) && (work.specs[i] as CommandSpec).flags.includes("readonly")) replies[i] = error;
    }
  }
  return { replies, events };
}

function commit(host: TransactionHost, outcome: Outcome | null): Reply[] | null {
  if (outcome === null) return null;
  if (outcome.events.length !== 0) host.publish(outcome.events);
  return outcome.replies;
}

/**
 * Runs `commands` (already normalized argument vectors) as one transaction: resolves with one
 * reply per command, or null when `watch` reports a change. Throws (or rejects with) a
 * {@link TransactionError}: EXECABORT when a command is refused before running, the runtime
 * error otherwise (after rollback; in `"continue"` mode runtime errors are replies instead).
 * Returns a plain value on a synchronous repository. `options` bounds the wait for the keys'
 * lock on an asynchronous repository.
 */
export function runTransaction(
  host: TransactionHost,
  commands: readonly (readonly Bytes[])[],
  watch?: WatchHandle,
  options?: AcquireOptions,
  mode: TransactionMode = "rollback",
): Reply[] | null | Promise<Reply[] | null> {
  const work = plan(host, commands, mode);
  const readKeys = watch === undefined ? work.readKeys : withWatched(work, watch.keys);
  const keys = work.wholeKeyspace ? null : [...work.writeKeys, ...readKeys];
  if (host.repository.capabilities.synchronous) {
    const now = host.now();
    return commit(host, atomically(host, keys, now, work, commands, watch, mode) as Outcome | null);
  }
  return runLocked(host, { ...work, readKeys }, keys, commands, watch, options, mode);
}

/** The read keys plus the watched keys the commands do not already declare. */
function withWatched(work: Plan, watched: readonly Bytes[]): readonly Bytes[] {
  if (watched.length === 0) return work.readKeys;
  const seen = new Set<Bytes>([...work.writeKeys, ...work.readKeys]);
  const out = [...work.readKeys];
  for (const key of watched) {
    if (!seen.has(key)) {
      seen.add(key);
      out.push(key);
    }
  }
  return out;
}

/** One `atomic` call over `keys`, or over the whole keyspace (`atomicKeyspace`) when null. */
function atomically(
  host: TransactionHost,
  keys: Bytes[] | null,
  now: number,
  work: Plan,
  commands: readonly (readonly Bytes[])[],
  watch: WatchHandle | undefined,
  mode: TransactionMode,
): Outcome | null | Promise<Outcome | null> {
  const repository = host.repository;
  const body = (view: KeyView | KeyspaceView) => execute(host, view, now, work, commands, watch, mode);
  if (keys !== null) {
    // The intent matters to a remote engine only (it may read a write's base more cheaply).
    if (repository.capabilities.synchronous) return repository.atomic(keys, now, body);
    const readOnly = work.specs.every((s) => s.flags.includes("readonly"));
    const blind =
      !readOnly &&
      watch === undefined &&
      work.specs.every((s, i) => s.blindWrite?.(commands[i] as readonly Bytes[]) === true);
    return repository.atomic(keys, now, body, { readOnly, blind });
  }
  if (repository.atomicKeyspace === undefined)
    throw new TypeError("plan() admitted a keyspace read without atomicKeyspace");
  return repository.atomicKeyspace(now, body);
}

async function runLocked(
  host: TransactionHost,
  work: Plan,
  keys: Bytes[] | null,
  commands: readonly (readonly Bytes[])[],
  watch: WatchHandle | undefined,
  options: AcquireOptions | undefined,
  mode: TransactionMode,
): Promise<Reply[] | null> {
  const release =
    keys === null
      ? await host.locks.exclusive(options)
      : await host.locks.acquire({ read: work.readKeys, write: work.writeKeys }, options);
  try {
    const now = host.now(); // read once the keys are ours: the time the commands really run
    const outcome = await atomically(host, keys, now, work, commands, watch, mode);
    // Published before the lock is released, so events keep commit order.
    return commit(host, outcome);
  } finally {
    release();
  }
}
