import type { Bytes } from "./bytes.js";
import type { ContainerValue } from "./value.js";

/**
 * The list data structure: a growable ring buffer (a deque) of {@link Bytes}.
 *
 * Redis keeps lists in a quicklist (a linked list of listpacks) so that both ends are O(1). A ring
 * buffer gives the same O(1) push and pop at both ends, plus O(1) access by index (LINDEX, LSET,
 * LRANGE's start), in one flat array. The capacity is a power of two so that a logical index maps
 * to a slot with a mask instead of a modulo; it doubles when full and halves when a quarter full,
 * so pushes and pops stay amortized O(1) and a list that was big once does not pin its memory.
 * Freed slots are cleared so that popped elements can be collected.
 */

/** The smallest capacity a list keeps (a freshly created list holds this many slots). */
const MIN_CAPACITY = 8;
/** Rough per-element overhead of a V8 one-byte string, for {@link ListValue.memoryBytes}. */
const STRING_OVERHEAD = 16;
/** Rough bytes of a slot in the backing array (a tagged pointer). */
const SLOT_BYTES = 8;
/** Rough bytes of the object itself and its array header. */
const OBJECT_BYTES = 64;

/** The smallest power of two that is at least `n` (and at least {@link MIN_CAPACITY}). */
function capacityFor(n: number): number {
  let cap = MIN_CAPACITY;
  while (cap < n) cap *= 2;
  return cap;
}

/**
 * Resolves a Redis-style inclusive range (`start`/`stop`, negative counting from the tail) against
 * a list of `length` elements, as LRANGE and LTRIM do. Returns the first and last indexes
 * (`0 <= from <= to < length`), or null when the range is empty.
 */
export function resolveRange(start: number, stop: number, length: number): [from: number, to: number] | null {
  let from = start < 0 ? length + start : start;
  let to = stop < 0 ? length + stop : stop;
  if (from < 0) from = 0;
  // from >= 0 here, so this is also true whenever `to` is still negative.
  if (from > to || from >= length) return null;
  if (to >= length) to = length - 1;
  return [from, to];
}

/** A Redis list: a deque of byte strings with O(1) access at both ends and by index. */
export class ListValue implements ContainerValue {
  /** Always `"list"`. */
  readonly type = "list" as const;
  /** What OBJECT ENCODING reports: Redis 7.0 names every list `quicklist`, and clients expect it. */
  readonly encoding = "quicklist";
  /** The slots; the element at logical index `i` lives at `(head + i) & mask`. */
  private buf: (Bytes | undefined)[];
  private mask: number;
  private head = 0;
  private length = 0;
  /** Sum of the elements' lengths, kept up to date so {@link memoryBytes} is O(1). */
  private elementBytes = 0;

  /** Creates a list holding `elements` in order (head first). */
  constructor(elements: Iterable<Bytes> = []) {
    const initial = Array.isArray(elements) ? (elements as readonly Bytes[]) : [...elements];
    const cap = capacityFor(initial.length);
    this.buf = new Array<Bytes | undefined>(cap);
    this.mask = cap - 1;
    for (let i = 0; i < initial.length; i++) {
      const v = initial[i] as Bytes;
      this.buf[i] = v;
      this.elementBytes += v.length;
    }
    this.length = initial.length;
  }

  /** Number of elements (LLEN). */
  get size(): number {
    return this.length;
  }

  /** Number of slots currently allocated (a power of two; for tests and introspection). */
  get capacity(): number {
    return this.buf.length;
  }

  /** The element at logical index `i`, which must be in range. */
  private get(i: number): Bytes {
    return this.buf[(this.head + i) & this.mask] as Bytes;
  }

  /** Converts a Redis index (negative counts from the tail) to a logical one, or -1 when out of range. */
  private normalize(index: number): number {
    const i = index < 0 ? this.length + index : index;
    return i >= 0 && i < this.length ? i : -1;
  }

  /** Moves the elements into a buffer of `cap` slots, head first. */
  private resize(cap: number): void {
    const next = new Array<Bytes | undefined>(cap);
    for (let i = 0; i < this.length; i++) next[i] = this.get(i);
    this.buf = next;
    this.mask = cap - 1;
    this.head = 0;
  }

  private growIfFull(): void {
    if (this.length === this.buf.length) this.resize(this.buf.length * 2);
  }

  /** Halves the buffer while it is at most a quarter full (never below the minimum). */
  private shrinkIfSparse(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY && this.length <= cap >>> 2) this.resize(capacityFor(this.length * 2));
  }

  /** Adds `element` before the first element (LPUSH). */
  pushHead(element: Bytes): void {
    this.growIfFull();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = element;
    this.length++;
    this.elementBytes += element.length;
  }

  /** Adds `element` after the last element (RPUSH). */
  pushTail(element: Bytes): void {
    this.growIfFull();
    this.buf[(this.head + this.length) & this.mask] = element;
    this.length++;
    this.elementBytes += element.length;
  }

  /** Removes and returns the first element, or undefined when the list is empty (LPOP). */
  popHead(): Bytes | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head] as Bytes;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.elementBytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  /** Removes and returns the last element, or undefined when the list is empty (RPOP). */
  popTail(): Bytes | undefined {
    if (this.length === 0) return undefined;
    const slot = (this.head + this.length - 1) & this.mask;
    const v = this.buf[slot] as Bytes;
    this.buf[slot] = undefined;
    this.length--;
    this.elementBytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  /** The element at `index` (negative counts from the tail: -1 is the last), or undefined (LINDEX). */
  at(index: number): Bytes | undefined {
    const i = this.normalize(index);
    return i < 0 ? undefined : this.get(i);
  }

  /** Replaces the element at `index` (negative counts from the tail). False when out of range (LSET). */
  set(index: number, element: Bytes): boolean {
    const i = this.normalize(index);
    if (i < 0) return false;
    const slot = (this.head + i) & this.mask;
    this.elementBytes += element.length - (this.buf[slot] as Bytes).length;
    this.buf[slot] = element;
    return true;
  }

  /**
   * Inserts `element` so that it ends up at logical `index` (0 ≤ index ≤ size; size appends).
   * Moves whichever side of the list is shorter, so inserting near either end is cheap (LINSERT).
   */
  insert(index: number, element: Bytes): void {
    if (!Number.isInteger(index) || index < 0 || index > this.length) {
      throw new RangeError(`list insert index ${index} out of range 0..${this.length}`);
    }
    this.growIfFull();
    const mask = this.mask;
    if (index < this.length - index) {
      // Shift the front part one slot towards the head.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) {
        this.buf[(this.head + i) & mask] = this.buf[(this.head + i + 1) & mask];
      }
    } else {
      // Shift the back part one slot towards the tail.
      for (let i = this.length; i > index; i--) {
        this.buf[(this.head + i) & mask] = this.buf[(this.head + i - 1) & mask];
      }
    }
    this.buf[(this.head + index) & mask] = element;
    this.length++;
    this.elementBytes += element.length;
  }

  /** Removes and returns the element at `index` (negative counts from the tail), or undefined. */
  removeAt(index: number): Bytes | undefined {
    const at = this.normalize(index);
    if (at < 0) return undefined;
    const mask = this.mask;
    const v = this.get(at);
    if (at < this.length - 1 - at) {
      // Close the gap from the head side.
      for (let i = at; i > 0; i--) this.buf[(this.head + i) & mask] = this.buf[(this.head + i - 1) & mask];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      // Close the gap from the tail side.
      for (let i = at; i < this.length - 1; i++) {
        this.buf[(this.head + i) & mask] = this.buf[(this.head + i + 1) & mask];
      }
      this.buf[(this.head + this.length - 1) & mask] = undefined;
    }
    this.length--;
    this.elementBytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  /** Index of the first element equal to `element` at or after `from`, or -1. */
  indexOf(element: Bytes, from = 0): number {
    for (let i = Math.max(0, from); i < this.length; i++) if (this.get(i) === element) return i;
    return -1;
  }

  /** Index of the last element equal to `element` at or before `from` (default: the last), or -1. */
  lastIndexOf(element: Bytes, from = this.length - 1): number {
    for (let i = Math.min(from, this.length - 1); i >= 0; i--) if (this.get(i) === element) return i;
    return -1;
  }

  /**
   * Removes elements equal to `element`, at most `limit` of them (0 = all), scanning from the head,
   * or from the tail when `fromTail` (LREM). Returns how many were removed. One compacting pass: O(n).
   */
  removeMatching(element: Bytes, limit = 0, fromTail = false): number {
    const n = this.length;
    const mask = this.mask;
    const buf = this.buf;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = buf[(this.head + r) & mask] as Bytes;
        if (v === element && (limit === 0 || removed < limit)) removed++;
        else if (removed !== 0) buf[(this.head + w++) & mask] = v;
        else w++;
      }
      for (let i = w; i < n; i++) buf[(this.head + i) & mask] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = buf[(this.head + r) & mask] as Bytes;
        if (v === element && (limit === 0 || removed < limit)) removed++;
        else if (removed !== 0) buf[(this.head + w--) & mask] = v;
        else w--;
      }
      for (let i = 0; i <= w; i++) buf[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.length -= removed;
    this.elementBytes -= removed * element.length;
    if (removed !== 0) this.shrinkIfSparse();
    return removed;
  }

  /**
   * Removes `fromHead` elements at the head and `fromTail` at the tail (LTRIM, popping counts).
   * Counts are clamped to what the list holds.
   */
  drop(fromHead: number, fromTail: number): void {
    const h = Math.min(Math.max(0, fromHead), this.length);
    const t = Math.min(Math.max(0, fromTail), this.length - h);
    if (h === 0 && t === 0) return;
    const kept = this.length - h - t;
    const keptCap = capacityFor(kept * 2);
    if (keptCap < this.buf.length && kept < h + t) {
      // Most of the list goes: copying what stays is cheaper than clearing what goes.
      const next = new Array<Bytes | undefined>(keptCap);
      for (let i = 0; i < kept; i++) next[i] = this.get(h + i);
      for (let i = 0; i < h; i++) this.elementBytes -= this.get(i).length;
      for (let i = h + kept; i < this.length; i++) this.elementBytes -= this.get(i).length;
      this.buf = next;
      this.mask = keptCap - 1;
      this.head = 0;
      this.length = kept;
      return;
    }
    for (let i = 0; i < h; i++) {
      const slot = (this.head + i) & this.mask;
      this.elementBytes -= (this.buf[slot] as Bytes).length;
      this.buf[slot] = undefined;
    }
    for (let i = h + kept; i < this.length; i++) {
      const slot = (this.head + i) & this.mask;
      this.elementBytes -= (this.buf[slot] as Bytes).length;
      this.buf[slot] = undefined;
    }
    this.head = (this.head + h) & this.mask;
    this.length = kept;
    this.shrinkIfSparse();
  }

  /**
   * Keeps only the Redis-style inclusive range `start`..`stop` (negative indexes count from the
   * tail); an empty range empties the list (LTRIM).
   */
  trim(start: number, stop: number): void {
    const range = resolveRange(start, stop, this.length);
    if (range === null) this.drop(this.length, 0);
    else this.drop(range[0], this.length - 1 - range[1]);
  }

  /**
   * The elements from logical index `from` to `to` inclusive (clamped to the list), head to tail,
   * or tail to head when `reverse` (LRANGE, popping with a count).
   */
  slice(from = 0, to = this.length - 1, reverse = false): Bytes[] {
    const lo = Math.max(0, from);
    const hi = Math.min(to, this.length - 1);
    if (lo > hi) return [];
    const out = new Array<Bytes>(hi - lo + 1);
    if (reverse) for (let i = hi, k = 0; i >= lo; i--) out[k++] = this.get(i);
    else for (let i = lo, k = 0; i <= hi; i++) out[k++] = this.get(i);
    return out;
  }

  /** Elements of the Redis-style inclusive range `start`..`stop` (negative from the tail) (LRANGE). */
  range(start: number, stop: number): Bytes[] {
    const r = resolveRange(start, stop, this.length);
    return r === null ? [] : this.slice(r[0], r[1]);
  }

  /** Iterates the elements head to tail (or tail to head). Do not change the list meanwhile. */
  *values(reverse = false): IterableIterator<Bytes> {
    if (reverse) for (let i = this.length - 1; i >= 0; i--) yield this.get(i);
    else for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** Iterates the elements head to tail. */
  [Symbol.iterator](): IterableIterator<Bytes> {
    return this.values();
  }

  /** All elements, head to tail, as a new array. */
  toArray(): Bytes[] {
    return this.slice();
  }

  /** A copy sharing no storage with this list (strings are immutable, so they are shared). */
  clone(): ListValue {
    return new ListValue(this.toArray());
  }

  /** Approximate heap bytes: the slots, the strings and the object. */
  memoryBytes(): number {
    return OBJECT_BYTES + this.buf.length * SLOT_BYTES + this.length * STRING_OVERHEAD + this.elementBytes;
  }
}
