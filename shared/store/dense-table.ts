import type { Bytes } from "./bytes.js";
import { MAP_ENTRY_BYTES, stringHeapBytes } from "./object-info.js";

/**
 * The storage shared by hashes and sets: one dense array of entries — `[member, …]` for a set,
 * `[field, value, field, value, …]` for a hash (the stride) — and, past {@link INDEX_THRESHOLD}
 * entries, a `Map` from name to its slot.
 *
 * Why this shape:
 * - **Random picks are O(1)** (HRANDFIELD, SRANDMEMBER, SPOP): a slot is drawn uniformly from the
 *   dense array; a `Map` alone would need an O(n) walk.
 * - **Removal is O(1)** once indexed: the last entry is swapped into the hole (swap-remove).
 * - **Memory**: a small table is one exact-size array (one pointer per name and per value, no
 *   spare capacity), like Redis's listpack: lookups scan at most 16 names, and no `Map` (≈100
 *   bytes empty, then ≈32 bytes per entry) is paid for. Interleaving values with names saves a
 *   second array (≈50 bytes of headers). Past the threshold the index costs about one `Map`
 *   entry per name, comparable to Redis's hashtable (dictEntry + bucket), and the array grows by
 *   `push` (amortized O(1)). Names and values are the argument strings themselves (no copies).
 * - **Small tables keep insertion order** (removal splices, as a listpack does), so small hashes
 *   list fields in the same order as Redis. Once indexed, a table stays indexed (as Redis never
 *   converts a hashtable back), which also keeps live scan iterators valid.
 */

/** Entries beyond which a table builds its name → slot index. */
export const INDEX_THRESHOLD = 16;

/** A dense table of names, optionally with a value per name (see the file comment). */
export abstract class DenseTable {
  /** The entries, `stride` items each: the name, then (for a hash) its value. */
  protected items: Bytes[] = [];
  /** Name → slot, built once the table outgrows {@link INDEX_THRESHOLD}. */
  private index: Map<Bytes, number> | null = null;

  /** Items per entry: 1 for a set, 2 for a hash (a prototype getter: no per-object slot). */
  protected abstract get stride(): 1 | 2;

  /** Number of entries. */
  get size(): number {
    return this.stride === 1 ? this.items.length : this.items.length >> 1;
  }

  /** True once the name index exists (the "hashtable" representation). */
  get indexed(): boolean {
    return this.index !== null;
  }

  /** The slot of `name`, or -1. */
  find(name: Bytes): number {
    if (this.index !== null) return this.index.get(name) ?? -1;
    const items = this.items;
    const stride = this.stride;
    for (let i = 0; i < items.length; i += stride) if (items[i] === name) return i / stride;
    return -1;
  }

  /** True when `name` is present. */
  has(name: Bytes): boolean {
    return this.find(name) !== -1;
  }

  /** The name in `slot` (0 ≤ slot < size). */
  nameAt(slot: number): Bytes {
    return this.items[slot * this.stride] as Bytes;
  }

  /** Every name, in slot order (a new array). */
  nameList(): Bytes[] {
    if (this.stride === 1) return this.items.slice();
    const items = this.items;
    const out = new Array<Bytes>(items.length >> 1);
    for (let i = 0, j = 0; i < items.length; i += 2, j++) out[j] = items[i] as Bytes;
    return out;
  }

  /** Appends an entry whose name is not present yet (callers check with {@link find}). */
  protected append(name: Bytes, value?: Bytes): void {
    const slot = this.size;
    if (this.index !== null) {
      this.items.push(name);
      if (this.stride === 2) this.items.push(value as Bytes);
      this.index.set(name, slot);
      return;
    }
    // Small: reallocate at the exact size (push would add half plus 16 slots of spare capacity).
    const old = this.items;
    const items = new Array<Bytes>(old.length + this.stride);
    for (let i = 0; i < old.length; i++) items[i] = old[i] as Bytes;
    items[old.length] = name;
    if (this.stride === 2) items[old.length + 1] = value as Bytes;
    this.items = items;
    if (slot + 1 > INDEX_THRESHOLD) this.buildIndex();
  }

  private buildIndex(): void {
    const index = new Map<Bytes, number>();
    const stride = this.stride;
    for (let i = 0; i < this.items.length; i += stride) index.set(this.items[i] as Bytes, i / stride);
    this.index = index;
  }

  /** Removes the entry in `slot`. Small tables keep their order; indexed ones swap-remove. */
  removeAt(slot: number): void {
    const items = this.items;
    const stride = this.stride;
    const at = slot * stride;
    if (this.index === null) {
      items.splice(at, stride);
      return;
    }
    const name = items[at] as Bytes;
    const last = items.length - stride;
    if (at !== last) {
      const moved = items[last] as Bytes;
      items[at] = moved;
      if (stride === 2) items[at + 1] = items[last + 1] as Bytes;
      this.index.set(moved, slot);
    }
    items.length = last;
    this.index.delete(name);
  }

  /** Removes `name`; true when it was present. */
  remove(name: Bytes): boolean {
    const slot = this.find(name);
    if (slot === -1) return false;
    this.removeAt(slot);
    return true;
  }

  /** A uniformly random slot (the table must not be empty). */
  randomSlot(random: () => number): number {
    return Math.floor(random() * this.size);
  }

  /**
   * `count` distinct uniformly random slots (count ≤ size), in random order: a partial
   * Fisher–Yates shuffle over a virtual array of slots, with the swaps kept in a small `Map`,
   * so the cost is O(count) whatever the table's size.
   */
  randomSlots(count: number, random: () => number): number[] {
    const n = this.size;
    const swaps = new Map<number, number>();
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (n - i));
      const picked = swaps.get(j) ?? j;
      swaps.set(j, swaps.get(i) ?? i);
      out[i] = picked;
    }
    return out;
  }

  /**
   * A live iterator over the names for the SCAN family. Indexed tables iterate the index `Map`,
   * whose iterators survive inserts and deletes: every name present for the whole scan comes
   * exactly once. A small table (at most {@link INDEX_THRESHOLD} names) iterates a snapshot of its
   * names and skips those removed meanwhile, for the same promise.
   */
  scanNames(): Iterator<Bytes> {
    if (this.index !== null) return this.index.keys();
    return this.snapshotNames();
  }

  private *snapshotNames(): Generator<Bytes> {
    for (const name of this.nameList()) {
      if (this.find(name) !== -1) yield name;
    }
  }

  /**
   * Drops the spare capacity `push` leaves in an indexed table's array (half again plus 16
   * slots). Commands call it on a table they have just created and filled. Small tables are
   * always exact already.
   */
  compact(): void {
    if (this.index !== null) this.items = this.items.slice();
  }

  /** Copies this table's content into `target` (an empty table of the same kind), without spare capacity. */
  protected copyInto(target: DenseTable): void {
    target.items = this.items.slice();
    target.index = this.index === null ? null : new Map(this.index);
  }

  /** Approximate heap bytes of the names, values, array and index. */
  protected tableBytes(): number {
    let bytes = 16 + 8 * this.items.length; // the array's slots (pointers)
    for (const item of this.items) bytes += stringHeapBytes(item.length);
    if (this.index !== null) bytes += MAP_ENTRY_BYTES * this.index.size;
    return bytes;
  }
}
