/**
 * Open SCAN-family cursors.
 *
 * Redis's reverse-binary cursor depends on its hash table layout; a JavaScript `Map` iterates in
 * insertion order, and its live iterators survive inserts and deletes. So a cursor here is the id
 * of a parked iterator: every element present for the whole scan is returned exactly once (a
 * stronger promise than Redis's "at least once"). Parked iterators are bounded in number and
 * idle time; an unknown or evicted cursor is an `ERR invalid cursor`.
 */
export class CursorRegistry<T> {
  private readonly open = new Map<string, { item: T; lastUsedMs: number }>();
  private nextId = 1;

  /**
   * @param maxOpen most cursors parked at once; the least recently used is dropped. @default 1024
   * @param idleMs a cursor unused this long is dropped. @default 300_000
   */
  constructor(
    readonly maxOpen = 1024,
    readonly idleMs = 300_000,
  ) {}

  /** Number of parked cursors. */
  get size(): number {
    return this.open.size;
  }

  /** Parks `item` (an iterator, or a record holding one) and returns its cursor (never "0"). */
  park(item: T, nowMs: number): string {
    this.evict(nowMs);
    const id = String(this.nextId++);
    this.open.set(id, { item, lastUsedMs: nowMs });
    return id;
  }

  /** Takes a parked item back (it is no longer parked); undefined when unknown or expired. */
  take(cursor: string, nowMs: number): T | undefined {
    const slot = this.open.get(cursor);
    if (!slot) return undefined;
    this.open.delete(cursor);
    if (nowMs - slot.lastUsedMs > this.idleMs) return undefined;
    return slot.item;
  }

  /** Drops every parked cursor (FLUSHALL). */
  clear(): void {
    this.open.clear();
  }

  private evict(nowMs: number): void {
    for (const [id, slot] of this.open) {
      // Map order is insertion order, and a taken cursor is re-parked at the end: oldest first.
      if (this.open.size < this.maxOpen && nowMs - slot.lastUsedMs <= this.idleMs) break;
      this.open.delete(id);
    }
  }
}
