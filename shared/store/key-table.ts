import { BigMap } from "./big-map.js";
import type { Bytes } from "./bytes.js";

const FNV_PRIME = 0x01000193;

/** FNV-1a over `key[from, to)`, continuing from `h`. */
function mix(h: number, key: Bytes, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * A 32-bit hash of a key: FNV-1a over its bytes, then murmur3's finalizer (every output bit
 * depends on every hashed byte, so any bit range spreads keys evenly). A key of 8 to 16 bytes
 * hashes 9 of them (its last 4 and the 5 around its middle), a key over 32 bytes its first 8,
 * middle 16 and last 16 bytes, so the cost stays bounded; other keys hash every byte.
 *
 * Why 9 bytes of the short keys most keyspaces use: each `charCodeAt` costs, and on a large
 * keyspace a lookup is bound by cache misses, so every instruction between two lookups lets the
 * CPU overlap fewer of them (hashing all 12 bytes of `key:00000001` made a lane lookup 0.5x a
 * bare `Map`; picking the lane without hashing costs nothing measurable). Hashing every byte of
 * keys under 8 bytes matters: sampling fewer left lanes up to 40 % above the mean, and a lane past
 * a power of two doubles its `Map`'s capacity (memory). Keys that differ only in bytes not hashed
 * share a lane (no worse than one `Map`).
 */
export function keyHash(key: Bytes): number {
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
  return (h ^ (h >>> 16)) >>> 0;
}

/** The lane of `key` among `2^bits` lanes: the low bits of {@link keyHash}, as the table picks them. */
export function laneOf(key: Bytes, bits = 6): number {
  return keyHash(key) & ((1 << bits) - 1);
}

/** Entries at which a table spreads from one `Map` into lanes. */
export const LANES_FROM = 1 << 15;

/**
 * Mean entries per lane the table keeps: once the table holds more than `lanes × LANE_MEAN`
 * entries, it adds a lane. Lanes then hold between about LANE_MEAN / 2 and 2 × LANE_MEAN entries.
 */
export const LANE_MEAN = 1 << 14;

/** Entries per lane `Map` before the table puts further keys of that lane in its overflow (below V8's 2^24). */
const DEFAULT_LANE_LIMIT = 16_000_000;

/** The view {@link KeyTable.mapFor} returns: where a key is, or would go. */
export interface KeySlot<V> {
  get(key: Bytes): V | undefined;
  readonly size: number;
}

/**
 * The keyspace's hash table: up to {@link LANES_FROM} entries one `Map` (insertion order, exactly
 * as a `Map`); past that, lanes chosen by {@link keyHash}, each lane a plain `Map` of at most a few
 * tens of thousands of entries, whatever the table's size (linear hashing: the table adds one lane
 * at a time as it grows, splitting the next lane in turn into two).
 *
 * Why lanes, and why bounded ones: V8 rehashes a `Map` in one step when it grows past its
 * capacity or when a delete leaves it under a quarter full (`Map.delete` shrinks the table
 * synchronously). On a 1M-entry map that step copies 262k entries and took 20–58 ms inside one
 * `delete`: no time budget of the expiry sweep can split it. A fixed number of lanes only divides
 * that: 64 lanes of a 10M-key table hold 156k entries each, and a mass expiry shrinks each one
 * by copying 39k–65k entries in one delete. Here no lane grows much past 2 × {@link LANE_MEAN}
 * entries, so no rehash — growth, shrink, or a split — copies more than that, at 1M keys or 100M.
 * A split builds two fresh maps from the lane (the lane's old map is left as it is, for iterators
 * on it); the table never merges lanes back when it shrinks (an emptied lane costs a small `Map`).
 *
 * Each lane is a plain `Map` (one monomorphic `get`): a lane that reaches V8's entry limit (only
 * keys whose hashed bytes collide can do that) sends its further keys to an overflow
 * {@link BigMap}, which a lookup reads only when the lane misses and the overflow exists.
 *
 * Iteration: like `Map`, iterators survive concurrent inserts and deletes, and a key present
 * throughout is visited exactly once — also across the spread and splits (an iterator walks the
 * maps that were the table's when it started; a map replaced since is finished as it was, skipping
 * keys deleted meanwhile; keys added after it started may be missed, as SCAN allows). With lanes,
 * the order is lane by lane.
 */
export class KeyTable<V> {
  private readonly laneLimit: number;
  private readonly laneMean: number;
  /** The one map while the table is small; null once spread into lanes. */
  private single: Map<Bytes, V> | null = new Map();
  private lanes: Map<Bytes, V>[] = [];
  /** Lanes = 2^level + next; lanes below `next` are split and picked with one more hash bit. */
  private lowMask = 0;
  private next = 0;
  /** Entries past which the table adds a lane (or spreads). */
  private growAt = LANES_FROM;
  /** Keys whose lane was full ({@link DEFAULT_LANE_LIMIT}); null while none. */
  private overflow: BigMap<Bytes, V> | null = null;
  /** Maps replaced by a spread, split or clear: iterators still on them skip keys deleted since. */
  private readonly retired = new WeakSet<Map<Bytes, V>>();
  private count = 0;

  /**
   * @param laneLimit entries per lane `Map` before its keys overflow (tests lower it). @default 16_000_000
   * @param laneMean mean entries per lane once spread (tests lower it to split often). @default {@link LANE_MEAN}
   */
  constructor(laneLimit = DEFAULT_LANE_LIMIT, laneMean = LANE_MEAN) {
    if (!Number.isInteger(laneLimit) || laneLimit < 1) throw new TypeError("laneLimit must be a positive integer");
    if (!Number.isInteger(laneMean) || laneMean < 1) throw new TypeError("laneMean must be a positive integer");
    this.laneLimit = laneLimit;
    this.laneMean = laneMean;
  }

  /** Number of entries (O(1)). */
  get size(): number {
    return this.count;
  }

  /** True once the table is spread into lanes. */
  get spread(): boolean {
    return this.single === null;
  }

  /** Number of lanes (1 while not spread). */
  get laneCount(): number {
    return this.single === null ? this.lanes.length : 1;
  }

  /** The lane map of `key`. */
  private laneFor(key: Bytes): Map<Bytes, V> {
    const single = this.single;
    if (single !== null) return single;
    const h = keyHash(key);
    let i = h & this.lowMask;
    if (i < this.next) i = h & ((this.lowMask << 1) | 1);
    return this.lanes[i] as Map<Bytes, V>;
  }

  get(key: Bytes): V | undefined {
    const v = this.laneFor(key).get(key);
    if (v !== undefined || this.overflow === null) return v;
    return this.overflow.get(key);
  }

  has(key: Bytes): boolean {
    return this.laneFor(key).has(key) || this.overflow?.has(key) === true;
  }

  /**
   * Where `key` is, or would go: a read then a write of one key through it hash the key once.
   * Valid until the table changes; write through {@link setIn}.
   */
  mapFor(key: Bytes): KeySlot<V> {
    const overflow = this.overflow;
    if (overflow?.has(key)) return overflow;
    return this.laneFor(key);
  }

  /** {@link set} through `slot`, which {@link mapFor} returned for `key` with no change since. */
  setIn(slot: KeySlot<V>, key: Bytes, value: V): this {
    if (slot instanceof BigMap) {
      slot.set(key, value); // already there: the overflow holds only keys it was given
      return this;
    }
    const lane = slot as Map<Bytes, V>;
    const before = lane.size;
    if (before >= this.laneLimit && !lane.has(key)) return this.addOverflow(key, value);
    lane.set(key, value);
    if (lane.size !== before && ++this.count > this.growAt) this.grow();
    return this;
  }

  set(key: Bytes, value: V): this {
    const lane = this.laneFor(key);
    const before = lane.size;
    if (before >= this.laneLimit || this.overflow !== null) {
      // A full lane, or a key that may live in the overflow: the slow path.
      return this.setIn(this.mapFor(key), key, value);
    }
    lane.set(key, value);
    if (lane.size !== before && ++this.count > this.growAt) this.grow();
    return this;
  }

  delete(key: Bytes): boolean {
    if (this.laneFor(key).delete(key) || this.overflow?.delete(key) === true) {
      this.count--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.retireAll();
    this.single = new Map();
    this.lanes = [];
    this.lowMask = 0;
    this.next = 0;
    this.growAt = LANES_FROM;
    this.overflow = null;
    this.count = 0;
  }

  private addOverflow(key: Bytes, value: V): this {
    if (this.overflow === null) this.overflow = new BigMap<Bytes, V>(this.laneLimit);
    this.overflow.set(key, value);
    if (++this.count > this.growAt) this.grow();
    return this;
  }

  private retireAll(): void {
    if (this.single !== null) this.retired.add(this.single);
    for (const lane of this.lanes) this.retired.add(lane);
  }

  /**
   * Lays out the lanes a table of `entries` entries has, so that filling it up to that size splits
   * no lane (a bulk load that knows its key count: each key is then inserted once, never copied
   * by a split). Costs what the splits would have, at most one lane's entries copied per step, so
   * it is cheapest on an empty table. A table already that large is left as it is.
   */
  reserve(entries: number): void {
    if (!(entries > this.growAt) || !Number.isSafeInteger(entries)) return;
    // The spread a growing table makes (at LANES_FROM + 1 entries), then its splits: the same lanes.
    if (this.single !== null) this.spreadLanes(Math.max(this.count, LANES_FROM + 1));
    while (this.growAt < entries) this.grow();
  }

  /** Spreads the single map into lanes, or splits the next lane: one step, at most one lane's entries copied. */
  private grow(): void {
    if (this.single !== null) {
      this.spreadLanes(this.count);
      return;
    }
    this.split();
  }

  /** Spreads the single map into 2^bits lanes, of at most LANE_MEAN / 2 entries each once it holds `entries`. */
  private spreadLanes(entries: number): void {
    const single = this.single;
    if (single !== null) {
      let bits = 1;
      while (this.laneMean * 2 ** (bits - 1) < entries) bits++;
      const lanes: Map<Bytes, V>[] = [];
      for (let i = 0; i < 1 << bits; i++) lanes.push(new Map());
      const mask = (1 << bits) - 1;
      // forEach, not for-of: no [key, value] array per entry.
      single.forEach((value, key) => {
        (lanes[keyHash(key) & mask] as Map<Bytes, V>).set(key, value);
      });
      this.retired.add(single);
      this.lanes = lanes;
      this.lowMask = mask;
      this.next = 0;
      this.single = null;
      this.growAt = lanes.length * this.laneMean;
    }
  }

  /** Splits the next lane in turn into two fresh maps (linear hashing). */
  private split(): void {
    const lanes = this.lanes;
    const p = this.next;
    const old = lanes[p] as Map<Bytes, V>;
    const stay = new Map<Bytes, V>();
    const moved = new Map<Bytes, V>();
    const highBit = this.lowMask + 1;
    old.forEach((value, key) => {
      ((keyHash(key) & highBit) === 0 ? stay : moved).set(key, value);
    });
    this.retired.add(old);
    lanes[p] = stay;
    lanes.push(moved); // index p + highBit
    if (++this.next === highBit) {
      this.lowMask = (this.lowMask << 1) | 1;
      this.next = 0;
    }
    this.growAt = lanes.length * this.laneMean;
  }

  /** Entries per lane `Map` (the single map's while not spread), for tests and diagnostics. */
  laneSizes(): number[] {
    return this.single !== null ? [this.single.size] : this.lanes.map((lane) => lane.size);
  }

  *keys(): IterableIterator<Bytes> {
    const maps: Map<Bytes, V>[] = this.single !== null ? [this.single] : [...this.lanes];
    const overflow = this.overflow;
    const retired = this.retired;
    for (const map of maps) {
      for (const key of map.keys()) {
        // A map replaced meanwhile is frozen as it was: skip what was deleted since.
        if (!retired.has(map) || this.has(key)) yield key;
      }
    }
    if (overflow !== null) yield* overflow.keys();
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
