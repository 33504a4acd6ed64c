/**
 * A `Map` without the `Map` size limit.
 *
 * V8 refuses more than 2^24 (16,777,216) entries in one `Map` (`RangeError: Map maximum size
 * exceeded`). BigMap keeps a list of shard maps and only adds a second shard when the first is
 * full, so a keyspace below the limit pays one array-length check per operation and nothing else.
 * Iteration visits shards in order; like `Map`, iterators survive concurrent inserts and deletes.
 */
export class BigMap<K, V> {
  /** Entries per shard before a new shard is started (below V8's 2^24 limit). */
  readonly shardLimit: number;
  private shards: Map<K, V>[] = [new Map()];

  /** @param shardLimit entries per shard; tests lower it to exercise sharding cheaply. @default 16_000_000 */
  constructor(shardLimit = 16_000_000) {
    if (!Number.isInteger(shardLimit) || shardLimit < 1) throw new TypeError("shardLimit must be a positive integer");
    this.shardLimit = shardLimit;
  }

  /** Number of entries. */
  get size(): number {
    const s = this.shards;
    if (s.length === 1) return (s[0] as Map<K, V>).size;
    let n = 0;
    for (const m of s) n += m.size;
    return n;
  }

  /** Number of shard maps in use. */
  get shardCount(): number {
    return this.shards.length;
  }

  get(key: K): V | undefined {
    const s = this.shards;
    if (s.length === 1) return (s[0] as Map<K, V>).get(key);
    for (const m of s) {
      const v = m.get(key);
      if (v !== undefined || m.has(key)) return v;
    }
    return undefined;
  }

  has(key: K): boolean {
    const s = this.shards;
    if (s.length === 1) return (s[0] as Map<K, V>).has(key);
    for (const m of s) if (m.has(key)) return true;
    return false;
  }

  set(key: K, value: V): this {
    const s = this.shards;
    if (s.length === 1) {
      const m = s[0] as Map<K, V>;
      if (m.size < this.shardLimit || m.has(key)) {
        m.set(key, value);
        return this;
      }
    } else {
      for (const m of s) {
        if (m.has(key)) {
          m.set(key, value);
          return this;
        }
      }
    }
    for (const m of s) {
      if (m.size < this.shardLimit) {
        m.set(key, value);
        return this;
      }
    }
    const fresh = new Map<K, V>();
    fresh.set(key, value);
    s.push(fresh);
    return this;
  }

  delete(key: K): boolean {
    const s = this.shards;
    if (s.length === 1) return (s[0] as Map<K, V>).delete(key);
    for (let i = 0; i < s.length; i++) {
      const m = s[i] as Map<K, V>;
      if (m.delete(key)) {
        if (m.size === 0 && s.length > 1) s.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.shards = [new Map()];
  }

  *entries(): IterableIterator<[K, V]> {
    // Snapshot the shard list: a shard removed while iterating is simply finished early.
    for (const m of [...this.shards]) yield* m.entries();
  }

  *keys(): IterableIterator<K> {
    for (const m of [...this.shards]) yield* m.keys();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
