import type { Bytes } from "./bytes.js";
import type { KeyType, Value } from "./value.js";

/** A page of a keyspace scan. */
export interface ScanPage {
  /** The cursor to continue with; `"0"` when the scan is complete. */
  readonly cursor: string;
  /** Live (unexpired) keys found in this page. */
  readonly keys: Bytes[];
}

/** What a scan page keeps. */
export interface ScanFilter {
  /** A Redis glob over keys. */
  readonly match?: Bytes;
  /** Only keys of this type. */
  readonly type?: KeyType;
}

/**
 * The synchronous view a command works on while it runs. Every read applies lazy expiry first:
 * an expired key is never returned, counted, scanned or listed. Every write signals the key as
 * modified (for WATCH and persistence).
 */
export interface KeyView {
  /** The live value at `key`, or undefined (expired keys are deleted on the way, with an `expired` event). */
  lookup(key: Bytes): Value | undefined;
  /**
   * Stores `value` at `key`, creating or overwriting it. Clears any TTL unless `keepTtl`
   * (SET without KEEPTTL clears the TTL; in-place container updates never call put).
   */
  put(key: Bytes, value: Value, keepTtl?: boolean): void;
  /** Deletes `key` and its TTL. True when it existed (and was live). */
  remove(key: Bytes): boolean;
  /** The absolute deadline of `key` in ms since the epoch, or undefined when it has none or is missing. */
  expireAt(key: Bytes): number | undefined;
  /**
   * Sets the deadline of an existing live key (ms since the epoch). It only records the deadline: a
   * deadline already past is reclaimed on the next access or sweep (with an `expired` event).
   * Commands that must delete at once (EXPIRE with a time in the past emits `del`) call `remove`.
   */
  setExpireAt(key: Bytes, atMs: number): void;
  /** Removes the TTL of `key`; true when it had one. */
  persist(key: Bytes): boolean;
  /** Signals that the value at `key` changed in place (list push, hash set, …). */
  touch(key: Bytes): void;
  /** Number of live keys (exact: keys past their deadline are not counted). */
  size(): number;
  /** Number of live keys with a TTL (approximate: includes keys due but not yet reclaimed). */
  expiresSize(): number;
  /** One page of keys. `count` is the work hint, as in Redis: about that many keys are examined. */
  scan(cursor: string, count: number, filter: ScanFilter): ScanPage;
  /** A random live key, or undefined when the keyspace is empty. */
  randomKey(): Bytes | undefined;
  /** Deletes every key. Returns how many were removed. */
  flush(): number;
}

/** A change to one key, as a remote engine or persistence sees it. */
export interface WatchHandle {
  /** True when any watched key was modified (or expired, or deleted) since the watch began. */
  changed(): boolean;
  /** Stops watching. Idempotent. */
  release(): void;
}

/** Counters kept by a repository. */
export interface RepositoryStats {
  /** Live keys plus keys due but not yet reclaimed. */
  readonly keys: number;
  /** Keys that have a TTL. */
  readonly keysWithTtl: number;
  /** Keys removed because they expired (lazily or by the sweep). */
  readonly expiredKeys: number;
  /** Lookups that found a live key. */
  readonly hits: number;
  /** Lookups that found nothing. */
  readonly misses: number;
  /** Writes since start (modified-key signals). */
  readonly dirty: number;
}

/** The result of one active-expiry slice. */
export interface ExpireSliceResult {
  /** Keys with a TTL that were looked at. */
  readonly sampled: number;
  /** Of those, keys that were due and have been removed. */
  readonly expired: number;
}

/**
 * The storage engine behind a store: the seam where the embedded `Map` engine can be swapped for a
 * remote, asynchronous one (an etcd cluster) without touching the commands.
 *
 * Commands are synchronous functions over a {@link KeyView}. `atomic` runs one with exclusive
 * access to the keys it declares (the command table's key specs say which). The in-memory
 * engine runs it in place, synchronously, and returns its result directly: one JavaScript turn is
 * atomic by construction. A remote engine fetches the declared keys, runs the command on a local
 * view, and commits the changes with compare-and-swap on the keys' revisions, retrying on
 * conflict — so it returns a Promise. Callers must accept both (`T | Promise<T>`).
 */
export interface Repository {
  /** True when `atomic` and `watch` always return plain values (never Promises). */
  readonly synchronous: boolean;
  /**
   * Runs `fn` atomically over `keys` (or the whole keyspace when `keys` is null) at time `nowMs`.
   * Changes made by `fn` are committed only if it returns; an engine that stages writes discards
   * them when `fn` throws. The in-memory engine applies writes in place: callers that need
   * all-or-nothing across several commands (transactions) snapshot and restore the keys.
   */
  atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): T | Promise<T>;
  /** Starts watching `keys` for modification (optimistic transactions). */
  watch(keys: readonly Bytes[], nowMs: number): WatchHandle | Promise<WatchHandle>;
  /**
   * Looks at up to `sample` keys with a TTL, continuing where the last call stopped, and removes
   * those due at `nowMs`. Engines whose backend expires keys itself (etcd leases) omit it.
   */
  activeExpire?(nowMs: number, sample: number): ExpireSliceResult;
  /**
   * The earliest deadline of any key with a TTL (ms since the epoch), or undefined when none; cheap
   * (the sweep reads it after every cycle to wake at that instant). Engines without it are swept
   * on the cron schedule only.
   */
  nextDeadline?(): number | undefined;
  /** Counters. */
  stats(): RepositoryStats;
}
