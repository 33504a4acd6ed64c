import type { Bytes } from "./bytes.js";
import { KeyTable } from "./key-table.js";

/** Offsets below this magnitude are small integers (Smis) in V8, with or without pointer compression. */
const SMI_RANGE = 2 ** 30;

/**
 * Keys → expiry deadlines (ms since the epoch), without a heap object per deadline.
 *
 * A deadline in ms since the epoch (~1.8e12) is past V8's small-integer range, so a `Map` holds
 * each one as a boxed HeapNumber: 16 bytes and one more object per key for the GC to trace and
 * free (1M expiring keys freed 1M of them at once). Here a deadline is stored as its offset from
 * a base epoch (the first deadline stored while the table was empty), which is a Smi for every
 * integer deadline within ±12 days of the base; other deadlines (far away, or not integers) go to
 * a second table as plain numbers. Reads are exact: for integers the offset and its sum with the
 * base are exact doubles.
 */
export class Deadlines {
  /** Offsets from `base`, all Smis. */
  private readonly near: KeyTable<number>;
  /** Deadlines that are not a Smi away from `base`, as they are. */
  private readonly far: KeyTable<number>;
  private base = Number.NaN;

  /** @param shardLimit entries per `Map` (see {@link KeyTable}). */
  constructor(shardLimit?: number) {
    this.near = new KeyTable(shardLimit);
    this.far = new KeyTable(shardLimit);
  }

  /** Number of keys with a deadline. */
  get size(): number {
    return this.near.size + this.far.size;
  }

  /** The deadline of `key`, or undefined. */
  get(key: Bytes): number | undefined {
    const offset = this.near.get(key);
    if (offset !== undefined) return offset + this.base;
    return this.far.size === 0 ? undefined : this.far.get(key);
  }

  /**
   * True when `key` has a deadline and `nowMs` is past it (Redis: expired once now > deadline):
   * `get(key)` compared to `nowMs`, without boxing the deadline into a heap number to return it.
   */
  isPast(key: Bytes, nowMs: number): boolean {
    const offset = this.near.get(key);
    if (offset !== undefined) return nowMs > offset + this.base;
    if (this.far.size === 0) return false;
    const at = this.far.get(key);
    return at !== undefined && nowMs > at;
  }

  /** Sets the deadline of `key`. */
  set(key: Bytes, atMs: number): void {
    // Re-base while no offset depends on the base: a long-running process keeps getting Smis.
    if (this.near.size === 0 && Number.isInteger(atMs)) this.base = atMs;
    const offset = atMs - this.base;
    if (Number.isInteger(offset) && offset > -SMI_RANGE && offset < SMI_RANGE && Number.isInteger(atMs)) {
      this.near.set(key, offset);
      if (this.far.size !== 0) this.far.delete(key);
    } else {
      this.far.set(key, atMs);
      if (this.near.size !== 0) this.near.delete(key);
    }
  }

  /** Removes the deadline of `key`; true when there was one. */
  delete(key: Bytes): boolean {
    if (this.near.delete(key)) return true;
    return this.far.size !== 0 && this.far.delete(key);
  }

  /** Removes every deadline. */
  clear(): void {
    this.near.clear();
    this.far.clear();
    this.base = Number.NaN;
  }
}
