import type { Bytes } from "./bytes.js";
import { type RankedNode, SkipList, type SkipNode } from "./skiplist.js";
import type { ContainerValue } from "./value.js";

/**
 * The sorted set value: a `Map` member → score for O(1) lookups plus a {@link SkipList} ordered by
 * (score, member) for ranks and ranges, as Redis's `zset` (dict + zskiplist).
 */

/** A score interval, as ZRANGEBYSCORE takes it (`(` makes a bound exclusive). */
export interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minex: boolean;
  readonly maxex: boolean;
}

/** The `-` bound of a lex range: below every member. */
export const LEX_MIN: unique symbol = Symbol("-");
/** The `+` bound of a lex range: above every member. */
export const LEX_MAX: unique symbol = Symbol("+");
/** One bound of a lex range: a member, or `-` / `+`. */
export type LexBound = Bytes | typeof LEX_MIN | typeof LEX_MAX;

/** A member interval, as ZRANGEBYLEX takes it (`[` inclusive, `(` exclusive, `-`, `+`). */
export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
  readonly minex: boolean;
  readonly maxex: boolean;
}

/** Compares lex bounds as Redis's `sdscmplex` (`-` below all, `+` above all). */
function lexCompare(a: LexBound, b: LexBound): number {
  if (a === b) return 0;
  if (a === LEX_MIN || b === LEX_MAX) return -1;
  if (a === LEX_MAX || b === LEX_MIN) return 1;
  return a < b ? -1 : 1;
}

/** ZADD's option flags (ZINCRBY is ZADD with `incr`). */
export interface AddFlags {
  readonly nx: boolean;
  readonly xx: boolean;
  readonly gt: boolean;
  readonly lt: boolean;
  readonly incr: boolean;
}

/** What {@link ZSetValue.add} did. `score` is the member's score afterwards (for INCR replies). */
export type AddOutcome =
  | { readonly kind: "added" | "updated" | "unchanged"; readonly score: number }
  | { readonly kind: "nop" }
  | { readonly kind: "nan" };

/** Approximate bytes per member beyond its string: the map entry, the node and its links. */
const ENTRY_OVERHEAD_BYTES = 120;

/** A sorted set. */
export class ZSetValue implements ContainerValue {
  /** Always `"zset"`. */
  readonly type = "zset" as const;
  /** Always `"skiplist"` (there is no compact small encoding). */
  readonly encoding = "skiplist";
  private readonly scores = new Map<Bytes, number>();
  private readonly list: SkipList;

  /** @param seed seeds the skip list's level generator (commands pass one drawn from ctx.random). */
  constructor(seed?: number) {
    this.list = new SkipList(seed);
  }

  /** Number of members. */
  get size(): number {
    return this.scores.size;
  }

  /** The ordered view (read-only use: change members through this class only). */
  get ordered(): SkipList {
    return this.list;
  }

  /** The score of `member`, or undefined. */
  score(member: Bytes): number | undefined {
    return this.scores.get(member);
  }

  /** Sets `member` to `score` unconditionally (adds it or moves it). `-0` is stored as `0`. */
  set(member: Bytes, score: number): void {
    const s = score + 0;
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === s) return;
      this.list.delete(old, member);
    }
    this.scores.set(member, s);
    this.list.insert(s, member);
  }

  /** ZADD's per-member step (redis `zsetAdd`), with the NX/XX/GT/LT/INCR rules. */
  add(member: Bytes, score: number, flags: AddFlags): AddOutcome {
    const current = this.scores.get(member);
    if (current !== undefined) {
      if (flags.nx) return { kind: "nop" };
      let next = score;
      if (flags.incr) {
        next = current + score;
        if (Number.isNaN(next)) return { kind: "nan" };
      }
      if ((flags.lt && next >= current) || (flags.gt && next <= current)) return { kind: "nop" };
      if (next === current) return { kind: "unchanged", score: current };
      this.set(member, next);
      return { kind: "updated", score: next + 0 };
    }
    if (flags.xx) return { kind: "nop" };
    this.set(member, score);
    return { kind: "added", score: score + 0 };
  }

  /** Removes `member`; true when it was present. */
  remove(member: Bytes): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
    this.list.delete(score, member);
    return true;
  }

  /** The 0-based rank of `member` (from the highest when `reverse`), or -1 when absent. */
  rank(member: Bytes, reverse: boolean): number {
    const score = this.scores.get(member);
    if (score === undefined) return -1;
    const r = this.list.rank(score, member);
    return reverse ? this.size - r : r - 1;
  }

  /** The node at 0-based `index` from the lowest, or null. */
  at(index: number): SkipNode | null {
    return this.list.at(index + 1);
  }

  /** The first member inside a score range (and its 1-based rank), or null. */
  firstInScoreRange(r: ScoreRange): RankedNode | null {
    return this.list.firstWhere(
      (n) => !gteMin(n.score, r),
      (n) => lteMax(n.score, r),
    );
  }

  /** The last member inside a score range (and its 1-based rank), or null. */
  lastInScoreRange(r: ScoreRange): RankedNode | null {
    return this.list.lastWhereIn(
      (n) => !gteMin(n.score, r),
      (n) => lteMax(n.score, r),
    );
  }

  /** The first member inside a lex range (and its 1-based rank), or null. */
  firstInLexRange(r: LexRange): RankedNode | null {
    return this.list.firstWhere(
      (n) => !lexGteMin(n.member, r),
      (n) => lexLteMax(n.member, r),
    );
  }

  /** The last member inside a lex range (and its 1-based rank), or null. */
  lastInLexRange(r: LexRange): RankedNode | null {
    return this.list.lastWhereIn(
      (n) => !lexGteMin(n.member, r),
      (n) => lexLteMax(n.member, r),
    );
  }

  /** Removes the members of 0-based ranks start..end (inclusive, within bounds); returns how many. */
  removeRankRange(start: number, end: number): number {
    return this.list.deleteRangeByRank(start + 1, end + 1, (n) => this.scores.delete(n.member));
  }

  /** Member → score entries in insertion order (a live iterator, for ZSCAN). */
  entries(): IterableIterator<[Bytes, number]> {
    return this.scores.entries();
  }

  /** A deep copy (members are immutable strings and shared). */
  clone(): ZSetValue {
    const copy = new ZSetValue(this.list.state);
    for (const node of this.list) copy.set(node.member, node.score);
    return copy;
  }

  /** Approximate heap bytes of the members and structure. */
  memoryBytes(): number {
    let bytes = 0;
    for (const member of this.scores.keys()) bytes += member.length + ENTRY_OVERHEAD_BYTES;
    return bytes;
  }
}

/** True when `v` is at or above the range's minimum (redis `zslValueGteMin`). */
export function gteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

/** True when `v` is at or below the range's maximum (redis `zslValueLteMax`). */
export function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** True when `m` is at or above the lex range's minimum. */
export function lexGteMin(m: Bytes, r: LexRange): boolean {
  const c = lexCompare(m, r.min);
  return r.minex ? c > 0 : c >= 0;
}

/** True when `m` is at or below the lex range's maximum. */
export function lexLteMax(m: Bytes, r: LexRange): boolean {
  const c = lexCompare(m, r.max);
  return r.maxex ? c < 0 : c <= 0;
}
