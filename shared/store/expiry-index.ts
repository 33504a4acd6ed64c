import type { Bytes } from "./bytes.js";

/**
 * Keys with a TTL, ordered by deadline. The Map engine keeps one beside its `key -> deadline` map
 * so that the active sweep visits only keys that are due (never a full scan, never random
 * sampling of live keys), and so that DBSIZE can subtract keys that are due but not yet reclaimed
 * without touching them.
 *
 * TEMPORARY naive implementation (linear scans) — to be replaced by an ordered structure.
 */
export class ExpiryIndex {
  private entries: { key: Bytes; atMs: number }[] = [];

  /** Number of indexed keys. */
  get size(): number {
    return this.entries.length;
  }

  /** Indexes `key` with deadline `atMs`. The key must not be indexed already. */
  add(key: Bytes, atMs: number): void {
    this.entries.push({ key, atMs });
  }

  /** Removes the entry for `key` whose deadline is `atMs`. */
  remove(key: Bytes, atMs: number): void {
    const i = this.entries.findIndex((e) => e.key === key && e.atMs === atMs);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** How many keys are due at `nowMs` (deadline < nowMs, as Redis: a key expires once now > deadline). */
  dueCount(nowMs: number): number {
    let n = 0;
    for (const e of this.entries) if (e.atMs < nowMs) n++;
    return n;
  }

  /** Removes and returns up to `max` due keys, earliest deadline first. */
  popDue(nowMs: number, max: number): Bytes[] {
    const due = this.entries
      .filter((e) => e.atMs < nowMs)
      .sort((a, b) => a.atMs - b.atMs)
      .slice(0, max);
    const set = new Set(due);
    this.entries = this.entries.filter((e) => !set.has(e));
    return due.map((e) => e.key);
  }

  /** Removes every entry. */
  clear(): void {
    this.entries = [];
  }
}
