/**
 * The engine seam: what a storage engine implements so the store's commands run on it unchanged.
 * The embedded `Map` engine ({@link MapRepository} in map-repository.ts) and remote engines (etcd,
 * in server/engines/) are peers behind this one contract; what only some engines can do is a
 * declared capability ({@link EngineCapabilities}, or an optional member such as
 * {@link Repository.local}), never an `instanceof` test. See "Engine seam" in README.md.
 */
import type { Bytes } from "./bytes.js";
import type { Clock } from "./clock.js";
import type { EventBus, KeyspaceEvent } from "./events.js";
import type { KeyType, Value } from "./value.js";

/** A value, or a Promise of it: what an engine returns (plain values from synchronous engines). */
export type MaybePromise<T> = T | Promise<T>;

/** A page of a keyspace scan. */
export interface ScanPage {
  /** The cursor to continue with; `"0"` when the scan is complete. A decimal uint64 (SCAN's rule). */
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
 * The synchronous view a command works on inside {@link Repository.atomic}: the keys the call
 * declared, and nothing else. Every read applies lazy expiry first: an expired key is never
 * returned. Every write signals the key as modified (WATCH, observers).
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
  /**
   * Present on the views of an engine with {@link EngineCapabilities.publishesEvents}: the command
   * running on this view emitted `event`; the engine commits it with the change (a failed attempt's
   * events are dropped with its writes) and publishes it once committed.
   */
  record?(event: KeyspaceEvent): void;
}

/**
 * A view of the WHOLE keyspace, given by {@link Repository.atomicKeyspace}: the per-key operations
 * plus synchronous whole-keyspace reads that see the writes made earlier in the same call
 * (MULTI … SET x … DBSIZE counts x). Used by transactions that contain KEYS, SCAN, DBSIZE or
 * RANDOMKEY, and by local tools (persistence load).
 */
export interface KeyspaceView extends KeyView {
  /** Number of live keys (exact: keys past their deadline are not counted). */
  size(): number;
  /** One page of keys. `count` is the work hint, as in Redis: about that many keys are examined. */
  scan(cursor: string, count: number, filter: ScanFilter): ScanPage;
  /** A random live key, or undefined when the keyspace is empty. */
  randomKey(): Bytes | undefined;
  /** Deletes every key. Returns how many were removed. */
  flush(): number;
}

/**
 * The keys present when a listing began, in pages: a sync iterable from an engine that can walk
 * its keyspace in place, an async one from a remote engine (one range request per page).
 */
export type KeyPages = Iterable<readonly Bytes[]> | AsyncIterable<readonly Bytes[]>;

/** What a WATCH holds; `changed()` is asked inside the transaction's `atomic`, which includes {@link keys}. */
export interface WatchHandle {
  /**
   * The watched keys. The transaction adds them to the key set of its `atomic` call, so a remote
   * engine fetches them with the transaction's keys and its commit compares their revisions
   * (another server's write aborts EXEC).
   */
  readonly keys: readonly Bytes[];
  /**
   * True when any watched key was modified (or expired, or deleted) since the watch began. Called
   * inside the transaction's `atomic` call (whose keys include {@link keys}): a remote engine
   * answers from the revisions it fetched for that call, and its commit compares them.
   */
  changed(): boolean;
  /** Stops watching. Idempotent. */
  release(): void;
}

/** Counters kept by a repository. */
export interface RepositoryStats {
  /** Live keys plus keys due but not yet reclaimed (a remote engine: its latest count). */
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
 * What an engine declares about itself. The store reads these once, at construction; nothing in
 * the core tests an engine's class.
 */
export interface EngineCapabilities {
  /**
   * Every method returns plain values, never Promises, and one JavaScript turn is atomic: the store
   * runs commands without key locks, `execSync` and the typed `get`/`set` work, and Batch runs in
   * one turn. False: the store holds its key lock (`Store.locks`) on a command's keys across the await,
   * and Batch/Pipeline run independent commands concurrently.
   */
  readonly synchronous: boolean;
  /**
   * `atomic` discards every write of `fn` when `fn` throws (writes are staged and committed only
   * when it returns). Transactions then skip their snapshot-and-restore rollback (no deep copies of
   * the containers they write). False: writes apply in place (the Map engine).
   */
  readonly stagesWrites: boolean;
  /**
   * The engine emits the keyspace events of every change into `host.events` itself (e.g. from a
   * watch on an outbox every server of a fleet writes its commits to), in its global commit order,
   * including this store's own changes. The store then emits none: its commands' `ctx.notify`
   * calls go to the view's {@link KeyView.record} (to be committed with the change).
   */
  readonly publishesEvents: boolean;
  /**
   * SCAN, KEYS, DBSIZE and RANDOMKEY hold the store's exclusive lock while they read (needed when a
   * read could observe half of another command's in-flight write). False: the engine reads at one
   * consistent revision, so the store only waits for commands issued before it (they keep their
   * order) and then reads without holding anything. Meaningless for a synchronous engine.
   */
  readonly lockKeyspaceReads: boolean;
}

/** What the store lends its engine at construction ({@link Repository.attach}). */
export interface RepositoryHost {
  /** The store's keyspace event bus (an engine that publishes events emits into it). */
  readonly events: EventBus;
  /** The store's clock. */
  readonly clock: Clock;
}

/**
 * Sees every change to a local keyspace (persistence, memory accounting). Called synchronously; it
 * must not change the keyspace itself.
 */
export interface RepositoryObserver {
  /** `key` was written, deleted or expired (its state right now is the result). */
  touched(key: Bytes): void;
  /** Every key was deleted (FLUSHALL/FLUSHDB). */
  flushed(): void;
  /** A live `key` was read (LRU/LFU bookkeeping). */
  accessed(key: Bytes): void;
}

/** A key's stored state as it is: no expiry applied, no counters, no events. */
export interface StoredEntry {
  readonly value: Value;
  /** Absolute deadline in ms since the epoch, or undefined. */
  readonly expireAt: number | undefined;
}

/**
 * The capability of an engine whose keyspace lives in this process's memory (the Map engine):
 * what persistence (`--data-dir`), eviction (`--maxmemory`) and the store's direct GET/SET path
 * need. Everything here is synchronous; it is itself a {@link KeyspaceView} at the time of the last
 * call that set one (loaders apply records to it directly). Remote engines do not offer it, and
 * the features built on it are refused with them.
 */
export interface LocalKeyspace extends KeyspaceView {
  /** {@link Repository.atomic}, synchronously. */
  atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyspaceView) => T): T;
  /** The stored state of `key` without expiry, hit counting or events; undefined when absent. */
  peek(key: Bytes): StoredEntry | undefined;
  /** Every stored key (live or due), live iteration (snapshots, eviction sampling). */
  keys(): IterableIterator<Bytes>;
  /** Number of stored keys, due ones included (O(1)). */
  readonly storedSize: number;
  /**
   * A hint before a bulk load (a snapshot whose key count is known): `keys` more keys are coming,
   * of which `sample` is a spread sample (drawn from across them). An engine may lay out its
   * tables for them up front, so the load does not reorganise them as it goes (the Map engine
   * sizes its table's segments: `OpenKeyTable.layout`). Only a hint: any keys may follow.
   */
  reserve?(keys: number, sample: readonly Bytes[]): void;
  /** Number of live keys at the last command's time. */
  size(): number;
  /** Number of keys with a TTL (0 means no key's state depends on the time). */
  expiresSize(): number;
  /**
   * `lookup` at the time of `clock`, which is read only when some key has a deadline (without
   * deadlines no key's state depends on the time). Counters, observers and events as `lookup`.
   */
  lookupAt(key: Bytes, clock: Clock): Value | undefined;
  /** Exactly `lookup` then `put` (SET without options), with the key hashed once. `clock` as in {@link lookupAt}. */
  overwrite(key: Bytes, value: Value, clock: Clock): void;
  /** Adds an observer of every change (a list: persistence and eviction both watch); returns its remover. */
  addObserver(observer: RepositoryObserver): () => void;
}

/** What a {@link Repository.atomic} call will do, as far as its caller knows. */
export interface AtomicIntent {
  /** True when `fn` never writes (a read-only command or transaction). */
  readonly readOnly: boolean;
  /**
   * True when neither `fn`'s result nor its writes depend on the keys' current state (every
   * command is a {@link CommandSpec.blindWrite}, nothing WATCHed): a remote engine may commit
   * without reading them first. Only `lookup` of an untouched key may then be answered as absent.
   */
  readonly blind?: boolean;
}

/**
 * The storage engine behind a store.
 *
 * Commands are synchronous functions over a {@link KeyView}. `atomic` runs one with exclusive
 * access to the keys it declares (the command table's key specs say which). The in-memory
 * engine runs it in place, synchronously, and returns its result directly: one JavaScript turn is
 * atomic by construction. A remote engine fetches the declared keys, runs the command on a local
 * staged view, and commits the changes with compare-and-swap on the keys' revisions, re-running
 * `fn` on conflict — so it returns a Promise. `fn` is a pure function of the view, the time and
 * the store's random source, so re-running it is safe. Callers accept both (`T | Promise<T>`).
 *
 * Whole-keyspace commands (SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHALL) do not go through `atomic`:
 * they call the paged operations below ({@link scanKeys}, {@link listKeys}, {@link countKeys},
 * {@link randomKey}, {@link flushKeys}), which a remote engine answers with one range request per
 * page. The store calls them under the lock policy of {@link EngineCapabilities.lockKeyspaceReads}.
 */
export interface Repository {
  /** What this engine can do (read once by the store). */
  readonly capabilities: EngineCapabilities;
  /**
   * Called once by the store that uses this engine, before any command. An engine that publishes
   * events, runs its own expiry, or emits `expired` for lazy reclaims keeps the host.
   */
  attach?(host: RepositoryHost): void;
  /**
   * Runs `fn` atomically over `keys` at time `nowMs`. `fn` may only touch `keys` (plus what
   * lazy expiry does to them). `keys` is null only on a synchronous engine, for a single command
   * whose keys the store did not compute (one turn is atomic there). Changes made by `fn` are
   * committed only if it returns; with {@link EngineCapabilities.stagesWrites} they are discarded
   * when it throws. Concurrent calls on disjoint keys may be coalesced into one round trip.
   * `intent` says whether `fn` may write (absent: it may); an engine may use it to read a write's
   * base more cheaply (a compare-and-swap validates it), never to weaken a read-only call.
   */
  atomic<T>(
    keys: readonly Bytes[] | null,
    nowMs: number,
    fn: (view: KeyView) => T,
    intent?: AtomicIntent,
  ): MaybePromise<T>;
  /**
   * Runs `fn` atomically over the whole keyspace, with synchronous whole-keyspace reads that see
   * `fn`'s own earlier writes (transactions containing KEYS, SCAN, DBSIZE or RANDOMKEY). It covers
   * every key, so a WATCH handle's `changed()` may ask about any key inside it, and the commit fails
   * if any key changed meanwhile. Engines that cannot omit it, and such a transaction is refused
   * with EXECABORT naming the command.
   */
  atomicKeyspace?<T>(nowMs: number, fn: (view: KeyspaceView) => T): MaybePromise<T>;
  /** Starts watching `keys` for modification (optimistic transactions). */
  watch(keys: readonly Bytes[], nowMs: number): MaybePromise<WatchHandle>;
  /**
   * One page of SCAN: about `count` keys examined from `cursor` ("0" starts). Every key present
   * for the whole scan is returned exactly once (the Map engine parks its iterator; a remote engine
   * makes the cursor the position itself, valid on any server). An unknown cursor throws
   * `StoreError("INVALID_CURSOR")`.
   */
  scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): MaybePromise<ScanPage>;
  /**
   * Every live key matching `filter`, in pages of about `pageSize` (KEYS). The store yields to
   * other clients between pages, so a huge keyspace does not stall the server. Each key present
   * for the whole listing is listed exactly once; a remote engine lists one revision (a snapshot).
   */
  listKeys(filter: ScanFilter, pageSize: number, nowMs: number): KeyPages;
  /** Number of live keys at `nowMs` (exact: keys past their deadline are not counted). DBSIZE. */
  countKeys(nowMs: number): MaybePromise<number>;
  /** A random live key, or undefined when the keyspace is empty (RANDOMKEY). */
  randomKey(nowMs: number): MaybePromise<Bytes | undefined>;
  /** Deletes every key; resolves with how many were live (FLUSHALL/FLUSHDB). Parked SCAN cursors die. */
  flushKeys(nowMs: number): MaybePromise<number>;
  /**
   * Looks at up to `sample` keys with a TTL, continuing where the last call stopped, and removes
   * those due at `nowMs`. Optional: an engine that expires keys itself (a remote engine's elected
   * sweeper) omits it and {@link nextDeadline}; the store's sweep then does nothing.
   *
   * The result may be one object the engine reuses: read it before the next call. (The sweep calls
   * this once per key during a mass expiry; an object per call was young garbage of ~40 bytes a
   * key, millions of them in a 10M-key drain.)
   */
  activeExpire?(nowMs: number, sample: number): ExpireSliceResult;
  /**
   * The earliest deadline of any key with a TTL (ms since the epoch), or undefined when none; cheap
   * (the sweep reads it after every cycle to wake at that instant). Engines without it are swept
   * on the cron schedule only.
   */
  nextDeadline?(): number | undefined;
  /** The keyspace in this process's memory, when it is (see {@link LocalKeyspace}); undefined for remote engines. */
  readonly local?: LocalKeyspace;
  /** Counters. */
  stats(): RepositoryStats;
}
