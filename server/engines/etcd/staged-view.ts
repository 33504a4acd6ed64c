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
import type { EventClass, KeyspaceEvent } from "../../../shared/store/events.js";
import type { KeyView, ScanFilter, ScanPage } from "../../../shared/store/repository.js";
import type { Value } from "../../../shared/store/value.js";
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
}

/** Counters the view adds to. */
export interface ViewCounters {
  hits: number;
  misses: number;
}

/** One attempt's view (see the module comment). */
export class StagedView implements KeyView {
  private readonly slots = new Map<Bytes, Slot>();
  /** Events of this attempt, in order (lazy `expired` reclaims included). */
  readonly events: KeyspaceEvent[] = [];
  private wrote = false;
  /** Keys added or removed by this attempt's writes (DBSIZE inside a transaction sees them). */
  private sizeDelta = 0;

  constructor(
    fetched: ReadonlyMap<Bytes, FetchedKey>,
    private readonly now: number,
    private readonly answers: RemoteAnswers,
    private readonly counters: ViewCounters,
  ) {
    for (const [key, f] of fetched) this.slots.set(key, new Slot(f));
  }

  /** True when the command wrote (a commit is needed); reclaims alone are left to the sweeper. */
  get hasWrites(): boolean {
    return this.wrote;
  }

  /** The fetched state of `key` (for WATCH handles), or a {@link NeedsRemote} signal. */
  fetchedOf(key: Bytes): FetchedKey {
    return this.slot(key).fetched;
  }

  /** True when `key` is live at this view's time, as stored in etcd (ignoring this attempt's writes). */
  liveInStore(key: Bytes): boolean {
    const s = this.slot(key);
    if (s.fetched.raw === undefined) return false;
    return s.origAtMs === undefined || !(this.now > s.origAtMs);
  }

  private slot(key: Bytes): Slot {
    const s = this.slots.get(key);
    if (s === undefined) throw new NeedsRemote({ kind: "keys", keys: [key] });
    return s;
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
    const s = this.live(key);
    if (s === undefined) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return s.value;
  }

  put(key: Bytes, value: Value, keepTtl = false): void {
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
    return this.remote<number>({ kind: "size" }) + this.sizeDelta;
  }

  expiresSize(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.loaded ? s.atMs !== undefined : s.origAtMs !== undefined) n++;
    return n;
  }

  scan(cursor: string, count: number, filter: ScanFilter): ScanPage {
    return this.remote<ScanPage>({ kind: "scan", cursor, count, filter });
  }

  randomKey(): Bytes | undefined {
    return this.remote<Bytes | undefined>({ kind: "random" });
  }

  flush(): number {
    return this.remote<number>({ kind: "flush" });
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
      });
    }
    return out;
  }

  /** Every fetched key and its mod_revision (the commit compares them all). */
  reads(): [Bytes, FetchedKey][] {
    return [...this.slots].map(([k, s]) => [k, s.fetched]);
  }
}
