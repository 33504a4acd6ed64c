import { StoreError } from "./errors.js";

/**
 * Async locks for work that spans an `await` (a transaction on a remote repository, a snapshot
 * written while commands continue). A synchronous command on the in-memory engine needs none:
 * one JavaScript turn is atomic by construction.
 *
 * {@link RWLock} admits many readers or one writer, with writer preference; {@link KeyedLock}
 * locks sets of keys, one RWLock per key, created on demand and dropped when idle.
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

/**
 * Locks over sets of keys (byte strings), plus the whole keyspace.
 *
 * Each key has its own {@link RWLock}, created on demand and dropped as soon as it is idle, so
 * the map holds only keys in use. A request takes its keys one by one in sorted order, which
 * rules out deadlock between requests over overlapping sets. A whole-keyspace acquisition
 * ({@link exclusive}, for FLUSHALL or KEYS on a remote engine) excludes every key holder: key
 * requests hold a shared lock on the keyspace first, the keyspace request holds it exclusively.
 */
export class KeyedLock {
  private readonly keyspace = new RWLock();
  private readonly locks = new Map<string, RWLock>();

  /** Number of per-key locks alive (held or awaited); 0 when nothing is locked. */
  get size(): number {
    return this.locks.size;
  }

  /** True when nothing is held or awaited. */
  get idle(): boolean {
    return this.locks.size === 0 && this.keyspace.idle;
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
   * Locks every key of `request` (write wins over read for a key in both). Resolves with one
   * release for all of them; on cancellation, whatever was taken is released before rejecting.
   * A timeout bounds the whole acquisition, not each key.
   */
  async acquire(request: KeyLockRequest, options: AcquireOptions = {}): Promise<Release> {
    const modes = new Map<string, LockMode>();
    for (const key of request.read ?? []) modes.set(key, "read");
    for (const key of request.write ?? []) modes.set(key, "write");
    // Code-unit order: a total order over byte strings, the same for every request.
    const keys = [...modes.keys()].sort();
    const scope = cancelScope(options);
    const held: Release[] = [];
    try {
      held.push(await this.keyspace.acquire("read", scope.options));
      for (const key of keys) {
        const lock = this.lockFor(key);
        try {
          held.push(this.dropWhenIdle(key, lock, await lock.acquire(modes.get(key) as LockMode, scope.options)));
        } catch (error) {
          this.dropIfIdle(key, lock);
          throw error;
        }
      }
    } catch (error) {
      for (let i = held.length - 1; i >= 0; i--) (held[i] as Release)();
      throw error;
    } finally {
      scope.dispose();
    }
    return once(() => {
      for (let i = held.length - 1; i >= 0; i--) (held[i] as Release)();
    });
  }

  /** Locks the whole keyspace exclusively: waits for every key holder, blocks new ones. */
  exclusive(options?: AcquireOptions): Promise<Release> {
    return this.keyspace.acquire("write", options);
  }

  private lockFor(key: string): RWLock {
    let lock = this.locks.get(key);
    if (lock === undefined) {
      lock = new RWLock();
      this.locks.set(key, lock);
    }
    return lock;
  }

  private dropIfIdle(key: string, lock: RWLock): void {
    if (lock.idle && this.locks.get(key) === lock) this.locks.delete(key);
  }

  private dropWhenIdle(key: string, lock: RWLock, release: Release): Release {
    return once(() => {
      release();
      this.dropIfIdle(key, lock);
    });
  }
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

/**
 * Turns a caller's signal and timeout into one signal for a multi-step acquisition, so the
 * timeout bounds the whole and one abort cancels whichever step is waiting.
 */
function cancelScope(options: AcquireOptions): { options: AcquireOptions; dispose: () => void } {
  const { signal, timeoutMs } = options;
  // An invalid timeout is left for RWLock.acquire to refuse.
  if (timeoutMs === undefined || !(timeoutMs >= 0)) return { options, dispose: () => {} };
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(abortReason(signal as AbortSignal));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(timeoutError(timeoutMs)), timeoutMs);
  return {
    options: { signal: controller.signal },
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
