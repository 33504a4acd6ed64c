/**
 * Test engines for the engine seam (tests only; runtime-neutral, so the browser project runs them).
 *
 * - {@link AwaitedRepository}: the Map engine behind an await, nothing else changed (the smallest
 *   asynchronous engine).
 * - {@link StagedRepository}: a model of a REMOTE engine (what the etcd engine does, in process):
 *   every capability is the remote one — asynchronous, writes staged and committed with
 *   compare-and-swap on per-key revisions (re-running the command on conflict), stateless
 *   hash-ordered SCAN cursors, KEYS as a snapshot in pages, its own expiry (no `activeExpire`),
 *   optionally publishing events itself from a shared "outbox" every attached store sees. Several
 *   stores may share one {@link StagedBackend}: a fleet of servers on one cluster.
 *
 * The staged view refuses any key its `atomic` call did not declare, and `WatchHandle.changed()`
 * refuses a watched key the transaction's `atomic` did not fetch: the seam's promises (declared
 * keys, WATCHed keys reach `atomic`) are checked on every command a test runs.
 */
import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { compileGlob } from "./glob.js";
import { MapRepository } from "./map-repository.js";
import type {
  EngineCapabilities,
  KeyspaceView,
  KeyView,
  Repository,
  RepositoryHost,
  RepositoryStats,
  ScanFilter,
  ScanPage,
  WatchHandle,
} from "./repository.js";
import { typeOf, type Value } from "./value.js";

/** A few microtask hops: what a round trip looks like to the event loop (no timers, so fast). */
export async function roundTrip(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => queueMicrotask(resolve));
}

/** The Map engine behind an await: asynchronous, otherwise unchanged (writes in place, store emits events). */
export class AwaitedRepository implements Repository {
  readonly capabilities: EngineCapabilities = {
    synchronous: false,
    stagesWrites: false,
    publishesEvents: false,
    lockKeyspaceReads: true,
  };
  readonly inner: MapRepository;

  constructor(inner = new MapRepository()) {
    this.inner = inner;
  }
  attach(host: RepositoryHost): void {
    this.inner.attach(host);
  }
  async atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): Promise<T> {
    await Promise.resolve();
    return this.inner.atomic(keys, nowMs, fn);
  }
  async atomicKeyspace<T>(nowMs: number, fn: (view: KeyspaceView) => T): Promise<T> {
    await Promise.resolve();
    return this.inner.atomicKeyspace(nowMs, fn);
  }
  watch(keys: readonly Bytes[], nowMs: number): WatchHandle {
    return this.inner.watch(keys, nowMs);
  }
  async scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): Promise<ScanPage> {
    await Promise.resolve();
    return this.inner.scanKeys(cursor, count, filter, nowMs);
  }
  listKeys(filter: ScanFilter, pageSize: number, nowMs: number): AsyncIterable<readonly Bytes[]> {
    const inner = this.inner;
    return (async function* () {
      for (const page of inner.listKeys(filter, pageSize, nowMs)) {
        await Promise.resolve();
        yield page;
      }
    })();
  }
  async countKeys(nowMs: number): Promise<number> {
    await Promise.resolve();
    return this.inner.countKeys(nowMs);
  }
  async randomKey(nowMs: number): Promise<Bytes | undefined> {
    await Promise.resolve();
    return this.inner.randomKey(nowMs);
  }
  async flushKeys(nowMs: number): Promise<number> {
    await Promise.resolve();
    return this.inner.flushKeys(nowMs);
  }
  stats(): RepositoryStats {
    return this.inner.stats();
  }
}

/** FNV-1a over a key's bytes: the SCAN order of {@link StagedRepository} (like the etcd layout's hash prefix). */
export function keyHash(key: Bytes): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

type Copy = { readonly value: Value; readonly atMs: number | undefined } | undefined;

/** What one attempt of an atomic call read: each key's copy and revision. */
interface Fetched {
  readonly copies: Map<Bytes, Copy>;
  readonly revisions: Map<Bytes, number>;
}

/**
 * The "cluster" behind one or more {@link StagedRepository}s: the committed keyspace (a Map
 * engine nobody runs commands on directly), a revision per key bumped by every change (writes,
 * deletes, lazy expiry, flush), and the outbox of published events.
 */
export class StagedBackend {
  readonly state: MapRepository;
  private readonly revisions = new Map<Bytes, number>();
  private revision = 0;
  private readonly outbox = new Set<(events: readonly KeyspaceEvent[]) => void>();
  /** Events of lazy/active expiry inside the backend, flushed to the outbox by the next commit. */
  private expired: KeyspaceEvent[] = [];
  /** Round trips made (reads, commits, keyspace pages), by every attached repository. */
  roundTrips = 0;
  private now = 0;

  constructor(random: () => number = Math.random) {
    this.state = new MapRepository({
      random,
      notify: (cls, event, key) => this.expired.push({ event, key, class: cls, atMs: this.now }),
    });
    this.state.addObserver({
      touched: (key) => this.revisions.set(key, ++this.revision),
      flushed: () => {},
      accessed: () => {},
    });
  }

  /** The revision of `key` (0: never written). */
  revisionOf(key: Bytes): number {
    return this.revisions.get(key) ?? 0;
  }

  /** Reads `keys` at `nowMs` (lazy expiry applies, and bumps the revision of an expired key). */
  fetch(keys: readonly Bytes[], nowMs: number): Fetched {
    this.now = nowMs;
    const copies = new Map<Bytes, Copy>();
    const revisions = new Map<Bytes, number>();
    this.state.atomic(null, nowMs, (view) => {
      for (const key of keys) copies.set(key, copyOut(view, key));
    });
    for (const key of keys) revisions.set(key, this.revisionOf(key));
    return { copies, revisions };
  }

  /** Every live key at `nowMs`, fetched like {@link fetch}; the revisions of every key ever written. */
  fetchAll(nowMs: number): Fetched {
    this.now = nowMs;
    const keys: Bytes[] = [];
    for (const page of this.state.listKeys({}, 1 << 30, nowMs)) for (const k of page) keys.push(k);
    const fetched = this.fetch(keys, nowMs);
    return { copies: fetched.copies, revisions: new Map(this.revisions) };
  }

  /**
   * Compare-and-swap: when every revision in `read` is unchanged, writes `writes` (undefined
   * deletes) and returns true; else changes nothing and returns false.
   */
  commit(read: ReadonlyMap<Bytes, number>, writes: ReadonlyMap<Bytes, Copy>, nowMs: number): boolean {
    for (const [key, rev] of read) if (this.revisionOf(key) !== rev) return false;
    this.now = nowMs;
    this.state.atomic(null, nowMs, (view) => {
      for (const [key, copy] of writes) copyIn(view, key, copy);
    });
    return true;
  }

  /** Deletes every key (bumping the revision of each); how many were live. */
  flush(nowMs: number): number {
    this.now = nowMs;
    for (const key of [...this.state.keys()]) this.revisions.set(key, ++this.revision);
    return this.state.flushKeys(nowMs);
  }

  /** Removes every key due at `nowMs` (the engine's own sweeper); returns how many. Its `expired` events wait for {@link publish} or {@link takeExpired}. */
  sweep(nowMs: number): number {
    this.now = nowMs;
    return this.state.activeExpire(nowMs, 1 << 30).expired;
  }

  /** Subscribes to the outbox; returns the unsubscriber. */
  subscribe(listener: (events: readonly KeyspaceEvent[]) => void): () => void {
    this.outbox.add(listener);
    return () => this.outbox.delete(listener);
  }

  /** Publishes a commit's events (after the expiry events the backend produced first). */
  publish(events: readonly KeyspaceEvent[]): void {
    const all = this.expired.length === 0 ? events : [...this.expired, ...events];
    this.expired = [];
    if (all.length === 0) return;
    for (const listener of this.outbox) listener(all);
  }

  /** Drops the expiry events not yet published (an engine that does not publish events). */
  takeExpired(): KeyspaceEvent[] {
    const out = this.expired;
    this.expired = [];
    return out;
  }
}

function copyOut(view: KeyView, key: Bytes): Copy {
  const value = view.lookup(key);
  if (value === undefined) return undefined;
  return { value: typeof value === "string" ? value : value.clone(), atMs: view.expireAt(key) };
}

function copyIn(view: KeyView, key: Bytes, copy: Copy): void {
  if (copy === undefined) {
    view.remove(key);
    return;
  }
  view.put(key, copy.value);
  if (copy.atMs !== undefined) view.setExpireAt(key, copy.atMs);
}

/** Options of {@link StagedRepository}. */
export interface StagedRepositoryOptions {
  /** The shared cluster (several stores on one backend form a fleet). @default a new one */
  readonly backend?: StagedBackend;
  /** Publish events from the backend's outbox (capability `publishesEvents`). @default true */
  readonly publishesEvents?: boolean;
  /** Offer `atomicKeyspace` (KEYS/SCAN/DBSIZE/RANDOMKEY inside MULTI). @default true */
  readonly keyspaceInTransactions?: boolean;
  /** Most attempts of one atomic call before ABORTED. @default 16 */
  readonly maxAttempts?: number;
  /** One network round trip. @default {@link roundTrip} (a few microtasks) */
  readonly roundTrip?: () => Promise<void>;
}

/**
 * A model of a remote engine, run in process (see the module comment). Not fast: correct, and
 * strict about the seam's contract.
 */
export class StagedRepository implements Repository {
  readonly capabilities: EngineCapabilities;
  readonly backend: StagedBackend;
  readonly atomicKeyspace?: <T>(nowMs: number, fn: (view: KeyspaceView) => T) => Promise<T>;
  private readonly maxAttempts: number;
  private readonly roundTrip: () => Promise<void>;
  private host: RepositoryHost | undefined;
  /** The revisions fetched by the attempt whose `fn` is running (WATCH answers from them). */
  private fetched: Map<Bytes, number> | undefined;
  /** True while that attempt covers the whole keyspace (a key missing from `fetched` is unwritten). */
  private fetchedWhole = false;
  /** Calls of `atomic` in progress, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Attempts that failed their compare-and-swap and were re-run. */
  conflicts = 0;
  private hits = 0;
  private misses = 0;
  private dirty = 0;

  constructor(options: StagedRepositoryOptions = {}) {
    this.backend = options.backend ?? new StagedBackend();
    this.maxAttempts = options.maxAttempts ?? 16;
    this.roundTrip = options.roundTrip ?? roundTrip;
    this.capabilities = {
      synchronous: false,
      stagesWrites: true,
      publishesEvents: options.publishesEvents ?? true,
      lockKeyspaceReads: false,
    };
    if (options.keyspaceInTransactions ?? true) {
      this.atomicKeyspace = (nowMs, fn) => this.run(null, nowMs, fn);
    }
  }

  attach(host: RepositoryHost): void {
    this.host = host;
    if (this.capabilities.publishesEvents) {
      this.backend.subscribe((events) => {
        if (host.events.listening) for (const e of events) host.events.emit(e);
      });
    }
  }

  atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): Promise<T> {
    if (keys === null) throw new TypeError("StagedRepository.atomic: keys are required on an asynchronous engine");
    return this.run(keys, nowMs, fn);
  }

  /** Fetch, run on a staged view, commit with CAS; re-run on conflict. */
  private async run<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyspaceView) => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        await this.roundTrip();
        this.backend.roundTrips++;
        const read = keys === null ? this.backend.fetchAll(nowMs) : this.backend.fetch(keys, nowMs);
        this.emitExpired();
        const stage = new StagedView(read.copies, keys === null, nowMs);
        this.fetched = read.revisions;
        this.fetchedWhole = keys === null;
        let result: T;
        try {
          result = fn(stage);
        } finally {
          this.fetched = undefined;
        }
        this.hits += stage.hits;
        this.misses += stage.misses;
        if (stage.written.size === 0 && stage.events.length === 0) return result; // a read: nothing to commit
        await this.roundTrip();
        this.backend.roundTrips++;
        // Compare every key read (a whole-keyspace call: every key, and no key may have appeared).
        const compare = new Map(read.revisions);
        if (keys === null) for (const key of this.backend.state.keys()) if (!compare.has(key)) compare.set(key, -1);
        if (this.backend.commit(compare, stage.writes(), nowMs)) {
          this.dirty += stage.written.size;
          if (this.capabilities.publishesEvents) this.backend.publish(stage.events);
          return result;
        }
        this.conflicts++;
      }
      throw new StoreError("ABORTED", `ERR conflict: the keys changed ${this.maxAttempts} times while the command ran`);
    } finally {
      this.inFlight--;
    }
  }

  /** Expiry events the backend produced while fetching: published (outbox) or emitted here. */
  private emitExpired(): void {
    if (this.capabilities.publishesEvents) {
      this.backend.publish([]); // through the outbox, to every attached store
      return;
    }
    const events = this.backend.takeExpired();
    const bus = this.host?.events;
    if (bus?.listening) for (const e of events) bus.emit(e);
  }

  async watch(keys: readonly Bytes[], nowMs: number): Promise<WatchHandle> {
    await this.roundTrip();
    this.backend.roundTrips++;
    const at = this.backend.fetch(keys, nowMs).revisions;
    this.emitExpired();
    return {
      keys: [...keys],
      changed: () => {
        const fetched = this.fetched;
        if (fetched === undefined) throw new TypeError("WatchHandle.changed() outside the transaction's atomic call");
        for (const [key, rev] of at) {
          const now = fetched.get(key) ?? (this.fetchedWhole ? 0 : undefined);
          if (now === undefined)
            throw new TypeError(`watched key '${key}' did not reach the transaction's atomic call`);
          if (now !== rev) return true;
        }
        return false;
      },
      release: () => {},
    };
  }

  /** Stateless SCAN: keys ordered by (hash, key); the cursor is the next hash + 1, as a decimal. */
  async scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): Promise<ScanPage> {
    await this.roundTrip();
    this.backend.roundTrips++;
    const from = cursor === "0" ? 0 : Number(cursor) - 1;
    if (!Number.isInteger(from) || from < 0 || from > 0xffffffff) throw new StoreError("INVALID_CURSOR");
    const all = this.liveKeys(nowMs)
      .map((key) => [keyHash(key), key] as const)
      .filter(([h]) => h >= from)
      .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    let end = Math.min(all.length, Math.max(1, count));
    // A page ends at a hash boundary, so keys sharing a hash are never split across pages.
    while (
      end < all.length &&
      (all[end] as readonly [number, Bytes])[0] === (all[end - 1] as readonly [number, Bytes])[0]
    )
      end++;
    const page = all.slice(0, end).map(([, key]) => key);
    const next = end < all.length ? String((all[end] as readonly [number, Bytes])[0] + 1) : "0";
    return { cursor: next, keys: this.filterKeys(page, filter) };
  }

  /** KEYS: one snapshot of the key list, handed out in pages (one round trip each). */
  listKeys(filter: ScanFilter, pageSize: number, nowMs: number): AsyncIterable<readonly Bytes[]> {
    const self = this;
    return (async function* () {
      await self.roundTrip();
      self.backend.roundTrips++;
      const keys = self.filterKeys(self.liveKeys(nowMs), filter);
      for (let i = 0; i < keys.length || i === 0; i += Math.max(1, pageSize)) {
        if (i !== 0) {
          await self.roundTrip();
          self.backend.roundTrips++;
        }
        yield keys.slice(i, i + Math.max(1, pageSize));
      }
    })();
  }

  async countKeys(nowMs: number): Promise<number> {
    await this.roundTrip();
    this.backend.roundTrips++;
    return this.backend.state.countKeys(nowMs);
  }

  async randomKey(nowMs: number): Promise<Bytes | undefined> {
    await this.roundTrip();
    this.backend.roundTrips++;
    const keys = this.liveKeys(nowMs);
    return keys.length === 0 ? undefined : keys[Math.floor(Math.random() * keys.length)];
  }

  async flushKeys(nowMs: number): Promise<number> {
    await this.roundTrip();
    this.backend.roundTrips++;
    return this.backend.flush(nowMs);
  }

  /** The engine's own expiry: removes every due key (the etcd engine's elected sweeper). */
  sweep(nowMs: number): number {
    const n = this.backend.sweep(nowMs);
    this.emitExpired();
    return n;
  }

  stats(): RepositoryStats {
    const s = this.backend.state.stats();
    return { ...s, hits: this.hits, misses: this.misses, dirty: this.dirty };
  }

  /** Live keys at `nowMs`, without reclaiming (a remote read does not delete). */
  private liveKeys(nowMs: number): Bytes[] {
    const out: Bytes[] = [];
    for (const key of this.backend.state.keys()) {
      const entry = this.backend.state.peek(key);
      if (entry !== undefined && (entry.expireAt === undefined || nowMs <= entry.expireAt)) out.push(key);
    }
    return out;
  }

  private filterKeys(keys: readonly Bytes[], filter: ScanFilter): Bytes[] {
    const match = filter.match === undefined ? null : compileGlob(filter.match);
    return keys.filter((key) => {
      if (match !== null && !match(key)) return false;
      if (filter.type === undefined) return true;
      const entry = this.backend.state.peek(key);
      return entry !== undefined && typeOf(entry.value) === filter.type;
    });
  }
}

/**
 * The staged view of one attempt: a Map engine holding copies of the fetched keys. It refuses
 * keys the call did not declare, records which keys were written, and collects events.
 */
class StagedView implements KeyspaceView {
  /** Keys written (their final state is read at commit). */
  readonly written = new Set<Bytes>();
  readonly events: KeyspaceEvent[] = [];
  private readonly stage = new MapRepository();
  private readonly declared: ReadonlySet<Bytes>;
  hits = 0;
  misses = 0;

  constructor(
    copies: ReadonlyMap<Bytes, Copy>,
    private readonly whole: boolean,
    private readonly nowMs: number,
  ) {
    this.stage.atomic(null, nowMs, (view) => {
      for (const [key, copy] of copies) copyIn(view, key, copy);
    });
    this.declared = new Set(copies.keys());
  }

  /** The final state of every written key. */
  writes(): Map<Bytes, Copy> {
    const out = new Map<Bytes, Copy>();
    this.stage.atomic(null, this.nowMs, (view) => {
      for (const key of this.written) out.set(key, copyOut(view, key));
    });
    return out;
  }

  private check(key: Bytes): void {
    if (!this.whole && !this.declared.has(key)) throw new TypeError(`key '${key}' was not declared to atomic`);
  }

  private on<T>(fn: (view: KeyspaceView) => T): T {
    return this.stage.atomic(null, this.nowMs, fn);
  }

  lookup(key: Bytes): Value | undefined {
    this.check(key);
    const v = this.on((view) => view.lookup(key));
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }
  put(key: Bytes, value: Value, keepTtl?: boolean): void {
    this.check(key);
    this.on((view) => view.put(key, value, keepTtl));
    this.written.add(key);
  }
  remove(key: Bytes): boolean {
    this.check(key);
    const r = this.on((view) => view.remove(key));
    if (r) this.written.add(key);
    return r;
  }
  expireAt(key: Bytes): number | undefined {
    this.check(key);
    return this.on((view) => view.expireAt(key));
  }
  setExpireAt(key: Bytes, atMs: number): void {
    this.check(key);
    this.on((view) => view.setExpireAt(key, atMs));
    this.written.add(key);
  }
  persist(key: Bytes): boolean {
    this.check(key);
    const r = this.on((view) => view.persist(key));
    if (r) this.written.add(key);
    return r;
  }
  touch(key: Bytes): void {
    this.check(key);
    this.written.add(key);
  }
  record(event: KeyspaceEvent): void {
    this.events.push(event);
  }
  size(): number {
    return this.on((view) => view.size());
  }
  scan(cursor: string, count: number, filter: ScanFilter): ScanPage {
    return this.on((view) => view.scan(cursor, count, filter));
  }
  randomKey(): Bytes | undefined {
    return this.on((view) => view.randomKey());
  }
  flush(): number {
    throw new TypeError("flush inside a staged atomic call");
  }
}
