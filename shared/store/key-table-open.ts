import type { Bytes } from "./bytes.js";
import { systemRandom } from "./clock.js";

/** Keys the table holds in one insertion-ordered `Map` before it spreads into segments. */
export const SMALL_KEYS = 1 << 12;

/**
 * Slots of the largest segment: its key/value array (2 slots of 8 bytes each) is 128,000 bytes,
 * under V8's 128 KiB regular-object size, so no segment array is a V8 *large object* (its own
 * chunk, freed inside a mark-compact's atomic pause) — provided the array is exactly that long
 * ({@link emptyKv}).
 */
export const MAX_SLOTS = 8000;

/** Slots of the smallest segment. */
const MIN_SLOTS = 8;

/** A segment is rebuilt (grown, cleaned of tombstones, or split) once this share of its slots is used. */
const MAX_LOAD = 0.8;

/**
 * An insert into a segment whose live keys fill less than this share of its slots, and its
 * tombstones at least as much, rebuilds it smaller first.
 */
const MIN_LOAD = 0.2;

/** The share of a rebuilt segment's slots its live keys fill. */
const TARGET_LOAD = 0.65;

/** Hash bits the directory may use (bits 1‥18): beyond 2^18 segments a segment grows instead of splitting. */
const MAX_DEPTH = 18;

/** A slot's tag: 0 empty, {@link TOMBSTONE} deleted, otherwise 2‥255 from the key's hash ({@link tagOf}). */
const EMPTY_SLOT = 0;
const TOMBSTONE = 1;

/** The hashes of the segment being rebuilt ({@link OpenKeyTable.hashesOf}). */
let scratch = new Int32Array(MAX_SLOTS);

/** 2^-32: a hash's top bits scaled to a slot index. */
const TO_UNIT = 1 / 4294967296;

/**
 * A seeded 32-bit hash of every byte of `key` (FNV-1a, then murmur3's finalizer), odd: bit 0 is no
 * bit the table reads (the directory reads bits 1‥, the home slot the top ones), and a rebuild's
 * list of hashes marks empty slots with 0.
 */
function hashOf(key: Bytes, seed: number): number {
  let h = seed ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 1;
}

/**
 * A slot's tag for hash `h`, 2‥255: the top byte of `h` times an odd constant (so every bit of `h`
 * counts: the keys of one probe run share their hash's top bits, one segment's keys its low bits).
 */
function tagOf(h: number): number {
  return (((Math.imul(h, 0x9e3779b1) >>> 24) * 254) >>> 8) + 2;
}

/** The first slot a hash probes in a segment of `slots` slots: its top bits, so the directory's low bits stay free. */
function homeOf(h: number, slots: number): number {
  return ((h >>> 0) * slots * TO_UNIT) | 0;
}

/**
 * One segment: an open-addressing table (linear probing) of `slots` slots — a one-byte tag of each
 * key's hash in a `Uint8Array`, each key and its value side by side in one array. A segment's arrays
 * are only written while it is the live segment of its hashes; a rebuild makes a new segment and
 * `retires` this one, whose arrays then stay as they were (iterators still on it read them).
 */
class Segment<V> {
  /** Live keys. */
  live = 0;
  /** Slots not empty (live keys and tombstones). */
  used = 0;
  retired = false;
  readonly tags: Uint8Array;
  /** Key at `2i`, value at `2i + 1` (undefined when the slot holds no key). */
  readonly kv: (Bytes | V | undefined)[];
  /**
   * Each slot's deadline (ms since the epoch; NaN: none), allocated with the segment's first
   * deadline: 8 bytes per slot beside the key, no heap number per deadline. NaN in every slot
   * that holds no live key with a deadline.
   */
  at: Float64Array | null = null;

  constructor(
    readonly slots: number,
    /** Low hash bits (from bit 1) every key of this segment shares. */
    readonly depth: number,
    /** Their value (< 2^depth): the segment's first directory entry. */
    readonly prefix: number,
  ) {
    this.tags = new Uint8Array(slots);
    this.kv = emptyKv(2 * slots) as (Bytes | V | undefined)[];
  }

  /** Puts a key known to be absent, without a tombstone to reuse (rebuilds), with its deadline (NaN: none). */
  place(h: number, key: Bytes, value: V, atMs: number): void {
    const tags = this.tags;
    const slots = this.slots;
    let i = homeOf(h, slots);
    while (tags[i] !== EMPTY_SLOT) if (++i === slots) i = 0;
    tags[i] = tagOf(h);
    this.kv[2 * i] = key;
    this.kv[2 * i + 1] = value;
    if (!Number.isNaN(atMs)) this.deadlines()[i] = atMs;
    this.live++;
    this.used++;
  }

  /** {@link at}, allocated (all NaN) if it was not. */
  deadlines(): Float64Array {
    let at = this.at;
    if (at === null) {
      at = new Float64Array(this.slots).fill(Number.NaN);
      this.at = at;
    }
    return at;
  }
}

/** A packed array of `undefined`s, copied (exactly `n` long) by {@link emptyKv}. */
let kvTemplate: undefined[] = [];

/**
 * `n` undefined slots in a packed array of exactly that capacity. Not `push` in a loop: its growth
 * (capacity × 1.5 + 16) overshoots, and past 16,384 elements the array is a V8 large object, which
 * no GC trims (measured: 4.3 MB of live large objects in a 380k-key table whose segments neared
 * {@link MAX_SLOTS}). `slice` of a packed array copies into a store of exactly its length.
 */
function emptyKv(n: number): undefined[] {
  if (kvTemplate.length < n) {
    const t: undefined[] = [];
    for (let i = 0; i < n; i++) t.push(undefined);
    kvTemplate = t.slice(); // the template itself exact, too
  }
  return kvTemplate.slice(0, n);
}

/** Slots for `live` keys at {@link TARGET_LOAD}. */
function slotsFor(live: number): number {
  return Math.max(MIN_SLOTS, Math.ceil(live / TARGET_LOAD));
}

/** The view {@link OpenKeyTable.mapFor} returns: where a key is, or would go. */
export interface OpenKeySlot<V> {
  get(key: Bytes): V | undefined;
  readonly size: number;
}

/**
 * The keyspace's hash table: open addressing in segments of at most {@link MAX_SLOTS} slots, found
 * through a directory indexed by low bits of a seeded hash of the key (extendible hashing).
 *
 * Why: a lookup is a hash of the key's bytes, one directory load and a probe of one `Int32Array`
 * of hashes; the key is compared only where its hash matches. On 1M shuffled `key:%08d` keys that
 * is faster than a bare `Map` (whose key hash V8 caches in the string), while a tree of `Map`
 * lanes costs 0.62–0.78× of a `Map` (each `Map` is two more dependent loads: the `JSMap`, then its
 * table's header; see BENCHMARKS.md, session 10).
 *
 * Bounded steps, as the `Map` lanes it replaced (sessions 6–9): no operation copies more than one
 * segment (≤ {@link MAX_SLOTS} entries) — a full segment grows or splits in two by the next hash
 * bit, a delete only leaves a tombstone (a segment left empty is replaced by the smallest one; one
 * under {@link MIN_LOAD} live is rebuilt for its live keys by the next insert into it). No segment
 * array is a V8 large object, so a mass expiry frees only small arrays. Each key's deadline (a TTL)
 * sits beside it ({@link setDeadline}: a `Float64Array` per segment, allocated with its first one),
 * so the Map engine keeps no second key → deadline table. Only the
 * directory (8 bytes per segment) can be large, and it changes only when it doubles.
 *
 * While it holds at most {@link SMALL_KEYS} keys the table is one `Map` (insertion order, as a
 * `Map`). The hash is seeded per table, so which keys share a segment cannot be planned from
 * outside; keys whose 32-bit hashes collide entirely still only share probes.
 *
 * Iteration: like `Map`, iterators survive concurrent inserts and deletes, and a key present
 * throughout is visited exactly once, also across rebuilds and splits (an iterator walks the
 * segments that were the table's when it started; a segment rebuilt since is finished as it
 * was, skipping keys deleted meanwhile; keys added after it started may be missed, as SCAN allows).
 */
export class OpenKeyTable<V> {
  /** The one map while the table has not spread; null after. */
  private small: Map<Bytes, V> | null = new Map<Bytes, V>();
  /** Segment of each value of the hash's bits 1‥`depth`. */
  private dir: Segment<V>[] = [];
  private dirMask = 0;
  private count = 0;
  /** Deadlines of the keys while the table is one map (`small`); null after. */
  private smallAt: Map<Bytes, number> | null = new Map<Bytes, number>();
  /** Keys with a deadline. */
  private timed = 0;
  private readonly seed: number;
  private rebuildCount = 0;
  private readonly smallKeys: number;
  private readonly maxSlots: number;

  /**
   * @param random seeds the hash, so which keys share a segment cannot be planned from outside.
   *   @default {@link systemRandom}
   * @param bounds `smallKeys` ({@link SMALL_KEYS}) and `maxSlots` ({@link MAX_SLOTS}): tests lower
   *   them to spread and split often.
   */
  constructor(random: () => number = systemRandom, bounds: { smallKeys?: number; maxSlots?: number } = {}) {
    this.seed = (random() * 0x100000000) | 0;
    this.smallKeys = bounds.smallKeys ?? SMALL_KEYS;
    this.maxSlots = bounds.maxSlots ?? MAX_SLOTS;
    if (!Number.isInteger(this.smallKeys) || this.smallKeys < 0)
      throw new TypeError("smallKeys must be an integer ≥ 0");
    if (!Number.isInteger(this.maxSlots) || this.maxSlots < MIN_SLOTS * 2)
      throw new TypeError(`maxSlots must be an integer ≥ ${MIN_SLOTS * 2}`);
  }

  /** Number of entries (O(1)). */
  get size(): number {
    return this.count;
  }

  /** Number of keys with a deadline (O(1)). */
  get deadlineCount(): number {
    return this.timed;
  }

  /** True once the table has spread from one `Map` into segments. */
  get spread(): boolean {
    return this.small === null;
  }

  /** Segment rebuilds so far (grow, clean, shrink, split), for tests and diagnostics. */
  get rebuilds(): number {
    return this.rebuildCount;
  }

  /** The hash's bits the directory reads (0 while not spread), for tests and diagnostics. */
  get depth(): number {
    return this.small === null ? Math.log2(this.dir.length) : 0;
  }

  /** Slots of every segment (the one map's size while not spread), for tests and diagnostics. */
  segmentSlots(): number[] {
    if (this.small !== null) return [this.small.size];
    return this.segments().map((s) => s.slots);
  }

  /** Live keys of every segment, for tests and diagnostics. */
  segmentSizes(): number[] {
    if (this.small !== null) return [this.small.size];
    return this.segments().map((s) => s.live);
  }

  /** Each segment once, in directory order. */
  private segments(): Segment<V>[] {
    const out: Segment<V>[] = [];
    const dir = this.dir;
    // A segment of depth d fills every 2^d-th directory entry from its first one, which is < 2^d.
    for (let i = 0; i < dir.length; i++) {
      const s = dir[i] as Segment<V>;
      if (i < 1 << s.depth) out.push(s);
    }
    return out;
  }

  // The probe of `find`, written out: the keyspace's hottest path keeps its one segment load
  // (through `find` it would load the segment again to read the value).
  get(key: Bytes): V | undefined {
    const small = this.small;
    if (small !== null) return small.get(key);
    const h = hashOf(key, this.seed);
    const tag = tagOf(h);
    const seg = this.dir[(h >>> 1) & this.dirMask] as Segment<V>;
    const tags = seg.tags;
    const slots = seg.slots;
    let i = homeOf(h, slots);
    for (;;) {
      const x = tags[i] as number;
      if (x === tag) {
        const kv = seg.kv;
        if (kv[2 * i] === key) return kv[2 * i + 1] as V;
      } else if (x === EMPTY_SLOT) return undefined;
      if (++i === slots) i = 0;
    }
  }

  has(key: Bytes): boolean {
    const small = this.small;
    if (small !== null) return small.has(key);
    return this.find(key, hashOf(key, this.seed)) >= 0;
  }

  /** The deadline of `key` (ms since the epoch), or undefined when it has none or is absent. */
  deadlineOf(key: Bytes): number | undefined {
    if (this.timed === 0) return undefined;
    const smallAt = this.smallAt;
    if (smallAt !== null) return smallAt.get(key);
    const h = hashOf(key, this.seed);
    const i = this.find(key, h);
    if (i < 0) return undefined;
    const at = (this.dir[(h >>> 1) & this.dirMask] as Segment<V>).at;
    if (at === null) return undefined;
    const x = at[i] as number;
    return Number.isNaN(x) ? undefined : x;
  }

  /**
   * True when `key` has a deadline and `nowMs` is past it (expired once now > deadline, as Redis):
   * {@link deadlineOf} compared to `nowMs` without returning the deadline (no heap number).
   */
  isPast(key: Bytes, nowMs: number): boolean {
    if (this.timed === 0) return false;
    const smallAt = this.smallAt;
    if (smallAt !== null) {
      const x = smallAt.get(key);
      return x !== undefined && nowMs > x;
    }
    const h = hashOf(key, this.seed);
    const i = this.find(key, h);
    if (i < 0) return false;
    const at = (this.dir[(h >>> 1) & this.dirMask] as Segment<V>).at;
    // NaN (no deadline) compares false.
    return at !== null && nowMs > (at[i] as number);
  }

  /**
   * Sets the deadline of `key` (ms since the epoch, any number but NaN), stored beside it: a key
   * deleted loses it, an overwrite by {@link set} keeps it. False (nothing set) when `key` is absent.
   */
  setDeadline(key: Bytes, atMs: number): boolean {
    if (Number.isNaN(atMs)) throw new RangeError("a deadline cannot be NaN");
    const smallAt = this.smallAt;
    if (smallAt !== null) {
      if (!(this.small as Map<Bytes, V>).has(key)) return false;
      const before = smallAt.size;
      smallAt.set(key, atMs);
      if (smallAt.size !== before) this.timed++;
      return true;
    }
    const h = hashOf(key, this.seed);
    const i = this.find(key, h);
    if (i < 0) return false;
    const at = (this.dir[(h >>> 1) & this.dirMask] as Segment<V>).deadlines();
    if (Number.isNaN(at[i] as number)) this.timed++;
    at[i] = atMs;
    return true;
  }

  /** Removes the deadline of `key` (the key stays); true when it had one. */
  deleteDeadline(key: Bytes): boolean {
    if (this.timed === 0) return false;
    const smallAt = this.smallAt;
    if (smallAt !== null) {
      if (!smallAt.delete(key)) return false;
      this.timed--;
      return true;
    }
    const h = hashOf(key, this.seed);
    const i = this.find(key, h);
    if (i < 0) return false;
    const at = (this.dir[(h >>> 1) & this.dirMask] as Segment<V>).at;
    if (at === null || Number.isNaN(at[i] as number)) return false;
    at[i] = Number.NaN;
    this.timed--;
    return true;
  }

  /** The slot of `key` (hash `h`) in its segment, or -1. */
  private find(key: Bytes, h: number): number {
    const tag = tagOf(h);
    const seg = this.dir[(h >>> 1) & this.dirMask] as Segment<V>;
    const tags = seg.tags;
    const slots = seg.slots;
    let i = homeOf(h, slots);
    for (;;) {
      const x = tags[i] as number;
      if (x === tag) {
        if (seg.kv[2 * i] === key) return i;
      } else if (x === EMPTY_SLOT) return -1;
      if (++i === slots) i = 0;
    }
  }

  /** Where `key` is, or would go (the table itself: a segment can move on any write). Write through {@link setIn}. */
  mapFor(_key: Bytes): OpenKeySlot<V> {
    return this;
  }

  /** {@link set} through `slot`, which {@link mapFor} returned. */
  setIn(_slot: OpenKeySlot<V>, key: Bytes, value: V): this {
    return this.set(key, value);
  }

  set(key: Bytes, value: V): this {
    const small = this.small;
    if (small !== null) {
      if (small.size < this.smallKeys || small.has(key)) {
        small.set(key, value);
        this.count = small.size;
        return this;
      }
      this.spreadSmall(small);
    }
    const h = hashOf(key, this.seed);
    const tag = tagOf(h);
    const seg = this.dir[(h >>> 1) & this.dirMask] as Segment<V>;
    const tags = seg.tags;
    const slots = seg.slots;
    let i = homeOf(h, slots);
    let free = -1;
    for (;;) {
      const x = tags[i] as number;
      if (x === tag) {
        if (seg.kv[2 * i] === key) {
          seg.kv[2 * i + 1] = value;
          return this;
        }
      } else if (x === EMPTY_SLOT) break;
      else if (x === TOMBSTONE && free < 0) free = i;
      if (++i === slots) i = 0;
    }
    if (seg.live < MIN_LOAD * slots && seg.used - seg.live >= MIN_LOAD * slots) {
      // Mostly deleted (a delete never shrinks: see `delete`): rebuilt for its live keys first.
      // (Tombstones counted: a laid-out segment is also nearly empty, and is left as it is.)
      this.rebuild(seg, seg.live + 1);
      return this.set(key, value);
    }
    if (free >= 0) {
      // A tombstone reused: no slot more is used.
      tags[free] = tag;
      seg.kv[2 * free] = key;
      seg.kv[2 * free + 1] = value;
      seg.live++;
      this.count++;
      return this;
    }
    if (seg.used + 1 > MAX_LOAD * slots) {
      // Full: rebuild first (grow, clean or split), so this key lands in a segment with room.
      this.rebuild(seg, seg.live + 1);
      return this.set(key, value);
    }
    tags[i] = tag;
    seg.kv[2 * i] = key;
    seg.kv[2 * i + 1] = value;
    seg.live++;
    seg.used++;
    this.count++;
    return this;
  }

  delete(key: Bytes): boolean {
    const small = this.small;
    if (small !== null) {
      if (!small.delete(key)) return false;
      this.count--;
      if (this.timed !== 0 && (this.smallAt as Map<Bytes, number>).delete(key)) this.timed--;
      return true;
    }
    const h = hashOf(key, this.seed);
    const i = this.find(key, h);
    if (i < 0) return false;
    const seg = this.dir[(h >>> 1) & this.dirMask] as Segment<V>;
    seg.tags[i] = TOMBSTONE;
    seg.kv[2 * i] = undefined;
    seg.kv[2 * i + 1] = undefined;
    const at = seg.at;
    if (at !== null && !Number.isNaN(at[i] as number)) {
      at[i] = Number.NaN;
      this.timed--;
    }
    seg.live--;
    this.count--;
    // An emptied segment is replaced by the smallest one. Not sooner: a rebuild's new arrays are
    // young-generation objects (V8 rehashes a Map's table into old space when the old one is
    // there; JavaScript cannot ask for that), and a mass expiry rebuilding every segment at once
    // would fill the young generation with them (measured: scavenges of up to 26 ms draining 1M
    // keys with rebuilds at a fifth full, none with the `Map` lanes). A segment that is only
    // mostly empty keeps its slots until the next insert into it (`set`).
    if (seg.live === 0 && seg.slots > MIN_SLOTS) this.rebuild(seg, 0);
    return true;
  }

  clear(): void {
    for (const s of this.segments()) s.retired = true;
    this.small = new Map<Bytes, V>();
    this.smallAt = new Map<Bytes, number>();
    this.dir = [];
    this.dirMask = 0;
    this.count = 0;
    this.timed = 0;
  }

  /**
   * Sizes an empty table's directory and segments for `total` keys, so that a bulk load of them
   * (a snapshot) grows and splits no segment on the way. `sample` is not needed by this table
   * (the hash spreads any keys evenly); it is taken so the caller can use either table.
   */
  layout(_sample: readonly Bytes[], total: number): void {
    if (this.count !== 0 || this.small === null || total <= this.smallKeys) return;
    this.small = null;
    this.smallAt = null;
    this.presize(total);
  }

  /** A directory of equal, empty segments for `total` keys (each under {@link MAX_LOAD} full, at most `maxSlots`). */
  private presize(total: number): void {
    // 5 % over the mean: a segment's share of the keys varies (binomially) around it.
    const per = (depth: number): number => Math.ceil((total / 2 ** depth) * 1.05) + 1;
    let depth = 1;
    while (depth < MAX_DEPTH && slotsFor(per(depth)) > this.maxSlots) depth++;
    const slots = Math.min(this.maxSlots, slotsFor(per(depth)));
    const dir: Segment<V>[] = [];
    for (let i = 0; i < 1 << depth; i++) dir.push(new Segment<V>(slots, depth, i));
    this.dir = dir;
    this.dirMask = (1 << depth) - 1;
  }

  /** Moves the one map's keys into segments (one copy of {@link SMALL_KEYS} keys). */
  private spreadSmall(small: Map<Bytes, V>): void {
    const smallAt = this.smallAt as Map<Bytes, number>;
    this.small = null;
    this.smallAt = null;
    this.presize(small.size + 1);
    const seed = this.seed;
    small.forEach((value, key) => {
      const h = hashOf(key, seed);
      const seg = this.dir[(h >>> 1) & this.dirMask] as Segment<V>;
      // A segment the keys overfill (uneven hashes) is rebuilt before it has no room.
      if (seg.used + 1 > MAX_LOAD * seg.slots) this.rebuild(seg, seg.live + 1);
      const at = smallAt.size === 0 ? Number.NaN : (smallAt.get(key) ?? Number.NaN);
      (this.dir[(h >>> 1) & this.dirMask] as Segment<V>).place(h, key, value, at);
    });
  }

  /**
   * Rebuilds `seg` for `live` keys: into one segment of slots for them (grown, cleaned of
   * tombstones or shrunk), or — past {@link MAX_SLOTS} — split in two by the next hash bit. One
   * copy of the segment's keys; `seg` is retired (its arrays stay as they were).
   */
  private rebuild(seg: Segment<V>, live: number): void {
    this.rebuildCount++;
    seg.retired = true;
    const want = slotsFor(live);
    if (want <= this.maxSlots || seg.depth >= MAX_DEPTH) {
      const next = new Segment<V>(want, seg.depth, seg.prefix);
      this.copy(seg, this.hashesOf(seg), next, next, 0);
      this.install(next);
      return;
    }
    if (seg.depth === Math.log2(this.dir.length)) this.double();
    const bit = 1 << seg.depth;
    let high = 0;
    const hashes = this.hashesOf(seg);
    for (let i = 0; i < seg.slots; i++) if (((hashes[i] as number) >>> 1) & bit) high++;
    const low = seg.live - high;
    // A half holding nearly all the keys (the next bit did not tell them apart) gets the largest
    // segment: under MAX_LOAD full, it splits again on the next bit when it fills.
    const a = new Segment<V>(this.halfSlots(low), seg.depth + 1, seg.prefix);
    const b = new Segment<V>(this.halfSlots(high), seg.depth + 1, seg.prefix | bit);
    this.copy(seg, hashes, a, b, bit);
    this.install(a);
    this.install(b);
  }

  /**
   * The hash of every live key of `seg` (slot by slot; 0 where none: hashes are odd), in a scratch
   * array: the tags keep one byte of it, a rebuild needs all of it (home slot, directory bits).
   */
  private hashesOf(seg: Segment<V>): Int32Array {
    if (scratch.length < seg.slots) scratch = new Int32Array(seg.slots);
    const tags = seg.tags;
    const kv = seg.kv;
    const seed = this.seed;
    for (let i = 0; i < seg.slots; i++) {
      const x = tags[i] as number;
      scratch[i] = x === EMPTY_SLOT || x === TOMBSTONE ? 0 : hashOf(kv[2 * i] as Bytes, seed);
    }
    return scratch;
  }

  /** Slots for one half of a split holding `n` keys: at most `maxSlots` while they fit under {@link MAX_LOAD}. */
  private halfSlots(n: number): number {
    const slots = slotsFor(n + 1);
    return slots > this.maxSlots && n + 1 <= MAX_LOAD * this.maxSlots ? this.maxSlots : slots;
  }

  /** Copies `from`'s live keys (`hashes`: {@link hashesOf}) into `a`, or into `b` those whose hash has `bit` (0: all into `a`). */
  private copy(from: Segment<V>, hashes: Int32Array, a: Segment<V>, b: Segment<V>, bit: number): void {
    const kv = from.kv;
    const at = from.at;
    for (let i = 0; i < from.slots; i++) {
      const h = hashes[i] as number;
      if (h === 0) continue;
      ((h >>> 1) & bit ? b : a).place(
        h,
        kv[2 * i] as Bytes,
        kv[2 * i + 1] as V,
        at === null ? Number.NaN : (at[i] as number),
      );
    }
  }

  /** Points every directory entry of `seg`'s hash bits at it. */
  private install(seg: Segment<V>): void {
    const dir = this.dir;
    const stride = 1 << seg.depth;
    for (let j = seg.prefix; j < dir.length; j += stride) dir[j] = seg;
  }

  /** Directory doubling: every segment now fills twice the entries. Copies the directory (8 bytes per segment). */
  private double(): void {
    const dir = this.dir;
    this.dir = dir.concat(dir);
    this.dirMask = this.dir.length - 1;
  }

  *keys(): IterableIterator<Bytes> {
    const small = this.small;
    if (small !== null) {
      for (const key of small.keys()) {
        // A map spread or cleared meanwhile is frozen as it was: skip what was deleted since.
        if (this.small === small || this.has(key)) yield key;
      }
      return;
    }
    for (const seg of this.segments()) {
      const tags = seg.tags;
      const kv = seg.kv;
      for (let i = 0; i < seg.slots; i++) {
        const x = tags[i] as number;
        if (x === EMPTY_SLOT || x === TOMBSTONE) continue;
        const key = kv[2 * i] as Bytes;
        if (!seg.retired || this.has(key)) yield key;
      }
    }
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
