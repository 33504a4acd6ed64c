import type { Bytes } from "./bytes.js";
import type { Clock } from "./clock.js";
import { CursorRegistry } from "./cursor-registry.js";
import { StoreError } from "./errors.js";
import type { EventClass } from "./events.js";
import { ExpiryIndex } from "./expiry-index.js";
import { compileGlob } from "./glob.js";
import { OpenKeyTable } from "./key-table-open.js";
import { ObserverList } from "./observers.js";
import type {
  EngineCapabilities,
  ExpireSliceResult,
  KeyspaceView,
  LocalKeyspace,
  Repository,
  RepositoryHost,
  RepositoryObserver,
  RepositoryStats,
  ScanFilter,
  ScanPage,
  StoredEntry,
  WatchHandle,
} from "./repository.js";
import { typeOf, type Value } from "./value.js";

/** Largest due-key array {@link MapRepository.activeExpire} keeps for reuse (the sweep asks for 16). */
const MAX_REUSED_DUE = 4096;

/** Options of {@link MapRepository}. */
export interface MapRepositoryOptions {
  /** Called for changes the repository makes by itself (lazy expiry): `expired` events. */
  readonly notify?: (cls: EventClass, event: string, key: Bytes) => void;
  /** Random source for RANDOMKEY. @default Math.random */
  readonly random?: () => number;
  /** Most SCAN cursors parked at once. @default 1024 */
  readonly maxOpenCursors?: number;
}

export type { RepositoryObserver } from "./repository.js";

/** The Map engine's capabilities: synchronous, writes in place, events and expiry by the store. */
const MAP_CAPABILITIES: EngineCapabilities = Object.freeze({
  synchronous: true,
  stagesWrites: false,
  publishesEvents: false,
  lockKeyspaceReads: true,
});

interface WatchSlot {
  refs: number;
  version: number;
}

/**
 * The embedded storage engine: the keyspace in an {@link OpenKeyTable} (open addressing in
 * segments of bounded size, so no rehash stalls the loop, and no size limit),
 * with each key's deadline beside it in the table (a `Float64Array` per segment, allocated with its
 * first deadline) plus a deadline-ordered {@link ExpiryIndex}, so keys without a TTL cost nothing extra. Synchronous: `atomic` runs the
 * command in place. It is its own view ({@link KeyspaceView}) and its own {@link LocalKeyspace}.
 */
export class MapRepository implements Repository, KeyspaceView, LocalKeyspace {
  readonly capabilities = MAP_CAPABILITIES;
  private readonly data: OpenKeyTable<Value>;
  private readonly index = new ExpiryIndex();
  /** The array {@link activeExpire} pops due keys into (all slots ""), or null while in use. */
  private dueKeys: Bytes[] | null = [];
  /** What {@link activeExpire} returns, reused: the sweep calls it once per key (no object per call). */
  private readonly expireResult = { sampled: 0, expired: 0 };
  private readonly cursors: CursorRegistry<Iterator<Bytes>>;
  private readonly watched = new Map<Bytes, WatchSlot>();
  private notify: ((cls: EventClass, event: string, key: Bytes) => void) | undefined;
  private readonly random: () => number;
  /** The time of the command being run (read once per command by the caller). */
  private now = 0;
  private expiredKeys = 0;
  private hits = 0;
  private misses = 0;
  private dirty = 0;
  private readonly observers = new ObserverList();
  /** What sees every change ({@link addObserver}); unset (the default) costs one check per write. */
  private observer: RepositoryObserver | undefined = undefined;

  constructor(options: MapRepositoryOptions = {}) {
    this.data = new OpenKeyTable();
    this.cursors = new CursorRegistry(options.maxOpenCursors);
    this.notify = options.notify;
    this.random = options.random ?? Math.random;
  }

  /** Without a `notify` option, `expired` events of lazy and active expiry go to the store's bus. */
  attach(host: RepositoryHost): void {
    if (this.notify !== undefined) return;
    const { events, clock } = host;
    this.notify = (cls, event, key) => {
      if (events.listening) events.emit({ event, key, class: cls, atMs: clock.now() });
    };
  }

  /** This engine's keyspace is in memory: itself. */
  get local(): LocalKeyspace {
    return this;
  }

  atomic<T>(_keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyspaceView) => T): T {
    this.now = nowMs;
    return fn(this);
  }

  atomicKeyspace<T>(nowMs: number, fn: (view: KeyspaceView) => T): T {
    this.now = nowMs;
    return fn(this);
  }

  addObserver(observer: RepositoryObserver): () => void {
    const remove = this.observers.add(observer);
    this.observer = this.observers.current;
    return () => {
      remove();
      this.observer = this.observers.current;
    };
  }

  watch(keys: readonly Bytes[], nowMs: number): WatchHandle {
    this.now = nowMs;
    const slots: [WatchSlot, number, Bytes][] = [];
    for (const key of keys) {
      this.live(key); // reclaim an already-expired key first, so it does not count as a change
      let slot = this.watched.get(key);
      if (!slot) {
        slot = { refs: 0, version: 0 };
        this.watched.set(key, slot);
      }
      slot.refs++;
      slots.push([slot, slot.version, key]);
    }
    let released = false;
    return {
      keys: [...keys],
      changed: () => {
        for (const [slot, version, key] of slots) {
          this.live(key); // a key that expired since WATCH counts as modified, as in Redis 7
          if (slot.version !== version) return true;
        }
        return false;
      },
      release: () => {
        if (released) return;
        released = true;
        for (const [slot, , key] of slots) {
          if (--slot.refs === 0) this.watched.delete(key);
        }
      },
    };
  }

  /** True when `key` exists and is not past its deadline; reclaims it (with an event) if it is. */
  private live(key: Bytes): boolean {
    if (!this.data.has(key)) return false;
    if (this.data.deadlineCount === 0) return true;
    const at = this.data.deadlineOf(key);
    if (at !== undefined && this.now > at) {
      this.reclaim(key, at);
      return false;
    }
    return true;
  }

  private reclaim(key: Bytes, atMs: number): void {
    this.data.delete(key); // its deadline goes with it
    this.index.remove(key, atMs);
    this.expiredKeys++;
    this.touch(key);
    this.notify?.("expired", "expired", key);
  }

  lookup(key: Bytes): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    if (this.data.deadlineCount !== 0) {
      const at = this.data.deadlineOf(key);
      if (at !== undefined && this.now > at) {
        this.reclaim(key, at);
        this.misses++;
        return undefined;
      }
    }
    this.hits++;
    if (this.observer !== undefined) this.observer.accessed(key);
    return v;
  }

  /**
   * {@link lookup} at the time of `clock`, read only when some key has a deadline: without
   * deadlines no key's state depends on the time. One read of the deadline count; the caller
   * reads neither it nor the clock (the direct GET path, kept small for V8 to inline whole).
   */
  lookupAt(key: Bytes, clock: Clock): Value | undefined {
    if (this.data.deadlineCount !== 0) {
      this.now = clock.now();
      return this.lookup(key);
    }
    // lookup() without deadlines: no key can be due.
    const v = this.data.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.observer !== undefined) this.observer.accessed(key);
    return v;
  }

  /**
   * Exactly {@link lookup} then {@link put} (SET without options): counters, observer calls, lazy
   * expiry and events in the same order, but a key without a deadline costs one `Map` write
   * (without an observer: whether it existed shows in the size) or a read and a write with its
   * lane hashed once.
   * `clock` as in {@link lookupAt}: read only when some key has a deadline.
   */
  overwrite(key: Bytes, value: Value, clock: Clock): void {
    if (this.data.deadlineCount !== 0) {
      this.now = clock.now();
      if (this.data.deadlineOf(key) !== undefined) {
        this.lookup(key);
        this.put(key, value);
        return;
      }
    }
    if (this.observer === undefined) {
      // Whether the key existed shows in the size: one Map operation instead of a get and a set.
      const before = this.data.size;
      this.data.set(key, value);
      if (this.data.size !== before) this.misses++;
      else this.hits++;
    } else {
      // The observer sees the read before the write, so the old value is still stored then.
      const map = this.data.mapFor(key);
      if (map.get(key) === undefined) this.misses++;
      else {
        this.hits++;
        // The observer must not change the keyspace, so `map` stays the key's map.
        this.observer.accessed(key);
      }
      this.data.setIn(map, key, value);
    }
    this.touch(key);
  }

  put(key: Bytes, value: Value, keepTtl = false): void {
    if (this.data.deadlineCount !== 0) {
      const at = this.data.deadlineOf(key);
      if (at !== undefined) {
        // A key past its deadline is reclaimed first (as lookupKeyWrite does), so KEEPTTL never
        // keeps a deadline that has already passed.
        if (this.now > at) this.reclaim(key, at);
        else if (!keepTtl) {
          this.data.deleteDeadline(key);
          this.index.remove(key, at);
        }
      }
    }
    this.data.set(key, value);
    this.touch(key);
  }

  remove(key: Bytes): boolean {
    if (!this.live(key)) return false;
    if (this.data.deadlineCount !== 0) {
      const at = this.data.deadlineOf(key);
      if (at !== undefined) this.index.remove(key, at);
    }
    this.data.delete(key); // its deadline goes with it
    this.touch(key);
    return true;
  }

  expireAt(key: Bytes): number | undefined {
    if (!this.live(key)) return undefined;
    return this.data.deadlineCount === 0 ? undefined : this.data.deadlineOf(key);
  }

  setExpireAt(key: Bytes, atMs: number): void {
    if (!this.live(key)) return;
    const old = this.data.deadlineOf(key);
    if (old !== undefined) this.index.remove(key, old);
    this.data.setDeadline(key, atMs);
    this.index.add(key, atMs);
    this.touch(key);
  }

  persist(key: Bytes): boolean {
    if (!this.live(key)) return false;
    const at = this.data.deadlineOf(key);
    if (at === undefined) return false;
    this.data.deleteDeadline(key);
    this.index.remove(key, at);
    this.touch(key);
    return true;
  }

  touch(key: Bytes): void {
    this.dirty++;
    if (this.observer !== undefined) this.observer.touched(key);
    if (this.watched.size !== 0) {
      const slot = this.watched.get(key);
      if (slot) slot.version++;
    }
  }

  size(): number {
    return this.data.size - (this.index.size === 0 ? 0 : this.index.dueCount(this.now));
  }

  expiresSize(): number {
    return this.data.deadlineCount;
  }

  scan(cursor: string, count: number, filter: ScanFilter): ScanPage {
    let iter: Iterator<Bytes> | undefined;
    if (cursor === "0") iter = this.data.keys();
    else {
      iter = this.cursors.take(cursor, this.now);
      if (!iter) throw new StoreError("INVALID_CURSOR");
    }
    const match = filter.match === undefined ? null : compileGlob(filter.match);
    const keys: Bytes[] = [];
    const limit = Math.max(1, count);
    for (let examined = 0; examined < limit; examined++) {
      const next = iter.next();
      if (next.done) return { cursor: "0", keys };
      const key = next.value;
      if (match !== null && !match(key)) continue;
      // live(), not lookup(): SCAN does not count keyspace hits/misses, as in Redis.
      if (!this.live(key)) continue;
      if (filter.type !== undefined && typeOf(this.data.get(key) as Value) !== filter.type) continue;
      keys.push(key);
    }
    return { cursor: this.cursors.park(iter, this.now), keys };
  }

  scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): ScanPage {
    this.now = nowMs;
    return this.scan(cursor, count, filter);
  }

  /**
   * KEYS: pages of a live iterator over the keys (no cursor parked, so none can be evicted while
   * the store yields between pages). Each page applies lazy expiry at `nowMs`, the listing's time.
   */
  *listKeys(filter: ScanFilter, pageSize: number, nowMs: number): Generator<readonly Bytes[]> {
    const iter = this.data.keys();
    const match = filter.match === undefined ? null : compileGlob(filter.match);
    const size = Math.max(1, pageSize);
    for (;;) {
      this.now = nowMs; // other commands ran between pages
      const keys: Bytes[] = [];
      for (let examined = 0; examined < size; examined++) {
        const next = iter.next();
        if (next.done) {
          yield keys;
          return;
        }
        const key = next.value;
        if (match !== null && !match(key)) continue;
        if (!this.live(key)) continue;
        if (filter.type !== undefined && typeOf(this.data.get(key) as Value) !== filter.type) continue;
        keys.push(key);
      }
      yield keys;
    }
  }

  countKeys(nowMs: number): number {
    this.now = nowMs;
    return this.size();
  }

  flushKeys(nowMs: number): number {
    this.now = nowMs;
    return this.flush();
  }

  /** A random live key; `nowMs` (when given) is the time lazy expiry uses, else the last command's. */
  randomKey(nowMs?: number): Bytes | undefined {
    if (nowMs !== undefined) this.now = nowMs;
    // Bounded attempts: a keyspace made mostly of due keys reclaims some on every try.
    for (let attempt = 0; attempt < 100; attempt++) {
      const n = this.data.size;
      if (n === 0) return undefined;
      let skip = Math.floor(this.random() * n);
      // Map offers no random access; skipping is O(n) in the worst case, as KEYS is.
      for (const key of this.data.keys()) {
        if (skip-- > 0) continue;
        if (this.live(key)) return key;
        break;
      }
    }
    return undefined;
  }

  flush(): number {
    const n = this.size();
    // Only watched keys that exist are modified by a flush (Redis's touchAllWatchedKeysInDb).
    if (this.watched.size !== 0) {
      for (const [key, slot] of this.watched) if (this.data.has(key)) slot.version++;
    }
    this.data.clear();
    this.index.clear();
    this.cursors.clear();
    this.dirty += n;
    if (this.observer !== undefined) this.observer.flushed();
    return n;
  }

  activeExpire(nowMs: number, sample: number): ExpireSliceResult {
    this.now = nowMs;
    // One reused array instead of one per batch; taken while in use, so a listener that re-enters
    // (an `expired` event running a sweep) gets a fresh one.
    const due = this.dueKeys ?? [];
    this.dueKeys = null;
    const n = this.index.popDueInto(nowMs, sample, due);
    let expired = 0;
    for (let i = 0; i < n; i++) {
      const key = due[i] as Bytes;
      due[i] = ""; // hold no reference to a reclaimed key
      // The index entry is gone already; the key may have been re-set meanwhile.
      if (!this.data.isPast(key, nowMs)) continue;
      this.data.delete(key); // its deadline goes with it
      this.expiredKeys++;
      expired++;
      this.touch(key);
      this.notify?.("expired", "expired", key);
    }
    if (due.length <= MAX_REUSED_DUE) this.dueKeys = due; // a huge one-off sample is not kept
    // Written only here, after the loop: a nested call from an `expired` listener has returned and
    // been read by then.
    const result = this.expireResult;
    result.sampled = n;
    result.expired = expired;
    return result;
  }

  nextDeadline(): number | undefined {
    return this.index.earliest;
  }

  /**
   * The stored value and deadline of `key` as they are, without expiry, hit counting or events
   * (persistence and eviction read through it). Undefined when absent.
   */
  peek(key: Bytes): StoredEntry | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    return { value, expireAt: this.data.deadlineCount === 0 ? undefined : this.data.deadlineOf(key) };
  }

  /** Every stored key (live or due), for snapshots and eviction sampling. */
  keys(): IterableIterator<Bytes> {
    return this.data.keys();
  }

  /** Number of stored keys, due ones included (O(1)). */
  get storedSize(): number {
    return this.data.size;
  }

  reserve(keys: number, sample: readonly Bytes[]): void {
    this.data.layout(sample, keys);
  }

  stats(): RepositoryStats {
    return {
      keys: this.data.size,
      keysWithTtl: this.data.deadlineCount,
      expiredKeys: this.expiredKeys,
      hits: this.hits,
      misses: this.misses,
      dirty: this.dirty,
    };
  }
}
