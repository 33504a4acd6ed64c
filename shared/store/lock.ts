import { StoreError } from "./errors.js";

/**
 * Async locks for work that spans an `await` (a transaction on a remote repository, a snapshot
 * written while commands continue). A synchronous command on the in-memory engine needs none:
 * one JavaScript turn is atomic by construction.
 *
 * {@link RWLock} admits many readers or one writer, with writer preference; {@link KeyedLock}
 * locks sets of keys, each key's queue created on demand and dropped when idle, and grants an
 * uncontended request synchronously.
 */

/** Releases a held lock. Idempotent: calling it again does nothing. */
export type Release = () => void;

/** Shared (`read`) or exclusive (`write`). */
export type LockMode = "read" | "write";

/** Options of an acquisition that may have to wait. */
export interface AcquireOptions {
  /**
   * Cancels the wait: the acquisition rejects with `signal.reason` (or an `ABORTED` StoreError)
   * and leaves the queue as if it had never waited. An already-aborted signal rejects at once,
   * even when the lock is free. A signal that fires after the grant is ignored.
   */
  readonly signal?: AbortSignal;
  /** Gives up after this many ms of waiting, with an `ABORTED` StoreError naming the timeout. */
  readonly timeoutMs?: number;
}

interface Waiter {
  readonly mode: LockMode;
  /** Hands the lock to the waiter (the lock's counters are already updated). */
  readonly grant: () => void;
}

/** The reason an acquisition is cancelled by `signal` (its reason, or a clear error if it has none). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new StoreError("ABORTED", "ERR lock acquisition aborted");
}

/** The error of an acquisition that waited `timeoutMs` in vain. */
function timeoutError(timeoutMs: number): StoreError {
  return new StoreError("ABORTED", `ERR lock wait timed out after ${timeoutMs} ms`);
}

/**
 * An asynchronous read/write lock: many readers or one writer.
 *
 * - **Writer preference**: once a writer waits, readers that arrive after it wait too, so a
 *   stream of overlapping readers can never starve a writer.
 * - **FIFO**: waiters are granted in arrival order; consecutive waiting readers are admitted
 *   together. Writers are served strictly first-come first-served, and readers queued behind a
 *   writer go right after it (so readers do not starve either).
 * - **Cancellation**: a waiting acquisition can be cancelled by an `AbortSignal` or a timeout.
 * - Releases are idempotent: a double release cannot corrupt the counts.
 */
export class RWLock {
  private activeReaders = 0;
  private writerActive = false;
  /** Waiters in arrival order. Non-empty only while the lock is held and the head cannot enter. */
  private readonly queue: Waiter[] = [];

  /** Readers holding the lock. */
  get readers(): number {
    return this.activeReaders;
  }

  /** True while a writer holds the lock. */
  get writing(): boolean {
    return this.writerActive;
  }

  /** Acquisitions waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** True when nobody holds or waits for the lock. */
  get idle(): boolean {
    return !this.writerActive && this.activeReaders === 0 && this.queue.length === 0;
  }

  /** Takes the lock in `mode` if that needs no waiting; undefined otherwise. */
  tryAcquire(mode: LockMode): Release | undefined {
    if (!this.canEnter(mode)) return undefined;
    this.enter(mode);
    return this.releaser(mode);
  }

  /** Shared acquisition (see {@link acquire}). */
  read(options?: AcquireOptions): Promise<Release> {
    return this.acquire("read", options);
  }

  /** Exclusive acquisition (see {@link acquire}). */
  write(options?: AcquireOptions): Promise<Release> {
    return this.acquire("write", options);
  }

  /**
   * Resolves with a release function once the lock is held in `mode`. Rejects only when the
   * wait is cancelled (`options.signal` or `options.timeoutMs`).
   */
  acquire(mode: LockMode, options: AcquireOptions = {}): Promise<Release> {
    const { signal, timeoutMs } = options;
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
      return Promise.reject(new TypeError(`timeoutMs must be a number >= 0, got ${timeoutMs}`));
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const now = this.tryAcquire(mode);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<Release>((resolve, reject) => {
      let timer: unknown;
      const cleanup = (): void => {
        signal?.removeEventListener("abort", onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const waiter: Waiter = {
        mode,
        grant: () => {
          cleanup();
          resolve(this.releaser(mode));
        },
      };
      const cancel = (reason: unknown): void => {
        const at = this.queue.indexOf(waiter);
        if (at < 0) return; // granted already: the grant wins
        this.queue.splice(at, 1);
        cleanup();
        // A cancelled writer at the head may have been all that held back the readers behind it.
        this.dispatch();
        reject(reason);
      };
      const onAbort = (): void => cancel(abortReason(signal as AbortSignal));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => cancel(timeoutError(timeoutMs)), timeoutMs);
      this.queue.push(waiter);
    });
  }

  /** True when an acquisition in `mode` may enter now without overtaking a waiter. */
  private canEnter(mode: LockMode): boolean {
    if (this.writerActive || this.queue.length !== 0) return false;
    return mode === "read" || this.activeReaders === 0;
  }

  private enter(mode: LockMode): void {
    if (mode === "write") this.writerActive = true;
    else this.activeReaders++;
  }

  private releaser(mode: LockMode): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mode === "write") this.writerActive = false;
      else this.activeReaders--;
      this.dispatch();
    };
  }

  /** Grants the head of the queue while it can enter (a run of readers enters together). */
  private dispatch(): void {
    while (this.queue.length !== 0 && !this.writerActive) {
      const head = this.queue[0] as Waiter;
      if (head.mode === "write" && this.activeReaders !== 0) return;
      this.queue.shift();
      this.enter(head.mode);
      head.grant();
    }
  }
}

/** Which keys to lock, and how; a key named in both lists is locked for writing. */
export interface KeyLockRequest {
  /** Keys read only (shared). */
  readonly read?: readonly string[];
  /** Keys changed (exclusive). */
  readonly write?: readonly string[];
}

/** A request of a {@link KeyedLock}, from its issue until its release or cancellation. */
interface Held {
  /** Its keys (each once) and the mode of each, or empty for a whole-keyspace request. */
  readonly keys: readonly string[];
  readonly modes: readonly LockMode[];
  /**
   * Key request: the number of whole-keyspace requests issued before it (it waits for those).
   * Whole-keyspace request: its own number, counting from 1 (it waits for key requests whose
   * number is below it).
   */
  readonly epoch: number;
  /** True for a whole-keyspace request. */
  readonly whole: boolean;
  /** Issue order (grants made at the same moment go out in it). */
  readonly seq: number;
  granted: boolean;
  /** The last {@link KeyedLock.remove} that listed it as a candidate (lists each once). */
  seen: number;
  /** Called once when granted after waiting (undefined when granted at issue). */
  grant: (() => void) | undefined;
}

/**
 * Locks over sets of keys (byte strings), plus the whole keyspace.
 *
 * A request joins the queue of each of its keys in ONE synchronous step when it is issued, so
 * requests are ordered by issue time on every key they share: commands issued in order on a key
 * run in that order (a Batch's commands on a remote engine rely on it), and since a request only
 * ever waits for requests issued before it, no set of requests can deadlock, whatever order
 * their keys are listed in. On each key, readers that reach the front together share it and a
 * writer waits for everything before it (a reader behind a waiting writer waits: writers do not
 * starve). An uncontended request is granted at once, with no promise or await
 * ({@link lock}); {@link acquire} is the same as a promise.
 *
 * A whole-keyspace acquisition ({@link exclusive}, for FLUSHALL or KEYS on a remote engine) waits
 * for every key request issued before it and holds back every one issued after it.
 */
export class KeyedLock {
  /** The requests on each key, in issue order (a key is absent when nobody holds or awaits it). */
  private readonly queues = new Map<string, KeyQueue>();
  /** Whole-keyspace requests alive, in issue order. */
  private readonly exclusives: Held[] = [];
  /** Key requests alive, by epoch (see {@link Held.epoch}). */
  private readonly byEpoch = new Map<number, number>();
  /** Key requests that had to wait for a whole-keyspace request, in issue order. */
  private keyspaceWaiters: Held[] = [];
  private exclusiveCount = 0;
  private issued = 0;
  private removals = 0;

  /** Number of keys held or awaited; 0 when nothing is locked. */
  get size(): number {
    return this.queues.size;
  }

  /** True when nothing is held or awaited. */
  get idle(): boolean {
    return this.queues.size === 0 && this.exclusives.length === 0 && this.byEpoch.size === 0;
  }

  /** Locks `keys` shared. */
  read(keys: readonly string[], options?: AcquireOptions): Promise<Release> {
    return this.acquire({ read: keys }, options);
  }

  /** Locks `keys` exclusively. */
  write(keys: readonly string[], options?: AcquireOptions): Promise<Release> {
    return this.acquire({ write: keys }, options);
  }

  /**
   * Locks every key of `request` (write wins over read for a key in both) and resolves with one
   * release for all of them. The request takes its place in every key's queue before this
   * returns. A cancellation (`options`) leaves every queue as if it had never been issued.
   */
  acquire(request: KeyLockRequest, options?: AcquireOptions): Promise<Release> {
    try {
      const held = this.lock(request, options);
      return held instanceof Promise ? held : Promise.resolve(held);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link acquire} without a promise when nothing it needs is held or awaited: returns the
   * release at once then, else a promise of it. Throws (rather than rejects) for an
   * already-aborted signal or an invalid timeout.
   */
  lock(request: KeyLockRequest, options?: AcquireOptions): Release | Promise<Release> {
    precheck(options);
    const keys: string[] = [];
    const modes: LockMode[] = [];
    const read = request.read ?? [];
    const write = request.write ?? [];
    // Each key once (write wins): a scan for a few keys, a Set past that.
    const seen = read.length + write.length > 8 ? new Set<string>() : undefined;
    for (let pass = 0; pass < 2; pass++) {
      const mode: LockMode = pass === 0 ? "write" : "read";
      for (const key of pass === 0 ? write : read) {
        if (seen === undefined ? keys.includes(key) : seen.has(key)) continue;
        seen?.add(key);
        keys.push(key);
        modes.push(mode);
      }
    }
    const held: Held = {
      keys,
      modes,
      epoch: this.exclusiveCount,
      whole: false,
      seq: this.issued++,
      granted: false,
      seen: 0,
      grant: undefined,
    };
    this.byEpoch.set(held.epoch, (this.byEpoch.get(held.epoch) ?? 0) + 1);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      let queue = this.queues.get(key);
      if (queue === undefined) {
        queue = { entries: [], writers: 0, waiting: 0 };
        this.queues.set(key, queue);
      }
      queue.entries.push(held);
      queue.waiting++;
      if (modes[i] === "write") queue.writers++;
    }
    if (!this.keyspaceFree(held)) this.keyspaceWaiters.push(held);
    return this.grantOrWait(held, options);
  }

  /** Locks the whole keyspace exclusively: waits for every key holder, blocks new ones. */
  exclusive(options?: AcquireOptions): Promise<Release> {
    try {
      const held = this.lockKeyspace(options);
      return held instanceof Promise ? held : Promise.resolve(held);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@link exclusive} without a promise when nothing is held or awaited. */
  lockKeyspace(options?: AcquireOptions): Release | Promise<Release> {
    precheck(options);
    const held: Held = {
      keys: [],
      modes: [],
      epoch: ++this.exclusiveCount,
      whole: true,
      seq: this.issued++,
      granted: false,
      seen: 0,
      grant: undefined,
    };
    this.exclusives.push(held);
    return this.grantOrWait(held, options);
  }

  /** The release of `held` now when it is ready, else a promise of it (cancellable by `options`). */
  private grantOrWait(held: Held, options: AcquireOptions | undefined): Release | Promise<Release> {
    if (this.ready(held)) {
      this.markGranted(held);
      return this.releaser(held);
    }
    const signal = options?.signal;
    const timeoutMs = options?.timeoutMs;
    return new Promise<Release>((resolve, reject) => {
      let timer: unknown;
      const cleanup = (): void => {
        signal?.removeEventListener("abort", onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      held.grant = () => {
        cleanup();
        resolve(this.releaser(held));
      };
      const cancel = (reason: unknown): void => {
        if (held.granted) return; // the grant wins
        cleanup();
        this.remove(held);
        reject(reason);
      };
      const onAbort = (): void => cancel(abortReason(signal as AbortSignal));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => cancel(timeoutError(timeoutMs)), timeoutMs);
    });
  }

  private releaser(held: Held): Release {
    return once(() => this.remove(held));
  }

  /** True when no whole-keyspace request keeps `held` (a key request) out. */
  private keyspaceFree(held: Held): boolean {
    const first = this.exclusives[0];
    return first === undefined || first.epoch > held.epoch;
  }

  /** True when `held` may enter now: it only waits for requests issued before it. */
  private ready(held: Held): boolean {
    if (held.whole) {
      if (this.exclusives[0] !== held) return false;
      for (const epoch of this.byEpoch.keys()) if (epoch < held.epoch) return false;
      return true;
    }
    if (!this.keyspaceFree(held)) return false;
    for (let i = 0; i < held.keys.length; i++) {
      const queue = this.queues.get(held.keys[i] as string) as KeyQueue;
      if (held.modes[i] === "write") {
        if (queue.entries[0] !== held) return false;
        continue;
      }
      if (queue.writers === 0) continue; // readers only: every one may enter
      for (const before of queue.entries) {
        if (before === held) break;
        if (modeOn(before, held.keys[i] as string) === "write") return false;
      }
    }
    return true;
  }

  /** Takes `held` out of every queue (released or cancelled) and grants whoever that lets in. */
  private remove(held: Held): void {
    const candidates: Held[] = [];
    const stamp = ++this.removals;
    if (held.whole) {
      this.exclusives.splice(this.exclusives.indexOf(held), 1);
      const next = this.exclusives[0];
      if (next !== undefined) candidates.push(next);
      const waiters = this.keyspaceWaiters;
      this.keyspaceWaiters = [];
      for (const w of waiters) {
        if (this.keyspaceFree(w)) candidates.push(w);
        else this.keyspaceWaiters.push(w);
      }
    } else {
      const left = (this.byEpoch.get(held.epoch) as number) - 1;
      if (left === 0) {
        this.byEpoch.delete(held.epoch);
        const next = this.exclusives[0];
        if (next !== undefined) candidates.push(next);
      } else this.byEpoch.set(held.epoch, left);
      if (!held.granted) {
        const at = this.keyspaceWaiters.indexOf(held);
        if (at >= 0) this.keyspaceWaiters.splice(at, 1);
      }
      for (let i = 0; i < held.keys.length; i++) {
        const key = held.keys[i] as string;
        const queue = this.queues.get(key) as KeyQueue;
        const entries = queue.entries;
        entries.splice(entries.indexOf(held), 1);
        if (held.modes[i] === "write") queue.writers--;
        if (!held.granted) queue.waiting--;
        if (entries.length === 0) {
          this.queues.delete(key);
          continue;
        }
        if (queue.waiting === 0) continue; // everyone left holds it already
        // Whoever is now at the front of this key: a writer, or a run of readers.
        for (const next of entries) {
          const mode = modeOn(next, key);
          if (mode === "write" && next !== entries[0]) break;
          if (!next.granted && next.seen !== stamp) {
            next.seen = stamp;
            candidates.push(next);
          }
          if (mode === "write") break;
        }
      }
    }
    if (candidates.length === 0) return;
    if (candidates.length > 1) candidates.sort((a, b) => a.seq - b.seq);
    for (const c of candidates) {
      if (c.granted || !this.ready(c)) continue;
      this.markGranted(c);
      c.grant?.();
    }
  }

  private markGranted(held: Held): void {
    held.granted = true;
    for (const key of held.keys) (this.queues.get(key) as KeyQueue).waiting--;
  }
}

/** The requests on one key, in issue order, with counts that let most checks skip the scan. */
interface KeyQueue {
  readonly entries: Held[];
  /** Entries that write the key. */
  writers: number;
  /** Entries not granted yet. */
  waiting: number;
}

/** The mode `held` has on `key`. */
function modeOn(held: Held, key: string): LockMode {
  return held.modes[held.keys.indexOf(key)] as LockMode;
}

/** Refuses an invalid timeout or an already-aborted signal, as {@link RWLock.acquire} does. */
function precheck(options: AcquireOptions | undefined): void {
  if (options === undefined) return;
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && !(timeoutMs >= 0))
    throw new TypeError(`timeoutMs must be a number >= 0, got ${timeoutMs}`);
  if (signal?.aborted) throw abortReason(signal);
}

/** Makes `fn` run at most once. */
function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
