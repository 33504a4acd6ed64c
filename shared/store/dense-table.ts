import type { Bytes } from "./bytes.js";
import { MAP_ENTRY_BYTES, stringHeapBytes } from "./object-info.js";

/**
 * The storage shared by hashes and sets: names (fields or members) in a dense array, with an
 * optional parallel array of values, and — past {@link INDEX_THRESHOLD} names — a `Map` from name
 * to its slot.
 *
 * Why this shape:
 * - **Random picks are O(1)** (HRANDFIELD, SRANDMEMBER, SPOP): a slot is drawn uniformly from the
 *   dense array; a `Map` alone would need an O(n) walk.
 * - **Removal is O(1)** once indexed: the last slot is swapped into the hole (swap-remove).
 * - **Memory**: a small table is only its arrays (one pointer per name, one per value), like
 *   Redis's listpack for small hashes: lookups are a linear scan of at most 16 names, and no
 *   `Map` (≈100 bytes empty, then ≈32 bytes per entry) is paid for. Past the threshold the index
 *   costs about one `Map` entry per name, comparable to Redis's hashtable (dictEntry + bucket).
 *   Names and values are the argument strings themselves (no copies, no wrapper objects).
 * - **Small tables keep insertion order** (removal splices, as a listpack does), so small hashes
 *   list fields in the same order as Redis. Once indexed, a table stays indexed (as Redis never
 *   converts a hashtable back), which also keeps live scan iterators valid.
 */

/** Names beyond which a table builds its name → slot index. */
export const INDEX_THRESHOLD = 16;

/** A dense table of names, optionally with a value per name. */
export class DenseTable {
  /** The names, densely packed. */
  protected readonly names: Bytes[];
  /** The value of each name (same slot), or null for a set. */
  protected readonly vals: Bytes[] | null;
  /** Name → slot, built once the table outgrows {@link INDEX_THRESHOLD}. */
  private index: Map<Bytes, number> | null;

  /** An empty table; `withValues` for a hash. */
  constructor(withValues: boolean) {
    this.names = [];
    this.vals = withValues ? [] : null;
    this.index = null;
  }

  /** Number of names. */
  get size(): number {
    return this.names.length;
  }

  /** True once the name index exists (the "hashtable" representation). */
  get indexed(): boolean {
    return this.index !== null;
  }

  /** The slot of `name`, or -1. */
  find(name: Bytes): number {
    if (this.index === null) return this.names.indexOf(name);
    return this.index.get(name) ?? -1;
  }

  /** True when `name` is present. */
  has(name: Bytes): boolean {
    return this.find(name) !== -1;
  }

  /** The name in `slot` (0 ≤ slot < size). */
  nameAt(slot: number): Bytes {
    return this.names[slot] as Bytes;
  }

  /** Every name, in slot order (a copy). */
  nameList(): Bytes[] {
    return this.names.slice();
  }

  /** Appends a name that is not present yet (callers check with {@link find}). */
  protected append(name: Bytes, value?: Bytes): void {
    const slot = this.names.length;
    this.names.push(name);
    if (this.vals !== null) this.vals.push(value as Bytes);
    if (this.index !== null) this.index.set(name, slot);
    else if (slot + 1 > INDEX_THRESHOLD) this.buildIndex();
  }

  private buildIndex(): void {
    const index = new Map<Bytes, number>();
    for (let i = 0; i < this.names.length; i++) index.set(this.names[i] as Bytes, i);
    this.index = index;
  }

  /** Removes the name in `slot` (and its value). Small tables keep their order; indexed ones swap-remove. */
  removeAt(slot: number): void {
    const names = this.names;
    const vals = this.vals;
    if (this.index === null) {
      names.splice(slot, 1);
      if (vals !== null) vals.splice(slot, 1);
      return;
    }
    const name = names[slot] as Bytes;
    const last = names.length - 1;
    if (slot !== last) {
      const moved = names[last] as Bytes;
      names[slot] = moved;
      if (vals !== null) vals[slot] = vals[last] as Bytes;
      this.index.set(moved, slot);
    }
    names.pop();
    if (vals !== null) vals.pop();
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
    return Math.floor(random() * this.names.length);
  }

  /**
   * `count` distinct uniformly random slots (count ≤ size), in random order: a partial
   * Fisher–Yates shuffle over a virtual array of slots, with the swaps kept in a small `Map`,
   * so the cost is O(count) whatever the table's size.
   */
  randomSlots(count: number, random: () => number): number[] {
    const n = this.names.length;
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
    for (const name of this.names.slice()) {
      if (this.find(name) !== -1) yield name;
    }
  }

  /** Copies this table's content into `target` (an empty table of the same kind). */
  protected copyInto(target: DenseTable): void {
    for (const name of this.names) target.names.push(name);
    if (this.vals !== null && target.vals !== null) for (const v of this.vals) target.vals.push(v);
    target.index = this.index === null ? null : new Map(this.index);
  }

  /** Approximate heap bytes of the names, values, arrays and index. */
  protected tableBytes(): number {
    let bytes = 0;
    for (const name of this.names) bytes += stringHeapBytes(name.length);
    if (this.vals !== null) for (const v of this.vals) bytes += stringHeapBytes(v.length);
    const slots = this.vals === null ? 1 : 2;
    bytes += 8 * slots * this.names.length; // array slots (pointers)
    if (this.index !== null) bytes += MAP_ENTRY_BYTES * this.index.size;
    return bytes;
  }
}
