/**
 * Running store commands from a handler: one command path (`store.run`), cancellation by the
 * RPC's AbortSignal, and batches that stay in one JavaScript turn when the engine is synchronous.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { WaitOptions } from "../store/blocking.js";
import type { Bytes } from "../store/bytes.js";
import type { CommandClient } from "../store/command-log.js";
import { StoreError } from "../store/errors.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { callClient } from "./call-client.js";
import { runInOrder } from "./concurrent.js";

/**
 * A method a handler context may implement to say whether its signal has aborted without creating
 * the signal: a context that builds its AbortController lazily (the server's gRPC fast lane) then
 * needs none for a call whose command answers synchronously.
 */
export const kPeekAborted: unique symbol = Symbol("memorabilia.peekAborted");

/** A handler context (anything with the call's `signal`), possibly with {@link kPeekAborted}. */
export interface SignalSource {
  readonly signal: AbortSignal;
  readonly [kPeekAborted]?: () => boolean;
}

/** What the functions below take for cancellation: the signal itself, or the handler context holding it. */
export type CallSignal = AbortSignal | SignalSource;

/** The signal of `source` (read from a context only when it is needed). */
export function signalOf(source: CallSignal): AbortSignal {
  return source instanceof AbortSignal ? source : source.signal;
}

/** Whether the call has been cancelled, without creating a lazily created signal. */
function isAborted(source: CallSignal): boolean {
  if (source instanceof AbortSignal) return source.aborted;
  const peek = source[kPeekAborted];
  return peek === undefined ? source.signal.aborted : peek.call(source);
}

/** The error a handler throws once its signal has aborted (deadline exceeded or cancelled). */
export function abortError(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError) return reason;
  return new ConnectError("the operation was cancelled", Code.Canceled, undefined, undefined, reason);
}

/** Throws {@link abortError} when the call's signal has aborted. */
export function checkSignal(source: CallSignal): void {
  if (isAborted(source)) throw abortError(signalOf(source));
}

/** Resolves like `promise`, or rejects with {@link abortError} as soon as the signal aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const racers = racersOf(signal);
    const onAbort = (): void => reject(abortError(signal));
    racers.add(onAbort);
    promise.then(
      (value) => {
        racers.delete(onAbort);
        resolve(value);
      },
      (error: unknown) => {
        racers.delete(onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The commands racing each call's signal, behind ONE abort listener per signal: a Batch or
 * Pipeline of 100 commands on a remote engine races 100 at once, and a listener each made Node
 * warn (MaxListenersExceededWarning past 10) and scan the listener list on every add and remove.
 */
const racing = new WeakMap<AbortSignal, Set<() => void>>();

function racersOf(signal: AbortSignal): Set<() => void> {
  let racers = racing.get(signal);
  if (racers === undefined) {
    const set = new Set<() => void>();
    racers = set;
    racing.set(signal, set);
    signal.addEventListener("abort", () => {
      for (const onAbort of set) onAbort();
      set.clear();
    });
  }
  return racers;
}

/**
 * The {@link WaitOptions} of a call that may wait (a blocking command: BLPOP, BZPOPMIN, …): the
 * call's signal, read only when the command actually blocks.
 *
 * A class with the getter on its prototype, not an object literal with a getter of its own: V8
 * gives each object made by a literal with an accessor a map of its own (the accessor is a new
 * closure each time), maps live in the old generation, and that map kept the closure, the call's
 * context and everything it reaches alive across young-generation GCs until the next full GC.
 * Passing this per call promoted ~0.9 KB of every unary GET (trace-gc-nvp: 1,256 vs 334 B/call
 * without it), the largest part of the gap to the bare HTTP/2 floor (issue 14).
 */
export class CallWait implements WaitOptions {
  blocked?: boolean = undefined;
  readonly #source: CallSignal;

  constructor(source: CallSignal) {
    this.#source = source;
  }

  get signal(): AbortSignal {
    return signalOf(this.#source);
  }
}

/**
 * Runs one command. Rejects with the store's {@link StoreError} on bad input, and with a
 * cancellation ConnectError when the signal aborts first (a remote engine's command is then
 * abandoned; a synchronous command cannot be interrupted once started). A blocking command
 * (BLPOP, …) waits until it is served or times out; the signal ends the wait (the store removes
 * the waiter, so nothing is popped for a caller that went away). The reply is returned as it is
 * when the engine answers synchronously (the in-memory engine), else as a promise; errors are thrown.
 */
export function invoke(store: Store, argv: readonly Bytes[], signal: CallSignal): Reply | Promise<Reply> {
  // Not `async`: a synchronous engine's reply is returned as it is, so a handler that awaits it
  // pays no promise of ours (an async function's promise and frame per call are part of what a
  // unary call leaves to the young-generation GC). A throw here is a throw from the handler.
  checkSignal(signal);
  const wait = new CallWait(signal);
  const reply = store.commandLog.timing ? timedRun(store, argv, signal, wait) : store.run(argv, wait);
  if (!(reply instanceof Promise)) return reply;
  // The signal itself is read only here: a synchronous reply needs none. A blocked command is
  // never raced: the store settles it, and never drops an element it is serving.
  if (wait.blocked) return reply.catch((error: unknown) => rethrowAbort(error, signalOf(signal)));
  return raceSignal(reply, signalOf(signal));
}

/**
 * `store.run` timed for the command log (SLOWLOG, MONITOR): a synchronous reply or a thrown error
 * is recorded at once, an asynchronous one when it settles; a blocking command that waits is
 * recorded when it starts waiting (the wait is not its run time, as in Redis).
 */
function timedRun(
  store: Store,
  argv: readonly Bytes[],
  source: CallSignal,
  wait?: WaitOptions,
): Reply | Promise<Reply> {
  const log = store.commandLog;
  const started = performance.now();
  const client = (): CommandClient => callClient(source);
  let reply: Reply | Promise<Reply> | undefined;
  try {
    reply = store.run(argv, wait);
  } finally {
    if (!(reply instanceof Promise) || wait?.blocked === true) log.record(argv, started, client);
  }
  if (!(reply instanceof Promise) || wait?.blocked === true) return reply;
  const record = (): void => log.record(argv, started, client);
  return reply.finally(record);
}

/** A blocked command ended by its call's signal fails as the call's cancellation (or deadline). */
function rethrowAbort(error: unknown, signal: AbortSignal): never {
  if (signal.aborted && error === signal.reason) throw abortError(signal);
  if (signal.aborted && !(error instanceof StoreError)) throw abortError(signal);
  throw error;
}

/**
 * Runs commands in order and returns each reply, a failed command's StoreError in its place (as
 * EXEC does). With a synchronous engine nothing awaits between commands, so the batch runs in one
 * turn and sees one consistent keyspace. With an asynchronous engine the commands are issued in
 * order and run concurrently (concurrent.ts: per-key order kept by the store's key locks), so a
 * batch is not one round trip after another.
 */
export async function invokeBatch(
  store: Store,
  argvs: readonly (readonly Bytes[])[],
  signal: CallSignal,
): Promise<(Reply | StoreError)[]> {
  checkSignal(signal);
  if (!store.repository.capabilities.synchronous) return invokeConcurrently(store, argvs, signal);
  const out: (Reply | StoreError)[] = [];
  for (const argv of argvs) {
    try {
      const reply = store.commandLog.timing ? timedRun(store, argv, signal) : store.run(argv);
      out.push(reply instanceof Promise ? await raceSignal(reply, signalOf(signal)) : reply);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      out.push(error);
    }
  }
  return out;
}

/**
 * A batch on an asynchronous (remote) engine: commands start in batch order without waiting for
 * each other (up to a window, concurrent.ts), so independent commands share round trips (the etcd
 * engine sends the fetches of one turn as one request) instead of paying one after another. Each
 * command takes its keys' place in the store's KeyedLock queue as it starts, in batch order, so
 * commands on the same key still run in order.
 */
function invokeConcurrently(
  store: Store,
  argvs: readonly (readonly Bytes[])[],
  signal: CallSignal,
): Promise<(Reply | StoreError)[]> {
  const keepStoreErrors = (error: unknown): StoreError => {
    if (!(error instanceof StoreError)) throw error;
    return error;
  };
  return runInOrder(argvs, (argv): Reply | StoreError | Promise<Reply | StoreError> => {
    try {
      const reply = store.commandLog.timing ? timedRun(store, argv, signal) : store.run(argv);
      return reply instanceof Promise ? raceSignal(reply, signalOf(signal)).catch(keepStoreErrors) : reply;
    } catch (error) {
      return keepStoreErrors(error);
    }
  });
}

/** Like {@link invokeBatch}, but throws the first failed command's error. */
export async function invokeAll(
  store: Store,
  argvs: readonly (readonly Bytes[])[],
  signal: CallSignal,
): Promise<Reply[]> {
  const replies = await invokeBatch(store, argvs, signal);
  for (const reply of replies) if (reply instanceof StoreError) throw reply;
  return replies as Reply[];
}

/**
 * `f(value)`, at once when `value` is not a promise, else when it settles: a handler maps a reply
 * that {@link invoke} returned synchronously without a promise of its own.
 */
export function mapReply<T, R>(value: T | Promise<T>, f: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
