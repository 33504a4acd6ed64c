import { BigMap } from "./big-map.js";
import type { Bytes } from "./bytes.js";

/** Number of lanes (a power of two). */
const LANE_BITS = 6;
const LANES = 1 << LANE_BITS;

const FNV_PRIME = 0x01000193;

/** FNV-1a over `key[from, to)`, continuing from `h`. */
function mix(h: number, key: Bytes, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * The lane of a key: FNV-1a over its bytes, then murmur3's finalizer and the top bits. A key of
 * 8 to 16 bytes hashes 9 of them (its last 4 and the 5 around its middle), a key over 32 bytes its
 * first 8, middle 16 and last 16 bytes, so the cost stays bounded; other keys hash every byte.
 *
 * Why 9 bytes of the short keys most keyspaces use: each `charCodeAt` costs, and on a large
 * keyspace a lookup is bound by cache misses, so every instruction between two lookups lets the
 * CPU overlap fewer of them (hashing all 12 bytes of `key:00000001` made a lane lookup 0.5x a
 * bare `Map`; picking the lane without hashing costs nothing measurable). Hashing every byte of
 * keys under 8 bytes matters: sampling fewer left lanes up to 40 % above the mean, and a lane past
 * a power of two doubles its `Map`'s capacity (memory). Keys that differ only in bytes not hashed
 * share a lane (no worse than one `Map`).
 */
export function laneOf(key: Bytes): number {
  const n = key.length;
  let h: number;
  if (n < 8 || (n > 16 && n <= 32)) h = mix(n, key, 0, n);
  else if (n <= 16) {
    const m = (n >> 1) - 3;
    h = Math.imul(n ^ key.charCodeAt(m), FNV_PRIME);
    h = Math.imul(h ^ key.charCodeAt(m + 1), FNV_PRIME);
    h = Math.imul(h ^ key.charCodeAt(m + 2), FNV_PRIME);
    h = Math.imul(h ^ key.charCodeAt(m + 3), FNV_PRIME);
    h = Math.imul(h ^ key.charCodeAt(m + 4), FNV_PRIME);
    const tail =
      key.charCodeAt(n - 1) |
      (key.charCodeAt(n - 2) << 8) |
      (key.charCodeAt(n - 3) << 16) |
      (key.charCodeAt(n - 4) << 24);
    h ^= Math.imul(tail, 0x9e3779b1);
  } else {
    const m = n >> 1;
    h = mix(mix(mix(n, key, 0, 8), key, m - 8, m + 8), key, n - 16, n);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> (32 - LANE_BITS);
}

/** Entries at which a table spreads from one `Map` into lanes. */
export const LANES_FROM = 1 << 15;

/**
 * The keyspace's hash table: up to {@link LANES_FROM} entries one {@link BigMap} (insertion
 * order, exactly as a `Map`); past that, 64 lanes chosen by a cheap hash of the key, each lane a
 * {@link BigMap} (so no lane is bound by V8's 2^24 entry limit).
 *
 * Why lanes: V8 rehashes a `Map` in one step when it grows past its capacity or when a delete
 * leaves it under a quarter full (`Map.delete` shrinks the table synchronously). On a 1M-entry map
 * that step copies 262k entries and took 20–58 ms inside one `delete`: no time budget of the
 * expiry sweep can split it, so a mass expiry stalled the event loop for that long (and growing to
 * 16M keys copies 8M entries in one `set`). With 64 lanes each rehash moves 1/64 of the entries,
 * and the lanes reach their thresholds at different moments. The price is hashing the key (at
 * most 40 bytes) per operation, and one copy of {@link LANES_FROM}
 * entries (a few ms, once) when the table spreads. Small tables stay one `Map`, so their
 * iteration order is insertion order.
 *
 * Iteration: like `Map`, iterators survive concurrent inserts and deletes, and a key present
 * throughout is visited exactly once — also across the spread (an iterator started before it
 * finishes the old map, skipping keys deleted since; keys added after the spread may be missed,
 * as SCAN allows). With lanes, the order is lane by lane. Long keys that differ only outside the hashed bytes share a lane (no
 * worse than one `Map`).
 */
export class KeyTable<V> {
  private readonly shardLimit: number | undefined;
  /** The one map while the table is small; null once spread into lanes. */
  private single: BigMap<Bytes, V> | null;
  private lanes: BigMap<Bytes, V>[] = [];
  private count = 0;

  /** @param shardLimit entries per `Map` (see {@link BigMap}). */
  constructor(shardLimit?: number) {
    this.shardLimit = shardLimit;
    this.single = new BigMap<Bytes, V>(shardLimit);
  }

  /** Number of entries (O(1)). */
  get size(): number {
    return this.count;
  }

  /** True once the table is spread into lanes. */
  get spread(): boolean {
    return this.single === null;
  }

  private mapOf(key: Bytes): BigMap<Bytes, V> {
    return this.single ?? (this.lanes[laneOf(key)] as BigMap<Bytes, V>);
  }

  /**
   * The map that holds (or would hold) `key`: a read then a write of one key through it hash the
   * key's lane once. Valid until the table changes; write through {@link setIn}.
   */
  mapFor(key: Bytes): BigMap<Bytes, V> {
    return this.single ?? (this.lanes[laneOf(key)] as BigMap<Bytes, V>);
  }

  /** {@link set} through `map`, which {@link mapFor} returned for `key` with no change since. */
  setIn(map: BigMap<Bytes, V>, key: Bytes, value: V): this {
    const before = map.size;
    map.set(key, value);
    this.count += map.size - before;
    if (this.single !== null && this.count > LANES_FROM) this.spreadOut(this.single);
    return this;
  }

  get(key: Bytes): V | undefined {
    return (this.single ?? (this.lanes[laneOf(key)] as BigMap<Bytes, V>)).get(key);
  }

  has(key: Bytes): boolean {
    return this.mapOf(key).has(key);
  }

  set(key: Bytes, value: V): this {
    return this.setIn(this.mapOf(key), key, value);
  }

  delete(key: Bytes): boolean {
    if (!this.mapOf(key).delete(key)) return false;
    this.count--;
    return true;
  }

  clear(): void {
    this.single = new BigMap<Bytes, V>(this.shardLimit);
    this.lanes = [];
    this.count = 0;
  }

  /** Copies the single map into lanes; the old map is left untouched for iterators still on it. */
  private spreadOut(single: BigMap<Bytes, V>): void {
    const lanes: BigMap<Bytes, V>[] = [];
    for (let i = 0; i < LANES; i++) lanes.push(new BigMap<Bytes, V>(this.shardLimit));
    for (const [key, value] of single.entries()) (lanes[laneOf(key)] as BigMap<Bytes, V>).set(key, value);
    this.lanes = lanes;
    this.single = null;
  }

  *keys(): IterableIterator<Bytes> {
    const single = this.single;
    if (single !== null) {
      for (const key of single.keys()) {
        // Spread meanwhile: the old map is frozen, so skip what was deleted since.
        if (this.single === single || this.has(key)) yield key;
      }
      return;
    }
    for (const lane of [...this.lanes]) yield* lane.keys();
  }

  *entries(): IterableIterator<[Bytes, V]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value !== undefined || this.has(key)) yield [key, value as V];
    }
  }

  [Symbol.iterator](): IterableIterator<[Bytes, V]> {
    return this.entries();
  }
}
