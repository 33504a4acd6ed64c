/**
 * Where the etcd engine keeps what, under the prefix `P` (`--etcd-prefix`), SCALE-OUT §2.1:
 *
 * | etcd key                     | value                                                   |
 * |------------------------------|---------------------------------------------------------|
 * | `P k <h64 BE> <key>`         | the key's envelope (envelope.ts)                        |
 * | `P x <deadline u64 BE> <h64 BE> <key>` | empty: the deadline index the sweeper ranges  |
 * | `P e`                        | the outbox: the events of the last commit (outbox.ts)   |
 * | `P m`                        | the last batch of published messages (pubsub-relay.ts)  |
 * | `P o <server> <seq>`         | commit markers (on the server's marker lease)           |
 * | `P l`                        | id of the keyspace's TTL-tag lease (etcd-repository.ts) |
 * | `P elect/sweeper`            | the sweeper election                                    |
 *
 * Keys are ordered by a 64-bit hash of the Redis key: a SCAN cursor is the next hash (a decimal
 * uint64, valid on any server, no server-side state) and RANDOMKEY starts a range at a random hash.
 * Redis keys are byte strings (code units 0–255), stored byte for byte.
 */

/** The etcd keys of one keyspace. */
export class Layout {
  /** Data keys: `P k`. */
  readonly data: Buffer;
  /** Deadline index: `P x`. */
  readonly index: Buffer;
  /** The outbox key. */
  readonly outbox: Buffer;
  /** Pub/Sub across the fleet: `P m` (pubsub-relay.ts). */
  readonly pubsub: Buffer;
  /** Commit markers: `P o`. */
  readonly markers: Buffer;
  /** The id of the lease every key with a deadline is attached to (a tag, never expiring). */
  readonly ttlLease: Buffer;
  /** The prefix as text (election names). */
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.data = Buffer.from(`${prefix}k/`, "latin1");
    this.index = Buffer.from(`${prefix}x/`, "latin1");
    this.outbox = Buffer.from(`${prefix}e`, "latin1");
    this.pubsub = Buffer.from(`${prefix}m`, "latin1");
    this.markers = Buffer.from(`${prefix}o/`, "latin1");
    this.ttlLease = Buffer.from(`${prefix}l`, "latin1");
  }

  /** The data key of `key`. */
  dataKey(key: string): Buffer {
    const p = this.data;
    const out = Buffer.allocUnsafe(p.length + 8 + key.length);
    p.copy(out, 0);
    writeHash(out, p.length, key);
    out.write(key, p.length + 8, "latin1");
    return out;
  }

  /** The Redis key of a data key. */
  keyOf(dataKey: Buffer): string {
    return dataKey.toString("latin1", this.data.length + 8);
  }

  /** The 64-bit hash of a data key, as a decimal string (a SCAN cursor). */
  hashOf(dataKey: Buffer): bigint {
    return dataKey.readBigUInt64BE(this.data.length);
  }

  /** The first data key at or after hash `h`. */
  dataFrom(h: bigint): Buffer {
    const p = this.data;
    const out = Buffer.allocUnsafe(p.length + 8);
    p.copy(out, 0);
    out.writeBigUInt64BE(h, p.length);
    return out;
  }

  /** The deadline-index key of `key` due at `atMs`. */
  indexKey(key: string, atMs: number): Buffer {
    const p = this.index;
    const out = Buffer.allocUnsafe(p.length + 16 + key.length);
    p.copy(out, 0);
    out.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(atMs))), p.length);
    writeHash(out, p.length + 8, key);
    out.write(key, p.length + 16, "latin1");
    return out;
  }

  /** The end (exclusive) of the index range of keys due at or before `nowMs`. */
  indexDueEnd(nowMs: number): Buffer {
    const p = this.index;
    const out = Buffer.allocUnsafe(p.length + 8);
    p.copy(out, 0);
    // Due means now > deadline (the Map engine's rule), so deadlines < now.
    out.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(nowMs))), p.length);
    return out;
  }

  /** The Redis key and deadline of an index key. */
  parseIndexKey(indexKey: Buffer): { key: string; atMs: number } {
    const p = this.index.length;
    return { atMs: Number(indexKey.readBigUInt64BE(p)), key: indexKey.toString("latin1", p + 16) };
  }

  /** A commit marker key. */
  markerKey(server: string, seq: number): Buffer {
    return Buffer.from(`${this.prefix}o/${server}/${seq.toString(36)}`, "latin1");
  }
}

/** The end (exclusive) of the range of every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the keyspace
}

/** murmur3's 32-bit hash of the code units of `s` (each 0–255) with `seed`. */
function murmur3(s: string, seed: number): number {
  let h = seed >>> 0;
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k =
      (s.charCodeAt(i) & 0xff) |
      ((s.charCodeAt(i + 1) & 0xff) << 8) |
      ((s.charCodeAt(i + 2) & 0xff) << 16) |
      ((s.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The 1-3 trailing bytes, little-endian, as murmur3's tail.
  const rest = n & 3;
  if (rest !== 0) {
    let k = 0;
    if (rest === 3) k ^= (s.charCodeAt(i + 2) & 0xff) << 16;
    if (rest >= 2) k ^= (s.charCodeAt(i + 1) & 0xff) << 8;
    k ^= s.charCodeAt(i) & 0xff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Writes the 64-bit hash of `key` (two seeded murmur3 halves) at `at`, big-endian. */
function writeHash(out: Buffer, at: number, key: string): void {
  out.writeUInt32BE(murmur3(key, 0x9747b28c), at);
  out.writeUInt32BE(murmur3(key, 0x5bd1e995), at + 4);
}
