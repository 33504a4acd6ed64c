import type { Bytes } from "./bytes.js";

/** Entries per block. Inserting or removing shifts at most this many slots (a few hundred ns). */
const BLOCK_CAPACITY = 512;
/** A block this sparse is merged into a neighbour when both fit in one block. */
const MERGE_BELOW = BLOCK_CAPACITY >> 2;

/** One sorted run of entries: deadlines in a typed array, keys in a parallel array. */
interface Block {
  /** Deadlines (ms since the epoch), ascending; ties ordered by key. Slots `[h, n)` are used. */
  readonly at: Float64Array;
  /** Keys, parallel to `at`. Unused slots hold "" so the array stays packed. */
  readonly keys: Bytes[];
  /** End of the used slots. */
  n: number;
  /**
   * Start of the used slots: {@link ExpiryIndex.popDueInto} takes due entries from the front by
   * moving it, so popping k entries costs O(k), not a shift of the block (only the first block
   * ever has h > 0; every other change first moves its entries back to slot 0).
   */
  h: number;
}

function newBlock(): Block {
  return { at: new Float64Array(BLOCK_CAPACITY), keys: new Array<Bytes>(BLOCK_CAPACITY).fill(""), n: 0, h: 0 };
}

/** Entries in `b`. */
function len(b: Block): number {
  return b.n - b.h;
}

/** Moves the entries of `b` back to slot 0 (after pops from its front). */
function normalize(b: Block): void {
  const h = b.h;
  if (h === 0) return;
  const n = b.n;
  b.at.copyWithin(0, h, n);
  const keys = b.keys;
  for (let i = h; i < n; i++) keys[i - h] = keys[i] as Bytes;
  for (let i = Math.max(n - h, h); i < n; i++) keys[i] = "";
  b.n = n - h;
  b.h = 0;
}

/** Orders entries by (deadline, key bytes). Keys are byte strings, so `<` is byte order. */
function compare(atA: number, keyA: Bytes, atB: number, keyB: Bytes): number {
  if (atA !== atB) return atA < atB ? -1 : 1;
  return keyA === keyB ? 0 : keyA < keyB ? -1 : 1;
}

/** First slot in `b` whose entry is not before (atMs, key). */
function lowerBound(b: Block, atMs: number, key: Bytes): number {
  let lo = b.h;
  let hi = b.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(b.at[mid] as number, b.keys[mid] as Bytes, atMs, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First slot in `b` whose deadline is `>= atMs` (entries before it are due at `atMs`). */
function firstNotBefore(b: Block, atMs: number): number {
  let lo = b.h;
  let hi = b.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((b.at[mid] as number) < atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Keys with a TTL, ordered by (deadline, key bytes). The Map engine keeps one beside its
 * `key -> deadline` map so that the active sweep visits only keys that are due (never a full scan,
 * never random sampling of live keys), and so that DBSIZE can subtract keys that are due but not
 * yet reclaimed without touching them.
 *
 * **Structure: a sorted list of bounded blocks** (a one-level B+tree without inner nodes). Each
 * block holds up to 512 entries as two parallel arrays, deadlines in a `Float64Array` and keys in
 * a packed array; the blocks are kept in order in one array. Because the order includes the key,
 * every entry has a unique position, so `remove` finds the exact entry by binary search even when
 * a million keys share one deadline.
 *
 * Costs, n entries, B = 512:
 * - `add`/`remove`: binary search over the blocks (log2(n/B)) then within one (log2 B), plus a
 *   shift of at most B slots; a full block splits, an emptied one is dropped, a sparse one merges.
 *   Deadlines usually grow (now + TTL), so an append to the last full block starts a new block
 *   instead of splitting: blocks then stay full.
 * - `dueCount`: O(1) when nothing is due (the first deadline is checked first); otherwise a
 *   binary search for the boundary block plus cached per-block prefix counts, which are rebuilt
 *   lazily only up to the boundary and only past the first block changed since (usually a few
 *   blocks: the sweep keeps the due region small).
 * - `popDue`: takes entries from the front of the first block by moving its start: O(max + log B)
 *   per call, so the sweep can take one key at a time and read its clock after each.
 * - Memory: 16 bytes per entry at full blocks (8 for the deadline, 8 for the key reference; the
 *   key string itself is shared with the keyspace map), ~21 bytes at the 3/4 fill a random
 *   insert order produces, plus ~100 bytes per block. No object per entry. A balanced tree or a
 *   skiplist would cost a node object per key (40–80 bytes).
 */
export class ExpiryIndex {
  private blocks: Block[] = [];
  private count = 0;
  /** `prefix[i]` = entries in blocks before block i, valid for `i <= prefixValid`. */
  private prefix: number[] = [0];
  private prefixValid = 0;

  /** Number of indexed keys. */
  get size(): number {
    return this.count;
  }

  /** The earliest deadline indexed (ms since the epoch), or undefined when empty. O(1): the sweep's wake-up reads it. */
  get earliest(): number | undefined {
    const b = this.blocks[0];
    return b === undefined ? undefined : b.at[b.h];
  }

  /** Number of internal blocks (memory accounting and tests). */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** Indexes `key` with deadline `atMs`. The key must not be indexed already. */
  add(key: Bytes, atMs: number): void {
    const blocks = this.blocks;
    if (blocks.length === 0) {
      const b = newBlock();
      b.at[0] = atMs;
      b.keys[0] = key;
      b.n = 1;
      blocks.push(b);
      this.count = 1;
      this.invalidate(0);
      return;
    }
    let bi = this.findBlock(atMs, key);
    let b = blocks[bi] as Block;
    normalize(b);
    let pos = lowerBound(b, atMs, key);
    if (b.n === BLOCK_CAPACITY) {
      if (pos === BLOCK_CAPACITY && bi === blocks.length - 1) {
        // Appending past the end of the last block (the common, growing-deadline case).
        b = newBlock();
        blocks.push(b);
        bi++;
        pos = 0;
      } else {
        const right = this.split(bi);
        if (pos > b.n) {
          pos -= b.n;
          b = right;
          bi++;
        }
      }
    }
    b.at.copyWithin(pos + 1, pos, b.n);
    const keys = b.keys;
    for (let i = b.n; i > pos; i--) keys[i] = keys[i - 1] as Bytes;
    b.at[pos] = atMs;
    keys[pos] = key;
    b.n++;
    this.count++;
    this.invalidate(bi);
  }

  /** Removes the entry for `key` whose deadline is `atMs`; does nothing when there is none. */
  remove(key: Bytes, atMs: number): void {
    if (this.blocks.length === 0) return;
    const bi = this.findBlock(atMs, key);
    const b = this.blocks[bi] as Block;
    normalize(b);
    const pos = lowerBound(b, atMs, key);
    if (pos >= b.n || b.at[pos] !== atMs || b.keys[pos] !== key) return;
    this.removeRange(bi, pos, 1);
    this.count--;
    this.rebalance(bi);
  }

  /** How many keys are due at `nowMs` (deadline < nowMs, as Redis: a key expires once now > deadline). */
  dueCount(nowMs: number): number {
    const blocks = this.blocks;
    const first = blocks[0];
    if (first === undefined || (first.at[first.h] as number) >= nowMs) return 0;
    // The last block whose first deadline is due holds the boundary.
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const b = blocks[mid] as Block;
      if ((b.at[b.h] as number) < nowMs) lo = mid;
      else hi = mid - 1;
    }
    const b = blocks[lo] as Block;
    return this.prefixAt(lo) + firstNotBefore(b, nowMs) - b.h;
  }

  /** Removes and returns up to `max` due keys (deadline < nowMs), earliest deadline first. */
  popDue(nowMs: number, max: number): Bytes[] {
    const out: Bytes[] = [];
    this.popDueInto(nowMs, max, out);
    return out;
  }

  /**
   * {@link popDue} into `out[0, n)`, returning n; slots of `out` past n are left as they were. The
   * active sweep reuses one array, so a mass expiry allocates no array per batch (young-generation
   * garbage that brought scavenges into the drain).
   */
  popDueInto(nowMs: number, max: number, out: Bytes[]): number {
    let n = 0;
    const blocks = this.blocks;
    while (n < max && blocks.length > 0) {
      const b = blocks[0] as Block;
      const h = b.h;
      const take = Math.min(firstNotBefore(b, nowMs) - h, max - n);
      if (take === 0) break;
      const keys = b.keys;
      for (let i = h; i < h + take; i++) {
        out[n++] = keys[i] as Bytes;
        keys[i] = ""; // hold no reference to a popped key
      }
      b.h = h + take;
      this.count -= take;
      this.invalidate(0);
      if (b.h === b.n) blocks.shift();
      else break; // the rest of the block is not due, or `max` is reached
    }
    return n;
  }

  /** Removes every entry. */
  clear(): void {
    this.blocks = [];
    this.count = 0;
    this.prefix = [0];
    this.prefixValid = 0;
  }

  /** The block that holds (atMs, key), or where it belongs: the last block whose first entry is not after it. */
  private findBlock(atMs: number, key: Bytes): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const b = blocks[mid] as Block;
      if (compare(b.at[b.h] as number, b.keys[b.h] as Bytes, atMs, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Moves the upper half of full block `bi` into a new block after it; returns the new block. */
  private split(bi: number): Block {
    const b = this.blocks[bi] as Block;
    normalize(b);
    const right = newBlock();
    const half = b.n >>> 1;
    const moved = b.n - half;
    right.at.set(b.at.subarray(half, b.n));
    for (let i = 0; i < moved; i++) {
      right.keys[i] = b.keys[half + i] as Bytes;
      b.keys[half + i] = "";
    }
    right.n = moved;
    b.n = half;
    this.blocks.splice(bi + 1, 0, right);
    this.invalidate(bi);
    return right;
  }

  /** Deletes `len` entries of block `bi` starting at `pos`, shifting the rest down. */
  private removeRange(bi: number, pos: number, count: number): void {
    const b = this.blocks[bi] as Block;
    const n = b.n;
    b.at.copyWithin(pos, pos + count, n);
    const keys = b.keys;
    for (let i = pos; i < n - count; i++) keys[i] = keys[i + count] as Bytes;
    for (let i = n - count; i < n; i++) keys[i] = ""; // drop references so removed keys can be collected
    b.n = n - count;
    this.invalidate(bi);
  }

  /** Drops block `bi` if empty, or merges it with a neighbour when sparse and both fit. */
  private rebalance(bi: number): void {
    const blocks = this.blocks;
    const b = blocks[bi] as Block;
    if (len(b) === 0) {
      blocks.splice(bi, 1);
      return;
    }
    if (len(b) >= MERGE_BELOW) return;
    const next = blocks[bi + 1];
    const prev = blocks[bi - 1];
    if (next !== undefined && len(b) + len(next) <= BLOCK_CAPACITY - MERGE_BELOW) this.merge(bi);
    else if (prev !== undefined && len(b) + len(prev) <= BLOCK_CAPACITY - MERGE_BELOW) this.merge(bi - 1);
  }

  /** Appends block `bi + 1` to block `bi` and drops it. */
  private merge(bi: number): void {
    const a = this.blocks[bi] as Block;
    const b = this.blocks[bi + 1] as Block;
    normalize(a);
    normalize(b);
    a.at.set(b.at.subarray(0, b.n), a.n);
    for (let i = 0; i < b.n; i++) a.keys[a.n + i] = b.keys[i] as Bytes;
    a.n += b.n;
    this.blocks.splice(bi + 1, 1);
    this.invalidate(bi);
  }

  /** Marks prefix counts past block `bi` stale (block `bi` changed size, or blocks moved). */
  private invalidate(bi: number): void {
    if (bi < this.prefixValid) this.prefixValid = bi;
  }

  /** Entries in the blocks before block `bi`, rebuilding stale prefix counts up to it. */
  private prefixAt(bi: number): number {
    const prefix = this.prefix;
    let i = this.prefixValid;
    if (i < bi) {
      const blocks = this.blocks;
      let sum = prefix[i] as number;
      for (; i < bi; i++) {
        sum += len(blocks[i] as Block);
        prefix[i + 1] = sum;
      }
      this.prefixValid = bi;
    }
    return prefix[bi] as number;
  }
}
