import { BigMap } from "./big-map.js";
import type { Bytes } from "./bytes.js";
import { systemRandom } from "./clock.js";

/**
 * Entries at which a lane splits before it takes another key (the table's first map included): no
 * growth, shrink or split rehash of a lane copies more than this many entries, at 1M keys or 100M.
 *
 * Why 4096: a `Map`'s backing table takes 3.5 words per entry of capacity (key, value, chain, half a
 * bucket), so a table of capacity 4096 is 114,744 bytes, under V8's 128 KB regular-object limit,
 * and one of 8192 (229,416 bytes) is a *large object*: its own chunk, freed inside a mark-compact's
 * atomic pause instead of by the concurrent sweeper, and one more page header every scavenge walks.
 * A mass expiry shrinks every lane at about the same time. Measured (session 9, 6M `key:%08d` keys
 * all due at once, in-process store, full GC before the deadline, load 9–13): with an 8192 bound
 * (1000 lanes of 6000, 458 MB of lane tables in large-object space) the drain took 88.9 s with 5
 * scavenges up to 67 ms and a 553 ms mark-compact; with 4096 (10,000 lanes of 600) 19.9 s with one
 * 13.5 ms scavenge. Memory: the same at 1M, 3M and 10M ids (1000, 1000 and 10,000 lanes either way;
 * 1M with TTLs 125.9 vs 125.7 B/key); at 6M 161.8 vs 141.7 B/key (lanes of 600 in 1024-entry
 * tables against 6000 in 8192): the table is a power of two either way, so the fill moves with the
 * key count, in phase with the bound.
 */
export const LANE_SPLIT = 1 << 12;

/** Fan-out of a fork: it picks a child by the low 6 bits of one byte (or of a hash). */
const FANOUT = 64;
const PICK = FANOUT - 1;

/** The `at` of a fork that picks by a seeded hash of every byte (keys no single byte spreads). */
const HASHED = -0x40000000;

/** Forks among a collapsed fork's 4096 kids before it collapses again, into 262144 kids (see `collapse`). */
const WIDE_COLLAPSE = 64;

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
 * A fork of the table: it reads one byte of the key, at `at` — from the start when ≥ 0, from the
 * end when < 0 — or hashes it, and goes on to one of its 64 kids. A kid is another fork or a lane,
 * and a lane is its `Map` itself, held directly in `kids` (no object around it: one dependent load
 * less per lookup).
 */
class Fork<V> {
  /** A second byte the fork reads ({@link HASHED}: none), once collapsed with its kids' forks (4096 kids). */
  at2 = HASHED;
  /** A third byte ({@link HASHED}: none), once collapsed a second time (262144 kids; see {@link KeyTable.collapse}). */
  at3 = HASHED;

  constructor(
    public at: number,
    public seed: number,
    public kids: Node<V>[],
  ) {}
}

/** A node of the table: a fork, or a lane (its `Map`; {@link EMPTY} while no key has reached it). */
type Node<V> = Fork<V> | Map<Bytes, V>;

/** `n` slots holding {@link EMPTY}, as a packed array: every fork's kids share one elements kind. */
function emptyKids<V>(n: number): Node<V>[] {
  const kids: Node<V>[] = [];
  for (let i = 0; i < n; i++) kids.push(EMPTY);
  return kids;
}

/** The kid index of `key` at `fork`, as every lookup computes it. */
function slotOf<V>(fork: Fork<V>, key: Bytes): number {
  const at = fork.at;
  const i =
    (at >= 0 ? key.charCodeAt(at) : at !== HASHED ? key.charCodeAt(key.length + at) : seededHash(key, fork.seed)) &
    PICK;
  const at2 = fork.at2;
  if (at2 === HASHED) return i;
  const j = (i << 6) | ((at2 >= 0 ? key.charCodeAt(at2) : key.charCodeAt(key.length + at2)) & PICK);
  const at3 = fork.at3;
  return at3 === HASHED ? j : (j << 6) | ((at3 >= 0 ? key.charCodeAt(at3) : key.charCodeAt(key.length + at3)) & PICK);
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
 * Why the lanes' `Map`s sit in the forks' arrays and the lookup's first two levels are written
 * out: 1M ids end two forks deep, and each dependent load between the root and the `Map` costs a
 * lookup bound by cache misses. On 1M shuffled ids, CPU per lookup against a bare `Map`: in a
 * model of the tree, a `Lane` object around each `Map` and a loop 0.63–0.65×, the `Map`s in the
 * arrays and two levels written out 0.68–0.73×, 1000 `Map`s in one flat array (the least any 1000
 * lanes cost) 0.72–0.78×; the table itself went from 0.60× to 0.63× GET, 0.58× to 0.61× SET
 * (one process, 9 interleaved rounds, load 8.5).
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
  /** The one map while the table is not spread, then the first fork. */
  private root: Node<V>;
  /** Keys whose lane was full ({@link DEFAULT_LANE_LIMIT}); null while none. */
  private overflow: BigMap<Bytes, V> | null = null;
  /** Maps replaced by a split or clear: iterators still on them skip keys deleted since. */
  private readonly retired = new WeakSet<Map<Bytes, V>>();
  /**
   * Lanes that split past another bound than `splitAt`: doubled when a split could not tell their
   * keys apart, or scaled by {@link layout}. Read only when a lane passes `splitAt`.
   */
  private limits = new Map<Map<Bytes, V>, number>();
  private count = 0;
  private lanes = 1;
  private splitCount = 0;

  /**
   * @param laneLimit entries per lane `Map` before its keys overflow (tests lower it). @default 16_000_000
   * @param splitAt entries past which a lane splits (tests lower it to split often). @default {@link LANE_SPLIT}
   * @param random seeds hashed forks, so which keys share a lane cannot be planned from outside. @default {@link systemRandom}
   * @param wide whether a collapsed fork may collapse again into 262144 kids (2 MiB; see `collapse`):
   *   the keyspace's table, whose lookups it speeds, not the expiry deadlines' (memory per key). @default false
   */
  constructor(
    laneLimit = DEFAULT_LANE_LIMIT,
    splitAt = LANE_SPLIT,
    private readonly random: () => number = systemRandom,
    private readonly wide = false,
  ) {
    if (!Number.isInteger(laneLimit) || laneLimit < 1) throw new TypeError("laneLimit must be a positive integer");
    if (!Number.isInteger(splitAt) || splitAt < 1) throw new TypeError("splitAt must be a positive integer");
    this.laneLimit = laneLimit;
    this.splitAt = splitAt;
    // The table's first lane: one map, from the start (insertion order until it spreads).
    this.root = new Map<Bytes, V>();
  }

  /** Number of entries (O(1)). */
  get size(): number {
    return this.count;
  }

  /** True once the first map has split into lanes. */
  get spread(): boolean {
    return this.root instanceof Fork;
  }

  /** Number of lanes (maps that hold keys, or may: 1 while not spread). */
  get laneCount(): number {
    return this.lanes;
  }

  /** Splits tried so far (each copies one lane's keys, kept or not), for tests and diagnostics. */
  get splits(): number {
    return this.splitCount;
  }

  /**
   * The lane of `key` ({@link EMPTY} when it has none yet): a fork reads one byte per level (or
   * hashes, for keys no byte spreads). The first two levels are written out (see the class doc).
   */
  private laneOf(key: Bytes): Map<Bytes, V> {
    let node = this.root;
    let kids = (node as Fork<V>).kids;
    if (kids === undefined) return node as Map<Bytes, V>;
    node = kids[slotOf(node as Fork<V>, key)] as Node<V>;
    kids = (node as Fork<V>).kids;
    if (kids === undefined) return node as Map<Bytes, V>;
    node = kids[slotOf(node as Fork<V>, key)] as Node<V>;
    kids = (node as Fork<V>).kids;
    while (kids !== undefined) {
      node = kids[slotOf(node as Fork<V>, key)] as Node<V>;
      kids = (node as Fork<V>).kids;
    }
    return node as Map<Bytes, V>;
  }

  get(key: Bytes): V | undefined {
    const v = this.laneOf(key).get(key);
    if (v !== undefined || this.overflow === null) return v;
    return this.overflow.get(key);
  }

  has(key: Bytes): boolean {
    return this.laneOf(key).has(key) || this.overflow?.has(key) === true;
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
    return this.setInLane(slot as Map<Bytes, V>, key, value);
  }

  set(key: Bytes, value: V): this {
    if (this.overflow !== null) return this.setSlow(key, value);
    return this.setInLane(this.laneOf(key), key, value);
  }

  /** {@link set} into `map`, the lane of `key`: in place unless the lane is new, full or due to split. */
  private setInLane(map: Map<Bytes, V>, key: Bytes, value: V): this {
    const before = map.size;
    if (map === EMPTY || before >= this.splitAt || before >= this.laneLimit) return this.setSlow(key, value);
    map.set(key, value);
    if (map.size !== before) this.count++;
    return this;
  }

  /** {@link set} the long way: finds the slot holding `key`'s lane, to give it a map, split it or overflow it. */
  private setSlow(key: Bytes, value: V): this {
    const overflow = this.overflow;
    if (overflow?.has(key)) {
      overflow.set(key, value);
      return this;
    }
    let fork: Fork<V> | null = null;
    let slot = 0;
    let node = this.root;
    while (node instanceof Fork) {
      fork = node;
      slot = slotOf(node, key);
      node = node.kids[slot] as Node<V>;
    }
    let map = node;
    const before = map.size;
    if (before >= this.laneLimit && !map.has(key)) return this.addOverflow(key, value);
    if (map === EMPTY) {
      // A kid no key had reached yet (never the root: it always has its map).
      map = new Map<Bytes, V>();
      (fork as Fork<V>).kids[slot] = map;
      this.lanes++;
    }
    // A full lane splits before it takes the key: inserting first would double its table (past
    // V8's regular-object size at the default bound: see LANE_SPLIT) only for the split to drop it.
    if (before >= this.splitAt && before >= (this.limits.get(map) ?? this.splitAt) && !map.has(key)) {
      if (this.split(fork, slot, map)) return this.set(key, value);
    }
    map.set(key, value);
    if (map.size !== before) this.count++;
    return this;
  }

  delete(key: Bytes): boolean {
    if (this.laneOf(key).delete(key) || this.overflow?.delete(key) === true) {
      this.count--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.forEachMap((map) => this.retired.add(map));
    this.root = new Map<Bytes, V>();
    this.limits = new Map();
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
   * (the same byte choice, collapse and hashed-fork rules), and its forks are copied here, each
   * lane the model filled with an empty map (and its bound scaled back). A sample is only a
   * sample: a lane the model under-split splits as usual when its keys arrive. Does nothing on a
   * table holding keys, or when the keys fit in one lane.
   *
   * Why not lay out from the first keys inserted: a snapshot lists its keys lane by lane, so its
   * first keys all come from one lane of the writer, and say nothing of the rest.
   */
  layout(sample: readonly Bytes[], total: number): void {
    if (this.count !== 0 || this.root instanceof Fork || total <= this.splitAt || sample.length === 0) return;
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
    const model = new KeyTable<true>(this.laneLimit, scaled, this.random, this.wide);
    for (const key of keys) model.set(key, true);
    if (!(model.root instanceof Fork)) return;
    let lanes = 0;
    const copy = (from: Node<true>): Node<V> => {
      if (from instanceof Fork) {
        const fork = new Fork<V>(from.at, from.seed, emptyKids<V>(from.kids.length));
        fork.at2 = from.at2;
        fork.at3 = from.at3;
        for (let i = 0; i < from.kids.length; i++) fork.kids[i] = copy(from.kids[i] as Node<true>);
        return fork;
      }
      if (from === EMPTY) return EMPTY;
      lanes++;
      const map = new Map<Bytes, V>();
      const limit = Math.round(((model.limits.get(from) ?? scaled) / scaled) * this.splitAt);
      if (limit !== this.splitAt) this.limits.set(map, limit);
      return map;
    };
    this.root = copy(model.root);
    this.lanes = lanes;
  }

  private addOverflow(key: Bytes, value: V): this {
    if (this.overflow === null) this.overflow = new BigMap<Bytes, V>(this.laneLimit);
    this.overflow.set(key, value);
    this.count++;
    return this;
  }

  /**
   * Turns the lane `map` (in `parent`'s kid `slot`; the root when `parent` is null) into a fork
   * over up to 64 new lanes: one copy of its entries, at most about {@link LANE_SPLIT}. False when
   * the fork would not tell its keys apart: the lane stays, its bound doubled.
   */
  private split(parent: Fork<V> | null, slot: number, map: Map<Bytes, V>): boolean {
    this.splitCount++;
    const at = chooseByte(map);
    // Each hashed fork its own seed: nested ones split what their parent's hash put together.
    const seed = at === HASHED ? (this.random() * 0x100000000) >>> 0 : 0;
    const kids = emptyKids<V>(FANOUT);
    let largest = 0;
    map.forEach((value, key) => {
      const k = pickAt(key, at, seed);
      let m = kids[k] as Map<Bytes, V>;
      if (m === EMPTY) kids[k] = m = new Map<Bytes, V>();
      m.set(key, value);
      if (m.size > largest) largest = m.size;
    });
    if (largest > NO_PROGRESS * map.size) {
      // Keys this fork does not tell apart: stay one lane, try again at twice the size.
      this.limits.set(map, 2 * (this.limits.get(map) ?? this.splitAt));
      return false;
    }
    let used = 0;
    for (const kid of kids) if (kid !== EMPTY) used++;
    this.retired.add(map);
    this.limits.delete(map);
    const fork = new Fork<V>(at, seed, kids);
    if (parent === null) this.root = fork;
    else parent.kids[slot] = fork;
    this.lanes += used - 1;
    if (at !== HASHED && parent !== null) this.collapse(parent, at);
    return true;
  }

  /**
   * Makes `fork` read one byte more once all its kids holding keys fork on the same byte `q`
   * (uniform keys: ids split every kid on the next digit in turn): one level less on every lookup
   * through it. No key moves: the kids' kids become its kids (a kid that is an empty lane stands
   * in all 64 of its slots): 4096 for a fork of 64, then 262144 (2 MiB) for a fork of 4096.
   *
   * The second collapse only once at least {@link WIDE_COLLAPSE} of its 4096 kids are forks: each
   * came from a lane of `splitAt` keys, so the array costs at most ~8 bytes per key at the
   * default bound (1M ids: 100 forks, 2 MiB over 1M keys). Its copy of 262144 slots happens once,
   * in one split. Why: 1M ids are then one fork deep, a lookup one array load from its lane
   * (measured GET, CPU vs a bare `Map` on 1M shuffled ids: see the class doc).
   */
  private collapse(fork: Fork<V>, q: number): void {
    if (fork.at === HASHED || fork.at3 !== HASHED) return;
    const kids = fork.kids;
    let forks = 0;
    for (const kid of kids) {
      if (kid instanceof Fork ? kid.at !== q || kid.at2 !== HASHED : kid !== EMPTY) return;
      if (kid !== EMPTY) forks++;
    }
    const n = kids.length;
    if (n > FANOUT && (!this.wide || forks < WIDE_COLLAPSE)) return;
    const flat = emptyKids<V>(n * FANOUT);
    for (let i = 0; i < n; i++) {
      const kid = kids[i] as Node<V>;
      if (kid instanceof Fork) for (let j = 0; j < FANOUT; j++) flat[(i << 6) | j] = kid.kids[j] as Node<V>;
    }
    if (fork.at2 === HASHED) fork.at2 = q;
    else fork.at3 = q;
    fork.kids = flat;
  }

  /** Calls `fn` with every lane map holding keys, lane by lane. */
  private forEachMap(fn: (map: Map<Bytes, V>) => void): void {
    const stack: Node<V>[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop() as Node<V>;
      if (node instanceof Fork) {
        const kids = node.kids;
        for (let i = kids.length - 1; i >= 0; i--) if (kids[i] !== EMPTY) stack.push(kids[i] as Node<V>);
      } else if (node !== EMPTY) fn(node);
    }
  }

  /** Entries per lane `Map` holding keys (the single map's while not spread), for tests and diagnostics. */
  laneSizes(): number[] {
    const sizes: number[] = [];
    this.forEachMap((map) => sizes.push(map.size));
    return sizes;
  }

  /** Forks a lookup passes through, at most (0 while not spread), for tests and diagnostics. */
  depth(): number {
    const walk = (node: Node<V>): number => {
      if (!(node instanceof Fork)) return 0;
      let deepest = 0;
      for (const kid of node.kids) if (kid instanceof Fork) deepest = Math.max(deepest, walk(kid));
      return 1 + deepest;
    };
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
