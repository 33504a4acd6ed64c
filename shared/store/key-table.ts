import { BigMap } from "./big-map.js";
import type { Bytes } from "./bytes.js";
import { systemRandom } from "./clock.js";

/**
 * Entries past which a lane splits (the table's first map included): no growth, shrink or split
 * rehash of a lane copies more than about this many entries, at 1M keys or 100M.
 *
 * Why 8192: a `Map`'s table is a power of two, so its memory per key depends on how full the
 * lanes are. Decimal ids split ten ways per byte: with 8192 a 1M-key keyspace of `key:%08d` ends
 * in 1000 lanes of 1000 keys (tables 98 % full, as the lanes of the old linear-hashing table were
 * at 1M), where a 16k or 32k bound leaves 100 lanes of 10k (61 % full: +16 bytes per key).
 */
export const LANE_SPLIT = 1 << 13;

/** Fan-out of a fork: it picks a child by the low 6 bits of one byte (or of a hash). */
const FANOUT = 64;
const PICK = FANOUT - 1;

/** The `at` of a fork that picks by a seeded hash of every byte (keys no single byte spreads). */
const HASHED = -0x40000000;

/** Keys a split looks at to choose its byte. */
const SAMPLE = 1024;

/**
 * Byte positions a split considers: the last 16 (counted from the end: ids usually end a key, or
 * come before a short suffix) and the first 16.
 */
const CANDIDATES: readonly number[] = [
  ...Array.from({ length: 16 }, (_, i) => -1 - i),
  ...Array.from({ length: 16 }, (_, i) => i),
];

/** A position is used when no child of its split would get more than this share of the sample. */
const GOOD_SPLIT = 0.6;

/** A split is undone (and retried at twice the size) when one child would get this share of the keys. */
const NO_PROGRESS = 0.9;

/** Entries per lane `Map` before the table puts further keys of that lane in its overflow (below V8's 2^24). */
const DEFAULT_LANE_LIMIT = 16_000_000;

/**
 * A seeded 32-bit hash of every byte of `key` (FNV-1a, then murmur3's finalizer), for the forks
 * whose keys no single byte spreads. Costs a read of every byte, so only such keys pay it. Each
 * hashed fork draws its seed at random, so which keys share its lanes cannot be planned from outside.
 */
export function seededHash(key: Bytes, seed: number): number {
  let h = (seed ^ key.length) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The empty map of every lane that has no key yet: never written (a write first gives the lane its own). */
const EMPTY: Map<Bytes, never> = new Map<Bytes, never>();

/** The view {@link KeyTable.mapFor} returns: where a key is, or would go. */
export interface KeySlot<V> {
  get(key: Bytes): V | undefined;
  readonly size: number;
}

/**
 * A node of the table: a lane (a leaf: `kids` null, its keys in `map`) or a fork (it reads one
 * byte of the key, at `at` — from the start when ≥ 0, from the end when < 0 — or hashes it, and
 * goes on to one of its 64 kids). One class for both, so the lookup loop stays monomorphic.
 */
class Lane<V> implements KeySlot<V> {
  at = 0;
  /** A second byte the fork reads ({@link HASHED}: none), once collapsed with its kids' forks (4096 kids). */
  at2 = HASHED;
  seed = 0;
  kids: Lane<V>[] | null = null;
  map: Map<Bytes, V> = EMPTY;
  /** Entries past which this lane splits (doubled when a split could not tell its keys apart). */
  limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get(key: Bytes): V | undefined {
    return this.map.get(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/** The kid index of `key` at `fork`, as the lookup computes it. */
function slotOf<V>(fork: Lane<V>, key: Bytes): number {
  const i = pickAt(key, fork.at, fork.seed);
  return fork.at2 === HASHED ? i : (i << 6) | pickAt(key, fork.at2, 0);
}

/** The kid index of `key` at a fork reading `at` (NaN past either end of the key: index 0). */
function pickAt(key: Bytes, at: number, seed: number): number {
  return (
    (at >= 0 ? key.charCodeAt(at) : at !== HASHED ? key.charCodeAt(key.length + at) : seededHash(key, seed)) & PICK
  );
}

/**
 * The keyspace's hash table: a tree of small `Map`s (lanes), each of at most about
 * {@link LANE_SPLIT} entries, reached by reading one byte of the key per fork.
 *
 * Why lanes: V8 rehashes a `Map` in one step when it grows past its capacity or when a delete
 * leaves it under a quarter full. On a 1M-entry map that step copies 262k entries and took
 * 20–58 ms inside one `delete`: no time budget of the expiry sweep can split it. Here no lane
 * grows much past {@link LANE_SPLIT} entries, so no rehash — growth, shrink, or a split — copies
 * more than that, at 1M keys or 100M. A table of up to {@link LANE_SPLIT} keys is one `Map`
 * (insertion order, exactly as a `Map`).
 *
 * Why bytes and not a hash: in a lookup bound by cache misses every instruction before the lane's
 * `Map` is probed costs, and each `charCodeAt` is ~15 instructions (V8 dispatches on the string's
 * representation). Choosing a lane by a hash of 9 bytes made a lookup 0.55× a bare `Map` on 1M
 * shuffled keys; reading 2–3 bytes costs ~10 %. So when a lane fills, it becomes a fork on the
 * byte that spreads its keys best (chosen on a sample of them among the first and last 16 bytes),
 * and its keys move into up to 64 new lanes (one copy of at most one lane's entries). Keys no
 * byte spreads (the best puts over 60 % of the sample in one lane) get a fork on a hash of every
 * byte, seeded per process; a split that would leave over 90 % of the keys in one lane is not
 * made, and is tried again when the lane has doubled. A fork whose kids holding keys all fork on
 * one byte collapses with them into one fork reading both bytes (4096 kids, no key moved): keys
 * such as ids, split on each digit in turn, are then half as many forks deep. The table never merges lanes back when it
 * shrinks (an emptied lane costs a small `Map`).
 *
 * Each lane is a plain `Map` (one monomorphic `get`): a lane that reaches V8's entry limit (only
 * keys no seeded hash tells apart could) sends its further keys to an overflow {@link BigMap},
 * which a lookup reads only when the lane misses and the overflow exists.
 *
 * Iteration: like `Map`, iterators survive concurrent inserts and deletes, and a key present
 * throughout is visited exactly once — also across splits (an iterator walks the maps that were
 * the table's when it started; a map replaced since is finished as it was, skipping keys deleted
 * meanwhile; keys added after it started may be missed, as SCAN allows). Once split, the order is
 * lane by lane.
 */
export class KeyTable<V> {
  private readonly laneLimit: number;
  private readonly splitAt: number;
  private root: Lane<V>;
  /** Keys whose lane was full ({@link DEFAULT_LANE_LIMIT}); null while none. */
  private overflow: BigMap<Bytes, V> | null = null;
  /** Maps replaced by a split or clear: iterators still on them skip keys deleted since. */
  private readonly retired = new WeakSet<Map<Bytes, V>>();
  private count = 0;
  private lanes = 1;
  private splitCount = 0;

  /**
   * @param laneLimit entries per lane `Map` before its keys overflow (tests lower it). @default 16_000_000
   * @param splitAt entries past which a lane splits (tests lower it to split often). @default {@link LANE_SPLIT}
   * @param random seeds hashed forks, so which keys share a lane cannot be planned from outside. @default {@link systemRandom}
   */
  constructor(
    laneLimit = DEFAULT_LANE_LIMIT,
    splitAt = LANE_SPLIT,
    private readonly random: () => number = systemRandom,
  ) {
    if (!Number.isInteger(laneLimit) || laneLimit < 1) throw new TypeError("laneLimit must be a positive integer");
    if (!Number.isInteger(splitAt) || splitAt < 1) throw new TypeError("splitAt must be a positive integer");
    this.laneLimit = laneLimit;
    this.splitAt = splitAt;
    this.root = KeyTable.rootLane(splitAt);
  }

  /** A table's first lane: one map, from the start (the table's order is insertion order until it spreads). */
  private static rootLane<V>(splitAt: number): Lane<V> {
    const lane = new Lane<V>(splitAt);
    lane.map = new Map();
    return lane;
  }

  /** Number of entries (O(1)). */
  get size(): number {
    return this.count;
  }

  /** True once the first map has split into lanes. */
  get spread(): boolean {
    return this.root.kids !== null;
  }

  /** Number of lanes (maps that hold keys, or may: 1 while not spread). */
  get laneCount(): number {
    return this.lanes;
  }

  /** Splits tried so far (each copies one lane's keys, kept or not), for tests and diagnostics. */
  get splits(): number {
    return this.splitCount;
  }

  /** The lane of `key`: a fork reads one byte per level (or hashes, for keys no byte spreads). */
  private laneOf(key: Bytes): Lane<V> {
    let lane = this.root;
    let kids = lane.kids;
    while (kids !== null) {
      const at = lane.at;
      let i =
        (at >= 0 ? key.charCodeAt(at) : at !== HASHED ? key.charCodeAt(key.length + at) : seededHash(key, lane.seed)) &
        PICK;
      const at2 = lane.at2;
      if (at2 !== HASHED) i = (i << 6) | ((at2 >= 0 ? key.charCodeAt(at2) : key.charCodeAt(key.length + at2)) & PICK);
      lane = kids[i] as Lane<V>;
      kids = lane.kids;
    }
    return lane;
  }

  get(key: Bytes): V | undefined {
    const v = this.laneOf(key).map.get(key);
    if (v !== undefined || this.overflow === null) return v;
    return this.overflow.get(key);
  }

  has(key: Bytes): boolean {
    return this.laneOf(key).map.has(key) || this.overflow?.has(key) === true;
  }

  /**
   * Where `key` is, or would go: a read then a write of one key through it find its lane once.
   * Valid until the table changes; write through {@link setIn}.
   */
  mapFor(key: Bytes): KeySlot<V> {
    const overflow = this.overflow;
    if (overflow?.has(key)) return overflow;
    return this.laneOf(key);
  }

  /** {@link set} through `slot`, which {@link mapFor} returned for `key` with no change since. */
  setIn(slot: KeySlot<V>, key: Bytes, value: V): this {
    if (slot instanceof BigMap) {
      slot.set(key, value); // already there: the overflow holds only keys it was given
      return this;
    }
    const lane = slot as Lane<V>;
    let map = lane.map;
    const before = map.size;
    if (before >= this.laneLimit && !map.has(key)) return this.addOverflow(key, value);
    if (map === EMPTY) map = this.ownMap(lane);
    map.set(key, value);
    if (map.size !== before) {
      this.count++;
      if (before >= lane.limit) this.split(lane);
    }
    return this;
  }

  set(key: Bytes, value: V): this {
    const lane = this.laneOf(key);
    let map = lane.map;
    const before = map.size;
    if (before >= this.laneLimit || this.overflow !== null) {
      // A full lane, or a key that may live in the overflow: the slow path.
      return this.setIn(this.mapFor(key), key, value);
    }
    if (map === EMPTY) map = this.ownMap(lane);
    map.set(key, value);
    if (map.size !== before) {
      this.count++;
      if (before >= lane.limit) this.split(lane);
    }
    return this;
  }

  delete(key: Bytes): boolean {
    if (this.laneOf(key).map.delete(key) || this.overflow?.delete(key) === true) {
      this.count--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.forEachMap((map) => this.retired.add(map));
    this.root = KeyTable.rootLane(this.splitAt);
    this.overflow = null;
    this.count = 0;
    this.lanes = 1;
  }

  /**
   * Lays out an empty table's forks for `total` keys of which `sample` is a spread sample (drawn
   * from across all of them, not from one end), so that a bulk load of them (a snapshot) puts each
   * key straight into its final lane: no lane fills, splits and is copied on the way.
   *
   * How: the sample goes, shuffled, into a model table whose split bound is scaled down by the
   * sample's share of the keys, so that it forks where this table would fork on all of them
   * (the same byte choice, collapse and hashed-fork rules), and its forks are copied here with
   * empty lanes. A sample is only a sample: a lane the model under-split splits as usual when its
   * keys arrive. Does nothing on a table holding keys, or when the keys fit in one lane.
   *
   * Why not lay out from the first keys inserted: a snapshot lists its keys lane by lane, so its
   * first keys all come from one lane of the writer, and say nothing of the rest.
   */
  layout(sample: readonly Bytes[], total: number): void {
    if (this.count !== 0 || this.root.kids !== null || total <= this.splitAt || sample.length === 0) return;
    const scaled = Math.round((this.splitAt * Math.min(sample.length, total)) / total);
    // Below a few dozen keys a lane's sample cannot choose a byte: too small a sample to model.
    if (scaled < 32) return;
    const keys = sample.slice();
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const k = keys[i] as Bytes;
      keys[i] = keys[j] as Bytes;
      keys[j] = k;
    }
    const model = new KeyTable<true>(this.laneLimit, scaled, this.random);
    for (const key of keys) model.set(key, true);
    if (model.root.kids === null) return;
    // Lanes shared by several slots (an empty kid of a collapsed fork) stay shared.
    const copies = new Map<Lane<true>, Lane<V>>();
    const copy = (from: Lane<true>): Lane<V> => {
      let lane = copies.get(from);
      if (lane !== undefined) return lane;
      lane = new Lane<V>(from.kids === null ? Math.round((from.limit / scaled) * this.splitAt) : this.splitAt);
      copies.set(from, lane);
      if (from.kids !== null) {
        lane.at = from.at;
        lane.at2 = from.at2;
        lane.seed = from.seed;
        lane.kids = from.kids.map(copy);
      }
      return lane;
    };
    this.root = copy(model.root);
    // Every lane is still empty: each gets its map from its first key (ownMap).
    this.lanes = 0;
  }

  /** Gives `lane` (a kid no key had reached yet) a map of its own. */
  private ownMap(lane: Lane<V>): Map<Bytes, V> {
    this.lanes++;
    const map = new Map<Bytes, V>();
    lane.map = map;
    return map;
  }

  private addOverflow(key: Bytes, value: V): this {
    if (this.overflow === null) this.overflow = new BigMap<Bytes, V>(this.laneLimit);
    this.overflow.set(key, value);
    this.count++;
    return this;
  }

  /** Turns `lane` into a fork over up to 64 new lanes: one copy of its entries, at most about {@link LANE_SPLIT}. */
  private split(lane: Lane<V>): void {
    this.splitCount++;
    const map = lane.map;
    const at = chooseByte(map);
    // Each hashed fork its own seed: nested ones split what their parent's hash put together.
    const seed = at === HASHED ? (this.random() * 0x100000000) >>> 0 : 0;
    const kids = new Array<Lane<V>>(FANOUT);
    for (let i = 0; i < FANOUT; i++) kids[i] = new Lane<V>(this.splitAt);
    let largest = 0;
    map.forEach((value, key) => {
      const kid = kids[pickAt(key, at, seed)] as Lane<V>;
      let m = kid.map;
      if (m === EMPTY) m = kid.map = new Map();
      m.set(key, value);
      if (m.size > largest) largest = m.size;
    });
    if (largest > NO_PROGRESS * map.size) {
      // Keys this fork does not tell apart: stay one lane, try again at twice the size.
      lane.limit *= 2;
      return;
    }
    let used = 0;
    let some: Bytes | undefined;
    for (const kid of kids) {
      if (kid.map === EMPTY) continue;
      used++;
      if (some === undefined) for (const k of kid.map.keys()) some = k;
    }
    this.retired.add(map);
    lane.at = at;
    lane.seed = seed;
    lane.map = EMPTY;
    lane.kids = kids;
    this.lanes += used - 1;
    if (at !== HASHED && some !== undefined) this.collapseAbove(lane, some);
  }

  /**
   * Makes the fork above `fork` read two bytes once all its kids holding keys fork on the same
   * byte (uniform keys: ids split every kid on the next digit in turn): one level less on every
   * lookup through it. No key moves: the kids' kids become its 4096 kids (a kid that is an empty
   * lane stands in all 64 of its slots).
   */
  private collapseAbove(fork: Lane<V>, key: Bytes): void {
    let parent: Lane<V> | null = null;
    let node = this.root;
    while (node !== fork) {
      if (node.kids === null) return;
      parent = node;
      node = node.kids[slotOf(node, key)] as Lane<V>;
    }
    if (parent === null || parent.at === HASHED || parent.at2 !== HASHED) return;
    const kids = parent.kids as Lane<V>[];
    const q = fork.at;
    for (const kid of kids) {
      if (kid.kids === null ? kid.map !== EMPTY : kid.at !== q || kid.at2 !== HASHED) return;
    }
    const flat = new Array<Lane<V>>(FANOUT * FANOUT);
    for (let i = 0; i < FANOUT; i++) {
      const kid = kids[i] as Lane<V>;
      for (let j = 0; j < FANOUT; j++) flat[(i << 6) | j] = kid.kids === null ? kid : (kid.kids[j] as Lane<V>);
    }
    parent.at2 = q;
    parent.kids = flat;
  }

  /** Calls `fn` with every lane map holding keys, lane by lane. */
  private forEachMap(fn: (map: Map<Bytes, V>) => void): void {
    const stack: Lane<V>[] = [this.root];
    while (stack.length > 0) {
      const lane = stack.pop() as Lane<V>;
      if (lane.kids === null) {
        if (lane.map !== EMPTY) fn(lane.map);
      } else {
        // A collapsed fork lists an empty kid in 64 slots in a row: each lane once.
        const kids = lane.kids;
        for (let i = kids.length - 1; i >= 0; i--)
          if (i === 0 || kids[i] !== kids[i - 1]) stack.push(kids[i] as Lane<V>);
      }
    }
  }

  /** Entries per lane `Map` holding keys (the single map's while not spread), for tests and diagnostics. */
  laneSizes(): number[] {
    if (this.root.kids === null) return [this.root.map.size];
    const sizes: number[] = [];
    this.forEachMap((map) => sizes.push(map.size));
    return sizes;
  }

  /** Forks a lookup passes through, at most (0 while not spread), for tests and diagnostics. */
  depth(): number {
    const walk = (lane: Lane<V>): number => (lane.kids === null ? 0 : 1 + Math.max(...lane.kids.map(walk)));
    return walk(this.root);
  }

  *keys(): IterableIterator<Bytes> {
    const maps: Map<Bytes, V>[] = [];
    this.forEachMap((map) => maps.push(map));
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

/**
 * The byte a fork over `map`'s keys reads: the first candidate position whose fullest kid holds
 * about as few of a sample of the keys as the best one's (within 10 % and sampling noise), or {@link HASHED} when even the best one's
 * fullest kid holds over {@link GOOD_SPLIT} of them.
 */
function chooseByte(map: Map<Bytes, unknown>): number {
  const step = Math.max(1, Math.floor(map.size / SAMPLE));
  const sample: Bytes[] = [];
  let i = 0;
  for (const key of map.keys()) {
    if (i++ % step === 0 && sample.push(key) === SAMPLE) break;
  }
  const counts = new Int32Array(FANOUT);
  const fullest = CANDIDATES.map((at) => {
    counts.fill(0);
    let max = 0;
    for (const key of sample) {
      const k = pickAt(key, at, 0);
      const c = (counts[k] as number) + 1;
      counts[k] = c;
      if (c > max) max = c;
    }
    return max;
  });
  // The first candidate about as good as the best: lanes of uniform keys (ids) all choose the
  // same byte, so their parent fork can collapse with them (collapseAbove).
  const least = Math.min(...fullest);
  let best = HASHED;
  if (least <= GOOD_SPLIT * sample.length) {
    // Within sampling noise of the best (a small lane's sample is small): the first such byte.
    const near = least * 1.1 + 2 * Math.sqrt(least);
    best = CANDIDATES[fullest.findIndex((max) => max <= near)] as number;
  }
  return best;
}
