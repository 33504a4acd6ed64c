import type { Bytes } from "./bytes.js";

/**
 * A skip list with spans, ordered by (score, member bytes), as Redis's `zskiplist` (t_zset.c).
 *
 * Every link stores its span (how many level-0 steps it jumps), so rank lookups, rank selection
 * and range bounds are O(log n). Members are byte strings: JavaScript's `<` on them compares code
 * units, which for bytes is exactly `memcmp` order. Node levels come from an internal seeded
 * PRNG, so a list built from the same seed and the same operations has the same shape.
 */

/** Highest level a node may have (enough for 2^64 elements with p = 1/4). */
const MAX_LEVEL = 32;

/** A node of the list. `forward[i]` / `span[i]` are the links at level i. */
export class SkipNode {
  /** The previous node at level 0 (null for the first node). */
  backward: SkipNode | null = null;
  /** Next node per level. */
  readonly forward: (SkipNode | null)[];
  /** Level-0 steps each forward link jumps. */
  readonly span: number[];

  constructor(
    readonly score: number,
    readonly member: Bytes,
    level: number,
  ) {
    this.forward = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }

  /** The next node in order (level 0), or null at the end. */
  get next(): SkipNode | null {
    return this.forward[0] ?? null;
  }
}

/** A node and its 1-based rank. */
export interface RankedNode {
  readonly node: SkipNode;
  readonly rank: number;
}

/**
 * Scratch vectors for insert/delete (the rightmost node before the target per level, and its
 * rank), shared because operations never interleave: no allocation per operation.
 */
const UPDATE: SkipNode[] = [];
const RANK: number[] = new Array<number>(MAX_LEVEL).fill(0);

/** True when (s1, m1) sorts strictly before (s2, m2). */
function before(s1: number, m1: Bytes, s2: number, m2: Bytes): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

/** The ordered half of a sorted set. Callers guarantee members are unique and scores not NaN. */
export class SkipList {
  private readonly header = new SkipNode(0, "", MAX_LEVEL);
  private tailNode: SkipNode | null = null;
  private level = 1;
  private count = 0;
  private seed: number;

  /** @param seed seeds the level generator (any 32-bit integer; 0 is replaced). */
  constructor(seed = 0x9e3779b9) {
    this.seed = seed >>> 0 || 0x9e3779b9;
  }

  /** Number of nodes. */
  get length(): number {
    return this.count;
  }

  /** The lowest node, or null when empty. */
  get first(): SkipNode | null {
    return this.header.forward[0] ?? null;
  }

  /** The highest node, or null when empty. */
  get last(): SkipNode | null {
    return this.tailNode;
  }

  /** The seed state, so a clone can continue with the same level sequence. */
  get state(): number {
    return this.seed;
  }

  /** A level in [1, MAX_LEVEL] with P(level > k) = 4^-k (xorshift32). */
  private randomLevel(): number {
    let level = 1;
    for (;;) {
      let x = this.seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.seed = x >>> 0;
      if ((this.seed & 3) !== 0 || level >= MAX_LEVEL) return level;
      level++;
    }
  }

  /** Inserts (score, member); the member must not be present. Returns the new node. */
  insert(score: number, member: Bytes): SkipNode {
    const update = UPDATE;
    const rank = RANK;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : (rank[i + 1] as number);
      for (let f = x.forward[i]; f && before(f.score, f.member, score, member); f = x.forward[i]) {
        rank[i] = (rank[i] as number) + (x.span[i] as number);
        x = f;
      }
      update[i] = x;
    }
    const level = this.randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.count;
      }
      this.level = level;
    }
    const node = new SkipNode(score, member, level);
    const r0 = rank[0] as number;
    for (let i = 0; i < level; i++) {
      const u = update[i] as SkipNode;
      const ri = rank[i] as number;
      node.forward[i] = u.forward[i] ?? null;
      u.forward[i] = node;
      node.span[i] = (u.span[i] as number) - (r0 - ri);
      u.span[i] = r0 - ri + 1;
    }
    for (let i = level; i < this.level; i++) {
      const u = update[i] as SkipNode;
      u.span[i] = (u.span[i] as number) + 1;
    }
    const u0 = update[0] as SkipNode;
    node.backward = u0 === this.header ? null : u0;
    const next = node.forward[0];
    if (next) next.backward = node;
    else this.tailNode = node;
    this.count++;
    return node;
  }

  /** Unlinks `node` given the rightmost node before it at every level. */
  private unlink(node: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i] as SkipNode;
      if (u.forward[i] === node) {
        u.span[i] = (u.span[i] as number) + (node.span[i] as number) - 1;
        u.forward[i] = node.forward[i] ?? null;
      } else {
        u.span[i] = (u.span[i] as number) - 1;
      }
    }
    const next = node.forward[0];
    if (next) next.backward = node.backward;
    else this.tailNode = node.backward;
    while (this.level > 1 && !this.header.forward[this.level - 1]) {
      this.header.span[this.level - 1] = 0;
      this.level--;
    }
    this.count--;
  }

  /** Removes (score, member). True when it was present. */
  delete(score: number, member: Bytes): boolean {
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && before(f.score, f.member, score, member); f = x.forward[i]) x = f;
      update[i] = x;
    }
    const node = x.forward[0];
    if (!node || node.score !== score || node.member !== member) return false;
    this.unlink(node, update);
    return true;
  }

  /** The 1-based rank of (score, member), or 0 when absent. */
  rank(score: number, member: Bytes): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && !before(score, member, f.score, f.member); f = x.forward[i]) {
        rank += x.span[i] as number;
        x = f;
      }
      if (x !== this.header && x.member === member && x.score === score) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null when out of range. */
  at(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.count) return null;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && traversed + (x.span[i] as number) <= rank; f = x.forward[i]) {
        traversed += x.span[i] as number;
        x = f;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /**
   * The last node for which `isBefore` holds (it must hold for a prefix of the order) and its
   * rank; the header and rank 0 when it holds for none.
   */
  private lastWhere(isBefore: (node: SkipNode) => boolean): [SkipNode, number] {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && isBefore(f); f = x.forward[i]) {
        rank += x.span[i] as number;
        x = f;
      }
    }
    return [x, rank];
  }

  /**
   * The first node inside a range and its rank. `belowMin` holds for a prefix of the order,
   * `withinMax` for a prefix too; the range is the nodes where neither `belowMin` nor `!withinMax`.
   */
  firstWhere(belowMin: (n: SkipNode) => boolean, withinMax: (n: SkipNode) => boolean): RankedNode | null {
    const [x, rank] = this.lastWhere(belowMin);
    const node = x.forward[0];
    return node && withinMax(node) ? { node, rank: rank + 1 } : null;
  }

  /** The last node inside a range (see {@link firstWhere}) and its rank. */
  lastWhereIn(belowMin: (n: SkipNode) => boolean, withinMax: (n: SkipNode) => boolean): RankedNode | null {
    const [x, rank] = this.lastWhere(withinMax);
    return x !== this.header && !belowMin(x) ? { node: x, rank } : null;
  }

  /**
   * Removes the nodes of 1-based ranks start..end (inclusive, within bounds), calling `onDelete`
   * for each, in O(log n + k). Returns how many were removed.
   */
  deleteRangeByRank(start: number, end: number, onDelete: (node: SkipNode) => void): number {
    // Own vector: onDelete may call back into other lists.
    const update = new Array<SkipNode>(MAX_LEVEL);
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && traversed + (x.span[i] as number) < start; f = x.forward[i]) {
        traversed += x.span[i] as number;
        x = f;
      }
      update[i] = x;
    }
    traversed++;
    let node = x.forward[0] ?? null;
    let removed = 0;
    while (node && traversed <= end) {
      const next = node.forward[0] ?? null;
      this.unlink(node, update);
      onDelete(node);
      removed++;
      traversed++;
      node = next;
    }
    return removed;
  }

  /** Nodes in order, lowest first. */
  *[Symbol.iterator](): IterableIterator<SkipNode> {
    for (let x = this.header.forward[0]; x; x = x.forward[0]) yield x;
  }

  /**
   * Checks the structure (order, spans, backward links, length). Throws on the first violation;
   * for tests.
   */
  verify(): void {
    let n = 0;
    let prev: SkipNode | null = null;
    for (let x = this.header.forward[0]; x; x = x.forward[0]) {
      n++;
      if (x.backward !== prev) throw new Error(`bad backward link at rank ${n}`);
      if (prev && !before(prev.score, prev.member, x.score, x.member)) throw new Error(`out of order at rank ${n}`);
      prev = x;
    }
    if (n !== this.count) throw new Error(`length ${this.count} but ${n} nodes`);
    if (this.tailNode !== prev) throw new Error("bad tail");
    const ranks = new Map<SkipNode, number>();
    let r = 0;
    for (let x = this.header.forward[0]; x; x = x.forward[0]) ranks.set(x, ++r);
    for (let i = 0; i < this.level; i++) {
      let x: SkipNode = this.header;
      let rank = 0;
      while (x.forward[i]) {
        const f = x.forward[i] as SkipNode;
        const fr = ranks.get(f) as number;
        if (fr - rank !== x.span[i]) throw new Error(`bad span at level ${i}, rank ${rank}`);
        rank = fr;
        x = f;
      }
    }
    for (let i = this.level; i < MAX_LEVEL; i++) {
      if (this.header.forward[i]) throw new Error(`link above level ${this.level}`);
    }
  }
}
