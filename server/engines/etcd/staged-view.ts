/**
 * The view one attempt of a command runs on in the etcd engine: the declared keys as fetched from
 * etcd (raw envelopes + mod_revisions), decoded on first use, with every write staged in memory.
 * Nothing reaches etcd from here: the repository turns {@link StagedView.writes} into one
 * compare-and-swap transaction, and throws the whole view away on conflict or error.
 *
 * A read of a key that was not fetched (not declared by the command) or of a whole-keyspace
 * operation throws {@link NeedsRemote}: the repository performs it, remembers the answer, and runs
 * the command again from the start on a fresh view (commands are pure functions of view, time and
 * random source, so the re-run takes the same path up to that call).
 */
import type { Bytes } from "../../../shared/store/bytes.js";
import { StoreError } from "../../../shared/store/errors.js";
import type { EventClass, KeyspaceEvent } from "../../../shared/store/events.js";
import { compileGlob } from "../../../shared/store/glob.js";
import type { KeyView, ScanFilter, ScanPage } from "../../../shared/store/repository.js";
import { typeOf, type Value } from "../../../shared/store/value.js";
import { decodeEnvelope, envelopeDeadline } from "./envelope.js";

/** A key as fetched: its envelope and mod_revision ("0" when absent). */
export interface FetchedKey {
  readonly raw: Buffer | undefined;
  readonly mod: string;
}

/** What a re-run needs from etcd first. */
export type RemoteOp =
  | { readonly kind: "keys"; readonly keys: readonly Bytes[] }
  | { readonly kind: "size" }
  | { readonly kind: "scan"; readonly cursor: string; readonly count: number; readonly filter: ScanFilter }
  | { readonly kind: "random" }
  | { readonly kind: "flush" };

/** Thrown inside a command to ask the repository for something remote (see the module comment). */
export class NeedsRemote extends Error {
  constructor(readonly op: RemoteOp) {
    super("etcd engine: remote read needed (internal signal, never reaches a client)");
  }
}

/**
 * Thrown by a blind view (a blind write's first attempt, keys not read) when the command needs
 * the state the engine did not read: the engine reads the keys and runs the command again. One
 * shared instance: it is a signal, never an error a client sees.
 */
export const NEEDS_BASE: Error = new Error("etcd engine: keys must be read first (internal signal)");

/** The memo key of a remote op. */
export function remoteKey(op: RemoteOp): string {
  switch (op.kind) {
    case "scan":
      return `scan ${op.cursor} ${op.count} ${op.filter.match ?? ""} ${op.filter.type ?? ""}`;
    case "keys":
      return `keys ${op.keys.join("\u0000")}`;
    default:
      return op.kind;
  }
}

/** Whole-keyspace answers fetched for this command, by {@link remoteKey}. */
export type RemoteAnswers = Map<string, unknown>;

/** The state of a key a blind write did not read: unknown until the command overwrites it. */
export const BLIND: FetchedKey = Object.freeze({ raw: undefined, mod: "blind" });

class Slot {
  loaded = false;
  value: Value | undefined;
  atMs: number | undefined;
  /** The deadline stored in etcd (index entry to replace), whether or not the key is due. */
  readonly origAtMs: number | undefined;
  /** A write (or in-place change) happened. */
  dirty = false;
  /** The key was found due and reclaimed on the way (committed only with a real write). */
  reclaimed = false;

  constructor(readonly fetched: FetchedKey) {
    this.origAtMs = fetched.raw === undefined ? undefined : envelopeDeadline(fetched.raw);
  }

  load(): void {
    if (this.loaded) return;
    // A blind key's stored state is unknown: the engine must read it (see NEEDS_BASE).
    if (this.fetched === BLIND) throw NEEDS_BASE;
    this.loaded = true;
    if (this.fetched.raw === undefined) return;
    const e = decodeEnvelope(this.fetched.raw);
    this.value = e.value;
    this.atMs = e.atMs;
  }
}

/** The final state of a changed key, for the commit. */
export interface StagedWrite {
  readonly key: Bytes;
  readonly fetched: FetchedKey;
  /** The value to store, or undefined to delete. */
  readonly value: Value | undefined;
  readonly atMs: number | undefined;
  /** The deadline etcd holds now (its index entry). */
  readonly origAtMs: number | undefined;
  /** Not read (a blind write): compared with nothing; an index entry it leaves is the sweeper's (sweeper.ts). */
  readonly blind: boolean;
}

/**
 * A view over the whole keyspace (a transaction with KEYS/SCAN/DBSIZE/RANDOMKEY/FLUSHALL): every
 * stored key was fetched at one revision, so a key not fetched is absent, and the whole-keyspace
 * reads are answered here, seeing the transaction's own writes.
 */
export interface WholeKeyspace {
  /** The 64-bit hash that orders keys (SCAN cursors are positions in it). */
  hashOf(key: Bytes): bigint;
  /** Random source of RANDOMKEY. */
  random(): number;
}

/** Counters the view adds to. */
export interface ViewCounters {
  hits: number;
  misses: number;
}

const ABSENT: FetchedKey = { raw: undefined, mod: "0" };

/** One attempt's view (see the module comment). */
export class StagedView implements KeyView {
  private readonly slots = new Map<Bytes, Slot>();
  /** Events of this attempt, in order (lazy `expired` reclaims included). */
  readonly events: KeyspaceEvent[] = [];
  private wrote = false;
  /** Keys added or removed by this attempt's writes (DBSIZE inside a transaction sees them). */
  private sizeDelta = 0;
  /** Some keys were not read (a blind write's attempt): whole-keyspace answers need them read. */
  private readonly blind: boolean;

  constructor(
    fetched: ReadonlyMap<Bytes, FetchedKey>,
    private readonly now: number,
    private readonly answers: RemoteAnswers,
    private readonly counters: ViewCounters,
    private readonly whole?: WholeKeyspace,
  ) {
    let blind = false;
    for (const [key, f] of fetched) {
      this.slots.set(key, new Slot(f));
      if (f === BLIND) blind = true;
    }
    this.blind = blind;
  }

  /** True when the command wrote (a commit is needed); reclaims alone are left to the sweeper. */
  get hasWrites(): boolean {
    return this.wrote;
  }

  /** The fetched state of `key` (for WATCH handles), or a {@link NeedsRemote} signal. */
  fetchedOf(key: Bytes): FetchedKey {
    const f = this.slot(key).fetched;
    if (f === BLIND) throw NEEDS_BASE;
    return f;
  }

  /** True when `key` is live at this view's time, as stored in etcd (ignoring this attempt's writes). */
  liveInStore(key: Bytes): boolean {
    const s = this.slot(key);
    if (s.fetched === BLIND) throw NEEDS_BASE;
    if (s.fetched.raw === undefined) return false;
    return s.origAtMs === undefined || !(this.now > s.origAtMs);
  }

  private slot(key: Bytes): Slot {
    let s = this.slots.get(key);
    if (s === undefined) {
      if (this.whole === undefined) throw new NeedsRemote({ kind: "keys", keys: [key] });
      // The whole keyspace was fetched: a key that is not in it is absent.
      s = new Slot(ABSENT);
      this.slots.set(key, s);
    }
    return s;
  }

  /** True when `s` holds a value live at this view's time (no reclaim, no event: a read of the listing). */
  private isLive(s: Slot): boolean {
    s.load();
    return s.value !== undefined && (s.atMs === undefined || !(this.now > s.atMs));
  }

  /** The live keys of a whole-keyspace view, in hash order. */
  private liveKeys(whole: WholeKeyspace): { key: Bytes; hash: bigint; slot: Slot }[] {
    const out: { key: Bytes; hash: bigint; slot: Slot }[] = [];
    for (const [key, slot] of this.slots) if (this.isLive(slot)) out.push({ key, hash: whole.hashOf(key), slot });
    return out.sort((a, b) =>
      a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
  }

  /** The slot of `key` with lazy expiry applied. */
  private live(key: Bytes): Slot | undefined {
    const s = this.slot(key);
    s.load();
    if (s.value === undefined) return undefined;
    if (s.atMs !== undefined && this.now > s.atMs) {
      s.value = undefined;
      s.atMs = undefined;
      s.reclaimed = true;
      this.events.push({ event: "expired", key, class: "expired", atMs: this.now });
      return undefined;
    }
    return s;
  }

  private wrote_(s: Slot): void {
    s.dirty = true;
    this.wrote = true;
  }

  lookup(key: Bytes): Value | undefined {
    const b = this.slots.get(key);
    // A blind write promised its reply and writes do not depend on this lookup (blindWrite).
    if (b !== undefined && !b.loaded && b.fetched === BLIND) return undefined;
    const s = this.live(key);
    if (s === undefined) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return s.value;
  }

  put(key: Bytes, value: Value, keepTtl = false): void {
    const b = this.slots.get(key);
    if (b !== undefined && !b.loaded && b.fetched === BLIND && !keepTtl) {
      // Overwritten without being read: known from now on (the commit compares "no deadline").
      b.loaded = true;
      b.value = value;
      b.atMs = undefined;
      this.wrote_(b);
      return;
    }
    const s = this.live(key) ?? (this.slot(key) as Slot);
    if (s.value === undefined) this.sizeDelta++;
    s.value = value;
    if (!keepTtl) s.atMs = undefined;
    this.wrote_(s);
  }

  remove(key: Bytes): boolean {
    const s = this.live(key);
    if (s === undefined) return false;
    s.value = undefined;
    s.atMs = undefined;
    this.sizeDelta--;
    this.wrote_(s);
    return true;
  }

  expireAt(key: Bytes): number | undefined {
    return this.live(key)?.atMs;
  }

  setExpireAt(key: Bytes, atMs: number): void {
    const s = this.live(key);
    if (s === undefined) return;
    s.atMs = atMs;
    this.wrote_(s);
  }

  persist(key: Bytes): boolean {
    const s = this.live(key);
    if (s === undefined || s.atMs === undefined) return false;
    s.atMs = undefined;
    this.wrote_(s);
    return true;
  }

  touch(key: Bytes): void {
    const s = this.slot(key);
    s.load();
    this.wrote_(s);
  }

  /** The seam's event hook: a command's event, committed with its writes. */
  record(event: KeyspaceEvent): void {
    this.events.push(event);
  }

  /** The same, in the shape of a command context's `notify`. */
  notify(cls: EventClass, event: string, key: Bytes): void {
    this.events.push({ event, key, class: cls, atMs: this.now });
  }

  private remote<T>(op: RemoteOp): T {
    const k = remoteKey(op);
    if (!this.answers.has(k)) throw new NeedsRemote(op);
    return this.answers.get(k) as T;
  }

  size(): number {
    if (this.blind) throw NEEDS_BASE;
    if (this.whole !== undefined) {
      let n = 0;
      for (const slot of this.slots.values()) if (this.isLive(slot)) n++;
      return n;
    }
    return this.remote<number>({ kind: "size" }) + this.sizeDelta;
  }

  expiresSize(): number {
    if (this.blind) throw NEEDS_BASE;
    let n = 0;
    for (const s of this.slots.values()) if (s.loaded ? s.atMs !== undefined : s.origAtMs !== undefined) n++;
    return n;
  }

  scan(cursor: string, count: number, filter: ScanFilter): ScanPage {
    if (this.blind) throw NEEDS_BASE;
    if (this.whole === undefined) return this.remote<ScanPage>({ kind: "scan", cursor, count, filter });
    // The keyspace of this view is bounded (the repository's whole-keyspace limit): one page from
    // the cursor's hash to the end, so the cursor is the same stateless position as outside MULTI.
    let from: bigint;
    try {
      from = BigInt(cursor);
    } catch {
      from = -1n;
    }
    if (from < 0n || from >= 1n << 64n) throw new StoreError("INVALID_CURSOR");
    const match = filter.match === undefined ? null : compileGlob(filter.match);
    const keys: Bytes[] = [];
    for (const { key, hash, slot } of this.liveKeys(this.whole)) {
      if (hash < from) continue;
      if (match !== null && !match(key)) continue;
      if (filter.type !== undefined && typeOf(slot.value as Value) !== filter.type) continue;
      keys.push(key);
    }
    return { cursor: "0", keys };
  }

  randomKey(): Bytes | undefined {
    if (this.blind) throw NEEDS_BASE;
    if (this.whole === undefined) return this.remote<Bytes | undefined>({ kind: "random" });
    const live = this.liveKeys(this.whole);
    if (live.length === 0) return undefined;
    return live[Math.min(live.length - 1, Math.floor(this.whole.random() * live.length))]?.key;
  }

  flush(): number {
    if (this.blind) throw NEEDS_BASE;
    if (this.whole === undefined) return this.remote<number>({ kind: "flush" });
    let n = 0;
    for (const slot of this.slots.values()) {
      const live = this.isLive(slot);
      if (slot.value === undefined && slot.fetched.raw === undefined) continue;
      if (live) n++;
      // Due keys go too, silently (FLUSHALL announces nothing per key).
      slot.value = undefined;
      slot.atMs = undefined;
      this.wrote_(slot);
    }
    this.sizeDelta -= n;
    return n;
  }

  /** Every key this attempt changed (or reclaimed), with its final state. */
  writes(): StagedWrite[] {
    const out: StagedWrite[] = [];
    for (const [key, s] of this.slots) {
      if (!s.dirty && !s.reclaimed) continue;
      out.push({
        key,
        fetched: s.fetched,
        value: s.value,
        atMs: s.value === undefined ? undefined : s.atMs,
        origAtMs: s.origAtMs,
        blind: s.fetched === BLIND,
      });
    }
    return out;
  }

  /** Every fetched key and its mod_revision (the commit compares them all); blind keys are not read. */
  reads(): [Bytes, FetchedKey][] {
    const out: [Bytes, FetchedKey][] = [];
    for (const [k, s] of this.slots) if (s.fetched !== BLIND) out.push([k, s.fetched]);
    return out;
  }
}
