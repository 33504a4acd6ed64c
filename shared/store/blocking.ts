import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { StoreError } from "./errors.js";
import type { EventBus, KeyspaceEvent } from "./events.js";
import { ceilTimesToInt64, parseLongDouble } from "./long-double.js";
import { MAX_DEADLINE_MS } from "./parse.js";
import type { Reply } from "./reply.js";
import type { MaybePromise } from "./repository.js";

/**
 * Blocked callers of BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP
 * (Redis's `blocked.c`): a caller whose keys are all empty waits here — holding no lock — until a
 * write makes one of them servable, its deadline passes, or its AbortSignal fires.
 *
 * - **Wake-up**: while anybody waits, this subscribes to the store's keyspace events; any event
 *   on a key somebody waits on marks the key ready (whatever the write: LPUSH, LMOVE, a MULTI/EXEC
 *   publishing after its commit, RENAME's `rename_to`, RESTORE, COPY, ZUNIONSTORE, an engine's
 *   event from another server…). The store drains the ready keys right after the command (or
 *   transaction) that signalled them, before it runs the next one, as Redis's
 *   `handleClientsBlockedOnKeys` does; a microtask drains what no command path drained.
 * - **Serving**: for each ready key in signal order, its waiters in FIFO order (Redis serves the
 *   longest-blocked client first) are served from THAT key by the command's
 *   {@link BlockingSpec.serve}, run by the store as an atomic command, until the key cannot serve
 *   (empty, missing or another type). A serve error (BLMOVE's destination of another type) ends
 *   only that waiter, with the error, as Redis does. The serve's own writes (BLMOVE's push)
 *   signal further keys, which are served in the same drain.
 * - **Ending a wait**: the deadline (a timer; 0 waits forever) replies the timeout reply (nil);
 *   the caller's AbortSignal removes it and rejects with the signal's reason, except the reason
 *   {@link UNBLOCK_AS_TIMEOUT}, which replies as a timeout (CLIENT UNBLOCK … TIMEOUT);
 *   {@link BlockedClients.shutdown} rejects every waiter.
 * - **Asynchronous engines**: the non-blocking attempt and every serve are ordinary locked
 *   commands; a caller listens for events from before its attempt ("arming"), and repeats the
 *   attempt when one of its keys was written meanwhile, so no wake-up is lost between the attempt
 *   and the wait. A remote engine that publishes its events (`publishesEvents`) wakes callers for
 *   writes made on other servers too. A caller being served is not abandoned mid-serve: an abort
 *   then waits for the serve, so a popped element is never lost.
 */

/** The reason to abort a wait with so that it replies as a timeout (nil) instead of failing. */
export const UNBLOCK_AS_TIMEOUT: unique symbol = Symbol("memorabilia.unblockAsTimeout");

/**
 * How a caller waits ({@link Store.run}'s second argument). Without it a blocking command behaves
 * as its non-blocking form, as inside MULTI (Redis's `CLIENT_DENY_BLOCKING`): nil when it would block.
 */
export interface WaitOptions {
  /** Ends the wait: the command rejects with `signal.reason` ({@link UNBLOCK_AS_TIMEOUT}: replies nil). */
  readonly signal?: AbortSignal;
  /**
   * Set by the store when the command actually waits: the caller must then leave cancellation to
   * the store (which never drops an element being served) rather than race the signal itself.
   */
  blocked?: boolean;
}

/** The keys a blocked caller waits on and its deadline. */
export interface BlockingWait {
  readonly keys: readonly Bytes[];
  /** Milliseconds since the epoch; 0 waits forever. */
  readonly deadline: number;
}

/**
 * The blocking side of a command ({@link CommandSpec.blocking}). Its `handler` is the non-blocking
 * form (what it does inside MULTI): it validates everything, serves from the first non-empty key,
 * and replies null when it would block.
 */
export interface BlockingSpec {
  /**
   * The keys to wait on and the deadline, for an argv its handler accepted (and replied null to);
   * undefined when this call does not wait at all (XREAD without BLOCK): it replies the null.
   */
  wait(argv: readonly Bytes[], now: number): BlockingWait | undefined;
  /**
   * Serving takes nothing from the key (XREAD, XREADGROUP: every waiter whose ID is behind the
   * stream's is served): every waiter on a ready key is tried, not only until one cannot be served.
   */
  readonly servesEach?: boolean;
  /** The keys serving from `key` reads and writes (the engine's atomic key set). */
  serveKeys(key: Bytes, argv: readonly Bytes[]): Bytes[];
  /**
   * Serves a blocked caller from `key`, which a write may have made servable: the reply, or
   * undefined when `key` cannot serve (missing, empty, another type). Throws the error the caller
   * gets instead (BLMOVE's destination holding another type).
   */
  serve(ctx: CommandContext, key: Bytes, argv: readonly Bytes[]): Reply | undefined;
}

/** What serving a waiter needs from the store. */
export interface BlockHost {
  readonly events: EventBus;
  /** The engine is synchronous: serves return plain values. */
  readonly sync: boolean;
  /** Serves `argv` from `key` atomically, as a command: the reply, or undefined when `key` cannot serve. */
  serve(spec: CommandSpec, key: Bytes, argv: readonly Bytes[]): MaybePromise<Reply | undefined>;
  /** The store's clock (deadlines). */
  now(): number;
}

/** setTimeout's longest delay (2^31−1 ms); longer waits re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

type State = "arming" | "waiting" | "serving" | "done";

class Waiter {
  state: State = "arming";
  /** An event touched one of its keys while it was arming: the attempt must run again. */
  missed = false;
  /** Aborted while being served: settled once the serve ends. */
  abortedWith: { reason: unknown } | undefined;
  timer: unknown;
  onAbort: (() => void) | undefined;
  resolve!: (reply: Reply) => void;
  reject!: (error: unknown) => void;
  readonly promise: Promise<Reply>;

  constructor(
    readonly spec: CommandSpec,
    readonly argv: readonly Bytes[],
    readonly keys: readonly Bytes[],
    readonly signal: AbortSignal | undefined,
  ) {
    this.promise = new Promise<Reply>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** The error a wait ends with when the store shuts down. */
export function shutdownError(): StoreError {
  return new StoreError("UNAVAILABLE", "UNBLOCKED the server is shutting down");
}

/** The error of an aborted wait whose reason is not an Error. */
function abortedError(reason: unknown): unknown {
  if (reason instanceof Error) return reason;
  return new StoreError("ABORTED", "ERR operation aborted: the blocked command was cancelled");
}

/** The blocked callers of one store, by key, FIFO. */
export class BlockedClients {
  /** key -> its waiters, in blocking order (a Set iterates in insertion order). */
  private readonly queues = new Map<Bytes, Set<Waiter>>();
  /** Callers between their first attempt and their registration (asynchronous engines). */
  private readonly arming = new Set<Waiter>();
  /** Keys signalled since the last drain, in signal order. */
  private readonly ready = new Set<Bytes>();
  private readonly all = new Set<Waiter>();
  private unsubscribe: (() => void) | undefined;
  private draining = false;
  private scheduled = false;
  /** A key somebody waits on was written: the store calls {@link drain} after the command. */
  pending = false;
  /** Set by {@link shutdown}: a command that would block fails at once, until {@link reopen}. */
  private closedWith: unknown;
  /** Callers served, timed out and cancelled (INFO). */
  readonly counters = { served: 0, timedOut: 0, cancelled: 0 };

  constructor(private readonly host: BlockHost) {}

  /** Callers blocked now (INFO's `blocked_clients`). */
  get size(): number {
    return this.all.size;
  }

  /** Keys somebody waits on (INFO's `total_blocking_keys`). */
  get keyCount(): number {
    return this.queues.size;
  }

  private readonly onEvent = (event: KeyspaceEvent): void => {
    const key = event.key;
    if (this.arming.size !== 0) {
      for (const w of this.arming) if (w.keys.includes(key)) w.missed = true;
    }
    if (!this.queues.has(key)) return;
    this.ready.add(key);
    this.pending = true;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        if (this.pending) this.drain();
      });
    }
  };

  private listen(): void {
    if (this.unsubscribe === undefined) this.unsubscribe = this.host.events.subscribe({}, this.onEvent);
  }

  private unlistenIfIdle(): void {
    if (this.all.size === 0 && this.arming.size === 0 && this.unsubscribe !== undefined) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }

  /**
   * Blocks a caller whose non-blocking attempt (already run, in this same turn on a synchronous
   * engine) replied null: resolves with the reply it is served, or the timeout reply (null).
   */
  block(spec: CommandSpec, argv: readonly Bytes[], now: number, options: WaitOptions): Promise<Reply> {
    const blocking = spec.blocking as BlockingSpec;
    const wait = blocking.wait(argv, now);
    if (wait === undefined) return Promise.resolve(null);
    const { keys, deadline } = wait;
    const waiter = new Waiter(spec, argv, keys, options.signal);
    options.blocked = true;
    if (this.closedWith !== undefined) {
      waiter.reject(this.closedWith);
      return waiter.promise;
    }
    if (waiter.signal?.aborted) {
      this.settleAborted(waiter, waiter.signal.reason);
      return waiter.promise;
    }
    this.register(waiter, deadline);
    return waiter.promise;
  }

  /**
   * Runs a blocking command on an asynchronous engine: `attempt` (the non-blocking form, a locked
   * command) runs with the caller already listening for its keys; a null reply blocks it, unless a
   * key was written meanwhile, in which case the attempt runs again.
   */
  async blockAsync(
    spec: CommandSpec,
    argv: readonly Bytes[],
    keys: readonly Bytes[],
    options: WaitOptions,
    attempt: () => Promise<Reply>,
  ): Promise<Reply> {
    options.blocked = true;
    const armed = new Waiter(spec, argv, keys, options.signal);
    this.arming.add(armed);
    this.listen();
    try {
      for (;;) {
        if (armed.signal?.aborted) throw abortedError(armed.signal.reason);
        armed.missed = false;
        const now = this.host.now();
        const reply = await attempt();
        if (reply !== null) return reply;
        if (armed.missed) continue;
        if (this.closedWith !== undefined) throw this.closedWith;
        const wait = (spec.blocking as BlockingSpec).wait(argv, now);
        if (wait === undefined) return null;
        const waiter = new Waiter(spec, argv, wait.keys, options.signal);
        if (waiter.signal?.aborted) {
          if (waiter.signal.reason === UNBLOCK_AS_TIMEOUT) return null;
          throw abortedError(waiter.signal.reason);
        }
        this.register(waiter, wait.deadline);
        return await waiter.promise;
      }
    } finally {
      this.arming.delete(armed);
      this.unlistenIfIdle();
    }
  }

  private register(waiter: Waiter, deadline: number): void {
    waiter.state = "waiting";
    this.all.add(waiter);
    for (const key of waiter.keys) {
      let q = this.queues.get(key);
      if (q === undefined) {
        q = new Set();
        this.queues.set(key, q);
      }
      q.add(waiter);
    }
    this.listen();
    if (deadline > 0 && deadline < MAX_DEADLINE_MS) this.armTimer(waiter, deadline);
    const signal = waiter.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => this.abort(waiter, signal.reason);
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
  }

  private armTimer(waiter: Waiter, deadline: number): void {
    const remaining = deadline - this.host.now();
    if (remaining > MAX_TIMER_MS) {
      waiter.timer = setTimeout(() => this.armTimer(waiter, deadline), MAX_TIMER_MS);
      return;
    }
    waiter.timer = setTimeout(
      () => {
        if (waiter.state === "waiting") {
          this.counters.timedOut++;
          this.finish(waiter, null);
        } else if (waiter.state === "serving") {
          waiter.abortedWith ??= { reason: UNBLOCK_AS_TIMEOUT };
        }
      },
      Math.max(0, remaining),
    );
  }

  private abort(waiter: Waiter, reason: unknown): void {
    if (waiter.state === "serving") {
      waiter.abortedWith ??= { reason };
      return;
    }
    if (waiter.state !== "waiting") return;
    this.settleAborted(waiter, reason);
  }

  private settleAborted(waiter: Waiter, reason: unknown): void {
    if (reason === UNBLOCK_AS_TIMEOUT) {
      this.counters.timedOut++;
      this.finish(waiter, null);
      return;
    }
    this.counters.cancelled++;
    this.finish(waiter, undefined, abortedError(reason));
  }

  /** Removes a waiter everywhere and settles it with `reply` or `error`. */
  private finish(waiter: Waiter, reply: Reply | undefined, error?: unknown): void {
    if (waiter.state === "done") return;
    waiter.state = "done";
    this.all.delete(waiter);
    for (const key of waiter.keys) {
      const q = this.queues.get(key);
      if (q === undefined) continue;
      q.delete(waiter);
      if (q.size === 0) this.queues.delete(key);
    }
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    this.unlistenIfIdle();
    if (error !== undefined) waiter.reject(error);
    else waiter.resolve(reply as Reply);
  }

  /** After a serve attempt: an abort that came while it ran applies now (unless it was served). */
  private afterServe(waiter: Waiter): void {
    waiter.state = "waiting";
    const aborted = waiter.abortedWith;
    if (aborted !== undefined) this.settleAborted(waiter, aborted.reason);
  }

  /** Serves the ready keys' waiters (see the file comment). Idempotent while a drain runs. */
  drain(): void {
    this.pending = false;
    if (this.draining) return;
    if (this.host.sync) this.drainSync();
    else void this.drainAsync();
  }

  private drainSync(): void {
    this.draining = true;
    try {
      for (const key of this.ready) {
        this.ready.delete(key); // a serve re-signals keys: the Set's iteration sees them
        const q = this.queues.get(key);
        if (q === undefined) continue;
        for (const waiter of q) {
          if (waiter.state !== "waiting") continue;
          let reply: Reply | undefined;
          try {
            reply = this.host.serve(waiter.spec, key, waiter.argv) as Reply | undefined;
          } catch (error) {
            this.finish(waiter, undefined, error);
            continue;
          }
          if (reply === undefined) {
            if (waiter.spec.blocking?.servesEach) continue;
            break;
          }
          this.counters.served++;
          this.finish(waiter, reply);
        }
      }
    } finally {
      this.draining = false;
      this.pending = false;
    }
  }

  private async drainAsync(): Promise<void> {
    this.draining = true;
    try {
      while (this.ready.size !== 0) {
        const key = this.ready.values().next().value as Bytes;
        this.ready.delete(key);
        const q = this.queues.get(key);
        if (q === undefined) continue;
        for (const waiter of [...q]) {
          if (waiter.state !== "waiting") continue;
          waiter.state = "serving";
          let reply: Reply | undefined;
          try {
            reply = await this.host.serve(waiter.spec, key, waiter.argv);
          } catch (error) {
            waiter.state = "waiting";
            this.finish(waiter, undefined, error);
            continue;
          }
          if (reply === undefined) {
            this.afterServe(waiter);
            if (waiter.spec.blocking?.servesEach) continue;
            break;
          }
          waiter.state = "waiting";
          this.counters.served++;
          this.finish(waiter, reply);
        }
      }
    } finally {
      this.draining = false;
      this.pending = false;
      if (this.ready.size !== 0) this.drain();
    }
  }

  /** Lets commands block again after {@link shutdown} (the store was started again). */
  reopen(): void {
    this.closedWith = undefined;
  }

  /** Ends every wait with `error` (server shutdown); until {@link reopen}, a command that would block fails with it. */
  shutdown(error: unknown = shutdownError()): void {
    this.closedWith = error;
    for (const waiter of [...this.all]) {
      if (waiter.state === "serving") waiter.abortedWith ??= { reason: error };
      else this.finish(waiter, undefined, error);
    }
  }
}

/**
 * Parses a blocking command's timeout in seconds exactly as Redis 7.0's
 * `getTimeoutFromObjectOrReply(…, UNIT_SECONDS)`: a `long double` (`strtold`: decimal,
 * hexadecimal, `inf`; no spaces, no NaN), times 1000 in extended precision, rounded UP to whole
 * milliseconds (`ceill`), converted to `long long` (an infinity or anything past 2^63 becomes
 * LLONG_MIN, hence "timeout is negative"). 0 waits forever — so does `-0.0001`, whose ceiling is
 * 0, as in Redis. Returns the deadline in ms since the epoch (0: none); a deadline past the
 * latest representable time waits forever too.
 */
export function parseBlockTimeout(arg: Bytes, now: number): number {
  const x = parseLongDouble(arg);
  if (x === undefined) throw new StoreError("NOT_FLOAT", "ERR timeout is not a float or out of range");
  const ms = ceilTimesToInt64(x, 1000n);
  if (ms < 0n) throw new StoreError("ERR", "ERR timeout is negative");
  if (ms === 0n) return 0;
  const deadline = Number(ms) + now;
  return deadline >= MAX_DEADLINE_MS ? 0 : deadline;
}
