import type { CommandResult } from "../../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { KeyspaceEvent } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { bytesFromUtf8 } from "../../../shared/store/bytes.js";
import { compileGlob } from "../../../shared/store/glob.js";
import type { Clients } from "../api/clients.js";
import { utf8 } from "./bytes.js";
import { typeOfName } from "./format.js";
import { deadlineOf, type KeyRow, rowOf, typeOfClass } from "./key-row.js";
import { readSize, SIZE_COMMANDS } from "./key-size.js";

/** What the key list shows: a glob over names and a type. */
export interface KeyFilter {
  readonly pattern: string;
  readonly type: KeyType;
  /** More globs the keys must match too, checked here (a folder's keys under the user's filter). */
  readonly also?: readonly string[];
}

/** True when `text` has a Redis glob character (`*`, `?`, `[`, or a `\` escape). */
export const hasGlob = (text: string): boolean => /[*?[\\]/.test(text);

/** `text` with every glob character escaped, so it matches only itself in a pattern. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&");

/**
 * What a filter box's text means: empty, every key; with a glob character, that Redis glob;
 * plain text, every key that CONTAINS it (`session` finds `user:1:session`) — the exact name is
 * also looked up directly (see the app).
 */
export const patternOf = (text: string): string => (text === "" ? "" : hasGlob(text) ? text : `*${text}*`);

/** Keys examined by the first Scan call of a load (the COUNT hint): one page, never the keyspace. */
export const SCAN_COUNT = 500;
/**
 * The largest COUNT: when a filter matches few keys, each call that finds few doubles COUNT up
 * to this, so a sparse filter crosses a 1M-key keyspace in ~100 calls while each call stays a
 * bounded piece of server work.
 */
export const MAX_SCAN_COUNT = 10_000;
/** Rows a "load more" aims to add before it stops scanning. */
const PAGE_ROWS = 200;

const REMOVING_EVENTS = new Set(["del", "expired", "evicted", "rename_from", "unlink"]);

/**
 * The key browser's model: the keys loaded so far by SCAN paging (never the whole keyspace),
 * kept current by keyspace events. Views subscribe and read {@link KeyBrowser.rows}.
 */
export class KeyBrowser {
  filter: KeyFilter = { pattern: "", type: KeyType.UNSPECIFIED };
  /** The next Scan cursor; "0" with {@link done} when the scan is complete. */
  cursor = "0";
  done = false;
  loading = false;
  /** Scan calls made for the current filter. */
  scanCalls = 0;
  /**
   * Keys examined so far: an estimate. KeysService.Scan's response (ScanResponse in
   * proto/memorabilia/v1/keys_service.proto) carries only the next cursor and the matching keys,
   * not how many keys the call examined, and COUNT is a hint (Redis may examine more or fewer),
   * so each call is counted as COUNT keys, capped at the keyspace size (DBSIZE) and set to it
   * exactly once the cursor comes back "0".
   */
  scanned = 0;
  /** The COUNT of the next Scan call (grows on sparse filters, see MAX_SCAN_COUNT). */
  count = SCAN_COUNT;
  /** Set to stop a load after its current call (the user's Stop). */
  private stopRequested = false;
  /** Keys in the keyspace (DBSIZE), refreshed with each load. */
  total = 0;
  error: string | null = null;
  private readonly keys = new Map<string, KeyRow>();
  private listeners = new Set<() => void>();
  private generation = 0;
  private cachedRows: KeyRow[] | null = null;
  private readingMemory = false;

  constructor(
    private readonly clients: Clients,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.cachedRows = null;
    for (const l of this.listeners) l();
  }

  /** The loaded keys: those added live first (newest first), then in scan order. */
  rows(): KeyRow[] {
    if (this.cachedRows) return this.cachedRows;
    const live: KeyRow[] = [];
    const scanned: KeyRow[] = [];
    for (const row of this.keys.values()) (row.liveAt ? live : scanned).push(row);
    live.sort((a, b) => b.liveAt - a.liveAt);
    this.cachedRows = live.concat(scanned);
    return this.cachedRows;
  }

  /** The row of a loaded key. */
  get(key: string): KeyRow | undefined {
    return this.keys.get(key);
  }

  /** How many keys are loaded. */
  get size(): number {
    return this.keys.size;
  }

  /** Forgets every loaded key and scans again from the start (a new filter, or after reconnecting). */
  async reset(filter: KeyFilter = this.filter): Promise<void> {
    this.generation++;
    this.filter = filter;
    this.keys.clear();
    this.cursor = "0";
    this.done = false;
    this.loading = false;
    this.scanCalls = 0;
    this.scanned = 0;
    this.count = SCAN_COUNT;
    this.error = null;
    this.changed();
    await this.loadMore();
  }

  /** Stops the load running (after its current call); the next loadMore goes on from there. */
  stop(): void {
    if (this.loading) this.stopRequested = true;
  }

  /**
   * Scans on from the cursor, in the background, until about a page of rows was added, the scan
   * is complete or {@link stop} was called: a sparse filter keeps scanning (with a growing
   * COUNT) instead of stopping after a few empty batches. Subscribers hear of each call's
   * progress. Resolves with the number of rows added, or null when it did not run (a load was
   * running, the scan was complete) or was superseded by a new filter.
   */
  async loadMore(): Promise<number | null> {
    if (this.loading || this.done) return null;
    const generation = this.generation;
    this.loading = true;
    this.stopRequested = false;
    this.changed();
    const before = this.keys.size;
    const also = (this.filter.also ?? []).map((g) => compileGlob(bytesFromUtf8(g)));
    try {
      this.total = Number((await this.clients.keys.dbSize({})).size);
      while (this.keys.size - before < PAGE_ROWS && !this.stopRequested) {
        const count = this.count;
        const page = await this.clients.keys.scan({
          cursor: this.cursor,
          count,
          type: this.filter.type,
          ...(this.filter.pattern ? { match: this.filter.pattern } : {}),
        });
        if (generation !== this.generation) return null;
        const now = this.now();
        let found = 0;
        for (const info of page.keys) {
          if (also.length > 0) {
            const name = bytesFromUtf8(info.key);
            if (!also.every((m) => m(name))) continue;
          }
          found++;
          if (!this.keys.has(info.key)) this.keys.set(info.key, rowOf(info, now));
        }
        this.scanCalls++;
        this.scanned = Math.min(this.scanned + count, this.total); // an estimate: see `scanned`
        this.cursor = page.cursor;
        if (page.cursor === "0") {
          this.done = true;
          break;
        }
        // Few matches in this call: examine more keys per call (a bounded amount of server work).
        if (found * 10 < count) this.count = Math.min(MAX_SCAN_COUNT, count * 2);
        this.changed();
      }
      if (this.done) this.scanned = this.total;
      this.error = null;
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
      throw error;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.changed();
      }
    }
    return this.keys.size - before;
  }

  /** Applies live keyspace events: removes deleted and expired keys, adds new ones, marks changed ones. */
  applyEvents(events: readonly KeyspaceEvent[]): void {
    const now = this.now();
    let changed = false;
    for (const e of events) {
      if (REMOVING_EVENTS.has(e.event)) {
        changed = this.keys.delete(e.key) || changed;
        continue;
      }
      const row = this.keys.get(e.key);
      const type = typeOfClass(e.class);
      // A TTL comes with the events that set one, and with every coalesced event of a key that exists.
      const deadline = e.ttl ? deadlineOf(e.ttl, now) : undefined;
      if (deadline !== undefined && deadline !== null && deadline <= now) {
        changed = this.keys.delete(e.key) || changed;
        continue;
      }
      if (row) {
        if (type !== KeyType.UNSPECIFIED) row.type = type;
        if (deadline !== undefined) row.deadline = deadline;
        else if (e.event === "persist") row.deadline = null;
        row.known = type !== KeyType.UNSPECIFIED && e.ttl !== undefined;
        row.dirty = true;
        changed = true;
        continue;
      }
      if (this.filter.type !== KeyType.UNSPECIFIED && type !== KeyType.UNSPECIFIED && type !== this.filter.type)
        continue;
      this.keys.set(e.key, {
        key: e.key,
        type,
        deadline: deadline ?? null,
        size: -1,
        memory: -1,
        liveAt: now,
        dirty: true,
        readAt: 0,
        known: type !== KeyType.UNSPECIFIED && e.ttl !== undefined,
      });
      changed = true;
    }
    if (changed) this.changed();
  }

  /** Removes keys whose deadline passed (they are gone on the server too); true when any was. */
  expireDue(now: number = this.now()): boolean {
    let removed = false;
    for (const [key, row] of this.keys) {
      if (row.deadline !== null && row.deadline <= now) {
        this.keys.delete(key);
        removed = true;
      }
    }
    if (removed) this.changed();
    return removed;
  }

  /**
   * Re-reads type, TTL, size and memory of up to `limit` changed keys among `keys` (the rows in
   * view; every loaded row while the list is sorted by memory), in one Batch call. Changed rows
   * elsewhere stay marked and are read when they come into view: what a row shows off screen
   * costs nothing. A row read less than `every` ms ago waits for its next turn, so a view of keys a
   * hot writer keeps changing costs the server a bounded number of re-reads per second, whatever
   * the write rate; a key never read (added live) is read at once. A row whose type and TTL came
   * with its last event ({@link KeyRow.known}) waits `everyKnown` ms (default `every`): only its
   * size and memory are stale, and a hot writer keeps every row in view changed, so this interval
   * sets what an open console costs that writer. What the live view promises
   * does not depend on these re-reads: new keys, removals, types and TTLs come with the events.
   */
  async refreshDirty(
    keys: Iterable<string>,
    options: { limit?: number; every?: number; everyKnown?: number } = {},
  ): Promise<void> {
    const { limit = 40, every = 0, everyKnown = every } = options;
    const now = this.now();
    const picked: string[] = [];
    for (const key of keys) {
      if (picked.length >= limit) break;
      const row = this.keys.get(key);
      if (!row?.dirty) continue;
      // A row whose type and TTL came live with its event lacks only its size and memory: those
      // may wait longer (`everyKnown`) than a row whose type or TTL is unknown.
      const wait = row.known === true ? everyKnown : every;
      if ((row.readAt === 0 || now - row.readAt >= wait) && !picked.includes(key)) picked.push(key);
    }
    if (picked.length === 0) return;
    for (const key of picked) (this.keys.get(key) as KeyRow).dirty = false;
    await this.refreshKeys(picked);
  }

  /**
   * Re-reads type, TTL, size and memory of `keys` in ONE TransactionService.Batch call (TYPE,
   * PTTL, the size command of the type the row has, MEMORY USAGE per key), not four calls per
   * key: a console open on keys a hot writer keeps changing costs the server one call per
   * refresh, whatever the number of keys. A row whose type and TTL came with its last live event
   * ({@link KeyRow.known}) gets only MEMORY USAGE and its size command: a Batch command costs the
   * server ~4-11 µs and ~5 KB of garbage, whatever it is (BENCHMARKS.md, session 9), and TYPE and
   * PTTL were half of a hot writer's re-reads. Only a key whose type was unknown or changed needs a
   * second call for its size. Keys gone, or no longer of the filter's type, leave.
   */
  async refreshKeys(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const raw = (...args: string[]) => ({ kind: { case: "raw" as const, value: { args: args.map(utf8) } } });
    const replyAt = (results: readonly CommandResult[], i: number) => {
      const r = results[i]?.kind;
      return r?.case === "raw" ? r.value.reply?.kind : undefined;
    };
    // Per key: TYPE and PTTL unless the row knows them, MEMORY USAGE, then the size command of the
    // row's type (known, or guessed: a wrong guess costs a second call).
    const known = keys.map((key) => {
      const row = this.keys.get(key);
      const k = row?.known === true && SIZE_COMMANDS.has(row.type);
      if (row) row.known = false;
      return k;
    });
    const guessed = keys.map((key) => SIZE_COMMANDS.get(this.keys.get(key)?.type ?? KeyType.UNSPECIFIED));
    const commands = keys.flatMap((key, i) => {
      const c = known[i]
        ? [raw("MEMORY", "USAGE", key)]
        : [raw("TYPE", key), raw("PTTL", key), raw("MEMORY", "USAGE", key)];
      const size = guessed[i];
      return size ? [...c, raw(size, key)] : c;
    });
    const first = await this.clients.transaction.batch({ commands });
    const now = this.now();
    const sized: { key: string; row: KeyRow; command: string }[] = [];
    let at = 0;
    keys.forEach((key, i) => {
      const base = at;
      at += (known[i] ? 1 : 3) + (guessed[i] ? 1 : 0);
      const row = this.keys.get(key);
      if (!row) return;
      let type: KeyType;
      if (known[i]) {
        // MEMORY USAGE answers nil for a key that is gone (its del event may still be on its way).
        if (replyAt(first.results, base)?.case !== "integer") {
          this.keys.delete(key);
          return;
        }
        type = row.type;
      } else {
        const t = replyAt(first.results, base);
        const ttl = replyAt(first.results, base + 1);
        if (t?.case !== "status" || ttl?.case !== "integer") return;
        type = typeOfName(t.value);
        if (type === KeyType.NONE || ttl.value === -2n) {
          this.keys.delete(key);
          return;
        }
        row.deadline = ttl.value < 0n ? null : now + Number(ttl.value);
      }
      if (this.filter.type !== KeyType.UNSPECIFIED && type !== this.filter.type) {
        this.keys.delete(key);
        return;
      }
      row.type = type;
      row.readAt = now;
      const memoryAt = known[i] ? base : base + 2;
      const memory = replyAt(first.results, memoryAt);
      row.memory = memory?.case === "integer" ? Number(memory.value) : -2;
      const command = SIZE_COMMANDS.get(type);
      const size = replyAt(first.results, memoryAt + 1);
      if (!command) row.size = -1;
      else if (command === guessed[i] && size?.case === "integer") row.size = Number(size.value);
      else sized.push({ key, row, command });
    });
    if (sized.length > 0) {
      const second = await this.clients.transaction.batch({ commands: sized.map((s) => raw(s.command, s.key)) });
      sized.forEach((s, i) => {
        const r = replyAt(second.results, i);
        s.row.size = r?.case === "integer" ? Number(r.value) : -1;
      });
    }
    this.changed();
  }

  /** Re-reads one key's type, TTL and size; drops it when it is gone or no longer matches the type filter. */
  async refreshKey(key: string): Promise<void> {
    const [type, ttl] = await Promise.all([this.clients.keys.type({ key }), this.clients.keys.ttl({ key })]);
    const now = this.now();
    const row = this.keys.get(key);
    if (!row) return;
    if (type.type === KeyType.NONE || (this.filter.type !== KeyType.UNSPECIFIED && type.type !== this.filter.type)) {
      this.keys.delete(key);
      this.changed();
      return;
    }
    row.type = type.type;
    row.deadline = deadlineOf(ttl.ttl, now);
    row.size = await readSize(this.clients, key, type.type);
    row.readAt = this.now();
    row.memory = -1; // re-read with the next readMemory
    this.changed();
  }

  /**
   * Reads MEMORY USAGE of up to `limit` loaded keys whose memory is unknown, those in `keys`
   * only: one TransactionService.Batch call per 500 keys (one round trip, a bounded amount of
   * server work). A key whose usage cannot be read (gone, outside a token's patterns) shows `?`.
   * Returns how many were read.
   */
  async readMemory(keys: Iterable<string>, limit = 2000): Promise<number> {
    if (this.readingMemory) return 0;
    const picked: string[] = [];
    for (const key of keys) {
      if (picked.length >= limit) break;
      if (this.keys.get(key)?.memory === -1) picked.push(key);
    }
    if (picked.length === 0) return 0;
    this.readingMemory = true;
    const generation = this.generation;
    const MEMORY = utf8("MEMORY");
    const USAGE = utf8("USAGE");
    try {
      for (let i = 0; i < picked.length; i += 500) {
        const chunk = picked.slice(i, i + 500);
        const res = await this.clients.transaction.batch({
          commands: chunk.map((key) => ({
            kind: { case: "raw", value: { args: [MEMORY, USAGE, utf8(key)] } },
          })),
        });
        if (generation !== this.generation) return 0;
        chunk.forEach((key, j) => {
          const row = this.keys.get(key);
          if (!row) return;
          const r = res.results[j]?.kind;
          const reply = r?.case === "raw" ? r.value.reply?.kind : undefined;
          row.memory = reply?.case === "integer" ? Number(reply.value) : -2;
        });
        this.changed();
      }
    } finally {
      this.readingMemory = false;
    }
    return picked.length;
  }

  /**
   * Lists a key this console just wrote (created, renamed to) at the top, and re-reads it, so it
   * shows even when no live stream reports it.
   */
  touch(key: string): void {
    const row = this.keys.get(key);
    if (row) row.dirty = true;
    else
      this.keys.set(key, {
        key,
        type: KeyType.UNSPECIFIED,
        deadline: null,
        size: -1,
        memory: -1,
        liveAt: this.now(),
        dirty: true,
        readAt: 0,
      });
    this.changed();
    void this.refreshKey(key).catch(() => {});
  }

  /** Re-reads the keyspace size (DBSIZE); when the scan is complete, `scanned` follows it. */
  async refreshTotal(): Promise<void> {
    const total = Number((await this.clients.keys.dbSize({})).size);
    if (total === this.total) return;
    this.total = total;
    this.scanned = this.done ? total : Math.min(this.scanned, total);
    this.changed();
  }

  /** Removes a key from the loaded set (after this console deleted or renamed it). */
  forget(key: string): void {
    if (this.keys.delete(key)) this.changed();
  }
}
