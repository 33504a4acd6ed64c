import type { Bytes } from "./bytes.js";
import type { IdKey } from "./stream-id.js";

/**
 * Consumer groups (Redis's `streamCG`, `streamConsumer`, `streamNACK`): the pending entries
 * lists are {@link IdIndex}es — ordered by ID, with O(1) lookup — shared between the group's PEL
 * and each consumer's PEL, as in Redis.
 */

/** Redis's `SCG_INVALID_ENTRIES_READ`: the group's read counter is unknown. */
export const INVALID_ENTRIES_READ = -1;

const CHUNK = 256;

/**
 * A map keyed by stream ID that also iterates in ID order: a Map for lookups plus the keys in
 * sorted chunks of at most 256 (an insert or delete moves at most one chunk and the chunk list,
 * so acking the oldest of a million pending entries does not shift a million keys).
 */
export class IdIndex<V> {
  private readonly map = new Map<IdKey, V>();
  private chunks: IdKey[][] = [];

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  get(id: IdKey): V | undefined {
    return this.map.get(id);
  }

  has(id: IdKey): boolean {
    return this.map.has(id);
  }

  /** The chunk that holds (or would hold) `id`: the last one whose first key is <= id. */
  private chunkIndex(id: IdKey): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (((this.chunks[mid] as IdKey[])[0] as IdKey) <= id) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Adds or replaces the entry at `id`. */
  set(id: IdKey, value: V): void {
    if (this.map.has(id)) {
      this.map.set(id, value);
      return;
    }
    this.map.set(id, value);
    if (this.chunks.length === 0) {
      this.chunks.push([id]);
      return;
    }
    const ci = this.chunkIndex(id);
    const chunk = this.chunks[ci] as IdKey[];
    const at = lowerBound(chunk, id);
    if (at === chunk.length) chunk.push(id);
    else chunk.splice(at, 0, id);
    if (chunk.length > CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK >> 1));
  }

  /** Removes the entry at `id`; true when it was there. */
  delete(id: IdKey): boolean {
    if (!this.map.delete(id)) return false;
    const ci = this.chunkIndex(id);
    const chunk = this.chunks[ci] as IdKey[];
    chunk.splice(lowerBound(chunk, id), 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** The entries with ID >= `from`, in ID order (safe against changes made between steps). */
  *from(from: IdKey): Generator<[IdKey, V]> {
    if (this.chunks.length === 0) return;
    let ci = this.chunkIndex(from);
    let at = lowerBound(this.chunks[ci] as IdKey[], from);
    for (;;) {
      const chunk = this.chunks[ci];
      if (chunk === undefined) return;
      if (at >= chunk.length) {
        ci++;
        at = 0;
        continue;
      }
      const id = chunk[at] as IdKey;
      yield [id, this.map.get(id) as V];
      // The consumer may have deleted or inserted: find our place again unless it is unchanged.
      if (this.chunks[ci]?.[at] === id) {
        at++;
      } else {
        if (this.chunks.length === 0) return;
        ci = this.chunkIndex(id);
        at = upperBound(this.chunks[ci] as IdKey[], id);
      }
    }
  }

  /** Every entry in ID order. */
  entries(): Generator<[IdKey, V]> {
    return this.from("");
  }

  /** The smallest ID, or undefined. */
  first(): IdKey | undefined {
    return this.chunks[0]?.[0];
  }

  /** The largest ID, or undefined. */
  last(): IdKey | undefined {
    const c = this.chunks[this.chunks.length - 1];
    return c?.[c.length - 1];
  }
}

function lowerBound(a: readonly IdKey[], id: IdKey): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as IdKey) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: readonly IdKey[], id: IdKey): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as IdKey) <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A pending entry: delivered, not acknowledged (Redis's `streamNACK`). */
export interface Nack {
  /** Last delivery time (ms). */
  deliveryTime: number;
  /** Number of deliveries. */
  deliveryCount: number;
  /** The consumer it was last delivered to. */
  consumer: Consumer;
}

/** A consumer of a group (Redis's `streamConsumer`). */
export interface Consumer {
  readonly name: Bytes;
  /** Last time it was active (ms). */
  seenTime: number;
  /** Its pending entries (the same {@link Nack} objects as the group's PEL). */
  readonly pel: IdIndex<Nack>;
}

/** A consumer group (Redis's `streamCG`). */
export class ConsumerGroup {
  /** Pending entries of every consumer. */
  readonly pel = new IdIndex<Nack>();
  /** Consumers by name. */
  readonly consumers = new Map<Bytes, Consumer>();

  constructor(
    readonly name: Bytes,
    /** Last delivered ID. */
    public lastId: IdKey,
    /** Logical read counter, or {@link INVALID_ENTRIES_READ}. */
    public entriesRead: number,
  ) {}

  /** The consumer named `name`, created (seen `now`) when missing; `created` says which. */
  consumer(name: Bytes, now: number): { consumer: Consumer; created: boolean } {
    const found = this.consumers.get(name);
    if (found) return { consumer: found, created: false };
    const consumer: Consumer = { name, seenTime: now, pel: new IdIndex() };
    this.consumers.set(name, consumer);
    return { consumer, created: true };
  }

  /** Deletes a consumer and its pending entries; how many were pending. */
  deleteConsumer(consumer: Consumer): number {
    const pending = consumer.pel.size;
    for (const [id] of consumer.pel.entries()) this.pel.delete(id);
    this.consumers.delete(consumer.name);
    return pending;
  }

  /** Consumers in name order (byte order, as Redis's rax). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.keys()].sort().map((n) => this.consumers.get(n) as Consumer);
  }

  /** A deep copy (consumers and NACKs copied, links kept consistent). */
  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.name, this.lastId, this.entriesRead);
    for (const c of this.consumers.values())
      copy.consumers.set(c.name, { name: c.name, seenTime: c.seenTime, pel: new IdIndex() });
    for (const [id, nack] of this.pel.entries()) {
      const consumer = copy.consumers.get(nack.consumer.name) as Consumer;
      const n: Nack = { deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount, consumer };
      copy.pel.set(id, n);
      consumer.pel.set(id, n);
    }
    return copy;
  }
}
